package main

import (
	"fmt"
	"io"

	"github.com/qoslab/qoslab/sim"
)

// defaultFaults is break point 2 of the question's answer: the connection
// drops while PUBREC is in flight, so the client cannot know whether the
// server got the message and must resend the payload.
const defaultFaults = "break after-send PUBREC#1"

// runDefault is what `go run ./cmd/simulate` shows: a QoS 2 exchange over
// a connection that breaks, then what else the tool can do.
func runDefault(stdout, stderr io.Writer) error {
	faults, err := sim.ParseSchedule(defaultFaults)
	if err != nil {
		return err
	}
	res, err := sim.Run(sim.Config{Variant: "qos2-b", Faults: faults, Seed: 1, Trace: true, Workload: sim.Workload{Messages: 2}})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "QoS 2 over TCP; the connection breaks while the first PUBREC is in flight (break point 2 of the answer).")
	if err := writeRun(stdout, res, "text", sim.DiagramOptions{}); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	writeUsage(stdout)
	return nil
}
