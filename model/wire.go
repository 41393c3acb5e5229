package model

// Encoded sizes of packets as MQTT puts them on the wire, so that byte
// counts in tables are the real cost of a protocol, not an estimate.

// ClientID is the client identifier every CONNECT in qoslab carries.
const ClientID = "qoslab"

// MsgIDBytes is what the two-packet-msgid extension adds to a PUBLISH: the
// 64-bit message id, carried raw.
const MsgIDBytes = 8

// varintLen is the length of MQTT's Variable Byte Integer encoding of n
// (section 1.5.5 of 5.0, 2.2.3 of 3.1.1).
func varintLen(n int) int {
	switch {
	case n < 128:
		return 1
	case n < 16384:
		return 2
	case n < 2097152:
		return 3
	}
	return 4
}

// Size is the number of bytes p occupies on the wire under version v:
// fixed header, remaining length, variable header and payload.
func (p Packet) Size(v Version) int { return p.WireSize(v) }

// WireSize is Size without the copy of p: the simulator sizes every packet
// it sends, right after the step that wrote it (see CopyFrom).
func (p *Packet) WireSize(v Version) int {
	rl := p.remainingLength(v)
	return 1 + varintLen(rl) + rl
}

func (p *Packet) remainingLength(v Version) int {
	switch p.Type {
	case CONNECT:
		// Protocol name "MQTT" (2+4), level, flags, keep alive; 5.0 adds an
		// empty property list. Payload: the client id.
		n := 2 + 4 + 1 + 1 + 2 + 2 + len(ClientID)
		if v == V5 {
			n++
		}
		return n
	case CONNACK:
		// Acknowledge flags and return/reason code; 5.0 adds properties.
		if v == V5 {
			return 3
		}
		return 2
	case PUBLISH:
		n := 2 + len(p.Msg.Topic) + len(p.Msg.Payload)
		if p.QoS > 0 {
			n += 2
		}
		if v == V5 {
			n++ // property length 0
		}
		if p.MsgID != 0 {
			n += MsgIDBytes
		}
		return n
	case PUBACK, PUBREC, PUBREL, PUBCOMP:
		// 5.0 may omit reason code and properties when the reason is
		// Success and there are no properties (section 3.4.2.1).
		if v == V5 && p.Reason != 0 {
			return 3
		}
		return 2
	case SUBSCRIBE:
		// Packet id, (5.0) an empty property list, then one topic filter
		// with its subscription options byte.
		n := 2 + 2 + len(p.Msg.Topic) + 1
		if v == V5 {
			n++
		}
		return n
	case SUBACK:
		// Packet id, (5.0) an empty property list, one return/reason code.
		if v == V5 {
			return 4
		}
		return 3
	case DISCONNECT:
		// 5.0 may omit reason code and properties when the reason is
		// Normal disconnection (section 3.14.2.1); otherwise it carries the
		// reason code and an empty property list.
		if v == V5 && p.Reason != 0 {
			return 2
		}
		return 0
	}
	return 0
}
