package sim

import (
	"math/rand/v2"
	"testing"
)

// The calendar queue pops exactly what a plain (at, seq) heap pops, for
// pushes near now, beyond the window, at now itself and in the past.
func TestEventQueueMatchesHeap(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		var q eventQueue
		q.reset()
		var ref eventHeap
		var seq int64
		now := int64(0)
		push := func(at int64) {
			seq++
			e := event{at: at, extra: seq}
			q.push(e)
			ref.push(e)
		}
		for range 5000 {
			if q.len() != ref.len() {
				t.Fatalf("seed %d: len %d, heap %d", seed, q.len(), ref.len())
			}
			if q.len() == 0 || rng.IntN(100) < 55 {
				switch r := rng.IntN(100); {
				case r < 60:
					push(now + rng.Int64N(80)) // latency, jitter, retries
				case r < 75:
					push(now) // forwards and faults: due at once
				case r < 90:
					push(now + calWindow - 2 + rng.Int64N(5)) // the window's edge
				case r < 97:
					push(now + rng.Int64N(20*calWindow)) // far ahead
				default:
					push(now - rng.Int64N(30)) // in the past
				}
				continue
			}
			got, want := *q.pop(), ref.pop()
			if got.at != want.at || got.extra != want.extra {
				t.Fatalf("seed %d: popped (at %d, #%d), heap popped (at %d, #%d)", seed, got.at, got.extra, want.at, want.extra)
			}
			now = got.at
		}
	}
}
