package explore

import "sync/atomic"

// liveness marks every state from which a fault-free path reaches a goal
// state and returns the shallowest state that cannot (ids are in BFS
// order: the smallest is a shallowest).
//
// The search keeps the fault-free edges forward, 4 bytes each, in id
// order (see engine.edges), and the goal marks as a bitset. The marks
// spread backwards along the edges: a state is marked once one of its
// successors is. Passes over all edges, alternately from the deepest level
// to the first (which carries marks along edges to deeper states) and from
// the first to the deepest (along edges to shallower ones), read the edges
// in order and the marks (a bit a state, small enough for the cache) at
// random; on the protocols' graphs they settle everything within a few
// passes (seven for the 2.8-million-state search in the tests); after the
// first three, the passes visit only the states still unmarked, each run of
// states keeping a list of them and where their edges are. The workers
// share a pass a level at a time, each taking runs of the level's states
// (marks are set with an atomic OR; a mark seen late only delays the
// fixpoint, never changes it).
// Should the passes not settle after maxPasses, the edges are turned around
// (a reverse graph: 4 bytes a state and 4 an edge more) and the marks
// spread from the marked states, which settles any graph in one go.
func (e *engine[S, M]) liveness() (uint32, bool) {
	n := e.res.states
	e.goals.grow((n + 63) / 64)
	levels := e.passLevels()
	settled := false
	for pass := 0; pass < maxPasses && !settled; pass++ {
		var changed atomic.Bool
		down := pass%2 == 0
		for l := range levels {
			if down {
				l = len(levels) - 1 - l
			}
			runs := levels[l]
			e.parallel(len(runs), func(_ *worker[S, M], i int) {
				r := &runs[i]
				if pass == fullPasses {
					e.collectPending(r)
				}
				if pass >= fullPasses && e.pendingPass(r, down) || pass < fullPasses && e.livenessPass(*r, down) {
					changed.Store(true)
				}
			})
		}
		settled = !changed.Load()
	}
	if !settled {
		e.livenessReverse(n)
	}
	for i := range n {
		if !e.marked(uint32(i)) {
			return uint32(i), false
		}
	}
	return 0, true
}

// maxPasses bounds the passes liveness makes before it turns the edges
// around; the first fullPasses visit every state.
var maxPasses = 32

const fullPasses = 3

// passRun is a run of states and where their edges are, and, from the
// fourth pass on, the run's states still unmarked.
type passRun struct {
	from, to         uint32 // states
	edgeFrom, edgeTo int
	pending          []pendingState
}

// pendingState is a state not yet marked and where its edges are.
type pendingState struct {
	id, n uint32
	edge  int
}

// collectPending lists the states of r still unmarked.
func (e *engine[S, M]) collectPending(r *passRun) {
	id, first := r.from, r.edgeFrom
	for k := r.edgeFrom; k < r.edgeTo; k++ {
		if e.edges.at(k)&lastEdge != 0 {
			if !e.marked(id) {
				r.pending = append(r.pending, pendingState{id: id, n: uint32(k + 1 - first), edge: first})
			}
			id, first = id+1, k+1
		}
	}
}

// pendingPass is livenessPass over r's pending states; it drops those it
// marks, or finds marked.
func (e *engine[S, M]) pendingPass(r *passRun, down bool) bool {
	changed := false
	visit := func(p pendingState) bool {
		if e.marked(p.id) {
			return true
		}
		for k := p.edge; k < p.edge+int(p.n); k++ {
			if t := e.edges.at(k); t != noEdges && e.marked(t&^lastEdge) {
				e.mark(p.id)
				changed = true
				return true
			}
		}
		return false
	}
	ps := r.pending
	if down {
		for i := len(ps) - 1; i >= 0; i-- {
			if visit(ps[i]) {
				ps[i].n = 0 // dropped below
			}
		}
	} else {
		for i := range ps {
			if visit(ps[i]) {
				ps[i].n = 0
			}
		}
	}
	kept := ps[:0]
	for _, p := range ps {
		if p.n > 0 {
			kept = append(kept, p)
		}
	}
	r.pending = kept
	return changed
}

// passLevels cuts each level's states into runs for the workers of a
// pass, at the ends of pieces. A pass takes the levels one after the
// other and the runs of a level at once: most edges lead to the next
// level, so that a level's marks are settled before the level before it
// is looked at, as in a one-core pass.
func (e *engine[S, M]) passLevels() [][]passRun {
	per := max(e.edges.len()/(16*len(e.ws)), 1<<14)
	var levels [][]passRun
	r, k := passRun{}, 0
	for _, end := range e.levelEnds {
		var runs []passRun
		for ; k < end; k++ {
			m := e.edgeMarks[k]
			if m.edge-r.edgeFrom >= per || k == end-1 {
				r.to, r.edgeTo = m.state, m.edge
				if r.to > r.from {
					runs = append(runs, r)
				}
				r = passRun{from: m.state, edgeFrom: m.edge}
			}
		}
		levels = append(levels, runs)
	}
	return levels
}

func (e *engine[S, M]) goalWord(id uint32) *uint64 {
	return &e.goals.c[id/(64*chunkLen)][id/64%chunkLen]
}

func (e *engine[S, M]) marked(id uint32) bool {
	return atomic.LoadUint64(e.goalWord(id))&(1<<(id%64)) != 0
}

func (e *engine[S, M]) mark(id uint32) { atomic.OrUint64(e.goalWord(id), 1<<(id%64)) }

// livenessPass marks the states of run r that have a marked successor, in
// decreasing or increasing id order, and reports whether it marked any.
func (e *engine[S, M]) livenessPass(r passRun, down bool) bool {
	changed := false
	// visit looks at state id, whose edges are ts.
	visit := func(id uint32, ts []uint32) {
		if e.marked(id) {
			return
		}
		for _, t := range ts {
			if t != noEdges && e.marked(t&^lastEdge) {
				e.mark(id)
				changed = true
				return
			}
		}
	}
	// A state's edges may span two chunks: they are gathered in ts.
	var ts []uint32
	if down {
		id := r.to
		for k := r.edgeTo - 1; k >= r.edgeFrom; {
			chunk := e.edges.c[k/chunkLen]
			lo := max(r.edgeFrom, k/chunkLen*chunkLen)
			for ; k >= lo; k-- {
				t := chunk[k%chunkLen]
				if t&lastEdge != 0 && len(ts) > 0 {
					id--
					visit(id, ts)
					ts = ts[:0]
				}
				ts = append(ts, t)
			}
		}
		visit(id-1, ts)
		return changed
	}
	id := r.from
	for k := r.edgeFrom; k < r.edgeTo; {
		chunk := e.edges.c[k/chunkLen]
		hi := min(r.edgeTo, (k/chunkLen+1)*chunkLen)
		for ; k < hi; k++ {
			t := chunk[k%chunkLen]
			ts = append(ts, t)
			if t&lastEdge != 0 {
				visit(id, ts)
				id++
				ts = ts[:0]
			}
		}
	}
	return changed
}

// livenessReverse turns the edges around (in-edges by state, in CSR form)
// and spreads the marks backwards from the marked states.
func (e *engine[S, M]) livenessReverse(n int) {
	// start[t+1] counts, then (summed) ends, the in-edges of t.
	start := alloc[uint32](&e.mem, n+1)
	defer free(&e.mem, start)
	m := 0
	for c := range e.edges.c {
		for _, t := range e.edges.c[c][:min(chunkLen, e.edges.n-c*chunkLen)] {
			if t != noEdges {
				start[t&^lastEdge+1]++
				m++
			}
		}
	}
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	from := alloc[uint32](&e.mem, m)
	defer free(&e.mem, from)
	// Filled from the end, so that start[t+1] ends up at t's first in-edge.
	id := uint32(n)
	for c := len(e.edges.c) - 1; c >= 0; c-- {
		chunk := e.edges.c[c][:min(chunkLen, e.edges.n-c*chunkLen)]
		for k := len(chunk) - 1; k >= 0; k-- {
			t := chunk[k]
			if t&lastEdge != 0 {
				id-- // the last edge of the state before
			}
			if t != noEdges {
				t &^= lastEdge
				start[t+1]--
				from[start[t+1]] = id
			}
		}
	}
	copy(start, start[1:]) // start[t] is t's first in-edge
	start[n] = uint32(m)
	// stack holds marked states whose in-edges are still to be followed.
	stack := alloc[uint32](&e.mem, n)
	defer free(&e.mem, stack)
	q := 0
	for i := range n {
		if e.marked(uint32(i)) {
			stack[q] = uint32(i)
			q++
		}
	}
	for q > 0 {
		q--
		t := stack[q]
		for _, u := range from[start[t]:start[t+1]] {
			if !e.marked(u) {
				e.mark(u)
				stack[q] = u
				q++
			}
		}
	}
}
