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

// appendKey appends the canonical encoding of s. An endpoint is encoded
// by its interned id, which stands for exactly one endpoint encoding.
func (s *state) appendKey(dst []byte, msgs int) []byte {
	dst = binary.AppendUvarint(dst, uint64(s.ep[client]))
	dst = binary.AppendUvarint(dst, uint64(s.ep[server]))
	for d := range 2 {
		dst = binary.AppendUvarint(dst, uint64(len(s.net[d])))
		for _, p := range s.net[d] {
			dst = binary.AppendUvarint(dst, uint64(p))
		}
		dst = binary.AppendUvarint(dst, uint64(len(s.timers[d])))
		for _, t := range s.timers[d] {
			dst = append(dst, byte(t>>16), byte(t>>8), byte(t))
		}
	}
	dst = append(dst, s.delivered[:msgs]...)
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
	return append(dst, byte(s.completed), byte(s.completed>>8), byte(s.abandoned), byte(s.abandoned>>8),
		s.published, flags, s.breaks, s.crashes, s.losses, s.dups)
}

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

// hashKey is MurmurHash3 x64-128 (Austin Appleby, public domain).
func hashKey(b []byte) key {
	const c1, c2 = 0x87c37b91114253d5, 0x4cf5ad432745937f
	var h1, h2 uint64 = 0x9368e53c2f6af274, 0x586dcd208f7cd3fd
	n := len(b)
	for len(b) >= 16 {
		k1 := binary.LittleEndian.Uint64(b)
		k2 := binary.LittleEndian.Uint64(b[8:])
		b = b[16:]
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
	var k1, k2 uint64
	for i := len(b) - 1; i >= 8; i-- {
		k2 = k2<<8 | uint64(b[i])
	}
	for i := min(len(b), 8) - 1; i >= 0; i-- {
		k1 = k1<<8 | uint64(b[i])
	}
	if len(b) > 8 {
		k2 *= c2
		k2 = bits.RotateLeft64(k2, 33)
		k2 *= c1
		h2 ^= k2
	}
	if len(b) > 0 {
		k1 *= c1
		k1 = bits.RotateLeft64(k1, 31)
		k1 *= c2
		h1 ^= k1
	}
	h1 ^= uint64(n)
	h2 ^= uint64(n)
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
