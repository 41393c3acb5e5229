package explore

import (
	"slices"

	"github.com/qoslab/qoslab/model"
)

// moveKind is the kind of one transition of the closed system.
type moveKind uint8

const (
	mvPublish moveKind = iota + 1 // the application hands the next message to the sender
	mvConnect                     // stream: the transport comes up; client, then server, get conn-up
	mvRestart                     // node side runs again after a crash
	mvDeliver                     // the packet at idx of direction side arrives
	mvTimer                       // armed timer idx of side fires
	// Faults: everything from here on is left out of liveness paths.
	mvBreak // stream: the connection breaks
	mvCrash // node side crashes
	mvLose  // datagram: the packet at idx of direction side is lost
	mvDup   // datagram: the packet at idx of direction side is duplicated
)

var moveNames = [...]string{"", "publish", "connect", "restart", "deliver", "timer", "break", "crash", "lose", "dup"}

// move is one transition, packed: kind, side (or direction) and index. It
// is relative to the state it leaves, which is how a path is replayed.
type move uint32

func mkMove(k moveKind, side, idx int) move {
	return move(uint32(k)<<24 | uint32(side)<<16 | uint32(idx))
}
func (m move) kind() moveKind { return moveKind(m >> 24) }
func (m move) side() int      { return int(m>>16) & 0xff }
func (m move) idx() int       { return int(m & 0xffff) }
func (m move) fault() bool    { return m.kind() >= mvBreak }

// observer sees every endpoint step and every network event of a move; the
// trace builder and the state-machine projection use it. The search itself
// runs without one.
type observer interface {
	// stepped: side's endpoint took input in from before to after. The
	// endpoints and outputs are shared: read only.
	stepped(side int, in model.Input, before, after model.Endpoint, out []model.Output)
	// output: one output of that step, in order; entered says whether a
	// sent packet got onto the network.
	output(side int, o *model.Output, entered bool)
	// network: a move's own event (p is the packet delivered, lost or
	// duplicated), before any endpoint reacts.
	network(m move, p model.Packet)
}

// system holds what is fixed during a search and the scratch space of one
// step.
//
// A successor is built in scratch space: a changed queue or timer set lives
// in a scratch buffer, so that a successor found already visited costs no
// allocation. persist gives a successor that is kept memory of its own.
// Endpoints are interned and their steps remembered (see endpoints).
type system struct {
	o      Options
	v      model.Variant
	cfg    model.Config
	msgs   []model.Message
	stream bool
	obs    observer
	eps    *endpoints // shared by the workers of a search
	cache  *epCache   // this worker's
	// the successor being built: which of its parts are scratch
	ownNet, ownTim [2]bool
	netBuf         [2][]pktID
	timBuf         [2][]model.Timer
	// kept queues and timer sets are carved out of large chunks: one
	// allocation per few thousand states instead of one per state
	qs   slab[pktID]
	tims slab[model.Timer]
}

// slab hands out immutable copies of slices from shared chunks. A copy is
// capped at its length, so an append to it reallocates instead of writing
// into its neighbour.
type slab[T any] struct{ chunk []T }

// Chunks start small and double up to slabChunk, so that a small search
// allocates little.
const slabChunk = 4096

func (a *slab[T]) grow(n int) {
	a.chunk = make([]T, 0, max(min(slabChunk, 2*cap(a.chunk)), 64, n))
}

func (a *slab[T]) copy(src []T) []T {
	if len(src) == 0 {
		return nil
	}
	if len(src) > cap(a.chunk)-len(a.chunk) {
		a.grow(len(src))
	}
	i := len(a.chunk)
	a.chunk = append(a.chunk, src...)
	return a.chunk[i:len(a.chunk):len(a.chunk)]
}

// add stores v in the current chunk and returns where.
func (a *slab[T]) add(v T) *T {
	if len(a.chunk) == cap(a.chunk) {
		a.grow(1)
	}
	a.chunk = append(a.chunk, v)
	return &a.chunk[len(a.chunk)-1]
}

func newSystem(o Options) (*system, error) {
	o = o.Normalize()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	v, _ := model.Lookup(o.Variant)
	msgs := workload(o.Messages, o.DistinctPayloads)
	eps := newEndpoints(msgs)
	return &system{o: o, v: v, cfg: o.endpointConfig(), msgs: msgs, stream: o.Mode == model.Stream,
		eps: eps, cache: newEpCache(eps)}, nil
}

// fork returns a system for another worker of the same search: the same
// options and interned endpoints, scratch space and a cache of its own,
// and no observer.
func (x *system) fork() *system {
	return &system{o: x.o, v: x.v, cfg: x.cfg, msgs: x.msgs, stream: x.stream, eps: x.eps, cache: newEpCache(x.eps)}
}

// initial is the state before anything happened. A datagram association
// needs no handshake, so both ends start up, as in the simulator.
func (x *system) initial() state {
	s := state{breaks: uint8(x.o.Breaks), crashes: uint8(x.o.Crashes), losses: uint8(x.o.Losses), dups: uint8(x.o.Dups)}
	s.ep[client] = x.eps.intern(client, x.v.NewSender(x.cfg.As(model.RoleClient)))
	s.ep[server] = x.eps.intern(server, x.v.NewReceiver(x.cfg.As(model.RoleServer)))
	if !x.stream {
		x.begin()
		s.linkUp = true
		x.step(&s, client, model.InConnUp, 0)
		x.step(&s, server, model.InConnUp, 0)
		x.persist(&s)
	}
	return s
}

// begin starts building a successor: nothing of it is owned yet.
func (x *system) begin() {
	x.ownNet, x.ownTim = [2]bool{}, [2]bool{}
}

// persist gives n's scratch parts memory of their own, so that n outlives
// the next successor built.
func (x *system) persist(n *state) {
	for side := range 2 {
		if x.ownNet[side] {
			n.net[side] = x.qs.copy(n.net[side])
		}
		if x.ownTim[side] {
			n.timers[side] = x.tims.copy(n.timers[side])
		}
	}
	x.begin()
}

// netScratch makes n's queue d the scratch buffer (a copy of what it held).
func (x *system) netScratch(n *state, d int) {
	if !x.ownNet[d] {
		x.netBuf[d] = append(x.netBuf[d][:0], n.net[d]...)
		n.net[d], x.ownNet[d] = x.netBuf[d], true
	}
}

func (x *system) timScratch(n *state, side int) {
	if !x.ownTim[side] {
		x.timBuf[side] = append(x.timBuf[side][:0], n.timers[side]...)
		n.timers[side], x.ownTim[side] = x.timBuf[side], true
	}
}

// moves appends the moves enabled in s, in a fixed order.
func (x *system) moves(s *state, dst []move) []move {
	if int(s.published) < x.o.Messages && !s.down[client] {
		dst = append(dst, mkMove(mvPublish, client, 0))
	}
	if x.stream && !s.linkUp && !s.down[client] && !s.down[server] {
		dst = append(dst, mkMove(mvConnect, client, 0))
	}
	for side := range 2 {
		if s.down[side] {
			dst = append(dst, mkMove(mvRestart, side, 0))
		}
	}
	for d := range 2 {
		q := s.net[d]
		if len(q) == 0 {
			continue
		}
		if x.stream || !x.o.Reorder {
			dst = append(dst, mkMove(mvDeliver, d, 0))
			continue
		}
		for i := range q {
			if i == 0 || q[i-1] != q[i] {
				dst = append(dst, mkMove(mvDeliver, d, i))
			}
		}
	}
	quiet := len(s.net[0]) == 0 && len(s.net[1]) == 0
	for side := range 2 {
		if s.down[side] {
			continue
		}
		for i, t := range s.timers[side] {
			// A retry timer fires once the network is quiet (or at any
			// moment with EarlyTimers); an expiry timer at any moment, since
			// no TTL bounds how late a retransmission may arrive.
			if quiet || x.o.EarlyTimers || t.Purpose() == model.TimerExpiry {
				dst = append(dst, mkMove(mvTimer, side, i))
			}
		}
	}
	if s.breaks > 0 && s.linkUp && x.stream {
		dst = append(dst, mkMove(mvBreak, 0, 0))
	}
	if s.crashes > 0 {
		for side := range 2 {
			if !s.down[side] {
				dst = append(dst, mkMove(mvCrash, side, 0))
			}
		}
	}
	for _, k := range [2]moveKind{mvLose, mvDup} {
		if (k == mvLose && s.losses == 0) || (k == mvDup && s.dups == 0) {
			continue
		}
		for d := range 2 {
			q := s.net[d]
			for i := range q {
				// Copies are interchangeable only where order does not count.
				if i == 0 || !x.o.Reorder || q[i-1] != q[i] {
					dst = append(dst, mkMove(k, d, i))
				}
			}
		}
	}
	return dst
}

// apply sets n to the successor of s under m, built in scratch space: call
// persist before keeping it or building another. n and s are distinct.
func (x *system) apply(n, s *state, m move) {
	*n = *s
	x.begin()
	side := m.side()
	switch m.kind() {
	case mvPublish:
		n.published++
		x.step(n, client, model.InPublish, uint32(n.published)) // message Ref n.published
	case mvConnect:
		n.linkUp = true
		if x.obs != nil {
			x.obs.network(m, model.Packet{})
		}
		x.step(n, client, model.InConnUp, 0)
		x.step(n, server, model.InConnUp, 0)
	case mvRestart:
		n.down[side] = false
		if x.obs != nil {
			x.obs.network(m, model.Packet{})
		}
		x.step(n, side, model.InRestart, 0)
		if !x.stream {
			x.step(n, side, model.InConnUp, 0)
		}
	case mvDeliver:
		p := x.take(n, side, m.idx())
		if x.obs != nil {
			x.obs.network(m, *x.cache.pkt(p))
		}
		if !n.down[1-side] {
			x.step(n, 1-side, model.InPacket, p)
		}
	case mvTimer:
		t := n.timers[side][m.idx()]
		x.cancel(n, side, t)
		x.step(n, side, model.InTimer, uint32(t))
	case mvBreak:
		n.breaks--
		x.breakLink(n, m)
	case mvCrash:
		n.crashes--
		if x.obs != nil {
			x.obs.network(m, model.Packet{})
		}
		x.step(n, side, model.InCrash, 0)
		n.down[side] = true
		n.timers[side], x.ownTim[side] = nil, false // a dead node's timers never fire
		if x.stream {
			x.breakLink(n, mkMove(mvBreak, 1, 0))
		}
	case mvLose:
		n.losses--
		p := x.take(n, side, m.idx())
		if x.obs != nil {
			x.obs.network(m, *x.cache.pkt(p))
		}
	case mvDup:
		n.dups--
		p := s.net[side][m.idx()]
		x.netScratch(n, side)
		x.netBuf[side] = slices.Insert(n.net[side], m.idx()+1, p)
		n.net[side] = x.netBuf[side]
		if x.obs != nil {
			x.obs.network(m, *x.cache.pkt(p))
		}
	}
}

// breakLink drops the connection: whatever is in flight is lost and each
// running end learns it. side 1 of m marks a break caused by a crash.
func (x *system) breakLink(n *state, m move) {
	if !n.linkUp {
		return
	}
	n.linkUp = false
	if x.obs != nil {
		x.obs.network(m, model.Packet{})
	}
	n.net = [2][]pktID{}
	x.ownNet = [2]bool{}
	for side := range 2 {
		if !n.down[side] {
			x.step(n, side, model.InConnDown, 0)
		}
	}
}

// take removes packet i of direction d.
func (x *system) take(n *state, d, i int) pktID {
	q := n.net[d]
	p := q[i]
	switch {
	case len(q) == 1:
		n.net[d], x.ownNet[d] = nil, false
	case i == 0 && !x.ownNet[d]:
		n.net[d] = q[1:len(q):len(q)] // shares the parent's tail; the cap stops appends from writing into it
	default:
		x.netScratch(n, d)
		n.net[d] = slices.Delete(n.net[d], i, i+1)
	}
	return p
}

// step feeds input (kind, arg) to side's endpoint (see endpoints.input)
// and carries out the outputs.
func (x *system) step(n *state, side int, kind model.InKind, arg uint32) {
	from := n.ep[side]
	to, acts, r := x.cache.step(side, from, kind, arg)
	n.ep[side] = to
	if x.obs != nil {
		x.obs.stepped(side, x.eps.input(kind, arg), x.eps.get(side, from), x.eps.get(side, to), r.out)
	}
	for i, a := range acts {
		if x.obs != nil {
			x.obs.output(side, &r.out[i], a.kind != model.OutSend || !x.stream || n.linkUp)
		}
		switch a.kind {
		case model.OutSend:
			x.send(n, side, a.arg)
		case model.OutDeliver:
			if side == server && a.arg >= 1 && a.arg <= MaxMessages && n.delivered[a.arg-1] < 255 {
				n.delivered[a.arg-1]++
			}
		case model.OutComplete:
			if side == client {
				n.completed |= 1 << (a.arg - 1)
			}
		case model.OutAbandon:
			if side == client {
				n.abandoned |= 1 << (a.arg - 1)
			}
		case model.OutSetTimer:
			x.arm(n, side, model.Timer(a.arg))
		case model.OutCancelTimer:
			x.cancel(n, side, model.Timer(a.arg))
		}
	}
}

func (x *system) send(n *state, side int, p pktID) {
	if x.stream && !n.linkUp {
		return // a stream that is not connected carries nothing
	}
	x.netScratch(n, side)
	q := n.net[side]
	i := len(q)
	if !x.stream && x.o.Reorder {
		// A multiset: kept sorted, so equal contents give equal keys.
		i, _ = slices.BinarySearchFunc(q, p, func(a, b pktID) int { return comparePackets(x.cache.pkt(a), x.cache.pkt(b)) })
	}
	x.netBuf[side] = slices.Insert(q, i, p)
	n.net[side] = x.netBuf[side]
}

func (x *system) arm(n *state, side int, t model.Timer) {
	ts := n.timers[side]
	i, found := slices.BinarySearch(ts, t)
	if found {
		return
	}
	x.timScratch(n, side)
	x.timBuf[side] = slices.Insert(n.timers[side], i, t)
	n.timers[side] = x.timBuf[side]
}

func (x *system) cancel(n *state, side int, t model.Timer) {
	ts := n.timers[side]
	i, found := slices.BinarySearch(ts, t)
	if !found {
		return
	}
	x.timScratch(n, side)
	n.timers[side] = slices.Delete(n.timers[side], i, i+1)
}
