package explore

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// workerCounts are the worker counts every equivalence test runs with.
var workerCounts = []int{1, 2, 3, 4, 7}

// smallPieces makes the engine cut levels into pieces of n states for the
// duration of a test, so that small searches cross many piece and block
// boundaries.
func smallPieces(t *testing.T, n int) {
	old := pieceStates
	pieceStates = n
	t.Cleanup(func() { pieceStates = old })
}

// equivalenceCases are searches of every kind: proven, violated (safety
// and liveness, at the start, mid-level), stopped at a state or depth
// bound, stream and datagram, with crashes and volatile sessions.
func equivalenceCases() []Options {
	cases := []Options{
		{Variant: "qos2-b", Messages: 3, Breaks: 2, IDs: 2},
		{Variant: "qos2-a", Messages: 3, Breaks: 2, IDs: 2, Crashes: 1},
		{Variant: "qos2-b", Messages: 3, Breaks: 2, IDs: 3, IDPolicy: model.Sequential},
		{Variant: "qos2-a", Messages: 3, Breaks: 2, IDs: 2, Version: model.V311},
		{Variant: "qos2-b", Messages: 4, Breaks: 3, Crashes: 1, IDs: 2},
		{Variant: "test-forgetful", Messages: 1, Breaks: 1},
		{Variant: "test-mute", Messages: 1, Breaks: 1},
		{Variant: "test-mute", Messages: 3, Breaks: 2, IDs: 2},
		{Variant: "qos2-b", Messages: 1, Crashes: 1, Volatile: true, Version: model.V311},
		{Variant: "qos2-a", Messages: 2, Crashes: 1, Volatile: true, Version: model.V311, IDs: 2},
		{Variant: "two-packet-pid", Messages: 2, IDs: 1},
		{Variant: "two-packet-pid-ttl", Messages: 1, Breaks: 1, TTLTicks: 1000},
		{Variant: "two-packet-msgid", Messages: 2, Breaks: 1, StoreCap: 1},
		{Variant: "qos1", Messages: 2, Breaks: 1},
		{Variant: "qos2-b", Messages: 3, Breaks: 2, MaxStates: 100},
		{Variant: "qos2-b", Messages: 3, Breaks: 2, MaxStates: 5},
		{Variant: "qos2-b", Messages: 4, Breaks: 3, Crashes: 1, IDs: 2, MaxStates: 5000},
		{Variant: "qos2-b", Messages: 3, Breaks: 2, IDs: 2, MaxDepth: 10},
		// Every topology, and branching over permitted choices.
		{Variant: "qos2-b", Messages: 3, Breaks: 2, IDs: 2, Choices: model.AllChoices},
		{Variant: "qos2-b", Topology: sim.Brokered, Messages: 2, Breaks: 1, IDs: 2, IDPolicy: model.AnyFree, Choices: model.AllChoices},
		{Variant: "qos2-a", Topology: sim.Duplex, Messages: 2, Breaks: 1, IDs: 2},
		{Variant: "qos2-b", Topology: sim.Self, Messages: 2, Breaks: 1, Crashes: 1, Volatile: true, CleanStart: true},
		{Variant: "shared-id-table", Topology: sim.Duplex, Messages: 2},
		{Variant: "shared-id-table", Topology: sim.Pair, Messages: 2, Breaks: 1},
	}
	for _, v := range []string{"qos2-a", "qos2-b"} {
		for _, n := range Networks() {
			cases = append(cases, n.Options(Options{Variant: v, Messages: 2, IDs: 1}))
		}
		cases = append(cases, Options{Variant: v, Mode: model.Datagram, Messages: 3, IDs: 2, Losses: 1, Dups: 1, Reorder: true, EarlyTimers: true})
	}
	return cases
}

// summary is everything about a result that must not depend on the
// engine or the number of workers.
type summary struct {
	Verdict                                  Verdict
	States, Transitions, MaxDepth, Abandoned int
	Stopped                                  string
	Property                                 Property
	Msg                                      int
	Steps, Pending                           []string
	Replay                                   string
}

var memoryFigure = regexp.MustCompile(`\((heap|memory) \d+ MiB\)`)

func summarize(r *Result) summary {
	s := summary{Verdict: r.Verdict, States: r.States, Transitions: r.Transitions, MaxDepth: r.MaxDepth,
		Abandoned: r.Abandoned, Stopped: memoryFigure.ReplaceAllString(r.Stopped, "(memory)")}
	if v := r.Violation; v != nil {
		s.Property, s.Msg, s.Steps, s.Pending, s.Replay = v.Property, v.Msg, steps(v), v.Pending, v.Replay.Command()
	}
	return s
}

// The parallel engine gives the previous one-core search's outcome on any
// number of workers: the same verdict, state and transition counts, depth,
// abandoned count, the same shortest counterexample step by step, and a
// bounded search stops at the same state.
func TestWorkersGiveTheOneCoreOutcome(t *testing.T) {
	smallPieces(t, 7)
	for _, o := range equivalenceCases() {
		x, err := newSystem(o)
		if err != nil {
			t.Fatal(err)
		}
		want := summarize(newLegacyBFS(x).run())
		for _, w := range workerCounts {
			o.Workers = w
			got := summarize(mustRun(t, o))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%+v on %d workers:\ngot  %+v\nwant %+v", o, w, got, want)
			}
		}
	}
}

// The pinned searches of the other tests, at the default piece size, on
// every worker count.
func TestPinnedCountsOnEveryWorkerCount(t *testing.T) {
	for _, w := range workerCounts {
		for _, c := range []struct {
			o    Options
			want counts
		}{
			{Options{Messages: 3, Breaks: 2, IDs: 2}, counts{Proven, 1040, 2006, 24}},
			{Options{Messages: 3, Breaks: 2, IDs: 2, Crashes: 1}, counts{Proven, 3016, 7625, 26}},
			{benchOptions, counts{Proven, 83086, 269288, 0}},
			{Options{Variant: "qos2-b", Mode: model.Datagram, Messages: 4, IDs: 2, Losses: 2, Dups: 2}, counts{Proven, 56093, 187023, 0}},
			{Options{Variant: "test-mute", Messages: 1, Breaks: 1}, counts{Violated, 52, 70, 11}},
		} {
			if testing.Short() && c.want.states > 10_000 {
				continue // the race detector's run: the small ones suffice
			}
			c.o.Workers = w
			got := mustRun(t, c.o).counts()
			if c.want.max == 0 {
				got.max = 0 // not pinned
			}
			if got != c.want {
				t.Errorf("%+v: got %+v, want %+v", c.o, got, c.want)
			}
		}
	}
}

// graph is a machine over a made-up graph, for the engine alone: node v
// has up to three successors chosen by a hash, some of them faults; some
// nodes are goals, some are abandoned, and one may violate safety. The
// edges go anywhere, backwards included, unlike the protocol's.
type graph struct {
	nodes    uint32
	bad      uint32 // the node that violates safety (nodes: none)
	goalMod  uint32
	deadEnds bool   // nodes ≡ 5 mod 11 have no successors (liveness fails)
	home     bool   // move 0 leads from v to v/2, towards the goal 0
	fan      uint32 // up to this many moves a node (default 3)
}

func (g *graph) hash(v, j uint32) uint32 {
	h := uint64(v)*0x9e3779b97f4a7c15 + uint64(j)*0xbf58476d1ce4e5b9
	h ^= h >> 29
	h *= 0x94d049bb133111eb
	return uint32(h >> 32)
}

func (g *graph) initial(s *uint32)            { *s = 0 }
func (g *graph) decode(s *uint32, enc []byte) { *s = binary.LittleEndian.Uint32(enc) }
func (g *graph) encode(dst []byte, s *uint32) []byte {
	return binary.LittleEndian.AppendUint32(dst, *s)
}
func (g *graph) moves(s *uint32, dst []move) []move {
	if g.deadEnds && *s%11 == 5 {
		return dst
	}
	fan := g.fan
	if fan == 0 {
		fan = 3
	}
	for j := range g.hash(*s, 99)%fan + 1 {
		dst = append(dst, move(j))
	}
	return dst
}
func (g *graph) apply(n, s *uint32, m move) {
	if g.home && m == 0 {
		*n = *s / 2
		return
	}
	*n = g.hash(*s, uint32(m)) % g.nodes
}
func (g *graph) fault(m move) bool        { return m == 2 }
func (g *graph) goal(s *uint32) bool      { return *s%g.goalMod == 0 }
func (g *graph) abandoned(s *uint32) bool { return *s%13 == 1 }
func (g *graph) err() error               { return nil }
func (g *graph) check(s *uint32) (Property, int) {
	if *s == g.bad {
		return NoDuplicate, 1
	}
	return 0, 0
}

// reference is a plain breadth-first search over g with maps, and the
// liveness check by fixpoint: what the engine must agree with.
func (g *graph) reference(maxStates int) (o outcome, path []int) {
	ids := map[uint32]uint32{0: 0}
	order := []uint32{0}
	parent, via := []uint32{noParent}, []int{0}
	var edges [][2]uint32
	o.states = 1
	if g.abandoned(new(uint32)) {
		o.abandoned++
	}
	var ms []move
	for i := 0; i < len(order); i++ {
		s := order[i]
		ms = g.moves(&s, ms[:0])
		for j, m := range ms {
			var n uint32
			g.apply(&n, &s, m)
			o.transitions++
			id, seen := ids[n]
			if !seen {
				id = uint32(len(order))
				ids[n] = id
				order = append(order, n)
				parent, via = append(parent, uint32(i)), append(via, j)
				o.states++
				if g.abandoned(&n) {
					o.abandoned++
				}
				if p, _ := g.check(&n); p != 0 {
					o.verdict, o.bad = Violated, id
					for k := id; parent[k] != noParent; k = parent[k] {
						path = append([]int{via[k]}, path...)
					}
					return o, path
				}
			}
			if !g.fault(m) {
				edges = append(edges, [2]uint32{uint32(i), id})
			}
		}
		if o.states >= maxStates {
			o.verdict = Incomplete
			return o, nil
		}
	}
	ok := make([]bool, len(order))
	for i, s := range order {
		ok[i] = g.goal(&s)
	}
	for changed := true; changed; {
		changed = false
		for _, e := range edges {
			if ok[e[1]] && !ok[e[0]] {
				ok[e[0]], changed = true, true
			}
		}
	}
	for i := range ok {
		if !ok[i] {
			o.verdict, o.bad = Violated, uint32(i)
			return o, nil
		}
	}
	o.verdict = Proven
	return o, nil
}

// The engine agrees with a plain search on graphs the protocol does not
// make: edges backwards and within a level, states reached by many paths
// in one block, liveness failing at dead ends, a violation mid-level, and
// a state bound.
func TestEngineOnMadeUpGraphs(t *testing.T) {
	cases := []struct {
		g         graph
		maxStates int
	}{
		{graph{nodes: 5000, bad: 5000, goalMod: 7, home: true}, 1 << 30},                 // proven
		{graph{nodes: 5000, bad: 5000, goalMod: 7, home: true, deadEnds: true}, 1 << 30}, // liveness fails
		{graph{nodes: 5000, bad: 5000, goalMod: 7}, 1 << 30},                             // liveness fails
		{graph{nodes: 20000, bad: 12345, goalMod: 3}, 1 << 30},                           // safety fails
		{graph{nodes: 20000, bad: 20000, goalMod: 3}, 777},                               // state bound
		{graph{nodes: 30, bad: 30, goalMod: 2, home: true}, 1 << 30},
		{graph{nodes: 100000, bad: 71830, goalMod: 3, fan: 600}, 1 << 30}, // its parent is reached by move 256
	}
	defer func(n int) { maxPasses = n }(maxPasses)
	for _, pieces := range []int{1, 5, 4096} {
		smallPieces(t, pieces)
		// Liveness by passes, by the reverse graph alone, and by both.
		maxPasses = map[int]int{1: 0, 5: 1, 4096: 32}[pieces]
		for _, c := range cases {
			want, wantPath := c.g.reference(c.maxStates)
			for _, w := range workerCounts {
				ms := make([]*graph, w)
				for i := range ms {
					g := c.g
					ms[i] = &g
				}
				e := newEngine[uint32](limits{maxStates: c.maxStates, maxBytes: 1 << 40}, ms)
				got := *e.run()
				var path []int
				if got.verdict == Violated && got.prop != Liveness {
					path = e.path(got.bad)
				}
				e.close()
				got.stopped, got.maxDepth, got.prop, got.msg, got.peakBytes = "", 0, 0, 0, 0
				if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(path) != fmt.Sprint(wantPath) {
					t.Errorf("%+v, max %d, pieces of %d, %d workers, %d liveness passes:\ngot  %+v %v\nwant %+v %v", c.g, c.maxStates, pieces, w, maxPasses, got, path, want, wantPath)
				}
			}
		}
	}
}

// A step with more permitted outcomes than a move can name stops the
// search with an error, whichever worker met it.
func TestTooManyOutcomesStopsEveryWorkerCount(t *testing.T) {
	for _, w := range workerCounts {
		_, err := Run(Options{Messages: 6, IDs: 40, IDPolicy: model.AnyFree, Choices: model.AllChoices, Workers: w})
		if err == nil || !strings.Contains(err.Error(), "more than 4096 permitted outcomes") {
			t.Errorf("%d workers: %v", w, err)
		}
	}
}

// Beyond --max-mem the search stops cleanly at the next look at its
// memory (every 65,536 states) and says which levels it explored
// completely; a progress report says how much it holds.
func TestMemoryBoundStopsTheSearch(t *testing.T) {
	var held uint64
	o := benchOptions
	o.MaxBytes = 1
	o.Progress = func(p Progress) { held = p.HeapBytes }
	r := mustRun(t, o)
	if r.Verdict != Incomplete || !strings.Contains(r.Stopped, "MiB): levels 0..") || !strings.Contains(r.Stopped, "fully explored") ||
		r.States < reportEvery || r.States > 2*reportEvery || held == 0 {
		t.Fatalf("%s after %d states, %d bytes held: %q", r.Verdict, r.States, held, r.Stopped)
	}
}
