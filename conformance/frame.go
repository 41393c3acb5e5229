package conformance

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/qoslab/qoslab/model"
)

// maxFrameBytes bounds one frame the proxy holds. The workloads here carry
// payloads of a few bytes; a peer that announces more is broken or hostile.
const maxFrameBytes = 1 << 20

// readFrame reads one whole MQTT control packet: the fixed header byte, the
// Remaining Length (a Variable Byte Integer of at most four bytes
// [MQTT-1.5.5-1]) and that many bytes. It returns the packet's bytes as
// they were on the wire.
func readFrame(r *bufio.Reader) ([]byte, error) {
	head, err := r.ReadByte()
	if err != nil {
		return nil, err
	}
	frame := []byte{head}
	n, mult := 0, 1
	for i := 0; ; i++ {
		if i == 4 {
			return nil, errors.New("malformed remaining length: more than four bytes")
		}
		b, err := r.ReadByte()
		if err != nil {
			return nil, unexpectedEOF(err)
		}
		frame = append(frame, b)
		n += int(b&0x7f) * mult
		mult *= 128
		if b&0x80 == 0 {
			break
		}
	}
	if n > maxFrameBytes {
		return nil, fmt.Errorf("frame of %d bytes: more than the %d the proxy holds", n, maxFrameBytes)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, unexpectedEOF(err)
	}
	return append(frame, body...), nil
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Packet types beyond the ones package model names, for labels.
const (
	typeUnsubscribe model.PacketType = 10
	typeUnsuback    model.PacketType = 11
	typePingreq     model.PacketType = 12
	typePingresp    model.PacketType = 13
	typeAuth        model.PacketType = 15
)

var extraNames = map[model.PacketType]string{
	typeUnsubscribe: "UNSUBSCRIBE", typeUnsuback: "UNSUBACK", typePingreq: "PINGREQ", typePingresp: "PINGRESP", typeAuth: "AUTH",
}

// typeName names any control packet type.
func typeName(t model.PacketType) string {
	if n, ok := extraNames[t]; ok {
		return n
	}
	return t.String()
}

// Frame is one control packet as it crossed the proxy: its bytes and the
// fields the model reads, with the run's topics mapped back to the model's.
type Frame struct {
	Raw    []byte
	Packet model.Packet // Type, ID, QoS, Dup, Reason, SessionPresent, CleanStart, Msg
	// Version is the protocol level a CONNECT announced (other packets are
	// decoded under their connection's).
	Version model.Version
	// Err is why the frame could not be decoded; the proxy still forwards
	// it, and the oracle reports it.
	Err string
}

// Label is the frame's one-line form in transcripts: model.Packet's label,
// the same as in the simulator's diagrams.
func (f *Frame) Label() string {
	if f.Err != "" {
		return typeName(f.Packet.Type) + " (malformed: " + f.Err + ")"
	}
	if _, extra := extraNames[f.Packet.Type]; extra {
		return typeName(f.Packet.Type)
	}
	return f.Packet.Label()
}

// payloadPrefix starts every payload of a conformance workload: the rest
// is the message's number, so that a delivery names its publication.
const payloadPrefix = "m"

// MessagePayload is the payload of message ref in every workload.
func MessagePayload(ref uint32) string { return payloadPrefix + strconv.FormatUint(uint64(ref), 10) }

// messageRef reads the message number from a payload; 0 for a payload no
// workload of ours sends.
func messageRef(payload []byte) uint32 {
	s, ok := strings.CutPrefix(string(payload), payloadPrefix)
	if !ok {
		return 0
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// protocolLevel reads the protocol level byte of a CONNECT's variable
// header (after the protocol name), which decides how every later packet
// of the connection is decoded.
func protocolLevel(raw []byte) (model.Version, error) {
	body, err := frameBody(raw)
	if err != nil {
		return 0, err
	}
	if len(body) < 2 {
		return 0, errors.New("CONNECT too short")
	}
	nameLen := int(body[0])<<8 | int(body[1])
	if len(body) < 2+nameLen+1 {
		return 0, errors.New("CONNECT too short")
	}
	switch level := body[2+nameLen]; level {
	case 5:
		return model.V5, nil
	case 4:
		return model.V311, nil
	default:
		return 0, fmt.Errorf("protocol level %d: the harness reads 4 (3.1.1) and 5 (5.0)", level)
	}
}

// frameBody returns the bytes after the fixed header.
func frameBody(raw []byte) ([]byte, error) {
	for i := 1; i < len(raw) && i <= 4; i++ {
		if raw[i]&0x80 == 0 {
			return raw[i+1:], nil
		}
	}
	return nil, errors.New("malformed fixed header")
}

// decodeFrame decodes raw under version v (a CONNECT under its own),
// mapping the run's topics back to the model's with tp.
func decodeFrame(raw []byte, v model.Version, tp topics) Frame {
	f := Frame{Raw: raw, Version: v}
	var fh packets.FixedHeader
	if len(raw) == 0 {
		f.Err = "empty frame"
		return f
	}
	f.Packet.Type = model.PacketType(raw[0] >> 4)
	if err := fh.Decode(raw[0]); err != nil {
		f.Err = err.Error()
		return f
	}
	body, err := frameBody(raw)
	if err != nil {
		f.Err = err.Error()
		return f
	}
	if f.Packet.Type == model.CONNECT {
		if f.Version, err = protocolLevel(raw); err != nil {
			f.Err = err.Error()
			return f
		}
	}
	fh.Remaining = len(body)
	pk := packets.Packet{FixedHeader: fh, ProtocolVersion: wireLevel(f.Version)}
	if err := decodeBody(&pk, append([]byte(nil), body...)); err != nil {
		f.Err = err.Error()
		return f
	}
	f.fill(&pk, tp)
	return f
}

// wireLevel is the protocol level byte of a version.
func wireLevel(v model.Version) byte {
	if v == model.V311 {
		return 4
	}
	return 5
}

func decodeBody(pk *packets.Packet, body []byte) error {
	switch pk.FixedHeader.Type {
	case packets.Connect:
		return pk.ConnectDecode(body)
	case packets.Connack:
		return pk.ConnackDecode(body)
	case packets.Publish:
		return pk.PublishDecode(body)
	case packets.Puback:
		return pk.PubackDecode(body)
	case packets.Pubrec:
		return pk.PubrecDecode(body)
	case packets.Pubrel:
		return pk.PubrelDecode(body)
	case packets.Pubcomp:
		return pk.PubcompDecode(body)
	case packets.Subscribe:
		return pk.SubscribeDecode(body)
	case packets.Suback:
		return pk.SubackDecode(body)
	case packets.Unsubscribe:
		return pk.UnsubscribeDecode(body)
	case packets.Unsuback:
		return pk.UnsubackDecode(body)
	case packets.Disconnect:
		return pk.DisconnectDecode(body)
	case packets.Auth:
		return pk.AuthDecode(body)
	case packets.Pingreq, packets.Pingresp:
		return nil
	}
	return fmt.Errorf("packet type %d: not an MQTT control packet", pk.FixedHeader.Type)
}

// fill copies what the model reads from a decoded packet.
func (f *Frame) fill(pk *packets.Packet, tp topics) {
	p := &f.Packet
	switch model.PacketType(pk.FixedHeader.Type) {
	case model.CONNECT:
		p.CleanStart = pk.Connect.Clean
	case model.CONNACK:
		p.SessionPresent, p.Reason = pk.SessionPresent, pk.ReasonCode
	case model.PUBLISH:
		p.QoS, p.Dup = pk.FixedHeader.Qos, pk.FixedHeader.Dup
		if p.QoS > 0 {
			p.ID = pk.PacketID
		}
		p.Msg = model.Message{Ref: messageRef(pk.Payload), Topic: tp.model(pk.TopicName), Payload: string(pk.Payload)}
	case model.PUBACK, model.PUBREC, model.PUBREL, model.PUBCOMP:
		p.ID, p.Reason = pk.PacketID, pk.ReasonCode
	case model.DISCONNECT:
		p.Reason = pk.ReasonCode
	case model.SUBSCRIBE:
		// The model subscribes to one filter at a time.
		p.ID = pk.PacketID
		if len(pk.Filters) > 0 {
			p.Msg.Topic, p.QoS = tp.model(pk.Filters[0].Filter), pk.Filters[0].Qos
		}
	case model.SUBACK:
		p.ID = pk.PacketID
		if len(pk.ReasonCodes) > 0 {
			p.QoS = pk.ReasonCodes[0] // the granted QoS, or a failure code >= 0x80
		}
	}
}

// encoder writes the packets of qoslab's own model client.
type encoder struct {
	version  model.Version
	clientID string
	topics   topics
	// expirySeconds is the Session Expiry Interval a 5.0 CONNECT asks for:
	// a session that outlives a break is what every retransmission rule
	// presumes [MQTT-3.1.2-23].
	expirySeconds uint32
	keepalive     uint16
}

// encode writes p as the model client puts it on the wire.
func (e *encoder) encode(p model.Packet) ([]byte, error) {
	pk := packets.Packet{ProtocolVersion: wireLevel(e.version), PacketID: p.ID, ReasonCode: p.Reason}
	pk.FixedHeader.Type = byte(p.Type)
	var buf bytes.Buffer
	var err error
	switch p.Type {
	case model.CONNECT:
		pk.Connect = packets.ConnectParams{ProtocolName: []byte("MQTT"), ClientIdentifier: e.clientID,
			Clean: p.CleanStart, Keepalive: e.keepalive}
		if e.version == model.V5 && !p.CleanStart {
			pk.Properties.SessionExpiryInterval = e.expirySeconds
			pk.Properties.SessionExpiryIntervalFlag = true
		}
		err = pk.ConnectEncode(&buf)
	case model.PUBLISH:
		pk.FixedHeader.Qos, pk.FixedHeader.Dup = p.QoS, p.Dup
		pk.TopicName, pk.Payload = e.topics.real(p.Msg.Topic), []byte(p.Msg.Payload)
		err = pk.PublishEncode(&buf)
	case model.PUBACK:
		err = pk.PubackEncode(&buf)
	case model.PUBREC:
		err = pk.PubrecEncode(&buf)
	case model.PUBREL:
		pk.FixedHeader.Qos = 1 // [MQTT-3.6.1-1]
		err = pk.PubrelEncode(&buf)
	case model.PUBCOMP:
		err = pk.PubcompEncode(&buf)
	case model.SUBSCRIBE:
		pk.FixedHeader.Qos = 1 // [MQTT-3.8.1-1]
		pk.Filters = packets.Subscriptions{{Filter: e.topics.real(p.Msg.Topic), Qos: p.QoS}}
		err = pk.SubscribeEncode(&buf)
	case model.DISCONNECT:
		err = pk.DisconnectEncode(&buf)
	default:
		return nil, fmt.Errorf("the model client does not send %s", typeName(p.Type))
	}
	return buf.Bytes(), err
}
