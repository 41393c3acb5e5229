package model

// QoS 1, "at least once" (MQTT 5.0 section 4.3.2): PUBLISH until PUBACK.
// The receiver keeps nothing, so a PUBLISH resent because its PUBACK was
// lost is delivered again.

func init() {
	Register(Variant{
		Name:        "qos1",
		Description: "QoS 1, PUBLISH/PUBACK, resent until acknowledged: at least once",
		QoS:         1,
		NewSender:   func(c Config) Endpoint { return NewSender(c, SenderRules{QoS: 1, Ack: PUBACK}) },
		NewReceiver: func(c Config) Endpoint { return newQoS1Receiver(c) },
	})
}

type qos1Receiver struct {
	cfg  Config
	conn Conn
}

func newQoS1Receiver(c Config) *qos1Receiver { return &qos1Receiver{cfg: c.Normalize()} }

func (r *qos1Receiver) Step(in Input, out []Output) []Output {
	if done, _, o := r.conn.handle(&r.cfg, in, out); done {
		return o
	}
	switch in.Kind {
	case InPacket:
		if in.Packet.Type == PUBLISH {
			// Take ownership and answer with PUBACK [MQTT-4.3.2-4]. Every
			// PUBLISH after a PUBACK is a new message whatever its DUP flag
			// [MQTT-4.3.2-5], so a retransmission is delivered again.
			out = deliver(out, in.Packet.Msg)
			return send(out, Packet{Type: PUBACK, ID: in.Packet.ID})
		}
	case InCrash:
		r.conn.crash(&r.cfg)
	}
	return out
}

func (r *qos1Receiver) Clone() Endpoint               { c := *r; return &c }
func (r *qos1Receiver) AppendKey(dst []byte) []byte   { return r.conn.appendKey(dst) }
func (r *qos1Receiver) Pending(dst []string) []string { return dst }
func (r *qos1Receiver) Held() int                     { return 0 }
