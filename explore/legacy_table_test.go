package explore

import (
	"encoding/binary"
	"math/bits"

	"github.com/qoslab/qoslab/model"
)

// The previous search's store and state encoding (see legacy_test.go),
// kept for the scale benchmark's baseline.

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

// appendWords appends the canonical encoding of s as 64-bit words: the
// fixed part (wordsFixed(msgs) words), then the ids of the packets in
// flight and the armed timers, two to a word. An endpoint is encoded by
// its interned id, which stands for exactly one endpoint encoding. The
// encoding is the state's key and also how the search stores its
// frontier (see level).
func (s *state) appendWords(dst []uint64, msgs int) []uint64 {
	var flags uint64
	if s.linkUp {
		flags |= 1
	}
	if s.down[0] {
		flags |= 2
	}
	if s.down[1] {
		flags |= 4
	}
	dst = append(dst,
		uint64(s.ep[client])|uint64(s.ep[server])<<32,
		uint64(s.completed)|uint64(s.abandoned)<<16|uint64(s.published)<<32|flags<<40|uint64(s.breaks)<<48|uint64(s.crashes)<<56,
		uint64(len(s.net[0]))|uint64(len(s.net[1]))<<32,
		// A side's timers are distinct (purpose, id) pairs: three purposes
		// times 65,535 ids, far below the 2^24 a count may reach here.
		uint64(len(s.timers[0]))|uint64(len(s.timers[1]))<<24|uint64(s.losses)<<48|uint64(s.dups)<<56)
	for i := 0; i < msgs; i += 8 {
		dst = append(dst, binary.LittleEndian.Uint64(s.delivered[i:]))
	}
	p := packer{dst: dst}
	for d := range 2 {
		for _, id := range s.net[d] {
			p.put(id)
		}
	}
	for side := range 2 {
		for _, t := range s.timers[side] {
			p.put(uint32(t))
		}
	}
	return p.flush()
}

// packer appends 32-bit values two to a word.
type packer struct {
	dst []uint64
	w   uint64
	odd bool
}

func (p *packer) put(v uint32) {
	if p.odd {
		p.dst = append(p.dst, p.w|uint64(v)<<32)
	} else {
		p.w = uint64(v)
	}
	p.odd = !p.odd
}

func (p *packer) flush() []uint64 {
	if p.odd {
		p.dst = append(p.dst, p.w)
	}
	return p.dst
}

// wordsFixed is the length of the fixed part of appendWords' encoding.
func wordsFixed(msgs int) int { return 4 + (msgs+7)/8 }

// decode sets s to the state appendWords encoded as w. s's queues and
// timer sets are d's memory: s is valid until the next decode with d.
func (d *decoder) decode(s *state, w []uint64, msgs int) {
	*s = state{}
	s.ep = [2]uint32{uint32(w[0]), uint32(w[0] >> 32)}
	s.completed, s.abandoned, s.published = uint16(w[1]), uint16(w[1]>>16), uint8(w[1]>>32)
	flags := w[1] >> 40
	s.linkUp, s.down = flags&1 != 0, [2]bool{flags&2 != 0, flags&4 != 0}
	s.breaks, s.crashes = uint8(w[1]>>48), uint8(w[1]>>56)
	nets := [2]int{int(uint32(w[2])), int(w[2] >> 32)}
	tims := [2]int{int(w[3] & (1<<24 - 1)), int(w[3] >> 24 & (1<<24 - 1))}
	s.losses, s.dups = uint8(w[3]>>48), uint8(w[3]>>56)
	fixed := wordsFixed(msgs)
	for i := 4; i < fixed; i++ {
		binary.LittleEndian.PutUint64(s.delivered[(i-4)*8:], w[i])
	}
	// The variable part: a stream of 32-bit values, two to a word.
	rest := w[fixed:]
	nn, nt := nets[0]+nets[1], tims[0]+tims[1]
	d.net, d.tim = d.net[:0], d.tim[:0]
	for i := range nn {
		d.net = append(d.net, uint32(rest[i/2]>>(32*(i&1))))
	}
	for i := nn; i < nn+nt; i++ {
		d.tim = append(d.tim, model.Timer(rest[i/2]>>(32*(i&1))))
	}
	if k := nets[0]; k > 0 {
		s.net[0] = d.net[:k:k]
	}
	if k := nets[1]; k > 0 {
		s.net[1] = d.net[nets[0]:len(d.net):len(d.net)]
	}
	if k := tims[0]; k > 0 {
		s.timers[0] = d.tim[:k:k]
	}
	if k := tims[1]; k > 0 {
		s.timers[1] = d.tim[tims[0]:len(d.tim):len(d.tim)]
	}
}

// level is one BFS level: its states as appendWords encodings, one after
// the other, and their ids. It holds no pointers, so the garbage collector
// never scans the frontier.
type level struct {
	words []uint64
	at    []uint32 // state i is words[at[i]:at[i+1]]
	ids   []uint32
}

func (l *level) len() int { return len(l.ids) }

func (l *level) push(w []uint64, id uint32) {
	if len(l.at) == 0 {
		l.at = append(l.at, 0)
	}
	l.words = append(l.words, w...)
	l.at = append(l.at, uint32(len(l.words)))
	l.ids = append(l.ids, id)
}

func (l *level) get(i int) []uint64 { return l.words[l.at[i]:l.at[i+1]] }

func (l *level) reset() { l.words, l.at, l.ids = l.words[:0], l.at[:0], l.ids[:0] }

// key is a 128-bit hash of a state's canonical encoding. With n states the
// chance that any two distinct states collide (and one is wrongly treated
// as visited) is at most n^2 / 2^129 for a uniform hash: below 1e-20 for
// a billion states.
type key [2]uint64

// hashWords is MurmurHash3 x64-128 (Austin Appleby, public domain) of the
// words' little-endian bytes.
func hashWords(w []uint64) key {
	const c1, c2 = 0x87c37b91114253d5, 0x4cf5ad432745937f
	var h1, h2 uint64 = 0x9368e53c2f6af274, 0x586dcd208f7cd3fd
	n := uint64(len(w)) * 8
	for len(w) >= 2 {
		k1, k2 := w[0], w[1]
		w = w[2:]
		k1 *= c1
		k1 = bits.RotateLeft64(k1, 31)
		k1 *= c2
		h1 ^= k1
		h1 = bits.RotateLeft64(h1, 27)
		h1 += h2
		h1 = h1*5 + 0x52dce729
		k2 *= c2
		k2 = bits.RotateLeft64(k2, 33)
		k2 *= c1
		h2 ^= k2
		h2 = bits.RotateLeft64(h2, 31)
		h2 += h1
		h2 = h2*5 + 0x38495ab5
	}
	if len(w) == 1 {
		k1 := w[0]
		k1 *= c1
		k1 = bits.RotateLeft64(k1, 31)
		k1 *= c2
		h1 ^= k1
	}
	h1 ^= n
	h2 ^= n
	h1 += h2
	h2 += h1
	h1, h2 = fmix64(h1), fmix64(h2)
	h1 += h2
	h2 += h1
	return key{h1, h2}
}
