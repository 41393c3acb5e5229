package explore

import (
	"syscall"
	"testing"

	"github.com/qoslab/qoslab/model"
)

// benchOptions is the bounded qos2 model the throughput goal is stated
// for: stream mode, 5 messages, 4 breaks, 2 crashes, 3 packet ids.
var benchOptions = Options{Variant: "qos2-b", Messages: 5, Breaks: 4, Crashes: 2, IDs: 3}

// BenchmarkExploreStream reports exhaustive-search throughput in states per
// second on one core (the search is single-threaded).
func BenchmarkExploreStream(b *testing.B) { benchExplore(b, benchOptions) }

// BenchmarkExploreDatagram is the same for a datagram network in FIFO
// order with losses and duplicates: 4 messages, 2 packet ids, 2 losses,
// 2 duplications (proven; 56,093 states).
func BenchmarkExploreDatagram(b *testing.B) {
	benchExplore(b, Options{Variant: "qos2-b", Mode: model.Datagram, Messages: 4, IDs: 2, Losses: 2, Dups: 2})
}

// BenchmarkExploreStreamLarge is a larger stream model (qos2-b, 7
// messages, 6 breaks, 3 crashes, 4 ids: 1,350,139 states), whose visited
// table outgrows the caches.
func BenchmarkExploreStreamLarge(b *testing.B) {
	benchExplore(b, Options{Variant: "qos2-b", Messages: 7, Breaks: 6, Crashes: 3, IDs: 4})
}

func benchExplore(b *testing.B, o Options) {
	b.ReportAllocs()
	states := 0
	cpu0 := cpuSeconds()
	for b.Loop() {
		r, err := Run(o)
		if err != nil {
			b.Fatal(err)
		}
		states += r.States
	}
	b.ReportMetric(float64(states)/b.Elapsed().Seconds(), "states/s")
	if cpu := cpuSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(float64(states)/cpu, "states/cpu-s")
	}
	b.ReportMetric(float64(states)/float64(b.N), "states/op")
}

// cpuSeconds is the process's user+system CPU time: on a shared machine
// states per CPU second is steadier than states per wall-clock second.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
