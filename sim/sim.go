package sim

import (
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/qoslab/qoslab/model"
)

// node is one machine of the topology: its endpoint (a client or server
// session, or a broker) and the connections it has, by model.Input.Conn.
type node struct {
	name    string
	up      bool
	ep      model.Endpoint
	ps      model.InputStepper // ep, if it is one
	links   []int              // link of each connection
	app     bool               // not a broker: its deliveries and completions are the application's
	holds   bool               // it may hold ids for received messages (asked for Held)
	timers  timerTable
	peak    int             // largest Held() seen
	peakAt  int64           // when it was first reached
	peakPos int             // trace position of the input that reached it (-1 without a trace)
	backlog []model.Message // published while the node was down
}

// timerState tracks one timer of a node. Re-arming does not queue a new
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

// link is one connection: ends[0] is the MQTT client's node, ends[1] the
// server's; conns are the connection's index at each end.
type link struct {
	ends       [2]int
	conns      [2]uint8
	up         bool
	epoch      uint32
	connecting bool     // a connect event is queued
	last       [2]int64 // stream mode: latest arrival time towards each end, to keep order
}

// peer is the node at the other end of l from node i.
func (l *link) peer(i int) int {
	if l.ends[0] == i {
		return l.ends[1]
	}
	return l.ends[0]
}

// Sim is one run in progress. Build it with New, then call Run.
type Sim struct {
	cfg    Config
	pcg    *rand.PCG
	rng    *rand.Rand
	q      eventQueue
	ins    inputSlab
	now    int64
	layout Layout
	nodes  []node
	links  []link
	wl     workload // its pubs: message k is published by node pubs[k % len(pubs)]
	legs   []string // the variant that runs on each link
	// choices: some choice the specification leaves open is open, so
	// every step draws its Input.Choice from the seeded source.
	choices bool
	stream  bool // Config.Endpoint.Mode is Stream

	healed   bool
	sends    [model.NumPacketTypes]int
	recvs    [model.NumPacketTypes]int
	sendID   int64
	faults   []Fault // packet-matched faults of the schedule
	faultIdx []int   // their positions in the schedule
	faultOn  []int   // their Fault.On as a link index, -1 for every link
	// per link, packets of each type put on the wire and processed, for
	// faults counted on one connection (kept only when one is)
	linkSends, linkRecvs [][model.NumPacketTypes]int
	fired                []int   // per schedule entry: the trace row where its moment came (-1 untraced), or notFired
	copies               []int64 // send: the extra delay of each copy of the packet at hand
	out                  []model.Output
	in                   model.Input    // the input of a step that is not an arrival (see step)
	pkts                 []model.Packet // the chunk tracePacket hands out copies from
	res                  *Result
	// keep: the run keeps Result.Messages; otherwise led holds the records
	// of the messages in flight (see ledger).
	keep      bool
	led       ledger
	published int            // messages published so far
	troubled  []MessageStats // the troubled records led retired
	// The latencies of the messages counted so far, for the Tally.
	delivery, completion tickCounts
	states               *stateRecorder // RunStates only: records the endpoints' states
	// spare keeps the arrays of the result lists that the last run left
	// empty, which the Result shows as nil, for the next run to fill, and
	// a scratch list for the endpoints' Pending.
	spare struct {
		unfired, pending, scratch []string
		trace                     Trace
		messages                  []MessageStats
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
	s.sends, s.recvs = [model.NumPacketTypes]int{}, [model.NumPacketTypes]int{}
	s.sendID = 0
	s.faults, s.faultIdx, s.faultOn = s.faults[:0], s.faultIdx[:0], s.faultOn[:0]
	s.linkSends, s.linkRecvs = s.linkSends[:0], s.linkRecvs[:0]
	s.out = s.out[:0]
	s.pkts = nil
	e := cfg.Endpoint
	s.choices = e.IDPolicy == model.AnyFree || e.Choices != 0
	s.stream = e.Mode == model.Stream
	s.build()
	if r := s.res; r != nil {
		s.keepSpare(r)
	}
	s.keep = keepsMessages(cfg)
	s.led.reset()
	s.published = 0
	s.troubled = s.troubled[:0]
	s.res = s.res.reset(cfg, cfg.Workload.Messages, s.keep, &s.spare.messages)
	s.res.Legs = s.legs
	return nil
}

func (s *Sim) build() {
	c := s.cfg
	v, _ := model.Lookup(c.Variant)
	sub, _ := model.Lookup(c.SubscriberVariant)
	fwd := model.Forward(v, sub)
	s.layout = c.Topology.Layout()
	eps := s.layout.endpoints(c.Endpoint, v, fwd, !c.Endpoint.CleanStart && !c.FreshSessions)
	// Nodes keep their timer tables, emptied, their arrays, and endpoints
	// from an earlier run (see reuseEndpoint).
	old := s.nodes
	s.nodes = s.nodes[:0]
	for i, spec := range s.layout.Nodes {
		n := node{name: spec.Name, up: true, ep: eps[i], app: !spec.Broker,
			holds: spec.Receives || spec.Broker, peakPos: 0}
		if i < len(old) {
			n.timers, n.links, n.backlog = old[i].timers, old[i].links[:0], old[i].backlog[:0]
			n.timers.reset()
			n.ep = reuseEndpoint(old[i].ep, eps[i])
		}
		n.ps, _ = n.ep.(model.InputStepper)
		s.nodes = append(s.nodes, n)
	}
	s.links = s.links[:0]
	s.legs = s.legs[:0]
	for _, lk := range s.layout.Links {
		s.links = append(s.links, link{ends: [2]int{lk.Client, lk.Server}, conns: [2]uint8{0, lk.Conn}})
		cl := &s.nodes[lk.Client]
		cl.links = append(cl.links, len(s.links)-1)
		sv := &s.nodes[lk.Server]
		for len(sv.links) <= int(lk.Conn) {
			sv.links = append(sv.links, 0)
		}
		sv.links[lk.Conn] = len(s.links) - 1
		s.legs = append(s.legs, s.legName(lk, v, fwd))
	}
	s.wl.reset(c.Workload, c.Topology)
	if cap(s.fired) >= len(c.Faults) {
		s.fired = s.fired[:len(c.Faults)]
	} else {
		s.fired = make([]int, len(c.Faults))
	}
	for k := range s.fired {
		s.fired[k] = notFired
	}
	for k, f := range c.Faults {
		on := -1
		if f.On != "" {
			on = s.layout.LinkOf(f.On)
		}
		if f.When == AtTime {
			kind := evBreak
			target := int32(max(on, 0))
			if f.Action == Crash {
				kind, target = evCrash, int32(s.nodeIndex(f.Node))
			}
			s.q.push(event{at: f.At, kind: kind, target: target, gen: uint32(k + 1), extra: f.Ticks})
		} else {
			s.faults = append(s.faults, f)
			s.faultIdx = append(s.faultIdx, k)
			s.faultOn = append(s.faultOn, on)
			if on >= 0 && len(s.linkSends) == 0 {
				s.linkSends = append(s.linkSends, make([][model.NumPacketTypes]int, len(s.links))...)
				s.linkRecvs = append(s.linkRecvs, make([][model.NumPacketTypes]int, len(s.links))...)
			}
		}
	}
}

// legName is the variant that runs on a link: its client's publications,
// and, when the link also carries publications the other way under
// another variant, that one after a slash.
func (s *Sim) legName(lk LinkSpec, v, fwd model.Variant) string {
	cl, sv := s.layout.Nodes[lk.Client], s.layout.Nodes[lk.Server]
	down := ""
	switch {
	case sv.Broker && cl.Receives:
		down = fwd.Name
	case sv.Publishes:
		down = v.Name
	}
	switch {
	case !cl.Publishes:
		return down
	case down == "" || down == v.Name:
		return v.Name
	}
	return v.Name + "/" + down
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
	s.q.push(event{at: s.cfg.Workload.StartTicks, kind: evPublish, gen: 0})
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
		// The events of the steady state without the jump through
		// dispatch's table: a run alternates among these three in no
		// pattern, and tests predict better than one indirect jump.
		switch e.kind {
		case evArrive:
			s.arrive(e)
		case evTimer:
			s.timer(e)
		case evPublish:
			s.publish(int(e.gen))
		default:
			s.dispatch(e)
		}
	}
	s.finish()
	return s.res
}

// timer handles a timer's event.
func (s *Sim) timer(e *event) {
	if !s.timerDue(e) {
		s.res.Events-- // a cancelled or moved timer: bookkeeping, not an event of the run
		return
	}
	if s.cfg.Trace {
		s.trace(TraceEvent{Kind: TTimer, Node: s.nodes[e.target].name, Note: e.timer().String()})
	}
	s.in = model.Input{} // then filled: see publish
	s.in.Kind, s.in.Timer = model.InTimer, e.timer()
	s.step(int(e.target), &s.nodes[e.target], &s.in)
}

// dispatch handles the events Run does not handle itself: faults,
// connections and restarts.
func (s *Sim) dispatch(e *event) {
	switch e.kind {
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

// publish hands workload message k to its publisher's application, and
// schedules the next one: the publishers take turns, each publishing every
// interval.
func (s *Sim) publish(k int) {
	// Whose turn: most workloads have one publisher, and a division is
	// dearer than the rest of this.
	turn, p := 0, len(s.wl.pubs)
	if p > 1 {
		turn = k % p
	}
	if k+1 < s.cfg.Workload.Messages {
		at := s.now
		if turn == p-1 {
			at += s.cfg.Workload.IntervalTicks
		}
		s.q.push(event{at: at, kind: evPublish, gen: uint32(k + 1)})
	}
	s.published = k + 1
	if s.keep {
		s.res.Messages[k].PublishedAt = s.now
	} else {
		// Before the new record: its message is in no endpoint yet.
		if s.led.due() {
			s.retire()
		}
		s.led.add(uint32(k+1), s.now)
	}
	m := s.wl.message(k)
	ni := s.wl.pubs[turn]
	if !s.nodes[ni].up {
		s.nodes[ni].backlog = append(s.nodes[ni].backlog, *m)
		return
	}
	// Zeroed in place, then filled: a literal with fields would be built on
	// the stack and copied whole (see model.Packet.CopyFrom).
	s.in = model.Input{}
	s.in.Kind, s.in.Msg = model.InPublish, *m
	s.step(ni, &s.nodes[ni], &s.in)
}

// stats returns the record of message ref, which was published.
func (s *Sim) stats(ref uint32) *MessageStats {
	if s.keep {
		return &s.res.Messages[ref-1]
	}
	return s.led.get(ref)
}

// retire runs a pass of the ledger: what no endpoint keeps, no packet in
// flight carries and no node holds back for publication is retired.
func (s *Sim) retire() {
	kept, ok := s.kept(s.led.kept[:0])
	s.led.kept = kept
	if !ok {
		s.led.off = true
		return
	}
	slices.Sort(kept)
	s.led.pass(kept, s.count)
	if passHook != nil {
		passHook(s)
	}
}

// passHook, when set (by tests and benchmarks), is called after each pass
// of the ledger.
var passHook func(*Sim)

// kept appends the Refs of the messages that may still be delivered,
// sent, completed or abandoned, and reports false if an endpoint cannot
// say what it keeps.
func (s *Sim) kept(dst []uint32) ([]uint32, bool) {
	for i := range s.nodes {
		nd := &s.nodes[i]
		k, ok := nd.ep.(model.Keeper)
		if !ok {
			return dst, false
		}
		if dst, ok = k.AppendKept(dst); !ok {
			return dst, false
		}
		for _, m := range nd.backlog {
			dst = append(dst, m.Ref)
		}
	}
	// The packets in flight: the input slab's entries that are not free.
	free := s.led.free[:0]
	for range (len(s.ins.items) + 63) / 64 {
		free = append(free, 0)
	}
	for _, i := range s.ins.free {
		free[i/64] |= 1 << (i % 64)
	}
	for i := range s.ins.items {
		if in := &s.ins.items[i]; free[i/64]&(1<<(i%64)) == 0 && in.Packet.Msg.Ref != 0 {
			dst = append(dst, in.Packet.Msg.Ref)
		}
	}
	s.led.free = free
	return dst, true
}

// count adds a record that no event can change any more to the run's
// Tally, and keeps it if it is troubled.
func (s *Sim) count(m *MessageStats) {
	s.res.Tally.add(m, &s.delivery, &s.completion)
	if m.Troubled() {
		s.troubled = append(s.troubled, *m)
	}
}

// stepWith is step with in put where endpoints may read it.
func (s *Sim) stepWith(i int, in model.Input) {
	s.in = in
	s.step(i, &s.nodes[i], &s.in)
}

// step feeds one input to node i's endpoint (nd) and carries out its
// outputs.
// Outputs never re-enter step directly: anything that would (a fault that
// breaks the connection) is queued at the current time, so every reaction
// is one queue entry and ordering stays deterministic.
//
// The input comes by pointer, to memory the Sim keeps (s.in, or the input
// slab for arrivals): endpoints that are model.InputSteppers read it there,
// others get a copy. The endpoint may change it (see InputStepper).
func (s *Sim) step(i int, nd *node, in *model.Input) {
	if s.choices {
		// The choices the specification leaves open are drawn from the
		// run's one seeded source (see model.Ctx.Choose).
		in.Choice = s.pcg.Uint64()
	}
	if nd.ps != nil {
		s.out = nd.ps.StepInput(in, s.out[:0])
	} else {
		s.out = nd.ep.Step(*in, s.out[:0])
	}
	if s.states != nil {
		s.states.stepped(s, i, in.Kind)
	}
	// Only what nodes hold for received messages is reported (see finish),
	// so publishers are not asked.
	if nd.holds {
		if h := nd.ep.Held(); h > nd.peak {
			nd.peak, nd.peakAt, nd.peakPos = h, s.now, len(s.res.Trace)-1
		}
	}
	// The commonest outputs here, the others in apply.
	out := s.out
	for k := range out {
		switch o := &out[k]; o.Kind {
		case model.OutSend:
			s.send(i, nd.links[o.Conn], &o.Packet)
		case model.OutPersist:
			s.res.Persists++
			if s.cfg.Trace {
				s.traceNote(TPersist, nd, o)
			}
		case model.OutSetTimer:
			t := nd.timers.get(o.Timer)
			t.armed, t.deadline = true, s.now+o.Delay
			if !t.queued || t.queuedAt > t.deadline {
				s.queueTimer(i, o.Timer, t)
			}
		case model.OutCancelTimer:
			nd.timers.get(o.Timer).armed = false
		default:
			s.apply(i, nd, o)
		}
	}
}

// apply carries out output o of node i (nd) that step does not: a
// delivery, a completion or an abandonment.
func (s *Sim) apply(i int, nd *node, o *model.Output) {
	switch o.Kind {
	case model.OutDeliver:
		if s.cfg.Trace {
			s.traceMsg(TDeliver, nd, o)
		}
		switch {
		case nd.app:
			m := s.stats(o.Msg.Ref)
			m.Deliveries++
			if m.DeliveredAt < 0 {
				m.DeliveredAt = s.now
			}
		case o.Note == model.NoSubscriber:
			s.stats(o.Msg.Ref).Unrouted = true
		}
	case model.OutComplete, model.OutAbandon:
		kind := TComplete
		if o.Kind == model.OutAbandon {
			kind = TAbandon
		}
		if s.cfg.Trace {
			s.traceMsg(kind, nd, o)
		}
		if nd.app {
			m := s.stats(o.Msg.Ref)
			if o.Kind == model.OutAbandon {
				m.Abandoned, m.AbandonNote = true, o.Note
			} else {
				m.CompletedAt = s.now
			}
		}
	}
}

func (s *Sim) queueTimer(i int, tm model.Timer, t *timerState) {
	t.gen++
	t.queued, t.queuedAt = true, t.deadline
	s.q.push(event{at: t.deadline, kind: evTimer, target: int32(i), gen: t.gen, arg: uint32(tm)})
}

// timerDue reports whether a timer event should fire now; a timer re-armed
// for later is queued again at its deadline.
func (s *Sim) timerDue(e *event) bool {
	nd := &s.nodes[e.target]
	t := nd.timers.get(e.timer())
	if t.gen != e.gen {
		return false
	}
	t.queued = false
	switch {
	case !t.armed || !nd.up:
	case t.deadline > s.now:
		s.queueTimer(int(e.target), e.timer(), t)
	default:
		t.armed = false
		return true
	}
	return false
}

// send puts p on link li, which node i sends on. Packets travel by pointer
// until they are stored in the slab: a Packet is 88 bytes.
func (s *Sim) send(i, li int, p *model.Packet) {
	l := &s.links[li]
	side := 0
	if l.ends[1] == i {
		side = 1
	}
	s.sendID++
	id := s.sendID
	s.res.countSend(p, s.cfg.Endpoint.Version)
	if p.Type == model.PUBLISH && p.Dup && p.Msg.Ref != 0 {
		s.stats(p.Msg.Ref).PayloadResends++
	}
	if s.cfg.Trace {
		s.traceSend(TSend, i, l.ends[1-side], id, p)
	}
	if s.stream && !l.up {
		s.lost(id, i, "not connected")
		return
	}
	s.sends[p.Type]++
	var extra int64
	lose := false
	s.copies = s.copies[:0]
	if len(s.faults) > 0 {
		extra, lose = s.sendFaults(p, li)
	}
	if !s.stream && !s.healed {
		nw := &s.cfg.Network
		if nw.Loss > 0 && s.randFloat() < nw.Loss {
			lose = true
		}
		// A random copy's timing is its own too: schedule draws its jitter
		// apart from the original's.
		if nw.Dup > 0 && s.randFloat() < nw.Dup {
			s.copies = append(s.copies, 0)
		}
	}
	if lose {
		s.lost(id, i, "lost by the network")
		return
	}
	s.schedule(l, side, id, p, extra)
	for _, later := range s.copies {
		if s.cfg.Trace {
			s.traceSend(TDup, i, l.ends[1-side], id, p)
		}
		s.schedule(l, side, id, p, extra+later)
	}
}

// sendFaults applies the schedule's faults that match p, the n-th packet
// of its type sent, on link li: it returns the extra delay and whether p
// is lost, queues matched breaks and crashes, and puts the delays of the
// copies to make in s.copies. Each dup fault makes one copy with its own
// delay after the original (dup TYPE#N +TICKS), so that a copy can arrive
// after the flow it belongs to has ended, as a network's late duplicate
// does.
func (s *Sim) sendFaults(p *model.Packet, li int) (extra int64, lose bool) {
	n := s.sends[p.Type]
	if len(s.linkSends) > 0 {
		s.linkSends[li][p.Type]++
	}
	for k, f := range s.faults {
		if f.Type != p.Type || f.When == AfterRecv || f.N != s.occurrence(k, n, li, s.linkSends) {
			continue
		}
		s.fired[s.faultIdx[k]] = len(s.res.Trace) - 1 // the send, traced before
		switch f.Action {
		case Lose:
			lose = true
		case Dup:
			s.copies = append(s.copies, f.Ticks)
		case Delay:
			extra += f.Ticks
		case Break, Crash:
			s.queueFault(f, li)
		}
	}
	return extra, lose
}

// schedule queues the arrival of p, sent from end side of l, at the other
// end. Stream links keep order: a packet never arrives before one sent
// earlier in its direction.
func (s *Sim) schedule(l *link, side int, id int64, p *model.Packet, extra int64) {
	nw := &s.cfg.Network
	at := s.now + nw.LatencyTicks + extra
	if nw.JitterTicks > 0 {
		at += s.randInt64N(nw.JitterTicks + 1)
	}
	if s.stream {
		if at < l.last[side] {
			at = l.last[side]
		}
		l.last[side] = at
	}
	k, in := s.ins.alloc()
	// Field by field: a literal would be built on the stack and copied.
	in.Kind, in.Conn, in.Timer, in.Choice = model.InPacket, l.conns[1-side], 0, 0
	in.Packet.CopyFrom(p) // p was written by the step just now: see CopyFrom
	in.Msg = model.Message{}
	s.q.push(event{at: at, kind: evArrive, target: int32(l.ends[1-side]), gen: l.epoch, extra: id, arg: uint32(k)})
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
		s.trace(TraceEvent{Kind: TLost, Node: s.nodes[from].name, ID: id, Note: why})
	}
}

func (s *Sim) arrive(e *event) {
	// The entry is released before the input is used: nothing allocates
	// from the slab until the endpoint has read the input (the sends of
	// its outputs do), and nothing reads it after.
	in := &s.ins.items[e.arg]
	s.ins.release(int32(e.arg))
	typ := in.Packet.Type
	i := int(e.target)
	nd := &s.nodes[i]
	li := nd.links[in.Conn]
	l := &s.links[li]
	if (s.stream && e.gen != l.epoch) || !nd.up || s.cfg.Trace {
		if s.unusualArrival(e, i, nd, l, in) {
			return
		}
	}
	row := len(s.res.Trace) - 1 // the arrival's entry, when tracing
	s.step(i, nd, in)
	s.recvs[typ]++
	if len(s.faults) > 0 {
		s.recvFaults(typ, li, row)
	}
}

// unusualArrival handles what most arrivals need not: a packet lost to a
// broken connection or a node that is down (it reports true), or the trace.
func (s *Sim) unusualArrival(e *event, i int, nd *node, l *link, in *model.Input) bool {
	peer := l.peer(i)
	if s.stream && e.gen != l.epoch {
		s.lost(e.extra, peer, "connection broken")
		return true
	}
	if !nd.up {
		s.lost(e.extra, peer, nd.name+" is down")
		return true
	}
	s.trace(TraceEvent{Kind: TRecv, Node: nd.name, Peer: s.nodes[peer].name, ID: e.extra, Packet: s.tracePacket(&in.Packet)})
	return false
}

// occurrence is which occurrence the packet at hand is for fault k: n
// counts every link; a fault on one link counts that link's (and a packet
// on another link is no occurrence of it: 0).
func (s *Sim) occurrence(k, n, li int, perLink [][model.NumPacketTypes]int) int {
	on := s.faultOn[k]
	switch {
	case on < 0:
		return n
	case on != li:
		return 0
	}
	return perLink[li][s.faults[k].Type]
}

// recvFaults queues the schedule's faults that match the arrival of the
// n-th packet of type typ, on link li, traced at row.
func (s *Sim) recvFaults(typ model.PacketType, li, row int) {
	n := s.recvs[typ]
	if len(s.linkRecvs) > 0 {
		s.linkRecvs[li][typ]++
	}
	for k, f := range s.faults {
		if f.When == AfterRecv && f.Type == typ && f.N == s.occurrence(k, n, li, s.linkRecvs) {
			s.fired[s.faultIdx[k]] = row
			s.queueFault(f, li)
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
	note := "connection broken"
	if why != "" {
		note += " (" + why + ")"
	}
	s.down(li, note)
	if reconnect == 0 {
		reconnect = s.cfg.Network.ReconnectTicks
	}
	s.queueConnect(li, reconnect)
}

// down takes link li down: what is in flight on it is void (its epoch
// moves on) and each running end learns it.
func (s *Sim) down(li int, note string) {
	l := &s.links[li]
	l.up = false
	l.epoch++
	s.res.Breaks++
	s.trace(TraceEvent{Kind: TBreak, Node: s.nodes[l.ends[0]].name, Peer: s.nodes[l.ends[1]].name, Note: note})
	for side, end := range l.ends {
		if s.nodes[end].up {
			s.stepWith(end, model.Input{Kind: model.InConnDown, Conn: l.conns[side]})
		}
	}
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
	if l.up || !s.nodes[l.ends[0]].up || !s.nodes[l.ends[1]].up {
		return // a restart queues a new attempt
	}
	l.up = true
	l.last = [2]int64{s.now, s.now}
	s.trace(TraceEvent{Kind: TConnect, Node: s.nodes[l.ends[0]].name, Peer: s.nodes[l.ends[1]].name})
	s.stepWith(l.ends[0], model.Input{Kind: model.InConnUp, Conn: l.conns[0]})
	s.stepWith(l.ends[1], model.Input{Kind: model.InConnUp, Conn: l.conns[1]})
}

func (s *Sim) crash(ni int, restart int64) {
	n := &s.nodes[ni]
	if !n.up {
		return
	}
	s.res.Crashes++
	s.trace(TraceEvent{Kind: TCrash, Node: n.name})
	s.stepWith(ni, model.Input{Kind: model.InCrash})
	n.up = false
	n.timers.disarmAll()
	if s.cfg.Endpoint.Mode == model.Stream {
		for _, li := range n.links {
			// The survivor learns of it; reconnection waits for the restart.
			if s.links[li].up {
				s.down(li, "connection lost with a crashed node")
			}
		}
	}
	if restart == 0 {
		restart = s.cfg.Network.RestartTicks
	}
	s.q.push(event{at: s.now + restart, kind: evRestart, target: int32(ni)})
}

func (s *Sim) restart(ni int) {
	n := &s.nodes[ni]
	n.up = true
	s.trace(TraceEvent{Kind: TRestart, Node: n.name})
	s.stepWith(ni, model.Input{Kind: model.InRestart})
	for _, m := range n.backlog {
		s.stepWith(ni, model.Input{Kind: model.InPublish, Msg: m})
	}
	n.backlog = n.backlog[:0]
	for c, li := range n.links {
		if s.cfg.Endpoint.Mode == model.Stream {
			s.queueConnect(li, s.cfg.Network.ReconnectTicks)
		} else {
			s.stepWith(ni, model.Input{Kind: model.InConnUp, Conn: uint8(c)})
		}
	}
}

// traceNote, traceMsg and traceSend record the trace entries of the hot paths,
// out of line: a TraceEvent built in place would grow every frame.
//
//go:noinline
func (s *Sim) traceNote(kind TraceKind, nd *node, o *model.Output) {
	s.trace(TraceEvent{Kind: kind, Node: nd.name, Note: o.Note})
}

//go:noinline
func (s *Sim) traceMsg(kind TraceKind, nd *node, o *model.Output) {
	s.trace(TraceEvent{Kind: kind, Node: nd.name, Msg: o.Msg.Ref, Note: o.Note})
}

//go:noinline
func (s *Sim) traceSend(kind TraceKind, from, to int, id int64, p *model.Packet) {
	s.trace(TraceEvent{Kind: kind, Node: s.nodes[from].name, Peer: s.nodes[to].name, ID: id, Packet: s.tracePacket(p)})
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
	// A copy (p belongs to the caller), from a chunk of copies: one
	// allocation for many packets. A new run starts a new chunk, so that
	// the last result's trace stays as it was.
	if len(s.pkts) == cap(s.pkts) {
		s.pkts = make([]model.Packet, 0, min(2*cap(s.pkts)+16, 256))
	}
	s.pkts = append(s.pkts, *p)
	return &s.pkts[len(s.pkts)-1]
}

// markFired records that a timed schedule entry (gen = position + 1) came
// due, at the trace row its break or crash is about to take; events queued
// by packet-matched faults carry gen 0.
func (s *Sim) markFired(e *event) {
	if e.gen > 0 {
		s.fired[e.gen-1] = len(s.res.Trace)
	}
}

// notFired marks a schedule entry whose moment has not come.
const notFired = -2

func (s *Sim) finish() {
	r := s.res
	r.Unfired, r.Pending = s.spare.unfired[:0], s.spare.pending[:0]
	for k, f := range s.cfg.Faults {
		if s.fired[k] == notFired {
			r.Unfired = append(r.Unfired, f.String())
		}
	}
	r.FaultRows = nil
	if s.cfg.Trace && len(s.fired) > 0 {
		r.FaultRows = slices.Clone(s.fired)
	}
	r.EndTicks = s.now
	for i := range s.nodes {
		nd := &s.nodes[i]
		if nd.holds {
			if nd.peak > r.PeakHeld {
				r.PeakHeldAt, r.PeakHeldEvent = nd.peakAt, nd.peakPos
			}
			r.PeakHeld = max(r.PeakHeld, nd.peak)
			r.PeakHeldBy = append(r.PeakHeldBy, NodePeak{Node: nd.name, Peak: nd.peak})
		}
		s.spare.scratch = nd.ep.Pending(s.spare.scratch[:0])
		for _, p := range s.spare.scratch {
			r.Pending = append(r.Pending, nd.name+": "+p)
		}
	}
	for i := range s.nodes {
		if !s.nodes[i].up {
			r.Pending = append(r.Pending, s.nodes[i].name+": down")
		}
	}
	for i := range s.nodes {
		for _, m := range s.nodes[i].backlog {
			r.Pending = append(r.Pending, s.nodes[i].name+": m"+strconv.FormatUint(uint64(m.Ref), 10)+" never handed over")
		}
	}
	// A message the publisher abandoned is not pending: its flow ended and
	// the application was told (MessageStats.Fate), as the explorer's goal
	// states count it too.
	s.tally()
	// A flow that ended with neither a completion nor an abandonment (a
	// broken variant lost track of it) leaves nothing pending to say so:
	// the run has not settled all the same. (A run that stopped before
	// publishing everything has not settled either, for another reason.)
	if len(r.Pending) == 0 && !r.TimedOut {
		for m := range r.Troubled() {
			if m.Unfinished() && int(m.Ref) <= s.published {
				r.Pending = append(r.Pending, "m"+strconv.FormatUint(uint64(m.Ref), 10)+": its flow ended without completing or being abandoned")
			}
		}
	}
	r.Settled = len(r.Pending) == 0 && !r.TimedOut
	// Empty lists are nil, as they always were: callers may test for nil.
	s.keepSpare(r)
}

// tally counts the messages in the Result's Tally: every record of a run
// that keeps them; the records still open in the ledger and the messages
// never published otherwise.
func (s *Sim) tally() {
	r := s.res
	t := &r.Tally
	if s.keep {
		for i := range r.Messages {
			t.add(&r.Messages[i], &s.delivery, &s.completion)
		}
	} else {
		s.led.finish(s.count)
		sortTroubled(s.troubled)
		if len(s.troubled) > 0 {
			r.troubled = s.troubled
		}
		// The run stopped before it published these: never delivered, and
		// their flows never completed.
		t.Lost += t.Messages - s.published
		t.NeverCompleted += t.Messages - s.published
	}
	r.published = s.published
	s.delivery.moveTo(&t.Delivery)
	s.completion.moveTo(&t.Completion)
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
