package explore

import "testing"

// Arrays of every size class come back zeroed, usable to their end, and
// are counted while held.
func TestAllocFree(t *testing.T) {
	var m memory
	for _, n := range []int{1, 100, bigBytes/12 - 1, bigBytes / 12, bigBytes/12 + 1, 1 << 20, hugePage/12 + 7, 3*hugePage/12 + 1} {
		s := alloc[slot](&m, n)
		if len(s) != n {
			t.Fatalf("alloc %d: len %d", n, len(s))
		}
		for i := range s {
			if s[i] != (slot{}) {
				t.Fatalf("alloc %d: slot %d not zero", n, i)
			}
			s[i] = slot{1, 2, 3}
		}
		free(&m, s)
	}
	if m.bytes.Load() != 0 || m.peak.Load() < 3*hugePage {
		t.Errorf("%d bytes held after freeing all, peak %d", m.bytes.Load(), m.peak.Load())
	}
}
