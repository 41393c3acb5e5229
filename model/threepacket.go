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
		NewOutbound: func(c Config) Half { return NewSender(c, SenderRules{QoS: 2, Ack: PUBREC, ReleaseUnacked: true}) },
		NewInbound:  func(c Config) Half { return &threePacketReceiver{cfg: c.Normalize()} },
	})
}

// threePacketReceiver holds the ids it answered with PUBREC until PUBREL.
// They are session state: they survive reconnects, and crashes unless
// Config.Volatile.
type threePacketReceiver struct {
	cfg  Config
	held []uint16 // in arrival order
}

func (r *threePacketReceiver) Step(c *Ctx, in *Input, out []Output) []Output {
	switch in.Kind {
	case InPacket:
		switch p := &in.Packet; p.Type {
		case PUBLISH:
			return r.onPublish(p, out)
		case PUBREL:
			// Release the id; nothing answers a PUBREL in this variant.
			if i := r.find(p.ID); i >= 0 {
				r.held = append(r.held[:i], r.held[i+1:]...)
				out = Persist(out, "packet id released")
			}
		}
	case InDiscard:
		r.held = r.held[:0]
	case InCrash:
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
		return Send(out, ack)
	}
	// Method B: hold the id (durably, before PUBREC leaves), deliver, then
	// answer [MQTT-4.3.3-8].
	r.held = append(r.held, p.ID)
	out = Persist(out, "packet id held until PUBREL")
	out = Deliver(out, p.Msg)
	return Send(out, ack)
}

func (r *threePacketReceiver) Clone() Half {
	c := *r
	c.held = append([]uint16(nil), r.held...)
	return &c
}

func (r *threePacketReceiver) AppendKey(dst []byte) []byte {
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
