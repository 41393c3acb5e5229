package report

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// lcs is the length of a longest common subsequence, by the textbook
// table: the reference for align.
func lcs(a, b []string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			switch {
			case a[i] == b[j]:
				cur[j+1] = prev[j] + 1
			default:
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// align keeps both sides whole and in order, pairs only equal keys, and
// pairs as many as a longest common subsequence has.
func TestAlignIsALongestCommonSubsequence(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 3000 {
		gen := func() []string {
			s := make([]string, rng.IntN(14))
			for i := range s {
				s[i] = strconv.Itoa(rng.IntN(1 + trial%5))
			}
			return s
		}
		a, b := gen(), gen()
		ps := align(a, b)
		ai, bi, matched := 0, 0, 0
		for _, p := range ps {
			if p.a >= 0 {
				if p.a != ai {
					t.Fatalf("%v %v: side a out of order in %v", a, b, ps)
				}
				ai++
			}
			if p.b >= 0 {
				if p.b != bi {
					t.Fatalf("%v %v: side b out of order in %v", a, b, ps)
				}
				bi++
			}
			if p.a >= 0 && p.b >= 0 {
				if a[p.a] != b[p.b] {
					t.Fatalf("%v %v: paired %q with %q", a, b, a[p.a], b[p.b])
				}
				matched++
			}
			if p.a < 0 && p.b < 0 {
				t.Fatalf("an empty row in %v", ps)
			}
		}
		if ai != len(a) || bi != len(b) {
			t.Fatalf("%v %v: %d and %d entries aligned", a, b, ai, bi)
		}
		if want := lcs(a, b); matched != want {
			t.Fatalf("%v %v: %d matched, a longest common subsequence has %d: %v", a, b, matched, want, ps)
		}
	}
}

// Two long transcripts that differ in a few places align in time linear
// in their length; ones that differ everywhere are cut into stretches,
// not searched for ever, and still keep both sides whole.
func TestAlignLong(t *testing.T) {
	var a, b []string
	for i := range 10_000 {
		k := strconv.Itoa(i % 7)
		a = append(a, k)
		if i%1000 != 3 {
			b = append(b, k)
		}
	}
	ps := align(a, b)
	matched := 0
	for _, p := range ps {
		if p.a >= 0 && p.b >= 0 {
			matched++
		}
	}
	if matched != len(b) || len(ps) != len(a) {
		t.Errorf("%d matched, %d rows", matched, len(ps))
	}
	c := make([]string, 10_000)
	for i := range c {
		c[i] = "x" + strconv.Itoa(i)
	}
	if ps := align(a, c); len(ps) != len(a)+len(c) {
		t.Errorf("nothing shared: %d rows", len(ps))
	}
	// Every 4th key differs: 5,000 edits, more than one search takes.
	d := slices.Clone(a)
	for i := 0; i < len(d); i += 4 {
		d[i] = "y"
	}
	ps = align(a, d)
	matched = 0
	for _, p := range ps {
		if p.a >= 0 && p.b >= 0 {
			matched++
		}
	}
	if matched < len(a)*3/4*9/10 {
		t.Errorf("a quarter changed: %d of %d matched", matched, len(a))
	}
}
