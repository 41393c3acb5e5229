package properties_test

import (
	"fmt"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/properties"
	"github.com/qoslab/qoslab/sim"
)

// A property search over the datagram mode: a packet may be delayed longer
// than the retransmission timeout (100 ticks). The search finds that QoS 2
// Method B then delivers a message twice, and shrinks the schedule to one
// delayed PUBLISH; the replay line reproduces it with `simulate run`.
func ExampleSearch() {
	r, err := properties.Search{
		Config: sim.Config{Variant: "qos2-b", Endpoint: model.Config{Mode: model.Datagram}},
		Space:  properties.Space{Actions: []sim.Action{sim.Delay}, MaxDelayTicks: 300},
		Tests:  2000,
		Seed:   1,
	}.Run()
	if err != nil {
		fmt.Println(err)
		return
	}
	c := r.Counterexample
	fmt.Println("held:", r.Held)
	fmt.Println("case:", c.Case)
	fmt.Println(c.Violations[0])
	fmt.Println(c.Command())
	// Output:
	// held: false
	// case: messages=1 seed=0 faults=[delay PUBLISH#1 +121]
	// no-duplicate: m1 delivered again at #17 (t=131), first at #7 (t=110) [trace #7 #17]
	// simulate run --variant qos2-b --mode datagram --seed 0 --messages 1 --faults "delay PUBLISH#1 +121"
}

// A property of your own is a name, a kind and a check over the history.
// This one bounds how often a payload crosses the wire.
func ExampleProperty() {
	atMostTwoPayloads := properties.Property{
		Name: "at-most-two-payloads", Kind: properties.Always,
		Check: func(h *properties.History) []properties.Violation {
			sent := map[uint32][]int{} // message -> trace positions of its PUBLISH packets
			var vs []properties.Violation
			for i, e := range h.Trace {
				if e.Kind != sim.TSend || !h.IsPublisher(e.Node) || e.Packet.Type != model.PUBLISH {
					continue
				}
				m := e.Packet.Msg.Ref
				sent[m] = append(sent[m], i)
				if len(sent[m]) == 3 {
					vs = append(vs, properties.Violation{Property: "at-most-two-payloads", Kind: properties.Always,
						Msg: m, Events: sent[m], At: e.At, Detail: "payload sent three times"})
				}
			}
			return vs
		},
	}
	r, _ := properties.Search{Config: sim.Config{Variant: "qos2-a"}, Property: atMostTwoPayloads,
		Space: properties.Space{Actions: []sim.Action{sim.Break}}, Tests: 1000, Seed: 1}.Run()
	fmt.Println("held:", r.Held)
	fmt.Println("schedule:", r.Counterexample.Case.Faults)
	fmt.Println(r.Counterexample.Violations[0])
	// Output:
	// held: false
	// schedule: break after-send PUBLISH#1; break after-recv PUBLISH#1
	// at-most-two-payloads: payload sent three times [trace #6 #14 #25]
}
