package sim

import "github.com/qoslab/qoslab/model"

type evKind uint8

const (
	evArrive      evKind = iota + 1 // a packet reaches slot target (if its connection epoch still holds)
	evTimer                         // a timer of slot target fires (if its generation still holds)
	evPublish                       // the application of slot target publishes workload message gen
	evForward                       // a broker hands pkt.Msg to its sending slot target
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
	pkt    int32 // evArrive, evForward: index into the packet slab
}

// packetSlab holds the packets of queued events, so that events stay small
// and free of pointers (cheap to move in the heap, nothing for the GC to
// scan); freed entries are reused.
type packetSlab struct {
	items []model.Packet
	free  []int32
}

func (p *packetSlab) put(pk model.Packet) int32 {
	if n := len(p.free); n > 0 {
		i := p.free[n-1]
		p.free = p.free[:n-1]
		p.items[i] = pk
		return i
	}
	p.items = append(p.items, pk)
	return int32(len(p.items) - 1)
}

// take returns the packet at i and frees its entry.
func (p *packetSlab) take(i int32) model.Packet {
	pk := p.items[i]
	p.items[i] = model.Packet{}
	p.free = append(p.free, i)
	return pk
}

// arity of the heap: a 4-ary heap is shallower than a binary one and its
// children share cache lines.
const arity = 4

// eventQueue is a 4-ary min-heap of events stored by value, so that steady
// state scheduling allocates nothing.
type eventQueue struct {
	items []event
	seq   uint64
}

func (q *eventQueue) less(i, j int) bool {
	a, b := &q.items[i], &q.items[j]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (q *eventQueue) push(e event) {
	q.seq++
	e.seq = q.seq
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

func (q *eventQueue) pop() event {
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

func (q *eventQueue) len() int { return len(q.items) }
