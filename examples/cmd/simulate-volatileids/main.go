// Command simulate-volatileids is qoslab's whole command line with this
// module's variant and property registered:
//
//	go run ./cmd/simulate-volatileids check --variant qos2-volatile-ids --actions crash
//	go run ./cmd/simulate-volatileids check --variant qos2-b --property delivered-in-time
package main

import (
	"github.com/qoslab/qoslab/cli"
	_ "github.com/qoslab/qoslab/examples/volatileids" // registers qos2-volatile-ids and delivered-in-time
)

func main() { cli.Main() }
