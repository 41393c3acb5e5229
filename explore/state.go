package explore

import (
	"encoding/binary"
	"math/bits"
	"strconv"

	"github.com/qoslab/qoslab/model"
)

// Sides of the closed system: the sender is the MQTT client, the receiver
// the MQTT server; direction d carries packets sent by side d.
const (
	client = 0
	server = 1
)

var sideNames = [2]string{"client", "server"}

// state is one state of the closed system. States are immutable once built:
// successors share the queues and timer sets they do not change (copy on
// write), and the endpoints are interned (see endpoints).
type state struct {
	ep        [2]uint32        // interned endpoint ids
	net       [2][]pktID       // in flight from side d to the other
	timers    [2][]model.Timer // armed timers of side d, sorted
	delivered [MaxMessages]uint8
	completed uint16 // bit m-1: the sender completed message m
	abandoned uint16 // bit m-1: the sender abandoned message m
	published uint8  // messages handed to the sender so far (in order)
	linkUp    bool   // stream: the transport is connected
	down      [2]bool
	breaks    uint8 // remaining budgets
	crashes   uint8
	losses    uint8
	dups      uint8
	id        uint32 // index in the explorer's tables (not part of the key)
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

// decoder holds the memory of decoded states' queues and timer sets.
type decoder struct {
	net []pktID
	tim []model.Timer
}

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

// workload builds the messages as the simulator's default workload does
// (one topic, distinct 8-byte payloads), so that a replay carries the same
// messages.
func workload(n, distinct int) []model.Message {
	msgs := make([]model.Message, n)
	for i := range msgs {
		k := i
		if distinct > 0 {
			k = i % distinct
		}
		p := "v" + strconv.Itoa(k)
		for len(p) < 8 {
			p += "."
		}
		msgs[i] = model.Message{Ref: uint32(i + 1), Topic: "qoslab/0", Payload: p}
	}
	return msgs
}
