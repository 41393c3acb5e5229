package model

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The queue is FIFO whatever the mix of pushes and pops, and a queue that
// fills faster than it drains grows by its live entries only.
func TestMsgQueueFIFO(t *testing.T) {
	var q msgQueue
	var want []uint32
	next := uint32(1)
	// Push three, pop one, 3000 times: the backlog grows to 6000, as in a
	// sender whose window drains slower than the application publishes.
	for round := range 3000 {
		for range 3 {
			q.push(Message{Ref: next})
			want = append(want, next)
			next++
		}
		if got := q.pop().Ref; got != want[0] {
			t.Fatalf("round %d: popped m%d, want m%d", round, got, want[0])
		}
		want = want[1:]
		if q.len() != len(want) {
			t.Fatalf("round %d: len %d, want %d", round, q.len(), len(want))
		}
	}
	if c := cap(q.items); c > 4*q.len() {
		t.Errorf("capacity %d for %d live messages", c, q.len())
	}
	for i, m := range q.pending() {
		if m.Ref != want[i] {
			t.Fatalf("pending[%d] = m%d, want m%d", i, m.Ref, want[i])
		}
	}
	for len(want) > 0 {
		if got := q.pop().Ref; got != want[0] {
			t.Fatalf("drain: popped m%d, want m%d", got, want[0])
		}
		want = want[1:]
	}
	if q.len() != 0 {
		t.Fatalf("drained queue has len %d", q.len())
	}
}

// removeOrdered and appendSlot keep a list in order whatever is removed,
// and a list that loses its front as fast as it grows keeps its array.
func TestOrderedList(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var s, arr []int
	var ref []int
	next := 0
	for range 20000 {
		if len(ref) == 0 || rng.IntN(2) == 0 {
			var x *int
			s, arr, x = appendSlot(s, arr)
			*x = next
			ref = append(ref, next)
			next++
		} else {
			i := rng.IntN(len(ref))
			if rng.IntN(3) > 0 {
				i = 0 // mostly the front, as flows end
			}
			s = removeOrdered(s, i)
			ref = append(ref[:i], ref[i+1:]...)
		}
		if !slices.Equal(s, ref) {
			t.Fatalf("list %v, want %v", s, ref)
		}
	}
	// One run of many flows: AllocsPerRun rounds its average down, and a
	// list that grew by append would allocate once per its length in flows.
	allocs := testing.AllocsPerRun(1, func() {
		for range 1 << 16 {
			var x *int
			s, arr, x = appendSlot(s, arr)
			*x = next
			next++
			s = removeOrdered(s, 0)
		}
	})
	if allocs != 0 {
		t.Fatalf("a list of %d that loses its front as it grows allocated %v times in %d flows", len(s), allocs, 1<<16)
	}
}
