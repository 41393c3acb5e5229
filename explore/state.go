package explore

import (
	"encoding/binary"

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
