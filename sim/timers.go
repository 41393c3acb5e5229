package sim

import "github.com/qoslab/qoslab/model"

// timerTable holds the timerState of each timer a slot has used. It
// replaces a map on the hot path (every datagram send arms a timer, every
// completion cancels one): open addressing with linear probing over a
// power-of-two array. Entries are never removed, as a cancelled timer's
// generation must outlive the event still queued for it, so the table
// needs no tombstones; it holds as many entries as the slot has distinct
// timers (packet ids in use at some point, plus the session timer).
type timerTable struct {
	entries []timerEntry
	n       int
	// retry holds the retransmission timers of a session's outbound half
	// (model.TimerRetry, no owner bits) by packet id, below directIDs: the
	// timers of every datagram send, found without hashing.
	retry []timerState
}

// directIDs bounds the ids whose retry timers are in timerTable.retry.
const directIDs = 1 << 10

// retryBase is the retry timer of id 0: retry[k] is the state of timer
// retryBase+k.
const retryBase = model.Timer(model.TimerRetry) << 16

type timerEntry struct {
	timer model.Timer
	used  bool
	state timerState
}

// get returns the state of tm, adding a zero (disarmed) one if tm is new.
func (t *timerTable) get(tm model.Timer) *timerState {
	if k := int(tm - retryBase); k < len(t.retry) {
		return &t.retry[k]
	}
	return t.getSlow(tm)
}

// getSlow is get for a timer not in retry yet, or not a retry timer.
func (t *timerTable) getSlow(tm model.Timer) *timerState {
	if k := int(tm - retryBase); k < directIDs {
		t.growRetry(k)
		return &t.retry[k]
	}
	return t.hashed(tm)
}

// growRetry makes k an index of retry.
func (t *timerTable) growRetry(k int) {
	if k < cap(t.retry) {
		t.retry = t.retry[:k+1]
		return
	}
	r := make([]timerState, k+1, max(2*cap(t.retry), k+1, 32))
	copy(r, t.retry)
	t.retry = r
}

// hashed returns the state of a timer kept in entries.
func (t *timerTable) hashed(tm model.Timer) *timerState {
	if len(t.entries) == 0 {
		t.entries = make([]timerEntry, 32)
	}
	for {
		mask := uint32(len(t.entries) - 1)
		// Fibonacci hashing spreads nearby packet ids over the table.
		for i := (uint32(tm) * 0x9e3779b1) >> 16 & mask; ; i = (i + 1) & mask {
			e := &t.entries[i]
			if e.used && e.timer == tm {
				return &e.state
			}
			if !e.used {
				if 2*(t.n+1) > len(t.entries) {
					break // keep the load at most one half: grow, then look again
				}
				e.used, e.timer = true, tm
				t.n++
				return &e.state
			}
		}
		t.grow()
	}
}

// reset empties the table for a new run, keeping its array: lookups give
// the same states whatever the array's size.
func (t *timerTable) reset() {
	clear(t.entries)
	t.n = 0
	clear(t.retry)
	t.retry = t.retry[:0]
}

func (t *timerTable) grow() {
	old := t.entries
	t.entries, t.n = make([]timerEntry, 2*len(old)), 0
	for i := range old {
		if old[i].used {
			*t.hashed(old[i].timer) = old[i].state
		}
	}
}

// disarmAll disarms every timer: a dead node's timers never fire.
func (t *timerTable) disarmAll() {
	for i := range t.entries {
		t.entries[i].state.armed = false
	}
	for i := range t.retry {
		t.retry[i].armed = false
	}
}
