package model

// two-packet-content: de-duplicate by what the message says rather than by
// its packet id. The store keeps a 64-bit hash of topic and payload (kept
// forever unless Config.TTLTicks or Config.StoreCap bound it). Packet-id
// reuse no longer matters, but two genuine messages with the same content
// (a sensor sending "ON" twice) collapse into one.

func init() {
	Register(Variant{
		Name:        "two-packet-content",
		Description: "PUBLISH/PUBREC, receiver de-duplicates by a hash of topic and payload: equal messages collapse into one",
		QoS:         2,
		NewOutbound: func(c Config) Half { return NewSender(c, twoPacketRules) },
		NewInbound: func(c Config) Half {
			return newDedupReceiver(c, keyContent, newDedupStore(c.TTLTicks, c.StoreCap))
		},
	})
}

// keyContent is FNV-1a over the topic, a zero byte and the payload; the zero
// byte keeps ("ab","c") and ("a","bc") apart. Message.Ref is never read.
func keyContent(p Packet) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(p.Msg.Topic); i++ {
		h = (h ^ uint64(p.Msg.Topic[i])) * prime
	}
	h *= prime // the separator byte 0
	for i := 0; i < len(p.Msg.Payload); i++ {
		h = (h ^ uint64(p.Msg.Payload[i])) * prime
	}
	return h
}
