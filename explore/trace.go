package explore

import (
	"fmt"
	"strconv"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// Violation is a property that failed, with a shortest path to it.
type Violation struct {
	Property Property
	Msg      int      // the message concerned (0 for liveness)
	Nodes    []string // the topology's nodes, in diagram order
	// Steps is the path from the initial state, one entry per move.
	Steps []Step
	// Pending is what is left unfinished in the last state (liveness): the
	// endpoints' Pending lines and the packets in flight.
	Pending []string
	// Replay is a simulator configuration meant to replay the path, and
	// Reproduced whether running it shows the same violation; ReplayNote
	// says where the translation is not exact.
	Replay     sim.Config
	Reproduced bool
	ReplayNote string
}

// nodes are the violation's participants, in diagram order (the
// question's client and server when the violation does not say).
func (v *Violation) nodes() []string {
	if len(v.Nodes) > 0 {
		return v.Nodes
	}
	return []string{"client", "server"}
}

// Step is one move of a trace and what it caused.
type Step struct {
	N     int    // 1-based
	Move  string // canonical text, for example "deliver PUBREC id=1 to client"
	Fault bool
	// Row is the move drawn for a sequence diagram: an arrow From -> To
	// (sides "client"/"server") with Label, or a note over From.
	From, To, Label string
	Lost            bool     // the arrow ends in a cross: the packet was lost or dropped
	Notes           []string // consequences: deliver m1, complete m1, sends dropped ...
}

func (v *Violation) String() string {
	what := v.Property.String()
	if v.Msg > 0 {
		what += " (m" + strconv.Itoa(v.Msg) + ")"
	}
	return fmt.Sprintf("%s violated after %d steps", what, len(v.Steps))
}

// tag is one packet put on the network, as the simulator's fault schedule
// names it: the n-th packet of its type that entered the network.
type tag struct {
	p    model.Packet
	typ  model.PacketType
	n    int
	on   string // the client of its connection where the topology has several (sim.Fault.On)
	sent int    // step that sent it
}

// tracer replays a path and records it, both as Steps and as the facts the
// simulator replay is computed from.
type tracer struct {
	x         *system
	s         state // before the current move
	step      *Step
	flight    [maxDirs][]tag
	sends     [maxLinks][model.NumPacketTypes]int // per connection where the topology has several (else all in [0])
	recvs     [maxLinks][model.NumPacketTypes]int
	anchor    []anchor // per step: the packet event a break or crash right after it matches
	info      []stepInfo
	tags      map[string]*tagInfo
	order     []string // tag names in send order
	spans     []timerSpan
	armed     [maxNodes]map[model.Timer]int // open spans: timer -> index in spans, per node
	sched     sim.Schedule
	inexact   []string
	loose     []string // breaks and crashes anchored to a packet event before the step they follow
	published int
	opened    [maxLinks]bool // connections the path connected
	steps     []Step
}

// stepInfo is what the replay's timeline needs to know about one step.
type stepInfo struct {
	kind     moveKind
	side     int
	tag      string // deliver: the packet's tag
	armed    int    // timer: the step that armed it
	anchor   int    // break, crash: the step whose packet event it follows
	fault    int    // break, crash: index in sched; connect: index of the break it ends (-1: none)
	broken   int    // connect: the step of the break it ends
	restart  int    // connect: the restart step it follows (0: none)
	msgIndex int    // publish: 1-based message number
	expiry   bool   // timer: an expiry timer (its delay is the TTL, not the retry timeout)
}

// anchor is a packet event a break or crash can follow in the simulator:
// the fault's When, Type, N and On.
type anchor struct {
	f    sim.Fault
	link int // the connection of the packet event
}

type tagInfo struct {
	tag       tag
	delivered []int // steps at which copies arrived
	lost      bool  // lost by the network, or with a break
	dup       bool
}

// timerSpan is one arming of a timer: from the step that set it to the step
// that fired, cancelled, re-armed or killed it (0: still armed at the end).
type timerSpan struct {
	from, to int
	fired    bool
	expiry   bool
}

func (t *tracer) stepped(int, model.Input, model.Endpoint, model.Endpoint, []model.Output) {}

func (t *tracer) output(node int, o *model.Output, d int, entered bool) {
	st := t.step
	name := t.x.top.name(node)
	switch o.Kind {
	case model.OutSend:
		if !entered {
			st.Notes = append(st.Notes, name+" sends "+o.Packet.Label()+": dropped, not connected")
			return
		}
		c, on := t.counted(d / 2)
		t.sends[c][o.Packet.Type]++
		tg := tag{p: o.Packet, typ: o.Packet.Type, n: t.sends[c][o.Packet.Type], on: on, sent: st.N}
		t.flight[d] = append(t.flight[d], tg)
		t.anchor[st.N] = anchor{sim.Fault{When: sim.AfterSend, Type: tg.typ, N: tg.n, On: on}, d / 2}
		t.tags[tg.name()] = &tagInfo{tag: tg}
		t.order = append(t.order, tg.name())
	case model.OutSetTimer:
		t.endSpan(node, o.Timer, false)
		t.armed[node][o.Timer] = len(t.spans)
		t.spans = append(t.spans, timerSpan{from: st.N, expiry: o.Timer.Purpose() == model.TimerExpiry})
	case model.OutCancelTimer:
		t.endSpan(node, o.Timer, false)
	case model.OutDeliver:
		what := " delivers m"
		if t.x.top.layout.Nodes[node].Broker {
			what = " takes m"
			if o.Note == model.NoSubscriber {
				what = " has no subscriber for m"
			}
		}
		st.Notes = append(st.Notes, name+what+strconv.Itoa(int(o.Msg.Ref)))
	case model.OutComplete:
		st.Notes = append(st.Notes, name+" completes m"+strconv.Itoa(int(o.Msg.Ref)))
	case model.OutAbandon:
		st.Notes = append(st.Notes, name+" abandons m"+strconv.Itoa(int(o.Msg.Ref))+": "+o.Note)
	case model.OutChose:
		st.Notes = append(st.Notes, name+" chooses "+o.Choice.String()+" option "+strconv.Itoa(int(o.Pick))+
			" of "+strconv.Itoa(int(o.Options)))
	}
}

func (t *tracer) endSpan(side int, tm model.Timer, fired bool) {
	if i, ok := t.armed[side][tm]; ok {
		t.spans[i].to, t.spans[i].fired = t.step.N, fired
		delete(t.armed[side], tm)
	}
}

func (tg tag) name() string {
	n := tg.typ.String() + "#" + strconv.Itoa(tg.n)
	if tg.on != "" {
		n += " on " + tg.on
	}
	return n
}

// counted is where the packets of connection l are counted, and the name
// the simulator's faults give that count: where the topology has several
// connections, each counts its own (so that another connection's traffic,
// which the simulator may order otherwise, does not shift the count).
func (t *tracer) counted(l int) (int, string) {
	lay := &t.x.top.layout
	if len(lay.Links) == 1 {
		return 0, ""
	}
	return l, lay.Nodes[lay.Links[l].Client].Name
}

// pick finds the in-flight tag carrying p in direction d: the oldest copy,
// which is the one a FIFO network delivers.
func (t *tracer) pick(d int, p model.Packet) tag {
	for i, tg := range t.flight[d] {
		if samePacket(&tg.p, &p) {
			t.flight[d] = append(t.flight[d][:i:i], t.flight[d][i+1:]...)
			return tg
		}
	}
	return tag{p: p, typ: p.Type}
}

// linkName is how a move on connection l reads: nothing more where the
// topology has one connection, the client's name where it has several.
func (t *tracer) linkName(l int) string {
	if _, on := t.counted(l); on != "" {
		return " " + on
	}
	return ""
}

func (t *tracer) network(m move, p model.Packet) {
	st := t.step
	side := m.side()
	top := &t.x.top
	switch m.kind() {
	case mvConnect:
		st.Move, st.From = "connect"+t.linkName(side), top.name(top.layout.Links[side].Client)
	case mvRestart:
		st.Move, st.From = "restart "+top.name(side), top.name(side)
	case mvDeliver:
		tg := t.pick(side, p)
		to, _ := top.receiver(side)
		st.Move = "deliver " + p.Label() + " to " + top.name(to)
		st.From, st.To, st.Label = top.name(top.sender(side)), top.name(to), p.Label()
		in := &t.info[st.N]
		in.tag = tg.name()
		if ti := t.tags[tg.name()]; ti != nil {
			ti.delivered = append(ti.delivered, st.N)
		}
		if tg.sent != st.N-1 && tg.sent > 0 {
			st.Notes = append(st.Notes, "sent at step "+strconv.Itoa(tg.sent))
		}
		if t.s.down[to] {
			st.Lost = true
			st.Notes = append(st.Notes, "dropped: "+top.name(to)+" is down")
			return
		}
		c, on := t.counted(side / 2)
		t.recvs[c][p.Type]++
		t.anchor[st.N] = anchor{sim.Fault{When: sim.AfterRecv, Type: p.Type, N: t.recvs[c][p.Type], On: on}, side / 2}
	case mvBreak:
		lk := top.layout.Links[side]
		if m.idx() == 1 {
			st.Notes = append(st.Notes, "connection"+t.linkName(side)+" lost with the crashed node")
		} else {
			st.Move, st.From, st.To = "break"+t.linkName(side), top.name(lk.Client), top.name(lk.Server)
			t.info[st.N].fault = len(t.sched)
			t.sched = append(t.sched, t.anchored(sim.Fault{Action: sim.Break}, st.N, side))
		}
		for d := 2 * side; d < 2*side+2; d++ {
			for _, tg := range t.flight[d] {
				st.Notes = append(st.Notes, tg.p.Label()+" lost in flight")
				if ti := t.tags[tg.name()]; ti != nil {
					ti.lost = true
				}
			}
			t.flight[d] = nil
		}
	case mvCrash:
		st.Move, st.From = "crash "+top.name(side), top.name(side)
		t.info[st.N].fault = len(t.sched)
		t.sched = append(t.sched, t.anchored(sim.Fault{Action: sim.Crash, Node: top.name(side)}, st.N, -1))
		for tm := range t.armed[side] {
			t.endSpan(side, tm, false) // a dead node's timers never fire
		}
	case mvLose, mvDup:
		tg := t.pick(side, p)
		to, _ := top.receiver(side)
		st.From, st.To, st.Label = top.name(top.sender(side)), top.name(to), p.Label()
		if m.kind() == mvDup {
			st.To, st.Label = "", ""
		}
		a := sim.Lose
		st.Move = "lose " + p.Label()
		if m.kind() == mvDup {
			a = sim.Dup
			st.Move = "network duplicates " + p.Label() + " (in flight)"
			t.flight[side] = append(t.flight[side], tg, tg)
			if ti := t.tags[tg.name()]; ti != nil {
				if ti.dup {
					t.inexact = append(t.inexact, tg.name()+" duplicated twice: the simulator duplicates a packet once")
				}
				ti.dup = true
			}
		} else {
			st.Lost = true
			if ti := t.tags[tg.name()]; ti != nil {
				if ti.dup {
					t.inexact = append(t.inexact, "one copy of the duplicated "+tg.name()+" lost: the simulator loses all copies")
				}
				ti.lost = true
			}
		}
		if tg.n > 0 {
			t.sched = append(t.sched, sim.Fault{Action: a, Type: tg.typ, N: tg.n, On: tg.on})
		}
	}
}

// anchored places a break or crash where the simulator can match it: right
// after the packet event of this step (a packet received and processed, or
// one put on the wire), else of the latest step that had one. The
// simulator breaks the connection that packet travels on, so a break of
// connection link (-1 for a crash: any) anchors to a packet event on it.
func (t *tracer) anchored(f sim.Fault, n, link int) sim.Fault {
	for k := n - 1; k >= 1; k-- {
		if a := t.anchor[k]; a.f.When != 0 && (link < 0 || a.link == link) {
			f.When, f.Type, f.N, f.On = a.f.When, a.f.Type, a.f.N, a.f.On
			t.info[n].anchor = k
			if k != n-1 {
				t.loose = append(t.loose, fmt.Sprintf("step %d (%s) anchored to step %d, the latest packet event", n, f.Action, k))
			}
			return f
		}
	}
	f.When, f.At = sim.AtTime, 0
	if link >= 0 {
		_, f.On = t.counted(link)
	}
	return f
}

// trace replays path from the initial state and records it.
func (x *system) trace(path []move) (*tracer, state) {
	t := &tracer{x: x, anchor: make([]anchor, len(path)+2),
		info: make([]stepInfo, len(path)+1), tags: map[string]*tagInfo{}}
	for n := range t.armed {
		t.armed[n] = map[model.Timer]int{}
	}
	y := *x
	y.obs = t
	y.netBuf, y.timBuf = [maxDirs][]pktID{}, [maxNodes][]model.Timer{}
	t.step = &Step{N: 0}
	s := y.initial()
	lastBreak, broken, lastRestart := -1, 0, 0
	for i, m := range path {
		t.s = s
		t.step = &Step{N: i + 1, Fault: m.fault()}
		in := &t.info[i+1]
		in.kind, in.side, in.fault = m.kind(), m.side(), -1
		switch m.kind() {
		case mvPublish:
			t.step.Move, t.step.From = "publish m"+strconv.Itoa(int(s.published)+1), x.top.name(x.top.publisher(int(s.published)))
			t.published++
			in.msgIndex = t.published
		case mvTimer:
			tm := s.timers[m.side()][m.idx()]
			t.step.Move, t.step.From = x.top.name(m.side())+" timer "+tm.String()+" fires", x.top.name(m.side())
			if k, ok := t.armed[m.side()][tm]; ok {
				in.armed = t.spans[k].from
			}
			in.expiry = tm.Purpose() == model.TimerExpiry
			t.endSpan(m.side(), tm, true)
		case mvConnect:
			in.fault, in.broken, in.restart = lastBreak, broken, lastRestart
			lastBreak, broken, lastRestart = -1, 0, 0
			t.opened[m.side()] = true
		case mvRestart:
			lastRestart = i + 1
		}
		var n state
		y.apply(&n, &s, m)
		s = n
		y.persist(&s)
		if m.kind() == mvBreak {
			lastBreak, broken = in.fault, i+1
		}
		t.steps = append(t.steps, *t.step)
	}
	return t, s
}
