package properties

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

func mustSchedule(t *testing.T, s string) sim.Schedule {
	t.Helper()
	f, err := sim.ParseSchedule(s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A server that forgets its packet ids in a crash (MQTT 3.1.1, where the
// client keeps its session) delivers the resent PUBLISH again; the checker
// points at both deliveries.
func TestNoDuplicatePointsAtBothDeliveries(t *testing.T) {
	res, err := Run(sim.Config{Variant: "qos2-b", Endpoint: model.Config{Volatile: true, Version: model.V311},
		Workload: sim.Workload{Messages: 1}, Faults: mustSchedule(t, "crash server after-recv PUBLISH#1")}, ExactlyOnce)
	var vs Error
	if !errors.As(err, &vs) || len(vs) != 1 {
		t.Fatalf("want one violation, got %v", err)
	}
	v := vs[0]
	if v.Property != "no-duplicate" || v.Kind != Always || v.Msg != 1 || len(v.Events) != 2 {
		t.Fatalf("violation %+v", v)
	}
	for _, i := range v.Events {
		e := res.Trace[i]
		if e.Kind != sim.TDeliver || e.Node != "server" || e.Msg != 1 {
			t.Errorf("trace #%d is %v, want the delivery of m1 at the server", i, e)
		}
	}
	if v.At != res.Trace[v.Events[1]].At {
		t.Errorf("At = %d, want the tick of the second delivery", v.At)
	}
}

// Under MQTT 5.0 the same crash makes the client discard its session and
// abandon the message, telling its application: Method A's stored message
// died with the server, but that is no silent loss. no-loss holds, and the
// message is counted apart, as the explorer counts it.
func TestNoLossCountsAbandonmentApart(t *testing.T) {
	res, err := Run(sim.Config{Variant: "qos2-a", Endpoint: model.Config{Volatile: true},
		Workload: sim.Workload{Messages: 2}, Faults: mustSchedule(t, "crash server after-recv PUBLISH#1")}, NoLoss, NoDuplicate)
	if err != nil {
		t.Fatalf("an abandoned message is not a loss: %v", err)
	}
	if got := res.Tally.Abandoned; got != 2 || res.Messages[0].Fate() != sim.FateAbandoned {
		t.Fatalf("abandoned %d, m1 %v; want both messages abandoned with the session\n%s", got, res.Messages[0].Fate(), res.Trace)
	}
}

// A message whose flow neither completed nor was abandoned when the run
// ended breaks the liveness half of no-loss, delivered or not.
func TestNoLossReportsANeverCompletedMessage(t *testing.T) {
	r := fakeHistory(sim.Config{}, 1, sim.Trace{{Kind: sim.TDeliver, Node: "server", Msg: 1}})
	r.Messages[0].CompletedAt, r.Settled, r.Pending = -1, false, []string{"client: id 1 waiting for PUBCOMP (m1)"}
	vs, err := Check(r, NoLoss)
	if err != nil || len(vs) != 1 || !strings.Contains(vs[0].Detail, "m1 never completed by the end of the run") ||
		strings.Contains(vs[0].Detail, "never delivered") {
		t.Fatalf("got %v, %v; want m1 reported as never completed (it was delivered)", vs, err)
	}
}

// fakeHistory builds a traced result by hand, for checks that the built-in
// variants cannot provoke.
func fakeHistory(cfg sim.Config, msgs int, trace sim.Trace) *sim.Result {
	cfg.Trace = true
	r := &sim.Result{Config: cfg.Normalize(), Trace: trace, Settled: true, PeakHeldEvent: -1}
	for i := range msgs {
		r.Messages = append(r.Messages, sim.MessageStats{Ref: uint32(i + 1), CompletedAt: 0})
	}
	return r
}

func TestNoLossCompletedButNeverDelivered(t *testing.T) {
	res := fakeHistory(sim.Config{}, 2, sim.Trace{
		{At: 30, Kind: sim.TDeliver, Node: "server", Msg: 1},
		{At: 40, Kind: sim.TComplete, Node: "client", Msg: 1},
		{At: 45, Kind: sim.TComplete, Node: "client", Msg: 2},
	})
	vs, err := Check(res, NoLoss)
	if err != nil {
		t.Fatal(err)
	}
	want := []Violation{{Property: "no-loss", Kind: Eventually, Msg: 2, Events: []int{2}, At: 45,
		Detail: "m2 completed by the publisher at #2 (t=45) but never delivered"}}
	if !reflect.DeepEqual(vs, want) {
		t.Fatalf("got %+v\nwant %+v", vs, want)
	}
}

func TestTopicOrder(t *testing.T) {
	trace := sim.Trace{
		{At: 30, Kind: sim.TDeliver, Node: "server", Msg: 2},
		{At: 40, Kind: sim.TDeliver, Node: "server", Msg: 1},
		{At: 50, Kind: sim.TDeliver, Node: "server", Msg: 2}, // a later copy: only first copies count
	}
	vs, _ := Check(fakeHistory(sim.Config{}, 2, trace), TopicOrder)
	if len(vs) != 1 || vs[0].Msg != 1 || !reflect.DeepEqual(vs[0].Events, []int{0, 1}) {
		t.Fatalf("one topic: got %v, want m1 out of order after m2", vs)
	}
	// With two topics m1 and m2 are on different topics: no order between them.
	if vs, _ := Check(fakeHistory(sim.Config{Workload: sim.Workload{Topics: 2}}, 2, trace), TopicOrder); len(vs) != 0 {
		t.Fatalf("two topics: got %v, want none", vs)
	}
	// Datagrams promise no order: the property does not apply.
	dg := sim.Config{Endpoint: model.Config{Mode: model.Datagram}}
	if vs, _ := Check(fakeHistory(dg, 2, trace), TopicOrder); len(vs) != 0 {
		t.Fatalf("datagram: got %v, want the property not to apply", vs)
	}
}

func TestBoundedState(t *testing.T) {
	res := fakeHistory(sim.Config{Endpoint: model.Config{ReceiveMax: 2}}, 5, nil)
	res.PeakHeld, res.PeakHeldAt, res.PeakHeldEvent = 2, 10, -1
	if vs, _ := Check(res, BoundedState); len(vs) != 0 {
		t.Fatalf("at the limit: %v", vs)
	}
	res.PeakHeld, res.PeakHeldAt = 3, 70
	vs, _ := Check(res, BoundedState)
	if len(vs) != 1 || vs[0].At != 70 || !strings.Contains(vs[0].Detail, "held 3 ids/messages at t=70 with Receive Maximum 2") {
		t.Fatalf("over the limit: %v", vs)
	}
}

// The second observation of the answer: after PUBREC the sender sends
// PUBREL, never the payload again.
func TestNoResendAfterPubrec(t *testing.T) {
	pub := &model.Packet{Type: model.PUBLISH, ID: 1, QoS: 2, Msg: model.Message{Ref: 1}}
	dup := *pub
	dup.Dup = true
	rec := &model.Packet{Type: model.PUBREC, ID: 1}
	trace := sim.Trace{
		{At: 0, Kind: sim.TSend, Node: "client", Peer: "server", Packet: pub},
		{At: 20, Kind: sim.TRecv, Node: "client", Peer: "server", Packet: rec},
		{At: 100, Kind: sim.TSend, Node: "client", Peer: "server", Packet: &dup},
	}
	vs, _ := Check(fakeHistory(sim.Config{}, 1, trace), NoResendAfterPubrec)
	if len(vs) != 1 || !reflect.DeepEqual(vs[0].Events, []int{1, 2}) {
		t.Fatalf("got %v, want the resend after PUBREC", vs)
	}
	// A resend before any PUBREC (the PUBREC was lost) is allowed.
	if vs, _ := Check(fakeHistory(sim.Config{}, 1, sim.Trace{trace[0], trace[2]}), NoResendAfterPubrec); len(vs) != 0 {
		t.Fatalf("got %v, want none", vs)
	}
	// QoS 2 over a breaking connection: the four break points of the answer.
	for _, f := range []string{"break after-send PUBLISH#1", "break after-send PUBREC#1", "break after-send PUBREL#1", "break after-send PUBCOMP#1"} {
		if _, err := Run(sim.Config{Variant: "qos2-a", Workload: sim.Workload{Messages: 2}, Faults: mustSchedule(t, f)},
			NoResendAfterPubrec, ExactlyOnce); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestCheckNeedsATrace(t *testing.T) {
	res, err := sim.Run(sim.Config{Variant: "qos2-b"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Check(res, ExactlyOnce); err == nil || !strings.Contains(err.Error(), "set sim.Config.Trace") {
		t.Fatalf("got %v, want an error asking for the trace", err)
	}
}

func TestLookupAndKinds(t *testing.T) {
	for _, p := range All() {
		q, err := Lookup(p.Name)
		if err != nil || q.Name != p.Name || q.Doc == "" {
			t.Errorf("Lookup(%q) = %v, %v", p.Name, q.Name, err)
		}
	}
	if _, err := Lookup("fast"); err == nil || !strings.Contains(err.Error(), "allowed values are no-duplicate") {
		t.Errorf("Lookup(fast): %v", err)
	}
	if ExactlyOnce.Kind != Eventually || len(ExactlyOnce.Parts()) != 2 || NoDuplicate.Kind != Always {
		t.Errorf("kinds: exactly-once %v with %d parts, no-duplicate %v", ExactlyOnce.Kind, len(ExactlyOnce.Parts()), NoDuplicate.Kind)
	}
}
