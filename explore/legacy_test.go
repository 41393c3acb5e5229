package explore

// The breadth-first search as it was before the parallel engine (one core,
// 128-bit keys in a 20-byte-slot table, the frontier and every fault-free
// edge in the Go heap), kept as the baseline the scale benchmark measures
// the engine against in the same run, and as the reference the equivalence
// tests compare the engine with. It drives the same system (moves, apply,
// interned endpoints), so the comparison is of the search and its store
// alone.

import (
	"fmt"
	"runtime"
	"time"
)

// bfs is one breadth-first search.
type bfs struct {
	x       *system
	seen    *table
	back    []backLink // by state id: how BFS first reached it
	edges   []uint64   // fault-free transitions from<<32|to, for liveness
	goal    []bool     // the state is a liveness goal
	words   []uint64   // the encoding of the successor at hand
	dec     decoder
	moveBuf []move
	batch   []successor // the successors of the states at hand
	batchW  []uint64    // their encodings
	ends    []int       // batch[ends[i-1]:ends[i]] are the successors of the i-th

	res   *Result
	start time.Time
}

func newLegacyBFS(x *system) *bfs {
	return &bfs{x: x, seen: newTable(1 << 12), res: &Result{Options: x.o}}
}

// batchStates is how many states are expanded together.
const batchStates = 8

// successor is one successor of a state being expanded: its key, its
// encoding (batchW[from:to]), the move to it and what the search records
// about it if it is new.
type successor struct {
	k         key
	from, to  int
	parent    uint32
	m         move
	goal      bool
	abandoned bool
	prop      Property
	msg       int
}

// backLink is a state's parent and the move from it.
type backLink struct {
	parent uint32
	via    move
}

// checkEvery is how many new states pass between two looks at the heap
// (and progress reports): ReadMemStats stops the world briefly.
const checkEvery = 1 << 16

// add looks s up and records it if it is new; b.words is its encoding
// afterwards.
func (b *bfs) add(s *state, parent uint32, m move) (uint32, bool) {
	b.words = s.appendWords(b.words[:0], b.x.sh)
	id, fresh := b.seen.insert(hashWords(b.words), uint32(len(b.back)))
	if !fresh {
		return id, false
	}
	b.back = append(b.back, backLink{parent, m})
	b.goal = append(b.goal, b.x.goal(s))
	if s.abandoned != 0 {
		b.res.Abandoned++
	}
	return id, true
}

func (b *bfs) run() *Result {
	x, r := b.x, b.res
	b.start = time.Now()
	defer func() { r.Elapsed = time.Since(b.start); r.States = len(b.back) }()
	init := x.initial()
	initID, _ := b.add(&init, noParent, 0)
	if p, m := x.check(&init); p != 0 {
		r.Verdict, r.Violation = Violated, b.violation(initID, p, m)
		return r
	}
	var cur, next level
	cur.push(b.words, initID)
	var s, n state
	var mem runtime.MemStats
	nextCheck := checkEvery
	for depth := 0; cur.len() > 0; depth++ {
		r.MaxDepth = depth
		if x.o.interrupted() {
			stopInterrupted(r, len(b.back), depth)
			return r
		}
		if x.o.MaxDepth > 0 && depth == x.o.MaxDepth {
			r.Verdict = Incomplete
			r.Stopped = fmt.Sprintf("stopped at depth %d (%d states, the %d at that depth not expanded): no violation in any schedule of up to %d moves",
				depth, len(b.back), cur.len(), depth)
			return r
		}
		for i := 0; i < cur.len(); {
			// The successors of a few states are built and hashed first,
			// and their table slots touched, so that the cache misses of
			// their lookups overlap instead of coming one after the other.
			b.batch, b.batchW, b.ends = b.batch[:0], b.batchW[:0], b.ends[:0]
			for end := min(i+batchStates, cur.len()); i < end; i++ {
				b.dec.decode(&s, cur.get(i), x.sh)
				parent := cur.ids[i]
				b.moveBuf = x.moves(&s, b.moveBuf[:0])
				if x.err != nil {
					return r
				}
				for _, m := range b.moveBuf {
					x.apply(&n, &s, m)
					from := len(b.batchW)
					b.batchW = n.appendWords(b.batchW, x.sh)
					c := successor{k: hashWords(b.batchW[from:]), from: from, to: len(b.batchW), parent: parent, m: m,
						goal: x.goal(&n), abandoned: n.abandoned != 0}
					c.prop, c.msg = x.check(&n)
					b.batch = append(b.batch, c)
				}
				b.ends = append(b.ends, len(b.batch))
			}
			for j := range b.batch {
				b.seen.touch(b.batch[j].k)
			}
			j := 0
			for _, end := range b.ends {
				for ; j < end; j++ {
					c := &b.batch[j]
					r.Transitions++
					id, fresh := b.seen.insert(c.k, uint32(len(b.back)))
					if !c.m.fault() {
						b.edges = append(b.edges, uint64(c.parent)<<32|uint64(id))
					}
					if !fresh {
						continue
					}
					b.back = append(b.back, backLink{c.parent, c.m})
					b.goal = append(b.goal, c.goal)
					if c.abandoned {
						r.Abandoned++
					}
					if c.prop != 0 {
						r.Verdict, r.Violation = Violated, b.violation(id, c.prop, c.msg)
						r.MaxDepth = depth + 1
						return r
					}
					next.push(b.batchW[c.from:c.to], id)
				}
				// Bounds are looked at after each expanded state, as
				// without batches, so that a search stops at the same state.
				if len(b.back) >= nextCheck || len(b.back) >= x.o.MaxStates {
					nextCheck = len(b.back) + checkEvery
					runtime.ReadMemStats(&mem)
					if x.o.Progress != nil {
						x.o.Progress(Progress{States: len(b.back), Transitions: r.Transitions, Depth: depth, HeapBytes: mem.HeapAlloc})
					}
					if x.o.interrupted() {
						stopInterrupted(r, len(b.back), depth)
						return r
					}
					if len(b.back) >= x.o.MaxStates || mem.HeapAlloc > x.o.MaxBytes {
						r.Verdict = Incomplete
						r.Stopped = fmt.Sprintf("stopped at %d states (heap %d MiB): levels 0..%d fully explored, level %d partly; no violation within depth %d",
							len(b.back), mem.HeapAlloc>>20, depth, depth+1, depth)
						return r
					}
				}
			}
		}
		cur.reset()
		cur, next = next, cur
	}
	if id, ok := b.liveness(); !ok {
		r.Verdict, r.Violation = Violated, b.violation(id, Liveness, 0)
		return r
	}
	r.Verdict = Proven
	return r
}

// liveness marks every state from which a fault-free path reaches a goal
// state (backwards over the fault-free edges) and returns the shallowest
// state that cannot.
func (b *bfs) liveness() (uint32, bool) {
	n := len(b.back)
	// Reverse adjacency in CSR form.
	start := make([]uint32, n+1)
	for _, e := range b.edges {
		start[uint32(e)+1]++
	}
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	from := make([]uint32, len(b.edges))
	fill := append([]uint32(nil), start[:n]...)
	for _, e := range b.edges {
		to := uint32(e)
		from[fill[to]] = uint32(e >> 32)
		fill[to]++
	}
	b.edges = nil
	ok := make([]bool, n)
	var queue []uint32
	for id, g := range b.goal {
		if g {
			ok[id] = true
			queue = append(queue, uint32(id))
		}
	}
	for len(queue) > 0 {
		v := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, u := range from[start[v]:start[v+1]] {
			if !ok[u] {
				ok[u] = true
				queue = append(queue, u)
			}
		}
	}
	for id := range ok {
		if !ok[id] {
			return uint32(id), false // ids are in BFS order: the first is a shallowest
		}
	}
	return 0, true
}

// path returns the moves from the initial state to id.
func (b *bfs) path(id uint32) []move {
	var p []move
	for b.back[id].parent != noParent {
		p = append(p, b.back[id].via)
		id = b.back[id].parent
	}
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// violation builds the report for state id of a finished or stopped BFS.
func (b *bfs) violation(id uint32, p Property, msg int) *Violation {
	return b.x.violation(b.path(id), p, msg)
}
