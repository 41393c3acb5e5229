package conformance

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/model"
)

// Every packet the model client sends decodes back to itself, in both
// versions: the harness reads what it writes.
func TestFramesRoundTrip(t *testing.T) {
	tp := topics{prefix: "qoslab/conform/x/"}
	msg := model.Message{Ref: 7, Topic: "qoslab/t", Payload: MessagePayload(7)}
	packets := []model.Packet{
		{Type: model.CONNECT},
		{Type: model.CONNECT, CleanStart: true},
		{Type: model.PUBLISH, ID: 1, QoS: 2, Msg: msg},
		{Type: model.PUBLISH, ID: 65535, QoS: 2, Dup: true, Msg: msg},
		{Type: model.PUBLISH, QoS: 0, Msg: msg},
		{Type: model.PUBREC, ID: 3},
		{Type: model.PUBREL, ID: 3},
		{Type: model.PUBCOMP, ID: 3},
		{Type: model.PUBACK, ID: 9},
		{Type: model.SUBSCRIBE, ID: 2, QoS: 2, Msg: model.Message{Topic: "qoslab/#"}},
	}
	for _, v := range []model.Version{model.V5, model.V311} {
		enc := encoder{version: v, clientID: "c", topics: tp}
		for _, p := range packets {
			raw, err := enc.encode(p)
			if err != nil {
				t.Fatalf("%s %v: %v", v, p, err)
			}
			f := decodeFrame(raw, v, tp)
			if f.Err != "" || f.Packet != p {
				t.Errorf("MQTT %s: %v came back as %v (%s)", v, p, f.Packet, f.Err)
			}
			if got, err := readFrame(bufio.NewReader(bytes.NewReader(raw))); err != nil || !bytes.Equal(got, raw) {
				t.Errorf("readFrame(%v) = %x, %v", p, got, err)
			}
		}
	}
	// A reason code travels in 5.0 (the short form omits only success).
	raw, _ := (&encoder{version: model.V5}).encode(model.Packet{Type: model.PUBCOMP, ID: 4, Reason: model.ReasonPacketIDNotFound})
	if f := decodeFrame(raw, model.V5, topics{}); f.Packet.Reason != model.ReasonPacketIDNotFound {
		t.Errorf("PUBCOMP 0x92 decoded as %v", f.Packet)
	}
}

// The proxy reads a CONNECT's protocol level and decodes the rest of the
// connection under it.
func TestConnectAnnouncesTheVersion(t *testing.T) {
	for _, v := range []model.Version{model.V5, model.V311} {
		raw, _ := (&encoder{version: v, clientID: "c"}).encode(model.Packet{Type: model.CONNECT})
		if f := decodeFrame(raw, model.V5, topics{}); f.Version != v {
			t.Errorf("CONNECT of %s read as %s", v, f.Version)
		}
	}
}

// Malformed input is an error or a frame marked malformed, never a panic
// or an unbounded read.
func TestReadFrameRejectsMalformedLengths(t *testing.T) {
	for name, in := range map[string][]byte{
		"five length bytes": {0x30, 0xff, 0xff, 0xff, 0xff, 0x01},
		"beyond the bound":  {0x30, 0xff, 0xff, 0xff, 0x7f},
		"cut short":         {0x30, 0x05, 0x00},
		"cut in the length": {0x30, 0x80},
	} {
		if _, err := readFrame(bufio.NewReader(bytes.NewReader(in))); err == nil || errors.Is(err, io.EOF) {
			t.Errorf("%s: err %v, want a malformed-frame error", name, err)
		}
	}
	if f := decodeFrame([]byte{0x62, 0x02, 0x00}, model.V5, topics{}); f.Err == "" {
		t.Errorf("a truncated PUBREL decoded: %+v", f)
	}
	if f := decodeFrame([]byte{0x36, 0x00}, model.V5, topics{}); f.Err == "" { // QoS 3
		t.Errorf("a PUBLISH with QoS 3 decoded: %+v", f)
	}
}

// Deliveries name their publication by payload; foreign payloads name none.
func TestMessageRefs(t *testing.T) {
	for payload, want := range map[string]uint32{"m1": 1, "m65600": 65600, "m": 0, "x1": 0, "m-1": 0, "": 0} {
		if got := messageRef([]byte(payload)); got != want {
			t.Errorf("messageRef(%q) = %d, want %d", payload, got, want)
		}
	}
}

// A run's topics are its own on the wire and the model's everywhere else.
func TestTopicsMapBothWays(t *testing.T) {
	tp := topics{prefix: "qoslab/conform/q1/"}
	for _, m := range []string{"qoslab/0", "qoslab/alice/#", "qoslab/#"} {
		if r := tp.real(m); !strings.HasPrefix(r, tp.prefix) || tp.model(r) != m {
			t.Errorf("%s -> %s -> %s", m, r, tp.model(r))
		}
	}
	if tp.model("other/topic") != "other/topic" {
		t.Errorf("a foreign topic was mapped")
	}
}
