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
// fixed part (sh.fixed() words), then the ids of the packets in flight and
// the armed timers, two to a word. An endpoint is encoded by its interned
// id, which stands for exactly one endpoint encoding. The encoding is the
// state's key and also how the search stores its frontier (see level).
func (s *state) appendWords(dst []uint64, sh shape) []uint64 {
	var flags uint64
	for l := range sh.dirs / 2 {
		if s.linkUp[l] {
			flags |= 1 << l
		}
	}
	for n := range sh.nodes {
		if s.down[n] {
			flags |= 1 << (maxLinks + n)
		}
	}
	dst = append(dst,
		uint64(s.ep[0])|uint64(s.ep[1])<<32,
		uint64(s.completed)|uint64(s.abandoned)<<16|uint64(s.published)<<32|flags<<40|uint64(s.breaks)<<48|uint64(s.crashes)<<56)
	if sh.wide() {
		dst = append(dst, uint64(s.ep[2])|uint64(s.unrouted)<<32)
	}
	var lens uint64
	for d := range sh.dirs {
		lens |= uint64(len(s.net[d])) << (16 * d)
	}
	// A node's timers are distinct (owner, purpose, id) values: far below
	// the 2^16 a count may reach here.
	var tims uint64
	for n := range sh.nodes {
		tims |= uint64(len(s.timers[n])) << (16 * n)
	}
	dst = append(dst, lens, tims|uint64(s.losses)<<48|uint64(s.dups)<<56)
	for i := 0; i < sh.msgs; i += 8 {
		dst = append(dst, binary.LittleEndian.Uint64(s.delivered[i:]))
	}
	p := packer{dst: dst}
	for d := range sh.dirs {
		for _, id := range s.net[d] {
			p.put(id)
		}
	}
	for n := range sh.nodes {
		for _, t := range s.timers[n] {
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

// fixed is the length of the fixed part of appendWords' encoding.
func (sh shape) fixed() int {
	n := 4 + (sh.msgs+7)/8
	if sh.wide() {
		n++
	}
	return n
}

// decode sets s to the state appendWords encoded as w. s's queues and
// timer sets are d's memory: s is valid until the next decode with d.
func (d *decoder) decode(s *state, w []uint64, sh shape) {
	*s = state{}
	s.ep[0], s.ep[1] = uint32(w[0]), uint32(w[0]>>32)
	s.completed, s.abandoned, s.published = uint16(w[1]), uint16(w[1]>>16), uint8(w[1]>>32)
	flags := w[1] >> 40
	for l := range sh.dirs / 2 {
		s.linkUp[l] = flags&(1<<l) != 0
	}
	for n := range sh.nodes {
		s.down[n] = flags&(1<<(maxLinks+n)) != 0
	}
	s.breaks, s.crashes = uint8(w[1]>>48), uint8(w[1]>>56)
	k := 2
	if sh.wide() {
		s.ep[2], s.unrouted = uint32(w[2]), uint16(w[2]>>32)
		k++
	}
	lens, tims := w[k], w[k+1]
	s.losses, s.dups = uint8(tims>>48), uint8(tims>>56)
	fixed := sh.fixed()
	for i := k + 2; i < fixed; i++ {
		binary.LittleEndian.PutUint64(s.delivered[(i-k-2)*8:], w[i])
	}
	// The variable part: a stream of 32-bit values, two to a word.
	rest := w[fixed:]
	var nets [maxDirs]int
	var tcount [maxNodes]int
	nn, nt := 0, 0
	for dd := range sh.dirs {
		nets[dd] = int(uint16(lens >> (16 * dd)))
		nn += nets[dd]
	}
	for n := range sh.nodes {
		tcount[n] = int(uint16(tims >> (16 * n)))
		nt += tcount[n]
	}
	d.net, d.tim = d.net[:0], d.tim[:0]
	for i := range nn {
		d.net = append(d.net, uint32(rest[i/2]>>(32*(i&1))))
	}
	for i := nn; i < nn+nt; i++ {
		d.tim = append(d.tim, model.Timer(rest[i/2]>>(32*(i&1))))
	}
	at := 0
	for dd := range sh.dirs {
		if k := nets[dd]; k > 0 {
			s.net[dd] = d.net[at : at+k : at+k]
			at += k
		}
	}
	at = 0
	for n := range sh.nodes {
		if k := tcount[n]; k > 0 {
			s.timers[n] = d.tim[at : at+k : at+k]
			at += k
		}
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
