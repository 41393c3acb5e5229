package explore

import "fmt"

// interrupted reports whether Options.Interrupt was closed (Ctrl-C): the
// search then stops where it is and reports what it covered.
func (o *Options) interrupted() bool {
	select {
	case <-o.Interrupt:
		return true
	default:
		return false
	}
}

// stopInterrupted marks r as an incomplete search stopped by an interrupt
// while level depth was being expanded: levels up to depth-1 were
// explored completely.
func stopInterrupted(r *Result, states, depth int) {
	r.Verdict, r.Interrupted = Incomplete, true
	if depth == 0 {
		r.Stopped = fmt.Sprintf("interrupted at %d state(s), before any level was expanded", states)
		return
	}
	r.Stopped = fmt.Sprintf("interrupted at %d states: levels 0..%d fully explored, level %d partly; no violation within depth %d",
		states, depth-1, depth, depth-1)
}
