package properties

import (
	"strings"
	"testing"
	"time"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// BenchmarkSchedules measures the search's throughput on one core: cases of
// exactly five messages, each simulated with its trace and judged for
// exactly once. The goal is at least 5,000 schedules per second per core.
// The datagram search draws loss and duplication without reordering, the
// network QoS 2 holds on (explore's verdict table): since a copy may come
// late, the default datagram space finds QoS 2's late duplicate, and a
// throughput figure is for a search that runs to the end.
func BenchmarkSchedules(b *testing.B) {
	for _, mode := range []model.Mode{model.Stream, model.Datagram} {
		space := Space{MinMessages: 5, MaxMessages: 5}
		if mode == model.Datagram {
			space.Actions = []sim.Action{sim.Lose, sim.Dup}
		}
		b.Run(mode.String(), func(b *testing.B) {
			tried := 0
			for i := 0; b.Loop(); i++ {
				r, err := Search{Config: sim.Config{Variant: "qos2-b", Endpoint: model.Config{Mode: mode}},
					Space: space, Tests: ShardTests, Seed: uint64(i), Workers: 1}.Run()
				if err != nil || !r.Held {
					b.Fatalf("%v\n%s", err, r)
				}
				tried += r.Tried
			}
			b.ReportMetric(float64(tried)/b.Elapsed().Seconds(), "schedules/s")
		})
	}
}

// BenchmarkCounterexample measures, on one core, how long a search takes to
// its first counterexample and to the shrunk one, for each variant the
// search must break (goal for the two-packet variants: first within 100 ms,
// shrunk within 1 s). Each iteration searches with another seed.
func BenchmarkCounterexample(b *testing.B) {
	for _, e := range expectedFailures {
		b.Run(e.golden, func(b *testing.B) {
			var first, shrunk time.Duration
			tried := 0
			for i := 0; b.Loop(); i++ {
				s := e.search
				s.Tests, s.Seed, s.Workers = 100_000, uint64(i), 1
				r, err := s.Run()
				if err != nil || r.Held {
					b.Fatalf("seed %d: %v\n%s", i, err, r)
				}
				first += r.FirstFound
				shrunk += r.Elapsed
				tried += r.Tried
			}
			n := float64(b.N)
			b.ReportMetric(first.Seconds()*1000/n, "ms-first")
			b.ReportMetric(shrunk.Seconds()*1000/n, "ms-shrunk")
			b.ReportMetric(float64(tried)/n, "schedules-to-first")
		})
	}
}

// BenchmarkLongSearch is the deep search of the QoS 2 stream guarantees: a
// million schedules per variant per iteration, on every core.
func BenchmarkLongSearch(b *testing.B) {
	for _, variant := range []string{"qos2-a", "qos2-b"} {
		b.Run(variant, func(b *testing.B) {
			tried := 0
			for i := 0; b.Loop(); i++ {
				r, err := Search{Config: sim.Config{Variant: variant}, Property: guarantees,
					Space: Space{ReceiveMax: []int{1, 2, 65535}, RepeatPayloads: true, MaxMessages: 8, MaxFaults: 6},
					Tests: 1_000_000, Seed: uint64(1000 + i)}.Run()
				if err != nil || !r.Held {
					b.Fatalf("%v\n%s", err, strings.TrimSpace(r.String()))
				}
				tried += r.Tried
			}
			b.ReportMetric(float64(tried)/b.Elapsed().Seconds(), "schedules/s")
		})
	}
}
