package explore

// table is the visited set: an open-addressing hash table from state key
// to state id, linear probing, at most 3/4 full. Keys are already uniform
// hashes, so the low bits of the first word pick the slot. A slot holds
// the key and the id side by side, so that a probe touches one cache line
// (a lookup is a cache miss on any table much larger than the caches). It
// stores 24 bytes per slot and nothing the garbage collector has to scan.
type table struct {
	slots []slot
	n     int
}

type slot struct {
	k  key
	id uint32
}

// emptyKey marks a free slot; a state whose hash is emptyKey is stored
// under a fixed substitute, which merges it with at most one other state
// at the same 2^-128 odds as any collision.
var emptyKey = key{}

func newTable(capacity int) *table {
	size := 1024
	for size*3/4 < capacity {
		size *= 2
	}
	return &table{slots: make([]slot, size)}
}

// insert returns the id stored under k, or stores id and reports fresh.
func (t *table) insert(k key, id uint32) (uint32, bool) {
	if k == emptyKey {
		k = key{0, 1}
	}
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for i := k[0] & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		switch s.k {
		case k:
			return s.id, false
		case emptyKey:
			s.k, s.id = k, id
			t.n++
			return id, true
		}
	}
}

func (t *table) grow() {
	old := t.slots
	t.slots = make([]slot, 2*len(old))
	mask := uint64(len(t.slots) - 1)
	for _, s := range old {
		if s.k == emptyKey {
			continue
		}
		i := s.k[0] & mask
		for t.slots[i].k != emptyKey {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}
