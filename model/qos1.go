package model

// QoS 1, "at least once" (MQTT 5.0 section 4.3.2): PUBLISH until PUBACK.
// The receiver keeps nothing, so a PUBLISH resent because its PUBACK was
// lost is delivered again.

func init() {
	Register(Variant{
		Name:        "qos1",
		Description: "QoS 1, PUBLISH/PUBACK, resent until acknowledged: at least once",
		QoS:         1,
		NewOutbound: func(c Config) Half { return NewSender(c, SenderRules{QoS: 1, Ack: PUBACK}) },
		NewInbound:  func(c Config) Half { return qos1Receiver{} },
	})
}

// qos1Receiver keeps no state: a stateless half is a value.
type qos1Receiver struct{}

func (qos1Receiver) Step(c *Ctx, in *Input, out []Output) []Output {
	if in.Kind == InPacket && in.Packet.Type == PUBLISH {
		// Take ownership and answer with PUBACK [MQTT-4.3.2-4]. Every
		// PUBLISH after a PUBACK is a new message whatever its DUP flag
		// [MQTT-4.3.2-5], so a retransmission is delivered again.
		out = Deliver(out, in.Packet.Msg)
		return sendAck(out, PUBACK, in.Packet.ID, 0)
	}
	return out
}

func (r qos1Receiver) Clone() Half                 { return r }
func (qos1Receiver) AppendKey(dst []byte) []byte   { return dst }
func (qos1Receiver) Pending(dst []string) []string { return dst }
func (qos1Receiver) Held() int                     { return 0 }
