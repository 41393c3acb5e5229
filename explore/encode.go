package explore

import (
	"encoding/binary"
	"math/bits"

	"github.com/qoslab/qoslab/model"
)

// encode appends the compact canonical encoding of s: the state's key
// (hashed into its fingerprint) and how the frontier stores it. Numbers
// are varints, most of them one byte: a flags byte, the application's
// progress, the delivery counts (one bit a message while none exceeds
// one, as in every state the search expands), the fault budgets left
// (only those not zero), the interned endpoint ids, the queue and timer
// set lengths, then the packet ids in flight and the armed timers. About
// 20 bytes for the states of the stream search in docs/explore.md; the
// encoding is injective for a given number of messages.
func (s *state) encode(dst []byte, msgs int) []byte {
	var flags byte
	if s.linkUp {
		flags |= 1
	}
	if s.down[0] {
		flags |= 2
	}
	if s.down[1] {
		flags |= 4
	}
	var once uint64
	for m := range msgs {
		switch d := s.delivered[m]; {
		case d == 1:
			once |= 1 << m
		case d > 1:
			flags |= 8 // counts as bytes
		}
	}
	budgets := [4]uint8{s.breaks, s.crashes, s.losses, s.dups}
	for i, b := range budgets {
		if b != 0 {
			flags |= 16 << i
		}
	}
	dst = append(dst, flags, s.published)
	dst = binary.AppendUvarint(dst, uint64(s.completed))
	dst = binary.AppendUvarint(dst, uint64(s.abandoned))
	if flags&8 == 0 {
		dst = binary.AppendUvarint(dst, once)
	} else {
		dst = append(dst, s.delivered[:msgs]...)
	}
	for _, b := range budgets {
		if b != 0 {
			dst = append(dst, b)
		}
	}
	dst = binary.AppendUvarint(dst, uint64(s.ep[client]))
	dst = binary.AppendUvarint(dst, uint64(s.ep[server]))
	for d := range 2 {
		dst = binary.AppendUvarint(dst, uint64(len(s.net[d])))
	}
	for side := range 2 {
		dst = binary.AppendUvarint(dst, uint64(len(s.timers[side])))
	}
	for d := range 2 {
		for _, p := range s.net[d] {
			dst = binary.AppendUvarint(dst, uint64(p))
		}
	}
	for side := range 2 {
		for _, t := range s.timers[side] {
			dst = binary.AppendUvarint(dst, uint64(t))
		}
	}
	return dst
}

// decodeBytes sets s to the state encode encoded as b. s's queues and
// timer sets are d's memory: s is valid until the next decode with d.
func (d *decoder) decodeBytes(s *state, b []byte, msgs int) {
	*s = state{}
	flags := b[0]
	s.linkUp, s.down = flags&1 != 0, [2]bool{flags&2 != 0, flags&4 != 0}
	s.published = b[1]
	r := reader{b: b[2:]}
	s.completed, s.abandoned = uint16(r.uvarint()), uint16(r.uvarint())
	if flags&8 == 0 {
		once := r.uvarint()
		for m := range msgs {
			s.delivered[m] = uint8(once >> m & 1)
		}
	} else {
		copy(s.delivered[:msgs], r.b)
		r.b = r.b[msgs:]
	}
	budgets := [4]*uint8{&s.breaks, &s.crashes, &s.losses, &s.dups}
	for i, p := range budgets {
		if flags&(16<<i) != 0 {
			*p = r.b[0]
			r.b = r.b[1:]
		}
	}
	s.ep = [2]uint32{uint32(r.uvarint()), uint32(r.uvarint())}
	nets := [2]int{int(r.uvarint()), int(r.uvarint())}
	tims := [2]int{int(r.uvarint()), int(r.uvarint())}
	d.net, d.tim = d.net[:0], d.tim[:0]
	for range nets[0] + nets[1] {
		d.net = append(d.net, pktID(r.uvarint()))
	}
	for range tims[0] + tims[1] {
		d.tim = append(d.tim, model.Timer(r.uvarint()))
	}
	if k := nets[0]; k > 0 {
		s.net[0] = d.net[:k:k]
	}
	if nets[1] > 0 {
		s.net[1] = d.net[nets[0]:len(d.net):len(d.net)]
	}
	if k := tims[0]; k > 0 {
		s.timers[0] = d.tim[:k:k]
	}
	if tims[1] > 0 {
		s.timers[1] = d.tim[tims[0]:len(d.tim):len(d.tim)]
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
