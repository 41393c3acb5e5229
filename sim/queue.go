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
	evBreak                         // link target breaks (scheduled fault)
	evRandomBreak                   // link target breaks (random fault); schedules the next one
	evConnect                       // link target (re)connects
	evCrash                         // node target crashes; restarts after timer ticks
	evRestart                       // node target restarts
	evHeal                          // random faults stop
	evRandomCrash                   // a random node crashes (random fault); schedules the next one
)

// event is one entry of the queue. Events are popped in the order of
// their time, and those of one tick in the order they were pushed, so
// that ties break deterministically. 32 bytes: an event is copied in and
// out of the queue once each.
type event struct {
	at     int64
	extra  int64 // evArrive: trace id of the send; evCrash: restart delay; evBreak: reconnect delay
	target int32
	gen    uint32 // evArrive: connection epoch; evTimer: timer generation; evPublish: message index
	arg    uint32 // evTimer: the model.Timer; evArrive: index into the input slab
	kind   evKind
}

// timer is the timer of an evTimer event.
func (e *event) timer() model.Timer { return model.Timer(e.arg) }

// inputSlab holds the endpoint inputs of queued arrivals, so
// that events stay small and free of pointers (cheap to move, nothing for
// the GC to scan). An arrival is handed to its endpoint straight from its
// entry, not rebuilt on the stack first: an Input is 120 bytes. Freed
// entries are reused.
type inputSlab struct {
	items []model.Input
	free  []int32
}

// alloc returns an entry and its index; the caller sets all of it.
func (p *inputSlab) alloc() (int32, *model.Input) {
	if n := len(p.free); n > 0 {
		i := p.free[n-1]
		p.free = p.free[:n-1]
		return i, &p.items[i]
	}
	p.items = append(p.items, model.Input{})
	return int32(len(p.items) - 1), &p.items[len(p.items)-1]
}

// release frees entry i; pointers to it must no longer be used.
func (p *inputSlab) release(i int32) { p.free = append(p.free, i) }

// The event queue pops events in time order, and those of one tick in the
// order they were pushed. Most events of a run fall due within a few
// hundred ticks of now (latency, jitter, retry timers), so they go into a
// calendar: one FIFO per tick of a window of calWindow ticks that starts
// at base, the tick of the latest event popped. A FIFO is a slice that
// keeps its array, so pushing and popping are an append and an index, with
// no comparison; the next non-empty tick is found in an occupancy bitmap.
// Events outside the window (a heal time, long restart or expiry delays)
// wait in a heap ordered by (at, push order), and enter the calendar as
// soon as the window reaches their tick: before anything else can be
// pushed at that tick, so each FIFO stays in push order.
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

// eventQueue stores events by value in arrays that are reused, so that
// steady-state scheduling allocates nothing.
type eventQueue struct {
	base int64 // the calendar holds ticks [base, base+calWindow)
	// cal[t][head[t]:n[t]] are the events of the window's tick congruent
	// to t, in push order (cal[t] is its whole array); busy has the bit of
	// each tick that has some. The FIFO of base, being drained, keeps its
	// popped events and its bit until the pop after its last.
	cal   [calWindow][]event
	head  [calWindow]int32
	n     [calWindow]int32
	busy  [calWindow / 64]uint64
	inCal int
	// past is set while the heap's first event is earlier than base (one
	// was pushed for a tick already passed): it goes before the calendar.
	past   bool
	popped event     // the last event popped from the heap
	far    eventHeap // events outside the window
}

// calSlots is the room each tick's FIFO starts with, carved from one
// array; a FIFO that outgrows it gets an array of its own (once: a Runner
// keeps it). A short run on a fresh Sim pays for the carved array only.
const calSlots = 1

// reset empties q for a new run, keeping its arrays.
func (q *eventQueue) reset() {
	q.base, q.inCal, q.past = 0, 0, false
	if q.cal[0] == nil {
		all := make([]event, calWindow*calSlots)
		for t := range q.cal {
			q.cal[t] = all[t*calSlots : (t+1)*calSlots : (t+1)*calSlots]
		}
	}
	q.head, q.n = [calWindow]int32{}, [calWindow]int32{}
	q.busy = [calWindow / 64]uint64{}
	q.far.items, q.far.seq = q.far.items[:0], 0
}

// push adds e. The common case, a tick in the window whose FIFO has room,
// is small enough to be inlined into the callers.
func (q *eventQueue) push(e event) {
	t := e.at & calMask
	if n := q.n[t]; uint64(e.at-q.base) < calWindow && int(n) < len(q.cal[t]) {
		// Field by field, from the registers e arrived in: a whole-struct
		// copy reads e back from the stack in 16-byte loads that span the
		// narrower stores that spilled it there, which the processor cannot
		// forward; it waits for them to retire (a tenth of the run's time).
		d := &q.cal[t][n]
		d.at, d.extra, d.target, d.gen, d.arg, d.kind = e.at, e.extra, e.target, e.gen, e.arg, e.kind
		q.n[t] = n + 1
		q.busy[t>>6&(calWindow/64-1)] |= 1 << (t & 63) // set already unless the FIFO was empty
		q.inCal++
		return
	}
	q.pushSlow(e)
}

// pushSlow is push for an event outside the window (before base, in the
// past, or beyond it) or to a full FIFO.
//
//go:noinline
func (q *eventQueue) pushSlow(e event) {
	if uint64(e.at-q.base) >= calWindow {
		q.far.push(e)
		q.past = q.past || e.at < q.base
		return
	}
	q.calPush(&e)
}

func (q *eventQueue) calPush(e *event) {
	t := e.at & calMask
	n := q.n[t]
	if int(n) == len(q.cal[t]) {
		fifo := make([]event, max(2*len(q.cal[t]), 8))
		copy(fifo, q.cal[t])
		q.cal[t] = fifo
	}
	q.cal[t][n] = *e
	q.n[t] = n + 1
	q.busy[t>>6&(calWindow/64-1)] |= 1 << (t & 63)
	q.inCal++
}

// pop removes the next event and returns it. The pointer is valid until
// the next pop: the event stays in its FIFO's array until then, and a push
// meanwhile (even to the same tick, even one that moves the FIFO to a new
// array) leaves it as it is.
//
// Most pops take the next event of the tick being drained, and only the pop
// after its last one goes on to the next tick. That is the one test whose
// outcome varies (a tick has a few events), so pop has no other: a branch
// mispredicted costs more than the rest of the pop.
func (q *eventQueue) pop() *event {
	t := q.base & calMask
	if h := q.head[t]; h < q.n[t] && !q.past {
		q.head[t] = h + 1
		q.inCal--
		return &q.cal[t][h]
	}
	return q.popSlow()
}

// popSlow is pop at the end of the current tick, or with an event of a
// past tick in the heap.
//
//go:noinline
func (q *eventQueue) popSlow() *event {
	t := int(q.base & calMask)
	if h := q.head[t]; h > 0 && h == q.n[t] {
		// Drained, and the caller is done with its last event: the FIFO
		// starts over from its array's start.
		q.head[t], q.n[t] = 0, 0
		q.busy[t>>6] &^= 1 << (t & 63)
	}
	// An event in the heap is either later than the whole window or, if it
	// was pushed for a tick already passed, earlier than all of it.
	if q.inCal == 0 || q.past {
		q.popped = q.far.pop()
		q.past = len(q.far.items) > 0 && q.far.items[0].ev.at < q.base
		q.advance(q.popped.at)
		return &q.popped
	}
	if q.head[t] == q.n[t] {
		t = q.firstBusy()
	}
	h := q.head[t]
	e := &q.cal[t][h]
	q.head[t] = h + 1
	q.inCal--
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
// the heap's events that the window now covers, in (at, push order).
func (q *eventQueue) advance(at int64) {
	if at <= q.base {
		return
	}
	q.base = at
	for len(q.far.items) > 0 && q.far.items[0].ev.at-q.base < calWindow {
		e := q.far.pop()
		q.calPush(&e)
	}
}

func (q *eventQueue) len() int { return q.inCal + len(q.far.items) }

// arity of the heap: a 4-ary heap is shallower than a binary one and its
// children share cache lines.
const arity = 4

// eventHeap is a 4-ary min-heap of events ordered by (at, seq), stored by
// value; seq numbers the pushes.
type eventHeap struct {
	items []heapItem
	seq   uint64
}

type heapItem struct {
	ev  event
	seq uint64
}

func (q *eventHeap) less(i, j int) bool {
	a, b := &q.items[i], &q.items[j]
	if a.ev.at != b.ev.at {
		return a.ev.at < b.ev.at
	}
	return a.seq < b.seq
}

func (q *eventHeap) push(e event) {
	q.seq++
	q.items = append(q.items, heapItem{e, q.seq})
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
	top := q.items[0].ev
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
