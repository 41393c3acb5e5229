package explore

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// walk runs seeded random walks from the initial state, each up to
// WalkDepth moves or until no move is enabled, checking safety after every
// move. A violation it finds is real but not necessarily shortest; finding
// none proves nothing.
func (x *system) walk() *Result {
	r := &Result{Options: x.o, Verdict: Incomplete}
	start := time.Now()
	defer func() { r.Elapsed = time.Since(start) }()
	rng := rand.New(rand.NewPCG(x.o.Seed, 0x6a09e667f3bcc909))
	var moves []move
	path := make([]move, 0, x.o.WalkDepth)
	for w := 0; w < x.o.Walks; w++ {
		if x.o.interrupted() {
			r.Interrupted = true
			r.Stopped = fmt.Sprintf("interrupted after %d of %d random walks: no violation in them (walks prove nothing)", w, x.o.Walks)
			return r
		}
		s := x.initial()
		path = path[:0]
		for len(path) < x.o.WalkDepth {
			moves = x.moves(&s, moves[:0])
			if x.err != nil {
				return r
			}
			if len(moves) == 0 {
				break
			}
			m := moves[rng.IntN(len(moves))]
			var n state
			x.apply(&n, &s, m)
			s = n
			x.persist(&s)
			path = append(path, m)
			r.Transitions++
			r.States++
			if p, msg := x.check(&s); p != 0 {
				r.Verdict, r.Violation = Violated, x.violation(append([]move(nil), path...), p, msg)
				r.MaxDepth = max(r.MaxDepth, len(path))
				return r
			}
		}
		r.MaxDepth = max(r.MaxDepth, len(path))
		if x.o.Progress != nil && w&1023 == 1023 {
			x.o.Progress(Progress{States: r.States, Transitions: r.Transitions, Depth: r.MaxDepth})
		}
	}
	r.Stopped = fmt.Sprintf("random walks check safety only and cannot prove it: %d walks of at most %d moves found no violation",
		x.o.Walks, x.o.WalkDepth)
	return r
}
