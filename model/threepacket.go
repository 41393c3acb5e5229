package model

import "strconv"

// three-packet: PUBLISH, PUBREC, PUBREL, and no PUBCOMP, to answer "then why
// not three?". The receiver is QoS 2 Method B: it delivers at PUBLISH and
// holds the packet id until PUBREL, answering a retransmitted PUBLISH with
// PUBREC and no second delivery [MQTT-4.3.3-10]. The sender sends PUBREL on
// PUBREC and forgets the flow at once (SenderRules.ReleaseUnacked): with no
// PUBCOMP it cannot learn whether the PUBREL arrived, so it cannot resend it
// either. A PUBREL lost on the way (the connection breaks with it in
// flight, a datagram is dropped) leaves the receiver holding the id for
// good, and the next message the sender sends under that id, which it
// rightly thinks free, is taken for a retransmission and dropped: a loss.
// PUBCOMP is what tells the sender that the receiver has forgotten the id,
// the moment from which reusing it is safe [MQTT-4.3.3-12].

func init() {
	Register(Variant{
		Name:        "three-packet",
		Description: "PUBLISH/PUBREC/PUBREL without PUBCOMP: a lost PUBREL leaves the id held, and a new message reusing it is dropped",
		QoS:         2,
		NewSender:   func(c Config) Endpoint { return NewSender(c, SenderRules{QoS: 2, Ack: PUBREC, ReleaseUnacked: true}) },
		NewReceiver: func(c Config) Endpoint { return &threePacketReceiver{cfg: c.Normalize()} },
	})
}

// threePacketReceiver holds the ids it answered with PUBREC until PUBREL.
type threePacketReceiver struct {
	cfg  Config
	conn Conn
	held []uint16 // session state, in arrival order
}

func (r *threePacketReceiver) Step(in Input, out []Output) []Output {
	if done, res, o := r.conn.handle(&r.cfg, in, out); done {
		if res == resumeDiscard || res == resumeExpired {
			r.held = r.held[:0]
		}
		return o
	}
	switch in.Kind {
	case InPacket:
		switch p := &in.Packet; p.Type {
		case PUBLISH:
			return r.onPublish(p, out)
		case PUBREL:
			// Release the id; nothing answers a PUBREL in this variant.
			if i := r.find(p.ID); i >= 0 {
				r.held = append(r.held[:i], r.held[i+1:]...)
				out = persist(out, "packet id released")
			}
		}
	case InCrash:
		r.conn.crash(&r.cfg)
		if r.cfg.Volatile {
			r.held = nil
		}
	}
	return out
}

func (r *threePacketReceiver) find(id uint16) int {
	for i, h := range r.held {
		if h == id {
			return i
		}
	}
	return -1
}

func (r *threePacketReceiver) onPublish(p *Packet, out []Output) []Output {
	ack := Packet{Type: PUBREC, ID: p.ID}
	if r.find(p.ID) >= 0 {
		// A held id: a retransmission, answered and not delivered again
		// [MQTT-4.3.3-10]. This is also what a new message reusing an id
		// whose PUBREL was lost looks like.
		return send(out, ack)
	}
	// Method B: hold the id (durably, before PUBREC leaves), deliver, then
	// answer [MQTT-4.3.3-8].
	r.held = append(r.held, p.ID)
	out = persist(out, "packet id held until PUBREL")
	out = deliver(out, p.Msg)
	return send(out, ack)
}

func (r *threePacketReceiver) Clone() Endpoint {
	c := *r
	c.held = append([]uint16(nil), r.held...)
	return &c
}

func (r *threePacketReceiver) AppendKey(dst []byte) []byte {
	dst = r.conn.appendKey(dst)
	dst = appendU16(dst, uint16(len(r.held)))
	for _, id := range r.held {
		dst = appendU16(dst, id)
	}
	return dst
}

func (r *threePacketReceiver) Pending(dst []string) []string {
	for _, id := range r.held {
		dst = append(dst, "id "+strconv.Itoa(int(id))+" held until PUBREL")
	}
	return dst
}

func (r *threePacketReceiver) Held() int { return len(r.held) }
