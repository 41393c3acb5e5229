package model

import (
	"fmt"
	"reflect"
	"testing"
)

// steps feeds inputs to e and returns the outputs of each, rendered
// canonically so that a table can state them.
func steps(e Endpoint, ins ...Input) [][]string {
	var all [][]string
	for _, in := range ins {
		var got []string
		for _, o := range e.Step(in, nil) {
			got = append(got, render(o))
		}
		all = append(all, got)
	}
	return all
}

func render(o Output) string {
	switch o.Kind {
	case OutSend:
		return "send " + o.Packet.Label()
	case OutDeliver, OutComplete, OutAbandon:
		return fmt.Sprintf("%s m%d", o.Kind, o.Msg.Ref)
	case OutSetTimer, OutCancelTimer:
		return o.Kind.String() + " " + o.Timer.String()
	}
	return o.Kind.String()
}

func pkt(t PacketType, id uint16) Input {
	return Input{Kind: InPacket, Packet: Packet{Type: t, ID: id}}
}

func publish(ref uint32) Input {
	return Input{Kind: InPublish, Msg: Message{Ref: ref, Topic: "t", Payload: "p"}}
}

func publishPkt(id uint16, ref uint32, dup bool) Input {
	return Input{Kind: InPacket, Packet: Packet{Type: PUBLISH, ID: id, QoS: 2, Dup: dup, Msg: Message{Ref: ref, Topic: "t", Payload: "p"}}}
}

var connected = Input{Kind: InPacket, Packet: Packet{Type: CONNECT}}

// MQTT 5.0 section 4.3.3, receiver side, Method B.
func TestQoS2ReceiverMethodB(t *testing.T) {
	r := NewSession(Config{Role: RoleServer}, nil, newQoS2Receiver(Config{Role: RoleServer}, false))
	got := steps(r,
		connected,
		publishPkt(1, 1, false), // new: hold id, deliver, PUBREC [MQTT-4.3.3-8]
		publishPkt(1, 1, true),  // retransmission before PUBREL: PUBREC only [MQTT-4.3.3-10]
		pkt(PUBREL, 1),          // release: PUBCOMP [MQTT-4.3.3-11]
		publishPkt(1, 2, false), // the id is new again [MQTT-4.3.3-12]
		pkt(PUBREL, 9),          // unknown id: PUBCOMP anyway, 0x92 in 5.0
	)
	want := [][]string{
		{"send CONNACK sp=0"},
		{"persist", "deliver m1", "send PUBREC id=1"},
		{"send PUBREC id=1"},
		{"persist", "send PUBCOMP id=1"},
		{"persist", "deliver m2", "send PUBREC id=1"},
		{"send PUBCOMP id=9 rc=0x92"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

// Method A delivers at PUBREL, never at PUBLISH.
func TestQoS2ReceiverMethodA(t *testing.T) {
	r := NewSession(Config{Role: RoleServer}, nil, newQoS2Receiver(Config{Role: RoleServer}, true))
	got := steps(r, connected, publishPkt(4, 1, false), publishPkt(4, 1, true), pkt(PUBREL, 4), pkt(PUBREL, 4))
	want := [][]string{
		{"send CONNACK sp=0"},
		{"persist", "send PUBREC id=4"},
		{"send PUBREC id=4"},
		{"deliver m1", "persist", "send PUBCOMP id=4"},
		{"send PUBCOMP id=4 rc=0x92"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

// MQTT 5.0 section 4.3.3 sender side, and retransmission on reconnect
// (section 4.4): PUBLISH with DUP before PUBREC, PUBREL after.
func TestQoS2SenderStream(t *testing.T) {
	v, _ := Lookup("qos2-b")
	s := v.NewSender(Config{Role: RoleClient})
	got := steps(s,
		Input{Kind: InConnUp},
		Input{Kind: InPacket, Packet: Packet{Type: CONNACK}},
		publish(1),
		publish(2),
		Input{Kind: InConnDown},
		Input{Kind: InConnUp},
		Input{Kind: InPacket, Packet: Packet{Type: CONNACK, SessionPresent: true}}, // resend both PUBLISH, DUP
		pkt(PUBREC, 1),
		Input{Kind: InConnDown},
		Input{Kind: InConnUp},
		Input{Kind: InPacket, Packet: Packet{Type: CONNACK, SessionPresent: true}}, // PUBREL 1, PUBLISH 2 dup
		pkt(PUBCOMP, 1),
		pkt(PUBCOMP, 2), // a PUBCOMP for an id waiting for PUBREC is ignored
		publish(3),      // lowest free id: 1 again
	)
	want := [][]string{
		{"send CONNECT clean=0"},
		nil,
		{"persist", "send PUBLISH id=1 q2 m1"},
		{"persist", "send PUBLISH id=2 q2 m2"},
		nil,
		{"send CONNECT clean=0"},
		{"send PUBLISH id=1 q2 dup m1", "send PUBLISH id=2 q2 dup m2"},
		{"persist", "send PUBREL id=1"},
		nil,
		{"send CONNECT clean=0"},
		{"send PUBREL id=1", "send PUBLISH id=2 q2 dup m2"},
		{"complete m1"},
		nil,
		{"persist", "send PUBLISH id=1 q2 m3"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

// Receive Maximum bounds the flows in flight [MQTT-4.9.0-2]; a completed
// flow lets the next message go.
func TestSenderReceiveMaximum(t *testing.T) {
	cfg := Config{Role: RoleClient, Mode: Datagram, ReceiveMax: 1}
	s := NewSession(cfg, NewSender(cfg, SenderRules{QoS: 2, Ack: PUBREC, Release: true}), nil)
	got := steps(s, Input{Kind: InConnUp}, publish(1), publish(2), pkt(PUBREC, 1), pkt(PUBCOMP, 1))
	want := [][]string{
		nil,
		{"persist", "send PUBLISH id=1 q2 m1", "set-timer retry(1)"},
		nil,
		{"persist", "send PUBREL id=1", "set-timer retry(1)"},
		{"cancel-timer retry(1)", "complete m1", "persist", "send PUBLISH id=1 q2 m2", "set-timer retry(1)"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

// Sequential allocation walks the whole space and wraps, skipping ids in use.
func TestSequentialIDsWrap(t *testing.T) {
	cfg := Config{Role: RoleClient, Mode: Datagram, IDPolicy: Sequential, IDSpace: 3}
	s := NewSession(cfg, NewSender(cfg, SenderRules{QoS: 1, Ack: PUBACK}), nil)
	s.Step(Input{Kind: InConnUp}, nil)
	var ids []uint16
	for ref := uint32(1); ref <= 5; ref++ {
		for _, o := range s.Step(publish(ref), nil) {
			if o.Kind == OutSend {
				ids = append(ids, o.Packet.ID)
				s.Step(pkt(PUBACK, o.Packet.ID), nil)
			}
		}
	}
	if want := []uint16{1, 2, 3, 1, 2}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("ids %v, want %v", ids, want)
	}
}

// Clone is deep and AppendKey is canonical: equal states, equal keys.
func TestCloneAndKey(t *testing.T) {
	v, _ := Lookup("qos2-a")
	a := v.NewSender(Config{Role: RoleClient, Mode: Datagram})
	a.Step(Input{Kind: InConnUp}, nil)
	a.Step(publish(1), nil)
	b := a.Clone()
	if string(a.AppendKey(nil)) != string(b.AppendKey(nil)) {
		t.Fatal("clone has a different key")
	}
	b.Step(pkt(PUBREC, 1), nil)
	if string(a.AppendKey(nil)) == string(b.AppendKey(nil)) {
		t.Fatal("stepping the clone changed nothing in its key")
	}
	if a.Pending(nil)[0] != "id 1 waiting for PUBREC (m1)" || b.Pending(nil)[0] != "id 1 waiting for PUBCOMP (m1)" {
		t.Fatalf("the original changed with its clone: %v / %v", a.Pending(nil), b.Pending(nil))
	}
}

// CopyFrom gives an independent copy with the same key, whatever the
// target held before.
func TestCopyFromIsAnIndependentCopy(t *testing.T) {
	v, _ := Lookup("qos2-a")
	for _, mk := range []func(Config) Endpoint{v.NewSender, v.NewReceiver} {
		a := mk(Config{Role: RoleServer})
		b := mk(Config{Role: RoleServer})
		a.Step(connected, nil)
		a.Step(publish(1), nil)
		a.Step(publishPkt(1, 1, false), nil)
		b.Step(publishPkt(2, 2, false), nil)
		if !b.(Copier).CopyFrom(a) || string(a.AppendKey(nil)) != string(b.AppendKey(nil)) {
			t.Fatalf("%T: copy differs from its source", a)
		}
		before := string(a.AppendKey(nil))
		b.Step(publishPkt(3, 3, false), nil)
		b.Step(publish(4), nil)
		if string(a.AppendKey(nil)) != before || string(b.AppendKey(nil)) == before {
			t.Fatalf("%T: stepping the copy changed the source, or did nothing", a)
		}
		if b.(Copier).CopyFrom(&brokenKind{}) {
			t.Fatalf("%T: CopyFrom accepted another kind", a)
		}
	}
}

type brokenKind struct{ Endpoint }
