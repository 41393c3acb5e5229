package properties

import (
	"fmt"
	"math/rand"
	"slices"
	"strconv"
	"strings"

	"github.com/leanovate/gopter"
	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// Case is what one test of a search varies on top of the base config: the
// workload, the network settings and the fault schedule. Apply turns it into
// a complete sim.Config.
type Case struct {
	Messages         int
	Topics           int
	DistinctPayloads int // 0: every payload distinct; k: payloads repeat with period k
	IDPolicy         model.IDPolicy
	ReceiveMax       int   // 0: the base config's
	JitterTicks      int64 // extra random delay per packet (datagram: reorders)
	Seed             uint64
	Faults           sim.Schedule
}

// String is the one-line form gopter prints and the shrink tests compare.
func (c Case) String() string {
	var b strings.Builder
	b.WriteString("messages=" + strconv.Itoa(c.Messages))
	if c.Topics > 1 {
		b.WriteString(" topics=" + strconv.Itoa(c.Topics))
	}
	if c.DistinctPayloads > 0 {
		b.WriteString(" distinct-payloads=" + strconv.Itoa(c.DistinctPayloads))
	}
	if c.IDPolicy != model.LowestFree {
		b.WriteString(" id-policy=" + c.IDPolicy.String())
	}
	if c.ReceiveMax > 0 {
		b.WriteString(" receive-max=" + strconv.Itoa(c.ReceiveMax))
	}
	if c.JitterTicks > 0 {
		b.WriteString(" jitter=" + strconv.FormatInt(c.JitterTicks, 10))
	}
	b.WriteString(" seed=" + strconv.FormatUint(c.Seed, 10))
	b.WriteString(" faults=[" + c.Faults.String() + "]")
	return b.String()
}

// Apply returns base with the case's settings in place. Settings that
// default from others (the heal time) are derived again when the result is
// normalised, so base should be the config as given, not normalised.
func (c Case) Apply(base sim.Config) sim.Config {
	cfg := base
	cfg.Workload.Messages = c.Messages
	cfg.Workload.Topics = c.Topics
	cfg.Workload.DistinctPayloads = c.DistinctPayloads
	cfg.Endpoint.IDPolicy = c.IDPolicy
	if c.ReceiveMax > 0 {
		cfg.Endpoint.ReceiveMax = c.ReceiveMax
	}
	cfg.Network.JitterTicks = c.JitterTicks
	cfg.Seed = c.Seed
	cfg.Faults = append(sim.Schedule(nil), c.Faults...)
	return cfg
}

// Space is what a search varies and within which bounds. Zero fields get
// the defaults documented on each; Normalize fills them in from the base
// config.
type Space struct {
	MinMessages int // messages per run, MinMessages..MaxMessages (default 1..5)
	MaxMessages int
	MaxFaults   int // faults per schedule, 0..MaxFaults (default 4; negative: no faults at all)
	// Actions are the fault kinds drawn (default: stream break, crash, delay;
	// datagram lose, dup, delay). Per-packet loss and duplication are
	// dropped in stream mode and breaks in datagram mode, which has no
	// connection. With delay among them the network reorders, and then a
	// dup's copy gets a delay of its own after the original (0..
	// MaxDelayTicks), so that a late copy can outlive its flow; without
	// delay a copy arrives with its original, as on a network that keeps
	// order.
	Actions []sim.Action
	// Packets are the packet types faults match (default: those the
	// variant sends, found by a probe run).
	Packets []model.PacketType
	// Nodes are the crash targets (default: every node of the topology).
	Nodes []string
	// MaxDelayTicks bounds the extra ticks of a delay fault and of a dup's
	// copy (default: two latencies over a stream; three over datagrams, so
	// that a copy or a delayed packet can arrive after the next packet of
	// its flow, a round trip later).
	MaxDelayTicks int64
	// MaxOutageTicks bounds the reconnect delay of a break and the restart
	// delay of a crash (default 100); half the breaks and crashes keep the
	// network's defaults instead.
	MaxOutageTicks int64
	// MaxJitterTicks bounds the network jitter drawn per run (default 0).
	MaxJitterTicks int64
	MaxTopics      int // topics 1..MaxTopics (default 2)
	// RepeatPayloads draws workloads whose payloads repeat, as a sensor
	// sending "ON" twice (default false: all distinct).
	RepeatPayloads bool
	// IDPolicies are the packet-id policies drawn (default: both).
	IDPolicies []model.IDPolicy
	// ReceiveMax lists Receive Maximum values drawn (default: the base
	// config's only).
	ReceiveMax []int
}

// Normalize fills zero fields from the base config (a normalised one).
func (s Space) Normalize(base sim.Config) Space {
	base = base.Normalize()
	stream := base.Endpoint.Mode == model.Stream
	if s.MinMessages == 0 {
		s.MinMessages = 1
	}
	if s.MaxMessages == 0 {
		s.MaxMessages = max(5, s.MinMessages)
	}
	switch {
	case s.MaxFaults == 0:
		s.MaxFaults = 4
	case s.MaxFaults < 0:
		s.Actions = []sim.Action{} // stays negative, so that normalising again keeps it
	}
	if s.Actions == nil {
		s.Actions = []sim.Action{sim.Lose, sim.Dup, sim.Delay}
		if stream {
			s.Actions = []sim.Action{sim.Break, sim.Crash, sim.Delay}
		}
	}
	s.Actions = slices.DeleteFunc(slices.Clone(s.Actions), func(a sim.Action) bool {
		return stream && (a == sim.Lose || a == sim.Dup) || !stream && a == sim.Break
	})
	if s.Packets == nil {
		s.Packets = probePackets(base)
	}
	if s.Nodes == nil {
		s.Nodes = base.Topology.Layout().Names()
	}
	if s.MaxDelayTicks == 0 {
		s.MaxDelayTicks = 2 * base.Network.LatencyTicks
		if !stream {
			s.MaxDelayTicks = 3 * base.Network.LatencyTicks
		}
	}
	if s.MaxOutageTicks == 0 {
		s.MaxOutageTicks = 100
	}
	if s.MaxTopics == 0 {
		s.MaxTopics = 2
	}
	if s.IDPolicies == nil {
		s.IDPolicies = []model.IDPolicy{model.LowestFree, model.Sequential}
	}
	return s
}

// Validate names the first setting a search cannot use.
func (s Space) Validate() error {
	switch {
	case s.MinMessages < 1 || s.MaxMessages < s.MinMessages:
		return fmt.Errorf("messages %d..%d: want 1 <= min <= max", s.MinMessages, s.MaxMessages)
	case s.MaxFaults > 0 && len(s.Actions) == 0:
		return fmt.Errorf("actions: no fault kind is allowed in this mode")
	case len(s.Packets) == 0:
		return fmt.Errorf("packets: no packet type to put faults on")
	case s.MaxDelayTicks < 1:
		return fmt.Errorf("max delay %d: must be at least 1 tick", s.MaxDelayTicks)
	case s.MaxOutageTicks < 1:
		return fmt.Errorf("max outage %d: must be at least 1 tick", s.MaxOutageTicks)
	case s.MaxJitterTicks < 0:
		return fmt.Errorf("max jitter %d: must not be negative", s.MaxJitterTicks)
	}
	for _, r := range s.ReceiveMax {
		if r < 1 || r > 65535 {
			return fmt.Errorf("receive maximum %d: allowed 1..65535", r)
		}
	}
	return nil
}

// probePackets runs one fault-free message and lists the packet types the
// variant put on the wire, in wire-number order.
func probePackets(base sim.Config) []model.PacketType {
	base.Workload = sim.Workload{Messages: 1}
	base.Faults, base.Trace = nil, false
	base.Network.Loss, base.Network.Dup, base.Network.BreakMeanTicks = 0, 0, 0
	res, err := sim.Run(base)
	if err != nil {
		return nil
	}
	var ts []model.PacketType
	for t, n := range res.Packets {
		if n > 0 {
			ts = append(ts, model.PacketType(t))
		}
	}
	return ts
}

// Gen returns the gopter generator of cases for base, with its shrinker
// attached. The gopter size (GenParameters.MaxSize, which a check raises
// from 0 to 100 over its tests) scales the number of messages and faults,
// so a search tries small cases first.
func (s Space) Gen(base sim.Config) gopter.Gen {
	base = base.Normalize()
	s = s.Normalize(base)
	heal, rm := base.Network.HealTicks, base.Endpoint.ReceiveMax
	return func(p *gopter.GenParameters) *gopter.GenResult {
		c := s.draw(p.Rng, p.MaxSize, heal)
		return gopter.NewGenResult(c, s.shrinker(rm))
	}
}

// fullSize is the gopter size at which cases reach the space's bounds (the
// default TestParameters.MaxSize).
const fullSize = 100

func (s Space) draw(r *rand.Rand, size int, heal int64) Case {
	scale := func(hi int) int { // 1..hi, growing with the size
		return 1 + (hi-1)*min(max(size, 0), fullSize)/fullSize
	}
	c := Case{Messages: s.MinMessages + r.Intn(scale(s.MaxMessages-s.MinMessages+1)), Topics: 1 + r.Intn(s.MaxTopics),
		Seed: r.Uint64() % 1_000_000}
	if s.RepeatPayloads {
		c.DistinctPayloads = r.Intn(c.Messages + 1)
	}
	c.IDPolicy = s.IDPolicies[r.Intn(len(s.IDPolicies))]
	if len(s.ReceiveMax) > 0 {
		c.ReceiveMax = s.ReceiveMax[r.Intn(len(s.ReceiveMax))]
	}
	if s.MaxJitterTicks > 0 {
		c.JitterTicks = r.Int63n(s.MaxJitterTicks + 1)
	}
	if s.MaxFaults > 0 {
		n := r.Intn(scale(s.MaxFaults+1) + 1)
		n = min(n, s.MaxFaults)
		for range n {
			c.Faults = append(c.Faults, s.drawFault(r, c.Messages, heal))
		}
	}
	return c
}

func (s Space) drawFault(r *rand.Rand, messages int, heal int64) sim.Fault {
	f := sim.Fault{Action: s.Actions[r.Intn(len(s.Actions))]}
	f.Type = s.Packets[r.Intn(len(s.Packets))]
	f.N = 1 + r.Intn(messages+2) // a few beyond the workload reach retransmissions
	switch f.Action {
	case sim.Delay:
		f.Ticks = 1 + r.Int63n(s.MaxDelayTicks)
	case sim.Dup:
		if s.reorders() {
			f.Ticks = r.Int63n(s.MaxDelayTicks + 1) // 0: the copy arrives with the original
		}
	case sim.Break, sim.Crash:
		if f.Action == sim.Crash {
			f.Node = s.Nodes[r.Intn(len(s.Nodes))]
		}
		switch r.Intn(5) {
		case 0:
			f.When, f.At, f.Type, f.N = sim.AtTime, r.Int63n(heal+1), 0, 0
		case 1, 2:
			f.When = sim.AfterSend
		default:
			f.When = sim.AfterRecv
		}
		if r.Intn(2) == 0 {
			f.Ticks = 1 + r.Int63n(s.MaxOutageTicks) // reconnect/restart delay; 0 keeps the network's
		}
	}
	return f
}

// reorders reports whether the space's network delays packets, and so
// copies apart from their originals.
func (s Space) reorders() bool { return slices.Contains(s.Actions, sim.Delay) }

// shrinker proposes smaller cases, the biggest steps first: fewer faults,
// fewer messages, simpler workloads and networks, then earlier and shorter
// faults. Every candidate stays valid for the space's mode and inside its
// bounds, since it only removes faults or moves values towards lower
// bounds the space allows.
func (s Space) shrinker(baseReceiveMax int) gopter.Shrinker {
	return func(v interface{}) gopter.Shrink {
		return sliceShrink(s.candidates(v.(Case), baseReceiveMax))
	}
}

func (s Space) candidates(c Case, baseReceiveMax int) []Case {
	lo := max(s.MinMessages, 1)
	var out []Case
	with := func(f func(*Case)) {
		d := c
		d.Faults = slices.Clone(c.Faults)
		f(&d)
		out = append(out, d)
	}
	for i := range c.Faults {
		with(func(d *Case) { d.Faults = slices.Delete(d.Faults, i, i+1) })
	}
	if c.Messages > lo {
		with(func(d *Case) { d.Messages = lo })
		if c.Messages > lo+1 {
			with(func(d *Case) { d.Messages = c.Messages - 1 })
		}
		// One message fewer with every packet fault moved one occurrence
		// earlier: the same story told one message sooner.
		with(func(d *Case) {
			d.Messages = c.Messages - 1
			for i := range d.Faults {
				if d.Faults[i].When != sim.AtTime && d.Faults[i].N > 1 {
					d.Faults[i].N--
				}
			}
		})
	}
	if c.Seed != 0 {
		with(func(d *Case) { d.Seed = 0 }) // the seed only matters for jitter and random faults
	}
	if c.Topics > 1 {
		with(func(d *Case) { d.Topics = 1 })
	}
	if c.DistinctPayloads > 0 {
		with(func(d *Case) { d.DistinctPayloads = 0 })
	}
	if c.ReceiveMax != 0 && slices.Contains(s.ReceiveMax, baseReceiveMax) {
		with(func(d *Case) { d.ReceiveMax = 0 }) // the base config's, which the space allows
	}
	if c.IDPolicy != model.LowestFree && slices.Contains(s.IDPolicies, model.LowestFree) {
		with(func(d *Case) { d.IDPolicy = model.LowestFree })
	}
	if c.JitterTicks > 0 {
		with(func(d *Case) { d.JitterTicks = 0 })
		if c.JitterTicks > 1 {
			with(func(d *Case) { d.JitterTicks = c.JitterTicks / 2 })
		}
	}
	for i, f := range c.Faults {
		for _, g := range shrinkFault(f) {
			with(func(d *Case) { d.Faults[i] = g })
		}
	}
	return out
}

// shrinkFault proposes simpler versions of one fault: an earlier packet or
// moment, a shorter delay, the network's default reconnect/restart delay.
func shrinkFault(f sim.Fault) []sim.Fault {
	var out []sim.Fault
	if f.When != sim.AtTime && f.N > 1 {
		g := f
		g.N = 1
		out = append(out, g)
		if f.N > 2 {
			g.N = f.N - 1
			out = append(out, g)
		}
	}
	if f.When == sim.AtTime && f.At > 0 {
		g := f
		g.At = f.At / 2
		out = append(out, g)
		g.At = f.At - 1
		out = append(out, g)
	}
	switch {
	case f.Action == sim.Delay:
		out = shorter(out, f, false) // a delay is at least one tick
	case f.Action == sim.Dup, f.Action == sim.Break, f.Action == sim.Crash:
		// 0: the copy with its original; the network's reconnect or
		// restart delay.
		out = shorter(out, f, true)
	}
	return out
}

// shorter appends f with fewer Ticks: 0 where zero is allowed, then half,
// then one less.
func shorter(out []sim.Fault, f sim.Fault, zero bool) []sim.Fault {
	g := f
	if zero && f.Ticks > 0 {
		g.Ticks = 0
		out = append(out, g)
	}
	if f.Ticks > 1 {
		g.Ticks = f.Ticks / 2
		out = append(out, g)
		g.Ticks = f.Ticks - 1
		out = append(out, g)
	}
	return out
}

func sliceShrink(cs []Case) gopter.Shrink {
	i := 0
	return func() (interface{}, bool) {
		if i >= len(cs) {
			return nil, false
		}
		i++
		return cs[i-1], true
	}
}

// Size is how big a case is, as shrinking measures it: faults and messages.
func (c Case) Size() (faults, messages int) { return len(c.Faults), c.Messages }
