package model_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	mochi "github.com/mochi-mqtt/server/v2/packets"

	"github.com/qoslab/qoslab/model"
)

// mochiSize encodes p with the packets package of mochi-mqtt/server, an
// independent, maintained encoder of both MQTT versions, and returns the
// encoded length. A MsgID (the two-packet-msgid extension, which no MQTT
// encoder knows) travels as MsgIDBytes in front of the payload.
func mochiSize(t *testing.T, p model.Packet, v model.Version) int {
	t.Helper()
	pk := mochi.Packet{ProtocolVersion: 5, PacketID: p.ID, ReasonCode: p.Reason}
	if v == model.V311 {
		pk.ProtocolVersion = 4
	}
	var buf bytes.Buffer
	var err error
	switch p.Type {
	case model.CONNECT:
		pk.FixedHeader.Type = mochi.Connect
		pk.Connect = mochi.ConnectParams{ProtocolName: []byte("MQTT"), Clean: p.CleanStart, Keepalive: 60, ClientIdentifier: model.ClientID}
		err = pk.ConnectEncode(&buf)
	case model.CONNACK:
		pk.FixedHeader.Type = mochi.Connack
		pk.SessionPresent = p.SessionPresent
		err = pk.ConnackEncode(&buf)
	case model.PUBLISH:
		pk.FixedHeader = mochi.FixedHeader{Type: mochi.Publish, Qos: p.QoS, Dup: p.Dup}
		pk.TopicName = p.Msg.Topic
		pk.Payload = []byte(p.Msg.Payload)
		if p.MsgID != 0 {
			pk.Payload = append(make([]byte, model.MsgIDBytes), pk.Payload...)
		}
		err = pk.PublishEncode(&buf)
	case model.PUBACK:
		pk.FixedHeader.Type = mochi.Puback
		err = pk.PubackEncode(&buf)
	case model.PUBREC:
		pk.FixedHeader.Type = mochi.Pubrec
		err = pk.PubrecEncode(&buf)
	case model.PUBREL:
		pk.FixedHeader = mochi.FixedHeader{Type: mochi.Pubrel, Qos: 1}
		err = pk.PubrelEncode(&buf)
	case model.PUBCOMP:
		pk.FixedHeader.Type = mochi.Pubcomp
		err = pk.PubcompEncode(&buf)
	case model.DISCONNECT:
		pk.FixedHeader.Type = mochi.Disconnect
		err = pk.DisconnectEncode(&buf)
	default:
		t.Fatalf("no mochi encoder for %v", p.Type)
	}
	if err != nil {
		t.Fatalf("mochi encode %v: %v", p, err)
	}
	return buf.Len()
}

// wireCases is every packet type qoslab models, with the fields that change
// its size: reason codes, QoS, the MsgID extension, and topic/payload lengths
// whose remaining length sits on both sides of the Variable Byte Integer
// boundaries 127/128, 16383/16384 and 2097151/2097152.
func wireCases() []model.Packet {
	ps := []model.Packet{
		{Type: model.CONNECT}, {Type: model.CONNECT, CleanStart: true},
		{Type: model.CONNACK}, {Type: model.CONNACK, SessionPresent: true},
		{Type: model.DISCONNECT, Reason: model.ReasonUnspecified},
	}
	for _, t := range []model.PacketType{model.PUBACK, model.PUBREC, model.PUBREL, model.PUBCOMP} {
		for _, rc := range []uint8{model.ReasonSuccess, model.ReasonUnspecified, model.ReasonPacketIDNotFound, model.ReasonQuotaExceeded} {
			ps = append(ps, model.Packet{Type: t, ID: 1, Reason: rc}, model.Packet{Type: t, ID: 65535, Reason: rc})
		}
	}
	topics := []string{"t", "qoslab/0", strings.Repeat("x", 300)}
	// Every payload length from 100 to 130 and 16360 to 16390 puts some
	// packet's remaining length on each side of 127/128 and 16383/16384; a
	// few around 2 MiB cross 2097151/2097152 (one short topic only, to stay
	// fast).
	var payloads []int
	for n := 100; n <= 130; n++ {
		payloads = append(payloads, n)
	}
	for n := 16360; n <= 16390; n++ {
		payloads = append(payloads, n)
	}
	payloads = append(payloads, 0, 1, 8)
	huge := []int{2097120, 2097131, 2097133, 2097134, 2097136, 2097141, 2097152}
	for _, topic := range topics {
		ns := payloads
		if topic == "t" {
			ns = append(ns, huge...)
		}
		for _, n := range ns {
			for _, q := range []uint8{0, 1, 2} {
				m := model.Message{Topic: topic, Payload: strings.Repeat("p", n)}
				id := uint16(0)
				if q > 0 {
					id = 7
				}
				ps = append(ps, model.Packet{Type: model.PUBLISH, ID: id, QoS: q, Msg: m})
				if q > 0 {
					ps = append(ps, model.Packet{Type: model.PUBLISH, ID: id, QoS: q, Dup: true, MsgID: 1 << 40, Msg: m})
				}
			}
		}
	}
	return ps
}

// Packet.Size agrees with mochi's encoder for every packet type, both
// versions, and remaining lengths across every Variable Byte Integer
// boundary (MQTT 5.0 section 1.5.5, 3.1.1 section 2.2.3).
func TestPacketSizeMatchesMochi(t *testing.T) {
	crossed := map[int]bool{} // remaining-length encodings (1..4 bytes) seen
	n := 0
	for _, v := range []model.Version{model.V5, model.V311} {
		for _, p := range wireCases() {
			if v == model.V311 && p.Type == model.DISCONNECT && p.Reason != 0 {
				continue // 3.1.1 has no reason codes
			}
			q := p
			if v == model.V311 {
				q.Reason = 0
			}
			got, want := q.Size(v), mochiSize(t, q, v)
			if got != want {
				t.Errorf("MQTT %v %s (topic %d B, payload %d B): Size %d, mochi %d", v, q.Label(), len(q.Msg.Topic), len(q.Msg.Payload), got, want)
			}
			crossed[got-remaining(got)] = true
			n++
		}
	}
	for hdr := 2; hdr <= 5; hdr++ {
		if !crossed[hdr] {
			t.Errorf("no case with a %d-byte fixed header: the remaining-length boundaries are not covered", hdr)
		}
	}
	t.Logf("%d packets cross-checked against mochi", n)
}

// remaining returns the remaining length of a packet of total size n.
func remaining(n int) int {
	for hdr := 2; hdr <= 5; hdr++ {
		rl := n - hdr
		if rl >= 0 && varint(rl) == hdr-1 {
			return rl
		}
	}
	return -1
}

func varint(n int) int {
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

// Where MQTT allows two encodings, qoslab counts the shorter one and mochi
// writes the longer; both are pinned so that a change on either side shows.
func TestPacketSizeDocumentedDifferencesFromMochi(t *testing.T) {
	cases := []struct {
		p     model.Packet
		v     model.Version
		extra int // mochi's size minus ours
		why   string
	}{
		// MQTT 5.0 section 3.14.2.1: Reason Code and Property Length may be
		// omitted when the reason is 0x00 and there are no properties.
		{model.Packet{Type: model.DISCONNECT}, model.V5, 2, "mochi always writes reason code and property length"},
		// MQTT 5.0 section 3.4.2.1: the reason code may be omitted only when
		// it is 0x00; mochi omits every code below 0x80, losing it.
		{model.Packet{Type: model.PUBREC, ID: 1, Reason: 0x10}, model.V5, -1, "mochi drops a success-class reason code"},
	}
	for _, c := range cases {
		if got := mochiSize(t, c.p, c.v) - c.p.Size(c.v); got != c.extra {
			t.Errorf("%v %v: mochi - Size = %d, want %d (%s)", c.v, c.p, got, c.extra, c.why)
		}
	}
	if got := (model.Packet{Type: model.DISCONNECT}).Size(model.V311); got != mochiSize(t, model.Packet{Type: model.DISCONNECT}, model.V311) {
		t.Errorf("3.1.1 DISCONNECT: Size %d", got)
	}
}

func ExamplePacket_Size() {
	p := model.Packet{Type: model.PUBLISH, ID: 1, QoS: 2, Msg: model.Message{Topic: "qoslab/0", Payload: "v0......"}}
	fmt.Println(p.Size(model.V5), p.Size(model.V311), model.Packet{Type: model.PUBREC, ID: 1}.Size(model.V5))
	// Output: 23 22 4
}
