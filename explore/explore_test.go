package explore

import (
	"strings"
	"testing"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

func mustRun(t *testing.T, o Options) *Result {
	t.Helper()
	r, err := Run(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// counts is the pinned size of an explored space: any change to the model
// that alters the reachable states shows up here.
type counts struct {
	verdict            Verdict
	states, trans, max int
}

func (r *Result) counts() counts {
	return counts{r.Verdict, r.States, r.Transitions, r.MaxDepth}
}

// QoS 2 over TCP is exactly-once within these bounds, for both receiver
// methods (MQTT 5.0 section 4.3.3): no duplicate, no loss, always able to
// finish. Both methods reach the same number of states because they differ
// in when they deliver, not in what they hold.
func TestStreamQoS2IsProvenExactlyOnce(t *testing.T) {
	cases := []struct {
		o    Options
		want counts
	}{
		{Options{Messages: 3, Breaks: 2, IDs: 2}, counts{Proven, 1040, 2006, 24}},
		{Options{Messages: 3, Breaks: 3, IDs: 1}, counts{Proven, 574, 1187, 26}},
		{Options{Messages: 3, Breaks: 2, IDs: 2, Crashes: 1}, counts{Proven, 3016, 7625, 26}},
		{Options{Messages: 3, Breaks: 2, IDs: 2, Version: model.V311}, counts{Proven, 974, 1855, 23}}, // no 0x92 reason on a PUBCOMP for an unknown id
		{Options{Messages: 3, Breaks: 2, IDs: 3}, counts{Proven, 1546, 2891, 24}},
		{Options{Messages: 3, Breaks: 2, IDs: 3, ReceiveMax: 1}, counts{Proven, 396, 778, 24}}, // one flow at a time
		{Options{Messages: 3, Breaks: 2, IDs: 3, IDPolicy: model.Sequential}, counts{Proven, 1094, 2127, 24}},
	}
	for _, w := range []int{1, 2, 3} { // the counts do not depend on the workers
		for _, v := range []string{"qos2-a", "qos2-b"} {
			for _, c := range cases {
				c.o.Variant, c.o.Workers = v, w
				r := mustRun(t, c.o)
				if got := r.counts(); got != c.want {
					t.Errorf("%s %+v: got %+v, want %+v", v, c.o, got, c.want)
				}
			}
		}
	}
}

// brokenReceiver is a deliberately wrong QoS 2 receiver for the tests: it
// keeps no packet ids, so it delivers every PUBLISH (forgetful), or it never
// answers a retransmitted PUBLISH (mute), which leaves the sender waiting.
type brokenReceiver struct{ mute bool }

func (r brokenReceiver) Step(c *model.Ctx, in *model.Input, out []model.Output) []model.Output {
	if in.Kind != model.InPacket {
		return out
	}
	switch p := in.Packet; p.Type {
	case model.PUBLISH:
		if r.mute && p.Dup {
			break
		}
		out = model.Deliver(out, p.Msg)
		out = model.Send(out, model.Packet{Type: model.PUBREC, ID: p.ID})
	case model.PUBREL:
		out = model.Send(out, model.Packet{Type: model.PUBCOMP, ID: p.ID})
	}
	return out
}

func (r brokenReceiver) Clone() model.Half             { return r }
func (r brokenReceiver) AppendKey(dst []byte) []byte   { return dst }
func (r brokenReceiver) Pending(dst []string) []string { return dst }
func (r brokenReceiver) Held() int                     { return 0 }

func init() {
	rules := model.SenderRules{QoS: 2, Ack: model.PUBREC, Release: true}
	for _, mute := range []bool{false, true} {
		name := "test-forgetful"
		if mute {
			name = "test-mute"
		}
		model.Register(model.Variant{Name: name, QoS: 2, Description: "broken on purpose (explore tests)",
			NewOutbound: func(c model.Config) model.Half { return model.NewSender(c, rules) },
			NewInbound:  func(model.Config) model.Half { return brokenReceiver{mute: mute} }})
	}
}

func steps(v *Violation) []string {
	var s []string
	for _, st := range v.Steps {
		s = append(s, st.Move)
	}
	return s
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// A receiver without a de-duplication store delivers a retransmitted
// PUBLISH again: one break while PUBREC is in flight (break point 2 of the
// question's answer) is the shortest way there.
func TestForgetfulReceiverGivesAShortestDuplicate(t *testing.T) {
	r := mustRun(t, Options{Variant: "test-forgetful", Messages: 1, Breaks: 1})
	v := r.Violation
	if r.Verdict != Violated || v.Property != NoDuplicate || v.Msg != 1 {
		t.Fatalf("got %s %v", r.Verdict, v)
	}
	sameLines(t, "trace", steps(v), []string{
		"publish m1", "connect", "deliver CONNECT clean=0 to server", "deliver CONNACK sp=0 to client",
		"deliver PUBLISH id=1 q2 m1 to server", "break", "connect", "deliver CONNECT clean=0 to server",
		"deliver CONNACK sp=1 to client", "deliver PUBLISH id=1 q2 dup m1 to server",
	})
	if !v.Reproduced || v.Replay.Faults.String() != "break after-send PUBREC#1 reconnect +1" {
		t.Errorf("replay %q reproduced %v (%s)", v.Replay.Faults, v.Reproduced, v.ReplayNote)
	}
}

// A receiver that never answers a retransmission leaves the sender waiting
// for ever after a break: no safety property fails, liveness does.
func TestMuteReceiverFailsLiveness(t *testing.T) {
	r := mustRun(t, Options{Variant: "test-mute", Messages: 1, Breaks: 1})
	v := r.Violation
	if r.Verdict != Violated || v.Property != Liveness {
		t.Fatalf("got %s %v", r.Verdict, v)
	}
	sameLines(t, "pending", v.Pending, []string{"client: id 1 waiting for PUBREC (m1)"})
	// 52 states, not the 46 of before sessions: the test receiver used to
	// answer every CONNECT with Session Present 1 and keep only "up"; as a
	// half in a Session it answers as MQTT requires, and "no session yet"
	// is a state apart from "session, disconnected".
	if got := r.counts(); got != (counts{Violated, 52, 70, 11}) {
		t.Errorf("counts %+v", got)
	}
}

// Server crash with a volatile session under MQTT 3.1.1: the restarted
// server has forgotten the packet id, the client keeps its session (3.1.1
// lets it), resends PUBLISH, and Method B delivers it again; Method A loses
// the message it stored.
func TestVolatileServerCrashDuplicatesUnder311(t *testing.T) {
	r := mustRun(t, Options{Variant: "qos2-b", Messages: 1, Crashes: 1, Volatile: true, Version: model.V311})
	v := r.Violation
	if v == nil || v.Property != NoDuplicate {
		t.Fatalf("got %s %v", r.Verdict, v)
	}
	sameLines(t, "trace", steps(v), []string{
		"publish m1", "connect", "deliver CONNECT clean=0 to server", "deliver CONNACK sp=0 to client",
		"deliver PUBLISH id=1 q2 m1 to server", "crash server", "restart server", "connect",
		"deliver CONNECT clean=0 to server", "deliver CONNACK sp=0 to client", "deliver PUBLISH id=1 q2 dup m1 to server",
	})
	if !v.Reproduced {
		t.Errorf("replay %s not reproduced: %s", v.Replay.Command(), v.ReplayNote)
	}
	// Method A loses instead: the stored message dies with the server, and
	// the retransmitted PUBREL draws a PUBCOMP that completes the flow.
	a := mustRun(t, Options{Variant: "qos2-a", Messages: 1, Crashes: 1, Volatile: true, Version: model.V311})
	if v := a.Violation; v == nil || v.Property != NoLoss || len(v.Steps) != 13 || !v.Reproduced {
		t.Errorf("qos2-a: got %s %v", a.Verdict, v)
	}
	// MQTT 5.0 makes the client discard its session when the server has
	// none [MQTT-3.2.2-5]: the message is abandoned, never duplicated.
	r5 := mustRun(t, Options{Variant: "qos2-b", Messages: 1, Crashes: 1, Volatile: true})
	if r5.Verdict != Proven || r5.Abandoned == 0 {
		t.Errorf("5.0: %s, %d abandoned states; want proven with abandonment", r5.Verdict, r5.Abandoned)
	}
}

// Datagram duplication with reordering breaks QoS 2 with a single message:
// the late copy of the PUBLISH arrives after PUBREL released the id, so the
// receiver takes it for a new message. Method B delivers at PUBLISH (6
// steps); Method A needs the stale copy's PUBREC to draw a second PUBREL
// before PUBCOMP completes the flow (8 steps).
func TestLateDuplicateAfterRelease(t *testing.T) {
	b := mustRun(t, Options{Variant: "qos2-b", Mode: model.Datagram, Messages: 1, Dups: 1, Reorder: true})
	sameLines(t, "qos2-b", steps(b.Violation), []string{
		"publish m1", "network duplicates PUBLISH id=1 q2 m1 (in flight)", "deliver PUBLISH id=1 q2 m1 to server",
		"deliver PUBREC id=1 to client", "deliver PUBREL id=1 to server", "deliver PUBLISH id=1 q2 m1 to server",
	})
	a := mustRun(t, Options{Variant: "qos2-a", Mode: model.Datagram, Messages: 1, Dups: 1, Reorder: true})
	sameLines(t, "qos2-a", steps(a.Violation), []string{
		"publish m1", "network duplicates PUBLISH id=1 q2 m1 (in flight)", "deliver PUBLISH id=1 q2 m1 to server",
		"deliver PUBREC id=1 to client", "deliver PUBREL id=1 to server", "deliver PUBLISH id=1 q2 m1 to server",
		"deliver PUBREC id=1 to client", "deliver PUBREL id=1 to server",
	})
	for _, r := range []*Result{a, b} {
		v := r.Violation
		res, err := sim.Run(v.Replay)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Reproduced || res.Messages[0].Deliveries != 2 {
			t.Errorf("%s: replay %s delivers m1 %d times", r.Options.Variant, v.Replay.Command(), res.Messages[0].Deliveries)
		}
	}
	if got := a.Violation.Replay.Faults.String(); got != "dup PUBLISH#1 +21; delay PUBCOMP#1 +16" {
		t.Errorf("qos2-a replay faults %q", got)
	}
}

// A random walk finds the same kind of violation, not necessarily a
// shortest one, and without one it proves nothing.
func TestRandomWalks(t *testing.T) {
	r := mustRun(t, Options{Variant: "qos2-b", Mode: model.Datagram, Messages: 2, Dups: 1, Reorder: true, Search: Walk, Seed: 7})
	if r.Verdict != Violated || r.Violation.Property != NoDuplicate {
		t.Fatalf("walk: %s %v", r.Verdict, r.Violation)
	}
	r = mustRun(t, Options{Variant: "qos2-b", Messages: 2, Breaks: 1, Search: Walk, Walks: 200})
	if r.Verdict != Incomplete || !strings.Contains(r.Stopped, "200 walks") {
		t.Fatalf("walk without violation: %s %q", r.Verdict, r.Stopped)
	}
}

// A search that hits its state bound says how far it got and proves nothing.
func TestStateBoundStopsTheSearch(t *testing.T) {
	r := mustRun(t, Options{Variant: "qos2-b", Messages: 3, Breaks: 2, MaxStates: 100})
	if r.Verdict != Incomplete || !strings.Contains(r.Stopped, "fully explored") || r.States < 100 {
		t.Fatalf("got %s after %d states: %q", r.Verdict, r.States, r.Stopped)
	}
}

// A depth bound checks every schedule up to that many moves and no more.
func TestDepthBound(t *testing.T) {
	r := mustRun(t, Options{Variant: "qos2-b", Messages: 3, Breaks: 2, IDs: 2, MaxDepth: 10})
	if r.Verdict != Incomplete || r.MaxDepth != 10 || !strings.Contains(r.Stopped, "up to 10 moves") {
		t.Fatalf("got %s at depth %d: %q", r.Verdict, r.MaxDepth, r.Stopped)
	}
	// The Method A duplicate needs 8 moves: a bound of 8 finds it, 7 does not.
	o := Options{Variant: "qos2-a", Mode: model.Datagram, Messages: 1, Dups: 1, Reorder: true, MaxDepth: 8}
	if r := mustRun(t, o); r.Verdict != Violated {
		t.Errorf("depth 8: %s", r.Verdict)
	}
	o.MaxDepth = 7
	if r := mustRun(t, o); r.Verdict != Incomplete {
		t.Errorf("depth 7: %s", r.Verdict)
	}
}

func TestBadOptionsNameTheField(t *testing.T) {
	cases := map[string]Options{
		"messages 17: allowed 1..16":         {Messages: 17},
		"breaks 1: connection breaks need":   {Mode: model.Datagram, Breaks: 1},
		"per-packet network behaviours need": {Losses: 1},
		`unknown variant "nope"`:             {Variant: "nope"},
	}
	for want, o := range cases {
		if _, err := Run(o); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: error %v, want %q", o, err, want)
		}
	}
}

// The replay's own fault syntax: a duplicate whose copy arrives later.
func TestDupWithDelayedCopyRoundTrips(t *testing.T) {
	s, err := sim.ParseSchedule("dup PUBLISH#1 +21; dup PUBREC#2")
	if err != nil || s.String() != "dup PUBLISH#1 +21; dup PUBREC#2" || s[0].Ticks != 21 {
		t.Fatalf("%v %q", err, s)
	}
}

// Closing Options.Interrupt stops a search where it is: incomplete, marked
// interrupted, saying which levels it explored completely.
func TestInterruptStopsTheSearch(t *testing.T) {
	stop := make(chan struct{})
	calls := 0
	o := Options{Variant: "qos2-b", Messages: 5, Breaks: 4, Crashes: 2, IDs: 3, Interrupt: stop,
		Progress: func(Progress) {
			if calls++; calls == 1 {
				close(stop) // after the first 65,536 states
			}
		}}
	r := mustRun(t, o)
	if r.Verdict != Incomplete || !r.Interrupted || r.States < 1<<16 || r.States >= 1<<17 ||
		!strings.Contains(r.Stopped, "interrupted at") || !strings.Contains(r.Stopped, "fully explored") {
		t.Fatalf("verdict %s, interrupted %v, %d states: %s", r.Verdict, r.Interrupted, r.States, r.Stopped)
	}
	o.Search, o.Progress = Walk, nil
	if r := mustRun(t, o); !r.Interrupted || r.States != 0 {
		t.Fatalf("walk: interrupted %v after %d states: %s", r.Interrupted, r.States, r.Stopped)
	}
}
