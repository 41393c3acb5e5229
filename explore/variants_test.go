package explore

import (
	"testing"

	"github.com/qoslab/qoslab/sim"
)

// Each two-packet variant (PUBLISH/PUBREC plus a de-duplication store, the
// question's proposal, or the DUP flag alone) has a shortest counterexample;
// so do three-packet (no PUBCOMP) and QoS 0 and 1, which do not claim
// exactly-once. Each is pinned step by step, with the
// simulator replay that reproduces it.
func TestTwoPacketVariantsShortestCounterexamples(t *testing.T) {
	connect := []string{"connect", "deliver CONNECT clean=0 to server"}
	cases := []struct {
		why      string
		o        Options
		property Property
		msg      int
		steps    []string
		faults   string
	}{
		{
			"a store of packet ids kept forever drops the next message that reuses an id",
			Options{Variant: "two-packet-pid", Messages: 2, IDs: 1}, NoLoss, 2,
			cat([]string{"publish m1", "publish m2"}, connect, []string{"deliver CONNACK sp=0 to client",
				"deliver PUBLISH id=1 q2 m1 to server", "deliver PUBREC id=1 to client",
				"deliver PUBLISH id=1 q2 m2 to server", "deliver PUBREC id=1 to client"}),
			"",
		},
		{
			"an entry that expires before a retransmission arrives lets it through again",
			Options{Variant: "two-packet-pid-ttl", Messages: 1, Breaks: 1}, NoDuplicate, 1,
			cat([]string{"publish m1"}, connect, []string{"deliver CONNACK sp=0 to client",
				"deliver PUBLISH id=1 q2 m1 to server", "server timer expiry(1) fires", "break"}, connect,
				[]string{"deliver CONNACK sp=1 to client", "deliver PUBLISH id=1 q2 dup m1 to server"}),
			"break after-send PUBREC#1 reconnect +41",
		},
		{
			"two messages with equal topic and payload collapse into one",
			Options{Variant: "two-packet-content", Messages: 2, DistinctPayloads: 1}, NoLoss, 2,
			cat([]string{"publish m1", "publish m2"}, connect, []string{"deliver CONNACK sp=0 to client",
				"deliver PUBLISH id=1 q2 m1 to server", "deliver PUBLISH id=2 q2 m2 to server",
				"deliver PUBREC id=1 to client", "deliver PUBREC id=2 to client"}),
			"delay PUBLISH#2 +1",
		},
		{
			"a sender whose message-id counter dies in a crash reuses ids the receiver keeps",
			Options{Variant: "two-packet-msgid", Messages: 2, Crashes: 1, Volatile: true}, NoLoss, 2,
			cat([]string{"publish m1"}, connect, []string{"deliver CONNACK sp=0 to client",
				"deliver PUBLISH id=1 q2 msgid=1 m1 to server", "crash client", "restart client", "publish m2"}, connect,
				[]string{"deliver CONNACK sp=1 to client", "deliver PUBLISH id=1 q2 msgid=1 m2 to server", "deliver PUBREC id=1 to client"}),
			"crash client after-send PUBREC#1 restart +1",
		},
		{
			"a bounded message-id store forgets an id whose retransmission is still to come",
			Options{Variant: "two-packet-msgid", Messages: 2, Breaks: 1, StoreCap: 1}, NoDuplicate, 1,
			cat([]string{"publish m1", "publish m2"}, connect, []string{"deliver CONNACK sp=0 to client",
				"deliver PUBLISH id=1 q2 msgid=1 m1 to server", "deliver PUBLISH id=2 q2 msgid=2 m2 to server", "break"}, connect,
				[]string{"deliver CONNACK sp=1 to client", "deliver PUBLISH id=1 q2 dup msgid=1 m1 to server"}),
			"break after-send PUBREC#2 reconnect +1; delay PUBLISH#2 +1; delay PUBLISH#4 +5",
		},
		{
			"a receiver that drops every PUBLISH with DUP set loses a message whose first copy was lost",
			Options{Variant: "two-packet-dup-flag", Messages: 1, Breaks: 1}, NoLoss, 1,
			cat([]string{"publish m1"}, connect, []string{"deliver CONNACK sp=0 to client", "break"}, connect,
				[]string{"deliver CONNACK sp=1 to client", "deliver PUBLISH id=1 q2 dup m1 to server", "deliver PUBREC id=1 to client"}),
			"break after-send PUBLISH#1 reconnect +1",
		},
		{
			"a lost PUBREL leaves the id held for good: the next message that reuses it is dropped",
			Options{Variant: "three-packet", Messages: 2, IDs: 1, Breaks: 1}, NoLoss, 2,
			cat([]string{"publish m1", "publish m2"}, connect, []string{"deliver CONNACK sp=0 to client",
				"deliver PUBLISH id=1 q2 m1 to server", "deliver PUBREC id=1 to client", "break"}, connect,
				[]string{"deliver CONNACK sp=1 to client", "deliver PUBLISH id=1 q2 dup m2 to server", "deliver PUBREC id=1 to client"}),
			"break after-send PUBLISH#2 reconnect +1",
		},
		{
			"QoS 1 is at least once: a lost PUBACK means a second delivery",
			Options{Variant: "qos1", Messages: 1, Breaks: 1}, NoDuplicate, 1,
			cat([]string{"publish m1"}, connect, []string{"deliver CONNACK sp=0 to client",
				"deliver PUBLISH id=1 q1 m1 to server", "break"}, connect,
				[]string{"deliver CONNACK sp=1 to client", "deliver PUBLISH id=1 q1 dup m1 to server"}),
			"break after-send PUBACK#1 reconnect +1",
		},
		{
			"QoS 0 is at most once: the sender is done before the packet arrives",
			Options{Variant: "qos0", Messages: 1, Breaks: 1}, NoLoss, 1,
			cat([]string{"publish m1"}, connect, []string{"deliver CONNACK sp=0 to client", "break"}),
			"break after-send PUBLISH#1",
		},
	}
	for _, c := range cases {
		r := mustRun(t, c.o)
		v := r.Violation
		if v == nil {
			t.Errorf("%s: %s: no counterexample (%s)", c.o.Variant, c.why, r.Verdict)
			continue
		}
		if v.Property != c.property || v.Msg != c.msg {
			t.Errorf("%s: got %s, want %s (m%d)", c.o.Variant, v, c.property, c.msg)
		}
		sameLines(t, c.o.Variant+": "+c.why, steps(v), c.steps)
		if got := v.Replay.Faults.String(); got != c.faults || !v.Reproduced {
			t.Errorf("%s: replay faults %q reproduced %v (%s); want %q", c.o.Variant, got, v.Reproduced, v.ReplayNote, c.faults)
		}
		res, err := sim.Run(v.Replay)
		if err != nil || !showsViolation(res, v.Property, v.Msg) {
			t.Errorf("%s: %s does not show %s: %v", c.o.Variant, v.Replay.Command(), v.Property, err)
		}
	}
}

func cat(parts ...[]string) []string {
	var all []string
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}
