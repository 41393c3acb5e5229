package model

import (
	"math/bits"
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

// Sender is the publishing endpoint used by every built-in variant. Its
// session state (the flights, the queue of accepted messages and the id
// cursors) survives a reconnect, and a crash unless Config.Volatile.
type Sender struct {
	cfg   Config
	rules SenderRules
	conn  Conn

	flights   []Flight // in the order the flows started, the order of retransmission [MQTT-4.6.0-1]
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

// Step implements Endpoint.
func (s *Sender) Step(in Input, out []Output) []Output {
	if connInput(&in) {
		if done, r, o := s.conn.handle(&s.cfg, in, out); done {
			return s.resume(r, o)
		}
	}
	switch in.Kind {
	case InPublish:
		s.queue.push(in.Msg)
		return s.pump(out)
	case InPacket:
		return s.onAck(&in.Packet, out)
	case InTimer:
		return s.onRetry(in.Timer, out)
	case InCrash:
		return s.crash(out)
	}
	return out
}

func (s *Sender) resume(r resume, out []Output) []Output {
	switch r {
	case resumeNone, resumeRestart:
		return out
	case resumeExpired:
		return s.dropFlights("session expired while disconnected", out)
	case resumeDiscard:
		out = s.dropFlights("session discarded: the peer has no session", out)
	}
	// On reconnect with the session kept, unacknowledged PUBLISH packets are
	// resent with their original ids and DUP set, and unacknowledged PUBRELs
	// are resent, in the original order [MQTT-4.4.0-1] [MQTT-3.3.1-1]. This is
	// the only time a stream-mode sender resends.
	for i := range s.flights {
		f := &s.flights[i]
		f.Tries = 0
		out = s.transmit(f, true, out)
	}
	return s.pump(out)
}

// dropFlights abandons every unacknowledged flow with the session that held it.
func (s *Sender) dropFlights(note string, out []Output) []Output {
	for _, f := range s.flights {
		out = outcome(out, OutAbandon, f.Msg, note)
	}
	s.flights = s.flights[:0]
	return out
}

// pump starts flows for queued messages while the connection is usable, the
// peer's Receive Maximum allows [MQTT-4.9.0-2] and a packet id is free.
func (s *Sender) pump(out []Output) []Output {
	for s.conn.Up && s.queue.len() > 0 {
		m := s.queue.front()
		if s.rules.QoS == 0 {
			// QoS 0 has no packet id and no acknowledgement: the flow ends
			// as the packet leaves [MQTT-4.3.1-1].
			s.queue.pop()
			out = send(out, Packet{Type: PUBLISH, QoS: 0, Msg: m})
			out = outcome(out, OutComplete, m, "")
			continue
		}
		if len(s.flights) >= s.cfg.ReceiveMax {
			break
		}
		id, ok := s.allocID()
		if !ok {
			break
		}
		s.queue.pop()
		f := Flight{ID: id, State: WaitPubrec, Msg: m}
		if s.rules.Ack == PUBACK {
			f.State = WaitPuback
		}
		if s.rules.MsgID {
			s.nextMsgID++
			f.MsgID = s.nextMsgID
		}
		s.flights = append(s.flights, f)
		out = persist(out, "outgoing message recorded under its packet id")
		out = s.transmit(&s.flights[len(s.flights)-1], false, out)
	}
	return out
}

// allocID returns a packet id that no unacknowledged flow uses: an id is only
// reused once its flow has completed [MQTT-2.2.1-3] [MQTT-2.3.1-2].
func (s *Sender) allocID() (uint16, bool) {
	space := s.cfg.IDSpace
	if len(s.flights) >= space {
		return 0, false
	}
	if s.cfg.IDPolicy == LowestFree {
		// With n flows in flight the lowest free id is at most n+1: for
		// small windows one pass marks the candidates in a bit mask.
		if len(s.flights) < 64 {
			var used uint64
			for i := range s.flights {
				if id := s.flights[i].ID; id <= 64 {
					used |= 1 << (id - 1)
				}
			}
			id := bits.TrailingZeros64(^used) + 1
			return uint16(id), id <= space
		}
		for id := 1; id <= space; id++ {
			if s.find(uint16(id)) < 0 {
				return uint16(id), true
			}
		}
		return 0, false
	}
	id := int(s.nextID)
	for range space {
		id = id%space + 1
		if s.find(uint16(id)) < 0 {
			s.nextID = uint16(id)
			return uint16(id), true
		}
	}
	return 0, false
}

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
func (s *Sender) transmit(f *Flight, again bool, out []Output) []Output {
	f.Tries++
	if f.State == WaitPubcomp {
		out = send(out, Packet{Type: PUBREL, ID: f.ID})
	} else {
		// A new PUBLISH has DUP 0 [MQTT-4.3.2-2] [MQTT-4.3.3-2]; a re-delivery
		// has DUP 1 [MQTT-3.3.1-1].
		out = send(out, Packet{Type: PUBLISH, ID: f.ID, QoS: s.rules.QoS, Dup: again, MsgID: f.MsgID, Msg: f.Msg})
	}
	if s.cfg.Mode == Datagram {
		out = setTimer(out, MakeTimer(TimerRetry, f.ID), s.cfg.RetryTicks)
	}
	return out
}

func (s *Sender) onAck(p *Packet, out []Output) []Output {
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
			return s.finish(i, OutAbandon, "refused by the receiver", out)
		}
		if s.rules.ReleaseUnacked {
			// Fire and forget: the id is free again as the PUBREL leaves.
			out = send(out, Packet{Type: PUBREL, ID: f.ID})
			return s.finish(i, OutComplete, "", out)
		}
		if !s.rules.Release {
			return s.finish(i, OutComplete, "", out)
		}
		// PUBREC moves the flow on: send PUBREL with the same id and from
		// now on never resend the PUBLISH [MQTT-4.3.3-4] [MQTT-4.3.3-6].
		f.State, f.Tries = WaitPubcomp, 0
		out = persist(out, "PUBREC received: flow now waits for PUBCOMP")
		return s.transmit(f, false, out)
	case p.Type == PUBREC && f.State == WaitPubcomp:
		// A repeated PUBREC means our PUBREL may not have arrived: answer it
		// with PUBREL again, as every PUBREC is answered [MQTT-4.3.3-4].
		return send(out, Packet{Type: PUBREL, ID: f.ID})
	case p.Type == PUBCOMP && f.State == WaitPubcomp:
		return s.finish(i, OutComplete, "", out)
	}
	// Any other pairing (a PUBCOMP while the id waits for PUBREC) belongs to
	// an earlier use of the id and is ignored.
	return out
}

// finish ends flow i and lets queued messages take its place.
func (s *Sender) finish(i int, kind OutKind, note string, out []Output) []Output {
	f := s.flights[i]
	s.flights = append(s.flights[:i], s.flights[i+1:]...)
	if s.cfg.Mode == Datagram {
		out = cancelTimer(out, MakeTimer(TimerRetry, f.ID))
	}
	out = outcome(out, kind, f.Msg, note)
	return s.pump(out)
}

func (s *Sender) onRetry(t Timer, out []Output) []Output {
	if t.Purpose() != TimerRetry || !s.conn.Up {
		return out
	}
	i := s.find(t.Key())
	if i < 0 {
		return out
	}
	f := &s.flights[i]
	if int(f.Tries) > s.cfg.RetryLimit {
		return s.finish(i, OutAbandon, "retry limit reached", out)
	}
	return s.transmit(f, f.State != WaitPubcomp, out)
}

func (s *Sender) crash(out []Output) []Output {
	s.conn.crash(&s.cfg)
	if s.cfg.Volatile {
		for _, f := range s.flights {
			out = outcome(out, OutAbandon, f.Msg, "lost in a crash")
		}
		for _, m := range s.queue.pending() {
			out = outcome(out, OutAbandon, m, "lost in a crash")
		}
		s.flights, s.queue, s.nextID, s.nextMsgID = nil, msgQueue{}, 0, 0
	}
	return out
}

// Clone implements Endpoint.
func (s *Sender) Clone() Endpoint {
	c := *s
	c.flights = append([]Flight(nil), s.flights...)
	c.queue = s.queue.clone()
	return &c
}

// AppendKey implements Endpoint. Messages are keyed by Ref: within one
// workload a Ref determines topic and payload.
func (s *Sender) AppendKey(dst []byte) []byte {
	dst = s.conn.appendKey(dst)
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

// Pending implements Endpoint.
func (s *Sender) Pending(dst []string) []string {
	for _, f := range s.flights {
		dst = append(dst, "id "+strconv.Itoa(int(f.ID))+" "+f.State.String()+" (m"+strconv.FormatUint(uint64(f.Msg.Ref), 10)+")")
	}
	if s.queue.len() > 0 {
		dst = append(dst, strconv.Itoa(s.queue.len())+" message(s) queued for a packet id")
	}
	return dst
}

// Held implements Endpoint: a sender holds nothing for received messages.
func (s *Sender) Held() int { return 0 }
