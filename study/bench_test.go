package study

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"

	"github.com/qoslab/qoslab/sim"
)

// benchSweep is a loss sweep of QoS 2 (both methods) over lossy datagrams,
// 10 messages a run: 5 values x 2 variants x runs.
func benchSweep(b *testing.B, runs int) (Study, []sim.Config) {
	p, err := LookupParam("loss")
	if err != nil {
		b.Fatal(err)
	}
	st, cells, err := Sweep(sim.Config{Workload: sim.Workload{Messages: 10}}, p, []float64{0, 0.05, 0.1, 0.2, 0.3},
		[]string{"qos2-a", "qos2-b"}, runs, 1)
	if err != nil {
		b.Fatal(err)
	}
	return st, cells
}

// heapSampler records the largest live heap seen while a study runs,
// sampled every 1,024 runs: the heap marked live by the latest GC
// (runtime/metrics /gc/heap/live:bytes; garbage not yet collected is not
// counted, so the figure does not depend on GC timing).
type heapSampler struct {
	mu     sync.Mutex
	sample []metrics.Sample
	peak   uint64
}

func newHeapSampler() *heapSampler {
	return &heapSampler{sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
}

func (h *heapSampler) progress(done int64) {
	if done%1024 != 0 {
		return
	}
	h.mu.Lock()
	metrics.Read(h.sample)
	h.peak = max(h.peak, h.sample[0].Value.Uint64())
	h.mu.Unlock()
}

// BenchmarkSweep runs sweeps of 10,000, 100,000 and 1,000,000 runs (to
// show that memory stays flat as runs grow): runs/s, bytes allocated per run,
// the peak live heap during the sweep (peak-heap-B; it includes what the
// workers allocate while the GC marks, so it is noisy) and the heap retained
// after a full GC with the results held (retained-B). Neither may grow with
// the number of runs: statistics are streamed into accumulators whose size
// depends on the cells, not the runs.
//
//	go test ./study -run '^$' -bench Sweep -benchtime 1x
func BenchmarkSweep(b *testing.B) {
	for _, perCell := range []int{1_000, 10_000, 100_000} { // x 10 cells: 10,000 to 1,000,000 runs
		b.Run(fmt.Sprintf("runs=%d", perCell*10), func(b *testing.B) {
			_, cells := benchSweep(b, perCell)
			b.ReportAllocs()
			var total int64
			h := newHeapSampler()
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var accs []Acc
			for b.Loop() {
				var done int64
				var err error
				accs, done, err = Execute(context.Background(), Plan{Cells: cells, Runs: perCell, Seed: 1, Progress: h.progress})
				if err != nil {
					b.Fatal(err)
				}
				total += done
			}
			runtime.ReadMemStats(&after)
			// What a study keeps: the heap after a full GC with its results
			// still held. This, not the allocation rate, is what must not grow
			// with the number of runs.
			runtime.GC()
			var kept runtime.MemStats
			runtime.ReadMemStats(&kept)
			b.ReportMetric(float64(kept.HeapAlloc), "retained-B")
			runtime.KeepAlive(accs)
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "runs/s")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(total), "B/run")
			b.ReportMetric(float64(h.peak), "peak-heap-B")
		})
	}
}
