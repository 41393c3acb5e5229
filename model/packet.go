package model

import (
	"fmt"
	"strconv"
	"strings"
)

// PacketType is an MQTT control packet type, numbered as on the wire.
type PacketType uint8

// The control packets qoslab models.
const (
	CONNECT    PacketType = 1
	CONNACK    PacketType = 2
	PUBLISH    PacketType = 3
	PUBACK     PacketType = 4
	PUBREC     PacketType = 5
	PUBREL     PacketType = 6
	PUBCOMP    PacketType = 7
	SUBSCRIBE  PacketType = 8
	SUBACK     PacketType = 9
	DISCONNECT PacketType = 14
)

// NumPacketTypes bounds PacketType values, for arrays indexed by type.
const NumPacketTypes = 16

var packetNames = [NumPacketTypes]string{
	CONNECT: "CONNECT", CONNACK: "CONNACK", PUBLISH: "PUBLISH", PUBACK: "PUBACK",
	PUBREC: "PUBREC", PUBREL: "PUBREL", PUBCOMP: "PUBCOMP", SUBSCRIBE: "SUBSCRIBE", SUBACK: "SUBACK",
	DISCONNECT: "DISCONNECT",
}

func (t PacketType) String() string {
	if int(t) < len(packetNames) && packetNames[t] != "" {
		return packetNames[t]
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// ParsePacketType reads a packet type name such as "PUBREC" (any case).
func ParsePacketType(s string) (PacketType, bool) {
	for i, n := range packetNames {
		if n != "" && strings.EqualFold(n, s) {
			return PacketType(i), true
		}
	}
	return 0, false
}

// Reason codes of MQTT 5.0 that the models use.
const (
	ReasonSuccess          uint8 = 0x00
	ReasonUnspecified      uint8 = 0x80
	ReasonPacketIDNotFound uint8 = 0x92
	ReasonQuotaExceeded    uint8 = 0x97
)

// Message is an application message as the application sees it.
//
// Ref is the observer's tag: the 1-based number of the message in the
// workload. It travels with the message so that properties can tell which
// publication a delivery belongs to, but protocol logic never reads it:
// two messages with equal Topic and Payload are the same to every variant.
// A Ref of 0 means "no message".
type Message struct {
	Ref     uint32
	Topic   string
	Payload string
}

// Packet is one MQTT control packet with the fields the protocols read.
type Packet struct {
	Type           PacketType
	ID             uint16  // packet identifier, 1..65535; 0 when the packet has none
	QoS            uint8   // PUBLISH; SUBSCRIBE: the QoS asked for; SUBACK: the QoS granted
	Dup            bool    // PUBLISH only: a re-delivery [MQTT-3.3.1-1]
	Reason         uint8   // MQTT 5.0 reason code of an acknowledgement or CONNACK
	SessionPresent bool    // CONNACK only
	CleanStart     bool    // CONNECT only (Clean Session in 3.1.1)
	MsgID          uint64  // two-packet-msgid: the sender's unique message id, carried on the wire
	Msg            Message // PUBLISH; SUBSCRIBE: Msg.Topic is the topic filter
}

// CopyFrom makes *p a copy of *q, field by field. It is *p = *q for hot
// paths: a packet is usually built as a literal on the stack, a few narrow
// stores over a zeroed block, and a whole-struct copy reads it back at once
// in 16-byte loads that span those stores. The processor cannot forward a
// load from several stores: it waits until they have retired, some tens of
// cycles on every packet a run sends. Read field by field, each load is
// served by the store that wrote it. TestCopyFromCopiesEveryField fails when
// a field is added to Packet and not here.
func (p *Packet) CopyFrom(q *Packet) {
	p.Type, p.ID, p.QoS, p.Dup, p.Reason = q.Type, q.ID, q.QoS, q.Dup, q.Reason
	p.SessionPresent, p.CleanStart, p.MsgID = q.SessionPresent, q.CleanStart, q.MsgID
	p.Msg.Ref, p.Msg.Topic, p.Msg.Payload = q.Msg.Ref, q.Msg.Topic, q.Msg.Payload
}

// String is the canonical one-line form used in traces, diagrams and golden
// files, for example `PUBLISH id=1 q2 dup "t" "ON" m3`.
func (p Packet) String() string {
	var b strings.Builder
	b.Grow(48)
	p.appendTo(&b)
	return b.String()
}

func (p Packet) appendTo(b *strings.Builder) {
	b.WriteString(p.Type.String())
	switch p.Type {
	case CONNECT:
		if p.CleanStart {
			b.WriteString(" clean=1")
		} else {
			b.WriteString(" clean=0")
		}
	case CONNACK:
		if p.SessionPresent {
			b.WriteString(" sp=1")
		} else {
			b.WriteString(" sp=0")
		}
	case PUBLISH:
		if p.QoS > 0 {
			b.WriteString(" id=")
			b.WriteString(strconv.Itoa(int(p.ID)))
		}
		b.WriteString(" q")
		b.WriteString(strconv.Itoa(int(p.QoS)))
		if p.Dup {
			b.WriteString(" dup")
		}
		if p.MsgID != 0 {
			b.WriteString(" msgid=")
			b.WriteString(strconv.FormatUint(p.MsgID, 10))
		}
		b.WriteString(" ")
		b.WriteString(strconv.Quote(p.Msg.Topic))
		b.WriteString(" ")
		b.WriteString(quotePayload(p.Msg.Payload))
		if p.Msg.Ref != 0 {
			b.WriteString(" m")
			b.WriteString(strconv.FormatUint(uint64(p.Msg.Ref), 10))
		}
	case SUBSCRIBE:
		b.WriteString(" id=")
		b.WriteString(strconv.Itoa(int(p.ID)))
		b.WriteString(" ")
		b.WriteString(strconv.Quote(p.Msg.Topic))
		b.WriteString(" q")
		b.WriteString(strconv.Itoa(int(p.QoS)))
	case SUBACK:
		b.WriteString(" id=")
		b.WriteString(strconv.Itoa(int(p.ID)))
		b.WriteString(" q")
		b.WriteString(strconv.Itoa(int(p.QoS)))
	default:
		b.WriteString(" id=")
		b.WriteString(strconv.Itoa(int(p.ID)))
	}
	if p.Reason != 0 {
		b.WriteString(" rc=0x")
		b.WriteString(strconv.FormatUint(uint64(p.Reason), 16))
	}
}

// quotePayload shortens long payloads so that a trace line stays one line.
func quotePayload(s string) string {
	const max = 12
	if len(s) <= max {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:max]) + "+" + strconv.Itoa(len(s)-max) + "B"
}

// MarshalText writes the type's name, so JSON traces read "PUBLISH".
func (t PacketType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a type name.
func (t *PacketType) UnmarshalText(b []byte) error {
	v, ok := ParsePacketType(string(b))
	if !ok {
		return fmt.Errorf("packet type %q: allowed values are CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK", b)
	}
	*t = v
	return nil
}

// Label is the short form used on diagram arrows: the canonical form
// without topic and payload, for example `PUBLISH id=1 q2 dup m3`.
func (p Packet) Label() string {
	if p.Type != PUBLISH {
		return p.String()
	}
	q := p
	q.Msg.Topic, q.Msg.Payload = "", ""
	s := q.String()
	return strings.Replace(s, ` "" ""`, "", 1)
}
