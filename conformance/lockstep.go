package conformance

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// The driver runs one schedule in lockstep. Every frame the implementations
// write is held by the proxy; once the system is quiet, the driver picks
// one held frame by a fixed rule and releases it (writes it to its
// destination), or drops it and breaks its connection when the schedule
// says so. The implementations' goroutines and timers decide what they
// send; the driver alone decides when it arrives, so the same schedule
// gives the same transcript run after run.
//
// The choice rule imitates a network where every frame takes the same
// time: the frame read earliest (counted in releases) goes first, ties
// broken by hop (the publisher's first) and by direction (client to
// broker first); TCP order within a direction is kept.

// tickPerRelease is the virtual time one release takes: the simulator's
// default one-way latency, so that "at TICK", "+TICKS" and the transcripts'
// times read as in the simulator.
const tickPerRelease = sim.DefaultLatencyTicks

// Bounds on every wait: a broker that stops answering ends the run with
// a report, never a hang.
const (
	busyBound      = 10 * time.Second       // longest the system may stay busy
	reconnectBound = 5 * time.Second        // longest a client may take to come back
	idleBound      = 500 * time.Millisecond // longest to wait for anything when the model expects more
	maxReleases    = 5000
)

// driver is one run.
type driver struct {
	opt     Options
	c       Case
	t       Target
	clients []clientSpec
	order   []int // the order clients start in
	hops    []*hop
	live    []client // by client index; nil until started
	broker  running
	events  chan event
	done    chan struct{}
	q       quietness
	or      *oracle
	tp      topics

	now      int64
	releases int
	seq      int
	sends    [model.NumPacketTypes]int // frames of each type put on the wire (fault matching)
	recvs    [model.NumPacketTypes]int // frames of each type delivered
	fired    []bool
	// afterRecv is a connection to break at the next quiet moment, with
	// the fault that asks for it.
	afterRecv      *pconn
	afterRecvFault int
	tr             Transcript
	apps           []appEvent // application events of the current quiet period
	// stage: which client is being started, then publishing, then running.
	starting  int
	published int
	stopped   string
	failErr   error
}

// errRunAborted wraps what made the harness itself give up on a run.
var errRunAborted = errors.New("run aborted")

// ErrUnreachable is returned when the proxy cannot reach the broker.
var ErrUnreachable = errors.New("broker unreachable")

func newDriver(t Target, c Case, opt Options) (*driver, error) {
	d := &driver{opt: opt, c: c, t: t, events: make(chan event, 1024), done: make(chan struct{}),
		fired: make([]bool, len(c.Faults))}
	d.q.settle = opt.Settle
	d.clients = clientsOf(c.Topology)
	d.tp = topics{prefix: "qoslab/conform/" + opt.runID + "/"}
	d.live = make([]client, len(d.clients))
	// Subscribers start before publishers, so that no message precedes
	// its subscription.
	for pass := 0; pass < 2; pass++ {
		for i, cl := range d.clients {
			if (cl.subscribe != "") == (pass == 0) {
				d.order = append(d.order, i)
			}
		}
	}
	var err error
	if d.or, err = newOracle(opt.Version, c.Topology, c.Clean, d.clients); err != nil {
		return nil, err
	}
	return d, nil
}

// run executes the case and returns its result.
func (d *driver) run() (res *Result, err error) {
	if d.broker, err = d.t.Broker.start(); err != nil {
		return nil, err
	}
	defer d.shutdown()
	d.q.pids = d.broker.pids()
	for i, c := range d.clients {
		h := &hop{index: i, node: c.node, broker: d.broker.addr()}
		if err := h.listen(); err != nil {
			return nil, err
		}
		d.hops = append(d.hops, h)
		go h.accept(d.events, d.done)
	}
	d.loop()
	if d.failErr != nil {
		return nil, d.failErr
	}
	return d.result(), nil
}

// shutdown stops clients, proxy and broker, in that order: clients first so
// that they do not reconnect into a closing proxy, sockets before the
// broker (mochi's Close waits for its connections).
func (d *driver) shutdown() {
	close(d.done)
	for _, c := range d.live {
		if c != nil {
			c.close()
		}
	}
	for _, h := range d.hops {
		h.ln.Close()
		for _, pc := range h.conns {
			pc.closeBoth()
		}
	}
	// Connections accepted but not yet handed over are closed here.
	for {
		select {
		case e := <-d.events:
			if e.kind == evAccepted {
				e.conn.closeBoth()
			}
			continue
		default:
		}
		break
	}
	if d.broker != nil {
		d.broker.stop()
	}
}

// loop is the lockstep: settle, act on the quiet system, repeat.
func (d *driver) loop() {
	deadline := time.Now().Add(d.opt.RunBound)
	for d.stopped == "" && d.failErr == nil {
		if time.Now().After(deadline) {
			d.stop("the run took longer than " + d.opt.RunBound.String())
			return
		}
		if !d.settle() {
			return
		}
		d.flushApps()
		for _, dv := range d.or.quiet(d.now) {
			d.mark(len(d.tr)-1, dv)
		}
		if d.afterRecv != nil {
			pc, k := d.afterRecv, d.afterRecvFault
			d.afterRecv = nil
			d.breakConn(pc, "break after-recv (fault "+strconv.Itoa(k+1)+")", d.c.Faults[k].Ticks)
			continue
		}
		if d.timedFault() || d.advanceStage() {
			continue
		}
		if it := d.pick(); it != nil {
			d.release(it)
			continue
		}
		if d.advanceClock() {
			continue
		}
		if d.waitReconnect() {
			continue
		}
		if d.starting >= len(d.clients) && d.published >= d.c.Messages && d.or.settled() && d.allReported() {
			return // settled
		}
		if !d.waitAny(idleBound) {
			why := "the model expects more"
			if d.or.settled() && !d.allReported() {
				why = "a publish call has not returned"
			}
			d.stop("nothing happened for " + idleBound.String() + ": " + why)
		}
	}
}

// settle waits until the system is quiet, handling events meanwhile.
func (d *driver) settle() bool {
	start := time.Now()
	last := time.Now()
	timer := time.NewTimer(d.q.settle)
	defer timer.Stop()
	for {
		select {
		case e := <-d.events:
			d.handle(e)
			last = time.Now()
			continue
		case <-timer.C:
		}
		if d.failErr != nil {
			return false
		}
		if time.Since(last) >= d.q.settle && d.confirmQuiet() {
			return true
		}
		if time.Since(start) > busyBound {
			d.stop("the system under test stayed busy for " + busyBound.String())
			return false
		}
		timer.Reset(d.q.settle / 2)
	}
}

// confirmQuiet looks twice, each time after a short sleep, for pending
// events and busy implementation goroutines. The sleeps matter: a frame
// written to a socket wakes its reader only when the Go scheduler polls the
// network, which it does when a processor goes idle. A driver woken by its
// own timer after the process was descheduled (a loaded machine) could
// otherwise look before the poll and see the reader still waiting.
func (d *driver) confirmQuiet() bool {
	for i := 0; i < 2; i++ {
		time.Sleep(quietPoll)
		if len(d.events) > 0 || d.q.busy() {
			return false
		}
	}
	return true
}

// quietPoll is the sleep that lets the scheduler poll the network.
const quietPoll = 200 * time.Microsecond

// waitAny waits up to bound for one event; it reports whether one came.
func (d *driver) waitAny(bound time.Duration) bool {
	select {
	case e := <-d.events:
		d.handle(e)
		return true
	case <-time.After(bound):
		return false
	}
}

// handle takes one event from the proxy or a client.
func (d *driver) handle(e event) {
	switch e.kind {
	case evAccepted:
		d.accepted(e.conn)
	case evDialFail:
		d.failErr = fmt.Errorf("%w: the proxy could not reach the broker at %s: %v", ErrUnreachable, e.hop.broker, e.err)
	case evFrame:
		d.frame(e.conn, e.from, e.raw)
	case evEOF:
		d.eof(e.conn, e.from, e.err)
	case evApp:
		d.apps = append(d.apps, e.app)
	}
}

// accepted starts a new connection of a hop; its frames flow once the
// schedule's reconnect delay has passed.
func (d *driver) accepted(pc *pconn) {
	h := pc.hop
	h.conns = append(h.conns, pc)
	pc.num = len(h.conns)
	pc.version = d.opt.Version
	pc.eligibleAt = h.reconnectAt
	h.awaiting = false
	// Both ends learn of the connection, as the simulator and the explorer
	// step them.
	d.or.input(h.node, 0, model.Input{Kind: model.InConnUp}, "the connection up")
	d.or.input("broker", h.index, model.Input{Kind: model.InConnUp}, "the connection up")
}

// announce shows a connection in the transcript before its first step.
func (d *driver) announce(pc *pconn) {
	if pc.announced {
		return
	}
	pc.announced = true
	d.line(Line{Kind: LineNote, Over: []string{pc.hop.node, "broker"}, Note: "TCP connection " + strconv.Itoa(pc.num) + " up", Conn: pc.num})
}

// frame queues a frame read whole from one side and matches it against
// what the sender's model may send.
func (d *driver) frame(pc *pconn, from side, raw []byte) {
	if !pc.open {
		return // read before the break closed the socket: it never left
	}
	f := decodeFrame(raw, pc.version, d.tp)
	if f.Packet.Type == model.CONNECT && f.Err == "" {
		pc.version = f.Version
	}
	if f.Packet.Type == typePingreq || f.Packet.Type == typePingresp {
		pc.to(from).Write(raw) // keepalive is timing, not protocol: straight through
		return
	}
	d.seq++
	it := &item{conn: pc, from: from, frame: f, gen: d.releases, seq: d.seq}
	node, conn := d.sender(it)
	if dv := d.or.sent(node, conn, &f, d.now); dv != nil {
		it.divs = append(it.divs, dv)
	}
	pc.queue[from] = append(pc.queue[from], it)
}

// eof queues the end of a side's stream behind its frames.
func (d *driver) eof(pc *pconn, from side, err error) {
	if !pc.open {
		return
	}
	it := &item{conn: pc, from: from, eof: true, gen: d.releases, seq: d.seq}
	if err != nil {
		it.eofErr = err.Error()
	}
	d.seq++
	pc.queue[from] = append(pc.queue[from], it)
}

// sender names the node that wrote an item and its connection there.
func (d *driver) sender(it *item) (string, int) {
	if it.from == fromClient {
		return it.conn.hop.node, 0
	}
	return "broker", it.conn.hop.index
}

// receiver names the node an item is written to and its connection there.
func (d *driver) receiver(it *item) (string, int) {
	if it.from == fromClient {
		return "broker", it.conn.hop.index
	}
	return it.conn.hop.node, 0
}

// eligible reports whether an item may be released now.
func (d *driver) eligible(it *item) bool {
	if it.readyAt > d.now {
		return false
	}
	return it.from == fromBroker || it.conn.eligibleAt <= d.now
}

// pick chooses the next item to release: the earliest read (in releases),
// then the lowest hop, then client to broker; nil when none is eligible.
func (d *driver) pick() *item {
	var best *item
	for _, h := range d.hops {
		for _, pc := range h.conns {
			if !pc.open {
				continue
			}
			for s := fromClient; s <= fromBroker; s++ {
				if len(pc.queue[s]) == 0 {
					continue
				}
				it := pc.queue[s][0]
				if !d.eligible(it) {
					continue
				}
				if best == nil || before(it, best) {
					best = it
				}
			}
		}
	}
	return best
}

func before(a, b *item) bool {
	if a.gen != b.gen {
		return a.gen < b.gen
	}
	if a.conn.hop.index != b.conn.hop.index {
		return a.conn.hop.index < b.conn.hop.index
	}
	if a.conn.num != b.conn.num {
		return a.conn.num < b.conn.num
	}
	if a.from != b.from {
		return a.from < b.from
	}
	return a.seq < b.seq
}

// release carries out the next step: a frame goes to its destination, is
// held by a delay, or is lost to a break.
func (d *driver) release(it *item) {
	pc := it.conn
	d.announce(pc)
	if it.eof {
		pc.queue[it.from] = pc.queue[it.from][1:]
		who, _ := d.sender(it)
		why := who + " closed the connection"
		if it.eofErr != "" {
			why += " (" + it.eofErr + ")"
		}
		d.breakConn(pc, why, 0)
		return
	}
	t := it.frame.Packet.Type
	if !it.counted {
		for _, k := range d.countSend(it) {
			f := d.c.Faults[k]
			d.fired[k] = true
			switch f.Action {
			case sim.Delay:
				it.readyAt = max(it.readyAt, d.now) + f.Ticks // delays on one frame add up, as in the simulator
				d.line(Line{Kind: LineNote, Over: []string{d.senderNode(it)}, Note: "fault " + strconv.Itoa(k+1) + ": " + f.String()})
			case sim.Break:
				pc.queue[it.from] = pc.queue[it.from][1:]
				d.lostLine(it, "connection broken")
				d.breakConn(pc, "break after-send (fault "+strconv.Itoa(k+1)+")", f.Ticks)
				return
			}
		}
		if it.readyAt > d.now {
			return // held; the clock or other frames move on
		}
	}
	pc.queue[it.from] = pc.queue[it.from][1:]
	d.releases++
	if _, err := pc.to(it.from).Write(it.frame.Raw); err != nil {
		d.lostLine(it, "write failed: "+err.Error())
		d.now += tickPerRelease
		return
	}
	idx := d.line(Line{Kind: LineArrow, From: d.senderNode(it), To: d.receiverNode(it), Label: it.frame.Label(), Conn: pc.num})
	for _, dv := range it.divs {
		d.mark(idx, dv)
	}
	d.or.setCause(it.divs)
	d.deliver(it)
	d.recvs[t]++
	pc.hop.recvs[t]++
	for k, f := range d.c.Faults {
		if f.Action == sim.Break && f.When == sim.AfterRecv && f.Type == t && f.N == occurrence(&f, d.recvs[t], pc.hop, &pc.hop.recvs) {
			d.fired[k] = true
			// The first in schedule order breaks the connection, as in
			// the simulator; the others find it down.
			if d.afterRecv == nil {
				d.afterRecv, d.afterRecvFault = pc, k
			}
		}
	}
	d.now += tickPerRelease
}

// countSend counts a frame as sent and returns the after-send faults it
// matches, in schedule order. The simulator counts a packet when it goes on
// a connection that is up, whether or not it arrives; a frame the proxy
// holds was written while its connection was up, so it is counted once:
// when first released, or when a break loses it.
func (d *driver) countSend(it *item) []int {
	it.counted = true
	t, h := it.frame.Packet.Type, it.conn.hop
	d.sends[t]++
	h.sends[t]++
	var ks []int
	for k, f := range d.c.Faults {
		if f.Type == t && f.When != sim.AfterRecv && f.When != sim.AtTime && f.N == occurrence(&f, d.sends[t], h, &h.sends) {
			ks = append(ks, k)
		}
	}
	return ks
}

func (d *driver) senderNode(it *item) string   { n, _ := d.sender(it); return n }
func (d *driver) receiverNode(it *item) string { n, _ := d.receiver(it); return n }

// deliver steps the receiver's model with a released frame.
func (d *driver) deliver(it *item) {
	f := &it.frame
	if f.Err != "" {
		return
	}
	node, conn := d.receiver(it)
	if f.Packet.Type == model.SUBACK && it.from == fromBroker {
		it.conn.hop.subscribed = true
	}
	if f.Packet.Type == model.CONNACK && it.from == fromBroker {
		it.conn.hop.connected = true
	}
	if !modelled(f.Packet.Type) {
		return
	}
	d.or.input(node, conn, model.Input{Kind: model.InPacket, Packet: f.Packet}, f.Packet.Label())
}

// breakConn ends a connection: both sockets close, every frame still held
// on it is lost, both ends' models learn the connection is gone, and the
// client is expected back after the reconnect delay.
func (d *driver) breakConn(pc *pconn, why string, reconnect int64) {
	if !pc.open {
		return
	}
	d.announce(pc)
	d.or.setCause(nil)
	pc.closeBoth()
	var lost []*item
	for s := fromClient; s <= fromBroker; s++ {
		for _, it := range pc.queue[s] {
			if !it.eof {
				lost = append(lost, it)
			}
		}
		pc.queue[s] = nil
	}
	sort.Slice(lost, func(i, j int) bool { return before(lost[i], lost[j]) })
	for _, it := range lost {
		d.lostLine(it, "connection broken")
		if it.counted {
			continue
		}
		// The connection is down already: a fault on a lost frame has
		// nothing left to do, but it fired, as in the simulator.
		for _, k := range d.countSend(it) {
			d.fired[k] = true
		}
	}
	h := pc.hop
	d.line(Line{Kind: LineFault, Over: []string{h.node, "broker"}, Note: "connection " + strconv.Itoa(pc.num) + " broken: " + why, Conn: pc.num})
	d.or.connDown(h.node, h.index)
	if reconnect == 0 {
		reconnect = sim.DefaultReconnectTicks
	}
	h.reconnectAt, h.awaiting = d.now+reconnect, true
	h.connected = false
	d.now += tickPerRelease
}

// lostLine records a frame that was sent and never arrived.
func (d *driver) lostLine(it *item, why string) {
	idx := d.line(Line{Kind: LineLost, From: d.senderNode(it), To: d.receiverNode(it), Label: it.frame.Label(), Note: "lost: " + why, Conn: it.conn.num})
	for _, dv := range it.divs {
		d.mark(idx, dv)
	}
}

// occurrence is which occurrence of its type the frame at hand is for
// fault f, as the simulator counts: over the run (all), or, for a fault on
// one client's connection, on that hop's connections (0 on another hop).
func occurrence(f *sim.Fault, all int, h *hop, perHop *[model.NumPacketTypes]int) int {
	switch {
	case f.On == "":
		return all
	case f.On != h.node:
		return 0
	}
	return perHop[f.Type]
}

// timedFault carries out a "break at TICK" whose time has come: it breaks
// the connection of the client it names ("on CLIENT"), else the first
// hop's, as the simulator breaks its first link.
func (d *driver) timedFault() bool {
	for k, f := range d.c.Faults {
		if d.fired[k] || f.When != sim.AtTime || f.At > d.now {
			continue
		}
		d.fired[k] = true
		h := d.hops[0]
		for _, o := range d.hops {
			if f.On != "" && o.node == f.On {
				h = o
			}
		}
		if pc := d.current(h); pc != nil {
			d.breakConn(pc, "break at "+strconv.FormatInt(f.At, 10)+" (fault "+strconv.Itoa(k+1)+")", f.Ticks)
			return true
		}
	}
	return false
}

// current is a hop's open connection, if any.
func (d *driver) current(h *hop) *pconn {
	if n := len(h.conns); n > 0 && h.conns[n-1].open {
		return h.conns[n-1]
	}
	return nil
}

// advanceStage starts the next client once the previous one is ready
// (subscribed, or connected if it only publishes), then publishes the
// workload one message per quiet moment.
func (d *driver) advanceStage() bool {
	if d.starting < len(d.clients) {
		i := d.order[d.starting]
		if d.live[i] == nil {
			return d.startClient(i)
		}
		if !d.ready(i) {
			return false
		}
		d.starting++
		return true
	}
	if d.published < d.c.Messages {
		pubs := d.publishers()
		k := pubs[d.published%len(pubs)]
		d.published++
		ref := uint32(d.published)
		spec := d.clients[k]
		d.or.publishedBy(spec.node, ref, spec.topic)
		d.line(Line{Kind: LineNote, Over: []string{spec.node}, Note: "publish m" + utoa(ref)})
		d.or.input(spec.node, 0, model.Input{Kind: model.InPublish, Msg: model.Message{Ref: ref, Topic: spec.topic, Payload: MessagePayload(ref)}}, "publish m"+utoa(ref))
		d.live[k].publish(ref, spec.topic)
		return true
	}
	return false
}

func (d *driver) publishers() []int {
	var ks []int
	for i, c := range d.clients {
		if c.publishes {
			ks = append(ks, i)
		}
	}
	return ks
}

// ready reports whether client i is set up: subscribed if it subscribes,
// else connected.
func (d *driver) ready(i int) bool {
	h := d.hops[i]
	if d.clients[i].subscribe != "" {
		return h.subscribed
	}
	return h.connected
}

func (d *driver) startClient(i int) bool {
	spec := d.clients[i]
	node := spec.node
	cfg := clientConfig{id: d.opt.runID + "-" + node, addr: d.hops[i].addr(), version: d.opt.Version,
		subscribe: spec.subscribe, topics: d.tp, clean: d.c.Clean,
		report: func(a appEvent) {
			a.node = node
			send(d.events, d.done, event{kind: evApp, app: a})
		}}
	c, err := d.t.Client.start(cfg)
	if err != nil {
		d.failErr = fmt.Errorf("%w: starting %s client %s: %v", errRunAborted, d.t.Client.Name, node, err)
		return false
	}
	d.live[i] = c
	d.hops[i].awaiting = true
	return true
}

// advanceClock moves virtual time to the next moment something becomes
// eligible, when nothing is now.
func (d *driver) advanceClock() bool {
	next := int64(-1)
	consider := func(t int64) {
		if t > d.now && (next < 0 || t < next) {
			next = t
		}
	}
	for _, h := range d.hops {
		for _, pc := range h.conns {
			if !pc.open {
				continue
			}
			for s := fromClient; s <= fromBroker; s++ {
				if len(pc.queue[s]) > 0 {
					it := pc.queue[s][0]
					consider(it.readyAt)
					if s == fromClient {
						consider(pc.eligibleAt)
					}
				}
			}
		}
	}
	for k, f := range d.c.Faults {
		if !d.fired[k] && f.When == sim.AtTime && d.anyOpen() {
			consider(f.At)
		}
	}
	if next < 0 {
		return false
	}
	d.now = next
	return true
}

func (d *driver) anyOpen() bool {
	for _, h := range d.hops {
		if d.current(h) != nil {
			return true
		}
	}
	return false
}

// waitReconnect waits for a client that is expected back; a client that
// does not return in time is a divergence, and the run stops.
func (d *driver) waitReconnect() bool {
	for _, h := range d.hops {
		if !h.awaiting {
			continue
		}
		deadline := time.Now().Add(reconnectBound)
		for h.awaiting && d.failErr == nil {
			left := time.Until(deadline)
			if left <= 0 {
				dv := d.or.add(Divergence{Class: Protocol, Node: h.node, Did: "did not connect within " + reconnectBound.String(),
					Model: "reconnects and resumes its session", Why: "the client is configured to reconnect automatically with its session"})
				d.mark(len(d.tr)-1, dv)
				d.stop(h.node + " did not connect")
				return true
			}
			d.waitAny(left)
		}
		return true
	}
	return false
}

// flushApps records the application events of a quiet period in a fixed
// order (they come from goroutines in no fixed order) and matches them.
func (d *driver) flushApps() {
	sort.SliceStable(d.apps, func(i, j int) bool {
		a, b := d.apps[i], d.apps[j]
		if a.node != b.node {
			return a.node < b.node
		}
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		return a.ref < b.ref
	})
	for _, a := range d.apps {
		switch a.kind {
		case appDelivered:
			idx := d.line(Line{Kind: LineNote, Over: []string{a.node}, Note: "deliver m" + utoa(a.ref)})
			if dv := d.or.deliveredTo(a.node, a.ref, d.now); dv != nil {
				d.mark(idx, dv)
			}
		case appCompleted:
			d.line(Line{Kind: LineNote, Over: []string{a.node}, Note: "publish m" + utoa(a.ref) + " completed"})
			d.or.reported(a.ref, "completed")
		case appFailed:
			d.line(Line{Kind: LineNote, Over: []string{a.node}, Note: "publish m" + utoa(a.ref) + " failed: " + a.err})
			d.or.reported(a.ref, "failed: "+a.err)
		}
	}
	d.apps = d.apps[:0]
}

// allReported reports whether every publication's API call has returned.
func (d *driver) allReported() bool {
	for r := uint32(1); r <= uint32(d.published); r++ {
		if !d.returned(r) {
			return false
		}
	}
	return true
}

// returned reports whether the publish call for message ref has returned:
// the oracle holds what it said.
func (d *driver) returned(ref uint32) bool {
	_, ok := d.or.outcome[ref]
	return ok
}

// stop ends the run early and says why.
func (d *driver) stop(why string) {
	if d.stopped == "" {
		d.stopped = why
	}
}

// line appends a transcript line at the current time and returns its index.
func (d *driver) line(l Line) int {
	l.At = d.now
	d.tr = append(d.tr, l)
	return len(d.tr) - 1
}

// mark ties a divergence to a transcript line.
func (d *driver) mark(idx int, dv *Divergence) {
	if idx < 0 {
		idx = 0
	}
	if len(d.tr) == 0 {
		d.line(Line{Kind: LineNote, Over: []string{dv.Node}, Note: "start"})
		idx = 0
	}
	dv.Step, dv.At = idx+1, d.tr[idx].At
	d.tr[idx].Divs = append(d.tr[idx].Divs, dv)
}

// result assembles what the run found.
func (d *driver) result() *Result {
	d.or.finish(d.stopped != "")
	shown := map[*Divergence]bool{}
	for _, l := range d.tr {
		for _, dv := range l.Divs {
			shown[dv] = true
		}
	}
	for _, dv := range d.or.divs {
		if !shown[dv] {
			d.mark(len(d.tr)-1, dv) // judged at the end of the run
		}
	}
	r := &Result{Target: d.t.Name(), Case: d.c, Version: d.opt.Version, Transcript: d.tr, Divergences: d.or.divs,
		Stopped: d.stopped, Choices: d.or.choicesLeft(), Delivered: map[uint32]int{}, Reported: d.or.outcome}
	for _, counts := range d.or.delivered {
		for ref, n := range counts {
			r.Delivered[ref] += n
		}
	}
	if d.stopped != "" {
		r.Pending = d.or.pending()
		for ref := uint32(1); ref <= uint32(d.published); ref++ {
			if !d.returned(ref) {
				r.Pending = append(r.Pending, d.or.published[ref]+": the publish call for m"+utoa(ref)+" has not returned"+d.or.modelOutcome(ref))
			}
		}
	}
	for k, f := range d.c.Faults {
		if !d.fired[k] {
			r.Unfired = append(r.Unfired, f.String())
		}
	}
	index := map[*Divergence]int{}
	for i, dv := range r.Divergences {
		index[dv] = i + 1
	}
	for _, dv := range r.Divergences {
		if dv.cause != nil {
			dv.FollowsFrom = index[dv.cause]
		}
	}
	for i := range r.Transcript {
		for _, dv := range r.Transcript[i].Divs {
			r.Transcript[i].Marks = append(r.Transcript[i].Marks, index[dv])
		}
	}
	r.Verdict = verdictOf(r)
	return r
}
