package explore

import (
	"testing"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// The datagram verdict table: every combination of loss, reordering,
// duplication and early timers, with 2 messages, 1 packet id (so the second
// message reuses the first one's id), retry limit 2, one loss and one
// duplication where those are on. reproduced says whether the simulator
// replay shows the same violation (today every one does).
var datagramTable = []struct {
	variant, network string
	want             counts
	property         string
	steps            int
	reproduced       bool
}{
	{"qos2-a", "none", counts{Proven, 15, 18, 10}, "", 0, false},
	{"qos2-a", "loss", counts{Proven, 58, 85, 12}, "", 0, false},
	{"qos2-a", "reorder", counts{Proven, 15, 18, 10}, "", 0, false},
	{"qos2-a", "loss+reorder", counts{Proven, 58, 85, 12}, "", 0, false},
	{"qos2-a", "dup", counts{Proven, 62, 100, 12}, "", 0, false},
	{"qos2-a", "loss+dup", counts{Proven, 222, 441, 14}, "", 0, false},
	{"qos2-a", "reorder+dup", counts{Violated, 61, 100, 8}, "no-duplicate", 8, true},
	{"qos2-a", "loss+reorder+dup", counts{Violated, 163, 302, 8}, "no-duplicate", 8, true},
	{"qos2-a", "early-timers", counts{Violated, 936, 1872, 15}, "no-loss", 15, true},
	{"qos2-a", "loss+early-timers", counts{Violated, 1365, 4041, 13}, "no-loss", 13, true},
	{"qos2-a", "reorder+early-timers", counts{Violated, 274, 482, 8}, "no-duplicate", 8, true},
	{"qos2-a", "loss+reorder+early-timers", counts{Violated, 480, 1058, 8}, "no-duplicate", 8, true},
	{"qos2-a", "dup+early-timers", counts{Violated, 3405, 10037, 15}, "no-loss", 15, true},
	{"qos2-a", "loss+dup+early-timers", counts{Violated, 3804, 14211, 12}, "no-loss", 12, true},
	{"qos2-a", "reorder+dup+early-timers", counts{Violated, 720, 1506, 8}, "no-duplicate", 8, true},
	{"qos2-a", "loss+reorder+dup+early-timers", counts{Violated, 1186, 2985, 8}, "no-duplicate", 8, true},
	{"qos2-b", "none", counts{Proven, 15, 18, 10}, "", 0, false},
	{"qos2-b", "loss", counts{Proven, 58, 85, 12}, "", 0, false},
	{"qos2-b", "reorder", counts{Proven, 15, 18, 10}, "", 0, false},
	{"qos2-b", "loss+reorder", counts{Proven, 58, 85, 12}, "", 0, false},
	{"qos2-b", "dup", counts{Proven, 62, 100, 12}, "", 0, false},
	{"qos2-b", "loss+dup", counts{Proven, 222, 441, 14}, "", 0, false},
	{"qos2-b", "reorder+dup", counts{Violated, 36, 56, 6}, "no-duplicate", 6, true},
	{"qos2-b", "loss+reorder+dup", counts{Violated, 84, 142, 6}, "no-duplicate", 6, true},
	{"qos2-b", "early-timers", counts{Violated, 936, 1872, 15}, "no-loss", 15, true},
	{"qos2-b", "loss+early-timers", counts{Violated, 1365, 4041, 13}, "no-loss", 13, true},
	{"qos2-b", "reorder+early-timers", counts{Violated, 72, 114, 6}, "no-duplicate", 6, true},
	{"qos2-b", "loss+reorder+early-timers", counts{Violated, 120, 223, 6}, "no-duplicate", 6, true},
	{"qos2-b", "dup+early-timers", counts{Violated, 3405, 10037, 15}, "no-loss", 15, true},
	{"qos2-b", "loss+dup+early-timers", counts{Violated, 3804, 14211, 12}, "no-loss", 12, true},
	{"qos2-b", "reorder+dup+early-timers", counts{Violated, 156, 286, 6}, "no-duplicate", 6, true},
	{"qos2-b", "loss+reorder+dup+early-timers", counts{Violated, 243, 508, 6}, "no-duplicate", 6, true},
}

func TestDatagramVerdictTable(t *testing.T) {
	nets := map[string]Network{}
	for _, n := range Networks() {
		nets[n.Name] = n
	}
	for i, c := range datagramTable {
		// Every worker count in turn: the outcome does not depend on it.
		o := nets[c.network].Options(Options{Variant: c.variant, Messages: 2, IDs: 1, Workers: 1 + i%3})
		r := mustRun(t, o)
		if got := r.counts(); got != c.want {
			t.Errorf("%s %s: got %+v, want %+v", c.variant, c.network, got, c.want)
		}
		v := r.Violation
		if (v == nil) != (c.property == "") {
			t.Errorf("%s %s: violation %v, want %q", c.variant, c.network, v, c.property)
			continue
		}
		if v == nil {
			continue
		}
		if v.Property.String() != c.property || len(v.Steps) != c.steps || v.Reproduced != c.reproduced {
			t.Errorf("%s %s: %s in %d steps, reproduced %v; want %s in %d, %v (%s)", c.variant, c.network,
				v.Property, len(v.Steps), v.Reproduced, c.property, c.steps, c.reproduced, v.ReplayNote)
		}
		if !v.Reproduced && v.ReplayNote == "" {
			t.Errorf("%s %s: an inexact replay must say why", c.variant, c.network)
		}
	}
}

// The explorer's verdicts agree with a random search in the simulator: where
// the explorer proves a network safe, 200 seeded random runs find nothing;
// where it finds a counterexample, random runs find the same kind.
func TestVerdictsAgreeWithRandomSearch(t *testing.T) {
	cases := []struct {
		name    string
		explore Options
		network sim.Network
		retry   int64 // 1000: later than any round trip, so timers never fire early
		want    Property
	}{
		{"dup, in order", Options{Dups: 1}, sim.Network{Dup: 0.3}, 1000, 0},
		{"reorder, no dup", Options{Reorder: true}, sim.Network{JitterTicks: 30}, 1000, 0},
		{"reorder+dup", Options{Reorder: true, Dups: 1}, sim.Network{Dup: 0.3, JitterTicks: 30}, 1000, NoDuplicate},
		{"reorder+early timers", Options{Reorder: true, EarlyTimers: true}, sim.Network{JitterTicks: 80}, 100, NoDuplicate},
		{"3 losses exhaust the retries", Options{Losses: 3}, sim.Network{Loss: 0.1}, 100, NoLoss},
	}
	for _, v := range []string{"qos2-a", "qos2-b"} {
		for _, c := range cases {
			o := c.explore
			o.Variant, o.Mode, o.Messages, o.IDs = v, model.Datagram, 2, 1
			r := mustRun(t, o)
			var got Property
			if r.Violation != nil {
				got = r.Violation.Property
			}
			found := 0
			for seed := uint64(1); seed <= 200; seed++ {
				res, err := sim.Run(sim.Config{Variant: v, Seed: seed, Network: c.network, Workload: sim.Workload{Messages: 2},
					Endpoint: model.Config{Mode: model.Datagram, IDSpace: 1, RetryLimit: 2, RetryTicks: c.retry}})
				if err != nil {
					t.Fatal(err)
				}
				if c.want != 0 && showsViolation(res, c.want, 0) || c.want == 0 && (showsViolation(res, NoDuplicate, 0) || showsViolation(res, NoLoss, 0)) {
					found++
				}
			}
			if got != c.want || (c.want == 0) != (found == 0) {
				t.Errorf("%s %s: explorer %v, want %v; random search found %d violating runs of 200", v, c.name, got, c.want, found)
			}
		}
	}
}
