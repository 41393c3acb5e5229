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

// listArray returns an empty list at the start of the array of list s
// (arr as appendSlot returned it), so that a copy keeps the whole array.
func listArray[T any](s, arr []T) []T {
	if sameEnd(s, arr) && cap(arr) > cap(s) {
		return arr[:0]
	}
	return s[:0]
}

// CopyFrom implements HalfCopier.
func (s *Sender) CopyFrom(src Half) bool {
	o, ok := src.(*Sender)
	if !ok {
		return false
	}
	flights, items := listArray(s.flights, s.flightArr), s.queue.items[:0]
	*s = *o
	s.flights = append(flights, o.flights...)
	s.flightArr = s.flights[:0]
	s.queue = msgQueue{items: append(items, o.queue.pending()...)}
	return true
}

// CopyFrom implements HalfCopier.
func (r *qos2Receiver) CopyFrom(src Half) bool {
	o, ok := src.(*qos2Receiver)
	if !ok {
		return false
	}
	held := listArray(r.held, r.heldArr)
	*r = *o
	r.held = append(held, o.held...)
	r.heldArr = r.held[:0]
	return true
}
