package model

// two-packet-dup-flag: PUBLISH/PUBREC, and the receiver de-duplicates on the
// DUP flag alone: it delivers a PUBLISH whose DUP is 0 and drops one whose
// DUP is 1, keeping no state at all. Many people propose it (and a real
// broker shipped it), since a sender sets DUP exactly on re-deliveries
// [MQTT-3.3.1-1]. But DUP says only that the sender *might* have sent the
// packet before, not that it arrived: the recipient of a PUBLISH with DUP 1
// cannot assume it has seen an earlier copy (MQTT 5.0 and 3.1.1 section
// 3.3.1.1, a non-normative comment with no statement id). When the first copy
// was lost (the connection broke with the PUBLISH in flight, or a datagram
// was dropped) the retransmission, DUP 1, is the only copy, and it is
// dropped: the message is lost, although the publisher completed it at
// PUBREC. A duplicate the network makes carries DUP 0 and is delivered
// twice.

func init() {
	Register(Variant{
		Name:        "two-packet-dup-flag",
		Description: "PUBLISH/PUBREC, receiver delivers when DUP is 0 and drops when DUP is 1: loses a message whose first copy was lost",
		QoS:         2,
		NewOutbound: func(c Config) Half { return NewSender(c, twoPacketRules) },
		NewInbound:  func(c Config) Half { return dupFlagReceiver{} },
	})
}

// dupFlagReceiver keeps no state: a stateless half is a value.
type dupFlagReceiver struct{}

func (dupFlagReceiver) Step(c *Ctx, in *Input, out []Output) []Output {
	if p := &in.Packet; in.Kind == InPacket && p.Type == PUBLISH {
		// The proposal: DUP 0 is a new message, DUP 1 a repeat of one
		// already delivered. Either way PUBREC stops the sender.
		if !p.Dup {
			out = Deliver(out, p.Msg)
		}
		return Send(out, Packet{Type: PUBREC, ID: p.ID})
	}
	return out
}

func (r dupFlagReceiver) Clone() Half                 { return r }
func (dupFlagReceiver) AppendKey(dst []byte) []byte   { return dst }
func (dupFlagReceiver) Pending(dst []string) []string { return dst }
func (dupFlagReceiver) Held() int                     { return 0 }
