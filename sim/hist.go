package sim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Hist is an exact histogram of integer samples (latencies in ticks): the
// distinct values in ascending order, each with its count. Its size is the
// number of distinct values, not the number of samples, so it stays small
// however many runs feed it, and merging two is exact.
type Hist []Bin

// Bin is one value of a histogram and how many samples have it.
type Bin struct {
	Value int64
	Count uint64
}

func byValue(a, b Bin) int { return cmp.Compare(a.Value, b.Value) }

// Add records one sample.
func (h *Hist) Add(v int64) {
	i, found := slices.BinarySearchFunc(*h, v, func(b Bin, v int64) int { return cmp.Compare(b.Value, v) })
	if !found {
		*h = slices.Insert(*h, i, Bin{Value: v})
	}
	(*h)[i].Count++
}

// Merge adds another histogram's samples. When h already has every value
// of o, as a study's histogram soon has those of its runs, it adds in
// place.
func (h *Hist) Merge(o Hist) {
	if h.addInPlace(o) {
		return
	}
	m := make(Hist, 0, len(*h)+len(o))
	a, b := *h, o
	for len(a) > 0 || len(b) > 0 {
		switch {
		case len(b) == 0 || len(a) > 0 && a[0].Value < b[0].Value:
			m, a = append(m, a[0]), a[1:]
		case len(a) == 0 || b[0].Value < a[0].Value:
			m, b = append(m, b[0]), b[1:]
		default:
			m = append(m, Bin{a[0].Value, a[0].Count + b[0].Count})
			a, b = a[1:], b[1:]
		}
	}
	*h = m
}

// addInPlace adds o's counts to h if h has all of o's values, and reports
// whether it did; otherwise h is unchanged.
func (h Hist) addInPlace(o Hist) bool {
	i := 0
	for _, b := range o {
		for i < len(h) && h[i].Value < b.Value {
			i++
		}
		if i == len(h) || h[i].Value != b.Value {
			return false
		}
	}
	i = 0
	for _, b := range o {
		for h[i].Value < b.Value {
			i++
		}
		h[i].Count += b.Count
	}
	return true
}

// Count is the number of samples.
func (h Hist) Count() uint64 {
	var n uint64
	for _, b := range h {
		n += b.Count
	}
	return n
}

// Sum is the sum of the samples, exact.
func (h Hist) Sum() int64 {
	var s int64
	for _, b := range h {
		s += b.Value * int64(b.Count)
	}
	return s
}

// Quantile returns the p-quantile (gonum stat.Empirical: the smallest
// sample with at least a fraction p of the samples at or below it), NaN
// for an empty histogram.
func (h Hist) Quantile(p float64) float64 {
	if len(h) == 0 {
		return math.NaN()
	}
	xs := make([]float64, len(h))
	ws := make([]float64, len(h))
	for i, b := range h {
		xs[i], ws[i] = float64(b.Value), float64(b.Count)
	}
	return stat.Quantile(p, stat.Empirical, xs, ws)
}

// MarshalJSON writes [value, count] pairs in value order, so that files
// are byte-identical for identical histograms.
func (h Hist) MarshalJSON() ([]byte, error) {
	pairs := make([][2]uint64, len(h))
	for i, b := range h {
		if b.Value < 0 {
			return nil, fmt.Errorf("histogram: negative sample %d", b.Value)
		}
		pairs[i] = [2]uint64{uint64(b.Value), b.Count}
	}
	return json.Marshal(pairs)
}

func (h *Hist) UnmarshalJSON(b []byte) error {
	var pairs [][2]uint64
	if err := json.Unmarshal(b, &pairs); err != nil {
		return err
	}
	m := make(Hist, 0, len(pairs))
	for _, p := range pairs {
		if p[0] > math.MaxInt64 {
			return fmt.Errorf("histogram: sample %d out of range", p[0])
		}
		m = append(m, Bin{int64(p[0]), p[1]})
	}
	slices.SortStableFunc(m, byValue)
	*h = m[:0]
	for _, b := range m {
		// A value given twice (a file edited by hand) counts twice.
		if n := len(*h); n > 0 && (*h)[n-1].Value == b.Value {
			(*h)[n-1].Count += b.Count
		} else {
			*h = append(*h, b)
		}
	}
	return nil
}

// tickCounts counts samples during a run: in an array indexed by value for
// the small values latencies take, in a map beyond. Adding is an array
// increment, and the distinct values go into a Hist once, at the end.
type tickCounts struct {
	dense []uint64 // dense[v]: samples of value v; small's array at first
	// distinct counts the values of dense with samples, so that moveTo
	// can gather them without a test per value (see there).
	distinct int
	far      map[int64]uint64
	small    [64]uint64 // a short run's latencies cost no allocation
}

// denseTicks bounds the array: 64K ticks of latency is 512 KB of counts.
const denseTicks = 1 << 16

func (t *tickCounts) add(v int64) {
	if uint64(v) < uint64(len(t.dense)) {
		c := t.dense[v]
		t.dense[v] = c + 1
		t.distinct += int((c - 1) >> 63) // 1 for a value's first sample: c-1 wraps
		return
	}
	t.addSlow(v)
}

// addSlow is add for a value beyond the array: kept out of line so that
// add inlines.
//
//go:noinline
func (t *tickCounts) addSlow(v int64) {
	if v >= 0 && v < denseTicks {
		t.grow(int(v))
		t.dense[v]++ // beyond the array, so its first
		t.distinct++
		return
	}
	if t.far == nil {
		t.far = map[int64]uint64{}
	}
	t.far[v]++
}

// grow makes v an index of dense, keeping the array it had before (a
// Runner's next run starts from it).
func (t *tickCounts) grow(v int) {
	if t.dense == nil {
		t.dense = t.small[:0]
	}
	if v < cap(t.dense) {
		// Twice as far as asked: latencies climb as a backlog builds, and
		// a new largest value every message would come here every time.
		// moveTo reads at most twice the values it has to. Never beyond
		// denseTicks: a value counts in the array or in the map, not both.
		t.dense = t.dense[:min(2*(v+1), cap(t.dense), denseTicks)]
		return
	}
	d := make([]uint64, v+1, max(2*cap(t.dense), v+1, 64))
	copy(d, t.dense)
	t.dense = d
}

// moveTo sets h to the counts and empties t.
//
// Latencies spread: a 10,000-message run's array spans some 20,000 ticks of
// which a third have samples, in no pattern a branch predictor learns. So
// every value is written to the next bin and the bin kept only when it has
// samples (the index moves on by 0 or 1, without a branch); the bins hold
// one more than the values with samples for the last write to land in.
func (t *tickCounts) moveTo(h *Hist) {
	n := t.distinct + len(t.far)
	bins := (*h)[:0]
	if cap(bins) < n+1 {
		bins = make(Hist, 0, n+1)
	}
	bins = bins[:n+1]
	k := 0
	for v, c := range t.dense {
		bins[k] = Bin{int64(v), c}
		k += int(-c >> 63) // 1 when c > 0: counts stay below 2^63
	}
	bins = bins[:k]
	clear(t.dense)
	t.dense, t.distinct = t.dense[:0], 0
	if len(t.far) > 0 {
		for v, c := range t.far {
			bins = append(bins, Bin{v, c})
		}
		clear(t.far)
		slices.SortFunc(bins, byValue)
	}
	*h = bins
}
