package explore

// table is the visited set: an open-addressing hash table from state key
// to state id, linear probing, at most 3/4 full. Keys are already uniform
// hashes, so the low bits of the first word pick the slot. It stores 20
// bytes per slot and nothing the garbage collector has to scan.
type table struct {
	keys []key
	ids  []uint32
	n    int
	sink uint64 // what touch read, so that the reads stay
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
	return &table{keys: make([]key, size), ids: make([]uint32, size)}
}

// insert returns the id stored under k, or stores id and reports fresh.
func (t *table) insert(k key, id uint32) (uint32, bool) {
	if k == emptyKey {
		k = key{0, 1}
	}
	if (t.n+1)*4 > len(t.keys)*3 {
		t.grow()
	}
	mask := uint64(len(t.keys) - 1)
	for i := k[0] & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case k:
			return t.ids[i], false
		case emptyKey:
			t.keys[i], t.ids[i] = k, id
			t.n++
			return id, true
		}
	}
}

func (t *table) grow() {
	old, oldIDs := t.keys, t.ids
	t.keys, t.ids = make([]key, 2*len(old)), make([]uint32, 2*len(old))
	mask := uint64(len(t.keys) - 1)
	for j, k := range old {
		if k == emptyKey {
			continue
		}
		i := k[0] & mask
		for t.keys[i] != emptyKey {
			i = (i + 1) & mask
		}
		t.keys[i], t.ids[i] = k, oldIDs[j]
	}
}

// touch reads the slot where a lookup of k starts, to bring it into the
// cache ahead of the lookup.
func (t *table) touch(k key) {
	t.sink += t.keys[k[0]&uint64(len(t.keys)-1)][0]
}
