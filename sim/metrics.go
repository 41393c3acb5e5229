package sim

import (
	"github.com/qoslab/qoslab/model"
)

// MessageStats is what happened to one application message.
type MessageStats struct {
	Ref            uint32 `json:"msg"`
	PublishedAt    int64  `json:"published_at"`
	Deliveries     int    `json:"deliveries"`             // times the final application received it
	DeliveredAt    int64  `json:"delivered_at"`           // first delivery; -1 if never
	CompletedAt    int64  `json:"completed_at"`           // the publisher's flow ended; -1 if it never did
	Abandoned      bool   `json:"abandoned,omitempty"`    // the publisher gave up on it
	AbandonNote    string `json:"abandon_note,omitempty"` // why
	PayloadResends int    `json:"payload_resends"`        // PUBLISH packets with DUP set sent for it
	// Unrouted: the broker took it when no session had a matching
	// subscription (a client's clean session forgot it), so no delivery
	// is owed: MQTT does not keep messages for subscriptions to come.
	Unrouted bool `json:"unrouted,omitempty"`
}

// Result is the outcome of a run: metrics, the trace if recorded, and
// whether the run settled.
type Result struct {
	Config   Config         `json:"config"`
	Messages []MessageStats `json:"messages"`
	// Packets and Bytes count what was put on the wire, by packet type,
	// with exact MQTT encoded sizes for the configured version.
	Packets    [model.NumPacketTypes]int `json:"-"`
	Bytes      [model.NumPacketTypes]int `json:"-"`
	Lost       int                       `json:"packets_lost"` // packets that never arrived
	Breaks     int                       `json:"breaks"`       // connection breaks
	Crashes    int                       `json:"crashes"`
	Persists   int                       `json:"persists"`     // session writes the endpoints asked for
	PeakHeld   int                       `json:"peak_held"`    // largest number of ids/messages a receiver held at once
	PeakHeldBy []NodePeak                `json:"peak_held_by"` // the same per receiving endpoint
	Events     int64                     `json:"events"`       // simulator events processed
	EndTicks   int64                     `json:"end_ticks"`
	TimedOut   bool                      `json:"timed_out,omitempty"`
	// Settled is true when every message's flow ended (completed, or
	// abandoned with the application told) and nothing is pending;
	// otherwise Pending says what is left.
	Settled bool `json:"settled"`
	// Unfired lists the schedule's faults whose packet or moment never came
	// (PUBREC#9 in a run with three PUBRECs): the run did not test them.
	Unfired []string `json:"unfired_faults,omitempty"`
	Pending []string `json:"pending,omitempty"`
	Trace   Trace    `json:"trace,omitempty"`
	// Legs is the variant that ran on each link: one for Direct; for
	// Brokered the publisher -> broker leg, then the broker -> subscriber
	// leg, which runs at the lower QoS of Variant and SubscriberVariant
	// (model.Forward).
	Legs []string `json:"legs"`
	// PeakHeldAt is when PeakHeld was first reached, and PeakHeldEvent the
	// trace position of the input that reached it (-1 without a trace), so
	// that a bound on receiver state can point at the moment it broke.
	PeakHeldAt    int64 `json:"-"`
	PeakHeldEvent int   `json:"-"`
}

// reset returns r, or a new Result if r is nil, set for a run of cfg with
// n messages. r's Messages and PeakHeldBy arrays are reused; the lists
// that a run may leave empty (Unfired, Pending, Trace) start nil, as in a
// new Result, and Sim keeps their arrays (see Sim.spare).
func (r *Result) reset(cfg Config, n int) *Result {
	if r == nil {
		r = new(Result)
	}
	msgs, peaks := r.Messages, r.PeakHeldBy
	if cap(msgs) < n {
		msgs = make([]MessageStats, n)
	}
	msgs = msgs[:n]
	for i := range msgs {
		msgs[i] = MessageStats{Ref: uint32(i + 1), DeliveredAt: -1, CompletedAt: -1}
	}
	*r = Result{Config: cfg, Messages: msgs, PeakHeldBy: peaks[:0]}
	return r
}

func (r *Result) countSend(p *model.Packet, v model.Version) {
	r.Packets[p.Type]++
	r.Bytes[p.Type] += p.Size(v)
	if p.Type == model.PUBLISH && p.Dup && p.Msg.Ref != 0 {
		r.Messages[p.Msg.Ref-1].PayloadResends++
	}
}

func (r *Result) delivered(ref uint32, now int64) {
	m := &r.Messages[ref-1]
	m.Deliveries++
	if m.DeliveredAt < 0 {
		m.DeliveredAt = now
	}
}

func (r *Result) completed(ref uint32, now int64, abandoned bool, note string) {
	m := &r.Messages[ref-1]
	if abandoned {
		m.Abandoned, m.AbandonNote = true, note
		return
	}
	m.CompletedAt = now
}

// NodePeak is the largest number of packet ids or messages one receiving
// endpoint held at once.
type NodePeak struct {
	Node string `json:"node"`
	Peak int    `json:"peak"`
}

// Fate is what became of one message, as every part of qoslab counts it:
// its deliveries to the final application and, for a message never
// delivered, whether the publisher told its application that it gave up.
// A message the publisher abandoned (retry limit, session lost) is not a
// silent loss: the application knows it must act. Fates partition the
// messages of a run.
type Fate uint8

const (
	FateExactlyOnce Fate = iota + 1 // delivered once
	FateDuplicated                  // delivered more than once
	FateLost                        // never delivered, and the publisher never said it gave up: a silent loss
	FateAbandoned                   // never delivered; the publisher abandoned it and told its application
	FateUnrouted                    // never delivered: the broker had no subscription for it, so none was owed
)

var fateNames = [...]string{"", "exactly once", "duplicated", "lost", "abandoned", "unrouted"}

func (f Fate) String() string {
	if int(f) < len(fateNames) {
		return fateNames[f]
	}
	return "fate?"
}

// Fate classifies the message.
func (m *MessageStats) Fate() Fate {
	switch {
	case m.Deliveries > 1:
		return FateDuplicated
	case m.Deliveries == 1:
		return FateExactlyOnce
	case m.Unrouted:
		return FateUnrouted
	case m.Abandoned:
		return FateAbandoned
	}
	return FateLost
}

// Unfinished reports whether the publisher's flow for the message neither
// completed nor was abandoned by the end of the run: a run that did not
// settle, whatever the deliveries.
func (m *MessageStats) Unfinished() bool { return m.CompletedAt < 0 && !m.Abandoned }

// Summary condenses a result into the figures a comparison table shows.
type Summary struct {
	Messages    int `json:"messages"`
	ExactlyOnce int `json:"exactly_once"`
	Duplicated  int `json:"duplicated"` // delivered more than once
	Missing     int `json:"lost"`       // never delivered and not abandoned: lost silently
	// Abandoned counts messages never delivered that the publisher gave up
	// on and told its application about (FateAbandoned).
	Abandoned int `json:"abandoned"`
	// NeverCompleted counts messages whose flow neither completed nor was
	// abandoned by the end of the run, whatever their deliveries.
	NeverCompleted int `json:"never_completed"`
	// Unrouted counts messages never delivered because no subscription
	// matched at the broker (FateUnrouted): no delivery was owed.
	Unrouted       int     `json:"unrouted,omitempty"`
	Packets        int     `json:"packets"`
	Bytes          int     `json:"bytes"`
	PayloadResends int     `json:"payload_resends"`
	PeakHeld       int     `json:"peak_held"`
	DeliveryTicks  []int64 `json:"-"` // latency publish -> first delivery, per delivered message
	CompleteTicks  []int64 `json:"-"` // latency publish -> publisher's completion, per completed message
}

// Summarize counts delivery outcomes and wire costs.
func (r *Result) Summarize() Summary {
	s := Summary{Messages: len(r.Messages), PeakHeld: r.PeakHeld}
	for i := range r.Messages {
		m := &r.Messages[i]
		switch m.Fate() {
		case FateExactlyOnce:
			s.ExactlyOnce++
		case FateDuplicated:
			s.Duplicated++
		case FateLost:
			s.Missing++
		case FateAbandoned:
			s.Abandoned++
		case FateUnrouted:
			s.Unrouted++
		}
		if m.Unfinished() {
			s.NeverCompleted++
		}
		s.PayloadResends += m.PayloadResends
		if m.DeliveredAt >= 0 {
			s.DeliveryTicks = append(s.DeliveryTicks, m.DeliveredAt-m.PublishedAt)
		}
		if m.CompletedAt >= 0 {
			s.CompleteTicks = append(s.CompleteTicks, m.CompletedAt-m.PublishedAt)
		}
	}
	for t := range r.Packets {
		s.Packets += r.Packets[t]
		s.Bytes += r.Bytes[t]
	}
	return s
}

// PacketCounts returns the packets sent per type name, for JSON and text.
func (r *Result) PacketCounts() map[string]int {
	m := map[string]int{}
	for t, n := range r.Packets {
		if n > 0 {
			m[model.PacketType(t).String()] = n
		}
	}
	return m
}

// ByteCounts returns the bytes sent per type name.
func (r *Result) ByteCounts() map[string]int {
	m := map[string]int{}
	for t, n := range r.Bytes {
		if n > 0 {
			m[model.PacketType(t).String()] = n
		}
	}
	return m
}
