package sim

import (
	"math/rand/v2"
	"strconv"

	"github.com/qoslab/qoslab/model"
)

// slot is one endpoint placed on a node and attached to one end of a link.
type slot struct {
	ep      model.Endpoint
	node    int
	link    int
	sender  bool
	forward int // slot that re-publishes what this slot delivers; -1: the application
	timers  timerTable
	peak    int   // largest Held() seen
	peakAt  int64 // when it was first reached
	peakPos int   // trace position of the input that reached it (-1 without a trace)
}

// timerState tracks one timer of a slot. Re-arming does not queue a new
// event while an earlier one is still queued: when that one comes due it
// is moved to the current deadline. Cancelled and superseded timers thus
// cost at most one queue entry, which keeps the queue small.
type timerState struct {
	gen      uint32 // generation of the queued event; older ones are void
	armed    bool
	queued   bool
	deadline int64
	queuedAt int64
}

type node struct {
	name  string
	up    bool
	slots []int
}

// link joins two slots: ends[0] acts as MQTT client, ends[1] as server.
type link struct {
	ends       [2]int
	up         bool
	epoch      uint32
	connecting bool     // a connect event is queued
	last       [2]int64 // stream mode: latest arrival time towards each end, to keep order
}

// Sim is one run in progress. Build it with New, then call Run.
type Sim struct {
	cfg   Config
	pcg   *rand.PCG
	rng   *rand.Rand
	q     eventQueue
	ins   inputSlab
	now   int64
	slots []slot
	nodes []node
	links []link
	msgs  []model.Message // the workload, indexed by Ref-1
	wl    Workload        // the settings msgs was made for
	legs  []string        // the variant that runs on each link

	healed   bool
	backlog  []int // workload indexes published while the publisher was down
	sends    [model.NumPacketTypes]int
	recvs    [model.NumPacketTypes]int
	sendID   int64
	faults   []Fault // packet-matched faults of the schedule
	faultIdx []int   // their positions in the schedule
	fired    []bool  // per schedule entry: its moment came
	out      []model.Output
	res      *Result
	states   *stateRecorder // RunStates only: records the endpoints' states
	// spare keeps the arrays of the result lists that the last run left
	// empty, which the Result shows as nil, for the next run to fill, and
	// a scratch list for the endpoints' Pending.
	spare struct {
		unfired, pending, scratch []string
		trace                     Trace
	}
}

// New validates cfg and prepares a run. The error names the offending field.
func New(cfg Config) (*Sim, error) {
	s := new(Sim)
	if err := s.init(cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// Run executes cfg and returns its result. It is New followed by Sim.Run.
func Run(cfg Config) (*Result, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return s.Run(), nil
}

// The nodes' slot lists of the two topologies; read only.
var (
	brokeredSlots = [3][]int{{0}, {1, 2}, {3}}
	directSlots   = [2][]int{{0}, {1}}
)

// init validates cfg and sets every field of s for a run of it. A fresh
// Sim and one that has run before end up in the same state, except that
// the second keeps its buffers (queue, slab, timer tables, output buffer,
// endpoints' arrays, the Result and its arrays, and the workload if it is
// the same): nothing of the earlier run can be read by this one, which
// Runner relies on and TestRunnerMatchesRun checks.
func (s *Sim) init(cfg Config) error {
	cfg = cfg.Normalize()
	if err := cfg.Validate(); err != nil {
		return err
	}
	s.cfg = cfg
	if s.rng == nil {
		s.pcg = rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)
		s.rng = rand.New(s.pcg)
	} else {
		s.pcg.Seed(cfg.Seed, 0x9e3779b97f4a7c15)
	}
	s.q.reset()
	s.ins.items, s.ins.free = s.ins.items[:0], s.ins.free[:0]
	s.now = 0
	s.healed = false
	s.backlog = s.backlog[:0]
	s.sends, s.recvs = [model.NumPacketTypes]int{}, [model.NumPacketTypes]int{}
	s.sendID = 0
	s.faults, s.faultIdx = s.faults[:0], s.faultIdx[:0]
	s.out = s.out[:0]
	s.build()
	if r := s.res; r != nil {
		s.keepSpare(r)
	}
	s.res = s.res.reset(cfg, len(s.msgs))
	s.res.Legs = s.legs
	return nil
}

func (s *Sim) build() {
	c := s.cfg
	v1, _ := model.Lookup(c.Variant)
	ec := c.Endpoint
	// Slots keep their timer tables, emptied, and endpoints from an
	// earlier run (see reuseEndpoint).
	var timers [4]timerTable
	var olds [4]model.Endpoint
	for i := range s.slots {
		timers[i], olds[i] = s.slots[i].timers, s.slots[i].ep
		timers[i].reset()
	}
	if c.Topology == Brokered {
		sub, _ := model.Lookup(c.SubscriberVariant)
		v2 := model.Forward(v1, sub)
		s.legs = append(s.legs[:0], v1.Name, v2.Name)
		s.nodes = append(s.nodes[:0], node{name: "publisher", slots: brokeredSlots[0]}, node{name: "broker", slots: brokeredSlots[1]}, node{name: "subscriber", slots: brokeredSlots[2]})
		s.slots = append(s.slots[:0],
			slot{ep: v1.NewSender(ec.As(model.RoleClient)), node: 0, link: 0, sender: true, forward: -1, timers: timers[0]},
			slot{ep: v1.NewReceiver(ec.As(model.RoleServer)), node: 1, link: 0, forward: 2, timers: timers[1]},
			slot{ep: v2.NewSender(ec.As(model.RoleServer)), node: 1, link: 1, sender: true, forward: -1, timers: timers[2]},
			slot{ep: v2.NewReceiver(ec.As(model.RoleClient)), node: 2, link: 1, forward: -1, timers: timers[3]},
		)
		s.links = append(s.links[:0], link{ends: [2]int{0, 1}}, link{ends: [2]int{3, 2}})
	} else {
		s.nodes = append(s.nodes[:0], node{name: "client", slots: directSlots[0]}, node{name: "server", slots: directSlots[1]})
		s.slots = append(s.slots[:0],
			slot{ep: v1.NewSender(ec.As(model.RoleClient)), node: 0, link: 0, sender: true, forward: -1, timers: timers[0]},
			slot{ep: v1.NewReceiver(ec.As(model.RoleServer)), node: 1, link: 0, forward: -1, timers: timers[1]},
		)
		s.links = append(s.links[:0], link{ends: [2]int{0, 1}})
		s.legs = append(s.legs[:0], v1.Name)
	}
	for i := range s.slots {
		s.slots[i].ep = reuseEndpoint(olds[i], s.slots[i].ep)
	}
	for i := range s.nodes {
		s.nodes[i].up = true
	}
	// The messages are read only (endpoints get copies), so the same
	// workload settings can share them from run to run.
	if w := c.Workload; s.msgs == nil || w.Messages != s.wl.Messages || w.Topics != s.wl.Topics ||
		w.PayloadBytes != s.wl.PayloadBytes || w.DistinctPayloads != s.wl.DistinctPayloads {
		s.msgs, s.wl = makeWorkload(w), w
	}
	if cap(s.fired) >= len(c.Faults) {
		s.fired = s.fired[:len(c.Faults)]
		clear(s.fired)
	} else {
		s.fired = make([]bool, len(c.Faults))
	}
	for k, f := range c.Faults {
		if f.When == AtTime {
			kind := evBreak
			target := int32(0)
			if f.Action == Crash {
				kind, target = evCrash, int32(s.nodeIndex(f.Node))
			}
			s.q.push(event{at: f.At, kind: kind, target: target, gen: uint32(k + 1), extra: f.Ticks})
		} else {
			s.faults = append(s.faults, f)
			s.faultIdx = append(s.faultIdx, k)
		}
	}
}

// reuseEndpoint returns an endpoint in the state of fresh: old made a copy
// of it if old can (model.Copier: same concrete type), which keeps old's
// arrays (a sender's queue of unsent messages grows to thousands of
// entries in a long run), else fresh itself.
func reuseEndpoint(old, fresh model.Endpoint) model.Endpoint {
	if c, ok := old.(model.Copier); ok && c.CopyFrom(fresh) {
		return old
	}
	return fresh
}

// makeWorkload builds the messages of a run. Payloads are padded to size
// so that byte counts follow the setting.
func makeWorkload(w Workload) []model.Message {
	msgs := make([]model.Message, w.Messages)
	topics := make([]string, w.Topics)
	for i := range topics {
		topics[i] = "qoslab/" + strconv.Itoa(i)
	}
	distinct := w.Messages
	if w.DistinctPayloads > 0 && w.DistinctPayloads < distinct {
		distinct = w.DistinctPayloads
	}
	// One buffer holds every distinct payload; messages share slices of it.
	buf := make([]byte, 0, distinct*w.PayloadBytes+distinct*8)
	offs := make([]int, distinct+1)
	for k := range distinct {
		start := len(buf)
		buf = append(buf, 'v')
		buf = strconv.AppendInt(buf, int64(k), 10)
		for len(buf)-start < w.PayloadBytes {
			buf = append(buf, '.')
		}
		offs[k+1] = len(buf)
	}
	all := string(buf)
	for i := range msgs {
		k := i % distinct
		msgs[i] = model.Message{Ref: uint32(i + 1), Topic: topics[i%w.Topics], Payload: all[offs[k]:offs[k+1]]}
	}
	return msgs
}

func (s *Sim) nodeIndex(name string) int {
	for i, n := range s.nodes {
		if n.name == name {
			return i
		}
	}
	return -1
}

// Run executes the run to its end: settled, or nothing more can happen, or
// the time limit.
func (s *Sim) Run() *Result {
	for i := range s.links {
		s.q.push(event{at: 0, kind: evConnect, target: int32(i)})
		s.links[i].connecting = true
		if s.cfg.Endpoint.Mode == model.Stream && s.cfg.Network.BreakMeanTicks > 0 {
			s.q.push(event{at: s.expTicks(s.cfg.Network.BreakMeanTicks), kind: evRandomBreak, target: int32(i)})
		}
	}
	s.q.push(event{at: s.cfg.Workload.StartTicks, kind: evPublish, target: 0, gen: 0})
	if m := s.cfg.Network.CrashMeanTicks; m > 0 {
		s.q.push(event{at: s.expTicks(m), kind: evRandomCrash})
	}
	if nw := s.cfg.Network; nw.Loss > 0 || nw.Dup > 0 || nw.BreakMeanTicks > 0 || nw.CrashMeanTicks > 0 {
		s.q.push(event{at: nw.HealTicks, kind: evHeal})
	}
	for s.q.len() > 0 {
		e := s.q.pop()
		if e.at > s.cfg.MaxTicks {
			s.res.TimedOut = true
			break
		}
		s.now = e.at
		s.res.Events++
		s.dispatch(&e)
	}
	s.finish()
	return s.res
}

func (s *Sim) dispatch(e *event) {
	switch e.kind {
	case evArrive:
		s.arrive(e)
	case evTimer:
		if !s.timerDue(e) {
			s.res.Events-- // a cancelled or moved timer: bookkeeping, not an event of the run
			return
		}
		if s.cfg.Trace {
			s.trace(TraceEvent{Kind: TTimer, Node: s.nodeName(int(e.target)), Note: e.timer.String()})
		}
		s.step(int(e.target), &model.Input{Kind: model.InTimer, Timer: e.timer})
	case evPublish:
		s.publish(int(e.gen))
	case evForward:
		// step copies the input before anything can reuse the entry.
		s.step(int(e.target), &s.ins.items[e.in])
		s.ins.release(e.in)
	case evBreak:
		s.markFired(e)
		s.breakLink(int(e.target), e.extra, "")
	case evRandomBreak:
		if !s.healed {
			s.breakLink(int(e.target), 0, "random")
			s.q.push(event{at: s.now + s.expTicks(s.cfg.Network.BreakMeanTicks), kind: evRandomBreak, target: e.target})
		}
	case evRandomCrash:
		if !s.healed {
			s.crash(s.rng.IntN(len(s.nodes)), 0)
			s.q.push(event{at: s.now + s.expTicks(s.cfg.Network.CrashMeanTicks), kind: evRandomCrash})
		}
	case evConnect:
		s.connect(int(e.target))
	case evCrash:
		s.markFired(e)
		s.crash(int(e.target), e.extra)
	case evRestart:
		s.restart(int(e.target))
	case evHeal:
		s.healed = true
		s.trace(TraceEvent{Kind: THeal, Node: "network", Note: "random faults stop"})
	}
}

// expTicks draws an exponentially distributed delay of the given mean, at
// least one tick.
func (s *Sim) expTicks(mean int64) int64 {
	d := int64(s.rng.ExpFloat64() * float64(mean))
	if d < 1 {
		d = 1
	}
	return d
}

func (s *Sim) publish(i int) {
	if i+1 < len(s.msgs) {
		s.q.push(event{at: s.now + s.cfg.Workload.IntervalTicks, kind: evPublish, gen: uint32(i + 1)})
	}
	s.res.Messages[i].PublishedAt = s.now
	if !s.nodes[s.slots[0].node].up {
		s.backlog = append(s.backlog, i)
		return
	}
	s.step(0, &model.Input{Kind: model.InPublish, Msg: s.msgs[i]})
}

// step feeds one input to a slot's endpoint and carries out its outputs.
// Outputs never re-enter step directly: anything that would (a fault that
// breaks the connection, a broker forwarding) is queued at the current time,
// so every reaction is one queue entry and ordering stays deterministic.
//
// The input comes by pointer: it is 120 bytes, copied once into Step.
func (s *Sim) step(i int, in *model.Input) {
	sl := &s.slots[i]
	s.out = sl.ep.Step(*in, s.out[:0])
	if s.states != nil {
		s.states.stepped(s, i, in.Kind)
	}
	// Only receivers' peaks are reported (see finish), so senders are not
	// asked.
	if !sl.sender {
		if h := sl.ep.Held(); h > sl.peak {
			sl.peak, sl.peakAt, sl.peakPos = h, s.now, len(s.res.Trace)-1
		}
	}
	for k := range s.out {
		s.apply(i, &s.out[k])
	}
}

func (s *Sim) apply(i int, o *model.Output) {
	sl := &s.slots[i]
	switch o.Kind {
	case model.OutSend:
		s.send(i, &o.Packet)
	case model.OutDeliver:
		if s.cfg.Trace {
			s.trace(TraceEvent{Kind: TDeliver, Node: s.nodeName(i), Msg: o.Msg.Ref})
		}
		if sl.forward >= 0 {
			k, in := s.ins.alloc()
			in.Kind, in.Msg = model.InPublish, o.Msg
			s.q.push(event{at: s.now, kind: evForward, target: int32(sl.forward), in: k})
			return
		}
		s.res.delivered(o.Msg.Ref, s.now)
	case model.OutComplete, model.OutAbandon:
		kind := TComplete
		if o.Kind == model.OutAbandon {
			kind = TAbandon
		}
		if s.cfg.Trace {
			s.trace(TraceEvent{Kind: kind, Node: s.nodeName(i), Msg: o.Msg.Ref, Note: o.Note})
		}
		if i == 0 {
			s.res.completed(o.Msg.Ref, s.now, o.Kind == model.OutAbandon, o.Note)
		}
	case model.OutSetTimer:
		t := sl.timers.get(o.Timer)
		t.armed, t.deadline = true, s.now+o.Delay
		if !t.queued || t.queuedAt > t.deadline {
			s.queueTimer(i, o.Timer, t)
		}
	case model.OutCancelTimer:
		sl.timers.get(o.Timer).armed = false
	case model.OutPersist:
		s.res.Persists++
		if s.cfg.Trace {
			s.trace(TraceEvent{Kind: TPersist, Node: s.nodeName(i), Note: o.Note})
		}
	}
}

func (s *Sim) queueTimer(i int, tm model.Timer, t *timerState) {
	t.gen++
	t.queued, t.queuedAt = true, t.deadline
	s.q.push(event{at: t.deadline, kind: evTimer, target: int32(i), gen: t.gen, timer: tm})
}

// timerDue reports whether a timer event should fire now; a timer re-armed
// for later is queued again at its deadline.
func (s *Sim) timerDue(e *event) bool {
	sl := &s.slots[e.target]
	t := sl.timers.get(e.timer)
	if t.gen != e.gen {
		return false
	}
	t.queued = false
	switch {
	case !t.armed || !s.nodes[sl.node].up:
	case t.deadline > s.now:
		s.queueTimer(int(e.target), e.timer, t)
	default:
		t.armed = false
		return true
	}
	return false
}

func (s *Sim) nodeName(slotIndex int) string { return s.nodes[s.slots[slotIndex].node].name }

// peerOf returns the slot at the other end of slot i's link.
func (s *Sim) peerOf(i int) (peer, side int) {
	l := &s.links[s.slots[i].link]
	if l.ends[0] == i {
		return l.ends[1], 1
	}
	return l.ends[0], 0
}

// send puts p on slot i's link. Packets travel by pointer until they are
// stored in the slab: a Packet is 88 bytes.
func (s *Sim) send(i int, p *model.Packet) {
	lk := s.slots[i].link
	l := &s.links[lk]
	peer, side := s.peerOf(i)
	stream := s.cfg.Endpoint.Mode == model.Stream
	s.sendID++
	id := s.sendID
	s.res.countSend(p, s.cfg.Endpoint.Version)
	if s.cfg.Trace {
		s.trace(TraceEvent{Kind: TSend, Node: s.nodeName(i), Peer: s.nodeName(peer), ID: id, Packet: s.tracePacket(p)})
	}
	if stream && !l.up {
		s.lost(id, i, "not connected")
		return
	}
	s.sends[p.Type]++
	n := s.sends[p.Type]
	var extra, dupExtra int64
	lose, dup := false, false
	for k, f := range s.faults {
		if f.Type != p.Type || f.N != n || f.When == AfterRecv {
			continue
		}
		s.fired[s.faultIdx[k]] = true
		switch f.Action {
		case Lose:
			lose = true
		case Dup:
			dup, dupExtra = true, dupExtra+f.Ticks
		case Delay:
			extra += f.Ticks
		case Break, Crash:
			s.queueFault(f, lk)
		}
	}
	if !stream && !s.healed {
		nw := &s.cfg.Network
		if nw.Loss > 0 && s.rng.Float64() < nw.Loss {
			lose = true
		}
		if nw.Dup > 0 && s.rng.Float64() < nw.Dup {
			dup = true
		}
	}
	if lose {
		s.lost(id, i, "lost by the network")
		return
	}
	s.schedule(l, side, peer, id, p, extra)
	if dup {
		if s.cfg.Trace {
			s.trace(TraceEvent{Kind: TDup, Node: s.nodeName(i), Peer: s.nodeName(peer), ID: id, Packet: s.tracePacket(p)})
		}
		s.schedule(l, side, peer, id, p, extra+dupExtra)
	}
}

// schedule queues the arrival of p at the peer slot. Stream links keep
// order: a packet never arrives before one sent earlier in its direction.
func (s *Sim) schedule(l *link, side, peer int, id int64, p *model.Packet, extra int64) {
	nw := &s.cfg.Network
	at := s.now + nw.LatencyTicks + extra
	if nw.JitterTicks > 0 {
		at += s.rng.Int64N(nw.JitterTicks + 1)
	}
	if s.cfg.Endpoint.Mode == model.Stream {
		if at < l.last[side] {
			at = l.last[side]
		}
		l.last[side] = at
	}
	k, in := s.ins.alloc()
	in.Kind, in.Packet = model.InPacket, *p
	s.q.push(event{at: at, kind: evArrive, target: int32(peer), gen: l.epoch, extra: id, in: k})
}

// queueFault carries out a matched Break or Crash right after the current
// event; a Break hits the link the matched packet travels on.
func (s *Sim) queueFault(f Fault, link int) {
	switch f.Action {
	case Break:
		s.q.push(event{at: s.now, kind: evBreak, target: int32(link), extra: f.Ticks})
	case Crash:
		s.q.push(event{at: s.now, kind: evCrash, target: int32(s.nodeIndex(f.Node)), extra: f.Ticks})
	}
}

func (s *Sim) lost(id int64, from int, why string) {
	s.res.Lost++
	if s.cfg.Trace {
		s.trace(TraceEvent{Kind: TLost, Node: s.nodeName(from), ID: id, Note: why})
	}
}

func (s *Sim) arrive(e *event) {
	// The entry is released before the input is used: nothing allocates
	// from the slab until step has copied the input into the endpoint.
	in := &s.ins.items[e.in]
	s.ins.release(e.in)
	typ := in.Packet.Type
	i := int(e.target)
	sl := &s.slots[i]
	l := &s.links[sl.link]
	peer, _ := s.peerOf(i)
	if s.cfg.Endpoint.Mode == model.Stream && e.gen != l.epoch {
		s.lost(e.extra, peer, "connection broken")
		return
	}
	if !s.nodes[sl.node].up {
		s.lost(e.extra, peer, s.nodes[sl.node].name+" is down")
		return
	}
	if s.cfg.Trace {
		s.trace(TraceEvent{Kind: TRecv, Node: s.nodeName(i), Peer: s.nodeName(peer), ID: e.extra, Packet: s.tracePacket(&in.Packet)})
	}
	s.step(i, in)
	s.recvs[typ]++
	n := s.recvs[typ]
	for k, f := range s.faults {
		if f.When == AfterRecv && f.Type == typ && f.N == n {
			s.fired[s.faultIdx[k]] = true
			s.queueFault(f, sl.link)
		}
	}
}

// breakLink breaks a stream connection: everything in flight is lost in
// both directions, both ends learn it, and the client reconnects later.
func (s *Sim) breakLink(li int, reconnect int64, why string) {
	l := &s.links[li]
	if !l.up {
		return
	}
	l.up = false
	l.epoch++
	note := "connection broken"
	if why != "" {
		note += " (" + why + ")"
	}
	s.res.Breaks++
	s.trace(TraceEvent{Kind: TBreak, Node: s.nodeName(l.ends[0]), Peer: s.nodeName(l.ends[1]), Note: note})
	for _, end := range l.ends {
		if s.nodes[s.slots[end].node].up {
			s.step(end, &model.Input{Kind: model.InConnDown})
		}
	}
	if reconnect == 0 {
		reconnect = s.cfg.Network.ReconnectTicks
	}
	s.queueConnect(li, reconnect)
}

func (s *Sim) queueConnect(li int, after int64) {
	l := &s.links[li]
	if l.connecting || l.up {
		return
	}
	l.connecting = true
	s.q.push(event{at: s.now + after, kind: evConnect, target: int32(li)})
}

// connect brings a link up when both its nodes run. The client end is told
// first, since it opens the MQTT connection.
func (s *Sim) connect(li int) {
	l := &s.links[li]
	l.connecting = false
	if l.up || !s.nodes[s.slots[l.ends[0]].node].up || !s.nodes[s.slots[l.ends[1]].node].up {
		return // a restart queues a new attempt
	}
	l.up = true
	l.last = [2]int64{s.now, s.now}
	s.trace(TraceEvent{Kind: TConnect, Node: s.nodeName(l.ends[0]), Peer: s.nodeName(l.ends[1])})
	s.step(l.ends[0], &model.Input{Kind: model.InConnUp})
	s.step(l.ends[1], &model.Input{Kind: model.InConnUp})
}

func (s *Sim) crash(ni int, restart int64) {
	n := &s.nodes[ni]
	if !n.up {
		return
	}
	s.res.Crashes++
	s.trace(TraceEvent{Kind: TCrash, Node: n.name})
	for _, i := range n.slots {
		s.step(i, &model.Input{Kind: model.InCrash})
	}
	n.up = false
	for _, i := range n.slots {
		s.slots[i].timers.disarmAll()
		if s.cfg.Endpoint.Mode == model.Stream {
			s.breakLinkDown(s.slots[i].link)
		}
	}
	if restart == 0 {
		restart = s.cfg.Network.RestartTicks
	}
	s.q.push(event{at: s.now + restart, kind: evRestart, target: int32(ni)})
}

// breakLinkDown breaks a link because one of its nodes died; the survivor
// learns of it, and reconnection waits for the restart.
func (s *Sim) breakLinkDown(li int) {
	l := &s.links[li]
	if !l.up {
		return
	}
	l.up = false
	l.epoch++
	s.res.Breaks++
	s.trace(TraceEvent{Kind: TBreak, Node: s.nodeName(l.ends[0]), Peer: s.nodeName(l.ends[1]), Note: "connection lost with a crashed node"})
	for _, end := range l.ends {
		if s.nodes[s.slots[end].node].up {
			s.step(end, &model.Input{Kind: model.InConnDown})
		}
	}
}

func (s *Sim) restart(ni int) {
	n := &s.nodes[ni]
	n.up = true
	s.trace(TraceEvent{Kind: TRestart, Node: n.name})
	for _, i := range n.slots {
		s.step(i, &model.Input{Kind: model.InRestart})
	}
	if ni == s.slots[0].node {
		for _, k := range s.backlog {
			s.step(0, &model.Input{Kind: model.InPublish, Msg: s.msgs[k]})
		}
		s.backlog = nil
	}
	for _, i := range n.slots {
		if s.cfg.Endpoint.Mode == model.Stream {
			s.queueConnect(s.slots[i].link, s.cfg.Network.ReconnectTicks)
		} else {
			s.step(i, &model.Input{Kind: model.InConnUp})
		}
	}
}

func (s *Sim) trace(e TraceEvent) {
	if !s.cfg.Trace {
		return
	}
	e.At = s.now
	if s.res.Trace == nil {
		s.res.Trace = s.spare.trace[:0]
	}
	s.res.Trace = append(s.res.Trace, e)
}

func (s *Sim) tracePacket(p *model.Packet) *model.Packet {
	if !s.cfg.Trace {
		return nil
	}
	q := new(model.Packet) // a copy: p belongs to the caller
	*q = *p
	return q
}

// markFired records that a timed schedule entry (gen = position + 1) came
// due; events queued by packet-matched faults carry gen 0.
func (s *Sim) markFired(e *event) {
	if e.gen > 0 {
		s.fired[e.gen-1] = true
	}
}

func (s *Sim) finish() {
	r := s.res
	r.Unfired, r.Pending = s.spare.unfired[:0], s.spare.pending[:0]
	for k, f := range s.cfg.Faults {
		if !s.fired[k] {
			r.Unfired = append(r.Unfired, f.String())
		}
	}
	r.EndTicks = s.now
	for i := range s.slots {
		sl := &s.slots[i]
		if !sl.sender {
			if sl.peak > r.PeakHeld {
				r.PeakHeldAt, r.PeakHeldEvent = sl.peakAt, sl.peakPos
			}
			r.PeakHeld = max(r.PeakHeld, sl.peak)
			r.PeakHeldBy = append(r.PeakHeldBy, NodePeak{Node: s.nodeName(i), Peak: sl.peak})
		}
		s.spare.scratch = sl.ep.Pending(s.spare.scratch[:0])
		for _, p := range s.spare.scratch {
			r.Pending = append(r.Pending, s.nodeName(i)+": "+p)
		}
	}
	for i := range s.nodes {
		if !s.nodes[i].up {
			r.Pending = append(r.Pending, s.nodes[i].name+": down")
		}
	}
	for _, k := range s.backlog {
		r.Pending = append(r.Pending, "publisher: m"+strconv.Itoa(k+1)+" never handed over")
	}
	for i := range r.Messages {
		m := &r.Messages[i]
		if m.Abandoned {
			r.Pending = append(r.Pending, "m"+strconv.Itoa(i+1)+" abandoned: "+m.AbandonNote)
		}
	}
	r.Settled = len(r.Pending) == 0 && !r.TimedOut
	// Empty lists are nil, as they always were: callers may test for nil.
	s.keepSpare(r)
}

// keepSpare moves the arrays of r's empty lists to s.spare and makes the
// lists nil; arrays of non-empty lists stay with r, and init takes them
// back before the next run overwrites r.
func (s *Sim) keepSpare(r *Result) {
	spare(&r.Unfired, &s.spare.unfired)
	spare(&r.Pending, &s.spare.pending)
	spare(&r.Trace, &s.spare.trace)
}

// spare keeps list's array in keep for reuse and makes an empty list nil.
func spare[S ~[]E, E any](list *S, keep *S) {
	if cap(*list) > 0 {
		*keep = (*list)[:0]
	}
	if len(*list) == 0 {
		*list = nil
	}
}
