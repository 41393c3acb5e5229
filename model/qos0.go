package model

// QoS 0, "at most once" (MQTT 5.0 section 4.3.1): one PUBLISH, no
// acknowledgement, no packet id, no retransmission. A PUBLISH lost in a
// broken connection is lost for good.

func init() {
	Register(Variant{
		Name:        "qos0",
		Description: "QoS 0, one packet, fire and forget: at most once",
		QoS:         0,
		NewOutbound: func(c Config) Half { return NewSender(c, SenderRules{QoS: 0}) },
		NewInbound:  func(c Config) Half { return qos0Receiver{} },
	})
}

// qos0Receiver keeps no state: a stateless half is a value.
type qos0Receiver struct{}

func (qos0Receiver) Step(c *Ctx, in *Input, out []Output) []Output {
	if in.Kind == InPacket && in.Packet.Type == PUBLISH {
		// No response to a QoS 0 PUBLISH [MQTT-3.3.4-1]: the receiver just
		// takes ownership and delivers.
		return Deliver(out, in.Packet.Msg)
	}
	return out
}

func (r qos0Receiver) Clone() Half                 { return r }
func (qos0Receiver) AppendKey(dst []byte) []byte   { return dst }
func (qos0Receiver) Pending(dst []string) []string { return dst }
func (qos0Receiver) Held() int                     { return 0 }
