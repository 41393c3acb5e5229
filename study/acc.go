package study

import (
	"github.com/qoslab/qoslab/sim"
)

// Acc accumulates the runs of one cell of a study (one variant under one
// profile, or one variant at one value of a swept parameter). It holds only
// exact integers and histograms of integers, so Merge is exact and
// order-independent, and its size does not grow with the number of runs.
type Acc struct {
	Runs    uint64 `json:"runs"`
	Settled uint64 `json:"settled"` // runs in which every flow completed and nothing was pending
	// Per message published.
	// The fates of the messages (sim.Fate): each message is counted in
	// exactly one of ExactlyOnce, Duplicated, Lost (silently),
	// Abandoned (never delivered, the application told) and Unrouted
	// (never delivered, no subscription matched at the broker).
	ExactlyOnce Ratio `json:"exactly_once"`
	Duplicated  Ratio `json:"duplicated"`
	Lost        Ratio `json:"lost"`
	Abandoned   Ratio `json:"abandoned"`
	Unrouted    Ratio `json:"unrouted"`
	Packets     Ratio `json:"packets"`
	Bytes       Ratio `json:"bytes"`
	Resends     Ratio `json:"payload_resends"`
	// Per run: the most packet ids/messages a receiver held at once.
	PeakHeld    Ratio  `json:"peak_held"`
	PeakHeldMax uint64 `json:"peak_held_max"`
	// Latency in ticks: per delivered message (publish -> first delivery)
	// and per completed message (publish -> the sender's flow ended).
	Delivery       Ratio `json:"delivery"`
	Completion     Ratio `json:"completion"`
	DeliveryHist   Hist  `json:"delivery_hist"`
	CompletionHist Hist  `json:"completion_hist"`
	// The lowest seed whose run duplicated or lost a message (0: none), so
	// a table can point at a run to replay.
	FirstDupSeed  uint64 `json:"first_dup_seed,omitempty"`
	FirstLostSeed uint64 `json:"first_lost_seed,omitempty"`
	HasDup        bool   `json:"has_dup,omitempty"`
	HasLost       bool   `json:"has_lost,omitempty"`
}

// NewAcc returns an empty accumulator.
func NewAcc() Acc {
	return Acc{DeliveryHist: Hist{}, CompletionHist: Hist{}}
}

// Add folds one run's result in.
func (a *Acc) Add(res *sim.Result) {
	a.Runs++
	if res.Settled {
		a.Settled++
	}
	// The run's Tally has every message, whether or not the result keeps
	// them one by one (long runs do not).
	t := &res.Tally
	once, dup, lost := uint64(t.ExactlyOnce), uint64(t.Duplicated), uint64(t.Lost)
	abandoned, unrouted, resends := uint64(t.Abandoned), uint64(t.Unrouted), uint64(t.PayloadResends)
	delivered, completed := t.Delivery.Count(), t.Completion.Count()
	deliveryTicks, completionTicks := uint64(t.Delivery.Sum()), uint64(t.Completion.Sum())
	a.DeliveryHist.Merge(t.Delivery)
	a.CompletionHist.Merge(t.Completion)
	var packets, bytes uint64
	for t := range res.Packets {
		packets += uint64(res.Packets[t])
		bytes += uint64(res.Bytes[t])
	}
	n := uint64(t.Messages)
	a.ExactlyOnce.Add(once, n)
	a.Duplicated.Add(dup, n)
	a.Lost.Add(lost, n)
	a.Abandoned.Add(abandoned, n)
	a.Unrouted.Add(unrouted, n)
	a.Packets.Add(packets, n)
	a.Bytes.Add(bytes, n)
	a.Resends.Add(resends, n)
	peak := uint64(res.PeakHeld)
	a.PeakHeld.Add(peak, 1)
	a.PeakHeldMax = max(a.PeakHeldMax, peak)
	a.Delivery.Add(deliveryTicks, delivered)
	a.Completion.Add(completionTicks, completed)
	seed := res.Config.Seed
	if dup > 0 {
		a.FirstDupSeed, a.HasDup = lowest(a.FirstDupSeed, a.HasDup, seed), true
	}
	if lost > 0 {
		a.FirstLostSeed, a.HasLost = lowest(a.FirstLostSeed, a.HasLost, seed), true
	}
}

func lowest(cur uint64, has bool, seed uint64) uint64 {
	if !has || seed < cur {
		return seed
	}
	return cur
}

// Merge adds another accumulator's runs; the result is the same whatever
// the order of merges.
func (a *Acc) Merge(o Acc) {
	a.Runs += o.Runs
	a.Settled += o.Settled
	for _, p := range []struct{ dst, src *Ratio }{
		{&a.ExactlyOnce, &o.ExactlyOnce}, {&a.Duplicated, &o.Duplicated}, {&a.Lost, &o.Lost}, {&a.Abandoned, &o.Abandoned}, {&a.Unrouted, &o.Unrouted},
		{&a.Packets, &o.Packets}, {&a.Bytes, &o.Bytes}, {&a.Resends, &o.Resends},
		{&a.PeakHeld, &o.PeakHeld}, {&a.Delivery, &o.Delivery}, {&a.Completion, &o.Completion},
	} {
		p.dst.Merge(*p.src)
	}
	a.PeakHeldMax = max(a.PeakHeldMax, o.PeakHeldMax)
	if a.DeliveryHist == nil {
		a.DeliveryHist = Hist{}
	}
	if a.CompletionHist == nil {
		a.CompletionHist = Hist{}
	}
	a.DeliveryHist.Merge(o.DeliveryHist)
	a.CompletionHist.Merge(o.CompletionHist)
	if o.HasDup {
		a.FirstDupSeed, a.HasDup = lowest(a.FirstDupSeed, a.HasDup, o.FirstDupSeed), true
	}
	if o.HasLost {
		a.FirstLostSeed, a.HasLost = lowest(a.FirstLostSeed, a.HasLost, o.FirstLostSeed), true
	}
}
