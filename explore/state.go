package explore

import (
	"encoding/binary"
	"math/bits"

	"github.com/qoslab/qoslab/model"
)

// The closed system has at most three nodes and two connections (the
// topologies of sim.Layout): a client and a server, or up to two clients
// and a broker. Direction d carries the packets of connection d/2 sent by
// its client (d even) or its server (d odd).
const (
	maxNodes = 3
	maxLinks = 2
	maxDirs  = 2 * maxLinks
)

// The nodes of the direct topology, which much of the two-party code
// names: the sender is the MQTT client, the receiver the MQTT server.
const (
	client = 0
	server = 1
)

// state is one state of the closed system. States are immutable once built:
// successors share the queues and timer sets they do not change (copy on
// write), and the endpoints are interned (see endpoints).
type state struct {
	ep        [maxNodes]uint32        // interned endpoint ids
	net       [maxDirs][]pktID        // in flight in direction d
	timers    [maxNodes][]model.Timer // armed timers of node n, sorted
	delivered [MaxMessages]uint8      // deliveries to receiving applications
	completed uint16                  // bit m-1: the publisher completed message m
	abandoned uint16                  // bit m-1: the publisher abandoned message m
	unrouted  uint16                  // bit m-1: the broker had no subscription for message m
	published uint8                   // messages handed to the publishers so far (in order)
	linkUp    [maxLinks]bool          // stream: the transport is connected
	down      [maxNodes]bool
	breaks    uint8 // remaining budgets
	crashes   uint8
	losses    uint8
	dups      uint8
	id        uint32 // index in the explorer's tables (not part of the key)
}

// shape is what the encoding of a state needs to know of its system: how
// many messages, nodes and directions are in use.
type shape struct {
	msgs, nodes, dirs int
	broker            bool // a broker routes: the encoding holds the unrouted messages
}

// wide reports whether the encoding has its third fixed word: a third
// endpoint or messages a broker found no subscription for.
func (sh shape) wide() bool { return sh.nodes > 2 || sh.broker }

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

// decoder holds the memory of decoded states' queues and timer sets.
type decoder struct {
	net []pktID
	tim []model.Timer
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

// appendPacket encodes every field a protocol may read; topic and payload
// follow from Msg.Ref within one workload.
func appendPacket(dst []byte, p *model.Packet) []byte {
	var f byte
	if p.Dup {
		f |= 1
	}
	if p.SessionPresent {
		f |= 2
	}
	if p.CleanStart {
		f |= 4
	}
	dst = append(dst, byte(p.Type), byte(p.ID>>8), byte(p.ID), p.QoS, f, p.Reason, byte(p.Msg.Ref))
	return binary.AppendUvarint(dst, p.MsgID)
}

// comparePackets orders packets canonically, for the unordered multisets
// of a reordering datagram network.
func comparePackets(a, b *model.Packet) int {
	var ka, kb [24]byte
	ea, eb := appendPacket(ka[:0], a), appendPacket(kb[:0], b)
	for i := 0; i < len(ea) && i < len(eb); i++ {
		if ea[i] != eb[i] {
			return int(ea[i]) - int(eb[i])
		}
	}
	return len(ea) - len(eb)
}

func samePacket(a, b *model.Packet) bool { return comparePackets(a, b) == 0 }

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

func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}
