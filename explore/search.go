package explore

import (
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
		return x.walk(), nil
	}
	if x.o.Project {
		p := newProjection()
		x.obs = p
		r := x.search()
		init := x.initial()
		p.init = [2]string{stateName(x.eps.get(0, init.ep[0])), stateName(x.eps.get(1, init.ep[1]))}
		p.states[0][p.init[0]], p.states[1][p.init[1]] = true, true
		r.machines = p
		return r, nil
	}
	return x.search(), nil
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
	e := newEngine[state](limits{workers: workers, maxStates: x.o.MaxStates, maxDepth: x.o.MaxDepth,
		maxBytes: x.o.MaxBytes, progress: x.o.Progress, interrupt: x.o.Interrupt}, ms)
	defer e.close()
	out := e.run()
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
func (m *stateMachine) decode(s *state, enc []byte) { m.dec.decodeBytes(s, enc, m.o.Messages) }
func (m *stateMachine) encode(dst []byte, s *state) []byte {
	return s.encode(dst, m.o.Messages)
}
func (m *stateMachine) abandoned(s *state) bool { return s.abandoned != 0 }
func (m *stateMachine) fault(mv move) bool      { return mv.fault() }

// check returns the safety property s violates and the message concerned.
func (x *system) check(s *state) (Property, int) {
	for m := 0; m < x.o.Messages; m++ {
		if s.delivered[m] > 1 {
			return NoDuplicate, m + 1
		}
		if s.completed&(1<<m) != 0 && s.delivered[m] == 0 && !x.publishInFlight(s, uint32(m+1)) && !x.cache.stores(s.ep[server], m+1) {
			return NoLoss, m + 1
		}
	}
	return 0, 0
}

// stores reports whether a receiver keeps message ref for a later delivery
// (Method A until PUBREL). Endpoints name the messages they store in their
// Pending lines as "m<ref>", the convention of package model.
func stores(e model.Endpoint, ref int) bool {
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
	for _, id := range s.net[client] {
		if p := x.cache.pkt(id); p.Type == model.PUBLISH && p.Msg.Ref == ref {
			return true
		}
	}
	return false
}

// goal: every message published and its flow ended, nothing in flight.
func (x *system) goal(s *state) bool {
	all := uint16(1)<<x.o.Messages - 1
	return int(s.published) == x.o.Messages && (s.completed|s.abandoned)&all == all &&
		len(s.net[0]) == 0 && len(s.net[1]) == 0
}
