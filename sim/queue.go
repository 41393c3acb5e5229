package sim

import (
	"math/bits"

	"github.com/qoslab/qoslab/model"
)

type evKind uint8

const (
	evArrive      evKind = iota + 1 // a packet reaches slot target (if its connection epoch still holds)
	evTimer                         // a timer of slot target fires (if its generation still holds)
	evPublish                       // the application of slot target publishes workload message gen
	evForward                       // a broker hands the message of input in to its sending slot target
	evBreak                         // link target breaks (scheduled fault)
	evRandomBreak                   // link target breaks (random fault); schedules the next one
	evConnect                       // link target (re)connects
	evCrash                         // node target crashes; restarts after timer ticks
	evRestart                       // node target restarts
	evHeal                          // random faults stop
	evRandomCrash                   // a random node crashes (random fault); schedules the next one
)

// event is one entry of the queue. Events are ordered by (at, seq): seq is
// the order of scheduling, so ties break deterministically.
type event struct {
	at     int64
	seq    uint64
	kind   evKind
	target int32
	gen    uint32 // evArrive: connection epoch; evTimer: timer generation; evPublish: message index
	extra  int64  // evArrive: trace id of the send; evCrash: restart delay; evBreak: reconnect delay
	timer  model.Timer
	in     int32 // evArrive, evForward: index into the input slab
}

// inputSlab holds the endpoint inputs of queued arrivals and forwards, so
// that events stay small and free of pointers (cheap to move, nothing for
// the GC to scan). An arrival is handed to its endpoint straight from its
// entry, not rebuilt on the stack first: an Input is 120 bytes. Freed
// entries are reused.
type inputSlab struct {
	items []model.Input
	free  []int32
}

// alloc returns a zeroed entry and its index.
func (p *inputSlab) alloc() (int32, *model.Input) {
	if n := len(p.free); n > 0 {
		i := p.free[n-1]
		p.free = p.free[:n-1]
		p.items[i] = model.Input{}
		return i, &p.items[i]
	}
	p.items = append(p.items, model.Input{})
	return int32(len(p.items) - 1), &p.items[len(p.items)-1]
}

// release frees entry i; pointers to it must no longer be used.
func (p *inputSlab) release(i int32) { p.free = append(p.free, i) }

// The event queue pops events in (at, seq) order. Most events of a run
// fall due within a few hundred ticks of now (latency, jitter, retry
// timers), so they go into a calendar: one FIFO per tick of a window of
// calWindow ticks that starts at base, the tick of the latest event
// popped. Within a tick, FIFO order is push order, which is seq order, so
// the calendar needs no comparisons; the next non-empty tick is found in
// an occupancy bitmap. Events outside the window (a heal time, long
// restart or expiry delays) wait in a heap, and enter the calendar as soon
// as the window reaches their tick: before anything else can be pushed at
// that tick, so each FIFO stays in seq order.
//
// 128 ticks hold the default latency, jitter and retry timeout (10, a few,
// 100). The window's arrays live in every Sim, so a wider one costs each
// run its setup: at 512 ticks a sweep of 10-message runs did 54,000 runs/s
// (17.3 KB a run) against 62,500 (13.7 KB) at 128, with the long-run event
// rate no better (5.6M against 5.7M events/s).
const (
	calBits   = 7
	calWindow = 1 << calBits // ticks covered by the calendar
	calMask   = calWindow - 1
)

// calNode is one calendar entry: an event and the next entry of its tick.
type calNode struct {
	ev   event
	next int32
}

// eventQueue stores events by value in a pool that is reused, so that
// steady-state scheduling allocates nothing.
type eventQueue struct {
	seq   uint64
	base  int64 // the calendar holds ticks [base, base+calWindow)
	nodes []calNode
	free  []int32
	// head and tail of each tick's FIFO, valid where the tick's bit in
	// busy is set.
	head, tail [calWindow]int32
	busy       [calWindow / 64]uint64
	inCal      int
	far        eventHeap // events outside the window
}

// reset empties q for a new run, keeping its arrays. The head and tail of
// a tick are only read where its busy bit is set, and busy is cleared.
func (q *eventQueue) reset() {
	q.seq, q.base, q.inCal = 0, 0, 0
	q.nodes, q.free = q.nodes[:0], q.free[:0]
	q.busy = [calWindow / 64]uint64{}
	q.far.items = q.far.items[:0]
}

func (q *eventQueue) push(e event) {
	q.seq++
	e.seq = q.seq
	if e.at < q.base || e.at-q.base >= calWindow {
		q.far.push(e)
		return
	}
	q.calPush(&e)
}

func (q *eventQueue) calPush(e *event) {
	var n int32
	if k := len(q.free); k > 0 {
		n = q.free[k-1]
		q.free = q.free[:k-1]
		q.nodes[n].ev = *e
	} else {
		n = int32(len(q.nodes))
		q.nodes = append(q.nodes, calNode{ev: *e})
	}
	t := int(e.at & calMask)
	if w, bit := t>>6, uint64(1)<<(t&63); q.busy[w]&bit == 0 {
		q.busy[w] |= bit
		q.head[t] = n
	} else {
		q.nodes[q.tail[t]].next = n
	}
	q.tail[t] = n
	q.inCal++
}

func (q *eventQueue) pop() event {
	// An event in the heap is either later than the whole window or, if it
	// was pushed for a tick already passed, earlier than all of it.
	if q.inCal == 0 || (q.far.len() > 0 && q.far.items[0].at < q.base) {
		e := q.far.pop()
		q.advance(e.at)
		return e
	}
	t := q.firstBusy()
	n := q.head[t]
	if n == q.tail[t] {
		q.busy[t>>6] &^= 1 << (t & 63)
	} else {
		q.head[t] = q.nodes[n].next
	}
	q.inCal--
	q.free = append(q.free, n)
	e := q.nodes[n].ev
	q.advance(e.at)
	return e
}

// firstBusy returns the calendar index of the earliest non-empty tick; the
// calendar must not be empty. The window wraps around the arrays, so the
// scan starts at base's index and ends at the bits below it.
func (q *eventQueue) firstBusy() int {
	start := int(q.base & calMask)
	w := start >> 6
	if b := q.busy[w] &^ (1<<(start&63) - 1); b != 0 {
		return w<<6 | bits.TrailingZeros64(b)
	}
	for k := 1; k <= len(q.busy); k++ {
		w := (start>>6 + k) % len(q.busy)
		if b := q.busy[w]; b != 0 {
			return w<<6 | bits.TrailingZeros64(b)
		}
	}
	panic("sim: firstBusy on an empty calendar")
}

// advance moves the window to start at tick at (never back) and takes in
// the heap's events that the window now covers, in (at, seq) order.
func (q *eventQueue) advance(at int64) {
	if at <= q.base {
		return
	}
	q.base = at
	for q.far.len() > 0 && q.far.items[0].at-q.base < calWindow {
		e := q.far.pop()
		q.calPush(&e)
	}
}

func (q *eventQueue) len() int { return q.inCal + q.far.len() }

// arity of the heap: a 4-ary heap is shallower than a binary one and its
// children share cache lines.
const arity = 4

// eventHeap is a 4-ary min-heap of events ordered by (at, seq), stored by
// value. The caller sets seq.
type eventHeap struct {
	items []event
}

func (q *eventHeap) less(i, j int) bool {
	a, b := &q.items[i], &q.items[j]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (q *eventHeap) push(e event) {
	q.items = append(q.items, e)
	i := len(q.items) - 1
	for i > 0 {
		p := (i - 1) / arity
		if !q.less(i, p) {
			break
		}
		q.items[i], q.items[p] = q.items[p], q.items[i]
		i = p
	}
}

func (q *eventHeap) pop() event {
	top := q.items[0]
	n := len(q.items) - 1
	q.items[0] = q.items[n]
	q.items = q.items[:n]
	i := 0
	for {
		l := arity*i + 1
		if l >= n {
			break
		}
		m := l
		for c := l + 1; c < l+arity && c < n; c++ {
			if q.less(c, m) {
				m = c
			}
		}
		if !q.less(m, i) {
			break
		}
		q.items[i], q.items[m] = q.items[m], q.items[i]
		i = m
	}
	return top
}

func (q *eventHeap) len() int { return len(q.items) }
