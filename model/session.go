package model

import "strconv"

// Session is one end of an MQTT connection: the client's or the server's.
// It owns what the two directions share (the connection, the handshake,
// session present and expiry, durability across crashes, subscriptions) and
// carries the flows of both directions in two halves: the outbound half
// sends what this end publishes, the inbound half receives what the peer
// publishes. Either half may be missing: a one-way end (the question's
// client, which only publishes) has one.
//
// The two directions assign packet identifiers independently, so the same
// id may be in flight both ways at once [MQTT-2.2.1-3]: an arriving packet
// goes to a half by its type, never by its id. PUBLISH and PUBREL belong
// to the peer's flows (the inbound half), PUBACK, PUBREC and PUBCOMP to
// ours (the outbound half).
type Session struct {
	cfg  Config
	conn Conn
	out  Half // nil: this end publishes nothing
	in   Half // nil: this end receives nothing
	// joint: out and in are one half that takes both directions, as an
	// implementation with one table of in-flight ids does (see Variant.NewDuplex).
	joint bool
	// want is what a client subscribes to (configuration; no Filter: nothing).
	want Subscription
	// subs is what the client of a server session subscribed to: session
	// state, gone with the session [MQTT-3.1.2-4] [MQTT-3.1.2-5].
	subs []Subscription
	// A client's subscription state: the id of its SUBSCRIBE awaiting
	// SUBACK (0: none), and whether the server acknowledged the
	// subscriptions of the current session.
	subID   uint16
	subDone bool
	ctx     Ctx
	// input is Step's input, and event a session event the session makes
	// (resume, discard, wake): halves get pointers to them, since a
	// pointer to Step's own argument or to a literal would escape through
	// the interface call and cost an allocation per step.
	input, event Input
}

// Subscription is a topic filter with the QoS asked for (client) or
// granted (server).
type Subscription struct {
	Filter string
	QoS    uint8
}

// NewSession builds one end of a connection from its halves (either may be
// nil) with a normalised cfg.
func NewSession(cfg Config, out, in Half) *Session {
	return &Session{cfg: cfg.Normalize(), out: out, in: in}
}

// newJointSession builds a session whose one half takes both directions.
func newJointSession(cfg Config, both Half) *Session {
	return &Session{cfg: cfg.Normalize(), out: both, in: both, joint: true}
}

// Subscribe makes a client session subscribe to sub after it connects,
// and again whenever the server may have lost the subscription. It returns
// s, for chaining at construction.
func (s *Session) Subscribe(sub Subscription) *Session {
	s.want = sub
	return s
}

// Subscribed puts s in the state of an end whose session with the peer,
// subscription sub included, already exists: a client that subscribed in
// an earlier connection with a persistent session (it reconnects with
// Session Present 1 and need not subscribe again), or the server side of
// that session. It returns s.
func (s *Session) Subscribed(sub Subscription) *Session {
	s.conn.HasSession = true
	if s.cfg.Role == RoleClient {
		s.want, s.subDone = sub, true
	} else {
		s.subs = append(s.subs[:0], sub)
	}
	return s
}

// Outbound and Inbound return the session's halves (nil when missing;
// shared: do not step them).
func (s *Session) Outbound() Half { return s.out }

// Inbound returns the receiving half (nil when missing).
func (s *Session) Inbound() Half { return s.in }

// Subscriptions returns what the client of a server session subscribed to
// (shared; do not modify).
func (s *Session) Subscriptions() []Subscription { return s.subs }

// Connected reports whether the MQTT connection is usable.
func (s *Session) Connected() bool { return s.conn.Up }

// Step implements Endpoint.
func (s *Session) Step(in Input, out []Output) []Output {
	s.input = in
	return s.StepInput(&s.input, out)
}

// StepInput implements InputStepper: Step without copying the input,
// which halves get a pointer to. It may clear the owner bits of a timer in
// it.
func (s *Session) StepInput(in *Input, out []Output) []Output {
	s.ctx = Ctx{Cfg: &s.cfg, Up: s.conn.Up, Reserved: s.subID, choice: in.Choice}
	// The packets of the flows first: they are most inputs, and none of
	// them concerns the connection.
	if in.Kind == InPacket {
		switch in.Packet.Type {
		case PUBLISH, PUBREL:
			return s.give(true, in, out)
		case PUBACK, PUBREC, PUBCOMP:
			return s.give(false, in, out)
		}
	}
	if connInput(in) {
		done, r, o := s.conn.handle(&s.ctx, *in, out)
		if done {
			s.ctx.Up = s.conn.Up
			return s.afterConn(r, *in, o)
		}
	}
	switch in.Kind {
	case InPublish:
		return s.give(false, in, out)
	case InPacket:
		switch in.Packet.Type {
		case SUBSCRIBE:
			return s.onSubscribe(&in.Packet, out)
		case SUBACK:
			return s.onSuback(&in.Packet, out)
		}
	case InTimer:
		// A timer goes back to the half that set it: the inbound half's
		// carry its mark when there are two halves.
		inbound := s.in != nil && (s.out == nil || in.Timer&timerInbound != 0)
		in.Timer &^= timerInbound
		return s.give(inbound, in, out)
	case InCrash:
		s.conn.crash(&s.cfg)
		s.ctx.Up = false
		if s.cfg.Volatile {
			s.subs, s.subID, s.subDone = s.subs[:0], 0, false
		}
		return s.both(*in, out)
	}
	return out
}

// give steps the outbound half, or the inbound one, with in (no half:
// the input is not for this end) and tags the timers of an inbound half as
// its own. in must not point to the caller's stack (see InputStepper).
func (s *Session) give(inbound bool, in *Input, out []Output) []Output {
	h := s.out
	if inbound {
		h = s.in
	}
	if h == nil {
		return out
	}
	if !inbound || s.out == nil || s.joint {
		return h.Step(&s.ctx, in, out)
	}
	n := len(out)
	out = h.Step(&s.ctx, in, out)
	for i := n; i < len(out); i++ {
		if k := out[i].Kind; k == OutSetTimer || k == OutCancelTimer {
			out[i].Timer |= timerInbound
		}
	}
	return out
}

// both gives a session event to each half: the outbound one first, since
// on a resumed connection its retransmissions are what the peer waits for.
func (s *Session) both(in Input, out []Output) []Output {
	s.event = in
	out = s.give(false, &s.event, out)
	if !s.joint {
		out = s.give(true, &s.event, out)
	}
	return out
}

// afterConn turns what the handshake decided into session events.
func (s *Session) afterConn(r resume, in Input, out []Output) []Output {
	switch r {
	case resumeNone:
		if in.Kind == InConnDown {
			return s.both(in, out)
		}
		return out
	case resumeRestart:
		return s.both(Input{Kind: InRestart}, out)
	case resumeExpired:
		// The Session Expiry Interval passed while disconnected: the
		// session state goes [MQTT-4.1.0-2]; the input names the timer so
		// that halves can say why.
		s.subs, s.subDone = s.subs[:0], false
		return s.both(Input{Kind: InDiscard, Timer: in.Timer}, out)
	case resumeDiscard:
		s.subs, s.subDone = s.subs[:0], false
		out = s.both(Input{Kind: InDiscard}, out)
	}
	// The session continues (or starts empty) on this connection: a
	// client first makes the subscriptions the server does not hold, then
	// both directions resend what is unacknowledged [MQTT-4.4.0-1].
	out = s.subscribe(out)
	return s.both(Input{Kind: InResume}, out)
}

// subscribe sends the client's SUBSCRIBE when the server may not hold its
// subscriptions: a new or discarded session (Session Present 0 means the
// server has none [MQTT-3.2.2-3]), or a SUBSCRIBE that was never
// acknowledged. Retransmission on resume covers PUBLISH and PUBREL only
// [MQTT-4.4.0-1], so an unacknowledged SUBSCRIBE is the client's to repeat,
// under a new id.
func (s *Session) subscribe(out []Output) []Output {
	if s.cfg.Role != RoleClient || s.want.Filter == "" || s.subDone || !s.conn.Up {
		return out
	}
	s.subID = s.freeID()
	s.ctx.Reserved = s.subID
	return Send(out, Packet{Type: SUBSCRIBE, ID: s.subID, QoS: s.want.QoS, Msg: Message{Topic: s.want.Filter}})
}

// freeID is the lowest id the outbound half does not use: SUBSCRIBE takes
// its id from the same space as PUBLISH [MQTT-2.2.1-3].
func (s *Session) freeID() uint16 {
	u, ok := s.out.(IDUser)
	for id := 1; id <= s.cfg.IDSpace; id++ {
		if !ok || !u.InUse(uint16(id)) {
			return uint16(id)
		}
	}
	return 1
}

// onSubscribe records a client's subscription and acknowledges it with the
// same packet id [MQTT-3.8.4-1] [MQTT-3.8.4-2]; a subscription to a filter
// the session already has replaces it [MQTT-3.8.4-3]. The granted QoS is the
// QoS asked for: every level is supported.
func (s *Session) onSubscribe(p *Packet, out []Output) []Output {
	if s.cfg.Role != RoleServer {
		return out
	}
	sub := Subscription{Filter: p.Msg.Topic, QoS: p.QoS}
	i := 0
	for i < len(s.subs) && s.subs[i].Filter != sub.Filter {
		i++
	}
	if i == len(s.subs) {
		s.subs = append(s.subs, sub)
	} else {
		s.subs[i] = sub
	}
	out = Persist(out, "subscription recorded")
	return Send(out, Packet{Type: SUBACK, ID: p.ID, QoS: sub.QoS})
}

func (s *Session) onSuback(p *Packet, out []Output) []Output {
	if s.cfg.Role == RoleClient && s.subID != 0 && p.ID == s.subID {
		s.subID, s.subDone = 0, true
		// The id is free again: a publication waiting for one may start.
		s.ctx.Reserved = 0
		s.event = Input{Kind: InWake}
		return s.give(false, &s.event, out)
	}
	return out
}

// Clone implements Endpoint.
func (s *Session) Clone() Endpoint {
	c := *s
	c.subs = append([]Subscription(nil), s.subs...)
	if s.out != nil {
		c.out = s.out.Clone()
	}
	switch {
	case s.joint:
		c.in = c.out
	case s.in != nil:
		c.in = s.in.Clone()
	}
	return &c
}

// CopyFrom implements Copier: halves that implement HalfCopier keep their
// buffers.
func (s *Session) CopyFrom(src Endpoint) bool {
	o, ok := src.(*Session)
	if !ok || (s.out == nil) != (o.out == nil) || (s.in == nil) != (o.in == nil) || s.joint != o.joint {
		return false
	}
	out, in, subs := s.out, s.in, s.subs[:0]
	*s = *o
	s.subs = append(subs, o.subs...)
	s.out, s.in = copyHalf(out, o.out), copyHalf(in, o.in)
	if s.joint {
		s.in = s.out
	}
	return true
}

func copyHalf(dst, src Half) Half {
	if src == nil {
		return nil
	}
	if c, ok := dst.(HalfCopier); ok && c.CopyFrom(src) {
		return dst
	}
	return src.Clone()
}

// AppendKey implements Endpoint.
func (s *Session) AppendKey(dst []byte) []byte {
	dst = s.conn.appendKey(dst)
	if s.want.Filter != "" || len(s.subs) > 0 {
		var done byte
		if s.subDone {
			done = 1
		}
		dst = append(appendU16(dst, s.subID), done, byte(len(s.subs)))
		for _, sub := range s.subs {
			dst = append(dst, sub.QoS, byte(len(sub.Filter)))
			dst = append(dst, sub.Filter...)
		}
	}
	if s.out != nil {
		dst = s.out.AppendKey(dst)
	}
	if s.in != nil && !s.joint {
		dst = s.in.AppendKey(dst)
	}
	return dst
}

// Pending implements Endpoint.
func (s *Session) Pending(dst []string) []string {
	if s.subID != 0 {
		dst = append(dst, "SUBSCRIBE id="+strconv.Itoa(int(s.subID))+" waiting for SUBACK")
	} else if s.cfg.Role == RoleClient && s.want.Filter != "" && !s.subDone {
		dst = append(dst, "subscription not made yet")
	}
	if s.out != nil {
		dst = s.out.Pending(dst)
	}
	if s.in != nil && !s.joint {
		dst = s.in.Pending(dst)
	}
	return dst
}

// Held implements Endpoint: what the inbound half holds.
func (s *Session) Held() int {
	if s.in == nil {
		return 0
	}
	return s.in.Held()
}
