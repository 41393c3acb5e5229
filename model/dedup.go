package model

import (
	"math/bits"
	"slices"
	"strconv"
)

// The receiver of the two-packet proposal (seed question): PUBLISH is
// answered by PUBREC and nothing else follows, so the receiver cannot learn
// when a retransmission can no longer come. It delivers a PUBLISH unless its
// de-duplication store already holds the PUBLISH's key, and the store is what
// decides the variant's fate: which key it uses and when it forgets one. Each
// two-packet variant is this receiver with a key function and store limits.

// dedupKey extracts the de-duplication key of an incoming PUBLISH.
type dedupKey func(p Packet) uint64

// dedupReceiver is the two-packet receiver. Its store is session state: it
// survives reconnects, and crashes unless Config.Volatile, and it is dropped
// with the session (Session Present 0, MQTT 5.0 session expiry).
type dedupReceiver struct {
	cfg   Config
	key   dedupKey
	store dedupStore
}

func newDedupReceiver(c Config, key dedupKey, store dedupStore) *dedupReceiver {
	return &dedupReceiver{cfg: c.Normalize(), key: key, store: store}
}

func (r *dedupReceiver) Step(c *Ctx, in *Input, out []Output) []Output {
	switch in.Kind {
	case InDiscard:
		r.store.reset()
	case InRestart:
		return r.store.rearm(out)
	case InPacket:
		if in.Packet.Type == PUBLISH {
			return r.onPublish(&in.Packet, out)
		}
	case InTimer:
		if in.Timer.Purpose() == TimerExpiry {
			r.store.expire(in.Timer.Key())
		}
	case InCrash:
		if r.cfg.Volatile {
			r.store.reset()
		}
	}
	return out
}

func (r *dedupReceiver) onPublish(p *Packet, out []Output) []Output {
	ack := Packet{Type: PUBREC, ID: p.ID}
	k := r.key(*p)
	if stamp, ok := r.store.hit(k); ok {
		// Seen before: acknowledge again so that the sender stops, and
		// deliver nothing. This is the proposal's "check the db"; it is
		// right only as long as equal keys mean the same message.
		return Send(r.armExpiry(stamp, out), ack)
	}
	stamp := r.store.add(k)
	out = Persist(out, "de-duplication key recorded")
	out = r.armExpiry(stamp, out)
	out = Deliver(out, p.Msg)
	return Send(out, ack)
}

// armExpiry starts the time-to-live of the entry with the given stamp. The
// timer is named by the stamp's low 16 bits, so a refreshed entry's old
// timer finds nothing to expire.
func (r *dedupReceiver) armExpiry(stamp uint32, out []Output) []Output {
	if r.store.ttlTicks == 0 {
		return out
	}
	return SetTimer(out, MakeTimer(TimerExpiry, uint16(stamp)), r.store.ttlTicks)
}

func (r *dedupReceiver) Clone() Half {
	c := *r
	c.store = r.store.clone()
	return &c
}

func (r *dedupReceiver) AppendKey(dst []byte) []byte {
	return r.store.appendKey(dst)
}

// Pending implements Endpoint: a de-dup store is never unfinished business,
// since nothing tells the receiver it may forget (that is the point).
func (r *dedupReceiver) Pending(dst []string) []string { return dst }

// Held is the number of keys in the store.
func (r *dedupReceiver) Held() int { return r.store.size() }

// dedupStore is a set of 64-bit keys with optional expiry and capacity.
//
// A dense store holds packet ids kept forever as a bit set: at most 8 KiB
// for the whole 16-bit space, one word for ids up to 64.
//
// Unbounded stores are a plain set: O(1) per message, and AppendKey sorts
// the keys so that the encoding is canonical. Bounded stores also keep the
// entries in recency order (oldest first) with a stamp each; an entry that a
// later hit refreshed stays behind in the order as a stale copy and is
// skipped, so every operation stays O(1) amortised. A hit refreshes the
// entry: it moves to the back of the LRU order and its time-to-live restarts.
type dedupStore struct {
	dense    bool     // keys are packet ids kept forever: bits is the set
	bits     []uint64 // dense only: bit k set when key k is held
	count    int      // dense only: keys held
	ttlTicks int64    // 0: entries do not expire
	capacity int      // 0: no capacity bound
	live     map[uint64]uint32
	order    []stamped // bounded stores only; order[head:] is in use
	head     int
	seq      uint32 // last stamp handed out
}

type stamped struct {
	key   uint64
	stamp uint32
}

func newDedupStore(ttlTicks int64, capacity int) dedupStore {
	return dedupStore{ttlTicks: ttlTicks, capacity: capacity, live: map[uint64]uint32{}}
}

// newDenseStore is an unbounded store of 16-bit keys.
func newDenseStore() dedupStore { return dedupStore{dense: true} }

// size is the number of keys held.
func (s *dedupStore) size() int {
	if s.dense {
		return s.count
	}
	return len(s.live)
}

func (s *dedupStore) denseHas(k uint64) bool {
	return k>>6 < uint64(len(s.bits)) && s.bits[k>>6]&(1<<(k&63)) != 0
}

// denseKeys calls f for the held keys in ascending order.
func (s *dedupStore) denseKeys(f func(uint64)) {
	for w, word := range s.bits {
		for ; word != 0; word &= word - 1 {
			f(uint64(w)<<6 | uint64(bits.TrailingZeros64(word)))
		}
	}
}

func (s *dedupStore) bounded() bool { return s.ttlTicks > 0 || s.capacity > 0 }

// hit reports whether k is stored and, in a bounded store, refreshes it
// under a new stamp, which it returns.
func (s *dedupStore) hit(k uint64) (uint32, bool) {
	if s.dense {
		return 0, s.denseHas(k)
	}
	stamp, ok := s.live[k]
	if !ok {
		return 0, false
	}
	if s.bounded() {
		stamp = s.push(k)
	}
	return stamp, true
}

// add stores k (which is not stored) and returns its stamp; a full store
// evicts its least recently used entry first.
func (s *dedupStore) add(k uint64) uint32 {
	if s.dense {
		for uint64(len(s.bits)) <= k>>6 {
			s.bits = append(s.bits, 0)
		}
		s.bits[k>>6] |= 1 << (k & 63)
		s.count++
		return 0
	}
	if s.capacity > 0 && len(s.live) >= s.capacity {
		s.evictOldest()
	}
	if !s.bounded() {
		s.seq++
		s.live[k] = s.seq
		return s.seq
	}
	return s.push(k)
}

func (s *dedupStore) push(k uint64) uint32 {
	s.seq++
	s.live[k] = s.seq
	if len(s.order)-s.head > 2*len(s.live)+64 {
		s.compact() // refreshes left too many stale copies behind
	}
	s.order = append(s.order, stamped{k, s.seq})
	return s.seq
}

// compact keeps only the live entries of the order, oldest first.
func (s *dedupStore) compact() {
	n := 0
	for _, e := range s.order[s.head:] {
		if s.isLive(e) {
			s.order[n] = e
			n++
		}
	}
	s.order, s.head = s.order[:n], 0
}

func (s *dedupStore) isLive(e stamped) bool {
	st, ok := s.live[e.key]
	return ok && st == e.stamp
}

// trim drops stale entries at the front and compacts the order once most of
// it is dead, so memory follows the live entries.
func (s *dedupStore) trim() {
	for s.head < len(s.order) && !s.isLive(s.order[s.head]) {
		s.head++
	}
	if s.head > 32 && s.head*2 > len(s.order) {
		n := copy(s.order, s.order[s.head:])
		s.order = s.order[:n]
		s.head = 0
	}
}

func (s *dedupStore) evictOldest() {
	s.trim()
	if s.head < len(s.order) {
		delete(s.live, s.order[s.head].key)
		s.head++
		s.trim()
	}
}

// expire forgets the live entry whose stamp has the timer's 16-bit tag. With
// one time-to-live for all, that is the oldest live entry, so the scan stops
// at once; a refreshed entry's old timer finds no live entry and does nothing.
func (s *dedupStore) expire(tag uint16) {
	s.trim()
	for i := s.head; i < len(s.order); i++ {
		if e := s.order[i]; uint16(e.stamp) == tag && s.isLive(e) {
			delete(s.live, e.key)
			s.trim()
			return
		}
	}
}

// rearm sets an expiry timer for every live entry after a restart, whose
// crash disarmed them: each gets a full time-to-live again.
func (s *dedupStore) rearm(out []Output) []Output {
	if s.ttlTicks == 0 {
		return out
	}
	for _, e := range s.order[s.head:] {
		if s.isLive(e) {
			out = SetTimer(out, MakeTimer(TimerExpiry, uint16(e.stamp)), s.ttlTicks)
		}
	}
	return out
}

func (s *dedupStore) reset() {
	s.bits, s.count = nil, 0
	clear(s.live)
	s.order, s.head = nil, 0
}

func (s dedupStore) clone() dedupStore {
	c := s
	if s.dense {
		c.bits = append([]uint64(nil), s.bits...)
		return c
	}
	c.live = make(map[uint64]uint32, len(s.live))
	for k, v := range s.live {
		c.live[k] = v
	}
	c.order = nil
	for _, e := range s.order[s.head:] {
		if s.isLive(e) {
			c.order = append(c.order, e)
		}
	}
	c.head = 0
	return c
}

// appendKey encodes the live entries canonically: sorted for a set, in
// recency order for a bounded store, with the 16-bit timer tags when entries
// expire (they decide which timer forgets which entry).
func (s *dedupStore) appendKey(dst []byte) []byte {
	dst = appendU32(dst, uint32(s.size()))
	if s.dense {
		s.denseKeys(func(k uint64) { dst = appendU16(dst, uint16(k)) })
		return dst
	}
	if !s.bounded() {
		keys := make([]uint64, 0, len(s.live))
		for k := range s.live {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			dst = appendU64(dst, k)
		}
		return dst
	}
	for _, e := range s.order[s.head:] {
		if !s.isLive(e) {
			continue
		}
		dst = appendU64(dst, e.key)
		if s.ttlTicks > 0 {
			dst = appendU16(dst, uint16(e.stamp))
		}
	}
	if s.ttlTicks > 0 {
		dst = appendU16(dst, uint16(s.seq))
	}
	return dst
}

// String lists the live keys in store order, for tests and traces.
func (s *dedupStore) String() string {
	b := []byte{'['}
	add := func(k uint64) {
		if len(b) > 1 {
			b = append(b, ' ')
		}
		b = strconv.AppendUint(b, k, 10)
	}
	switch {
	case s.dense:
		s.denseKeys(add)
	case !s.bounded():
		keys := make([]uint64, 0, len(s.live))
		for k := range s.live {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			add(k)
		}
	default:
		for _, e := range s.order[s.head:] {
			if s.isLive(e) {
				add(e.key)
			}
		}
	}
	return string(append(b, ']'))
}
