package sim

import (
	"testing"

	"github.com/qoslab/qoslab/model"
)

// A server that crashes after delivering (Method B) but keeps its session
// durable still recognises the retransmitted PUBLISH: exactly once holds.
func TestServerCrashWithDurableSession(t *testing.T) {
	res := mustRun(t, Config{Variant: "qos2-b", Workload: Workload{Messages: 1},
		Faults: mustSchedule(t, "crash server after-recv PUBLISH#1"), Trace: true})
	if s := res.Summarize(); s.ExactlyOnce != 1 || !res.Settled {
		t.Fatalf("%+v settled=%v %v\n%s", s, res.Settled, res.Pending, res.Trace)
	}
	if res.Crashes != 1 {
		t.Fatalf("crashes = %d, want 1", res.Crashes)
	}
}

// The same crash without durable session state: under MQTT 3.1.1 the client
// carries on with its session, resends the PUBLISH, and the server, which
// forgot the id, delivers it a second time. This is the assumption QoS 2
// rests on: the receiver's packet-id store must survive until PUBREL.
func TestServerCrashWithVolatileSessionDuplicates(t *testing.T) {
	res := mustRun(t, Config{Variant: "qos2-b", Endpoint: model.Config{Volatile: true, Version: model.V311},
		Workload: Workload{Messages: 1}, Faults: mustSchedule(t, "crash server after-recv PUBLISH#1"), Trace: true})
	if s := res.Summarize(); s.Duplicated != 1 {
		t.Fatalf("%+v: want the message delivered twice\n%s", s, res.Trace)
	}
}

// Under MQTT 5.0 the client learns from Session Present = 0 that the server
// lost the session and discards its own [MQTT-3.2.2-5]; with Method A the
// stored message died with the server, so it is never delivered, and the
// client abandons it, telling its application: the message's fate is
// abandoned, not lost, and the flow has ended, so the run settles.
func TestServerCrashWithVolatileSessionV5Abandons(t *testing.T) {
	res := mustRun(t, Config{Variant: "qos2-a", Endpoint: model.Config{Volatile: true},
		Workload: Workload{Messages: 1}, Faults: mustSchedule(t, "crash server after-recv PUBLISH#1"), Trace: true})
	s := res.Summarize()
	if s.Abandoned != 1 || s.Missing != 0 || res.Messages[0].Fate() != FateAbandoned {
		t.Fatalf("%+v fate %v: want the message abandoned, not lost\n%s", s, res.Messages[0].Fate(), res.Trace)
	}
	if !res.Settled || s.NeverCompleted != 0 {
		t.Fatalf("settled %v, pending %v: an abandoned flow has ended", res.Settled, res.Pending)
	}
}

// A client crash with a durable session: the client comes back, reconnects
// and finishes the flow.
func TestClientCrashRecovers(t *testing.T) {
	res := mustRun(t, Config{Variant: "qos2-a", Workload: Workload{Messages: 3},
		Faults: mustSchedule(t, "crash client after-recv PUBREC#1 restart +30"), Trace: true})
	if s := res.Summarize(); s.ExactlyOnce != 3 || !res.Settled {
		t.Fatalf("%+v settled=%v %v\n%s", s, res.Settled, res.Pending, res.Trace)
	}
}

// Datagram mode: a lost PUBREC is recovered by the retry timer, which
// resends the PUBLISH with DUP set; nothing is delivered twice.
func TestDatagramRetryAfterLoss(t *testing.T) {
	res := mustRun(t, Config{Variant: "qos2-b", Endpoint: model.Config{Mode: model.Datagram},
		Workload: Workload{Messages: 1}, Faults: mustSchedule(t, "lose PUBREC#1"), Trace: true})
	s := res.Summarize()
	if s.ExactlyOnce != 1 || s.PayloadResends != 1 || !res.Settled {
		t.Fatalf("%+v settled=%v\n%s", s, res.Settled, res.Trace)
	}
	if res.Packets[model.PUBLISH] != 2 || res.Packets[model.CONNECT] != 0 {
		t.Fatalf("packets %v: want 2 PUBLISH and no handshake in datagram mode", res.PacketCounts())
	}
}

// Datagram retransmissions stop at the retry limit and the message is
// abandoned: its flow ended (the run settles) and its fate is abandoned.
func TestDatagramRetryLimit(t *testing.T) {
	res := mustRun(t, Config{Variant: "qos2-b", Endpoint: model.Config{Mode: model.Datagram, RetryLimit: 2},
		Workload: Workload{Messages: 1}, Network: Network{Loss: 1, HealTicks: 1_000_000}, Trace: true})
	if res.Packets[model.PUBLISH] != 3 || res.Messages[0].Fate() != FateAbandoned || !res.Settled {
		t.Fatalf("PUBLISH sent %d times, abandoned=%v: want 3 transmissions then abandon\n%s",
			res.Packets[model.PUBLISH], res.Messages[0].Abandoned, res.Trace)
	}
}

// The broker topology delivers exactly once end to end over QoS 2 legs,
// even with loss on both legs.
func TestBrokerEndToEnd(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		res := mustRun(t, Config{Variant: "qos2-a", SubscriberVariant: "qos2-b", Topology: Brokered,
			Endpoint: model.Config{Mode: model.Datagram, RetryLimit: 50}, Workload: Workload{Messages: 10},
			Network: Network{Loss: 0.2}, Seed: seed})
		if s := res.Summarize(); s.ExactlyOnce != 10 || !res.Settled {
			t.Fatalf("seed %d: %+v %v", seed, s, res.Pending)
		}
	}
}
