package sim

import (
	"slices"
	"strings"
	"testing"

	_ "github.com/qoslab/qoslab/internal/mutant"
	"github.com/qoslab/qoslab/model"
)

// The topologies where packet ids are in use in both directions of one
// connection deliver every message exactly once over QoS 2, fault-free and
// through breaks at each break point of every connection, crashes with
// durable sessions, and random breaks.
func TestTwoWayTopologiesExactlyOnce(t *testing.T) {
	schedules := []string{"",
		"break after-send PUBLISH#1", "break after-send PUBREC#1", "break after-send PUBREL#1", "break after-send PUBCOMP#1",
		"break after-send PUBLISH#2", "break after-send PUBREC#2", "break after-send PUBREL#2", "break after-send PUBCOMP#2",
		"break after-recv PUBLISH#3; break after-send PUBREC#4",
	}
	for _, top := range []Topology{Duplex, Pair, Self} {
		crash := "crash broker after-recv PUBLISH#2"
		if top == Duplex {
			crash = "crash server after-recv PUBLISH#2"
		}
		for _, v := range []string{"qos2-a", "qos2-b"} {
			for _, f := range append(schedules, crash) {
				for _, ver := range []model.Version{model.V5, model.V311} {
					res := mustRun(t, Config{Variant: v, Topology: top, Endpoint: model.Config{Version: ver},
						Workload: Workload{Messages: 4}, Faults: mustSchedule(t, f), Trace: true})
					if s := res.Summarize(); s.ExactlyOnce != 4 || !res.Settled {
						t.Errorf("%s %s %s %q: %+v settled=%v %v\n%s", top, v, ver, f, s, res.Settled, res.Pending, res.Trace)
					}
				}
			}
			for seed := uint64(1); seed <= 10; seed++ {
				res := mustRun(t, Config{Variant: v, Topology: top, Seed: seed, Workload: Workload{Messages: 20},
					Network: Network{BreakMeanTicks: 40}})
				if s := res.Summarize(); s.ExactlyOnce != 20 || !res.Settled || res.Breaks == 0 {
					t.Errorf("%s %s random breaks seed %d: %+v breaks=%d %v", top, v, seed, s, res.Breaks, res.Pending)
				}
			}
		}
	}
}

// In the two-way topologies both ends of a connection pick packet ids on
// their own, so the same id is in flight both ways at once: what makes a
// table shared by both directions fail.
func TestTwoWayTopologiesReuseIDsBothWays(t *testing.T) {
	for _, top := range []Topology{Duplex, Pair, Self} {
		res := mustRun(t, Config{Topology: top, Workload: Workload{Messages: 2}, Trace: true})
		if !bothWays(res.Trace) {
			t.Errorf("%s: no id in flight both ways on one connection\n%s", top, res.Trace)
		}
	}
}

// bothWays reports whether some connection carried a PUBLISH in each
// direction under the same packet id while both flows were open.
func bothWays(tr Trace) bool {
	type dir struct{ from, to string }
	open := map[dir]map[uint16]bool{}
	for _, e := range tr {
		if e.Kind != TSend || e.Packet == nil {
			continue
		}
		d := dir{e.Node, e.Peer}
		if open[d] == nil {
			open[d] = map[uint16]bool{}
		}
		switch e.Packet.Type {
		case model.PUBLISH:
			open[d][e.Packet.ID] = true
			if open[dir{e.Peer, e.Node}][e.Packet.ID] {
				return true
			}
		case model.PUBCOMP:
			delete(open[dir{e.Peer, e.Node}], e.Packet.ID)
		}
	}
	return false
}

// The shared-id-table mutant (internal/mutant) is plain QoS 2 one way and
// goes wrong as soon as both directions of a connection use the same id:
// the peer's PUBLISH deletes our flow from the shared table, so our message
// is never completed (nor ever resent: with a break it is lost).
func TestSharedIDTableFailsBothWaysOnly(t *testing.T) {
	one := mustRun(t, Config{Variant: "shared-id-table", Workload: Workload{Messages: 3},
		Faults: mustSchedule(t, "break after-send PUBREC#1")})
	if s := one.Summarize(); s.ExactlyOnce != 3 || len(s.CompleteTicks) != 3 || !one.Settled {
		t.Fatalf("one way: %+v %v", s, one.Pending)
	}
	for _, top := range []Topology{Duplex, Pair, Self} {
		res := mustRun(t, Config{Variant: "shared-id-table", Topology: top, Workload: Workload{Messages: 2}, Trace: true})
		if s := res.Summarize(); len(s.CompleteTicks) == 2 {
			t.Errorf("%s: the shared table went unnoticed: %+v\n%s", top, s, res.Trace)
		}
		res = mustRun(t, Config{Variant: "shared-id-table", Topology: top, Workload: Workload{Messages: 2},
			Faults: mustSchedule(t, "break after-recv PUBLISH#2"), Trace: true})
		if s := res.Summarize(); s.ExactlyOnce == 2 && len(s.CompleteTicks) == 2 {
			t.Errorf("%s with a break: %+v\n%s", top, s, res.Trace)
		}
	}
}

// A clean-start subscriber loses its session at every break: the broker
// discards the message in flight to it (m1: completed by the publisher,
// never delivered), and until the client has subscribed again, messages
// have no subscription to go to (m3, m4: unrouted, no delivery owed).
func TestCleanStartResubscribes(t *testing.T) {
	res := mustRun(t, Config{Topology: Brokered, Endpoint: model.Config{CleanStart: true}, Workload: Workload{Messages: 6, IntervalTicks: 20},
		Faults: mustSchedule(t, "break after-send PUBLISH#2 reconnect +30"), Trace: true})
	s := res.Summarize()
	if res.Packets[model.SUBSCRIBE] != 2 || s.Duplicated != 0 || s.Missing != 1 || s.Unrouted != 2 || s.ExactlyOnce != 3 ||
		res.Messages[0].Deliveries != 0 || !res.Messages[2].Unrouted || !res.Messages[3].Unrouted {
		t.Fatalf("%+v SUBSCRIBE %d\n%s", s, res.Packets[model.SUBSCRIBE], res.Trace)
	}
	if !strings.Contains(res.Trace.String(), "recv     CONNACK sp=0") {
		t.Fatalf("no fresh session\n%s", res.Trace)
	}
	// A persistent subscriber never subscribes again: its session stays.
	res = mustRun(t, Config{Topology: Brokered, Workload: Workload{Messages: 6, IntervalTicks: 20},
		Faults: mustSchedule(t, "break after-send PUBLISH#2 reconnect +30")})
	if s := res.Summarize(); res.Packets[model.SUBSCRIBE] != 0 || s.ExactlyOnce != 6 {
		t.Fatalf("persistent: %+v SUBSCRIBE %d", s, res.Packets[model.SUBSCRIBE])
	}
}

// A broker whose sessions die with it (volatile) forgets the subscription:
// the subscriber is told Session Present 0 and subscribes again.
func TestVolatileBrokerCrashResubscribes(t *testing.T) {
	res := mustRun(t, Config{Topology: Brokered, Endpoint: model.Config{Volatile: true}, Workload: Workload{Messages: 3},
		Faults: mustSchedule(t, "crash broker at 5"), Trace: true})
	if res.Packets[model.SUBSCRIBE] != 1 || res.Packets[model.SUBACK] != 1 {
		t.Fatalf("SUBSCRIBE %d SUBACK %d\n%s", res.Packets[model.SUBSCRIBE], res.Packets[model.SUBACK], res.Trace)
	}
}

// With choices open, the simulator draws each from the run's seed: the
// same seed gives the same run, other seeds take other ids, and every run
// still delivers exactly once.
func TestChoicesDrawnFromTheSeed(t *testing.T) {
	cfg := Config{Topology: Pair, Endpoint: model.Config{IDPolicy: model.AnyFree, IDSpace: 50, Choices: model.AllChoices},
		Workload: Workload{Messages: 8}, Network: Network{BreakMeanTicks: 30}, Trace: true}
	ids := map[string]bool{}
	for seed := uint64(1); seed <= 20; seed++ {
		cfg.Seed = seed
		a, b := mustRun(t, cfg), mustRun(t, cfg)
		if a.Trace.String() != b.Trace.String() {
			t.Fatalf("seed %d: two runs differ", seed)
		}
		if s := a.Summarize(); s.ExactlyOnce != 8 || !a.Settled {
			t.Errorf("seed %d: %+v %v", seed, s, a.Pending)
		}
		var first []string
		for _, e := range a.Trace {
			if e.Kind == TSend && e.Packet.Type == model.PUBLISH && len(first) < 3 {
				first = append(first, e.Packet.Label())
			}
		}
		ids[strings.Join(first, ",")] = true
	}
	if len(ids) < 5 {
		t.Errorf("only %d distinct id choices over 20 seeds: %v", len(ids), slices.Collect(func(yield func(string) bool) {
			for k := range ids {
				if !yield(k) {
					return
				}
			}
		}))
	}
}

// Every topology's layout names its nodes in the order the simulator
// builds them, and the fault schedule can crash each by name.
func TestLayoutsCrashEveryNode(t *testing.T) {
	for top := Direct; top < numTopologies; top++ {
		for _, n := range top.Layout().Names() {
			res := mustRun(t, Config{Topology: top, Workload: Workload{Messages: 2}, Faults: mustSchedule(t, "crash "+n+" at 25")})
			if res.Crashes != 1 || res.Unfired != nil {
				t.Errorf("%s: crash %s: crashes %d unfired %v", top, n, res.Crashes, res.Unfired)
			}
			if s := res.Summarize(); s.Duplicated != 0 || s.Missing != 0 {
				t.Errorf("%s: crash %s (durable): %+v", top, n, s)
			}
		}
	}
}

// FreshSessions starts every node with a new session, as the clients of a
// conformance run start: the subscriber subscribes in the run, on a
// session it then keeps (Clean Start 0), and the first message waits for
// the SUBACK, so nothing goes unrouted.
func TestFreshSessionsSubscribeInTheRun(t *testing.T) {
	res := mustRun(t, Config{Topology: Brokered, FreshSessions: true, Workload: Workload{Messages: 2}, Trace: true,
		Faults: mustSchedule(t, "break after-send PUBREC#1")})
	s := res.Summarize()
	if res.Packets[model.SUBSCRIBE] != 1 || s.ExactlyOnce != 2 || s.Unrouted != 0 {
		t.Fatalf("%+v SUBSCRIBE %d\n%s", s, res.Packets[model.SUBSCRIBE], res.Trace)
	}
	if tr := res.Trace.String(); !strings.Contains(tr, "subscriber recv     CONNACK sp=0") || !strings.Contains(tr, "publisher  recv     CONNACK sp=1") {
		t.Fatalf("want a new session first, then the publisher's resumed after the break\n%s", tr)
	}
}
