package explore

import (
	"slices"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/model"
)

// A shortest counterexample's path, found again by PathOf and walked one
// step at a time, reads as the search's trace and ends in its violation.
func TestStepperWalksCounterexamples(t *testing.T) {
	for _, o := range []Options{
		{Variant: "two-packet-pid", Messages: 2},
		{Variant: "qos1", Messages: 2, Breaks: 1},
		{Variant: "qos2-b", Mode: model.Datagram, Messages: 2, Losses: 1, Dups: 1, Reorder: true},
		{Variant: "two-packet-msgid", Messages: 2, Crashes: 1, Volatile: true},
	} {
		res, err := Run(o)
		if err != nil {
			t.Fatal(err)
		}
		v := res.Violation
		if v == nil {
			t.Fatalf("%s: no violation (%s)", o.Variant, res.Verdict)
		}
		st, err := NewStepper(o)
		if err != nil {
			t.Fatal(err)
		}
		path, err := st.PathOf(v)
		if err != nil {
			t.Fatalf("%s: %v", o.Variant, err)
		}
		p, err := st.Walk(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Steps) != len(v.Steps) {
			t.Fatalf("%s: %d steps, want %d", o.Variant, len(p.Steps), len(v.Steps))
		}
		for i, s := range p.Steps {
			if s.Move != v.Steps[i].Move || !slices.Equal(s.Notes, v.Steps[i].Notes) {
				t.Errorf("%s step %d: %q %v, want %q %v", o.Variant, i+1, s.Move, s.Notes, v.Steps[i].Move, v.Steps[i].Notes)
			}
		}
		failed := false
		for _, pr := range p.Last().Properties {
			if pr.Name == v.Property.String() && !pr.Holds {
				failed = true
			}
		}
		if !failed {
			t.Errorf("%s: the last state shows no %s violation: %+v", o.Variant, v.Property, p.Last().Properties)
		}
	}
}

// The first steps of qos2-b over a stream with one break: the moves
// enabled, what each state holds, and which step sent each packet.
func TestStepperStates(t *testing.T) {
	st, err := NewStepper(Options{Variant: "qos2-b", Messages: 1, Breaks: 1})
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.Walk(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := moveTexts(p.Moves); got != "publish m1 | connect" {
		t.Errorf("initial moves: %s", got)
	}
	// publish, connect, CONNECT, CONNACK: the PUBLISH is in flight, sent at step 4.
	p, err = st.Walk([]int{0, 0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	last := p.Last()
	if len(last.InFlight) != 1 || last.InFlight[0] != (Flight{From: "client", To: "server", Label: "PUBLISH id=1 q2 m1", Sent: 4}) {
		t.Errorf("in flight: %+v", last.InFlight)
	}
	if c := last.Nodes[0]; !c.Connected || !c.Up || c.Session != "connected" || strings.Join(c.Pending, ";") != "id 1 waiting for PUBREC (m1)" {
		t.Errorf("client: %+v", c)
	}
	if got := moveTexts(p.Moves); got != "deliver PUBLISH id=1 q2 m1 to server | break" {
		t.Errorf("moves: %s", got)
	}
	if !p.Moves[1].Fault || p.Moves[0].Fault || p.Moves[0].From != "client" || p.Moves[0].To != "server" {
		t.Errorf("moves: %+v", p.Moves)
	}
	if len(last.FaultsLeft) != 1 || last.FaultsLeft[0] != (Budget{Fault: "break", Left: 1}) {
		t.Errorf("faults left: %+v", last.FaultsLeft)
	}
	// The break loses the PUBLISH sent at step 4.
	p, err = st.Walk([]int{0, 0, 0, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	b := p.Steps[4]
	if b.Move != "break" || len(b.Dropped) != 1 || b.Dropped[0].Sent != 4 || len(b.State.InFlight) != 0 || b.State.Nodes[0].Connected {
		t.Errorf("break: %+v", b)
	}
	if c := b.State.Nodes[0]; c.Session != "not connected" {
		t.Errorf("client after the break: %q", c.Session)
	}
	if q, _ := st.Walk([]int{0, 0}); q.Last().Nodes[0].Session != "transport up; CONNECT/CONNACK still to come" {
		t.Errorf("client before CONNACK: %q", q.Last().Nodes[0].Session)
	}
	if b.State.FaultsLeft[0].Left != 0 {
		t.Errorf("break budget: %+v", b.State.FaultsLeft)
	}
	// The same state by another path: publish after connecting.
	a, _ := st.Walk([]int{0, 0})
	c, _ := st.Walk([]int{1, 0})
	if a.Last().ID != c.Last().ID {
		t.Errorf("publish-connect %s and connect-publish %s differ: %+v / %+v", a.Last().ID, c.Last().ID, a.Last(), c.Last())
	}
	if a.Last().ID == p.Last().ID {
		t.Error("different states share an ID")
	}
}

func TestStepperRefusesBadPaths(t *testing.T) {
	st, _ := NewStepper(Options{Variant: "qos2-b", Messages: 1})
	for _, tc := range []struct {
		path []int
		want string
	}{
		{[]int{2}, "step 1: move 2: allowed 0..1"},
		{[]int{0, -1}, "step 2: move -1: allowed 0..0"},
		{make([]int, MaxPathSteps+1), "at most"},
	} {
		if _, err := st.Walk(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Walk(%v...): %v, want %q", tc.path[:min(3, len(tc.path))], err, tc.want)
		}
	}
	if _, err := NewStepper(Options{Variant: "nope"}); err == nil {
		t.Error("an unknown variant was accepted")
	}
}

func moveTexts(ms []Move) string {
	var s []string
	for i, m := range ms {
		if m.Index != i {
			s = append(s, "INDEX?")
		}
		s = append(s, m.Text)
	}
	return strings.Join(s, " | ")
}
