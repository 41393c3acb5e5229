package sim

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestTickCountsMatchAMap adds samples spread over the array, beyond it and
// below zero, in several rounds on one tickCounts (as a Runner reuses it),
// and checks each round's histogram against counts kept in a map.
func TestTickCountsMatchAMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var tc tickCounts
	var h Hist
	for round := range 7 {
		want := map[int64]uint64{}
		for range 1 + r.IntN(5000) {
			var v int64
			// Odd rounds also go beyond the array, both ways; even rounds
			// stay inside it, where moveTo has no room to spare.
			switch k := r.IntN(10); {
			case round%2 == 1 && k == 0:
				v = denseTicks + r.Int64N(1000) // the map
			case round%2 == 1 && k == 1:
				v = -1 - r.Int64N(3)
			case round == 5:
				v = denseTicks - 3000 + r.Int64N(6000) // both sides of the bound
			default:
				v = r.Int64N(int64(100 << round))
			}
			tc.add(v)
			want[v]++
		}
		tc.moveTo(&h)
		var got []Bin
		for _, b := range h {
			if b.Count == 0 {
				t.Fatalf("round %d: a bin of value %d with no samples", round, b.Value)
			}
			got = append(got, b)
		}
		var wantBins []Bin
		for _, v := range slices.Sorted(maps.Keys(want)) {
			wantBins = append(wantBins, Bin{v, want[v]})
		}
		if !slices.Equal(got, wantBins) {
			t.Fatalf("round %d: got %d bins, want %d\n got  %v\n want %v", round, len(got), len(wantBins), got, wantBins)
		}
	}
	var empty tickCounts
	empty.moveTo(&h)
	if len(h) != 0 {
		t.Errorf("no samples: got %v", h)
	}
}
