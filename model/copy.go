package model

// Copier is an optional interface for endpoints: CopyFrom makes the
// receiver an independent copy of src (an endpoint of the same concrete
// type and variant), reusing the receiver's buffers, and reports false if
// src is of another kind. The exhaustive explorer steps scratch copies this
// way and clones only the states it keeps, so that the successors it
// discards as already visited cost no allocation.
type Copier interface {
	CopyFrom(src Endpoint) bool
}

// CopyFrom implements HalfCopier.
func (s *Sender) CopyFrom(src Half) bool {
	o, ok := src.(*Sender)
	if !ok {
		return false
	}
	flights, items := s.flights[:0], s.queue.items[:0]
	*s = *o
	s.flights, s.flightArr = append(flights, o.flights...), nil
	s.queue = msgQueue{items: append(items, o.queue.pending()...)}
	return true
}

// CopyFrom implements HalfCopier.
func (r *qos2Receiver) CopyFrom(src Half) bool {
	o, ok := src.(*qos2Receiver)
	if !ok {
		return false
	}
	held := r.held[:0]
	*r = *o
	r.held, r.heldArr = append(held, o.held...), nil
	return true
}
