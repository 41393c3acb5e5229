package model

// Keeper is an optional interface of endpoints and halves: AppendKept
// appends the Ref of every message the endpoint keeps a copy of (queued for
// a packet id, in flight, stored until PUBREL, waiting at a broker for its
// subscribers) and reports true, or reports false when it cannot tell (a
// Session with a half that is not a Keeper). A kept message is one a later
// step may still deliver, send, complete or abandon: every output that
// names a message carries a copy the endpoint kept.
//
// A driver that keeps statistics per message uses it to forget a message
// once no endpoint keeps it and no packet carries it, since from then on
// nothing can change what happened to it: the simulator runs long workloads
// in memory that does not grow with the number of messages this way. A
// message may be listed more than once.
type Keeper interface {
	AppendKept(dst []uint32) ([]uint32, bool)
}

// AppendKept implements Keeper: the unacknowledged flows and the queue of
// messages waiting for a packet id.
func (s *Sender) AppendKept(dst []uint32) ([]uint32, bool) {
	for i := range s.flights {
		dst = append(dst, s.flights[i].Msg.Ref)
	}
	for _, m := range s.queue.pending() {
		dst = append(dst, m.Ref)
	}
	return dst, true
}

// AppendKept implements Keeper: the messages stored until PUBREL (Method
// A). A held id of Method B keeps no copy: it delivered at once.
func (r *qos2Receiver) AppendKept(dst []uint32) ([]uint32, bool) {
	for _, h := range r.held {
		if h.Stored {
			dst = append(dst, h.Msg.Ref)
		}
	}
	return dst, true
}

// AppendKept implements Keeper: a de-duplication store keeps keys, never
// messages.
func (r *dedupReceiver) AppendKept(dst []uint32) ([]uint32, bool) { return dst, true }

// AppendKept implements Keeper: QoS 0 delivers at once and keeps nothing.
func (qos0Receiver) AppendKept(dst []uint32) ([]uint32, bool) { return dst, true }

// AppendKept implements Keeper: QoS 1 delivers at once and keeps nothing.
func (qos1Receiver) AppendKept(dst []uint32) ([]uint32, bool) { return dst, true }

// AppendKept implements Keeper: the three-packet receiver holds ids only;
// it delivered at once.
func (r *threePacketReceiver) AppendKept(dst []uint32) ([]uint32, bool) { return dst, true }

// AppendKept implements Keeper: the DUP-flag receiver keeps nothing.
func (dupFlagReceiver) AppendKept(dst []uint32) ([]uint32, bool) { return dst, true }

// AppendKept implements Keeper: what the halves keep; false if a half is
// not a Keeper.
func (s *Session) AppendKept(dst []uint32) ([]uint32, bool) {
	ok := true
	for i, h := range [2]Half{s.out, s.in} {
		if h == nil || (i == 1 && s.joint) {
			continue
		}
		k, isKeeper := h.(Keeper)
		if !isKeeper {
			return dst, false
		}
		if dst, ok = k.AppendKept(dst); !ok {
			return dst, false
		}
	}
	return dst, true
}

// AppendKept implements Keeper: what every session keeps, the messages it
// stored and those waiting to be forwarded to its client.
func (b *Broker) AppendKept(dst []uint32) ([]uint32, bool) {
	ok := true
	for _, s := range b.sessions {
		if dst, ok = s.AppendKept(dst); !ok {
			return dst, false
		}
	}
	return dst, true
}
