package explore

import (
	"encoding/binary"
	"math/bits"

	"github.com/qoslab/qoslab/model"
)

// encode appends the compact canonical encoding of s: the state's key
// (hashed into its fingerprint) and how the frontier stores it. Numbers
// are varints, most of them one byte: two flag bytes (connections up,
// nodes down, which optional parts follow), the application's progress,
// the delivery counts (one bit a message while none exceeds one, as in
// every state the search expands), the messages a broker could not route
// and the fault budgets left (only those not zero), the interned endpoint
// ids, the queue and timer set lengths, then the packet ids in flight and
// the armed timers. About 20 bytes for the two-node states of the stream
// search in docs/explore.md; the encoding is injective for a given shape.
func (s *state) encode(dst []byte, sh shape) []byte {
	var flags, present byte
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
	var once uint64
	for m := range sh.msgs {
		switch d := s.delivered[m]; {
		case d == 1:
			once |= 1 << m
		case d > 1:
			flags |= encDeliveredBytes
		}
	}
	if s.unrouted != 0 {
		flags |= encUnrouted
	}
	budgets := [4]uint8{s.breaks, s.crashes, s.losses, s.dups}
	for i, b := range budgets {
		if b != 0 {
			present |= 1 << i
		}
	}
	dst = append(dst, flags, present, s.published)
	dst = binary.AppendUvarint(dst, uint64(s.completed))
	dst = binary.AppendUvarint(dst, uint64(s.abandoned))
	if flags&encUnrouted != 0 {
		dst = binary.AppendUvarint(dst, uint64(s.unrouted))
	}
	if flags&encDeliveredBytes == 0 {
		dst = binary.AppendUvarint(dst, once)
	} else {
		dst = append(dst, s.delivered[:sh.msgs]...)
	}
	for _, b := range budgets {
		if b != 0 {
			dst = append(dst, b)
		}
	}
	for n := range sh.nodes {
		dst = binary.AppendUvarint(dst, uint64(s.ep[n]))
	}
	for d := range sh.dirs {
		dst = binary.AppendUvarint(dst, uint64(len(s.net[d])))
	}
	for n := range sh.nodes {
		dst = binary.AppendUvarint(dst, uint64(len(s.timers[n])))
	}
	for d := range sh.dirs {
		for _, p := range s.net[d] {
			dst = binary.AppendUvarint(dst, uint64(p))
		}
	}
	for n := range sh.nodes {
		for _, t := range s.timers[n] {
			dst = binary.AppendUvarint(dst, uint64(t))
		}
	}
	return dst
}

// The flags above the connections' and nodes' bits (maxLinks+maxNodes of
// them) in the first byte of an encoding.
const (
	encDeliveredBytes = 1 << (maxLinks + maxNodes + iota) // delivery counts as bytes
	encUnrouted                                           // unrouted messages follow
)

// decodeBytes sets s to the state encode encoded as b. s's queues and
// timer sets are d's memory: s is valid until the next decode with d.
func (d *decoder) decodeBytes(s *state, b []byte, sh shape) {
	*s = state{}
	flags, present := b[0], b[1]
	for l := range sh.dirs / 2 {
		s.linkUp[l] = flags&(1<<l) != 0
	}
	for n := range sh.nodes {
		s.down[n] = flags&(1<<(maxLinks+n)) != 0
	}
	s.published = b[2]
	r := reader{b: b[3:]}
	s.completed, s.abandoned = uint16(r.uvarint()), uint16(r.uvarint())
	if flags&encUnrouted != 0 {
		s.unrouted = uint16(r.uvarint())
	}
	if flags&encDeliveredBytes == 0 {
		once := r.uvarint()
		for m := range sh.msgs {
			s.delivered[m] = uint8(once >> m & 1)
		}
	} else {
		copy(s.delivered[:sh.msgs], r.b)
		r.b = r.b[sh.msgs:]
	}
	for i, p := range [4]*uint8{&s.breaks, &s.crashes, &s.losses, &s.dups} {
		if present&(1<<i) != 0 {
			*p = r.b[0]
			r.b = r.b[1:]
		}
	}
	for n := range sh.nodes {
		s.ep[n] = uint32(r.uvarint())
	}
	var nets [maxDirs]int
	var tims [maxNodes]int
	for dd := range sh.dirs {
		nets[dd] = int(r.uvarint())
	}
	for n := range sh.nodes {
		tims[n] = int(r.uvarint())
	}
	d.net, d.tim = d.net[:0], d.tim[:0]
	for dd := range sh.dirs {
		for range nets[dd] {
			d.net = append(d.net, pktID(r.uvarint()))
		}
	}
	for n := range sh.nodes {
		for range tims[n] {
			d.tim = append(d.tim, model.Timer(r.uvarint()))
		}
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
		if k := tims[n]; k > 0 {
			s.timers[n] = d.tim[at : at+k : at+k]
			at += k
		}
	}
}

// reader reads varints from an encoding the search wrote itself.
type reader struct{ b []byte }

func (r *reader) uvarint() uint64 {
	if c := r.b[0]; c < 0x80 { // the common case: one byte
		r.b = r.b[1:]
		return uint64(c)
	}
	v, n := binary.Uvarint(r.b)
	r.b = r.b[n:]
	return v
}

// hashBytes is MurmurHash3 x64-128 (Austin Appleby, public domain) of b.
func hashBytes(b []byte) (uint64, uint64) {
	var h1, h2 uint64 = 0x9368e53c2f6af274, 0x586dcd208f7cd3fd
	n := uint64(len(b))
	for len(b) >= 16 {
		k1, k2 := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
		b = b[16:]
		h1 ^= mix1(k1)
		h1 = rotl(h1, 27) + h2
		h1 = h1*5 + 0x52dce729
		h2 ^= mix2(k2)
		h2 = rotl(h2, 31) + h1
		h2 = h2*5 + 0x38495ab5
	}
	if len(b) > 0 {
		var tail [16]byte
		copy(tail[:], b)
		k1, k2 := binary.LittleEndian.Uint64(tail[:]), binary.LittleEndian.Uint64(tail[8:])
		if len(b) > 8 {
			h2 ^= mix2(k2)
		}
		h1 ^= mix1(k1)
	}
	h1 ^= n
	h2 ^= n
	h1 += h2
	h2 += h1
	h1, h2 = fmix64(h1), fmix64(h2)
	h1 += h2
	h2 += h1
	return h1, h2
}

const murmurC1, murmurC2 = 0x87c37b91114253d5, 0x4cf5ad432745937f

func mix1(k uint64) uint64        { return bits.RotateLeft64(k*murmurC1, 31) * murmurC2 }
func mix2(k uint64) uint64        { return bits.RotateLeft64(k*murmurC2, 33) * murmurC1 }
func rotl(h uint64, r int) uint64 { return bits.RotateLeft64(h, r) }
