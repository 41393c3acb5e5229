package model

import "strconv"

// QoS 2 in its two receiver flavours (MQTT 5.0 section 4.3.3, figure 4.3;
// MQTT 3.1.1 figure 4.3). Both use the four-packet sender: PUBLISH, then
// PUBREL after PUBREC, done at PUBCOMP.
//
// Method A stores the message when PUBLISH arrives and delivers it onward
// when PUBREL arrives; Method B delivers onward at once and only keeps the
// packet id until PUBREL. Either way the receiver's state is bounded by the
// in-flight window, because PUBREL tells it when to forget the id.

func init() {
	rules := SenderRules{QoS: 2, Ack: PUBREC, Release: true}
	Register(Variant{
		Name:        "qos2-a",
		Description: "QoS 2, four packets; receiver stores the message and delivers it at PUBREL (Method A)",
		QoS:         2,
		NewSender:   func(c Config) Endpoint { return NewSender(c, rules) },
		NewReceiver: func(c Config) Endpoint { return newQoS2Receiver(c, true) },
	})
	Register(Variant{
		Name:        "qos2-b",
		Description: "QoS 2, four packets; receiver delivers at PUBLISH and holds the packet id until PUBREL (Method B)",
		QoS:         2,
		NewSender:   func(c Config) Endpoint { return NewSender(c, rules) },
		NewReceiver: func(c Config) Endpoint { return newQoS2Receiver(c, false) },
	})
}

// heldID is a packet id a QoS 2 receiver has answered with PUBREC and not yet
// seen released. Method A also keeps the message itself.
type heldID struct {
	ID  uint16
	Msg Message
}

type qos2Receiver struct {
	cfg     Config
	methodA bool
	conn    Conn
	held    []heldID // session state, in arrival order
}

func newQoS2Receiver(c Config, methodA bool) *qos2Receiver {
	return &qos2Receiver{cfg: c.Normalize(), methodA: methodA}
}

func (r *qos2Receiver) Step(in Input, out []Output) []Output {
	if connInput(&in) {
		if done, res, o := r.conn.handle(&r.cfg, in, out); done {
			if res == resumeDiscard || res == resumeExpired {
				r.held = r.held[:0]
			}
			return o
		}
	}
	switch in.Kind {
	case InPacket:
		switch in.Packet.Type {
		case PUBLISH:
			return r.onPublish(&in.Packet, out)
		case PUBREL:
			return r.onPubrel(&in.Packet, out)
		}
	case InCrash:
		r.conn.crash(&r.cfg)
		if r.cfg.Volatile {
			r.held = nil
		}
	}
	return out
}

func (r *qos2Receiver) find(id uint16) int {
	for i := range r.held {
		if r.held[i].ID == id {
			return i
		}
	}
	return -1
}

func (r *qos2Receiver) onPublish(p *Packet, out []Output) []Output {
	ack := Packet{Type: PUBREC, ID: p.ID}
	if r.find(p.ID) >= 0 {
		// Until PUBREL, a PUBLISH with a held id is a retransmission: answer
		// it with PUBREC again and deliver nothing [MQTT-4.3.3-10].
		return send(out, ack)
	}
	if r.cfg.Version == V5 && len(r.held) >= r.cfg.ReceiveMax {
		// More new flows than our Receive Maximum allows: refuse this one
		// with a PUBREC reason code >= 0x80 [MQTT-3.5.2-1] instead of
		// holding its id, which ends the sender's flow [MQTT-4.4.0-2]. The
		// id is not held, so its next PUBLISH is a new message
		// [MQTT-4.3.3-9]. (The spec's own remedy for a peer that exceeds
		// Receive Maximum is DISCONNECT 0x93; refusing keeps the state
		// bounded without ending the connection.)
		return send(out, Packet{Type: PUBREC, ID: p.ID, Reason: ReasonQuotaExceeded})
	}
	if r.methodA {
		// Method A: take ownership by storing the message; onward delivery
		// waits for PUBREL [MQTT-4.3.3-8].
		r.held = append(r.held, heldID{ID: p.ID, Msg: p.Msg})
		out = persist(out, "message stored until PUBREL")
		return send(out, ack)
	}
	// Method B: store the packet id, then deliver onward, then PUBREC
	// [MQTT-4.3.3-8]. The id must be durable before PUBREC leaves, or a
	// crash would make the retransmitted PUBLISH look new.
	r.held = append(r.held, heldID{ID: p.ID, Msg: Message{Ref: p.Msg.Ref}})
	out = persist(out, "packet id held until PUBREL")
	out = deliver(out, p.Msg)
	return send(out, ack)
}

func (r *qos2Receiver) onPubrel(p *Packet, out []Output) []Output {
	ack := Packet{Type: PUBCOMP, ID: p.ID}
	i := r.find(p.ID)
	if i < 0 {
		// PUBREL is answered with PUBCOMP even for an id we do not hold
		// (a retransmitted PUBREL after our PUBCOMP was lost) [MQTT-4.3.3-11];
		// MQTT 5.0 says so with reason 0x92.
		if r.cfg.Version == V5 {
			ack.Reason = ReasonPacketIDNotFound
		}
		return send(out, ack)
	}
	h := r.held[i]
	r.held = append(r.held[:i], r.held[i+1:]...)
	if r.methodA {
		out = deliver(out, h.Msg)
	}
	// After PUBCOMP the id names a new publication again [MQTT-4.3.3-12].
	out = persist(out, "packet id released")
	return send(out, ack)
}

func (r *qos2Receiver) Clone() Endpoint {
	c := *r
	c.held = append([]heldID(nil), r.held...)
	return &c
}

func (r *qos2Receiver) AppendKey(dst []byte) []byte {
	dst = r.conn.appendKey(dst)
	dst = appendU16(dst, uint16(len(r.held)))
	for _, h := range r.held {
		dst = appendU16(dst, h.ID)
		dst = appendU32(dst, h.Msg.Ref)
	}
	return dst
}

func (r *qos2Receiver) Pending(dst []string) []string {
	for _, h := range r.held {
		if r.methodA {
			dst = append(dst, "m"+strconv.FormatUint(uint64(h.Msg.Ref), 10)+" stored under id "+strconv.Itoa(int(h.ID))+" until PUBREL")
		} else {
			dst = append(dst, "id "+strconv.Itoa(int(h.ID))+" held until PUBREL")
		}
	}
	return dst
}

func (r *qos2Receiver) Held() int { return len(r.held) }
