package model

// msgQueue is a FIFO of messages that reuses its backing array, so that a
// sender in steady state queues and dequeues without allocating.
type msgQueue struct {
	items []Message
	head  int
}

func (q *msgQueue) push(m Message) {
	if q.head > 0 && q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > 0 && len(q.items) == cap(q.items) {
		// Full, with popped entries in front: move the live ones to the
		// front, of a twice larger array if they fill more than half. Growth
		// by append would copy the popped entries too, and a queue that
		// fills faster than it drains would keep growing by them.
		live := q.items[q.head:]
		dst := q.items[:0]
		if 2*len(live) > cap(q.items) {
			dst = make([]Message, 0, 2*cap(q.items))
		}
		q.items, q.head = append(dst, live...), 0
	}
	q.items = append(q.items, m)
}

func (q *msgQueue) len() int { return len(q.items) - q.head }

func (q *msgQueue) pop() Message {
	m := q.items[q.head]
	q.items[q.head] = Message{}
	q.head++
	return m
}

// pending returns the queued messages, oldest first (shared; do not modify).
func (q *msgQueue) pending() []Message { return q.items[q.head:] }

func (q *msgQueue) clone() msgQueue {
	return msgQueue{items: append([]Message(nil), q.pending()...)}
}

// removeOrdered removes element i of s, keeping the order of the rest.
// Lists of flows and held ids lose their elements mostly in the order they
// came, so it moves the shorter side: the first element goes by starting
// the list one later (appendSlot takes that room back).
func removeOrdered[T any](s []T, i int) []T {
	var zero T
	if i < len(s)/2 {
		copy(s[1:i+1], s[:i])
		s[0] = zero
		return s[1:]
	}
	copy(s[i:], s[i+1:])
	s[len(s)-1] = zero
	return s[:len(s)-1]
}

// appendSlot appends a zero element to s, returns the list and the array
// it is in from that array's start (arr: as last returned, or nil), and the
// new element for the caller to fill in place: a struct literal appended
// whole is read back in wide loads from the narrow stores that built it
// (see Packet.CopyFrom). When s reached the end of arr with room left
// before it, it moves back to arr's start first, so that a list that loses
// its front keeps one array; unless it fills more than half of it, when a
// twice larger array keeps the moves to one element per append.
func appendSlot[T any](s, arr []T) ([]T, []T, *T) {
	if len(s) > 0 && len(s) == cap(s) && cap(arr) >= 2*len(s) && sameEnd(s, arr) {
		n := copy(arr[:cap(arr)], s)
		clear(arr[n:cap(arr)])
		s = arr[:n]
	}
	var zero T
	s = append(s, zero)
	if cap(arr) == 0 || !sameEnd(s, arr) {
		arr = s[:0] // a new array, or arr was another list's (a copy's)
	}
	return s, arr, &s[len(s)-1]
}

// sameEnd reports whether a and b end at the same element of one array:
// a is a window of b's array that starts at or after b.
func sameEnd[T any](a, b []T) bool {
	return cap(a) > 0 && cap(b) > 0 && &a[:cap(a)][cap(a)-1] == &b[:cap(b)][cap(b)-1]
}
