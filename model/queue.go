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

func (q *msgQueue) front() Message { return q.items[q.head] }

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
