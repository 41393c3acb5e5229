package explore

import (
	"fmt"
	"runtime/metrics"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// machine is one worker's handle on the system the search explores: the
// engine knows states only as their encodings and moves only by their
// index among a state's enabled moves, so that a new kind of system (more
// nodes, more links, choices to branch over) needs no change here. Each
// worker has its own machine; what machines share (interned endpoints,
// remembered steps) they must share safely.
type machine[S any] interface {
	initial(s *S)
	// decode sets s to the state encode wrote as enc.
	decode(s *S, enc []byte)
	// moves appends the moves enabled in s, always in the same order.
	moves(s *S, dst []move) []move
	// apply sets n to the successor of s under m.
	apply(n, s *S, m move)
	// encode appends the canonical encoding of s: equal states, and only
	// they, have equal encodings.
	encode(dst []byte, s *S) []byte
	// check returns the safety property s violates and the message
	// concerned (0 when none is).
	check(s *S) (Property, int)
	// goal reports whether s is a state liveness asks every state to be
	// able to reach without faults.
	goal(s *S) bool
	// abandoned reports whether s is counted in Result.Abandoned.
	abandoned(s *S) bool
	// fault reports whether m is a fault (left out of liveness paths).
	fault(m move) bool
	// err is what stops the search when the system cannot go on (a step
	// with more outcomes than a move can name), or nil.
	err() error
}

// limits are the bounds of one search.
type limits struct {
	maxStates int
	maxDepth  int
	maxBytes  uint64
	progress  func(Progress)
	interrupt <-chan struct{} // closed: stop where the search is
}

// outcome is what the engine found; search.go turns it into a Result.
type outcome struct {
	verdict                                  Verdict
	states, transitions, maxDepth, abandoned int
	stopped                                  string
	bad                                      uint32 // Violated: the state
	prop                                     Property
	msg                                      int
	peakBytes                                uint64
	interrupted                              bool
	err                                      error // a machine's: the search stopped
}

// engine is a breadth-first search on every core whose outcome does not
// depend on the number of workers: the same states get the same ids, the
// same parents and the same counts as on one core, and it stops where a
// one-core search stops.
//
// A level (the states at one distance from the start, in id order) is
// expanded a block of states at a time, in phases with a barrier between
// them:
//
//  1. expand: the block is cut into pieces of consecutive states, and
//     workers take pieces: decode each state, build, encode and hash its
//     successors (records, in move order), check them, and route each
//     record to the owner of its table shard.
//  2. insert: each owner looks up its records in its shards, pieces in
//     order, so that of the records with one fingerprint the first in
//     one-core order finds the slot free and claims it: it is fresh, the
//     others are duplicates of it or of a state of an earlier block.
//  3. (one goroutine) count: the ids of each piece's fresh states follow
//     from the counts; the first fresh violating record and the state
//     bound are looked for here, in one-core order.
//  4. number: each piece gives its fresh states their ids, writes them into
//     the table, and keeps their encodings (the next level), parent links
//     and goal marks.
//  5. link: each piece writes the fault-free edges of its states, for the
//     liveness check.
//  6. (one goroutine) commit the pieces' output in order.
type engine[S any, M machine[S]] struct {
	lim    limits
	ws     []*worker[S, M]
	owners int // table shard owners: shard i is owner i % owners's
	mem    memory
	seen   *visited
	// parent, via: by state id, the state it was first reached from and
	// the index of the move (moves ≥ 255 are in viaBig).
	parent chunks[uint32]
	via    chunks[uint8]
	viaBig map[uint32]int
	goals  chunks[uint64] // bit per state: a liveness goal
	// edges: the fault-free successors of each expanded state in id order,
	// without repeats; the last of a state's is marked with lastEdge, a
	// state with none has noEdges.
	edges chunks[uint32]
	// edgeMarks: after each piece, where the edges of the states before
	// edgeMark.state end; liveness splits its passes there.
	edgeMarks []edgeMark
	levelEnds []int // per level: the end of its edgeMarks
	pieces    []*piece
	pool      []*segment // spare frontier segments
	res       outcome
	// badParent, badVia: the link of a violating state found in a block
	// whose other states were not numbered.
	badParent uint32
	badVia    int
	heap      []metrics.Sample
	depth     int // the level being expanded
	report    int // states at which progress is next reported
	stop      bool
	sinks     []uint32 // per owner: what touch read
}

// touchAhead is how many table lookups are started together (see touch).
const touchAhead = 16

const (
	noParent = ^uint32(0)
	lastEdge = 1 << 31
	noEdges  = ^uint32(0)
	// reportEvery is how many new states pass between progress reports
	// and looks at the memory.
	reportEvery = 1 << 16
)

type worker[S any, M machine[S]] struct {
	_     [falseSharingPad]byte
	m     M
	s, n  S
	moves []move
	run   chan func(*worker[S, M])
	_     [falseSharingPad]byte
}

// falseSharingPad keeps apart the objects that different workers write
// in their inner loops (a worker, its system and step cache, a piece): two
// such objects allocated next to each other would otherwise share a cache
// line, and each write by one worker would evict the line from the other's
// core. 128 bytes, not 64, since cores fetch cache lines in adjacent pairs.
// It took the expand phase of the 25.1-million-state search on 2 workers
// from 11.4 s to 9.0 s.
const falseSharingPad = 128

// piece is a run of consecutive states of the level and what expanding
// them produced.
type piece struct {
	_        [falseSharingPad]byte
	from, to int      // the states, as indexes in the level
	first    uint32   // the index of its first record among the block's
	recs     []succ   // their successors, in one-core order
	enc      []byte   // the successors' encodings (succ.end)
	ends     []uint32 // per state: the end of its records
	route    [][]uint32
	count    [numShards]uint32 // records per shard, to reserve room
	stats    []pieceStats      // per owner
	fresh    int
	firstBad int    // the first fresh violating record, -1 if none
	base     uint32 // the id of its first fresh state
	seg      *segment
	viaBig   [][2]uint32 // fresh states whose move index is 255 or more, and the index
	goals    []uint32
	edges    []uint32
	targets  []uint32
	_        [falseSharingPad]byte
}

// pieceStats is what one owner found about one piece's records.
type pieceStats struct {
	fresh, abandoned int
	firstBad         int
}

// succ is one successor record.
type succ struct {
	fp     uint64 // fingerprint: the hash's first word
	end    uint32 // its encoding ends at piece.enc[end]
	parent uint32 // the expanded state, as an index in the level
	midx   uint32 // the move's index among the parent's
	val    uint32 // after insert: the id of a known state, or the claim of the first record with this fingerprint
	slot   uint32 // fresh: its table slot
	shard  uint16
	prop   Property
	flags  uint8
	msg    int32
}

const (
	fGoal = 1 << iota
	fAbandoned
	fFault
	fFresh
	fClaimed // val is a claim of another record of this block
)

type edgeMark struct {
	state uint32
	edge  int
}

// segment holds consecutive states of a level, encoded.
type segment struct {
	data []byte
	ends []uint32 // state i is data[ends[i-1]:ends[i]]
}

func (g *segment) len() int { return len(g.ends) }

func (g *segment) at(i int) []byte {
	from := uint32(0)
	if i > 0 {
		from = g.ends[i-1]
	}
	return g.data[from:g.ends[i]]
}

// frontier is a level: its segments in order.
type frontier struct {
	segs   []*segment
	starts []int // state index of each segment's first state
	n      int
}

func (f *frontier) push(g *segment) {
	if g.len() == 0 {
		return
	}
	f.segs = append(f.segs, g)
	f.starts = append(f.starts, f.n)
	f.n += g.len()
}

// each calls fn with the states from..to-1 in order.
func (f *frontier) each(from, to int, fn func(i int, enc []byte)) {
	k := sort.Search(len(f.starts), func(k int) bool { return f.starts[k] > from }) - 1
	for i := from; i < to; k++ {
		g := f.segs[k]
		for j := i - f.starts[k]; j < g.len() && i < to; j, i = j+1, i+1 {
			fn(i, g.at(j))
		}
	}
}

func newEngine[S any, M machine[S]](lim limits, machines []M) *engine[S, M] {
	e := &engine[S, M]{lim: lim, viaBig: map[uint32]int{}, report: reportEvery,
		heap: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}}
	e.seen = newVisited(&e.mem)
	for _, a := range []interface{ setMem(*memory) }{&e.parent, &e.via, &e.goals, &e.edges} {
		a.setMem(&e.mem)
	}
	for _, m := range machines {
		e.ws = append(e.ws, &worker[S, M]{m: m})
	}
	e.owners = 1
	if len(e.ws) > 1 {
		e.owners = min(2*len(e.ws), numShards) // smaller units balance better
	}
	e.sinks = make([]uint32, e.owners)
	for _, w := range e.ws[1:] {
		w.run = make(chan func(*worker[S, M]))
		go func() {
			for f := range w.run {
				f(w)
			}
		}()
	}
	return e
}

func (a *chunks[T]) setMem(m *memory) { a.mem = m }

// parallel calls f for 0..n-1, spread over the workers, and returns when
// all calls have.
func (e *engine[S, M]) parallel(n int, f func(w *worker[S, M], i int)) {
	if n <= 1 || len(e.ws) == 1 {
		for i := range n {
			f(e.ws[0], i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	loop := func(w *worker[S, M]) {
		for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
			f(w, i)
		}
		wg.Done()
	}
	helpers := min(n, len(e.ws)) - 1
	wg.Add(helpers + 1)
	for _, w := range e.ws[1 : 1+helpers] {
		w.run <- loop
	}
	loop(e.ws[0])
	wg.Wait()
}

func (e *engine[S, M]) close() {
	for _, w := range e.ws[1:] {
		close(w.run)
	}
	e.seen.release()
	for _, a := range []interface{ release() }{&e.parent, &e.via, &e.goals, &e.edges} {
		a.release()
	}
}

// run searches from the initial state.
func (e *engine[S, M]) run() *outcome {
	r := &e.res
	w := e.ws[0]
	w.m.initial(&w.s)
	init := &segment{}
	init.data = w.m.encode(init.data, &w.s)
	init.ends = append(init.ends, uint32(len(init.data)))
	h1, h2 := hashBytes(init.data)
	sh := &e.seen.shards[shardOf(h2)]
	sh.reserve(&e.mem, 1)
	sh.lookup(h1, 1) // id 0
	e.addState(noParent, 0, w.m.goal(&w.s))
	r.states = 1
	if w.m.abandoned(&w.s) {
		r.abandoned++
	}
	if p, msg := w.m.check(&w.s); p != 0 {
		r.verdict, r.prop, r.msg, r.bad = Violated, p, msg, 0
		return r
	}
	cur := &frontier{}
	cur.push(init)
	for e.depth = 0; cur.n > 0; e.depth++ {
		r.maxDepth = e.depth
		if e.interrupted() {
			return r
		}
		if e.lim.maxDepth > 0 && e.depth == e.lim.maxDepth {
			r.verdict = Incomplete
			r.stopped = fmt.Sprintf("stopped at depth %d (%d states, the %d at that depth not expanded): no violation in any schedule of up to %d moves",
				e.depth, r.states, cur.n, e.depth)
			return r
		}
		next := &frontier{}
		base := r.states - cur.n // the id of the level's first state
		for from := 0; from < cur.n && !e.stop; {
			from = e.block(cur, next, from, base)
		}
		if e.stop {
			return r
		}
		e.levelEnds = append(e.levelEnds, len(e.edgeMarks))
		e.recycle(cur)
		cur = next
	}
	e.seen.release()
	e.pool = nil
	if id, ok := e.liveness(); !ok {
		r.verdict, r.prop, r.bad = Violated, Liveness, id
		return r
	}
	r.verdict = Proven
	return r
}

func (e *engine[S, M]) addState(parent uint32, via int, goal bool) {
	id := e.parent.len()
	e.parent.append(parent)
	e.via.append(uint8(min(via, 255)))
	if via >= 255 {
		e.viaBig[uint32(id)] = via
	}
	if goal {
		e.setGoal(id)
	}
}

// setGoal marks state id a liveness goal.
func (e *engine[S, M]) setGoal(id int) {
	e.goals.grow(id/64 + 1)
	e.goals.set(id/64, e.goals.at(id/64)|1<<(id%64))
}

// Block sizes: how many states a piece expands, and how many pieces a
// block has per worker. They change the speed, never the outcome (the
// tests make pieces tiny to prove it).
var pieceStates = 4096

const piecesPerWorker = 8

// block expands the states from.. of the level cur (whose first state has
// id base) a block at a time, and returns where the next block starts.
func (e *engine[S, M]) block(cur, next *frontier, from, base int) int {
	size := pieceStates
	n := min(piecesPerWorker*len(e.ws), (cur.n-from+size-1)/size)
	for len(e.pieces) < n {
		e.pieces = append(e.pieces, &piece{route: make([][]uint32, e.owners), stats: make([]pieceStats, e.owners)})
	}
	ps := e.pieces[:n]
	for i, p := range ps {
		p.from, p.to = from+i*size, min(from+(i+1)*size, cur.n)
	}
	e.parallel(n, func(w *worker[S, M], i int) { e.expand(w, ps[i], cur) })
	for _, w := range e.ws {
		if err := w.m.err(); err != nil {
			e.res.err, e.stop = err, true
			return cur.n
		}
	}
	records := 0
	for _, p := range ps {
		p.first = uint32(records)
		if records += len(p.recs); records >= claimBit {
			panic("explore: too many successors in one block")
		}
	}
	if n == 1 {
		for o := range e.owners { // a small block: not worth waking the workers
			e.insert(ps, o)
		}
	} else {
		e.parallel(e.owners, func(_ *worker[S, M], o int) { e.insert(ps, o) })
	}
	if e.count(ps, base) {
		return cur.n
	}
	for _, p := range ps {
		if p.seg == nil {
			p.seg = e.segment()
		}
	}
	e.parallel(n, func(_ *worker[S, M], i int) { e.number(ps[i], base) })
	e.parallel(n, func(_ *worker[S, M], i int) { e.link(ps, ps[i], base) })
	e.commit(ps, next, base)
	return ps[n-1].to
}

// expand is phase 1 for one piece.
func (e *engine[S, M]) expand(w *worker[S, M], p *piece, cur *frontier) {
	p.recs, p.enc, p.ends = p.recs[:0], p.enc[:0], p.ends[:0]
	for o := range p.route {
		p.route[o] = p.route[o][:0]
	}
	p.count = [numShards]uint32{}
	cur.each(p.from, p.to, func(i int, enc []byte) {
		w.m.decode(&w.s, enc)
		w.moves = w.m.moves(&w.s, w.moves[:0])
		if w.m.err() != nil {
			return // block looks at it
		}
		for j, mv := range w.moves {
			w.m.apply(&w.n, &w.s, mv)
			start := len(p.enc)
			p.enc = w.m.encode(p.enc, &w.n)
			h1, h2 := hashBytes(p.enc[start:])
			r := succ{fp: h1, end: uint32(len(p.enc)), parent: uint32(i), midx: uint32(j), shard: uint16(shardOf(h2))}
			prop, msg := w.m.check(&w.n)
			r.prop, r.msg = prop, int32(msg)
			if w.m.goal(&w.n) {
				r.flags |= fGoal
			}
			if w.m.abandoned(&w.n) {
				r.flags |= fAbandoned
			}
			if w.m.fault(mv) {
				r.flags |= fFault
			}
			o := int(r.shard) % e.owners
			p.route[o] = append(p.route[o], uint32(len(p.recs)))
			p.count[r.shard]++
			p.recs = append(p.recs, r)
		}
		p.ends = append(p.ends, uint32(len(p.recs)))
	})
}

// insert is phase 2 for owner o: its records, pieces in order.
func (e *engine[S, M]) insert(ps []*piece, o int) {
	for sh := o; sh < numShards; sh += e.owners {
		need := 0
		for _, p := range ps {
			need += int(p.count[sh])
		}
		e.seen.shards[sh].reserve(&e.mem, need)
	}
	sink := uint32(0)
	for _, p := range ps {
		st := pieceStats{firstBad: -1}
		route := p.route[o]
		for j, k := range route {
			if j%touchAhead == 0 {
				for _, k := range route[j:min(j+touchAhead, len(route))] {
					r := &p.recs[k]
					sink += e.seen.shards[r.shard].touch(r.fp)
				}
			}
			r := &p.recs[k]
			v, slot := e.seen.shards[r.shard].lookup(r.fp, claimBit|(p.first+k))
			switch {
			case v == 0:
				r.flags |= fFresh
				r.slot = uint32(slot)
				st.fresh++
				if r.flags&fAbandoned != 0 {
					st.abandoned++
				}
				if r.prop != 0 && st.firstBad < 0 {
					st.firstBad = int(k)
				}
			case v&claimBit != 0:
				r.flags |= fClaimed
				r.val = v
			default:
				r.val = v - 1
			}
		}
		p.stats[o] = st
	}
	e.sinks[o] = sink
}

// count is phase 3: it numbers the pieces and looks for the first
// violation and the state bound, in one-core order. It reports whether the
// search stops in this block.
func (e *engine[S, M]) count(ps []*piece, base int) bool {
	r := &e.res
	states := r.states
	stopAt := -1 // the piece in which the search stops
	for i, p := range ps {
		p.fresh, p.firstBad = 0, -1
		ab := 0
		for _, st := range p.stats {
			p.fresh += st.fresh
			ab += st.abandoned
			if st.firstBad >= 0 && (p.firstBad < 0 || st.firstBad < p.firstBad) {
				p.firstBad = st.firstBad
			}
		}
		p.base = uint32(states)
		states += p.fresh
		if stopAt < 0 && (p.firstBad >= 0 || states >= e.lim.maxStates || states > maxStates) {
			stopAt = i
		}
		if stopAt < 0 {
			r.abandoned += ab
		}
	}
	if stopAt < 0 {
		// number writes the links of the new states in place
		e.parent.grow(states)
		e.via.grow(states)
		return false
	}
	// Replay the counting of a one-core search through that piece.
	for _, p := range ps[:stopAt] {
		r.states += p.fresh
		r.transitions += len(p.recs)
	}
	p := ps[stopAt]
	k := 0
	for j := range p.to - p.from {
		for ; k < int(p.ends[j]); k++ {
			c := &p.recs[k]
			r.transitions++
			if c.flags&fFresh == 0 {
				continue
			}
			id := uint32(r.states)
			r.states++
			if c.flags&fAbandoned != 0 {
				r.abandoned++
			}
			if c.prop != 0 {
				e.badParent, e.badVia = uint32(base)+c.parent, int(c.midx)
				r.verdict, r.prop, r.msg, r.bad = Violated, c.prop, int(c.msg), id
				r.maxDepth = e.depth + 1
				e.stop = true
				return true
			}
		}
		// Bounds are looked at after each expanded state.
		if r.states >= e.lim.maxStates || r.states > maxStates {
			e.stopMidLevel(e.bytes())
			return true
		}
	}
	panic("explore: the stopping piece did not stop")
}

// number is phase 4 for piece p.
func (e *engine[S, M]) number(p *piece, base int) {
	p.viaBig, p.goals = p.viaBig[:0], p.goals[:0]
	id := p.base
	for k := range p.recs {
		r := &p.recs[k]
		if r.flags&fFresh == 0 {
			continue
		}
		e.seen.shards[r.shard].slots[r.slot].val = id + 1
		r.val = id
		start := uint32(0)
		if k > 0 {
			start = p.recs[k-1].end
		}
		p.seg.data = append(p.seg.data, p.enc[start:r.end]...)
		p.seg.ends = append(p.seg.ends, uint32(len(p.seg.data)))
		e.parent.set(int(id), uint32(base)+r.parent)
		e.via.set(int(id), uint8(min(r.midx, 255)))
		if r.midx >= 255 {
			p.viaBig = append(p.viaBig, [2]uint32{id, r.midx})
		}
		if r.flags&fGoal != 0 {
			p.goals = append(p.goals, id)
		}
		id++
	}
}

// link is phase 5 for piece p: the fault-free edges of its states.
func (e *engine[S, M]) link(ps []*piece, p *piece, base int) {
	p.edges = p.edges[:0]
	k := 0
	for j := range p.to - p.from {
		from := uint32(base + p.from + j)
		t := p.targets[:0]
		for ; k < int(p.ends[j]); k++ {
			r := &p.recs[k]
			if r.flags&fFault != 0 {
				continue
			}
			to := r.val
			if r.flags&fClaimed != 0 {
				to = claimed(ps, to&^claimBit).val
			}
			if to != from {
				t = append(t, to)
			}
		}
		slices.Sort(t)
		t = slices.Compact(t)
		if len(t) == 0 {
			p.edges = append(p.edges, noEdges)
		} else {
			t[len(t)-1] |= lastEdge
			p.edges = append(p.edges, t...)
		}
		p.targets = t
	}
}

// claimed returns the block's record with index k.
func claimed(ps []*piece, k uint32) *succ {
	i := sort.Search(len(ps), func(i int) bool { return ps[i].first > k }) - 1
	return &ps[i].recs[k-ps[i].first]
}

// commit is phase 6: the pieces' output, in order.
func (e *engine[S, M]) commit(ps []*piece, next *frontier, base int) {
	r := &e.res
	for _, p := range ps {
		r.transitions += len(p.recs)
		for _, b := range p.viaBig {
			e.viaBig[b[0]] = int(b[1])
		}
		for _, id := range p.goals {
			e.setGoal(int(id))
		}
		e.edges.append(p.edges...)
		e.edgeMarks = append(e.edgeMarks, edgeMark{state: uint32(base + p.to), edge: e.edges.len()})
		next.push(p.seg)
		if p.seg.len() > 0 {
			p.seg = nil
		}
		r.states += p.fresh
	}
	if r.states >= e.report {
		e.report = r.states + reportEvery
		b := e.bytes()
		if e.lim.progress != nil {
			e.lim.progress(Progress{States: r.states, Transitions: r.transitions, Depth: e.depth, HeapBytes: b})
		}
		if e.interrupted() {
			return
		}
		if b > e.lim.maxBytes {
			e.stopMidLevel(b)
		}
	}
}

// stopMidLevel stops the search at its bound on states or memory (b bytes
// in use), in the middle of the level after e.depth.
func (e *engine[S, M]) stopMidLevel(b uint64) {
	r := &e.res
	r.verdict = Incomplete
	r.stopped = fmt.Sprintf("stopped at %d states (memory %d MiB): levels 0..%d fully explored, level %d partly; no violation within depth %d",
		r.states, b>>20, e.depth, e.depth+1, e.depth)
	e.stop = true
}

// interrupted looks at lim.interrupt; once it is closed, the search stops.
func (e *engine[S, M]) interrupted() bool {
	select {
	case <-e.lim.interrupt:
		e.res.verdict, e.res.interrupted, e.stop = Incomplete, true, true
		return true
	default:
		return false
	}
}

func (e *engine[S, M]) segment() *segment {
	if n := len(e.pool); n > 0 {
		g := e.pool[n-1]
		e.pool = e.pool[:n-1]
		g.data, g.ends = g.data[:0], g.ends[:0]
		return g
	}
	return &segment{}
}

func (e *engine[S, M]) recycle(f *frontier) {
	e.pool = append(e.pool, f.segs...)
}

// bytes is the memory the search holds: its arrays outside the Go heap and
// the heap's live and not yet collected objects. It updates the peak.
func (e *engine[S, M]) bytes() uint64 {
	metrics.Read(e.heap)
	b := uint64(e.mem.bytes.Load()) + e.heap[0].Value.Uint64()
	e.res.peakBytes = max(e.res.peakBytes, b)
	return b
}

// path returns the move indexes from the initial state to state id.
func (e *engine[S, M]) path(id uint32) []int {
	var p []int
	if e.res.verdict == Violated && id == e.res.bad && int(id) >= e.parent.len() {
		p = append(p, e.badVia)
		id = e.badParent
	}
	for {
		parent := e.parent.at(int(id))
		if parent == noParent {
			break
		}
		via := int(e.via.at(int(id)))
		if via == 255 {
			via = e.viaBig[id]
		}
		p = append(p, via)
		id = parent
	}
	slices.Reverse(p)
	return p
}
