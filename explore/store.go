package explore

// visited is the set of visited states: a state's fingerprint to its id.
//
// It is split into shards by fingerprint bits, and each shard is an
// open-addressing table with linear probing owned by one worker at a time
// (see engine), so that lookups and inserts need no locks. A slot is 12
// bytes: 64 bits of fingerprint and a 32-bit value. Shards grow by half
// when 4/5 full, and they start at staggered sizes, so that they grow at
// different moments: the table then holds on average about 1.5 slots a
// state (18.5 bytes) and never doubles all at once.
//
// The fingerprint is 64 bits of a 128-bit hash of the state's encoding, and
// the shard is chosen by shardBits other bits of it: two distinct states
// are confused only if they agree on all 64+shardBits bits. For n states
// the chance that any two are is at most n²/2^(65+shardBits) for a uniform
// hash: below 3e-7 for 25 million states, below 5e-4 for a billion.
//
// There are few shards (64), so that a large search's shards are large
// enough for huge pages (see mapBytes): probes are random, and with 4 KiB
// pages each would miss the TLB as well as the cache.
type visited struct {
	mem    *memory
	shards [numShards]shard
}

const (
	shardBits = 6
	numShards = 1 << shardBits
	// shardMin is a shard's smallest size (the first shard's; the others
	// start up to half as large again).
	shardMin = 16
)

type shard struct {
	slots []slot
	n     int // slots in use
	limit int // grow when n would pass it
}

// slot is one table entry; val 0 marks a free slot (see slotVal).
type slot struct{ lo, hi, val uint32 }

// A slot's value is a state id plus one, or, while a block of successors
// is being resolved, claimBit | the first claimant's record (see engine).
const claimBit = 1 << 31

// maxStates is the most states the 31 bits of a slot's value can number.
const maxStates = claimBit - 2

func newVisited(m *memory) *visited {
	v := &visited{mem: m}
	for i := range v.shards {
		// Sizes spread over a factor 1.5: shard i grows when the others
		// are at other points of their growth.
		v.shards[i].resize(m, shardMin+shardMin*i/(2*numShards))
	}
	return v
}

// shardOf is the shard of a state whose hash's second word is h2.
func shardOf(h2 uint64) int { return int(h2 >> (64 - shardBits)) }

// resize gives the shard size slots and re-inserts what it held.
func (s *shard) resize(m *memory, size int) {
	old := s.slots
	s.slots, s.limit = alloc[slot](m, size), size*4/5
	for i := range old {
		if e := &old[i]; e.val != 0 {
			j := s.home(uint64(e.hi)<<32 | uint64(e.lo))
			for s.slots[j].val != 0 {
				if j++; j == len(s.slots) {
					j = 0
				}
			}
			s.slots[j] = *e
		}
	}
	free(m, old)
}

// reserve makes room for n more entries.
func (s *shard) reserve(m *memory, n int) {
	if s.n+n <= s.limit {
		return
	}
	size := len(s.slots)
	for (s.n+n)*5 > size*4 {
		size += size / 2
	}
	s.resize(m, size)
}

// home is the slot where a lookup of fp starts (fast range reduction of
// its low 32 bits).
func (s *shard) home(fp uint64) int {
	return int(uint64(uint32(fp)) * uint64(len(s.slots)) >> 32)
}

// touch reads the slot where a lookup of fp starts, so that the cache
// misses of a batch of lookups overlap instead of coming one after the
// other; it returns what it read, for the caller to keep.
func (s *shard) touch(fp uint64) uint32 { return s.slots[s.home(fp)].lo }

// lookup returns the value stored under fp, or stores val (which must not
// be 0) and returns 0. Either way it returns the slot. Room must have been
// reserved.
func (s *shard) lookup(fp uint64, val uint32) (uint32, int) {
	lo, hi := uint32(fp), uint32(fp>>32)
	j := s.home(fp)
	for {
		e := &s.slots[j]
		if e.val == 0 {
			*e = slot{lo, hi, val}
			s.n++
			return 0, j
		}
		if e.lo == lo && e.hi == hi {
			return e.val, j
		}
		if j++; j == len(s.slots) {
			j = 0
		}
	}
}

func (v *visited) release() {
	for i := range v.shards {
		free(v.mem, v.shards[i].slots)
		v.shards[i] = shard{}
	}
}

// chunks is an append-only array kept in fixed-size chunks: it grows
// without copying, and without the spare half a doubling slice carries.
// The first chunk starts small and doubles up to chunkLen, so that a small
// search allocates little.
type chunks[T any] struct {
	mem *memory
	c   [][]T
	n   int
}

// chunkLen is the elements of one chunk.
const chunkLen = 1 << 18

func (a *chunks[T]) len() int { return a.n }

func (a *chunks[T]) at(i int) T { return a.c[i/chunkLen][i%chunkLen] }

func (a *chunks[T]) set(i int, v T) { a.c[i/chunkLen][i%chunkLen] = v }

// room makes the array hold at least n elements.
func (a *chunks[T]) room(n int) {
	if len(a.c) == 1 && len(a.c[0]) < chunkLen && n > len(a.c[0]) {
		size := len(a.c[0])
		for size < n && size < chunkLen {
			size *= 2
		}
		c := alloc[T](a.mem, size)
		copy(c, a.c[0])
		free(a.mem, a.c[0])
		a.c[0] = c
	}
	if len(a.c) == 0 {
		size := 256
		for size < n && size < chunkLen {
			size *= 2
		}
		a.c = append(a.c, alloc[T](a.mem, size))
	}
	for len(a.c)*chunkLen < n {
		a.c = append(a.c, alloc[T](a.mem, chunkLen))
	}
}

func (a *chunks[T]) append(vs ...T) {
	a.room(a.n + len(vs))
	for len(vs) > 0 {
		k := copy(a.c[a.n/chunkLen][a.n%chunkLen:], vs)
		a.n += k
		vs = vs[k:]
	}
}

// grow extends the array to n elements (zero).
func (a *chunks[T]) grow(n int) {
	a.room(n)
	a.n = max(a.n, n)
}

func (a *chunks[T]) release() {
	for _, c := range a.c {
		free(a.mem, c)
	}
	a.c, a.n = nil, 0
}
