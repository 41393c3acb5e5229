package explore

import (
	"sync"

	"github.com/qoslab/qoslab/model"
)

// endpoints interns the endpoint states and the packets of one search and
// memoizes the endpoints' steps.
//
// A closed system has far fewer distinct endpoint states than system
// states: the same sender state recurs with every arrangement of the
// network, the timers and the other endpoint. So each distinct endpoint
// state (by its AppendKey encoding, which the Endpoint contract makes a
// canonical encoding of the whole state) is stored once, immutable, under a
// small id; a system state holds the two ids, and its key encodes them
// instead of the endpoints. Packets are interned the same way (by
// appendPacket), so a queue is a short slice of ids. Endpoints are pure
// functions of their state and input, so the outcome of a step (the next
// endpoint state and the outputs) is remembered per (id, input): in steady
// state a transition neither copies, steps nor encodes an endpoint, and the
// search visits exactly the states it would visit by stepping copies.
//
// The workers of a search share one endpoints, behind a mutex, and each
// keeps what it has looked up in an epCache: in steady state a worker
// finds every step in its own cache and takes no lock. Which ids the
// interned states and packets get depends on which worker steps first; the
// search's outcome does not, since it never orders states by those ids.
type endpoints struct {
	mu      sync.Mutex
	msgs    []model.Message  // the workload, by Ref-1
	side    []epSide         // per node
	pkts    []model.Packet   // by packet id
	pktIDs  map[string]pktID // appendPacket encoding -> id
	keyBuf  []byte
	out     []model.Output
	scratch []model.Endpoint // per node
	acts    slab[act]
	actBuf  []act
	results slab[stepResult] // the remembered steps themselves
}

// pktID is an interned packet.
type pktID = uint32

type epSide struct {
	ids    map[string]uint32 // AppendKey encoding -> id
	eps    []model.Endpoint  // by id; never changed after interning
	stored []uint16          // by id, bit m-1 set when the endpoint keeps a copy of message m
	// steps remembers every step stepped. A plain map serves: a worker's
	// epCache answers the steps it has seen, so only a worker's first look
	// at a step gets here.
	steps map[wideKey]*stepResult
}

// wideKey is the whole of a step's key; a worker's stepCache packs the
// common case in 64 bits instead (stepKey).
type wideKey struct {
	id, arg uint32
	kind    model.InKind
	conn    uint8
	choice  uint64
}

// act is an output as the search carries it out: its kind and its packet
// id, message ref, timer or number of options, and the connection of a
// send.
type act struct {
	kind model.OutKind
	conn uint8
	arg  uint32
}

// actUnrouted is the act of a broker's delivery that no subscription
// matched (model.NoSubscriber): no delivery of the message is owed.
const actUnrouted model.OutKind = 0xff

// stepResult is the remembered outcome of one step: the next endpoint
// state and the outputs as acts. The outputs themselves are not kept (they
// would be most of the memory of the remembered steps): an observer gets
// them from outputs.
type stepResult struct {
	to   uint32
	acts []act
}

func newEndpoints(msgs []model.Message, nodes int) *endpoints {
	c := &endpoints{msgs: msgs, pktIDs: map[string]pktID{}, side: make([]epSide, nodes), scratch: make([]model.Endpoint, nodes)}
	for n := range c.side {
		c.side[n] = epSide{ids: map[string]uint32{}, steps: map[wideKey]*stepResult{}}
	}
	return c
}

// intern returns the id of e's state, storing e (which the caller gives up)
// if the state is new.
func (c *endpoints) intern(side int, e model.Endpoint) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.internLocked(side, e)
}

func (c *endpoints) internLocked(side int, e model.Endpoint) uint32 {
	t := &c.side[side]
	c.keyBuf = e.AppendKey(c.keyBuf[:0])
	if id, ok := t.ids[string(c.keyBuf)]; ok {
		return id
	}
	id := uint32(len(t.eps))
	t.ids[string(c.keyBuf)] = id
	t.eps = append(t.eps, e)
	var stored uint16
	for m := 1; m <= len(c.msgs); m++ {
		if stores(e, m) {
			stored |= 1 << (m - 1)
		}
	}
	t.stored = append(t.stored, stored)
	return id
}

// packet returns the id of p.
func (c *endpoints) packet(p *model.Packet) pktID {
	c.keyBuf = appendPacket(c.keyBuf[:0], p)
	if id, ok := c.pktIDs[string(c.keyBuf)]; ok {
		return id
	}
	id := pktID(len(c.pkts))
	c.pktIDs[string(c.keyBuf)] = id
	c.pkts = append(c.pkts, *p)
	return id
}

// get returns the endpoint with id (shared: do not step or change it).
func (c *endpoints) get(side int, id uint32) model.Endpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.side[side].eps[id]
}

// An input is its kind and one argument: the message ref of a publication,
// the packet id of a packet, the timer of a timer (none for the others).
// A Timer (purpose<<16 | key) fits in 24 bits, and so do packet ids in
// practice.
const argBits = 24

// input builds the input of kind with arg on connection conn.
func (c *endpoints) input(kind model.InKind, arg uint32, conn uint8) model.Input {
	in := model.Input{Kind: kind, Conn: conn}
	switch kind {
	case model.InPublish:
		in.Msg = c.msgs[arg-1]
	case model.InPacket:
		in.Packet = c.pkts[arg]
	case model.InTimer:
		in.Timer = model.Timer(arg)
	}
	return in
}

// stepKey packs endpoint id, input kind and argument (never 0: kinds start
// at 1); ok is false when the argument does not fit (then the step is
// remembered under its wideKey).
func stepKey(id uint32, kind model.InKind, arg uint32) (uint64, bool) {
	return uint64(id)<<32 | uint64(kind)<<argBits | uint64(arg), arg < 1<<argBits
}

// step returns the outcome of feeding input (kind, arg) on connection
// conn, with choice, to endpoint id of node side.
func (c *endpoints) step(side int, id uint32, kind model.InKind, arg uint32, conn uint8, choice uint64) *stepResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &c.side[side]
	k := wideKey{id: id, arg: arg, kind: kind, conn: conn, choice: choice}
	if r := t.steps[k]; r != nil {
		return r
	}
	e := c.private(side, t.eps[id])
	in := c.input(kind, arg, conn)
	in.Choice = choice
	c.out = e.Step(in, c.out[:0])
	r := c.results.add(stepResult{})
	c.actBuf = c.actBuf[:0]
	for i := range c.out {
		o := &c.out[i]
		a := act{kind: o.Kind, conn: o.Conn}
		switch o.Kind {
		case model.OutSend:
			a.arg = c.packet(&o.Packet)
		case model.OutDeliver, model.OutComplete, model.OutAbandon:
			a.arg = o.Msg.Ref
			if o.Kind == model.OutDeliver && o.Note == model.NoSubscriber {
				a.kind = actUnrouted
			}
		case model.OutSetTimer, model.OutCancelTimer:
			a.arg = uint32(o.Timer)
		case model.OutChose:
			a.arg = o.Options
		}
		c.actBuf = append(c.actBuf, a)
	}
	r.acts = c.acts.copy(c.actBuf)
	n := len(t.eps)
	r.to = c.internLocked(side, e)
	if int(r.to) == n {
		c.scratch[side] = nil // e is kept now
	}
	t.steps[k] = r
	return r
}

// outputs are the outputs of the step that step remembers without them:
// endpoints are pure, so stepping a copy again gives them, for the
// observers (traces, state machines) that want them.
func (c *endpoints) outputs(side int, id uint32, kind model.InKind, arg uint32, conn uint8, choice uint64) []model.Output {
	c.mu.Lock()
	defer c.mu.Unlock()
	in := c.input(kind, arg, conn)
	in.Choice = choice
	return c.side[side].eps[id].Clone().Step(in, nil)
}

// private returns a copy of e to step: the scratch copy where the endpoint
// supports it (model.Copier), else a clone.
func (c *endpoints) private(side int, e model.Endpoint) model.Endpoint {
	if c.scratch[side] != nil {
		if cp, ok := c.scratch[side].(model.Copier); ok && cp.CopyFrom(e) {
			return c.scratch[side]
		}
	}
	c.scratch[side] = e.Clone()
	return c.scratch[side]
}

// epCache is one worker's view of the shared endpoints: the steps it has
// looked up, and the packets and what each node's endpoints keep, as
// interned so far (prefixes of the shared arrays, taken under the lock:
// what is appended later lies beyond them, so reading them needs no lock).
type epCache struct {
	_      [falseSharingPad]byte
	shared *endpoints
	steps  []stepCache // per node
	wide   []map[wideKey]*stepResult
	pkts   []model.Packet
	kept   [][]uint16 // per node, by endpoint id
	spill  []act      // the acts of remembered steps with more than fit in an entry
	acts   [inlineActs]act
	_      [falseSharingPad]byte
}

func newEpCache(shared *endpoints) *epCache {
	c := &epCache{shared: shared}
	for range shared.side {
		c.steps = append(c.steps, newStepCache())
		c.wide = append(c.wide, map[wideKey]*stepResult{})
	}
	c.kept = make([][]uint16, len(shared.side))
	return c
}

// step returns the outcome of feeding input (kind, arg) on connection
// conn, with choice, to endpoint id of node: the next endpoint and the
// outputs as acts (valid until the next call).
func (c *epCache) step(node int, id uint32, kind model.InKind, arg uint32, conn uint8, choice uint64) (uint32, []act) {
	k, ok := stepKey(id, kind, arg)
	ok = ok && conn == 0 && choice == 0
	if ok {
		if e := c.steps[node].get(k); e != nil {
			return e.to, c.unpack(e)
		}
	} else if r := c.wide[node][wideKey{id: id, arg: arg, kind: kind, conn: conn, choice: choice}]; r != nil {
		return r.to, r.acts
	}
	r := c.shared.step(node, id, kind, arg, conn, choice)
	if ok {
		c.steps[node].put(k, c.pack(r))
	} else {
		c.wide[node][wideKey{id: id, arg: arg, kind: kind, conn: conn, choice: choice}] = r
	}
	return r.to, r.acts
}

// pack makes the entry of a remembered step.
func (c *epCache) pack(r *stepResult) stepEntry {
	e := stepEntry{to: r.to, n: uint8(len(r.acts))}
	if len(r.acts) > inlineActs {
		e.n = spilled
		e.args[0], e.args[1] = uint32(len(c.spill)), uint32(len(r.acts))
		c.spill = append(c.spill, r.acts...)
		return e
	}
	for i, a := range r.acts {
		e.kinds[i], e.conns[i], e.args[i] = a.kind, a.conn, a.arg
	}
	return e
}

func (c *epCache) unpack(e *stepEntry) []act {
	if e.n == spilled {
		return c.spill[e.args[0] : e.args[0]+e.args[1]]
	}
	for i := range e.n {
		c.acts[i] = act{kind: e.kinds[i], conn: e.conns[i], arg: e.args[i]}
	}
	return c.acts[:e.n]
}

// refresh takes the shared arrays as they are now.
func (c *epCache) refresh() {
	c.shared.mu.Lock()
	c.pkts = c.shared.pkts
	for n := range c.kept {
		c.kept[n] = c.shared.side[n].stored
	}
	c.shared.mu.Unlock()
}

// pkt returns packet id (shared: read only).
func (c *epCache) pkt(id pktID) *model.Packet {
	if int(id) >= len(c.pkts) {
		c.refresh()
	}
	return &c.pkts[id]
}

// stored is the set of messages node's endpoint id keeps a copy of, for a
// later delivery or retransmission: bit m-1 for message m.
func (c *epCache) stored(node int, id uint32) uint16 {
	if int(id) >= len(c.kept[node]) {
		c.refresh()
	}
	return c.kept[node][id]
}

// stepCache is a worker's open-addressing table of remembered steps,
// linear probing, at most 3/4 full. An entry is 32 bytes and holds the
// next endpoint and up to three acts itself, so that a step found here
// costs one cache miss at most, not a chain of pointers.
type stepCache struct {
	slots []stepEntry
	n     int
}

// inlineActs is how many acts an entry holds itself.
const inlineActs = 3

type stepEntry struct {
	key   uint64 // 0 marks a free slot
	to    uint32
	args  [inlineActs]uint32
	kinds [inlineActs]model.OutKind
	conns [inlineActs]uint8
	n     uint8 // acts, or spilled: spill[args[0]:][:args[1]]
}

const spilled = 0xff

func newStepCache() stepCache { return stepCache{slots: make([]stepEntry, 256)} }

func (m *stepCache) get(k uint64) *stepEntry {
	mask := uint64(len(m.slots) - 1)
	for i := slotOf(k, mask); ; i = (i + 1) & mask {
		switch e := &m.slots[i]; e.key {
		case k:
			return e
		case 0:
			return nil
		}
	}
}

func (m *stepCache) put(k uint64, e stepEntry) {
	if 4*(m.n+1) > 3*len(m.slots) {
		old := m.slots
		m.slots, m.n = make([]stepEntry, 2*len(old)), 0
		for i := range old {
			if old[i].key != 0 {
				m.put(old[i].key, old[i])
			}
		}
	}
	mask := uint64(len(m.slots) - 1)
	i := slotOf(k, mask)
	for m.slots[i].key != 0 {
		i = (i + 1) & mask
	}
	e.key = k
	m.slots[i] = e
	m.n++
}

func slotOf(k uint64, mask uint64) uint64 { return (k * 0x9e3779b97f4a7c15) >> 32 & mask }
