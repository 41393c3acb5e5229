package explore

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qoslab/qoslab/model"
)

// Verdict is the outcome of a search.
type Verdict uint8

const (
	// Proven: every reachable state within the bounds was visited, no
	// safety property failed and liveness holds.
	Proven Verdict = iota + 1
	// Violated: a property failed; Result.Violation has a shortest trace.
	Violated
	// Incomplete: the search stopped at a state or memory bound (or was a
	// random walk) without finding a violation: nothing is proven.
	Incomplete
)

func (v Verdict) String() string {
	switch v {
	case Proven:
		return "proven"
	case Violated:
		return "violated"
	case Incomplete:
		return "incomplete"
	}
	return "verdict" + strconv.Itoa(int(v))
}

// Property names what failed.
type Property uint8

const (
	// NoDuplicate (always): no message is delivered to the receiving
	// application twice.
	NoDuplicate Property = iota + 1
	// NoLoss (always): a message the sender reported complete has been
	// delivered, or can still be: a PUBLISH carrying it is in flight, or
	// the receiver stores it (Method A until PUBREL). Otherwise no copy of
	// it exists any more and no continuation can deliver it.
	NoLoss
	// Liveness: from every reachable state, a path without
	// further faults (no break, crash, loss or duplication; restarts,
	// reconnects, deliveries, timers and publications allowed) reaches a
	// state where every message is published, every flow has ended
	// (completed or abandoned) and nothing is in flight.
	Liveness
)

var propertyNames = [...]string{"", "no-duplicate", "no-loss", "progress"}

func (p Property) String() string {
	if int(p) < len(propertyNames) {
		return propertyNames[p]
	}
	return "property" + strconv.Itoa(int(p))
}

// Result is what a search found.
type Result struct {
	Options     Options
	Verdict     Verdict
	States      int           // distinct states visited (random walks: states stepped through, not distinct)
	Transitions int           // transitions taken, including those into visited states
	MaxDepth    int           // deepest BFS level reached (moves from the initial state)
	Elapsed     time.Duration //
	// Abandoned is the number of visited states in which the sender has
	// abandoned some message (retry limit, lost session): not a violation
	// of exactly-once, but a message the application was told it lost.
	Abandoned int
	Stopped   string // why an incomplete search stopped
	Workers   int    // the goroutines the search ran on
	// PeakBytes is the most memory the search was seen to hold (its
	// arrays and the Go heap's objects; looked at every 65,536 states).
	PeakBytes uint64
	Violation *Violation
	machines  *projection

	// Interrupted is set when Options.Interrupt stopped the search.
	Interrupted bool
}

// StatesPerSecond is the search throughput.
func (r *Result) StatesPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.States) / r.Elapsed.Seconds()
}

// Run explores o's closed system.
func Run(o Options) (*Result, error) {
	x, err := newSystem(o)
	if err != nil {
		return nil, err
	}
	if x.o.Search == Walk {
		return x.result(x.walk())
	}
	if x.o.Project {
		p := newProjection(x.sh.nodes)
		x.obs = p
		r := x.search()
		init := x.initial()
		for n := range x.sh.nodes {
			p.init[n] = stateName(x.eps.get(n, init.ep[n]))
			p.states[n][p.init[n]] = true
		}
		p.roles = x.roles()
		r.machines = p
		return x.result(r)
	}
	return x.result(x.search())
}

// result is r, or the error that stopped the search.
func (x *system) result(r *Result) (*Result, error) {
	if x.err != nil {
		return nil, x.err
	}
	return r, nil
}

// search runs the breadth-first search on o.Workers workers (one with an
// observer, which sees the steps in order).
func (x *system) search() *Result {
	start := time.Now()
	workers := x.o.Workers
	if x.obs != nil {
		workers = 1
	}
	ms := []*stateMachine{{system: x}}
	for range workers - 1 {
		ms = append(ms, &stateMachine{system: x.fork()})
	}
	e := newEngine[state](limits{maxStates: x.o.MaxStates, maxDepth: x.o.MaxDepth,
		maxBytes: x.o.MaxBytes, progress: x.o.Progress, interrupt: x.o.Interrupt}, ms)
	defer e.close()
	out := e.run()
	if out.err != nil && x.err == nil {
		x.err = out.err
	}
	r := &Result{Options: x.o, Verdict: out.verdict, States: out.states, Transitions: out.transitions,
		MaxDepth: out.maxDepth, Abandoned: out.abandoned, Stopped: out.stopped, Workers: workers}
	if out.verdict == Violated {
		r.Violation = x.violation(x.replayPath(e.path(out.bad)), out.prop, out.msg)
	}
	if out.interrupted {
		stopInterrupted(r, out.states, out.maxDepth)
	}
	r.PeakBytes = max(out.peakBytes, e.bytes())
	r.Elapsed = time.Since(start)
	return r
}

// replayPath turns a path of move indexes into the moves themselves.
func (x *system) replayPath(idx []int) []move {
	s := x.initial()
	x.persist(&s)
	var moves, path []move
	for _, i := range idx {
		moves = x.moves(&s, moves[:0])
		var n state
		x.apply(&n, &s, moves[i])
		x.persist(&n)
		s = n
		path = append(path, moves[i])
	}
	return path
}

// stateMachine is one worker's system as the engine's machine.
type stateMachine struct {
	*system
	dec decoder
}

func (m *stateMachine) initial(s *state)            { *s = m.system.initial() }
func (m *stateMachine) decode(s *state, enc []byte) { m.dec.decodeBytes(s, enc, m.sh) }
func (m *stateMachine) encode(dst []byte, s *state) []byte {
	return s.encode(dst, m.sh)
}
func (m *stateMachine) abandoned(s *state) bool { return s.abandoned != 0 }
func (m *stateMachine) err() error              { return m.system.err }
func (m *stateMachine) fault(mv move) bool      { return mv.fault() }

// check returns the safety property s violates and the message concerned.
// A message its publisher completed must have been delivered, or a copy of
// it must still exist: a PUBLISH carrying it in flight, or a node keeping it
// (a Method A receiver until PUBREL, a broker forwarding it). A message the
// broker had no subscription for is owed to nobody.
func (x *system) check(s *state) (Property, int) {
	kept := x.kept(s)
	for m := 0; m < x.o.Messages; m++ {
		if s.delivered[m] > 1 {
			return NoDuplicate, m + 1
		}
		if s.completed&^s.unrouted&^kept&(1<<m) != 0 && s.delivered[m] == 0 && !x.publishInFlight(s, uint32(m+1)) {
			return NoLoss, m + 1
		}
	}
	return 0, 0
}

// kept is the set of messages some node keeps a copy of (bit m-1).
func (x *system) kept(s *state) uint16 {
	var k uint16
	for n := range x.sh.nodes {
		k |= x.cache.stored(n, s.ep[n])
	}
	return k
}

// stores reports whether an endpoint keeps a copy of message ref for a
// later delivery or retransmission: model.Keeper says so; endpoints that
// cannot tell name the messages they keep in their Pending lines as
// "m<ref>", the convention of package model.
func stores(e model.Endpoint, ref int) bool {
	if k, ok := e.(model.Keeper); ok {
		if kept, known := k.AppendKept(nil); known {
			return slices.Contains(kept, uint32(ref))
		}
	}
	word := "m" + strconv.Itoa(ref)
	for _, l := range e.Pending(nil) {
		for _, f := range strings.Fields(l) {
			if f == word {
				return true
			}
		}
	}
	return false
}

func (x *system) publishInFlight(s *state, ref uint32) bool {
	for d := range x.sh.dirs {
		for _, id := range s.net[d] {
			if p := x.cache.pkt(id); p.Type == model.PUBLISH && p.Msg.Ref == ref {
				return true
			}
		}
	}
	return false
}

// goal: every message published and its flow ended at its publisher,
// nothing in flight, and no broker still forwarding a message.
func (x *system) goal(s *state) bool {
	all := uint16(1)<<x.o.Messages - 1
	if int(s.published) != x.o.Messages || (s.completed|s.abandoned)&all != all {
		return false
	}
	for d := range x.sh.dirs {
		if len(s.net[d]) > 0 {
			return false
		}
	}
	for n, spec := range x.top.layout.Nodes {
		if spec.Broker && x.cache.stored(n, s.ep[n]) != 0 {
			return false
		}
	}
	return true
}

// roles names each node's part, for state machines and diagrams.
func (x *system) roles() []string {
	roles := make([]string, x.sh.nodes)
	for n, spec := range x.top.layout.Nodes {
		var parts []string
		if spec.Publishes {
			parts = append(parts, "publishes")
		}
		if spec.Receives {
			parts = append(parts, "receives")
		}
		if spec.Broker {
			parts = append(parts, "routes")
		}
		roles[n] = spec.Name + " (" + strings.Join(parts, ", ") + ")"
	}
	if x.top.layout.Nodes[0].Name == "client" && len(roles) == 2 && !x.top.layout.Nodes[1].Broker &&
		!x.top.layout.Nodes[1].Publishes {
		roles = []string{"client (sender)", "server (receiver)"} // the question's two parties
	}
	return roles
}
