package sim

import (
	"testing"

	"github.com/qoslab/qoslab/model"
)

// benchConfig is a many-message lossy datagram run with reordering: the
// simulator's steady state (arrivals, retransmission timers, deliveries).
func benchConfig(seed uint64) Config {
	return Config{
		Variant:  "qos2-b",
		Endpoint: model.Config{Mode: model.Datagram, ReceiveMax: 16, RetryTicks: 60},
		Workload: Workload{Messages: 10_000, IntervalTicks: 2},
		Network:  Network{Loss: 0.1, Dup: 0.02, JitterTicks: 8},
		Seed:     seed,
	}
}

// BenchmarkSimulatorEvents reports the event loop's throughput in events
// per second with tracing off; the target is 5 million per core with no
// allocation per event in steady state. Building the run (workload, result
// arrays: O(messages), once per run) is outside the timer; see
// BenchmarkSimulatorRun for whole runs.
func BenchmarkSimulatorEvents(b *testing.B) {
	b.ReportAllocs()
	var events int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := New(benchConfig(uint64(i)))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		events += s.Run().Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events)/float64(b.N), "events/run")
}

// BenchmarkSimulatorRun times whole runs, setup included.
func BenchmarkSimulatorRun(b *testing.B) {
	b.ReportAllocs()
	var events int64
	for i := 0; b.Loop(); i++ {
		res, err := Run(benchConfig(uint64(i)))
		if err != nil {
			b.Fatal(err)
		}
		events += res.Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSimulatorEventsRunner is BenchmarkSimulatorEvents with the runs
// on one Runner: from the second run on, the setup reuses the buffers of
// the last, so the loop no longer shares its core with collecting them.
// The whole run is timed, setup included.
func BenchmarkSimulatorEventsRunner(b *testing.B) {
	b.ReportAllocs()
	var r Runner
	var events int64
	for i := 0; b.Loop(); i++ {
		res, err := r.Run(benchConfig(uint64(i)))
		if err != nil {
			b.Fatal(err)
		}
		events += res.Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events)/float64(b.N), "events/run")
}
