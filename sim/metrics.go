package sim

import (
	"iter"

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
	Config Config `json:"config"`
	// Messages is what happened to each message, in Ref order, for runs
	// that keep it: traced runs and runs of at most MessagesKept messages.
	// A longer run keeps a message's record only while the message is in
	// flight, so that its memory does not grow with its length; it is nil
	// then, and Tally and Troubled say what the list would have said.
	Messages []MessageStats `json:"messages"`
	// Tally counts the messages by fate, with their latencies, for every
	// run.
	Tally Tally `json:"-"`
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
	// FaultRows is, in a traced run, the Trace row at which each entry of
	// the schedule fired (the packet it matched, or the break or crash of
	// a timed entry), -2 for one that never did.
	FaultRows []int    `json:"-"`
	Pending   []string `json:"pending,omitempty"`
	Trace     Trace    `json:"trace,omitempty"`
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
	// troubled are the records of the troubled messages (see Troubled) of a
	// run that does not keep Messages, in Ref order; published is how many
	// messages were published (the rest never were: the run stopped first).
	troubled  []MessageStats
	published int
}

// MessagesKept is the longest workload whose runs keep Result.Messages
// without a trace; longer ones keep a record only while its message is in
// flight (see Result.Messages).
const MessagesKept = 100_000

// keepsMessages says whether a run of cfg keeps Result.Messages. Tests
// lower keepLimit to run short workloads the way long ones run.
func keepsMessages(cfg Config) bool { return cfg.Trace || cfg.Workload.Messages <= keepLimit }

var keepLimit = MessagesKept

// reset returns r, or a new Result if r is nil, set for a run of cfg with
// n messages, listed in Messages if keep. r's arrays are reused: Messages
// (spare holds it while runs do not keep messages), PeakHeldBy, and the
// Tally's histograms. The lists that a run may leave empty (Unfired,
// Pending, Trace) start nil, as in a new Result, and Sim keeps their
// arrays (see Sim.spare).
func (r *Result) reset(cfg Config, n int, keep bool, spare *[]MessageStats) *Result {
	if r == nil {
		r = new(Result)
	}
	if cap(r.Messages) > cap(*spare) {
		*spare = r.Messages[:0]
	}
	peaks, delivery, completion := r.PeakHeldBy, r.Tally.Delivery, r.Tally.Completion
	var msgs []MessageStats
	if keep {
		msgs = *spare
		if cap(msgs) < n {
			msgs = make([]MessageStats, n)
		}
		msgs = msgs[:n]
		for i := range msgs {
			msgs[i] = MessageStats{Ref: uint32(i + 1), DeliveredAt: -1, CompletedAt: -1}
		}
	}
	if delivery == nil {
		delivery, completion = Hist{}, Hist{}
	}
	*r = Result{Config: cfg, Messages: msgs, PeakHeldBy: peaks[:0],
		Tally: Tally{Messages: n, Delivery: delivery[:0], Completion: completion[:0]}}
	return r
}

func (r *Result) countSend(p *model.Packet, v model.Version) {
	r.Packets[p.Type]++
	r.Bytes[p.Type] += p.WireSize(v)
}

// Published is how many of the workload's messages were handed to their
// publishers before the run ended: fewer than the workload only when the
// run stopped at its time limit first.
func (r *Result) Published() int { return r.published }

// Troubled yields, in Ref order, each message that was not simply
// delivered once with its flow completed: duplicated, lost, abandoned,
// unrouted, or never completed. It reads Messages where the run kept them
// and the records a longer run kept of its troubled messages otherwise.
func (r *Result) Troubled() iter.Seq[*MessageStats] {
	return func(yield func(*MessageStats) bool) {
		if r.Messages != nil {
			for i := range r.Messages {
				if m := &r.Messages[i]; m.Troubled() && !yield(m) {
					return
				}
			}
			return
		}
		for i := range r.troubled {
			if !yield(&r.troubled[i]) {
				return
			}
		}
		// The run stopped before publishing these: never delivered, never
		// completed, as Messages would show them.
		for k := r.published; k < r.Tally.Messages; k++ {
			m := MessageStats{Ref: uint32(k + 1), DeliveredAt: -1, CompletedAt: -1}
			if !yield(&m) {
				return
			}
		}
	}
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

// Troubled reports whether the message was anything but delivered once
// with its flow completed (or abandoned after its delivery).
func (m *MessageStats) Troubled() bool { return m.Fate() != FateExactlyOnce || m.Unfinished() }

// Tally counts what became of a run's messages, with exact histograms of
// their latencies: the per-message statistics in a form whose size does not
// grow with the run and that adds up (a study sums the tallies of its
// runs). Every run has one, whether or not its Result keeps Messages.
type Tally struct {
	Messages    int // the workload's messages, published or not
	ExactlyOnce int // FateExactlyOnce
	Duplicated  int // FateDuplicated
	Lost        int // FateLost: never delivered, not abandoned
	Abandoned   int // FateAbandoned
	Unrouted    int // FateUnrouted
	// NeverCompleted counts messages whose flow neither completed nor was
	// abandoned by the end of the run (MessageStats.Unfinished).
	NeverCompleted int
	PayloadResends int
	// Delivery has a sample per delivered message: ticks from publication
	// to the first delivery; Completion one per completed message: ticks
	// from publication to the end of the publisher's flow.
	Delivery   Hist
	Completion Hist
}

// add counts message m in t, and its latencies in the counts of the run, and its latencies to the counts of the run.
func (t *Tally) add(m *MessageStats, delivery, completion *tickCounts) {
	switch m.Fate() {
	case FateExactlyOnce:
		t.ExactlyOnce++
	case FateDuplicated:
		t.Duplicated++
	case FateLost:
		t.Lost++
	case FateAbandoned:
		t.Abandoned++
	case FateUnrouted:
		t.Unrouted++
	}
	if m.Unfinished() {
		t.NeverCompleted++
	}
	t.PayloadResends += m.PayloadResends
	if m.DeliveredAt >= 0 {
		delivery.add(m.DeliveredAt - m.PublishedAt)
	}
	if m.CompletedAt >= 0 {
		completion.add(m.CompletedAt - m.PublishedAt)
	}
}

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
	Unrouted       int `json:"unrouted,omitempty"`
	Packets        int `json:"packets"`
	Bytes          int `json:"bytes"`
	PayloadResends int `json:"payload_resends"`
	PeakHeld       int `json:"peak_held"`
	// Delivery and Completion are the latency histograms of the Tally
	// (shared with the Result).
	Delivery   Hist `json:"-"`
	Completion Hist `json:"-"`
	// CompleteTicks are Completion's samples in Ref order, for results
	// that keep Messages (nil otherwise): latency publish -> publisher's
	// completion, per completed message.
	CompleteTicks []int64 `json:"-"`
}

// Summarize counts delivery outcomes and wire costs.
func (r *Result) Summarize() Summary {
	t := &r.Tally
	s := Summary{Messages: t.Messages, ExactlyOnce: t.ExactlyOnce, Duplicated: t.Duplicated, Missing: t.Lost,
		Abandoned: t.Abandoned, NeverCompleted: t.NeverCompleted, Unrouted: t.Unrouted,
		PayloadResends: t.PayloadResends, PeakHeld: r.PeakHeld, Delivery: t.Delivery, Completion: t.Completion}
	for i := range r.Messages {
		m := &r.Messages[i]
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
