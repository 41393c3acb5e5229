package explore

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"

	"github.com/qoslab/qoslab/model"
)

// Stepper walks an exploration's state space one move at a time, for an
// interactive explorer (simulate serve) and for step-by-step views of a
// counterexample (package report): the moves enabled in a state, described
// in words, and what each state holds: every node's endpoint state, the
// packets in flight, the faults left and the properties.
//
// A state is addressed by its path: at each step, the index of the move
// taken among the moves enabled there, in the order Path.Moves lists them
// (the search's own fixed order). A Stepper keeps nothing between calls:
// Walk replays a path from the initial state, so the memory a walk takes
// grows with the path's length only, and one Stepper may serve many
// explorations at once.
type Stepper struct {
	o Options
}

// NewStepper checks o (as Run does) and returns a Stepper over its state
// space. The search bounds of o (MaxStates, Search, ...) play no part.
func NewStepper(o Options) (*Stepper, error) {
	x, err := newSystem(o)
	if err != nil {
		return nil, err
	}
	return &Stepper{o: x.o}, nil
}

// Options are the options the Stepper explores, with defaults filled in.
func (st *Stepper) Options() Options { return st.o }

// Nodes names the participants, in the order a sequence diagram draws
// them: the topology's nodes (sim.Layout).
func (st *Stepper) Nodes() []string { return st.o.Topology.Layout().Names() }

// Path is a walk from the initial state: the state it starts from, each
// step taken and the moves enabled at its end.
type Path struct {
	Start StateView
	Steps []PathStep
	Moves []Move // enabled in the last state, Moves[i].Index == i
}

// Last is the state the path ends in.
func (p *Path) Last() StateView {
	if len(p.Steps) == 0 {
		return p.Start
	}
	return p.Steps[len(p.Steps)-1].State
}

// PathStep is one move of a path: the move as a Violation's trace shows
// it, the packets it ended, and the state it led to.
type PathStep struct {
	Step
	// Sent is the step that put the packet on the network, for a move that
	// delivers or loses one (0: it was in flight from the start).
	Sent int
	// Dropped are the packets that were in flight and are gone with this
	// move: a break loses everything on the connection.
	Dropped []Flight
	State   StateView
}

// Move is a move enabled in a state: its index (its address in a path),
// its canonical text ("deliver PUBREC id=1 to client"), whether it is a
// fault, the arrow a sequence diagram draws for it, and what taking it
// causes (deliveries, completions, sends dropped).
type Move struct {
	Index int      `json:"index"`
	Text  string   `json:"text"`
	Fault bool     `json:"fault,omitempty"`
	From  string   `json:"from"`
	To    string   `json:"to,omitempty"`
	Label string   `json:"label,omitempty"`
	Lost  bool     `json:"lost,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

// StateView is what a state holds, in words.
type StateView struct {
	// ID identifies the state's content (endpoints, network, timers,
	// budgets, application progress): two paths to the same state give the
	// same ID.
	ID         string         `json:"id"`
	Nodes      []NodeView     `json:"nodes"`
	InFlight   []Flight       `json:"inFlight"`
	FaultsLeft []Budget       `json:"faultsLeft"`
	Messages   []MessageView  `json:"messages"`
	Properties []PropertyView `json:"properties"`
}

// NodeView is one node's endpoint: whether the node runs and its
// connection is up, its pending business (flows in progress, ids and
// messages held), how many ids or messages it holds for received
// messages, and its armed timers.
type NodeView struct {
	Name      string `json:"name"`
	Up        bool   `json:"up"`
	Connected bool   `json:"connected"`
	// Session is the connection in words: down, not connected, the
	// transport up with the CONNECT/CONNACK exchange still to come, or the
	// MQTT connection up.
	Session string   `json:"session"`
	Pending []string `json:"pending"`
	Held    int      `json:"held"`
	Timers  []string `json:"timers"`
}

// Flight is a packet on the network, from one node to another, and the
// step that sent it (0: before the first step).
type Flight struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Label string `json:"label"`
	Sent  int    `json:"sent"`
}

// Budget is how many faults of one kind may still happen.
type Budget struct {
	Fault string `json:"fault"` // "break", "crash", "lose", "dup"
	Left  int    `json:"left"`
}

// MessageView is one application message's progress: whether it was
// published, how often the receiving application got it, and whether the
// sender's flow for it completed or was abandoned.
type MessageView struct {
	Msg       int  `json:"msg"`
	Published bool `json:"published"`
	Delivered int  `json:"delivered"`
	Completed bool `json:"completed"`
	Abandoned bool `json:"abandoned"`
}

// PropertyView is the verdict of one property in one state. Goal is not a
// property that can fail: it says whether the run is finished (every
// message published and its flow ended, nothing in flight).
type PropertyView struct {
	Name   string `json:"name"`
	Holds  bool   `json:"holds"`
	Detail string `json:"detail"`
}

// MaxPathSteps bounds the paths a Stepper walks, so that a request for a
// path costs bounded time and memory.
const MaxPathSteps = 10_000

// Walk replays path from the initial state. The error names the first
// step whose index is not that of an enabled move.
func (st *Stepper) Walk(path []int) (*Path, error) {
	if len(path) > MaxPathSteps {
		return nil, fmt.Errorf("path of %d steps: at most %d", len(path), MaxPathSteps)
	}
	x, _ := newSystem(st.o)
	s := x.initial()
	x.persist(&s)
	moves := make([]move, 0, len(path))
	w := &walker{x: x}
	w.sends(&s, 0)
	p := &Path{Start: w.view(&s)}
	var enabled []move
	for i, k := range path {
		enabled = x.moves(&s, enabled[:0])
		if x.err != nil {
			return nil, x.err
		}
		if k < 0 || k >= len(enabled) {
			return nil, fmt.Errorf("step %d: move %d: allowed 0..%d (the moves enabled there)", i+1, k, len(enabled)-1)
		}
		m := enabled[k]
		moves = append(moves, m)
		ps := PathStep{}
		ps.Sent, ps.Dropped = w.track(&s, m, i+1)
		var n state
		x.apply(&n, &s, m)
		x.persist(&n)
		s = n
		w.sends(&s, i+1)
		ps.State = w.view(&s)
		p.Steps = append(p.Steps, ps)
	}
	if len(path) > 0 {
		t, _ := x.trace(moves)
		for i := range p.Steps {
			p.Steps[i].Step = t.steps[i]
		}
	}
	enabled = x.moves(&s, enabled[:0])
	if x.err != nil {
		return nil, x.err
	}
	for i, m := range enabled {
		t, _ := x.trace(append(moves, m))
		last := t.steps[len(t.steps)-1]
		p.Moves = append(p.Moves, Move{Index: i, Text: last.Move, Fault: last.Fault, From: last.From, To: last.To,
			Label: last.Label, Lost: last.Lost, Notes: last.Notes})
	}
	return p, nil
}

// walker follows the copies of the packets in flight along a walk, to
// say which step sent the packet a move delivers or loses.
type walker struct {
	x    *system
	sent [maxDirs][]flightRec // parallel to the state's queues
}

type flightRec struct {
	pkt  pktID
	sent int
}

// track notes what move m, about to be taken from s at step n, takes off
// the network.
func (w *walker) track(s *state, m move, n int) (sent int, dropped []Flight) {
	d, i := m.side(), m.idx()
	switch m.kind() {
	case mvDeliver, mvLose:
		r := w.sent[d][i]
		w.sent[d] = slices.Delete(w.sent[d], i, i+1)
		return r.sent, nil
	case mvDup:
		w.sent[d] = slices.Insert(w.sent[d], i+1, w.sent[d][i])
	case mvBreak:
		dropped = w.drop(s, d, dropped)
	case mvCrash:
		if w.x.stream {
			for _, l := range w.x.top.conns[d] {
				dropped = w.drop(s, l, dropped)
			}
		}
	}
	return 0, dropped
}

// drop takes what is in flight on connection l off the network, if it is
// up: a break loses it.
func (w *walker) drop(s *state, l int, dropped []Flight) []Flight {
	if !w.x.stream || !s.linkUp[l] {
		return dropped
	}
	for d := 2 * l; d < 2*l+2; d++ {
		for _, r := range w.sent[d] {
			dropped = append(dropped, w.flight(d, r))
		}
		w.sent[d] = nil
	}
	return dropped
}

// sends matches the queues of s after step n with the copies followed:
// a packet not among them was sent at step n. A send keeps the order of
// what was in flight (appended, or inserted into a sorted multiset).
func (w *walker) sends(s *state, n int) {
	for d := range w.x.sh.dirs {
		old, q := w.sent[d], s.net[d]
		next := make([]flightRec, 0, len(q))
		j := 0
		for _, p := range q {
			if j < len(old) && old[j].pkt == p {
				next = append(next, old[j])
				j++
				continue
			}
			next = append(next, flightRec{pkt: p, sent: n})
		}
		w.sent[d] = next
	}
}

func (w *walker) flight(d int, r flightRec) Flight {
	top := &w.x.top
	to, _ := top.receiver(d)
	return Flight{From: top.name(top.sender(d)), To: top.name(to), Label: w.x.eps.pkts[r.pkt].Label(), Sent: r.sent}
}

// view describes s.
func (w *walker) view(s *state) StateView {
	x := w.x
	v := StateView{ID: w.id(s)}
	for side := range x.sh.nodes {
		ep := x.eps.get(side, s.ep[side])
		up := w.connected(s, side)
		nv := NodeView{Name: x.top.name(side), Up: !s.down[side], Connected: up && !s.down[side],
			Pending: ep.Pending(nil), Held: ep.Held()}
		nv.Session = session(ep, s, side, up)
		for _, t := range s.timers[side] {
			nv.Timers = append(nv.Timers, t.String())
		}
		v.Nodes = append(v.Nodes, nv)
	}
	for d := range x.sh.dirs {
		for _, r := range w.sent[d] {
			v.InFlight = append(v.InFlight, w.flight(d, r))
		}
	}
	budgets := []struct {
		name        string
		left, given int
	}{{"break", int(s.breaks), x.o.Breaks}, {"crash", int(s.crashes), x.o.Crashes},
		{"lose", int(s.losses), x.o.Losses}, {"dup", int(s.dups), x.o.Dups}}
	for _, b := range budgets {
		if b.given > 0 {
			v.FaultsLeft = append(v.FaultsLeft, Budget{Fault: b.name, Left: b.left})
		}
	}
	for m := range x.o.Messages {
		v.Messages = append(v.Messages, MessageView{Msg: m + 1, Published: int(s.published) > m,
			Delivered: int(s.delivered[m]), Completed: s.completed&(1<<m) != 0, Abandoned: s.abandoned&(1<<m) != 0})
	}
	v.Properties = w.properties(s)
	return v
}

// connected reports whether every connection of node is up.
func (w *walker) connected(s *state, node int) bool {
	for _, l := range w.x.top.conns[node] {
		if !s.linkUp[l] {
			return false
		}
	}
	return true
}

// session says how far side's connection is: the endpoint knows whether
// its MQTT connection is up (model.Session.Connected), the network whether
// the transport is.
func session(ep model.Endpoint, s *state, side int, linkUp bool) string {
	switch {
	case s.down[side]:
		return "down: the node crashed"
	case !linkUp:
		return "not connected"
	}
	if c, ok := ep.(interface{ Connected() bool }); ok && !c.Connected() {
		return "transport up; CONNECT/CONNACK still to come"
	}
	return "connected"
}

// properties judges s by the search's own safety check, which reports the
// first property violated.
func (w *walker) properties(s *state) []PropertyView {
	p, msg := w.x.check(s)
	which := ""
	if msg > 0 {
		which = "m" + strconv.Itoa(msg)
	}
	dup := PropertyView{Name: NoDuplicate.String(), Holds: p != NoDuplicate, Detail: "no message delivered twice"}
	loss := PropertyView{Name: NoLoss.String(), Holds: p != NoLoss, Detail: "every completed message delivered, or still deliverable"}
	switch p {
	case NoDuplicate:
		dup.Detail = which + " delivered more than once"
		loss.Detail = "not judged: no-duplicate failed first"
	case NoLoss:
		loss.Detail = which + " completed at the sender, never delivered, and no copy of it is left"
	}
	goal := PropertyView{Name: "finished", Holds: w.x.goal(s), Detail: "every message published and its flow ended, nothing in flight"}
	if !goal.Holds {
		goal.Detail = "not yet: " + goal.Detail
	}
	return []PropertyView{dup, loss, goal}
}

// id hashes what s holds, with the endpoints and packets by their
// canonical encodings rather than by the ids one walk interned them
// under.
func (w *walker) id(s *state) string {
	x := w.x
	c := *s
	c.ep, c.net = [maxNodes]uint32{}, [maxDirs][]pktID{}
	b := c.encode(nil, x.sh)
	for side := range x.sh.nodes {
		b = x.eps.get(side, s.ep[side]).AppendKey(b)
		b = append(b, 0xff)
	}
	for d := range x.sh.dirs {
		for _, p := range s.net[d] {
			b = appendPacket(b, &x.eps.pkts[p])
		}
		b = append(b, 0xfe)
	}
	h := fnv.New64a()
	h.Write(b)
	return fmt.Sprintf("%016x", h.Sum64())
}

// PathOf finds the path of a violation that a search with the Stepper's
// options reported: the move indexes whose texts and consequences are its
// steps'. Where two enabled moves read alike it tries each, and it accepts
// a path whose last state shows the violated safety property (any path
// for a liveness violation).
func (st *Stepper) PathOf(v *Violation) ([]int, error) {
	if len(v.Steps) > MaxPathSteps {
		return nil, fmt.Errorf("violation of %d steps: at most %d", len(v.Steps), MaxPathSteps)
	}
	x, _ := newSystem(st.o)
	s := x.initial()
	x.persist(&s)
	var path []int
	if st.match(x, s, nil, &path, v) {
		return path, nil
	}
	return nil, fmt.Errorf("no path of the explorer's moves reads as the %d steps of %s", len(v.Steps), v)
}

// match extends moves (taken from the initial state, leading to s) by the
// remaining steps of v, depth first.
func (st *Stepper) match(x *system, s state, moves []move, path *[]int, v *Violation) bool {
	n := len(moves)
	if n == len(v.Steps) {
		if v.Property == Liveness {
			return true
		}
		p, msg := x.check(&s)
		return p == v.Property && msg == v.Msg
	}
	want := v.Steps[n]
	for k, m := range x.moves(&s, nil) {
		t, _ := x.trace(append(moves, m))
		got := t.steps[n]
		if got.Move != want.Move || got.Lost != want.Lost || !slices.Equal(got.Notes, want.Notes) {
			continue
		}
		var next state
		x.apply(&next, &s, m)
		x.persist(&next)
		*path = append(*path, k)
		if st.match(x, next, append(moves[:n:n], m), path, v) {
			return true
		}
		*path = (*path)[:n]
	}
	return false
}
