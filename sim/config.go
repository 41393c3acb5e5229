package sim

import (
	"fmt"

	"github.com/qoslab/qoslab/model"
)

// Workload is what the application publishes.
type Workload struct {
	Messages int // how many messages the publisher sends (default 3)
	// StartTicks is when the first message is published (default: once
	// the connections are up: in stream mode two latencies for
	// CONNECT/CONNACK, two more for SUBSCRIBE/SUBACK when subscribers start
	// clean or fresh; in datagram mode 0).
	StartTicks    int64
	IntervalTicks int64 // ticks between two publications (default 5)
	Topics        int   // distinct topics, used round robin (default 1)
	PayloadBytes  int   // payload size (default 8)
	// DistinctPayloads makes payloads repeat: message i carries payload
	// i mod DistinctPayloads, as a sensor sending "ON" twice does. 0 makes
	// every payload distinct.
	DistinctPayloads int
}

// Network is the behaviour of the links and nodes.
type Network struct {
	LatencyTicks int64   // one-way delay of every packet (default 10)
	JitterTicks  int64   // extra delay drawn uniformly from [0, JitterTicks]; reorders packets in datagram mode
	Loss         float64 // datagram: probability that a packet is lost
	Dup          float64 // datagram: probability that a packet arrives twice
	// BreakMeanTicks is the mean time between random connection breaks in
	// stream mode (exponentially distributed); 0 means none.
	BreakMeanTicks int64
	// ReconnectTicks is how long after a break the client reconnects
	// (default 50).
	ReconnectTicks int64
	// RestartTicks is how long a crashed node stays down (default 100).
	RestartTicks int64
	// CrashMeanTicks is the mean time between random crashes (exponentially
	// distributed); each picks a node uniformly. 0 means none.
	CrashMeanTicks int64
	// HealTicks is when random faults stop, so that the run can settle; by
	// default it is 20 latencies after the last publication. Faults in the
	// explicit schedule apply whenever they match.
	HealTicks int64
}

// Config is everything that determines a run; with the seed it reproduces
// the run exactly. Zero fields get defaults (see Normalize).
type Config struct {
	Variant string // default "qos2-b"
	// SubscriberVariant is the protocol subscribers ask for: the broker
	// forwards at the lower QoS of it and Variant (model.Forward), in the
	// topologies with a broker (default: Variant).
	SubscriberVariant string
	Topology          Topology
	Endpoint          model.Config // mode, version, packet ids, retries, durability
	Workload          Workload
	Network           Network
	Faults            Schedule
	Seed              uint64
	Trace             bool  // record the trace (costs memory; off for big sweeps)
	MaxTicks          int64 // stop the run at this virtual time (default: HealTicks + 10,000,000 + the schedule's fault times and durations)
	// FreshSessions starts every node with a new session
	// (Layout.FreshEndpoints): subscribers subscribe during the run, as the
	// clients a conformance run starts do, instead of resuming a session
	// that predates it. No flag of simulate run sets it.
	FreshSessions bool
}

// Default values of zero fields.
const (
	DefaultVariant        = "qos2-b"
	DefaultMessages       = 3
	DefaultIntervalTicks  = 5
	DefaultPayloadBytes   = 8
	DefaultLatencyTicks   = 10
	DefaultReconnectTicks = 50
	DefaultRestartTicks   = 100
)

// Normalize returns c with defaults in place of zero fields.
func (c Config) Normalize() Config {
	if c.Variant == "" {
		c.Variant = DefaultVariant
	}
	if c.SubscriberVariant == "" {
		c.SubscriberVariant = c.Variant
	}
	c.Endpoint = c.Endpoint.Normalize()
	w := &c.Workload
	if w.Messages == 0 {
		w.Messages = DefaultMessages
	}
	if w.IntervalTicks == 0 {
		w.IntervalTicks = DefaultIntervalTicks
	}
	if w.Topics == 0 {
		w.Topics = 1
	}
	if w.PayloadBytes == 0 {
		w.PayloadBytes = DefaultPayloadBytes
	}
	n := &c.Network
	if n.LatencyTicks == 0 {
		n.LatencyTicks = DefaultLatencyTicks
	}
	if n.ReconnectTicks == 0 {
		n.ReconnectTicks = DefaultReconnectTicks
	}
	if n.RestartTicks == 0 {
		n.RestartTicks = DefaultRestartTicks
	}
	if w.StartTicks == 0 {
		w.StartTicks = c.defaultStart()
	}
	if n.HealTicks == 0 {
		n.HealTicks = w.StartTicks + int64(w.Messages)*w.IntervalTicks + 20*n.LatencyTicks
	}
	if c.MaxTicks == 0 {
		c.MaxTicks = n.HealTicks + 10_000_000 + c.Faults.spanTicks()
	}
	return c
}

// Validate checks every field of a normalised config and names the first one
// that is out of range, with what is allowed.
func (c Config) Validate() error {
	if _, err := model.Lookup(c.Variant); err != nil {
		return fmt.Errorf("variant: %v", err)
	}
	if _, err := model.Lookup(c.SubscriberVariant); err != nil {
		return fmt.Errorf("subscriber variant: %v", err)
	}
	if err := c.Endpoint.Validate(); err != nil {
		return err
	}
	if c.Topology >= numTopologies {
		return fmt.Errorf("topology %d: allowed values are direct, broker, duplex, pair, self", c.Topology)
	}
	w, n := c.Workload, c.Network
	switch {
	case w.Messages < 1:
		return fmt.Errorf("messages %d: must be at least 1", w.Messages)
	case w.StartTicks < 0:
		return fmt.Errorf("start %d: must not be negative", w.StartTicks)
	case w.IntervalTicks < 0:
		return fmt.Errorf("interval %d: must not be negative", w.IntervalTicks)
	case w.Topics < 1:
		return fmt.Errorf("topics %d: must be at least 1", w.Topics)
	case w.PayloadBytes < 1 || w.PayloadBytes > 1<<20:
		return fmt.Errorf("payload bytes %d: allowed 1..1048576", w.PayloadBytes)
	case w.DistinctPayloads < 0:
		return fmt.Errorf("distinct payloads %d: must not be negative", w.DistinctPayloads)
	case n.LatencyTicks < 1:
		return fmt.Errorf("latency %d: must be at least 1 tick", n.LatencyTicks)
	case n.JitterTicks < 0:
		return fmt.Errorf("jitter %d: must not be negative", n.JitterTicks)
	case !(n.Loss >= 0 && n.Loss <= 1):
		return fmt.Errorf("loss %v: a probability, allowed 0..1", n.Loss)
	case !(n.Dup >= 0 && n.Dup <= 1):
		return fmt.Errorf("dup %v: a probability, allowed 0..1", n.Dup)
	case n.BreakMeanTicks < 0:
		return fmt.Errorf("break mean %d: must not be negative", n.BreakMeanTicks)
	case n.CrashMeanTicks < 0:
		return fmt.Errorf("crash mean %d: must not be negative", n.CrashMeanTicks)
	case n.ReconnectTicks < 1:
		return fmt.Errorf("reconnect %d: must be at least 1 tick", n.ReconnectTicks)
	case n.RestartTicks < 1:
		return fmt.Errorf("restart %d: must be at least 1 tick", n.RestartTicks)
	case n.HealTicks < 0:
		return fmt.Errorf("heal %d: must not be negative", n.HealTicks)
	case c.MaxTicks < 1:
		return fmt.Errorf("max ticks %d: must be at least 1", c.MaxTicks)
	}
	stream := c.Endpoint.Mode == model.Stream
	if stream && (n.Loss > 0 || n.Dup > 0) {
		return fmt.Errorf("loss/dup: per-packet faults need mode datagram; a stream (TCP) loses packets only when the connection breaks (use break-mean or a break fault)")
	}
	if !stream && n.BreakMeanTicks > 0 {
		return fmt.Errorf("break mean: connection breaks need mode stream; datagram mode has no connection")
	}
	nodes := c.nodeNames()
	lay := c.Topology.Layout()
	for i, f := range c.Faults {
		if f.On != "" && lay.LinkOf(f.On) < 0 {
			return fmt.Errorf("fault %d %q: on %q: allowed values are the clients of topology %s: %v", i+1, f.String(), f.On, c.Topology, lay.Clients())
		}
		if f.On != "" && f.Action == Crash && f.When == AtTime {
			return fmt.Errorf("fault %d %q: a timed crash is of a node, not on a connection: leave out \"on %s\"", i+1, f.String(), f.On)
		}
		if err := f.validate(stream, nodes); err != nil {
			return fmt.Errorf("fault %d %q: %v", i+1, f.String(), err)
		}
	}
	return nil
}

func (f Fault) validate(stream bool, nodes []string) error {
	switch f.Action {
	case Lose, Dup:
		if stream {
			return fmt.Errorf("per-packet faults need mode datagram; in stream mode use \"break after-send %s\"", f.packet())
		}
	case Delay:
		if f.Ticks < 1 {
			return fmt.Errorf("delay needs +TICKS >= 1")
		}
	case Break:
		if !stream {
			return fmt.Errorf("break needs mode stream; datagram mode has no connection")
		}
	case Crash:
		for _, n := range nodes {
			if n == f.Node {
				return nil
			}
		}
		return fmt.Errorf("node %q: allowed values are %v", f.Node, nodes)
	default:
		return fmt.Errorf("unknown action")
	}
	if f.When != AtTime && (f.Type == 0 || f.N < 1) {
		return fmt.Errorf("needs a packet TYPE#N")
	}
	return nil
}

func (c Config) nodeNames() []string { return c.Topology.Layout().Names() }

// defaultStart is when the workload starts by default: once the
// connections are up and the subscriptions acknowledged.
func (c Config) defaultStart() int64 {
	rounds := int64(0)
	if c.Endpoint.Mode == model.Stream {
		rounds++ // CONNECT, CONNACK
	}
	if (c.Endpoint.CleanStart || c.FreshSessions) && c.Topology.Layout().Subscribes() {
		rounds++ // SUBSCRIBE, SUBACK
	}
	return 2 * rounds * c.Network.LatencyTicks
}
