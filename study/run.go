package study

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/qoslab/qoslab/sim"
)

// Shard selects a deterministic slice of a study's runs: run r belongs to
// shard r mod Count. The zero value is the whole study.
type Shard struct {
	Index, Count int
}

// ParseShard reads "i/n" with 0 <= i < n.
func ParseShard(s string) (Shard, error) {
	var sh Shard
	if s == "" {
		return Shard{0, 1}, nil
	}
	if _, err := fmt.Sscanf(s, "%d/%d", &sh.Index, &sh.Count); err != nil || fmt.Sprintf("%d/%d", sh.Index, sh.Count) != s {
		return sh, fmt.Errorf("shard %q: want i/n, e.g. 0/4", s)
	}
	if sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count {
		return sh, fmt.Errorf("shard %q: need 0 <= i < n", s)
	}
	return sh, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.norm().Count) }

func (s Shard) norm() Shard {
	if s.Count == 0 {
		return Shard{0, 1}
	}
	return s
}

// Runs returns how many of total runs fall in the shard.
func (s Shard) Runs(total int) int {
	s = s.norm()
	if total <= s.Index {
		return 0
	}
	return (total-s.Index-1)/s.Count + 1
}

// Plan is what Execute runs: every cell Runs times, run r with seed
// Seed+r (the same seeds in every cell: common random numbers make the
// cells' differences sharper than independent seeds would).
type Plan struct {
	Cells []sim.Config // Trace is forced off; Seed is set per run
	Runs  int
	Seed  uint64
	Shard Shard
	// Workers is the number of goroutines (0: GOMAXPROCS). The result does
	// not depend on it.
	Workers int
	// Progress, if set, is called after each run with the number done; it
	// is called from the worker goroutines and must be safe for that.
	Progress func(done int64)
}

// Total is the number of runs the plan's shard makes.
func (p Plan) Total() int { return p.Shard.Runs(p.Runs) * len(p.Cells) }

// Execute runs the plan and returns one accumulator per cell and the
// number of runs finished. When ctx is cancelled it stops taking new runs,
// waits for those in progress and returns ctx.Err() with the count so far.
func Execute(ctx context.Context, p Plan) ([]Acc, int64, error) {
	sh := p.Shard.norm()
	perCell := sh.Runs(p.Runs)
	total := int64(perCell * len(p.Cells))
	workers := p.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = int(min(int64(workers), max(total, 1)))
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next, done atomic.Int64
	var firstErr error
	var errOnce sync.Once
	parts := make([][]Acc, workers)
	var wg sync.WaitGroup
	for w := range workers {
		accs := make([]Acc, len(p.Cells))
		for i := range accs {
			accs[i] = NewAcc()
		}
		parts[w] = accs
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One Runner per worker: Acc.Add keeps numbers only, never the
			// result or its arrays, so each result may be overwritten by the
			// worker's next run.
			var runner sim.Runner
			for ctx.Err() == nil {
				t := next.Add(1) - 1
				if t >= total {
					return
				}
				// Task t is the (t / cells)-th run of the shard in cell t mod cells,
				// so every cell advances together and an interrupted study is even.
				cell, k := int(t%int64(len(p.Cells))), int(t/int64(len(p.Cells)))
				cfg := p.Cells[cell]
				cfg.Trace = false
				cfg.Seed = p.Seed + uint64(sh.Index+k*sh.Count)
				res, err := runner.Run(cfg)
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("run %s: %w", cfg.Command(), err) })
					cancel()
					return
				}
				accs[cell].Add(res)
				d := done.Add(1)
				if p.Progress != nil {
					p.Progress(d)
				}
			}
		}()
	}
	wg.Wait()
	out := make([]Acc, len(p.Cells))
	for i := range out {
		out[i] = NewAcc()
		for _, part := range parts {
			out[i].Merge(part[i])
		}
	}
	if firstErr != nil {
		return out, done.Load(), firstErr
	}
	return out, done.Load(), parent.Err()
}
