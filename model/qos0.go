package model

// QoS 0, "at most once" (MQTT 5.0 section 4.3.1): one PUBLISH, no
// acknowledgement, no packet id, no retransmission. A PUBLISH lost in a
// broken connection is lost for good.

func init() {
	Register(Variant{
		Name:        "qos0",
		Description: "QoS 0, one packet, fire and forget: at most once",
		QoS:         0,
		NewSender:   func(c Config) Endpoint { return NewSender(c, SenderRules{QoS: 0}) },
		NewReceiver: func(c Config) Endpoint { return newQoS0Receiver(c) },
	})
}

type qos0Receiver struct {
	cfg  Config
	conn Conn
}

func newQoS0Receiver(c Config) *qos0Receiver { return &qos0Receiver{cfg: c.Normalize()} }

func (r *qos0Receiver) Step(in Input, out []Output) []Output {
	if done, _, o := r.conn.handle(&r.cfg, in, out); done {
		return o
	}
	switch in.Kind {
	case InPacket:
		if in.Packet.Type == PUBLISH {
			// No response to a QoS 0 PUBLISH [MQTT-3.3.4-1]: the receiver
			// just takes ownership and delivers.
			return deliver(out, in.Packet.Msg)
		}
	case InCrash:
		r.conn.crash(&r.cfg)
	}
	return out
}

func (r *qos0Receiver) Clone() Endpoint             { c := *r; return &c }
func (r *qos0Receiver) AppendKey(dst []byte) []byte { return r.conn.appendKey(dst) }
func (r *qos0Receiver) Pending(dst []string) []string {
	return dst
}
func (r *qos0Receiver) Held() int { return 0 }
