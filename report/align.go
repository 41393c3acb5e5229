package report

// Aligning two transcripts: the real run's lines and the model's, each
// reduced to a key (what happened, between whom), are matched so that the
// most keys correspond in order: a longest common subsequence, found by
// Myers' O(ND) difference algorithm in linear space ("An O(ND) Difference
// Algorithm and Its Variations", 1986; the bisection follows
// diff-match-patch). Lines between two matches stay apart, each on a row
// of its own.

// pair is one aligned row: an index into each side, -1 where that side has
// nothing.
type pair struct{ a, b int }

// maxEdits bounds the differences one bisection looks for (it takes
// O(N·D) time: two transcripts that share nothing would cost N²); past it
// the stretch is cut in halves, each aligned apart.
const maxEdits = 4096

// align matches a and b.
func align(a, b []string) []pair {
	ids := map[string]int32{}
	intern := func(ks []string) []int32 {
		out := make([]int32, len(ks))
		for i, k := range ks {
			id, ok := ids[k]
			if !ok {
				id = int32(len(ids))
				ids[k] = id
			}
			out[i] = id
		}
		return out
	}
	x, y := intern(a), intern(b)
	out := make([]pair, 0, max(len(a), len(b)))
	return alignRange(x, y, 0, 0, out)
}

// alignRange appends the alignment of a and b, whose first entries are
// a0 and b0 of the whole, to out.
func alignRange(a, b []int32, a0, b0 int, out []pair) []pair {
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		out = append(out, pair{a0, b0})
		a, b, a0, b0 = a[1:], b[1:], a0+1, b0+1
	}
	tail := 0
	for tail < len(a) && tail < len(b) && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	a, b = a[:len(a)-tail], b[:len(b)-tail]
	switch x, y, ok := bisect(a, b); {
	case len(a) == 0 || len(b) == 0 || !ok && x == 0:
		for i := range a {
			out = append(out, pair{a0 + i, -1})
		}
		for j := range b {
			out = append(out, pair{-1, b0 + j})
		}
	case !ok:
		// Too different to search whole (x is 1): the halves of two runs
		// of the same workload are about the same stretch of it.
		x, y = (len(a)+1)/2, (len(b)+1)/2
		out = alignRange(a[:x], b[:y], a0, b0, out)
		out = alignRange(a[x:], b[y:], a0+x, b0+y, out)
	default:
		out = alignRange(a[:x], b[:y], a0, b0, out)
		out = alignRange(a[x:], b[y:], a0+x, b0+y, out)
	}
	for k := range tail {
		out = append(out, pair{a0 + len(a) + k, b0 + len(b) + k})
	}
	return out
}

// bisect finds where a shortest edit script of a into b crosses its
// middle, searching from both ends at once. When it finds none, x is 1 if
// it gave up after maxEdits differences, else 0: a and b share nothing.
func bisect(a, b []int32) (x, y int, ok bool) {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return 0, 0, false
	}
	maxD := (n + m + 1) / 2
	off := maxD
	v1, v2 := make([]int, 2*maxD+2), make([]int, 2*maxD+2)
	for i := range v1 {
		v1[i], v2[i] = -1, -1
	}
	v1[off+1], v2[off+1] = 0, 0
	delta := n - m
	front := delta%2 != 0 // the paths meet in a forward step when delta is odd
	var k1start, k1end, k2start, k2end int
	for d := 0; d < maxD; d++ {
		if d == maxEdits {
			return 1, 0, false
		}
		for k1 := -d + k1start; k1 <= d-k1end; k1 += 2 {
			i := off + k1
			var x1 int
			if k1 == -d || (k1 != d && v1[i-1] < v1[i+1]) {
				x1 = v1[i+1]
			} else {
				x1 = v1[i-1] + 1
			}
			y1 := x1 - k1
			for x1 < n && y1 < m && a[x1] == b[y1] {
				x1++
				y1++
			}
			v1[i] = x1
			switch {
			case x1 > n:
				k1end += 2 // off the right edge
			case y1 > m:
				k1start += 2 // off the bottom
			case front:
				if j := off + delta - k1; j >= 0 && j < len(v2) && v2[j] != -1 && x1 >= n-v2[j] {
					return x1, y1, true
				}
			}
		}
		for k2 := -d + k2start; k2 <= d-k2end; k2 += 2 {
			i := off + k2
			var x2 int
			if k2 == -d || (k2 != d && v2[i-1] < v2[i+1]) {
				x2 = v2[i+1]
			} else {
				x2 = v2[i-1] + 1
			}
			y2 := x2 - k2
			for x2 < n && y2 < m && a[n-x2-1] == b[m-y2-1] {
				x2++
				y2++
			}
			v2[i] = x2
			switch {
			case x2 > n:
				k2end += 2
			case y2 > m:
				k2start += 2
			case !front:
				if j := off + delta - k2; j >= 0 && j < len(v1) && v1[j] != -1 {
					x1 := v1[j]
					if x1 >= n-x2 {
						return x1, off + x1 - j, true
					}
				}
			}
		}
	}
	return 0, 0, false
}
