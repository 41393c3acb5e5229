package model

import (
	"math/bits"
	"slices"
	"strconv"
)

// FlowState is where one outgoing message stands, named as the spec names it.
type FlowState uint8

const (
	WaitPuback  FlowState = iota + 1 // QoS 1: PUBLISH sent, unacknowledged until PUBACK
	WaitPubrec                       // QoS 2 and two-packet: PUBLISH sent, unacknowledged until PUBREC
	WaitPubcomp                      // QoS 2: PUBREL sent, unacknowledged until PUBCOMP
)

var flowNames = [...]string{"", "waiting for PUBACK", "waiting for PUBREC", "waiting for PUBCOMP"}

func (s FlowState) String() string {
	if int(s) < len(flowNames) {
		return flowNames[s]
	}
	return "state" + strconv.Itoa(int(s))
}

// Flight is one unacknowledged outgoing message.
type Flight struct {
	ID    uint16
	State FlowState
	Tries uint16 // transmissions of the current packet (datagram retry count)
	MsgID uint64 // two-packet-msgid only
	Msg   Message
}

// SenderRules describe a sender's flow; the generic Sender runs any of them.
type SenderRules struct {
	QoS     uint8      // QoS of the PUBLISH packets; 0 means fire and forget
	Ack     PacketType // PUBACK or PUBREC: the packet that acknowledges PUBLISH
	Release bool       // after the acknowledgement, send PUBREL and wait for PUBCOMP (QoS 2)
	MsgID   bool       // stamp each PUBLISH with a unique 64-bit message id
	// ReleaseUnacked (three-packet only) sends PUBREL after the
	// acknowledgement and ends the flow at once: no PUBCOMP will come, so
	// nothing tells the sender whether the PUBREL arrived.
	ReleaseUnacked bool
}

// Sender is the outbound half of every built-in variant. Its session
// state (the flights, the queue of accepted messages and the id cursors)
// survives a reconnect, and a crash unless Config.Volatile.
type Sender struct {
	cfg   Config
	rules SenderRules

	flights   []Flight // in the order the flows started, the order of retransmission [MQTT-4.6.0-1]
	flightArr []Flight // the array of flights (see appendSlot)
	// low has bit id-1 set for each flight's id up to 64, so that the
	// lowest free id is found without a scan of the flights.
	low       uint64
	queue     msgQueue // accepted from the application, not yet given a packet id
	nextID    uint16   // Sequential policy: the last id handed out
	nextMsgID uint64   // MsgID rule: the last message id handed out
}

// NewSender builds a Sender for rules with a normalised cfg.
func NewSender(cfg Config, rules SenderRules) *Sender {
	return &Sender{cfg: cfg.Normalize(), rules: rules}
}

// Flights returns the unacknowledged flows (shared; do not modify).
func (s *Sender) Flights() []Flight { return s.flights }

// Step implements Half.
func (s *Sender) Step(c *Ctx, in *Input, out []Output) []Output {
	switch in.Kind {
	case InPublish:
		s.queue.push(in.Msg)
		return s.pump(c, out)
	case InPacket:
		return s.onAck(c, &in.Packet, out)
	case InTimer:
		return s.onRetry(c, in.Timer, out)
	case InResume:
		return s.resume(c, out)
	case InWake:
		return s.pump(c, out)
	case InDiscard:
		if in.Timer.Purpose() == TimerSession {
			return s.dropFlights("session expired while disconnected", out)
		}
		return s.dropFlights("session discarded: the peer has no session", out)
	case InCrash:
		return s.crash(out)
	}
	return out
}

// resume retransmits on a resumed session: unacknowledged PUBLISH packets
// with their original ids and DUP set, and unacknowledged PUBRELs
// [MQTT-4.4.0-1] [MQTT-3.3.1-1]. This is the only time a stream-mode sender
// resends. PUBLISHes keep the order they were first sent in
// [MQTT-4.6.0-1], PUBRELs theirs [MQTT-4.6.0-4]; how the two interleave is
// a choice (ChooseResendOrder), by default the order the flows started.
func (s *Sender) resume(c *Ctx, out []Output) []Output {
	if !c.Open(ChooseResendOrder) {
		for i := range s.flights {
			f := &s.flights[i]
			f.Tries = 0
			out = s.transmit(c, f, true, out)
		}
		return s.pump(c, out)
	}
	pub, rel := s.nextFlight(-1, false), s.nextFlight(-1, true)
	for pub < len(s.flights) || rel < len(s.flights) {
		next := min(pub, rel)
		if pub < len(s.flights) && rel < len(s.flights) {
			var other int
			if out, other = c.Choose(out, ChooseResendOrder, 2); other == 1 {
				next = max(pub, rel)
			}
		}
		f := &s.flights[next]
		f.Tries = 0
		out = s.transmit(c, f, true, out)
		if next == pub {
			pub = s.nextFlight(pub, false)
		} else {
			rel = s.nextFlight(rel, true)
		}
	}
	return s.pump(c, out)
}

// nextFlight is the index of the first flight after i that waits for
// PUBCOMP (release) or for the PUBLISH's acknowledgement (!release), or
// len(s.flights).
func (s *Sender) nextFlight(i int, release bool) int {
	for i++; i < len(s.flights); i++ {
		if (s.flights[i].State == WaitPubcomp) == release {
			break
		}
	}
	return i
}

// dropFlights abandons every unacknowledged flow with the session that held it.
func (s *Sender) dropFlights(note string, out []Output) []Output {
	for _, f := range s.flights {
		out = Abandon(out, f.Msg, note)
	}
	s.flights, s.low = s.flights[:0], 0
	return out
}

// pump starts flows for queued messages while the connection is usable, the
// peer's Receive Maximum allows [MQTT-4.9.0-2] and a packet id is free.
func (s *Sender) pump(c *Ctx, out []Output) []Output {
	for c.Up && s.queue.len() > 0 {
		if s.rules.QoS == 0 {
			// QoS 0 has no packet id and no acknowledgement: the flow ends
			// as the packet leaves [MQTT-4.3.1-1].
			m := s.queue.pop()
			out = Send(out, Packet{Type: PUBLISH, QoS: 0, Msg: m})
			out = Complete(out, m)
			continue
		}
		if len(s.flights) >= s.cfg.ReceiveMax {
			break
		}
		var id uint16
		var ok bool
		if out, id, ok = s.allocID(c, out); !ok {
			break
		}
		var f *Flight
		s.flights, s.flightArr, f = appendSlot(s.flights, s.flightArr)
		f.ID, f.State, f.Msg = id, WaitPubrec, s.queue.pop()
		if s.rules.Ack == PUBACK {
			f.State = WaitPuback
		}
		if s.rules.MsgID {
			s.nextMsgID++
			f.MsgID = s.nextMsgID
		}
		s.low |= idBit(id)
		out = Persist(out, "outgoing message recorded under its packet id")
		out = s.transmit(c, f, false, out)
	}
	return out
}

// allocID returns a packet id that no unacknowledged flow of this
// direction uses, nor the session's SUBSCRIBE in flight: an id is only
// reused once its flow has completed [MQTT-2.2.1-3] [MQTT-2.3.1-2].
func (s *Sender) allocID(c *Ctx, out []Output) ([]Output, uint16, bool) {
	space := s.cfg.IDSpace
	used := len(s.flights)
	if c.Reserved != 0 && int(c.Reserved) <= space {
		used++
	}
	if used >= space {
		return out, 0, false
	}
	switch s.cfg.IDPolicy {
	case Sequential:
		id := int(s.nextID)
		for range space {
			id = id%space + 1
			if !s.InUse(uint16(id)) && uint16(id) != c.Reserved {
				s.nextID = uint16(id)
				return out, uint16(id), true
			}
		}
		return out, 0, false
	case AnyFree:
		// Any unused id will do [MQTT-2.2.1-3]: option k is the k-th free
		// one, ascending.
		var k int
		out, k = c.Choose(out, ChooseID, space-used)
		return out, s.kthFree(c, k), true
	}
	// With n flows in flight the lowest free id is at most n+1: for small
	// windows it is the lowest bit clear in low.
	if len(s.flights) < 63 {
		id := bits.TrailingZeros64(^(s.low | idBit(c.Reserved))) + 1
		return out, uint16(id), id <= space
	}
	return out, s.kthFree(c, 0), true
}

// idBit is the bit of id in Sender.low: 0 for ids above 64 (and for 0,
// no id).
func idBit(id uint16) uint64 {
	if b := id - 1; b < 64 {
		return 1 << (b & 63)
	}
	return 0
}

// kthFree returns the k-th (from 0) id in 1..IDSpace that is neither in use
// nor reserved; the caller made sure it exists. It walks the taken ids in
// ascending order, so it costs the window, not the id space.
func (s *Sender) kthFree(c *Ctx, k int) uint16 {
	var taken [64]uint16
	ids := taken[:0]
	for i := range s.flights {
		ids = append(ids, s.flights[i].ID)
	}
	if c.Reserved != 0 {
		ids = append(ids, c.Reserved)
	}
	slices.Sort(ids)
	id := k + 1
	for _, t := range ids {
		if int(t) <= id {
			id++
		}
	}
	return uint16(id)
}

// InUse implements IDUser.
func (s *Sender) InUse(id uint16) bool { return s.find(id) >= 0 }

func (s *Sender) find(id uint16) int {
	for i := range s.flights {
		if s.flights[i].ID == id {
			return i
		}
	}
	return -1
}

// transmit sends the packet that f's state calls for and, in datagram mode,
// arms its retransmission timer.
func (s *Sender) transmit(c *Ctx, f *Flight, again bool, out []Output) []Output {
	f.Tries++
	if f.State == WaitPubcomp {
		out = sendAck(out, PUBREL, f.ID, 0)
	} else {
		// A new PUBLISH has DUP 0 [MQTT-4.3.2-2] [MQTT-4.3.3-2]; a re-delivery
		// has DUP 1 [MQTT-3.3.1-1].
		var p *Packet
		out, p = sendSlot(out)
		p.Type, p.ID, p.QoS, p.Dup, p.MsgID, p.Msg = PUBLISH, f.ID, s.rules.QoS, again, f.MsgID, f.Msg
	}
	if s.cfg.Mode == Datagram {
		out = SetTimer(out, MakeTimer(TimerRetry, f.ID), s.cfg.RetryTicks)
	}
	return out
}

func (s *Sender) onAck(c *Ctx, p *Packet, out []Output) []Output {
	i := s.find(p.ID)
	if i < 0 || (p.Type != PUBACK && p.Type != PUBREC && p.Type != PUBCOMP) {
		// An acknowledgement for an id with no flow is a late duplicate of
		// one already handled: nothing is waiting for it.
		return out
	}
	f := &s.flights[i]
	switch {
	case p.Type == s.rules.Ack && (f.State == WaitPuback || f.State == WaitPubrec):
		if p.Reason >= 0x80 && s.cfg.Version == V5 {
			// A refusing PUBACK or PUBREC ends the flow and frees the id;
			// the PUBLISH is not retransmitted [MQTT-4.4.0-2] [MQTT-4.3.3-4].
			return s.finish(c, i, OutAbandon, "refused by the receiver", out)
		}
		if s.rules.ReleaseUnacked {
			// Fire and forget: the id is free again as the PUBREL leaves.
			out = sendAck(out, PUBREL, f.ID, 0)
			return s.finish(c, i, OutComplete, "", out)
		}
		if !s.rules.Release {
			return s.finish(c, i, OutComplete, "", out)
		}
		// PUBREC moves the flow on: send PUBREL with the same id and from
		// now on never resend the PUBLISH [MQTT-4.3.3-4] [MQTT-4.3.3-6].
		f.State, f.Tries = WaitPubcomp, 0
		out = Persist(out, "PUBREC received: flow now waits for PUBCOMP")
		return s.transmit(c, f, false, out)
	case p.Type == PUBREC && f.State == WaitPubcomp:
		// A repeated PUBREC means our PUBREL may not have arrived: answer it
		// with PUBREL again, as every PUBREC is answered [MQTT-4.3.3-4].
		return sendAck(out, PUBREL, f.ID, 0)
	case p.Type == PUBCOMP && f.State == WaitPubcomp:
		return s.finish(c, i, OutComplete, "", out)
	}
	// Any other pairing (a PUBCOMP while the id waits for PUBREC) belongs to
	// an earlier use of the id and is ignored.
	return out
}

// finish ends flow i and lets queued messages take its place.
func (s *Sender) finish(c *Ctx, i int, kind OutKind, note string, out []Output) []Output {
	f := s.flights[i]
	s.flights = removeOrdered(s.flights, i)
	s.low &^= idBit(f.ID)
	if s.cfg.Mode == Datagram {
		out = CancelTimer(out, MakeTimer(TimerRetry, f.ID))
	}
	out = outcome(out, kind, f.Msg, note)
	return s.pump(c, out)
}

func (s *Sender) onRetry(c *Ctx, t Timer, out []Output) []Output {
	if t.Purpose() != TimerRetry || !c.Up {
		return out
	}
	i := s.find(t.Key())
	if i < 0 {
		return out
	}
	f := &s.flights[i]
	if int(f.Tries) > s.cfg.RetryLimit {
		return s.finish(c, i, OutAbandon, "retry limit reached", out)
	}
	return s.transmit(c, f, f.State != WaitPubcomp, out)
}

func (s *Sender) crash(out []Output) []Output {
	if s.cfg.Volatile {
		for _, f := range s.flights {
			out = Abandon(out, f.Msg, "lost in a crash")
		}
		for _, m := range s.queue.pending() {
			out = Abandon(out, m, "lost in a crash")
		}
		s.flights, s.low, s.queue, s.nextID, s.nextMsgID = nil, 0, msgQueue{}, 0, 0
	}
	return out
}

// Clone implements Half.
func (s *Sender) Clone() Half {
	c := *s
	c.flights, c.flightArr = append([]Flight(nil), s.flights...), nil
	c.queue = s.queue.clone()
	return &c
}

// AppendKey implements Half. Messages are keyed by Ref: within one
// workload a Ref determines topic and payload.
func (s *Sender) AppendKey(dst []byte) []byte {
	dst = appendU16(dst, s.nextID)
	dst = appendU64(dst, s.nextMsgID)
	dst = appendU16(dst, uint16(len(s.flights)))
	for _, f := range s.flights {
		dst = appendU16(dst, f.ID)
		dst = append(dst, byte(f.State))
		dst = appendU16(dst, f.Tries)
		dst = appendU64(dst, f.MsgID)
		dst = appendU32(dst, f.Msg.Ref)
	}
	dst = appendU16(dst, uint16(s.queue.len()))
	for _, m := range s.queue.pending() {
		dst = appendU32(dst, m.Ref)
	}
	return dst
}

// Pending implements Half.
func (s *Sender) Pending(dst []string) []string {
	for _, f := range s.flights {
		dst = append(dst, "id "+strconv.Itoa(int(f.ID))+" "+f.State.String()+" (m"+strconv.FormatUint(uint64(f.Msg.Ref), 10)+")")
	}
	if s.queue.len() > 0 {
		dst = append(dst, strconv.Itoa(s.queue.len())+" message(s) queued for a packet id")
	}
	return dst
}

// Held implements Half: a sender holds nothing for received messages.
func (s *Sender) Held() int { return 0 }
