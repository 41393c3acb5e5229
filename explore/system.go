package explore

import (
	"fmt"
	"slices"

	"github.com/qoslab/qoslab/model"
)

// moveKind is the kind of one transition of the closed system.
type moveKind uint8

const (
	mvPublish moveKind = iota + 1 // the application hands the next message to its publisher
	mvConnect                     // stream: connection side comes up; its client, then its server, get conn-up
	mvRestart                     // node side runs again after a crash
	mvDeliver                     // the packet at idx of direction side arrives
	mvTimer                       // armed timer idx of node side fires
	// Faults: everything from here on is left out of liveness paths.
	mvBreak // stream: connection side breaks
	mvCrash // node side crashes
	mvLose  // datagram: the packet at idx of direction side is lost
	mvDup   // datagram: the packet at idx of direction side is duplicated
)

// move is one transition, packed: kind (4 bits), side (a node, a
// direction or a connection; 4 bits), index (12 bits) and the option taken
// by the choices the move's step makes (12 bits; see choosing). It is
// relative to the state it leaves, which is how a path is replayed.
type move uint32

// Limits of the packing: a queue index and the options of one step.
const (
	maxMoveIndex   = 1<<12 - 1
	maxMoveChoices = 1 << 12
)

func mkMove(k moveKind, side, idx int) move {
	return move(uint32(k)<<28 | uint32(side)<<24 | uint32(idx)<<12)
}
func (m move) kind() moveKind     { return moveKind(m >> 28) }
func (m move) side() int          { return int(m>>24) & 0xf }
func (m move) idx() int           { return int(m>>12) & 0xfff }
func (m move) choice() uint64     { return uint64(m & 0xfff) }
func (m move) with(c uint64) move { return m&^0xfff | move(c) }
func (m move) fault() bool        { return m.kind() >= mvBreak }

// observer sees every endpoint step and every network event of a move; the
// trace builder and the state-machine projection use it. The search itself
// runs without one.
type observer interface {
	// stepped: node's endpoint took input in from before to after. The
	// endpoints and outputs are shared: read only.
	stepped(node int, in model.Input, before, after model.Endpoint, out []model.Output)
	// output: one output of that step, in order; entered says whether a
	// sent packet got onto the network (d is its direction).
	output(node int, o *model.Output, d int, entered bool)
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
	_      [falseSharingPad]byte
	o      Options
	v, fwd model.Variant // what clients publish with; what the broker forwards with
	cfg    model.Config
	stream bool
	obs    observer
	eps    *endpoints // shared by the workers of a search
	cache  *epCache   // this worker's
	top    topology
	sh     shape
	// choices: some choice the specification leaves open is open, so the
	// moves whose step chooses branch over every option.
	choices bool
	// the successor being built: which of its parts are scratch
	ownNet  [maxDirs]bool
	ownTim  [maxNodes]bool
	netBuf  [maxDirs][]pktID
	timBuf  [maxNodes][]model.Timer
	radices []uint64 // the options of each choice the last choosing step made
	// err stops the search: a step had more permitted outcomes than a move
	// can name (the bounds are too large for the choices opened).
	err error
	// kept queues and timer sets are carved out of large chunks: one
	// allocation per few thousand states instead of one per state
	qs   slab[pktID]
	tims slab[model.Timer]
	_    [falseSharingPad]byte
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
	sub, _ := model.Lookup(o.SubVariant)
	top := newTopology(o.Topology)
	msgs := workload(o.Messages, o.DistinctPayloads, top)
	cfg := o.endpointConfig()
	eps := newEndpoints(msgs, len(top.layout.Nodes))
	return &system{o: o, v: v, fwd: model.Forward(v, sub), cfg: cfg, stream: o.Mode == model.Stream,
		eps: eps, cache: newEpCache(eps), top: top,
		sh:      shape{msgs: o.Messages, nodes: len(top.layout.Nodes), dirs: 2 * len(top.layout.Links), broker: top.layout.HasBroker()},
		choices: cfg.IDPolicy == model.AnyFree || cfg.Choices != 0}, nil
}

// fork returns a system for another worker of the same search: the same
// options, topology and interned endpoints; scratch space and a cache of
// its own; no observer.
func (x *system) fork() *system {
	return &system{o: x.o, v: x.v, fwd: x.fwd, cfg: x.cfg, stream: x.stream, eps: x.eps,
		cache: newEpCache(x.eps), top: x.top, sh: x.sh, choices: x.choices}
}

// initial is the state before anything happened: every node's endpoint as
// the topology builds it (sim.Layout.Endpoints: the same sessions, broker
// and subscriptions as the simulator's). A datagram association needs no
// handshake, so every connection starts up, as in the simulator.
func (x *system) initial() state {
	s := state{breaks: uint8(x.o.Breaks), crashes: uint8(x.o.Crashes), losses: uint8(x.o.Losses), dups: uint8(x.o.Dups)}
	for n, e := range x.top.layout.Endpoints(x.cfg, x.v, x.fwd) {
		s.ep[n] = x.eps.intern(n, e)
	}
	if !x.stream {
		x.begin()
		for l, lk := range x.top.layout.Links {
			s.linkUp[l] = true
			x.step(&s, lk.Client, model.InConnUp, 0, 0, 0)
			x.step(&s, lk.Server, model.InConnUp, 0, lk.Conn, 0)
		}
		x.persist(&s)
	}
	return s
}

// begin starts building a successor: nothing of it is owned yet.
func (x *system) begin() {
	x.ownNet, x.ownTim = [maxDirs]bool{}, [maxNodes]bool{}
}

// persist gives n's scratch parts memory of their own, so that n outlives
// the next successor built.
func (x *system) persist(n *state) {
	for d := range x.sh.dirs {
		if x.ownNet[d] {
			n.net[d] = x.qs.copy(n.net[d])
		}
	}
	for i := range x.sh.nodes {
		if x.ownTim[i] {
			n.timers[i] = x.tims.copy(n.timers[i])
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

func (x *system) timScratch(n *state, node int) {
	if !x.ownTim[node] {
		x.timBuf[node] = append(x.timBuf[node][:0], n.timers[node]...)
		n.timers[node], x.ownTim[node] = x.timBuf[node], true
	}
}

// moves appends the moves enabled in s, in a fixed order, each once per
// permitted outcome of the choices its step makes (see choosing).
func (x *system) moves(s *state, dst []move) []move {
	from := len(dst)
	dst = x.baseMoves(s, dst)
	if !x.choices {
		return dst
	}
	base := append([]move(nil), dst[from:]...)
	dst = dst[:from]
	for _, m := range base {
		dst = x.branch(s, m, dst)
	}
	return dst
}

func (x *system) baseMoves(s *state, dst []move) []move {
	if int(s.published) < x.o.Messages && !s.down[x.top.publisher(int(s.published))] {
		dst = append(dst, mkMove(mvPublish, 0, 0))
	}
	if x.stream {
		for l, lk := range x.top.layout.Links {
			if !s.linkUp[l] && !s.down[lk.Client] && !s.down[lk.Server] {
				dst = append(dst, mkMove(mvConnect, l, 0))
			}
		}
	}
	for n := range x.sh.nodes {
		if s.down[n] {
			dst = append(dst, mkMove(mvRestart, n, 0))
		}
	}
	quiet := true
	for d := range x.sh.dirs {
		q := s.net[d]
		if len(q) == 0 {
			continue
		}
		quiet = false
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
	for n := range x.sh.nodes {
		if s.down[n] {
			continue
		}
		for i, t := range s.timers[n] {
			// A retry timer fires once the network is quiet (or at any
			// moment with EarlyTimers); an expiry timer at any moment, since
			// no TTL bounds how late a retransmission may arrive.
			if quiet || x.o.EarlyTimers || t.Purpose() == model.TimerExpiry {
				dst = append(dst, mkMove(mvTimer, n, i))
			}
		}
	}
	if s.breaks > 0 && x.stream {
		for l := range x.top.layout.Links {
			if s.linkUp[l] {
				dst = append(dst, mkMove(mvBreak, l, 0))
			}
		}
	}
	if s.crashes > 0 {
		for n := range x.sh.nodes {
			if !s.down[n] {
				dst = append(dst, mkMove(mvCrash, n, 0))
			}
		}
	}
	for _, k := range [2]moveKind{mvLose, mvDup} {
		if (k == mvLose && s.losses == 0) || (k == mvDup && s.dups == 0) {
			continue
		}
		for d := range x.sh.dirs {
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

// branch appends m once for each outcome of the choices its choosing step
// makes, read off the step itself: option 0 first, then the others as
// model.Outcomes enumerates them (a later choice's options may depend on an
// earlier one's).
func (x *system) branch(s *state, m move, dst []move) []move {
	var o model.ChoiceOdometer
	var n state
	// The probes are not moves taken: no observer sees them.
	obs := x.obs
	x.obs = nil
	defer func() { x.obs = obs }()
	for {
		c := o.Value()
		if c >= maxMoveChoices {
			if x.err == nil {
				x.err = fmt.Errorf("a step has more than %d permitted outcomes at these bounds (every free id and choice opened): lower --ids, --messages or --receive-max, or open fewer --choices", maxMoveChoices)
			}
			return dst
		}
		x.radices = x.radices[:0]
		x.apply(&n, s, m.with(c))
		dst = append(dst, m.with(c))
		if !o.NextRadices(x.radices) {
			return dst
		}
	}
}

// apply sets n to the successor of s under m, built in scratch space: call
// persist before keeping it or building another. n and s are distinct.
func (x *system) apply(n, s *state, m move) {
	*n = *s
	x.begin()
	side := m.side()
	switch m.kind() {
	case mvPublish:
		k := int(n.published)
		n.published++
		x.step(n, x.top.publisher(k), model.InPublish, uint32(k+1), 0, m.choice()) // message Ref k+1
	case mvConnect:
		lk := x.top.layout.Links[side]
		n.linkUp[side] = true
		if x.obs != nil {
			x.obs.network(m, model.Packet{})
		}
		x.step(n, lk.Client, model.InConnUp, 0, 0, 0)
		x.step(n, lk.Server, model.InConnUp, 0, lk.Conn, 0)
	case mvRestart:
		n.down[side] = false
		if x.obs != nil {
			x.obs.network(m, model.Packet{})
		}
		if x.stream {
			x.step(n, side, model.InRestart, 0, 0, m.choice())
			break
		}
		// A datagram association resumes at once. The choices of the
		// first connection's resumption are explored; a broker's other
		// connections resume with the default options.
		x.step(n, side, model.InRestart, 0, 0, 0)
		for c := range x.top.conns[side] {
			choice := uint64(0)
			if c == 0 {
				choice = m.choice()
			}
			x.step(n, side, model.InConnUp, 0, uint8(c), choice)
		}
	case mvDeliver:
		p := x.take(n, side, m.idx())
		if x.obs != nil {
			x.obs.network(m, *x.cache.pkt(p))
		}
		to, conn := x.top.receiver(side)
		if !n.down[to] {
			x.step(n, to, model.InPacket, p, conn, m.choice())
		}
	case mvTimer:
		t := n.timers[side][m.idx()]
		x.cancel(n, side, t)
		x.step(n, side, model.InTimer, uint32(t), 0, m.choice())
	case mvBreak:
		n.breaks--
		x.breakLink(n, side, m)
	case mvCrash:
		n.crashes--
		if x.obs != nil {
			x.obs.network(m, model.Packet{})
		}
		x.step(n, side, model.InCrash, 0, 0, 0)
		n.down[side] = true
		n.timers[side], x.ownTim[side] = nil, false // a dead node's timers never fire
		if x.stream {
			for _, l := range x.top.conns[side] {
				x.breakLink(n, l, mkMove(mvBreak, l, 1))
			}
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

// breakLink drops connection l: whatever is in flight on it is lost and
// each running end learns it. An index of 1 in m marks a break caused by a
// crash.
func (x *system) breakLink(n *state, l int, m move) {
	if !n.linkUp[l] {
		return
	}
	n.linkUp[l] = false
	if x.obs != nil {
		x.obs.network(m, model.Packet{})
	}
	for d := 2 * l; d < 2*l+2; d++ {
		n.net[d], x.ownNet[d] = nil, false
	}
	lk := x.top.layout.Links[l]
	for i, end := range [2]int{lk.Client, lk.Server} {
		if !n.down[end] {
			x.step(n, end, model.InConnDown, 0, [2]uint8{0, lk.Conn}[i], 0)
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

// step feeds input (kind, arg) on connection conn, with choice, to node's
// endpoint (see endpoints.input) and carries out the outputs.
func (x *system) step(n *state, node int, kind model.InKind, arg uint32, conn uint8, choice uint64) {
	from := n.ep[node]
	var out []model.Output // with an observer: the outputs, acts[i] being out[i]
	to, acts := x.cache.step(node, from, kind, arg, conn, choice)
	if x.obs != nil {
		out = x.eps.outputs(node, from, kind, arg, conn, choice)
		in := x.eps.input(kind, arg, conn)
		in.Choice = choice
		x.obs.stepped(node, in, x.eps.get(node, from), x.eps.get(node, to), out)
	}
	n.ep[node] = to
	app := !x.top.layout.Nodes[node].Broker
	for i, a := range acts {
		d := -1
		if a.kind == model.OutSend {
			d = x.top.dir(node, a.conn)
		}
		if x.obs != nil {
			x.obs.output(node, &out[i], d, a.kind != model.OutSend || !x.stream || n.linkUp[d/2])
		}
		switch a.kind {
		case model.OutSend:
			x.send(n, d, a.arg)
		case model.OutDeliver:
			if app && a.arg >= 1 && a.arg <= MaxMessages && n.delivered[a.arg-1] < 255 {
				n.delivered[a.arg-1]++
			}
		case actUnrouted:
			n.unrouted |= 1 << (a.arg - 1)
		case model.OutComplete:
			if app {
				n.completed |= 1 << (a.arg - 1)
			}
		case model.OutAbandon:
			if app {
				n.abandoned |= 1 << (a.arg - 1)
			}
		case model.OutSetTimer:
			x.arm(n, node, model.Timer(a.arg))
		case model.OutCancelTimer:
			x.cancel(n, node, model.Timer(a.arg))
		case model.OutChose:
			x.radices = append(x.radices, uint64(a.arg))
		}
	}
}

func (x *system) send(n *state, d int, p pktID) {
	if x.stream && !n.linkUp[d/2] {
		return // a stream that is not connected carries nothing
	}
	x.netScratch(n, d)
	q := n.net[d]
	i := len(q)
	if !x.stream && x.o.Reorder {
		// A multiset: kept sorted, so equal contents give equal keys.
		i, _ = slices.BinarySearchFunc(q, p, func(a, b pktID) int { return comparePackets(x.cache.pkt(a), x.cache.pkt(b)) })
	}
	x.netBuf[d] = slices.Insert(q, i, p)
	n.net[d] = x.netBuf[d]
}

func (x *system) arm(n *state, node int, t model.Timer) {
	ts := n.timers[node]
	i, found := slices.BinarySearch(ts, t)
	if found {
		return
	}
	x.timScratch(n, node)
	x.timBuf[node] = slices.Insert(n.timers[node], i, t)
	n.timers[node] = x.timBuf[node]
}

func (x *system) cancel(n *state, node int, t model.Timer) {
	ts := n.timers[node]
	i, found := slices.BinarySearch(ts, t)
	if !found {
		return
	}
	x.timScratch(n, node)
	n.timers[node] = slices.Delete(n.timers[node], i, i+1)
}
