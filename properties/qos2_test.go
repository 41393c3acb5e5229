package properties

import (
	"testing"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// guarantees is everything QoS 2 promises over an ordered stream.
var guarantees = And("qos2-guarantees", "exactly once, bounded receiver state, per-topic order, no payload after PUBREC",
	ExactlyOnce, BoundedState, TopicOrder, NoResendAfterPubrec)

// Over TCP with durable session state, QoS 2 keeps every promise whatever
// breaks and crashes the schedule holds (MQTT 5.0 section 4.3.3, 4.4, 4.6),
// in every topology: one way, through a broker, and with packet ids in use
// in both directions of a connection (duplex, pair, self).
func TestQoS2StreamHolds(t *testing.T) {
	for _, variant := range []string{"qos2-a", "qos2-b"} {
		for _, topo := range []sim.Topology{sim.Direct, sim.Brokered, sim.Duplex, sim.Pair, sim.Self} {
			for _, version := range []model.Version{model.V5, model.V311} {
				t.Run(variant+"/"+topo.String()+"/"+version.String(), func(t *testing.T) {
					r := Holds(t, Search{
						Config:   sim.Config{Variant: variant, Topology: topo, Endpoint: model.Config{Version: version}},
						Property: guarantees,
						Space:    Space{ReceiveMax: []int{1, 2, 65535}, RepeatPayloads: true},
						Tests:    scaled(2500), Seed: 1,
					})
					if r.Tried != scaled(2500) {
						t.Errorf("tried %d schedules, want %d", r.Tried, scaled(2500))
					}
				})
			}
		}
	}
}

// datagram describes one network behaviour of the datagram mode: which
// faults a search may put in a schedule, how much the network reorders, and
// the retransmission timeout.
type datagram struct {
	name  string
	space Space
	retry int64
}

// The behaviours, from benign to hostile. Latency is 10 ticks, so a round
// trip takes 20; the default retransmission timeout is 100. Receive Maximum
// 1 makes the sender reuse a packet id as soon as its flow ends, which is
// when a straggling packet of the old flow can hit the new one.
var datagramBehaviours = []datagram{
	{"loss", Space{Actions: []sim.Action{sim.Lose}, ReceiveMax: reuse}, 0},
	// Reordering bounded so that an answer is back before the timer fires:
	// a 20-tick round trip plus at most 2x25 delay plus 2x10 jitter < 100.
	{"loss+reorder", Space{Actions: []sim.Action{sim.Lose, sim.Delay}, MaxDelayTicks: 25, MaxJitterTicks: 10, ReceiveMax: reuse}, 0},
	{"dup", Space{Actions: []sim.Action{sim.Dup}, ReceiveMax: reuse}, 0},
	// No faults, only jitter up to 10 per packet: a round trip takes 20 to
	// 40 ticks. A timer above that holds; one below it fires while the
	// answer is still on its way.
	{"jitter-timer-above-round-trip", Space{MaxFaults: -1, MaxJitterTicks: 10, ReceiveMax: reuse}, 60},
	{"jitter-timer-below-round-trip", Space{MaxFaults: -1, MaxJitterTicks: 10, ReceiveMax: reuse}, 30},
	// Duplicates with the same bounded reordering: copies now arrive apart.
	{"dup+reorder", Space{Actions: []sim.Action{sim.Dup, sim.Delay}, MaxDelayTicks: 25, MaxJitterTicks: 10,
		ReceiveMax: []int{1}, MaxMessages: 3}, 0},
	// Duplicates whose copies drift apart by more than a round trip (jitter
	// up to 100), with a timer so long that it never fires first.
	{"dup+wide-reorder", Space{Actions: []sim.Action{sim.Dup}, MaxJitterTicks: 100}, 1000},
	// A packet may be delayed beyond the retransmission timeout.
	{"delay-beyond-timer", Space{Actions: []sim.Action{sim.Delay}, MaxDelayTicks: 300}, 0},
	{"all", Space{Actions: []sim.Action{sim.Lose, sim.Dup, sim.Delay}, MaxDelayTicks: 300, MaxJitterTicks: 40}, 0},
}

// reuse draws Receive Maximum 1, 2 or 65535: from immediate packet-id reuse to
// none within a run.
var reuse = []int{1, 2, 65535}

// Over datagrams QoS 2 holds as long as no packet of a flow can arrive after
// the flow ended: loss, reordering within a round trip, and duplicates that
// arrive together are harmless. A copy that outlives its flow is taken for
// part of a new one: a late PUBLISH for a new message, a late PUBREC or
// PUBCOMP for the acknowledgement of the next message with the same id.
func TestQoS2Datagram(t *testing.T) {
	want := map[string]bool{ // behaviour -> exactly once holds
		"loss": true, "loss+reorder": true, "dup": true, "jitter-timer-above-round-trip": true, "jitter-timer-below-round-trip": false,
		"dup+reorder": false, "dup+wide-reorder": false, "delay-beyond-timer": false, "all": false,
	}
	for _, variant := range []string{"qos2-a", "qos2-b"} {
		for _, b := range datagramBehaviours {
			t.Run(variant+"/"+b.name, func(t *testing.T) {
				s := Search{
					Config: sim.Config{Variant: variant, Endpoint: model.Config{Mode: model.Datagram, RetryTicks: b.retry}},
					Space:  b.space, Seed: 1,
				}
				if want[b.name] {
					s.Tests = scaled(3000)
					Holds(t, s)
					return
				}
				s.Tests = 30000
				// Random jitter makes the shrunk case keep the messages
				// and faults whose draws set up the race, hence up to 3.
				expectFailure(t, "datagram-"+variant+"-"+b.name, s, 3, 3)
			})
		}
	}
}

// The guarantee rests on durable session state: a server that loses its
// packet-id store in a crash breaks it under MQTT 3.1.1, where the client
// carries on with its session and resends the PUBLISH, which the server
// takes for a new message. Under 5.0 the client learns Session Present = 0,
// discards its session [MQTT-3.2.2-5] and abandons the message, telling its
// application: no duplicate and no silent loss, as the explorer proves (the
// abandoned messages are counted apart).
func TestQoS2VolatileServer(t *testing.T) {
	s := Search{
		Config:   sim.Config{Variant: "qos2-b", Endpoint: model.Config{Version: model.V311, Volatile: true}},
		Property: NoDuplicate, Space: Space{Actions: []sim.Action{sim.Crash}, Nodes: []string{"server"}}, Tests: 2000, Seed: 1,
	}
	expectFailure(t, "volatile-qos2-b-v311-duplicate", s, 1, 2)
	s.Config.Endpoint.Version, s.Property = model.V5, ExactlyOnce
	r := Holds(t, s)
	if r.Abandoned == 0 || r.AbandonedCases == 0 || r.AbandonedCases > r.Tried {
		t.Errorf("abandoned %d message(s) in %d of %d schedules; want some abandoned under 5.0", r.Abandoned, r.AbandonedCases, r.Tried)
	}
	t.Logf("%s", r.AbandonedLine())
}
