// Command simulate is qoslab's command line: one run with its sequence
// diagram, property searches, exhaustive exploration, comparison tables,
// conformance runs against real MQTT software (simulate --help lists the
// commands; package cli has them all).
package main

import "github.com/qoslab/qoslab/cli"

// The generated parts of docs/ (go generate ./... also retakes the
// browser tests' pictures, from package cli).
//go:generate go run . docs --dir ../../docs

func main() { cli.Main() }
