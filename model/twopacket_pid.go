package model

// two-packet-pid: the question's proposal as asked. The receiver records the
// packet id of every PUBLISH it delivered and never forgets it. Packet ids
// are 16-bit and come back (lowest-free reuses an id as soon as PUBREC
// arrives; sequential wraps after 65535), and then a new message with a
// reused id is taken for a repeat and dropped.

// twoPacketRules is the sender of every two-packet variant: PUBLISH resent
// until PUBREC, and no second exchange.
var twoPacketRules = SenderRules{QoS: 2, Ack: PUBREC}

func init() {
	Register(Variant{
		Name:        "two-packet-pid",
		Description: "PUBLISH/PUBREC, receiver de-duplicates by packet id kept forever: drops a new message with a reused id",
		QoS:         2,
		NewOutbound: func(c Config) Half { return NewSender(c, twoPacketRules) },
		NewInbound: func(c Config) Half {
			return newDedupReceiver(c, keyPacketID, newDenseStore())
		},
	})
}

func keyPacketID(p Packet) uint64 { return uint64(p.ID) }
