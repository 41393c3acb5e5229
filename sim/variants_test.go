package sim

import (
	"fmt"
	"testing"

	"github.com/qoslab/qoslab/model"
)

// A fault-free run shows each variant's nominal cost per message, apart
// from the one CONNECT/CONNACK handshake: QoS 2 four packets, three-packet
// three, QoS 1 and the two-packet variants two, QoS 0 one. Bytes are for the
// default workload (topic "qoslab/0", 8-byte payload); MQTT 5.0 PUBLISH
// carries one more byte (its empty property list) than 3.1.1, and
// two-packet-msgid 8 more for its message id. The built-in variants are
// pinned; any other registered variant (one a developer is adding) must
// still cost the same whole number of packets for every message.
func TestNominalCostPerMessage(t *testing.T) {
	const n = 10
	type cost struct {
		variant       string
		packets       int
		bytesV5, b311 int
		types         []model.PacketType
	}
	cases := []cost{
		{"qos0", 1, 21, 20, []model.PacketType{model.PUBLISH}},
		{"qos1", 2, 27, 26, []model.PacketType{model.PUBLISH, model.PUBACK}},
		{"qos2-a", 4, 35, 34, []model.PacketType{model.PUBLISH, model.PUBREC, model.PUBREL, model.PUBCOMP}},
		{"qos2-b", 4, 35, 34, []model.PacketType{model.PUBLISH, model.PUBREC, model.PUBREL, model.PUBCOMP}},
		{"two-packet-pid", 2, 27, 26, []model.PacketType{model.PUBLISH, model.PUBREC}},
		{"two-packet-pid-ttl", 2, 27, 26, []model.PacketType{model.PUBLISH, model.PUBREC}},
		{"two-packet-content", 2, 27, 26, []model.PacketType{model.PUBLISH, model.PUBREC}},
		{"two-packet-msgid", 2, 35, 34, []model.PacketType{model.PUBLISH, model.PUBREC}},
		{"two-packet-dup-flag", 2, 27, 26, []model.PacketType{model.PUBLISH, model.PUBREC}},
		{"three-packet", 3, 31, 30, []model.PacketType{model.PUBLISH, model.PUBREC, model.PUBREL}},
	}
	pinned := map[string]bool{}
	for _, c := range cases {
		pinned[c.variant] = true
	}
	for _, name := range model.Names() {
		if !pinned[name] {
			cases = append(cases, cost{variant: name, packets: -1})
		}
	}
	for _, c := range cases {
		for _, v := range []model.Version{model.V5, model.V311} {
			t.Run(c.variant+"/"+v.String(), func(t *testing.T) {
				res := mustRun(t, Config{Variant: c.variant, Endpoint: model.Config{Version: v}, Workload: Workload{Messages: n}})
				s := res.Summarize()
				hs := res.Packets[model.CONNECT] + res.Packets[model.CONNACK]
				hb := res.Bytes[model.CONNECT] + res.Bytes[model.CONNACK]
				c := c
				if c.packets < 0 { // not pinned: each message costs the same
					c.packets, c.bytesV5, c.b311 = (s.Packets-hs)/n, (s.Bytes-hb)/n, (s.Bytes-hb)/n
				}
				want := c.bytesV5
				if v == model.V311 {
					want = c.b311
				}
				if hs != 2 || s.Packets-hs != c.packets*n || s.Bytes-hb != want*n {
					t.Errorf("%d packets, %d bytes beyond a %d-packet handshake; want %d packets and %d bytes per message (%v)",
						s.Packets-hs, s.Bytes-hb, hs, c.packets, want, res.PacketCounts())
				}
				for _, pt := range c.types {
					if res.Packets[pt] != n {
						t.Errorf("%v sent %d times, want %d", pt, res.Packets[pt], n)
					}
				}
				if !res.Settled || s.PayloadResends != 0 {
					t.Errorf("settled=%v resends=%d: a fault-free run settles without resending", res.Settled, s.PayloadResends)
				}
			})
		}
	}
}

// The break points of the answer (breakpoints_test.go has them for QoS 2)
// for the other variants. *1 and *2 apply wherever there is an
// acknowledgement; *3 and *4 need PUBREL and PUBCOMP, which only QoS 2 sends.
// Each row pins the delivery outcome and the payload resends.
func TestBreakPointsEveryVariant(t *testing.T) {
	type outcome struct{ once, dup, missing, resends int }
	cases := []struct {
		variant string
		cfg     model.Config
		faults  string
		want    outcome
	}{
		{"qos0", model.Config{}, "break after-send PUBLISH#1", outcome{0, 0, 1, 0}},
		{"qos1", model.Config{}, "break after-send PUBLISH#1", outcome{1, 0, 0, 1}},
		{"qos1", model.Config{}, "break after-send PUBACK#1", outcome{0, 1, 0, 1}},
		{"two-packet-pid", model.Config{}, "break after-send PUBLISH#1", outcome{1, 0, 0, 1}},
		{"two-packet-pid", model.Config{}, "break after-send PUBREC#1", outcome{1, 0, 0, 1}},
		{"two-packet-pid-ttl", model.Config{}, "break after-send PUBLISH#1", outcome{1, 0, 0, 1}},
		{"two-packet-pid-ttl", model.Config{}, "break after-send PUBREC#1", outcome{1, 0, 0, 1}},
		// The entry expired before the retransmission came back.
		{"two-packet-pid-ttl", model.Config{TTLTicks: 20}, "break after-send PUBREC#1", outcome{0, 1, 0, 1}},
		{"two-packet-content", model.Config{}, "break after-send PUBLISH#1", outcome{1, 0, 0, 1}},
		{"two-packet-content", model.Config{}, "break after-send PUBREC#1", outcome{1, 0, 0, 1}},
		{"two-packet-msgid", model.Config{}, "break after-send PUBLISH#1", outcome{1, 0, 0, 1}},
		{"two-packet-msgid", model.Config{}, "break after-send PUBREC#1", outcome{1, 0, 0, 1}},
		{"two-packet-msgid", model.Config{TTLTicks: 20}, "break after-send PUBREC#1", outcome{0, 1, 0, 1}},
		// The only copy that arrives at *1 is the resend, with DUP set.
		{"two-packet-dup-flag", model.Config{}, "break after-send PUBLISH#1", outcome{0, 0, 1, 1}},
		{"two-packet-dup-flag", model.Config{}, "break after-send PUBREC#1", outcome{1, 0, 0, 1}},
	}
	for _, c := range cases {
		for _, v := range []model.Version{model.V5, model.V311} {
			name := fmt.Sprintf("%s/%s/ttl=%d/%s", c.variant, v, c.cfg.TTLTicks, c.faults)
			t.Run(name, func(t *testing.T) {
				ec := c.cfg
				ec.Version = v
				res := mustRun(t, Config{Variant: c.variant, Endpoint: ec, Workload: Workload{Messages: 1},
					Faults: mustSchedule(t, c.faults), Trace: true})
				s := res.Summarize()
				if got := (outcome{s.ExactlyOnce, s.Duplicated, s.Missing, s.PayloadResends}); got != c.want {
					t.Errorf("got %+v, want %+v\n%s", got, c.want, res.Trace)
				}
				if res.Breaks != 1 || !res.Settled {
					t.Errorf("breaks=%d settled=%v %v", res.Breaks, res.Settled, res.Pending)
				}
				if res.Packets[model.PUBREL]+res.Packets[model.PUBCOMP] != 0 {
					t.Errorf("%s sent PUBREL/PUBCOMP: break points *3 and *4 do not exist for it", c.variant)
				}
			})
		}
	}
}

// The question's proposal, fault-free: with lowest-free allocation the
// second message gets the first one's id back as soon as its PUBREC
// arrived, and the receiver, which never forgets an id, drops it as a
// repeat. Nothing tells the sender: the run settles. QoS 2 delivers both.
func TestTwoPacketPIDLowestFreeDropsTheSecondMessage(t *testing.T) {
	w := Workload{Messages: 2, IntervalTicks: 50} // m2 is published after m1's PUBREC is back
	res := mustRun(t, Config{Variant: "two-packet-pid", Workload: w, Trace: true})
	if m := res.Messages; m[0].Deliveries != 1 || m[1].Deliveries != 0 || !res.Settled {
		t.Fatalf("deliveries m1=%d m2=%d settled=%v: want m1 once, m2 dropped, and a settled run\n%s",
			m[0].Deliveries, m[1].Deliveries, res.Settled, res.Trace)
	}
	ids := publishIDs(res)
	if len(ids) != 2 || ids[0] != 1 || ids[1] != 1 {
		t.Fatalf("PUBLISH ids %v, want [1 1]", ids)
	}
	if s := mustRun(t, Config{Variant: "qos2-b", Workload: w}).Summarize(); s.ExactlyOnce != 2 {
		t.Fatalf("qos2-b: %+v, want both delivered", s)
	}
}

// With sequential allocation the ids last longer, but 16 bits wrap: message
// 65,536 reuses id 1 and is dropped. Every message before it arrives.
func TestTwoPacketPIDSequentialLosesAfterWrapAround(t *testing.T) {
	const n = 65536
	res := mustRun(t, Config{Variant: "two-packet-pid", Endpoint: model.Config{IDPolicy: model.Sequential},
		Workload: Workload{Messages: n, IntervalTicks: 1}})
	s := res.Summarize()
	if s.ExactlyOnce != n-1 || s.Missing != 1 || res.Messages[n-1].Deliveries != 0 || !res.Settled {
		t.Fatalf("%+v settled=%v: want the first 65,535 delivered and message 65,536 (id 1 again) dropped", s, res.Settled)
	}
	if res.PeakHeld != 65535 {
		t.Fatalf("receiver held at most %d ids, want all 65,535", res.PeakHeld)
	}
}

func publishIDs(res *Result) []uint16 {
	var ids []uint16
	for _, e := range res.Trace {
		if e.Kind == TSend && e.Packet.Type == model.PUBLISH {
			ids = append(ids, e.Packet.ID)
		}
	}
	return ids
}

// two-packet-content collapses equal messages; two-packet-msgid does not,
// and pays for it with a store that holds every message id ever seen.
func TestTwoPacketContentAndMsgID(t *testing.T) {
	w := Workload{Messages: 6, DistinctPayloads: 1} // a sensor sending "ON" six times
	if s := mustRun(t, Config{Variant: "two-packet-content", Workload: w}).Summarize(); s.ExactlyOnce != 1 || s.Missing != 5 {
		t.Fatalf("content: %+v, want one delivery and five collapsed", s)
	}
	res := mustRun(t, Config{Variant: "two-packet-msgid", Workload: Workload{Messages: 200}})
	if s := res.Summarize(); s.ExactlyOnce != 200 || res.PeakHeld != 200 {
		t.Fatalf("msgid: %+v peak held %d, want all delivered and 200 ids held", s, res.PeakHeld)
	}
}

// MQTT 5.0 session expiry in a run: when the connection stays down longer
// than the Session Expiry Interval both ends drop the session, so the
// message in flight is abandoned; a shorter outage or MQTT 3.1.1 keeps it.
func TestSessionExpiryInARun(t *testing.T) {
	faults := "break after-send PUBLISH#1" // reconnects after 50 ticks
	cases := []struct {
		version   model.Version
		expiry    int64
		abandoned bool
	}{
		{model.V5, 30, true},
		{model.V5, 100, false},
		{model.V5, 0, false},
		{model.V311, 30, false},
	}
	for _, c := range cases {
		res := mustRun(t, Config{Variant: "qos2-b", Endpoint: model.Config{Version: c.version, SessionExpiryTicks: c.expiry},
			Workload: Workload{Messages: 1}, Faults: mustSchedule(t, faults), Trace: true})
		m := res.Messages[0]
		if m.Abandoned != c.abandoned || (c.abandoned && (m.Deliveries != 0 || m.AbandonNote != "session expired while disconnected")) ||
			(!c.abandoned && m.Deliveries != 1) {
			t.Errorf("MQTT %v expiry %d: abandoned=%v (%q) deliveries=%d, want abandoned=%v\n%s",
				c.version, c.expiry, m.Abandoned, m.AbandonNote, m.Deliveries, c.abandoned, res.Trace)
		}
	}
}

// Publisher -> broker -> subscriber over QoS 2 on both legs, in every
// combination of Method A and B: every message reaches the subscriber's
// application exactly once, with breaks at each break point of either leg,
// a broker crash with durable state, and random breaks.
func TestBrokerQoS2ExactlyOnceEndToEnd(t *testing.T) {
	schedules := []string{
		"break after-send PUBLISH#1", "break after-send PUBREC#1", "break after-send PUBREL#1", "break after-send PUBCOMP#1",
		"break after-send PUBLISH#2", "break after-send PUBREC#2", "break after-send PUBREL#2", "break after-send PUBCOMP#2",
		"break after-recv PUBLISH#1; break after-recv PUBLISH#2",
		"crash broker after-recv PUBLISH#1", "crash broker after-recv PUBREL#1", "crash broker after-send PUBLISH#2",
	}
	for _, pub := range []string{"qos2-a", "qos2-b"} {
		for _, sub := range []string{"qos2-a", "qos2-b"} {
			for _, f := range schedules {
				res := mustRun(t, Config{Variant: pub, SubscriberVariant: sub, Topology: Brokered,
					Workload: Workload{Messages: 3}, Faults: mustSchedule(t, f), Trace: true})
				if s := res.Summarize(); s.ExactlyOnce != 3 || !res.Settled {
					t.Errorf("%s -> %s, %q: %+v settled=%v %v\n%s", pub, sub, f, s, res.Settled, res.Pending, res.Trace)
				}
				if res.Legs[0] != pub || res.Legs[1] != sub {
					t.Errorf("legs %v, want [%s %s]", res.Legs, pub, sub)
				}
			}
			for seed := uint64(1); seed <= 10; seed++ {
				res := mustRun(t, Config{Variant: pub, SubscriberVariant: sub, Topology: Brokered, Seed: seed,
					Workload: Workload{Messages: 20}, Network: Network{BreakMeanTicks: 40}})
				if s := res.Summarize(); s.ExactlyOnce != 20 || !res.Settled || res.Breaks == 0 {
					t.Errorf("%s -> %s, random breaks, seed %d: %+v breaks=%d settled=%v %v", pub, sub, seed, s, res.Breaks, res.Settled, res.Pending)
				}
			}
		}
	}
}

// The broker forwards at the lower QoS of publication and subscription
// [MQTT-3.8.4-8]: QoS 2 in, QoS 1 out is at least once end to end, so a
// lost PUBACK on the subscriber leg duplicates the message at the
// subscriber, however carefully the first leg delivered it.
func TestBrokerForwardsAtTheLowerQoS(t *testing.T) {
	cases := []struct {
		pub, sub string
		legs     [2]string
		faults   string
		once     int
		dup      int
	}{
		{"qos2-a", "qos1", [2]string{"qos2-a", "qos1"}, "break after-send PUBACK#1", 2, 1},
		{"qos2-b", "qos1", [2]string{"qos2-b", "qos1"}, "break after-send PUBACK#1", 2, 1},
		{"qos2-b", "qos1", [2]string{"qos2-b", "qos1"}, "", 3, 0},
		{"qos1", "qos2-b", [2]string{"qos1", "qos1"}, "break after-send PUBACK#1", 2, 1}, // downgraded to the publication's QoS
		{"qos0", "qos2-a", [2]string{"qos0", "qos0"}, "", 3, 0},
		{"two-packet-pid", "qos2-a", [2]string{"two-packet-pid", "qos2-a"}, "", 3, 0}, // both QoS 2 on the wire
	}
	for _, c := range cases {
		res := mustRun(t, Config{Variant: c.pub, SubscriberVariant: c.sub, Topology: Brokered,
			Workload: Workload{Messages: 3}, Faults: mustSchedule(t, c.faults), Trace: true})
		if res.Legs[0] != c.legs[0] || res.Legs[1] != c.legs[1] {
			t.Errorf("%s -> %s: legs %v, want %v", c.pub, c.sub, res.Legs, c.legs)
		}
		if s := res.Summarize(); s.ExactlyOnce != c.once || s.Duplicated != c.dup {
			t.Errorf("%s -> %s %q: %+v, want %d once and %d duplicated\n%s", c.pub, c.sub, c.faults, s, c.once, c.dup, res.Trace)
		}
	}
}

// three-packet passes the first three break points with one message, but
// at *3 nothing resends the PUBREL the break cut (no PUBCOMP is awaited), so
// the server holds the id for good and the run never settles; *4 does not
// exist for it.
func TestBreakPointsThreePacket(t *testing.T) {
	for _, c := range []struct {
		faults  string
		resends int
		settled bool
	}{
		{"break after-send PUBLISH#1", 1, true},
		{"break after-send PUBREC#1", 1, true},
		{"break after-send PUBREL#1", 0, false},
	} {
		res := mustRun(t, Config{Variant: "three-packet", Workload: Workload{Messages: 1}, Faults: mustSchedule(t, c.faults)})
		s := res.Summarize()
		if s.ExactlyOnce != 1 || s.PayloadResends != c.resends || res.Settled != c.settled || res.Packets[model.PUBCOMP] != 0 {
			t.Errorf("%s: %+v settled=%v %v", c.faults, s, res.Settled, res.Pending)
		}
		if !c.settled && (len(res.Pending) != 1 || res.Pending[0] != "server: id 1 held until PUBREL") {
			t.Errorf("%s: pending %v, want the server holding id 1", c.faults, res.Pending)
		}
	}
}

// Every registered variant runs end to end in both topologies and modes.
func TestEveryVariantRuns(t *testing.T) {
	for _, v := range model.Names() {
		for _, mode := range []model.Mode{model.Stream, model.Datagram} {
			for _, top := range []Topology{Direct, Brokered} {
				res := mustRun(t, Config{Variant: v, Topology: top, Endpoint: model.Config{Mode: mode}, Workload: Workload{Messages: 3, IntervalTicks: 50}})
				s := res.Summarize()
				// A clean network and publications far apart: every variant,
				// QoS 0 included, delivers each message once, except the
				// packet-id stores: each message finds id 1 free again and
				// the store still holding it, so only the first gets through.
				want := 3
				if v == "two-packet-pid" || v == "two-packet-pid-ttl" {
					want = 1
				}
				if !res.Settled || s.ExactlyOnce != want || s.Duplicated != 0 {
					t.Errorf("%s %v %v: %+v settled=%v %v", v, top, mode, s, res.Settled, res.Pending)
				}
			}
		}
	}
}

// Packet-id spaces are independent in each direction and on each leg: the
// broker numbers its PUBLISH packets to the subscriber from 1, whatever ids
// the publisher used [MQTT-2.2.1-4] [MQTT-2.2.1-3].
func TestPacketIDSpacesAreIndependent(t *testing.T) {
	res := mustRun(t, Config{Variant: "qos2-b", Topology: Brokered, Endpoint: model.Config{IDPolicy: model.Sequential},
		Workload: Workload{Messages: 3, IntervalTicks: 50}, Trace: true})
	ids := map[string][]uint16{}
	for _, e := range res.Trace {
		if e.Kind == TSend && e.Packet.Type == model.PUBLISH {
			ids[e.Node] = append(ids[e.Node], e.Packet.ID)
		}
	}
	want := []uint16{1, 2, 3}
	if fmt.Sprint(ids["publisher"]) != fmt.Sprint(want) || fmt.Sprint(ids["broker"]) != fmt.Sprint(want) {
		t.Fatalf("PUBLISH ids by sender: %v, want %v on each leg", ids, want)
	}
}

// BenchmarkTwoPacketStores times whole fault-free runs of 65,536 messages
// for each two-packet store: the store must stay O(1) per message.
func BenchmarkTwoPacketStores(b *testing.B) {
	for _, v := range []string{"two-packet-pid", "two-packet-pid-ttl", "two-packet-content", "two-packet-msgid"} {
		b.Run(v, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := Run(Config{Variant: v, Endpoint: model.Config{IDPolicy: model.Sequential},
					Workload: Workload{Messages: 65536, IntervalTicks: 1}})
				if err != nil || res.Summarize().Messages != 65536 {
					b.Fatal(err)
				}
			}
		})
	}
}
