package properties

import (
	"testing"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// expected is one variant whose search must find a counterexample of a
// given property, no bigger than the pinned size.
type expected struct {
	golden      string
	search      Search
	maxFaults   int
	maxMessages int
}

// The alternatives to QoS 2 each fail in their own way, over plain TCP with
// durable state (seed-question.txt):
//   - two-packet-pid drops a new message whose packet id was reused while the
//     id was still in its store: a loss;
//   - two-packet-pid-ttl forgets ids after a time-to-live, so a retransmission
//     that comes later is delivered again: a duplicate;
//   - two-packet-content takes a genuine repeat ("ON" twice) for a retransmission:
//     a loss;
//   - two-packet-msgid is exactly once, but its store grows with every message:
//     bounded receiver state fails;
//   - two-packet-dup-flag drops a retransmission (DUP 1) whose first copy was
//     cut by a break: a loss;
//   - three-packet sends PUBREL and forgets the flow: a break that cuts the
//     PUBREL leaves the receiver holding the id, and the next message that
//     reuses it is dropped: a loss;
//   - qos1 delivers a retransmission again; qos0 loses what a break cuts.
var expectedFailures = []expected{
	{"two-packet-pid-loss", Search{Config: sim.Config{Variant: "two-packet-pid"}, Property: NoLoss,
		Space: Space{ReceiveMax: []int{1, 2, 65535}}}, 1, 2},
	// Outages up to 1500 ticks reach past the default time-to-live (1000).
	{"two-packet-pid-ttl-duplicate", Search{Config: sim.Config{Variant: "two-packet-pid-ttl"},
		Property: NoDuplicate, Space: Space{MaxOutageTicks: 1500}}, 2, 2},
	{"two-packet-content-loss", Search{Config: sim.Config{Variant: "two-packet-content"}, Property: NoLoss,
		Space: Space{RepeatPayloads: true}}, 1, 2},
	{"two-packet-msgid-unbounded", Search{Config: sim.Config{Variant: "two-packet-msgid"}, Property: BoundedState,
		Space: Space{ReceiveMax: []int{1, 2}}}, 0, 3},
	{"two-packet-dup-flag-loss", Search{Config: sim.Config{Variant: "two-packet-dup-flag"}, Property: NoLoss}, 1, 1},
	{"three-packet-loss", Search{Config: sim.Config{Variant: "three-packet"}, Property: NoLoss,
		Space: Space{ReceiveMax: []int{1, 2, 65535}}}, 1, 2},
	{"qos1-duplicate", Search{Config: sim.Config{Variant: "qos1"}, Property: NoDuplicate}, 1, 1},
	{"qos0-loss", Search{Config: sim.Config{Variant: "qos0"}, Property: NoLoss}, 1, 1},
}

func TestVariantsCounterexamples(t *testing.T) {
	for _, e := range expectedFailures {
		t.Run(e.golden, func(t *testing.T) {
			if _, err := model.Lookup(e.search.Config.Variant); err != nil {
				t.Fatalf("variant %s: %v", e.search.Config.Variant, err)
			}
			s := e.search
			s.Tests, s.Seed = 5000, 1
			expectFailure(t, e.golden, s, e.maxFaults, e.maxMessages)
		})
	}
}

// two-packet-msgid is correct about delivery: its ids are never reused.
func TestTwoPacketMsgIDExactlyOnce(t *testing.T) {
	if _, err := model.Lookup("two-packet-msgid"); err != nil {
		t.Fatalf("variant two-packet-msgid: %v", err)
	}
	Holds(t, Search{Config: sim.Config{Variant: "two-packet-msgid"}, Property: ExactlyOnce,
		Space: Space{ReceiveMax: []int{1, 2, 65535}, RepeatPayloads: true}, Tests: scaled(3000), Seed: 1})
}
