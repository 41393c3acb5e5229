package model

import "testing"

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
