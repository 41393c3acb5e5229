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
		NewOutbound: func(c Config) Half { return NewSender(c, rules) },
		NewInbound:  func(c Config) Half { return newQoS2Receiver(c, true) },
	})
	Register(Variant{
		Name:        "qos2-b",
		Description: "QoS 2, four packets; receiver delivers at PUBLISH and holds the packet id until PUBREL (Method B)",
		QoS:         2,
		NewOutbound: func(c Config) Half { return NewSender(c, rules) },
		NewInbound:  func(c Config) Half { return newQoS2Receiver(c, false) },
	})
}

// heldID is a packet id a QoS 2 receiver has answered with PUBREC and not yet
// seen released. A message taken by Method A also keeps the message itself
// (stored), to deliver at PUBREL.
type heldID struct {
	ID     uint16
	Stored bool
	Msg    Message
}

// qos2Receiver is the inbound half of QoS 2. Its held ids are session
// state: they survive reconnects, and crashes unless Config.Volatile.
type qos2Receiver struct {
	cfg     Config
	methodA bool
	held    []heldID // in arrival order
	heldArr []heldID // the array of held (see appendSlot)
	// low has bit id-1 set for each held id up to 64: a PUBLISH of an id
	// not held, the usual case, is known new without a scan.
	low uint64
}

func newQoS2Receiver(c Config, methodA bool) *qos2Receiver {
	return &qos2Receiver{cfg: c.Normalize(), methodA: methodA}
}

func (r *qos2Receiver) Step(c *Ctx, in *Input, out []Output) []Output {
	switch in.Kind {
	case InPacket:
		switch in.Packet.Type {
		case PUBLISH:
			return r.onPublish(c, &in.Packet, out)
		case PUBREL:
			return r.onPubrel(c, &in.Packet, out)
		}
	case InResume:
		return r.resume(c, out)
	case InDiscard:
		r.held, r.low = r.held[:0], 0
	case InCrash:
		if r.cfg.Volatile {
			r.held, r.low = nil, 0
		}
	}
	return out
}

func (r *qos2Receiver) find(id uint16) int {
	if b := id - 1; b < 64 && r.low&(1<<(b&63)) == 0 {
		return -1
	}
	for i := range r.held {
		if r.held[i].ID == id {
			return i
		}
	}
	return -1
}

func (r *qos2Receiver) onPublish(c *Ctx, p *Packet, out []Output) []Output {
	if r.find(p.ID) >= 0 {
		// Until PUBREL, a PUBLISH with a held id is a retransmission: answer
		// it with PUBREC again and deliver nothing [MQTT-4.3.3-10].
		return sendAck(out, PUBREC, p.ID, 0)
	}
	if r.cfg.Version == V5 && len(r.held) >= r.cfg.ReceiveMax {
		// More new flows than our Receive Maximum allows: refuse this one
		// with a PUBREC reason code >= 0x80 [MQTT-3.5.2-1] instead of
		// holding its id, which ends the sender's flow [MQTT-4.4.0-2]. The
		// id is not held, so its next PUBLISH is a new message
		// [MQTT-4.3.3-9]. (The spec's own remedy for a peer that exceeds
		// Receive Maximum is DISCONNECT 0x93; refusing keeps the state
		// bounded without ending the connection.)
		return sendAck(out, PUBREC, p.ID, ReasonQuotaExceeded)
	}
	// Which method takes this message is the receiver's choice
	// [MQTT-4.3.3-8] (ChooseMethod); by default the variant's own.
	out, other := c.Choose(out, ChooseMethod, 2)
	if r.methodA != (other == 1) {
		// Method A: take ownership by storing the message; onward delivery
		// waits for PUBREL [MQTT-4.3.3-8].
		var h *heldID
		r.held, r.heldArr, h = appendSlot(r.held, r.heldArr)
		h.ID, h.Stored, h.Msg = p.ID, true, p.Msg
		r.low |= idBit(p.ID)
		out = Persist(out, "message stored until PUBREL")
		return sendAck(out, PUBREC, p.ID, 0)
	}
	// Method B: store the packet id, then deliver onward, then PUBREC
	// [MQTT-4.3.3-8]. The id must be durable before PUBREC leaves, or a
	// crash would make the retransmitted PUBLISH look new.
	var h *heldID
	r.held, r.heldArr, h = appendSlot(r.held, r.heldArr)
	h.ID, h.Msg.Ref = p.ID, p.Msg.Ref
	r.low |= idBit(p.ID)
	out = Persist(out, "packet id held until PUBREL")
	out = Deliver(out, p.Msg)
	return sendAck(out, PUBREC, p.ID, 0)
}

func (r *qos2Receiver) onPubrel(c *Ctx, p *Packet, out []Output) []Output {
	i := r.find(p.ID)
	if i < 0 {
		// PUBREL is answered with PUBCOMP even for an id we do not hold
		// (a retransmitted PUBREL after our PUBCOMP was lost) [MQTT-4.3.3-11].
		// MQTT 5.0 says so with reason 0x92, or with 0x00: both are allowed
		// (ChoosePubcompReason).
		var reason uint8
		if r.cfg.Version == V5 {
			var success int
			if out, success = c.Choose(out, ChoosePubcompReason, 2); success == 0 {
				reason = ReasonPacketIDNotFound
			}
		}
		return sendAck(out, PUBCOMP, p.ID, reason)
	}
	h := r.held[i]
	r.held = removeOrdered(r.held, i)
	r.low &^= idBit(h.ID)
	if h.Stored {
		out = Deliver(out, h.Msg)
	}
	// After PUBCOMP the id names a new publication again [MQTT-4.3.3-12].
	out = Persist(out, "packet id released")
	return sendAck(out, PUBCOMP, p.ID, 0)
}

// resume may repeat PUBREC for each id still held, in the order the
// PUBLISHes arrived [MQTT-4.6.0-3]: a sender whose PUBREC was lost in the
// break learns sooner that it may release (ChooseRepeatPubrec). By default
// the receiver waits for the retransmitted PUBLISH.
func (r *qos2Receiver) resume(c *Ctx, out []Output) []Output {
	if !c.Open(ChooseRepeatPubrec) {
		return out
	}
	for _, h := range r.held {
		var again int
		if out, again = c.Choose(out, ChooseRepeatPubrec, 2); again == 1 {
			out = Send(out, Packet{Type: PUBREC, ID: h.ID})
		}
	}
	return out
}

func (r *qos2Receiver) Clone() Half {
	c := *r
	c.held, c.heldArr = append([]heldID(nil), r.held...), nil
	return &c
}

func (r *qos2Receiver) AppendKey(dst []byte) []byte {
	dst = appendU16(dst, uint16(len(r.held)))
	for _, h := range r.held {
		dst = appendU16(dst, h.ID)
		dst = appendU32(dst, h.Msg.Ref)
		if h.Stored {
			dst = append(dst, 1)
		} else {
			dst = append(dst, 0)
		}
	}
	return dst
}

func (r *qos2Receiver) Pending(dst []string) []string {
	for _, h := range r.held {
		if h.Stored {
			dst = append(dst, "m"+strconv.FormatUint(uint64(h.Msg.Ref), 10)+" stored under id "+strconv.Itoa(int(h.ID))+" until PUBREL")
		} else {
			dst = append(dst, "id "+strconv.Itoa(int(h.ID))+" held until PUBREL")
		}
	}
	return dst
}

func (r *qos2Receiver) Held() int { return len(r.held) }
