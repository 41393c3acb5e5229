package sim

import (
	"cmp"
	"slices"
	"strconv"
)

// ledger holds the message records of a run that does not keep
// Result.Messages: a message's record from its publication until nothing
// can change it any more, which is when no endpoint keeps the message
// (model.Keeper) and no packet in flight carries it: every delivery,
// completion, abandonment or resend of a message comes from a packet that
// carries it or from a copy an endpoint kept. The record is then retired:
// it is added to the run's Tally, and kept on the troubled list if the
// message was not simply delivered once with its flow completed (the
// messages a report names). Memory thus follows the messages in flight and
// the troubled ones, not the length of the run, and the figures are exactly
// those of a run that keeps every record.
//
// The records are in a window indexed by Ref, since messages are published
// in Ref order and mostly finish in it. A pass retires what it can each time
// the window has doubled since the last one, so passes cost O(1) per
// message. Records that stay while most of those behind them go (a message
// stored by a receiver that never hears of it again) move to a map, so that
// one straggler does not hold the window open.
type ledger struct {
	win  []MessageStats // win[head:] are the records of Refs lo, lo+1, ...; retired ones have Ref 0
	head int
	lo   uint32
	live int // records in the window not retired
	// strays are records moved out of the window, by Ref.
	strays map[uint32]*MessageStats
	next   int  // window length at which the next pass is due
	off    bool // an endpoint cannot say what it keeps: nothing can be retired
	kept   []uint32
	free   []uint64 // scratch: the input slab's free entries
	// What the passes of the run did, for tests and benchmarks: records
	// retired, records moved to the strays, and the longest window.
	retired, strayed, widest int
}

// Passes are due every passMin publications at least; the window keeps at
// most twice its live records plus spillMin. (Variables: tests retire at
// every publication.)
var (
	passMin  = 1 << 10
	spillMin = 1 << 10
)

func (l *ledger) reset() {
	l.win, l.head, l.lo, l.live = l.win[:0], 0, 1, 0
	clear(l.strays)
	l.next, l.off = passMin, false
	l.retired, l.strayed, l.widest = 0, 0, 0
}

// add opens the record of message ref, the next one published.
func (l *ledger) add(ref uint32, now int64) {
	if l.head > 0 && len(l.win) == cap(l.win) {
		// Full with retired records in front: move the window down.
		n := copy(l.win, l.win[l.head:])
		l.win, l.head = l.win[:n], 0
	}
	l.win = append(l.win, MessageStats{Ref: ref, PublishedAt: now, DeliveredAt: -1, CompletedAt: -1})
	l.live++
	l.widest = max(l.widest, len(l.win)-l.head)
}

// get returns the record of message ref, which was published and not
// retired.
func (l *ledger) get(ref uint32) *MessageStats {
	var m *MessageStats
	if ref >= l.lo {
		m = &l.win[l.head+int(ref-l.lo)]
	} else {
		m = l.strays[ref]
	}
	if m == nil || m.Ref != ref {
		// An endpoint acted on a message it did not say it kept.
		panic("sim: message m" + strconv.FormatUint(uint64(ref), 10) + " changed after its record was retired: an endpoint's AppendKept (model.Keeper) left it out")
	}
	return m
}

func (l *ledger) due() bool { return !l.off && len(l.win)-l.head >= l.next }

// pass retires the records of the messages not in kept (sorted), passing
// each to retire, then drops retired records from the front of the window
// and moves records to the strays while the window is more than twice
// as long as what it holds.
func (l *ledger) pass(kept []uint32, retire func(*MessageStats)) {
	c := 0
	for i := l.head; i < len(l.win); i++ {
		m := &l.win[i]
		if m.Ref == 0 {
			continue
		}
		for c < len(kept) && kept[c] < m.Ref {
			c++
		}
		if c < len(kept) && kept[c] == m.Ref {
			continue
		}
		retire(m)
		m.Ref = 0
		l.live--
		l.retired++
	}
	for ref, m := range l.strays {
		if _, found := slices.BinarySearch(kept, ref); !found {
			retire(m)
			delete(l.strays, ref)
			l.retired++
		}
	}
	for l.head < len(l.win) && (l.win[l.head].Ref == 0 || len(l.win)-l.head > 2*l.live+spillMin) {
		if m := &l.win[l.head]; m.Ref != 0 {
			if l.strays == nil {
				l.strays = map[uint32]*MessageStats{}
			}
			c := *m
			l.strays[m.Ref] = &c
			l.live--
			l.strayed++
		}
		l.head++
		l.lo++
	}
	n := len(l.win) - l.head
	l.next = n + max(n, passMin)
}

// finish retires every record left, at the end of the run.
func (l *ledger) finish(retire func(*MessageStats)) {
	for i := l.head; i < len(l.win); i++ {
		if m := &l.win[i]; m.Ref != 0 {
			retire(m)
		}
	}
	for _, m := range l.strays {
		retire(m)
	}
}

// sortTroubled puts the troubled records in Ref order: passes retire
// strays in map order.
func sortTroubled(ms []MessageStats) {
	slices.SortFunc(ms, func(a, b MessageStats) int { return cmp.Compare(a.Ref, b.Ref) })
}
