// Package analytic computes what the simulator should measure, exactly, for
// the one setting where that can be done by hand: the datagram mode with
// independent per-packet loss p, no duplication, no reordering, and a
// retransmission timer longer than the round trip.
//
// There each message's flow is an absorbing Markov chain. A transient state
// is "the sender is about to make transmission k of phase 1 (PUBLISH) or of
// phase 2 (PUBREL), and the receiver does or does not still hold the packet
// id"; the absorbing states are "completed" and "abandoned at the retry
// limit". With Q the transitions among transient states, the fundamental
// matrix N = (I-Q)^-1 counts expected visits, so N times a per-state reward
// gives expected packets, bytes, payload retransmissions and completion time.
//
// What a transmission sends in each state, what the receiver answers and the
// exact wire sizes are not written down here: they are read off the
// variant's own endpoints (model.Endpoint) by driving them through one flow,
// and sized with model.Packet.Size. The chain's structure is the analysis;
// the packets come from the models.
//
// Usage:
//
//	exp, err := analytic.Expect(cfg) // cfg: a sim.Config inside the assumptions
//	if err != nil { ... }            // the error names the setting outside them
//	fmt.Println(exp.Packets, exp.Bytes, exp.PayloadResends, exp.CompleteTicks)
package analytic

import (
	"fmt"
	"math"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
	"gonum.org/v1/gonum/mat"
)

// Expected is the analytic expectation per message.
type Expected struct {
	Variant string
	Loss    float64
	// PacketsByType is the expected number of packets of each type put on
	// the wire per message; Packets is their sum.
	PacketsByType  [model.NumPacketTypes]float64
	Packets        float64
	Bytes          float64 // exact encoded sizes
	PayloadResends float64 // PUBLISH packets sent with DUP set
	// CompleteProb is the probability that the publisher's flow completes
	// (otherwise it is abandoned at the retry limit).
	CompleteProb float64
	// CompleteTicks is the mean time from publication to completion over
	// the messages that complete (NaN when none can).
	CompleteTicks float64
	States        int // transient states of the chain
}

// reward is what one transition costs.
type reward struct {
	packets [model.NumPacketTypes]float64
	bytes   float64
	resends float64
	ticks   float64
}

func (r *reward) add(p model.Packet, v model.Version) {
	r.packets[p.Type]++
	r.bytes += float64(p.Size(v))
	if p.Type == model.PUBLISH && p.Dup {
		r.resends++
	}
}

type edge struct {
	prob float64
	next int // index of a transient state, or stateComplete / stateAbandon
	rw   reward
}

const (
	stateComplete = -1
	stateAbandon  = -2
)

// chain is an absorbing Markov chain with rewards on its transitions.
type chain struct {
	edges [][]edge // by transient state; state 0 is the start
}

// solve returns the expectations from state 0.
func (c *chain) solve() (Expected, error) {
	n := len(c.edges)
	iq := mat.NewDense(n, n, nil) // I - Q
	for i := range n {
		iq.Set(i, i, 1)
		for _, e := range c.edges[i] {
			if e.next >= 0 {
				iq.Set(i, e.next, iq.At(i, e.next)-e.prob)
			}
		}
	}
	var fund mat.Dense // N = (I-Q)^-1
	if err := fund.Inverse(iq); err != nil {
		return Expected{}, fmt.Errorf("analytic: the chain's I-Q is singular: %v", err)
	}
	// h[i]: probability of absorption in "completed" from state i, N b.
	b := mat.NewVecDense(n, nil)
	for i := range n {
		for _, e := range c.edges[i] {
			if e.next == stateComplete {
				b.SetVec(i, b.AtVec(i)+e.prob)
			}
		}
	}
	var h mat.VecDense
	h.MulVec(&fund, b)
	hOf := func(next int) float64 {
		switch next {
		case stateComplete:
			return 1
		case stateAbandon:
			return 0
		}
		return h.AtVec(next)
	}
	// Expected rewards per visit of each state; the completion time only
	// counts on paths that complete: E[T 1{complete}] = N r~ with
	// r~_i = sum over edges of prob * ticks * h(next).
	var exp Expected
	visits := fund.RawRowView(0) // expected visits from the start state
	for i := range n {
		for _, e := range c.edges[i] {
			w := visits[i] * e.prob
			for t, k := range e.rw.packets {
				exp.PacketsByType[t] += w * k
			}
			exp.Bytes += w * e.rw.bytes
			exp.PayloadResends += w * e.rw.resends
			exp.CompleteTicks += w * e.rw.ticks * hOf(e.next)
		}
	}
	for _, k := range exp.PacketsByType {
		exp.Packets += k
	}
	exp.CompleteProb = h.AtVec(0)
	if exp.CompleteProb > 0 {
		exp.CompleteTicks /= exp.CompleteProb
	} else {
		exp.CompleteTicks = math.NaN()
	}
	exp.States = n
	return exp, nil
}

// build lays out the chain of one message's flow for loss p, at most
// tries transmissions per phase, latency and retry timeout in ticks.
func build(f flow, v model.Version, p float64, tries int, latency, retry int64) *chain {
	q := 1 - p
	rtt, timeout := float64(2*latency), float64(retry)
	c := &chain{}
	if f.fireAndForget {
		// QoS 0: the flow ends as the PUBLISH leaves, whatever the network
		// does with it [MQTT-4.3.1-1].
		var rw reward
		rw.add(f.publish, v)
		c.edges = [][]edge{{{prob: 1, next: stateComplete, rw: rw}}}
		return c
	}
	// Indexes: phase 1 transmission k (1..tries) is state k-1; phase 2
	// transmission k with the receiver holding the id (h=0) or having
	// released it (h=1) is tries + 2(k-1) + h.
	p1 := func(k int) int {
		if k > tries {
			return stateAbandon
		}
		return k - 1
	}
	p2 := func(k, released int) int {
		if k > tries {
			return stateAbandon
		}
		return tries + 2*(k-1) + released
	}
	n := tries
	if f.release {
		n += 2 * tries
	}
	c.edges = make([][]edge, n)
	for k := 1; k <= tries; k++ {
		pub := f.publish
		if k > 1 {
			pub = f.publishAgain
		}
		var lost, answered reward
		lost.add(pub, v)
		lost.ticks = timeout
		answered = lost
		answered.add(f.ack, v)
		ok := answered
		ok.ticks = rtt
		done := stateComplete
		if f.release {
			done = p2(1, 0)
		}
		// PUBLISH lost; PUBLISH answered but the answer lost; both arrive.
		c.edges[p1(k)] = []edge{{p, p1(k + 1), lost}, {q * p, p1(k + 1), answered}, {q * q, done, ok}}
		if !f.release {
			continue
		}
		for released := range 2 {
			comp := f.comp
			if released == 1 {
				comp = f.compAgain
			}
			var lost, answered reward
			lost.add(f.pubrel, v)
			lost.ticks = timeout
			answered = lost
			answered.add(comp, v)
			ok := answered
			ok.ticks = rtt
			c.edges[p2(k, released)] = []edge{{p, p2(k+1, released), lost}, {q * p, p2(k+1, 1), answered}, {q * q, stateComplete, ok}}
		}
	}
	// Phase 1 ends with PUBREC, which moves the flow to phase 2; the time of
	// phase 1 is counted on its edges, so the chain is complete.
	return c
}

// Expect returns the analytic per-message expectation for cfg, or an error
// naming the setting that lies outside the chain's assumptions.
func Expect(cfg sim.Config) (Expected, error) {
	c := cfg.Normalize()
	if err := c.Validate(); err != nil {
		return Expected{}, err
	}
	if err := inside(c); err != nil {
		return Expected{}, fmt.Errorf("analytic: %v", err)
	}
	v, _ := model.Lookup(c.Variant)
	f, err := probe(v, c)
	if err != nil {
		return Expected{}, fmt.Errorf("analytic: variant %s: %v", c.Variant, err)
	}
	ch := build(f, c.Endpoint.Version, c.Network.Loss, c.Endpoint.RetryLimit+1, c.Network.LatencyTicks, c.Endpoint.RetryTicks)
	exp, err := ch.solve()
	exp.Variant, exp.Loss = c.Variant, c.Network.Loss
	return exp, err
}

// maxFlowTicks bounds how long one flow can take: every transmission of
// both phases times out.
func maxFlowTicks(c sim.Config) int64 {
	return 2 * int64(c.Endpoint.RetryLimit+1) * c.Endpoint.RetryTicks
}

// inside checks the chain's assumptions on a normalised config.
func inside(c sim.Config) error {
	e, n, w := c.Endpoint, c.Network, c.Workload
	switch {
	case e.Mode != model.Datagram:
		return fmt.Errorf("mode %s: the chain models the datagram mode (a stream loses packets only in breaks)", e.Mode)
	case c.Topology != sim.Direct:
		return fmt.Errorf("topology %s: the chain models one client and one server", c.Topology)
	case n.Dup != 0:
		return fmt.Errorf("dup %v: the chain assumes no duplication (dup 0)", n.Dup)
	case n.JitterTicks != 0:
		return fmt.Errorf("jitter %d: the chain assumes no reordering (jitter 0)", n.JitterTicks)
	case n.CrashMeanTicks != 0:
		return fmt.Errorf("crash mean %d: the chain assumes no crashes", n.CrashMeanTicks)
	case len(c.Faults) != 0:
		return fmt.Errorf("faults %q: the chain assumes independent random loss only (no fault schedule)", c.Faults)
	case !(n.Loss < 1):
		return fmt.Errorf("loss %v: a flow can only complete with loss < 1", n.Loss)
	case e.RetryTicks <= 2*n.LatencyTicks:
		return fmt.Errorf("retry %d: the timer must outlast the round trip (more than %d ticks)", e.RetryTicks, 2*n.LatencyTicks)
	case w.Topics > 10:
		return fmt.Errorf("topics %d: the chain needs equal-sized messages (topics <= 10)", w.Topics)
	case len(fmt.Sprint(w.Messages-1))+1 > w.PayloadBytes:
		return fmt.Errorf("payload bytes %d: the chain needs equal-sized messages (payload bytes >= %d)", w.PayloadBytes, len(fmt.Sprint(w.Messages-1))+1)
	}
	span := maxFlowTicks(c)
	if n.Loss > 0 {
		// Random loss stops at the heal tick; the chain assumes it applies
		// to every transmission of every message.
		if need := w.StartTicks + int64(w.Messages-1)*w.IntervalTicks + span; n.HealTicks < need {
			return fmt.Errorf("heal %d: loss must last until every flow can have ended (heal >= %d)", n.HealTicks, need)
		}
		// An abandoned flow may leave the receiver holding its id; a new
		// message reusing the id would not start from a fresh receiver.
		if e.IDPolicy != model.Sequential || w.Messages > e.IDSpace {
			return fmt.Errorf("id policy %s with %d messages and %d ids: the chain needs ids that are never reused (id-policy sequential, messages <= ids)", e.IDPolicy, w.Messages, e.IDSpace)
		}
	}
	// Flows must never wait for a window slot or a free id: waiting would
	// count in the completion time.
	concurrent := int64(w.Messages)
	if w.IntervalTicks > 0 {
		concurrent = min(concurrent, span/w.IntervalTicks+1)
	}
	if limit := int64(min(e.ReceiveMax, e.IDSpace)); concurrent > limit {
		return fmt.Errorf("receive max %d / ids %d: up to %d flows may be in flight at once; the chain needs each to start at once", e.ReceiveMax, e.IDSpace, concurrent)
	}
	return nil
}
