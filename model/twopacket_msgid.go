package model

// two-packet-msgid: the sender stamps every PUBLISH with a 64-bit message id
// that it never reuses (MsgIDBytes more on the wire), and the receiver keeps
// every id it delivered. That is correct, but the receiver's state grows
// with every message ever sent; Config.TTLTicks or Config.StoreCap bound it
// and bring the duplicates back. The sender's counter is session state: a
// volatile crash restarts it at 1, and the receiver then drops new messages
// as repeats.

func init() {
	Register(Variant{
		Name:        "two-packet-msgid",
		Description: "PUBLISH/PUBREC plus a unique 64-bit message id kept forever: correct, but receiver state grows without bound",
		QoS:         2,
		NewOutbound: func(c Config) Half {
			r := twoPacketRules
			r.MsgID = true
			return NewSender(c, r)
		},
		NewInbound: func(c Config) Half {
			return newDedupReceiver(c, keyMsgID, newDedupStore(c.TTLTicks, c.StoreCap))
		},
	})
}

func keyMsgID(p Packet) uint64 { return p.MsgID }
