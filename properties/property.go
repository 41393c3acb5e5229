package properties

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// Kind says when a property is judged.
type Kind uint8

const (
	// Always is a safety property: nothing bad happens at any point of the
	// run, faults or not. It is checked over the whole history and points at
	// the event where it broke.
	Always Kind = iota + 1
	// Eventually is a liveness property: once the network heals and the run
	// has continued until nothing is pending, something good has happened.
	// It is judged on the end of the history.
	Eventually
)

func (k Kind) String() string {
	if k == Eventually {
		return "eventually"
	}
	return "always"
}

// Property is a named check over the recorded history of one run. Properties
// live outside the endpoints: they read only what crossed the network and
// application boundary (the trace) and the run's outcome.
type Property struct {
	Name string
	Kind Kind
	Doc  string // one line: what holds when the property holds
	// Applies reports whether the property is promised for runs with this
	// config (nil: for every run). A property that does not apply is not
	// checked and cannot be violated.
	Applies func(cfg sim.Config) bool
	// Check returns every violation the history shows, in trace order.
	Check func(h *History) []Violation
	parts []Property
}

// Violation is one thing a property found wrong.
type Violation struct {
	Property string // the (sub-)property that broke
	Kind     Kind
	Msg      uint32 // the message it is about (workload number); 0 when none
	Events   []int  // trace positions (0-based) that show it, in order
	At       int64  // tick of the last event shown (or of the end of the run)
	Detail   string // what happened, in words
}

func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(v.Property)
	b.WriteString(": ")
	b.WriteString(v.Detail)
	if len(v.Events) > 0 {
		b.WriteString(" [trace")
		for _, e := range v.Events {
			b.WriteString(" #" + strconv.Itoa(e))
		}
		b.WriteString("]")
	}
	return b.String()
}

// Error is every violation of one check, reported as a single error.
type Error []Violation

func (e Error) Error() string {
	lines := make([]string, len(e))
	for i, v := range e {
		lines[i] = v.String()
	}
	return strings.Join(lines, "\n")
}

// And is the conjunction of properties under a new name: it holds when all
// of them hold, and its violations keep the names of the parts that broke.
// Its kind is Eventually if any part is a liveness property.
func And(name, doc string, ps ...Property) Property {
	p := Property{Name: name, Kind: Always, Doc: doc, parts: ps}
	for _, q := range ps {
		if q.Kind == Eventually {
			p.Kind = Eventually
		}
	}
	p.Check = func(h *History) []Violation {
		var vs []Violation
		for _, q := range ps {
			if q.Applies == nil || q.Applies(h.Config) {
				vs = append(vs, q.Check(h)...)
			}
		}
		return vs
	}
	return p
}

// Parts returns the properties a conjunction is made of (nil for a basic one).
func (p Property) Parts() []Property { return p.parts }

// History is what properties read: the normalised config of a run, its
// result (with the trace) and who is who in the trace.
type History struct {
	Config sim.Config
	Result *sim.Result
	Trace  sim.Trace
	// Publishers are the nodes whose applications publish the workload;
	// Subscribers the nodes whose applications receive it (where exactly
	// once is judged). A node may be both (topologies duplex, pair, self).
	Publishers, Subscribers []string
}

// IsPublisher reports whether node's application publishes.
func (h *History) IsPublisher(node string) bool { return slices.Contains(h.Publishers, node) }

// IsSubscriber reports whether node's application receives.
func (h *History) IsSubscriber(node string) bool { return slices.Contains(h.Subscribers, node) }

// NewHistory wraps a result. The result must come from a run with
// Config.Trace set: properties point at trace positions.
func NewHistory(res *sim.Result) (*History, error) {
	if res == nil || !res.Config.Trace {
		return nil, fmt.Errorf("properties: the run was not traced; set sim.Config.Trace")
	}
	return &History{Config: res.Config, Result: res, Trace: res.Trace, Publishers: res.Config.Publishers(),
		Subscribers: res.Config.Receivers()}, nil
}

// Check judges the properties that apply to the run and returns every
// violation, in the order of the properties given.
func Check(res *sim.Result, ps ...Property) ([]Violation, error) {
	h, err := NewHistory(res)
	if err != nil {
		return nil, err
	}
	var vs []Violation
	for _, p := range ps {
		if p.Applies == nil || p.Applies(h.Config) {
			vs = append(vs, p.Check(h)...)
		}
	}
	return vs, nil
}

// Run simulates cfg with the trace on and checks the properties. A config
// error is returned as is; violations come back as an Error.
func Run(cfg sim.Config, ps ...Property) (*sim.Result, error) {
	cfg.Trace = true
	res, err := sim.Run(cfg)
	if err != nil {
		return nil, err
	}
	vs, err := Check(res, ps...)
	if err != nil {
		return res, err
	}
	if len(vs) > 0 {
		return res, Error(vs)
	}
	return res, nil
}

func mref(m uint32) string { return "m" + strconv.FormatUint(uint64(m), 10) }

func (h *History) pos(i int) string {
	return "#" + strconv.Itoa(i) + " (t=" + strconv.FormatInt(h.Trace[i].At, 10) + ")"
}

// The built-in properties.
var (
	NoDuplicate = Property{
		Name: "no-duplicate", Kind: Always,
		Doc:   "no message reaches the subscribing application more than once",
		Check: noDuplicate,
	}
	NoLoss = Property{
		Name: "no-loss", Kind: Eventually,
		Doc: "every message the publisher considers handed over is delivered, and after the network heals " +
			"every published message completes or is abandoned with its application told (not a silent loss)",
		Check: noLoss,
	}
	ExactlyOnce = And("exactly-once", "every published message is delivered exactly once (no-duplicate and no-loss)",
		NoDuplicate, NoLoss)
	BoundedState = Property{
		Name: "bounded-state", Kind: Always,
		Doc: "a receiver never holds more packet ids or messages than the in-flight limit (Receive Maximum) " +
			"allows, however many messages were sent",
		Check: boundedState,
	}
	TopicOrder = Property{
		Name: "topic-order", Kind: Always,
		Doc: "messages of one topic reach the subscriber (first copies) in the order they were published; " +
			"promised over an ordered transport only [MQTT-4.6.0-6]",
		Applies: func(c sim.Config) bool { return c.Endpoint.Mode == model.Stream },
		Check:   topicOrder,
	}
	NoResendAfterPubrec = Property{
		Name: "no-resend-after-pubrec", Kind: Always,
		Doc: "once the publisher has received PUBREC for a message it never sends that message's payload " +
			"again [MQTT-4.3.3-6]",
		Check: noResendAfterPubrec,
	}
)

// registered are the properties added with Register, in order.
var registered []Property

// Register adds a property of your own to the ones All and Lookup know, so
// that the command line (`check --property NAME`, `run --check`) can search
// for it: call it from an init function or from your main before running
// the command line. It panics on a name already taken or a property
// without a name, a kind or a check: programming errors.
func Register(p Property) {
	if p.Name == "" || p.Check == nil || (p.Kind != Always && p.Kind != Eventually) {
		panic("properties.Register: a property needs a name, a kind and a check")
	}
	for _, q := range All() {
		if q.Name == p.Name {
			panic("properties.Register: property " + p.Name + " registered twice")
		}
	}
	registered = append(registered, p)
}

// All lists the built-in properties, the conjunctions last, then the
// registered ones in the order they were registered.
func All() []Property {
	return append([]Property{NoDuplicate, NoLoss, BoundedState, TopicOrder, NoResendAfterPubrec, ExactlyOnce}, registered...)
}

// Lookup finds a property, built in or registered, by name.
func Lookup(name string) (Property, error) {
	names := make([]string, 0, 6)
	for _, p := range All() {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return Property{}, fmt.Errorf("unknown property %q: allowed values are %s", name, strings.Join(names, ", "))
}

func noDuplicate(h *History) []Violation {
	var vs []Violation
	first := map[uint32]int{}
	for i, e := range h.Trace {
		if e.Kind != sim.TDeliver || !h.IsSubscriber(e.Node) {
			continue
		}
		j, seen := first[e.Msg]
		if !seen {
			first[e.Msg] = i
			continue
		}
		vs = append(vs, Violation{Property: "no-duplicate", Kind: Always, Msg: e.Msg, Events: []int{j, i}, At: e.At,
			Detail: mref(e.Msg) + " delivered again at " + h.pos(i) + ", first at " + h.pos(j)})
	}
	return vs
}

func noLoss(h *History) []Violation {
	var vs []Violation
	delivered := map[uint32]bool{}
	for _, e := range h.Trace {
		if e.Kind == sim.TDeliver && h.IsSubscriber(e.Node) {
			delivered[e.Msg] = true
		}
	}
	// Safety half: a message whose flow the publisher completed was handed
	// over; by the end of the run it must have reached the subscriber,
	// unless the broker had no subscription for it (MQTT owes no delivery
	// then).
	completed := map[uint32]bool{}
	for i, e := range h.Trace {
		if e.Kind == sim.TComplete && h.IsPublisher(e.Node) {
			completed[e.Msg] = true
			if !delivered[e.Msg] && !h.Result.Messages[e.Msg-1].Unrouted {
				vs = append(vs, Violation{Property: "no-loss", Kind: Eventually, Msg: e.Msg, Events: []int{i}, At: e.At,
					Detail: mref(e.Msg) + " completed by the publisher at " + h.pos(i) + " but never delivered"})
			}
		}
	}
	// Liveness half: after the heal every published message's flow ends.
	// A message the publisher abandoned (retry limit, session lost) ended
	// too: its application was told, so it is no silent loss, and the
	// explorer's goal states count it the same way. Abandoned counts it.
	for _, m := range h.Result.Messages {
		if completed[m.Ref] || m.Abandoned {
			continue
		}
		v := Violation{Property: "no-loss", Kind: Eventually, Msg: m.Ref, At: h.Result.EndTicks,
			Detail: mref(m.Ref) + " never completed by the end of the run (t=" +
				strconv.FormatInt(h.Result.EndTicks, 10) + "); pending: " + strings.Join(h.Result.Pending, "; ")}
		if !delivered[m.Ref] {
			v.Detail += "; never delivered"
		}
		vs = append(vs, v)
	}
	return vs
}

func boundedState(h *History) []Violation {
	r := h.Result
	limit := h.Config.Endpoint.ReceiveMax
	if r.PeakHeld <= limit {
		return nil
	}
	v := Violation{Property: "bounded-state", Kind: Always, At: r.PeakHeldAt,
		Detail: "a receiver held " + strconv.Itoa(r.PeakHeld) + " ids/messages at t=" +
			strconv.FormatInt(r.PeakHeldAt, 10) + " with Receive Maximum " + strconv.Itoa(limit) +
			" (" + strconv.Itoa(len(r.Messages)) + " messages sent)"}
	if r.PeakHeldEvent >= 0 {
		v.Events = []int{r.PeakHeldEvent}
	}
	return []Violation{v}
}

func topicOrder(h *History) []Violation {
	var vs []Violation
	h.Result.OutOfOrder(func(j, i int) {
		e := h.Trace[i]
		vs = append(vs, Violation{Property: "topic-order", Kind: Always, Msg: e.Msg, Events: []int{j, i}, At: e.At,
			Detail: mref(e.Msg) + " delivered at " + h.pos(i) + " after the later " + mref(h.Trace[j].Msg) +
				" of the same topic at " + h.pos(j)})
	})
	return vs
}

func noResendAfterPubrec(h *History) []Violation {
	var vs []Violation
	type flowKey struct {
		node string
		id   uint16
	}
	flow := map[flowKey]uint32{} // (publisher, packet id) -> message it last sent under it
	acked := map[uint32]int{}    // message -> trace position of the PUBREC that acknowledged it
	for i, e := range h.Trace {
		if !h.IsPublisher(e.Node) || e.Packet == nil {
			continue
		}
		p := e.Packet
		switch {
		case e.Kind == sim.TSend && p.Type == model.PUBLISH:
			m := p.Msg.Ref
			if j, ok := acked[m]; ok {
				vs = append(vs, Violation{Property: "no-resend-after-pubrec", Kind: Always, Msg: m, Events: []int{j, i}, At: e.At,
					Detail: mref(m) + " payload sent again at " + h.pos(i) + " after PUBREC id=" +
						strconv.Itoa(int(h.Trace[j].Packet.ID)) + " arrived at " + h.pos(j)})
				delete(acked, m) // report each resent flow once
			}
			if p.QoS > 0 {
				flow[flowKey{e.Node, p.ID}] = m
			}
		case e.Kind == sim.TRecv && p.Type == model.PUBREC:
			if m, ok := flow[flowKey{e.Node, p.ID}]; ok {
				if _, dup := acked[m]; !dup {
					acked[m] = i
				}
				delete(flow, flowKey{e.Node, p.ID})
			}
		}
	}
	return vs
}
