package model

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func mustVariant(t *testing.T, name string) *Variant {
	t.Helper()
	v, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return &v
}

// outs renders what one step did, as steps does for many.
func outs(e Endpoint, in Input) []string { return steps(e, in)[0] }

// Both directions of one connection assign packet ids on their own
// [MQTT-2.2.1-3]: the session gives PUBLISH and PUBREL to its receiving
// half and PUBREC and PUBCOMP to its sending half, so the peer's flow under
// id 1 and ours under id 1 proceed side by side.
func TestSessionRoutesByDirection(t *testing.T) {
	v := mustVariant(t, "qos2-b")
	s := SessionOf(Config{Role: RoleClient}, v, v)
	steps(s, connUp, connack, publish(1))
	got := steps(s,
		publishPkt(1, 7, false), // the server's own message m7, also under id 1
		pkt(PUBREC, 1),          // for our m1
		pkt(PUBREL, 1),          // for the server's m7
		pkt(PUBCOMP, 1),         // for our m1
	)
	want := [][]string{
		{"persist", "deliver m7", "send PUBREC id=1"},
		{"persist", "send PUBREL id=1"},
		{"persist", "send PUBCOMP id=1"},
		{"complete m1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
	if p := s.Pending(nil); len(p) != 0 {
		t.Fatalf("pending %v", p)
	}
}

// A client that starts clean subscribes after CONNACK with an id its
// publications do not use, and the server answers SUBACK with the same id
// [MQTT-3.8.4-1] [MQTT-3.8.4-2]; the id is free for a PUBLISH only after
// SUBACK [MQTT-2.2.1-3]. A second SUBSCRIBE to the same filter replaces the
// first [MQTT-3.8.4-3].
func TestSubscribeAndSuback(t *testing.T) {
	v := mustVariant(t, "qos2-b")
	cfg := Config{Role: RoleClient, IDSpace: 1}
	c := SessionOf(cfg, v, v).Subscribe(Subscription{Filter: "a/#", QoS: 2})
	steps(c, connUp)
	if got := outs(c, publish(1)); got != nil {
		t.Fatalf("publish before CONNACK: %v", got)
	}
	if got := outs(c, connack); !reflect.DeepEqual(got, []string{`send SUBSCRIBE id=1 "a/#" q2`}) {
		t.Fatalf("after CONNACK: %v (the only id is taken by SUBSCRIBE, so m1 waits)", got)
	}
	if got := outs(c, pkt(SUBACK, 1)); !reflect.DeepEqual(got, []string{"persist", "send PUBLISH id=1 q2 m1"}) {
		t.Fatalf("after SUBACK: %v", got)
	}

	srv := SessionOf(Config{Role: RoleServer}, v, v)
	steps(srv, connected)
	sub := Input{Kind: InPacket, Packet: Packet{Type: SUBSCRIBE, ID: 9, QoS: 1, Msg: Message{Topic: "a/#"}}}
	if got := outs(srv, sub); !reflect.DeepEqual(got, []string{"persist", "send SUBACK id=9 q1"}) {
		t.Fatalf("server: %v", got)
	}
	sub.Packet.QoS = 2
	steps(srv, sub)
	if got := srv.Subscriptions(); !reflect.DeepEqual(got, []Subscription{{"a/#", 2}}) {
		t.Fatalf("subscriptions %v: the second SUBSCRIBE replaces the first", got)
	}
}

// A persistent subscriber does not subscribe again when the server still
// has its session, and does when the server lost it (Session Present 0,
// [MQTT-3.2.2-3]); a clean-start client subscribes at every connect.
func TestResubscribeOnlyWhenTheSessionIsGone(t *testing.T) {
	v := mustVariant(t, "qos2-b")
	sub := Subscription{Filter: "t", QoS: 2}
	c := SessionOf(Config{Role: RoleClient}, nil, v).Subscribed(sub)
	if got := steps(c, connUp, connackSP, connDown, connUp, connack); !reflect.DeepEqual(got[4], []string{`send SUBSCRIBE id=1 "t" q2`}) ||
		got[1] != nil {
		t.Fatalf("persistent: %v", got)
	}
	clean := SessionOf(Config{Role: RoleClient, CleanStart: true}, nil, v).Subscribe(sub)
	got := steps(clean, connUp, connack, pkt(SUBACK, 1), connDown, connUp, connack)
	if got[0][0] != "send CONNECT clean=1" || !reflect.DeepEqual(got[5], []string{`send SUBSCRIBE id=1 "t" q2`}) {
		t.Fatalf("clean: %v", got)
	}
}

// The broker routes a message to every session whose subscription matches
// its topic, through that session's sending half, and to nobody else; a
// message nobody subscribed to is reported as such.
func TestBrokerRoutesByTopic(t *testing.T) {
	q2, q1 := mustVariant(t, "qos2-b"), mustVariant(t, "qos1")
	b := NewBroker(Config{}, []BrokerClient{{Name: "pub", In: q2}, {Name: "a", Out: q1}, {Name: "b", Out: q2}})
	b.Subscribed(1, Subscription{Filter: "s/+/t", QoS: 1})
	b.Subscribed(2, Subscription{Filter: "s/x", QoS: 2})
	for conn := range 3 {
		b.Step(Input{Kind: InPacket, Conn: uint8(conn), Packet: Packet{Type: CONNECT}}, nil)
	}
	var got []string
	for _, o := range b.Step(Input{Kind: InPacket, Conn: 0, Packet: Packet{Type: PUBLISH, ID: 4, QoS: 2, Msg: Message{Ref: 1, Topic: "s/x/t"}}}, nil) {
		got = append(got, render(o)+" @"+string('0'+o.Conn))
	}
	want := []string{"persist @0", "deliver m1 @0", "send PUBREC id=4 @0", "persist @1", "send PUBLISH id=1 q1 m1 @1"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
	out := b.Step(Input{Kind: InPacket, Conn: 0, Packet: Packet{Type: PUBLISH, ID: 5, QoS: 2, Msg: Message{Ref: 2, Topic: "other"}}}, nil)
	if out[1].Kind != OutDeliver || out[1].Note != NoSubscriber || len(out) != 3 {
		t.Fatalf("unmatched: %+v", out)
	}
	if p := strings.Join(b.Pending(nil), "; "); p != "for pub: id 4 held until PUBREL; for pub: id 5 held until PUBREL; for a: id 1 waiting for PUBACK (m1)" {
		t.Fatalf("pending %q", p)
	}
}

// Topic filters: "+" is one whole level [MQTT-4.7.1-3], "#" the last level
// and everything under it, the parent included [MQTT-4.7.1-2], and a filter
// starting with a wildcard never matches a "$" topic [MQTT-4.7.2-1].
func TestMatchTopic(t *testing.T) {
	cases := []struct {
		f, t string
		want bool
	}{
		{"a/b", "a/b", true}, {"a/b", "a/c", false}, {"a/b", "a/b/c", false},
		{"a/+", "a/b", true}, {"a/+", "a/b/c", false}, {"+/+", "a/b", true}, {"+", "a", true}, {"+", "a/b", false},
		{"a/+/c", "a//c", true},
		{"#", "a/b/c", true}, {"a/#", "a", true}, {"a/#", "a/b/c", true}, {"a/#", "ab", false},
		{"#", "$SYS/x", false}, {"+/x", "$SYS/x", false}, {"$SYS/#", "$SYS/x", true},
	}
	for _, c := range cases {
		if got := MatchTopic(c.f, c.t); got != c.want {
			t.Errorf("MatchTopic(%q, %q) = %v", c.f, c.t, got)
		}
	}
	for f, bad := range map[string]bool{"": true, "a/#/b": true, "a#": true, "a/b+": true, "a/+/#": false, "#": false} {
		if got := ValidFilter(f) != ""; got != bad {
			t.Errorf("ValidFilter(%q) = %q", f, ValidFilter(f))
		}
	}
}

// outcomesOf lists each permitted outcome of one step as its rendered
// outputs, OutChose entries left out.
func outcomesOf(t *testing.T, e Endpoint, in Input) [][]string {
	t.Helper()
	os, complete := Outcomes(e, in)
	if !complete {
		t.Fatal("outcomes cut short")
	}
	var all [][]string
	for _, o := range os {
		var r []string
		for _, x := range o.Out {
			if x.Kind != OutChose {
				r = append(r, render(x))
			}
		}
		all = append(all, r)
	}
	return all
}

// With every choice closed a step has exactly one outcome, Step's own.
func TestOutcomesWithClosedChoices(t *testing.T) {
	v := mustVariant(t, "qos2-b")
	s := SessionOf(Config{Role: RoleClient, IDSpace: 3}, v, v)
	steps(s, connUp, connack)
	got := outcomesOf(t, s, publish(1))
	if want := [][]string{{"persist", "send PUBLISH id=1 q2 m1"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
	if s.Pending(nil) != nil {
		t.Fatal("Outcomes changed the endpoint")
	}
}

// Each choice the specification leaves open, as Outcomes enumerates it.
func TestPermittedChoices(t *testing.T) {
	v := mustVariant(t, "qos2-b")
	t.Run("id: any free id [MQTT-2.2.1-3]", func(t *testing.T) {
		s := SessionOf(Config{Role: RoleClient, IDSpace: 4, IDPolicy: AnyFree}, v, nil)
		steps(s, connUp, connack, publish(1)) // m1 takes id 1 (choice 0)
		got := outcomesOf(t, s, publish(2))
		want := [][]string{{"persist", "send PUBLISH id=2 q2 m2"}, {"persist", "send PUBLISH id=3 q2 m2"}, {"persist", "send PUBLISH id=4 q2 m2"}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("pubcomp-reason: 0x92 or 0x00 for an unknown id [MQTT-4.3.3-11]", func(t *testing.T) {
		for _, ver := range []Version{V5, V311} {
			r := SessionOf(Config{Role: RoleServer, Version: ver, Choices: AllChoices}, nil, v)
			steps(r, connected)
			got := outcomesOf(t, r, pkt(PUBREL, 3))
			want := [][]string{{"send PUBCOMP id=3 rc=0x92"}, {"send PUBCOMP id=3"}}
			if ver == V311 {
				want = [][]string{{"send PUBCOMP id=3"}}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: got %v", ver, got)
			}
		}
	})
	t.Run("repeat-pubrec on resume, in arrival order [MQTT-4.6.0-3]", func(t *testing.T) {
		r := SessionOf(Config{Role: RoleServer, Choices: AllChoices.With(ChooseRepeatPubrec) &^ (1 << ChooseMethod)}, nil, v)
		steps(r, connected, publishPkt(1, 1, false), publishPkt(2, 2, false), connDown)
		got := outcomesOf(t, r, connected)
		want := [][]string{
			{"send CONNACK sp=1"},
			{"send CONNACK sp=1", "send PUBREC id=1"},
			{"send CONNACK sp=1", "send PUBREC id=2"},
			{"send CONNACK sp=1", "send PUBREC id=1", "send PUBREC id=2"},
		}
		if !sameSet(got, want) {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("resend-order keeps each list's order [MQTT-4.6.0-1] [MQTT-4.6.0-4]", func(t *testing.T) {
		s := SessionOf(Config{Role: RoleClient, Choices: 0 | 1<<ChooseResendOrder}, v, nil)
		steps(s, connUp, connack, publish(1), publish(2), publish(3), pkt(PUBREC, 2), connDown, connUp)
		var orders []string
		for _, o := range outcomesOf(t, s, connackSP) {
			orders = append(orders, strings.Join(o, ", "))
		}
		// Flights m1 (PUBLISH), m2 (PUBREL), m3 (PUBLISH): the PUBREL may
		// come first, between or last; m1 always before m3.
		want := []string{
			"send PUBLISH id=1 q2 dup m1, send PUBREL id=2, send PUBLISH id=3 q2 dup m3",
			"send PUBLISH id=1 q2 dup m1, send PUBLISH id=3 q2 dup m3, send PUBREL id=2",
			"send PUBREL id=2, send PUBLISH id=1 q2 dup m1, send PUBLISH id=3 q2 dup m3",
		}
		slices.Sort(orders)
		slices.Sort(want)
		if !reflect.DeepEqual(orders, want) {
			t.Fatalf("got\n%s", strings.Join(orders, "\n"))
		}
	})
	t.Run("method: deliver at PUBLISH or at PUBREL [MQTT-4.3.3-8]", func(t *testing.T) {
		r := SessionOf(Config{Role: RoleServer, Choices: 0 | 1<<ChooseMethod}, nil, v)
		steps(r, connected)
		got := outcomesOf(t, r, publishPkt(1, 1, false))
		want := [][]string{{"persist", "deliver m1", "send PUBREC id=1"}, {"persist", "send PUBREC id=1"}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("keep-session: 3.1.1 client told Session Present 0", func(t *testing.T) {
		for _, ver := range []Version{V311, V5} {
			s := SessionOf(Config{Role: RoleClient, Version: ver, Choices: AllChoices}, v, nil)
			steps(s, connUp, connack, publish(1), connDown, connUp)
			got := outcomesOf(t, s, connack)
			want := [][]string{{"send PUBLISH id=1 q2 dup m1"}, {"abandon m1"}}
			if ver == V5 { // 5.0 must discard [MQTT-3.2.2-5]
				want = [][]string{{"abandon m1"}}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: got %v", ver, got)
			}
		}
	})
}

// A choice value is read as mixed-radix digits, one per Choose call, so
// Outcomes reaches every combination when one step chooses several times.
func TestOutcomesOfSeveralChoices(t *testing.T) {
	v := mustVariant(t, "qos2-b")
	s := SessionOf(Config{Role: RoleClient, IDSpace: 3, IDPolicy: AnyFree}, v, nil)
	steps(s, connUp, publish(1), publish(2))
	var ids []string
	for _, o := range outcomesOf(t, s, connack) {
		ids = append(ids, strings.Join(o, " "))
	}
	// Two queued messages start at CONNACK: 3 ids for m1, then 2 for m2.
	if len(ids) != 6 {
		t.Fatalf("%d outcomes:\n%s", len(ids), strings.Join(ids, "\n"))
	}
	seen := map[string]bool{}
	for _, x := range ids {
		if seen[x] {
			t.Fatalf("outcome twice: %s", x)
		}
		seen[x] = true
	}
}

// sameSet compares two lists of outcomes in any order.
func sameSet(a, b [][]string) bool {
	key := func(l [][]string) []string {
		var ks []string
		for _, o := range l {
			ks = append(ks, strings.Join(o, "|"))
		}
		slices.Sort(ks)
		return ks
	}
	return reflect.DeepEqual(key(a), key(b))
}
