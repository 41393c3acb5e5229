package model

import (
	"reflect"
	"strings"
	"testing"
)

func pubPkt(id uint16, qos uint8, dup bool, ref uint32, payload string) Input {
	return Input{Kind: InPacket, Packet: Packet{Type: PUBLISH, ID: id, QoS: qos, Dup: dup, Msg: Message{Ref: ref, Topic: "t", Payload: payload}}}
}

func msgidPkt(id uint16, dup bool, msgID uint64, ref uint32) Input {
	in := pubPkt(id, 2, dup, ref, "p")
	in.Packet.MsgID = msgID
	return in
}

func timer(purpose uint8, key uint16) Input {
	return Input{Kind: InTimer, Timer: MakeTimer(purpose, key)}
}

var (
	connUp    = Input{Kind: InConnUp}
	connDown  = Input{Kind: InConnDown}
	connack   = Input{Kind: InPacket, Packet: Packet{Type: CONNACK}}
	connackSP = Input{Kind: InPacket, Packet: Packet{Type: CONNACK, SessionPresent: true}}
)

// receiver builds the receiving endpoint of a registered variant as server.
func receiver(t *testing.T, name string, c Config) Endpoint {
	t.Helper()
	v, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	c.Role = RoleServer
	return v.NewReceiver(c)
}

func sender(t *testing.T, name string, c Config) Endpoint {
	t.Helper()
	v, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	c.Role = RoleClient
	return v.NewSender(c)
}

// Each variant's receiver, one step at a time: what it delivers and how it
// answers, including the repeat that decides each variant's fate.
func TestVariantReceivers(t *testing.T) {
	cases := []struct {
		name    string
		variant string
		cfg     Config
		ins     []Input
		want    [][]string
		held    int
	}{
		{"qos0 delivers every PUBLISH, answers none [MQTT-3.3.4-1]", "qos0", Config{},
			[]Input{connected, pubPkt(0, 0, false, 1, "p"), pubPkt(0, 0, false, 1, "p")},
			[][]string{{"send CONNACK sp=0"}, {"deliver m1"}, {"deliver m1"}}, 0},
		{"qos1 answers PUBACK and delivers a resent PUBLISH again [MQTT-4.3.2-4] [MQTT-4.3.2-5]", "qos1", Config{},
			[]Input{connected, pubPkt(1, 1, false, 1, "p"), pubPkt(1, 1, true, 1, "p")},
			[][]string{{"send CONNACK sp=0"}, {"deliver m1", "send PUBACK id=1"}, {"deliver m1", "send PUBACK id=1"}}, 0},
		{"two-packet-pid drops a repeat, and a new message under a reused id", "two-packet-pid", Config{},
			[]Input{connected, pubPkt(1, 2, false, 1, "a"), pubPkt(1, 2, true, 1, "a"), pubPkt(1, 2, false, 2, "b"), pubPkt(2, 2, false, 3, "c")},
			[][]string{{"send CONNACK sp=0"}, {"persist", "deliver m1", "send PUBREC id=1"}, {"send PUBREC id=1"},
				{"send PUBREC id=1"}, {"persist", "deliver m3", "send PUBREC id=2"}}, 2},
		{"two-packet-pid-ttl forgets at expiry, so a late retransmission is delivered again", "two-packet-pid-ttl", Config{TTLTicks: 50},
			[]Input{connected, pubPkt(1, 2, false, 1, "a"), pubPkt(1, 2, true, 1, "a"), timer(TimerExpiry, 1), timer(TimerExpiry, 2), pubPkt(1, 2, true, 1, "a")},
			[][]string{{"send CONNACK sp=0"}, {"persist", "set-timer expiry(1)", "deliver m1", "send PUBREC id=1"},
				{"set-timer expiry(2)", "send PUBREC id=1"}, // a hit refreshes the entry: the old timer finds nothing
				nil, nil, {"persist", "set-timer expiry(3)", "deliver m1", "send PUBREC id=1"}}, 1},
		{"two-packet-pid-ttl with a capacity evicts the least recently used id", "two-packet-pid-ttl", Config{StoreCap: 2},
			[]Input{connected, pubPkt(1, 2, false, 1, "a"), pubPkt(2, 2, false, 2, "b"), pubPkt(1, 2, true, 1, "a"), pubPkt(3, 2, false, 3, "c"), pubPkt(2, 2, true, 2, "b"), pubPkt(1, 2, true, 1, "a")},
			[][]string{{"send CONNACK sp=0"}, {"persist", "deliver m1", "send PUBREC id=1"}, {"persist", "deliver m2", "send PUBREC id=2"},
				{"send PUBREC id=1"}, {"persist", "deliver m3", "send PUBREC id=3"}, // evicts 2, not the refreshed 1
				{"persist", "deliver m2", "send PUBREC id=2"}, {"persist", "deliver m1", "send PUBREC id=1"}}, 2},
		{"two-packet-content collapses equal content, ignores packet ids", "two-packet-content", Config{},
			[]Input{connected, pubPkt(1, 2, false, 1, "ON"), pubPkt(2, 2, false, 2, "ON"), pubPkt(1, 2, false, 3, "OFF"), pubPkt(1, 2, true, 3, "OFF")},
			[][]string{{"send CONNACK sp=0"}, {"persist", "deliver m1", "send PUBREC id=1"}, {"send PUBREC id=2"},
				{"persist", "deliver m3", "send PUBREC id=1"}, {"send PUBREC id=1"}}, 2},
		{"two-packet-msgid keys by the message id, so reused packet ids are harmless", "two-packet-msgid", Config{},
			[]Input{connected, msgidPkt(1, false, 1, 1), msgidPkt(1, false, 2, 2), msgidPkt(1, true, 2, 2), msgidPkt(1, true, 1, 1)},
			[][]string{{"send CONNACK sp=0"}, {"persist", "deliver m1", "send PUBREC id=1"}, {"persist", "deliver m2", "send PUBREC id=1"},
				{"send PUBREC id=1"}, {"send PUBREC id=1"}}, 2},
		{"two-packet-msgid with a TTL brings the duplicate back", "two-packet-msgid", Config{TTLTicks: 10},
			[]Input{connected, msgidPkt(1, false, 1, 1), timer(TimerExpiry, 1), msgidPkt(1, true, 1, 1)},
			[][]string{{"send CONNACK sp=0"}, {"persist", "set-timer expiry(1)", "deliver m1", "send PUBREC id=1"}, nil,
				{"persist", "set-timer expiry(2)", "deliver m1", "send PUBREC id=1"}}, 1},
		{"two-packet-dup-flag delivers DUP 0 and drops DUP 1, keeping nothing: a lone resend is lost, a network copy delivered twice", "two-packet-dup-flag", Config{},
			[]Input{connected, pubPkt(1, 2, true, 1, "a"), pubPkt(1, 2, false, 2, "b"), pubPkt(1, 2, false, 2, "b")},
			[][]string{{"send CONNACK sp=0"}, {"send PUBREC id=1"}, {"deliver m2", "send PUBREC id=1"}, {"deliver m2", "send PUBREC id=1"}}, 0},
		{"three-packet holds the id until PUBREL and answers nothing to it; a held id drops a new message [MQTT-4.3.3-10]", "three-packet", Config{},
			[]Input{connected, pubPkt(1, 2, false, 1, "a"), pubPkt(1, 2, true, 1, "a"), pkt(PUBREL, 1), pubPkt(1, 2, false, 2, "b"), pubPkt(1, 2, false, 3, "c")},
			[][]string{{"send CONNACK sp=0"}, {"persist", "deliver m1", "send PUBREC id=1"}, {"send PUBREC id=1"}, {"persist"},
				{"persist", "deliver m2", "send PUBREC id=1"}, {"send PUBREC id=1"}}, 1},
		{"qos2-b refuses a flow past its Receive Maximum with 0x97 and holds nothing for it [MQTT-3.5.2-1] [MQTT-4.3.3-9]", "qos2-b", Config{ReceiveMax: 1},
			[]Input{connected, publishPkt(1, 1, false), publishPkt(2, 2, false), pkt(PUBREL, 1), publishPkt(2, 2, false)},
			[][]string{{"send CONNACK sp=0"}, {"persist", "deliver m1", "send PUBREC id=1"}, {"send PUBREC id=2 rc=0x97"},
				{"persist", "send PUBCOMP id=1"}, {"persist", "deliver m2", "send PUBREC id=2"}}, 1},
		{"MQTT 3.1.1 has no reason codes: qos2-a holds past Receive Maximum", "qos2-a", Config{ReceiveMax: 1, Version: V311},
			[]Input{connected, publishPkt(1, 1, false), publishPkt(2, 2, false), pkt(PUBREL, 9)},
			[][]string{{"send CONNACK sp=0"}, {"persist", "send PUBREC id=1"}, {"persist", "send PUBREC id=2"}, {"send PUBCOMP id=9"}}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := receiver(t, c.variant, c.cfg)
			if got := steps(r, c.ins...); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got\n%q\nwant\n%q", got, c.want)
			}
			if r.Held() != c.held {
				t.Fatalf("Held() = %d, want %d", r.Held(), c.held)
			}
		})
	}
}

// Each variant's sender: what goes on the wire for a message and its
// acknowledgement, and what it retransmits on reconnect [MQTT-4.4.0-1].
func TestVariantSenders(t *testing.T) {
	cases := []struct {
		variant string
		cfg     Config
		ins     []Input
		want    [][]string
	}{
		{"qos0", Config{}, []Input{connUp, connack, publish(1), connDown, connUp, connackSP},
			[][]string{{"send CONNECT clean=0"}, nil, {"send PUBLISH q0 m1", "complete m1"}, nil, {"send CONNECT clean=0"}, nil}},
		{"qos1", Config{}, []Input{connUp, connack, publish(1), connDown, connUp, connackSP, pkt(PUBACK, 1)},
			[][]string{{"send CONNECT clean=0"}, nil, {"persist", "send PUBLISH id=1 q1 m1"}, nil, {"send CONNECT clean=0"},
				{"send PUBLISH id=1 q1 dup m1"}, {"complete m1"}}},
		{"two-packet-pid", Config{}, []Input{connUp, connack, publish(1), connDown, connUp, connackSP, pkt(PUBREC, 1), publish(2)},
			[][]string{{"send CONNECT clean=0"}, nil, {"persist", "send PUBLISH id=1 q2 m1"}, nil, {"send CONNECT clean=0"},
				{"send PUBLISH id=1 q2 dup m1"}, {"complete m1"}, {"persist", "send PUBLISH id=1 q2 m2"}}},
		{"two-packet-msgid", Config{}, []Input{connUp, connack, publish(1), publish(2), pkt(PUBREC, 1), publish(3)},
			[][]string{{"send CONNECT clean=0"}, nil, {"persist", "send PUBLISH id=1 q2 msgid=1 m1"}, {"persist", "send PUBLISH id=2 q2 msgid=2 m2"},
				{"complete m1"}, {"persist", "send PUBLISH id=1 q2 msgid=3 m3"}}},
		// A refusing PUBREC ends the flow and frees the id [MQTT-4.4.0-2].
		{"two-packet-content", Config{}, []Input{connUp, connack, publish(1), {Kind: InPacket, Packet: Packet{Type: PUBREC, ID: 1, Reason: ReasonQuotaExceeded}}, publish(2)},
			[][]string{{"send CONNECT clean=0"}, nil, {"persist", "send PUBLISH id=1 q2 m1"}, {"abandon m1"}, {"persist", "send PUBLISH id=1 q2 m2"}}},
		// three-packet: PUBREL goes out at PUBREC and the flow ends at once;
		// nothing is resent on reconnect, and the id is free for m2.
		{"three-packet", Config{Mode: Datagram}, []Input{connUp, publish(1), pkt(PUBREC, 1), publish(2), pkt(PUBREC, 1)},
			[][]string{nil, {"persist", "send PUBLISH id=1 q2 m1", "set-timer retry(1)"},
				{"send PUBREL id=1", "cancel-timer retry(1)", "complete m1"},
				{"persist", "send PUBLISH id=1 q2 m2", "set-timer retry(1)"},
				{"send PUBREL id=1", "cancel-timer retry(1)", "complete m2"}}},
		// Datagram mode keeps its retry timers.
		{"two-packet-pid-ttl", Config{Mode: Datagram}, []Input{connUp, publish(1), timer(TimerRetry, 1), pkt(PUBREC, 1)},
			[][]string{nil, {"persist", "send PUBLISH id=1 q2 m1", "set-timer retry(1)"}, {"send PUBLISH id=1 q2 dup m1", "set-timer retry(1)"},
				{"cancel-timer retry(1)", "complete m1"}}},
	}
	for _, c := range cases {
		t.Run(c.variant, func(t *testing.T) {
			if got := steps(sender(t, c.variant, c.cfg), c.ins...); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got\n%q\nwant\n%q", got, c.want)
			}
		})
	}
}

// MQTT 5.0 session expiry: a session disconnected for longer than the
// Session Expiry Interval is dropped at both ends [MQTT-3.1.2-23]
// [MQTT-4.1.0-2]; MQTT 3.1.1 keeps it.
func TestSessionExpiry(t *testing.T) {
	c := Config{SessionExpiryTicks: 30}
	s := sender(t, "qos2-a", c)
	got := steps(s, connUp, connack, publish(1), connDown, timer(TimerSession, 0), connUp, connack)
	want := [][]string{{"send CONNECT clean=0"}, nil, {"persist", "send PUBLISH id=1 q2 m1"}, {"set-timer session(0)"},
		{"abandon m1"}, {"send CONNECT clean=0"}, nil}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("sender got\n%q\nwant\n%q", got, want)
	}

	r := receiver(t, "qos2-b", c)
	got = steps(r, connected, publishPkt(1, 1, false), connDown, Input{Kind: InCrash}, Input{Kind: InRestart}, timer(TimerSession, 0), connected)
	want = [][]string{{"send CONNACK sp=0"}, {"persist", "deliver m1", "send PUBREC id=1"}, {"set-timer session(0)"}, nil,
		{"set-timer session(0)"}, // the crash disarmed it; the restart starts it again
		nil, {"send CONNACK sp=0"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("receiver got\n%q\nwant\n%q", got, want)
	}
	if r.Held() != 0 {
		t.Fatalf("the expired session still holds %d id(s)", r.Held())
	}

	// Reconnecting in time cancels the expiry; a timer that fires anyway
	// after the reconnect is stale and drops nothing.
	s = sender(t, "qos1", c)
	if got := steps(s, connUp, connack, connDown, connUp); !reflect.DeepEqual(got[3], []string{"cancel-timer session(0)", "send CONNECT clean=0"}) {
		t.Fatalf("reconnect: %q", got[3])
	}
	r = receiver(t, "two-packet-pid", c)
	steps(r, connected, pubPkt(1, 2, false, 1, "a"), connDown, connected, timer(TimerSession, 0))
	if r.Held() != 1 {
		t.Fatalf("a reconnected session was dropped: held %d", r.Held())
	}

	c.Version = V311
	s = sender(t, "qos1", c)
	if got := steps(s, connUp, connack, publish(1), connDown); got[3] != nil {
		t.Fatalf("3.1.1 armed a session expiry: %q", got[3])
	}
}

// Clone is deep and AppendKey canonical for every variant: a clone has the
// original's key, stepping it leaves the original alone, and equal states
// reached by different histories have equal keys.
func TestVariantCloneAndKey(t *testing.T) {
	for _, v := range Variants() {
		t.Run(v.Name, func(t *testing.T) {
			r := v.NewReceiver(Config{Role: RoleServer, TTLTicks: 100})
			r.Step(connected, nil)
			r.Step(pubPkt(1, v.QoS, false, 1, "a"), nil)
			before := string(r.AppendKey(nil))
			c := r.Clone()
			if string(c.AppendKey(nil)) != before {
				t.Fatal("clone has a different key")
			}
			c.Step(pubPkt(2, v.QoS, false, 2, "b"), nil)
			c.Step(pubPkt(3, v.QoS, false, 3, "c"), nil)
			if string(r.AppendKey(nil)) != before {
				t.Fatal("stepping the clone changed the original")
			}
			if c.Held() != r.Held() && string(c.AppendKey(nil)) == before {
				t.Fatal("the clone's key did not change with its state")
			}
		})
	}
	// Sets are keyed sorted: the order of arrival does not matter.
	a, b := receiver(t, "two-packet-pid", Config{}), receiver(t, "two-packet-pid", Config{})
	steps(a, connected, pubPkt(1, 2, false, 1, "a"), pubPkt(2, 2, false, 2, "b"))
	steps(b, connected, pubPkt(2, 2, false, 2, "b"), pubPkt(1, 2, false, 1, "a"))
	if string(a.AppendKey(nil)) != string(b.AppendKey(nil)) {
		t.Fatal("equal sets, different keys")
	}
	// An LRU store's order is state: it decides the next eviction.
	a, b = receiver(t, "two-packet-pid-ttl", Config{StoreCap: 5}), receiver(t, "two-packet-pid-ttl", Config{StoreCap: 5})
	steps(a, connected, pubPkt(1, 2, false, 1, "a"), pubPkt(2, 2, false, 2, "b"))
	steps(b, connected, pubPkt(2, 2, false, 2, "b"), pubPkt(1, 2, false, 1, "a"))
	if string(a.AppendKey(nil)) == string(b.AppendKey(nil)) {
		t.Fatal("LRU stores in different orders have equal keys")
	}
}

// The stores stay cheap: 65,536 + 65,535 ids into a packet-id store, and a
// message-id store growing by one per message, take linear time; refreshes
// leave no unbounded garbage in a capacity store.
func TestDedupStoreScales(t *testing.T) {
	for _, s := range []dedupStore{newDenseStore(), newDedupStore(0, 0)} {
		for i := range 2 * 65536 {
			k := uint64(i%65535 + 1)
			if _, ok := s.hit(k); !ok {
				s.add(k)
			}
		}
		if s.size() != 65535 || (s.dense && len(s.bits) != 1024) {
			t.Fatalf("dense=%v: store holds %d ids in %d words, want 65535 in 1024", s.dense, s.size(), len(s.bits))
		}
	}
	lru := newDedupStore(0, 3)
	for i := range 100000 {
		k := uint64(i % 4)
		if _, ok := lru.hit(k); !ok {
			lru.add(k)
		}
	}
	if len(lru.live) != 3 || len(lru.order)-lru.head > 2*3+64+1 {
		t.Fatalf("LRU store: %d live, %d in order", len(lru.live), len(lru.order)-lru.head)
	}
	ttl := newDedupStore(10, 0)
	for i := range 1000 {
		st := ttl.add(uint64(i))
		ttl.expire(uint16(st))
	}
	if len(ttl.live) != 0 || len(ttl.order)-ttl.head != 0 || !strings.HasPrefix(ttl.String(), "[") {
		t.Fatalf("TTL store after expiring everything: %s, %d in order", ttl.String(), len(ttl.order)-ttl.head)
	}
}

func BenchmarkDedupStorePID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		s := newDenseStore()
		for i := range 65536 {
			k := uint64(i%65535 + 1)
			if _, ok := s.hit(k); !ok {
				s.add(k)
			}
		}
	}
}

func BenchmarkDedupReceiverTTL(b *testing.B) {
	b.ReportAllocs()
	r := NewSession(Config{Role: RoleServer}, nil, newDedupReceiver(Config{Role: RoleServer}, keyPacketID, newDedupStore(100, 0)))
	r.Step(connected, nil)
	var out []Output
	i := 0
	for b.Loop() {
		i++
		out = r.Step(pubPkt(uint16(i%65535+1), 2, false, 1, "a"), out[:0])
		out = r.Step(timer(TimerExpiry, uint16(i)), out[:0])
	}
}
