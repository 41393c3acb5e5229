package explore

import (
	"os"
	"strconv"
	"strings"
	"testing"

	_ "github.com/qoslab/qoslab/internal/mutant"
	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// QoS 2 is exactly-once end to end in every topology, at the lower QoS of
// publication and subscription through a broker, with breaks on either
// connection and a crash of any node with durable sessions. Pinned per
// method; the tests fail if a model change alters the reachable space.
func TestQoS2IsProvenInEveryTopology(t *testing.T) {
	cases := []struct {
		o      Options
		a, b   counts // qos2-a, qos2-b
		reason string
	}{
		{Options{Topology: sim.Brokered, Messages: 3, Breaks: 2, IDs: 2},
			counts{Proven, 41503, 117808, 41}, counts{Proven, 82552, 239724, 41}, "either connection breaks"},
		{Options{Topology: sim.Brokered, Messages: 2, Breaks: 2, IDs: 2, Crashes: 1},
			counts{Proven, 28202, 104832, 34}, counts{Proven, 59638, 224545, 34}, "a broker, publisher or subscriber crash too"},
		{Options{Topology: sim.Brokered, Messages: 3, Breaks: 2, IDs: 2, Version: model.V311},
			counts{Proven, 34608, 97777, 39}, counts{Proven, 71074, 204947, 39}, "MQTT 3.1.1"},
		{Options{Topology: sim.Duplex, Messages: 3, Breaks: 2, IDs: 2},
			counts{Proven, 2132, 4112, 25}, counts{Proven, 2132, 4112, 25}, "ids in use both ways on one connection"},
		{Options{Topology: sim.Pair, Messages: 2, Breaks: 2, IDs: 2},
			counts{Proven, 9822, 26034, 32}, counts{Proven, 22190, 61132, 32}, "two clients publishing to each other"},
		{Options{Topology: sim.Self, Messages: 2, Breaks: 2, IDs: 2},
			counts{Proven, 1385, 2384, 31}, counts{Proven, 3033, 5387, 31}, "a client subscribed to its own topic"},
	}
	for _, c := range cases {
		for i, v := range []string{"qos2-a", "qos2-b"} {
			c.o.Variant = v
			want := [2]counts{c.a, c.b}[i]
			if got := mustRun(t, c.o).counts(); got != want {
				t.Errorf("%s %s (%s): got %+v, want %+v", v, c.o.Topology, c.reason, got, want)
			}
		}
	}
}

// Branching over every permitted choice proves the same: any free packet id
// at the bounds the two-party proofs above use (the states beside
// lowest-free's), and every other choice the specification leaves open.
// With the method a choice, qos2-a and qos2-b explore one space.
func TestChoicesAreProven(t *testing.T) {
	cases := []struct {
		o    Options
		want counts
	}{
		{Options{Messages: 3, Breaks: 2, IDs: 2, IDPolicy: model.AnyFree}, counts{Proven, 1428, 2882, 24}},
		{Options{Messages: 3, Breaks: 3, IDs: 1, IDPolicy: model.AnyFree}, counts{Proven, 574, 1187, 26}}, // one id: no choice
		{Options{Messages: 3, Breaks: 2, IDs: 2, Crashes: 1, IDPolicy: model.AnyFree}, counts{Proven, 4128, 10774, 26}},
		{Options{Messages: 3, Breaks: 2, IDs: 2, Version: model.V311, IDPolicy: model.AnyFree}, counts{Proven, 1332, 2654, 23}},
		{Options{Messages: 3, Breaks: 2, IDs: 3, IDPolicy: model.AnyFree}, counts{Proven, 5292, 10564, 24}},
		{Options{Messages: 3, Breaks: 2, IDs: 3, ReceiveMax: 1, IDPolicy: model.AnyFree}, counts{Proven, 924, 1972, 24}},
		{Options{Messages: 3, Breaks: 2, IDs: 2, Choices: model.AllChoices}, counts{Proven, 8457, 19384, 32}},
		{Options{Topology: sim.Brokered, Messages: 2, Breaks: 1, IDs: 2, IDPolicy: model.AnyFree, Choices: model.AllChoices},
			counts{Proven, 134275, 402578, 32}},
	}
	for _, v := range []string{"qos2-a", "qos2-b"} {
		for _, c := range cases {
			c.o.Variant = v
			if got := mustRun(t, c.o).counts(); got != c.want {
				t.Errorf("%s %+v: got %+v, want %+v", v, c.o, got, c.want)
			}
		}
	}
}

// An end that keeps one table of in-flight ids for both directions
// (internal/mutant, after a real broker's bug) is proven one way and
// refuted as soon as ids are in use both ways. Fault-free, both flows of
// the duplex connection are doomed once both are published (nothing ever
// completes them); with a break, the broker of the pair topology loses
// alice's message outright: carol's PUBLISH under the same id deletes the
// broker's flow of m1 to carol, and the break loses the only copy in
// flight. The test fails if the mutant stops failing.
func TestSharedIDTableIsRefuted(t *testing.T) {
	if got := mustRun(t, Options{Variant: "shared-id-table", Messages: 2, Breaks: 1}).counts(); got != (counts{Proven, 215, 314, 17}) {
		t.Errorf("one way: %+v", got)
	}
	r := mustRun(t, Options{Variant: "shared-id-table", Topology: sim.Duplex, Messages: 2})
	if v := r.Violation; r.counts() != (counts{Violated, 43, 57, 13}) || v.Property != Liveness || !v.Reproduced {
		t.Fatalf("duplex: %+v %v", r.counts(), v)
	}
	sameLines(t, "duplex", steps(r.Violation), []string{"publish m1", "publish m2"})
	sameLines(t, "duplex pending", r.Violation.Pending, []string{
		"client: 1 message(s) queued for a packet id", "server: 1 message(s) queued for a packet id"})

	r = mustRun(t, Options{Variant: "shared-id-table", Topology: sim.Pair, Messages: 2, Breaks: 1})
	if v := r.Violation; r.counts() != (counts{Violated, 795, 1620, 14}) || v.Property != NoLoss || v.Msg != 1 {
		t.Fatalf("pair: %+v %v", r.counts(), v)
	}
	sameLines(t, "pair", steps(r.Violation), []string{
		"publish m1", "publish m2", "connect alice", "connect carol",
		"deliver CONNECT clean=0 to broker", "deliver CONNACK sp=1 to alice",
		"deliver PUBLISH id=1 q2 m1 to broker", "deliver PUBREC id=1 to alice",
		"deliver PUBREL id=1 to broker", "deliver PUBCOMP id=1 to alice",
		"deliver CONNECT clean=0 to broker", "deliver CONNACK sp=1 to carol",
		"deliver PUBLISH id=1 q2 m2 to broker", "break carol",
	})
}

// docs/explore.md quotes the counts these tests pin: every one appears in
// it, written as the document writes numbers.
func TestDocQuotesTopologyCounts(t *testing.T) {
	doc, err := os.ReadFile("../docs/explore.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{41503, 82552, 28202, 59638, 34608, 71074, 2132, 9822, 22190, 1385, 3033,
		1040, 1428, 574, 3016, 4128, 974, 1332, 1546, 5292, 396, 924, 8457, 134275, 215,
		65, 419, 71, 256, 886, 176, 484, 225, 46} {
		if s := grouped(n); !strings.Contains(string(doc), s) {
			t.Errorf("docs/explore.md does not quote %s states", s)
		}
	}
}

func grouped(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Bounds whose steps have more outcomes than a move can name are refused
// with an error that says what to lower, never a panic or a silently
// smaller search.
func TestTooManyOutcomesIsAnError(t *testing.T) {
	o := Options{Messages: 6, IDs: 40, IDPolicy: model.AnyFree, Choices: model.AllChoices}
	if _, err := Run(o); err == nil || !strings.Contains(err.Error(), "lower --ids") {
		t.Fatalf("Run: %v", err)
	}
	st, err := NewStepper(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Walk([]int{0, 0, 0, 0, 0, 0, 0, 0}); err == nil { // six publications, connect, CONNECT: CONNACK starts six flows
		t.Fatal("Walk: no error")
	}
}

// Through a broker, the variants that fail directly fail too, and the
// shortest counterexample says on which leg. Each is pinned with the
// bounds of the direct case (variants_test.go): property, message, the
// search's counts (its depth is the counterexample's length) and the leg
// whose connection the path breaks; the simulator replays each (its faults
// count packets on one connection: "PUBREC#1 on subscriber").
func TestFailingVariantsThroughTheBroker(t *testing.T) {
	cases := []struct {
		o        Options
		property Property
		msg      int
		want     counts
		leg      string // the node whose connection breaks or crashes, "" if none
	}{
		{Options{Variant: "two-packet-pid", Messages: 2, IDs: 1}, NoLoss, 2, counts{Violated, 65, 137, 9}, ""},
		{Options{Variant: "two-packet-pid-ttl", Messages: 1, Breaks: 1}, NoDuplicate, 1, counts{Violated, 419, 1000, 15}, "break subscriber"},
		{Options{Variant: "two-packet-content", Messages: 2, DistinctPayloads: 1}, NoLoss, 2, counts{Violated, 71, 146, 9}, ""},
		{Options{Variant: "two-packet-msgid", Messages: 2, Crashes: 1, Volatile: true}, NoLoss, 1, counts{Violated, 256, 565, 7}, "crash broker"},
		{Options{Variant: "two-packet-msgid", Messages: 2, Breaks: 1, StoreCap: 1}, NoDuplicate, 1, counts{Violated, 886, 1949, 17}, "break subscriber"},
		{Options{Variant: "two-packet-dup-flag", Messages: 1, Breaks: 1}, NoLoss, 1, counts{Violated, 176, 387, 10}, "break publisher"},
		{Options{Variant: "three-packet", Messages: 2, IDs: 1, Breaks: 1}, NoLoss, 2, counts{Violated, 484, 1109, 13}, "break publisher"},
		{Options{Variant: "qos1", Messages: 1, Breaks: 1}, NoDuplicate, 1, counts{Violated, 225, 488, 14}, "break subscriber"},
		{Options{Variant: "qos0", Messages: 1, Breaks: 1}, NoLoss, 1, counts{Violated, 46, 87, 5}, "break publisher"},
	}
	for _, c := range cases {
		c.o.Topology = sim.Brokered
		r := mustRun(t, c.o)
		v := r.Violation
		if got := r.counts(); got != c.want || v == nil {
			t.Errorf("%s %+v: got %+v, want %+v", c.o.Variant, c.o, got, c.want)
			continue
		}
		if v.Property != c.property || v.Msg != c.msg {
			t.Errorf("%s: got %s, want %s (m%d)", c.o.Variant, v, c.property, c.msg)
		}
		leg := ""
		for _, s := range steps(v) {
			if strings.HasPrefix(s, "break ") || strings.HasPrefix(s, "crash ") {
				leg = s
			}
		}
		if leg != c.leg {
			t.Errorf("%s: the path's fault is %q, want %q", c.o.Variant, leg, c.leg)
		}
		if !v.Reproduced {
			t.Errorf("%s: the replay does not reproduce it: %s", c.o.Variant, v.ReplayNote)
		}
		res, err := sim.Run(v.Replay)
		if err != nil || !showsViolation(res, v.Property, v.Msg) {
			t.Errorf("%s: %s does not show %s: %v", c.o.Variant, v.Replay.Command(), v.Property, err)
		}
	}
}
