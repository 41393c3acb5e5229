// Package conformance drives real MQTT brokers and client libraries through
// the simulator's fault schedules and judges them against the model.
//
// A run starts a broker (the embedded mochi-mqtt server, mosquitto from the
// Debian package, or any broker on loopback) and the clients of a topology
// (qoslab's own model client, or the paho client libraries). Each client
// connects to a loopback listener of an in-process proxy, which dials the
// broker and reads whole MQTT frames from both sockets. The proxy forwards
// nothing on its own: once the system is quiet it releases one held frame
// by a fixed rule, or drops it and breaks its connection where the schedule
// says so (sim.ParseSchedule's grammar, counted as the simulator counts).
// The same schedule therefore gives the same transcript on every run.
//
// The oracle keeps, for every node, the model's sessions (model.Session,
// model.Broker) stepped with the frames that node received, with every
// choice the specification leaves open followed through model.Outcomes.
// What a node sends and delivers is matched against what the model may do
// there; what no option explains is a divergence, classed as a delivery
// violation, a protocol violation (with the statement), a permitted
// difference or a consequence of an earlier divergence.
//
// Usage:
//
//	r, err := conformance.Run(
//		conformance.Target{Broker: conformance.Mochi, Client: conformance.PahoGolang},
//		conformance.Case{Messages: 1, Faults: schedule},
//		conformance.Options{Version: model.V5})
//	if err != nil { ... }          // the harness could not run (no broker)
//	fmt.Println(r.Verdict)          // conforms, protocol violation, ...
//	r.Transcript.WriteASCII(os.Stdout)
//
// RunMatrix runs many cases on many targets and renders the matrix as
// text, markdown or JSON (package report draws it as an HTML page: each
// run's real transcript beside the model's); cmd/simulate's conform
// command is its front end and docs/conformance.md its report.
package conformance
