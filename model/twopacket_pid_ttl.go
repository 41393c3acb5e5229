package model

// two-packet-pid-ttl: the packet-id store with a way to forget, since the
// receiver is never told when it may. Entries expire a time-to-live after the
// last PUBLISH that matched them (Config.TTLTicks, default DefaultTTLTicks),
// or the least recently used entry is evicted when the store is full
// (Config.StoreCap). Forget too late and reused ids are dropped as in
// two-packet-pid; forget too early and a retransmission is delivered again.

// DefaultTTLTicks is two-packet-pid-ttl's time-to-live when neither
// Config.TTLTicks nor Config.StoreCap is set: ten default retry timeouts.
const DefaultTTLTicks = 10 * DefaultRetryTicks

func init() {
	Register(Variant{
		Name:        "two-packet-pid-ttl",
		Description: "PUBLISH/PUBREC, packet-id store whose entries expire (--ttl) or are evicted (--store-cap): a late retransmission is delivered again",
		QoS:         2,
		NewOutbound: func(c Config) Half { return NewSender(c, twoPacketRules) },
		NewInbound: func(c Config) Half {
			ttl := c.TTLTicks
			if ttl == 0 && c.StoreCap == 0 {
				ttl = DefaultTTLTicks
			}
			return newDedupReceiver(c, keyPacketID, newDedupStore(ttl, c.StoreCap))
		},
	})
}
