package explore

import (
	"encoding/binary"
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

// decoder holds the memory of decoded states' queues and timer sets.
type decoder struct {
	net []pktID
	tim []model.Timer
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
