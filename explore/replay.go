package explore

import (
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

func (x *system) violation(path []move, p Property, msg int) *Violation {
	t, last := x.trace(path)
	v := &Violation{Property: p, Msg: msg, Steps: t.steps, Nodes: x.top.layout.Names()}
	if p == Liveness {
		for n := range x.sh.nodes {
			for _, l := range x.eps.get(n, last.ep[n]).Pending(nil) {
				v.Pending = append(v.Pending, x.top.name(n)+": "+l)
			}
		}
		for d := range x.sh.dirs {
			to, _ := x.top.receiver(d)
			for _, q := range last.net[d] {
				v.Pending = append(v.Pending, "in flight to "+x.top.name(to)+": "+x.eps.pkts[q].Label())
			}
		}
		for n := range x.sh.nodes {
			if last.down[n] {
				v.Pending = append(v.Pending, x.top.name(n)+": down")
			}
		}
		for m := 0; m < x.o.Messages; m++ {
			if int(last.published) <= m {
				v.Pending = append(v.Pending, "m"+strconv.Itoa(m+1)+" not yet published")
			}
		}
	}
	x.replay(v, t)
	return v
}

// replay translates the path into a simulator run. The explorer's moves
// have no clock and the simulator's events do, so it lays the path out on
// a timeline: each step gets a tick, every packet's arrival is shifted
// (delay TYPE#N +T, dup TYPE#N +T for a late copy) to the tick of the step
// that delivers it, packets still in flight at the end arrive after it,
// breaks and crashes follow the packet event of the step before them and
// reconnect or restart when the path does. Publications and timers cannot
// be moved one by one (the simulator publishes every --interval ticks and
// retries after --retry ticks), so a few intervals and retry timeouts are
// tried; the first timeline the simulator can follow and that shows the same
// violation wins. A break or crash that follows a step without a packet
// event (a timer, say) is first anchored to the latest packet event before
// it, which keeps the schedule readable; if no such timeline shows the
// violation, those faults are put at their tick instead ("break at T on
// CLIENT"), just after the step they follow.
func (x *system) replay(v *Violation, t *tracer) {
	notes := append([]string(nil), t.inexact...)
	var first *sim.Config
	ttls := []int64{x.o.TTLTicks}
	if x.o.TTLTicks > 0 || x.o.Variant == "two-packet-pid-ttl" {
		ttls = []int64{40, 100, 300, 1000, 3000}
	}
	// Three passes: the timelines the simulator can follow with every
	// fault anchored to a packet; then with the loosely anchored faults at
	// their ticks; last, the timelines it cannot follow exactly (a timer
	// the path did not fire fires in it), of which the simulator still
	// judges whether the run shows the violation.
	for pass := range 3 {
		timed, strict := pass > 0, pass < 2
		if pass == 1 && len(t.loose) == 0 {
			continue
		}
		for _, retry := range []int64{100, 200, 400, 1000, 3000, 10000} {
			if x.stream && retry > 100 {
				break // stream senders set no timers
			}
			for _, ttl := range ttls {
				intervals := []int64{10, 20, 40, 80, 160, 320, 640}
				if t.published <= 1 {
					intervals = []int64{sim.DefaultIntervalTicks} // one publication: no interval to fit
				}
				for _, interval := range intervals {
					c, ok := x.timeline(t, interval, retry, ttl, timed)
					if ok != strict {
						continue
					}
					if first == nil && ok {
						first = &c
					}
					if x.reproduces(v, c) {
						v.Replay, v.Reproduced = c, true
						if !timed {
							notes = append(notes, t.loose...)
						}
						if !ok {
							notes = append(notes, "the simulator's run takes a timer or publication the path does not (the same timeouts for every node)")
						}
						v.ReplayNote = strings.Join(notes, "; ")
						return
					}
				}
			}
		}
	}
	notes = append(notes, t.loose...)
	if first == nil {
		c, _ := x.timeline(t, sim.DefaultIntervalTicks, model.DefaultRetryTicks, x.o.TTLTicks, false)
		first = &c
		notes = append(notes, "no timeline fits the simulator's fixed publication interval and retry timeout")
	}
	v.Replay = *first
	notes = append(notes, "the simulator does not show the same violation with this schedule")
	v.ReplayNote = strings.Join(notes, "; ")
}

// timeline lays the traced path out in ticks for the given publication
// interval and retry timeout; ok is false where the simulator could not
// follow it (a publication or timer would come before a step it follows).
// timed puts the loosely anchored breaks and crashes at their ticks.
func (x *system) timeline(t *tracer, interval, retry, ttl int64, timed bool) (sim.Config, bool) {
	const latency = sim.DefaultLatencyTicks
	c := sim.Config{
		Variant: x.o.Variant, SubscriberVariant: x.o.SubVariant, Topology: x.o.Topology,
		Endpoint: model.Config{Mode: x.o.Mode, Version: x.o.Version, IDPolicy: x.o.IDPolicy, IDSpace: x.o.IDs,
			ReceiveMax: x.o.ReceiveMax, RetryLimit: x.o.RetryLimit, Volatile: x.o.Volatile, RetryTicks: retry,
			TTLTicks: ttl, StoreCap: x.o.StoreCap, CleanStart: x.o.CleanStart},
		Workload: sim.Workload{Messages: max(t.published, 1), IntervalTicks: interval, DistinctPayloads: x.o.DistinctPayloads},
		Faults:   append(sim.Schedule(nil), t.sched...),
		Seed:     1,
	}
	ok := true
	n := len(t.info) - 1
	at := make([]int64, n+1)
	last := int64(0)
	var start, reconnect int64
	for j := 1; j <= n; j++ {
		in := &t.info[j]
		lb := last + 1
		var tj int64
		switch in.kind {
		case mvPublish:
			// The simulator's publishers take turns: with P of them,
			// message k goes out at start + (k div P) intervals, so
			// messages of one round share a tick, which the path must have
			// taken one right after the other.
			k, p := in.msgIndex-1, len(x.top.pubs)
			if k == 0 {
				start = lb
			}
			tj = start + int64(k/p)*interval
			if k%p != 0 && t.info[j-1].kind == mvPublish {
				lb = last
			}
		case mvConnect:
			switch {
			case in.restart > 0:
				if reconnect == 0 {
					reconnect = lb - at[in.restart]
				}
				tj = at[in.restart] + reconnect
			case in.fault >= 0:
				tj = lb
				f := &c.Faults[in.fault]
				if f.When == sim.AtTime && timed && f.At > 0 {
					f.Ticks = tj - at[in.broken] // a break put at its tick
				} else {
					f.Ticks = tj - at[t.info[in.broken].anchor]
				}
			default:
				tj = 0 // the simulator connects at tick 0, before any publication
				lb = 0
			}
		case mvRestart:
			tj = lb
			for k := j - 1; k >= 1; k-- {
				if t.info[k].kind == mvCrash && t.info[k].side == in.side {
					c.Faults[t.info[k].fault].Ticks = tj - at[k]
					break
				}
			}
		case mvDeliver:
			ti := t.tags[in.tag]
			tj = max(lb, at[ti.tag.sent]+latency)
		case mvTimer:
			tj = at[in.armed] + retry
			if in.expiry {
				tj = at[in.armed] + ttl
			}
		case mvBreak, mvCrash, mvLose, mvDup:
			tj, lb = last, last // no time passes: the fault follows the step before
			if timed && in.kind != mvLose && in.kind != mvDup && in.fault >= 0 && in.anchor > 0 && in.anchor != j-1 {
				// A tick after the step it follows: a fault put at the tick
				// of that step would come before it (the schedule's timed
				// faults are queued first).
				tj, lb = last+1, last+1
				f := &c.Faults[in.fault]
				f.When, f.At, f.Type, f.N = sim.AtTime, tj, 0, 0
				if f.Action == sim.Crash {
					f.On = ""
				}
			}
		}
		if tj < lb {
			ok = false
		}
		at[j] = tj
		last = tj
	}
	end := last
	if reconnect > 0 {
		c.Network.ReconnectTicks = reconnect
	}
	c.Workload.StartTicks = max(start, 1)
	// The simulator connects every client at tick 0; a connection the path
	// never opened stays closed for it: its CONNECT arrives after the end.
	if lay := &x.top.layout; len(lay.Links) > 1 {
		for l := range lay.Links {
			if _, on := t.counted(l); !t.opened[l] {
				c.Faults = append(c.Faults, sim.Fault{Action: sim.Delay, Type: model.CONNECT, N: 1, On: on, Ticks: end + 5})
			}
		}
	}
	// Arrivals: shift each packet to the step that delivers it, and whatever
	// is still in flight at the end to after it.
	for _, name := range t.order {
		ti := t.tags[name]
		typ, num, on := ti.tag.typ, ti.tag.n, ti.tag.on
		if ti.lost && len(ti.delivered) == 0 && !timed {
			continue // lost at its send, where the break is anchored
		}
		natural := at[ti.tag.sent] + latency
		first := end + 5
		if len(ti.delivered) > 0 {
			first = at[ti.delivered[0]]
		}
		if d := first - natural; d > 0 {
			c.Faults = append(c.Faults, sim.Fault{Action: sim.Delay, Type: typ, N: num, On: on, Ticks: d})
		}
		if ti.dup {
			second := end + 5
			if len(ti.delivered) > 1 {
				second = at[ti.delivered[1]]
			}
			for i := range c.Faults {
				if f := &c.Faults[i]; f.Action == sim.Dup && f.Type == typ && f.N == num && f.On == on {
					f.Ticks = max(second-first, 0)
				}
			}
		}
	}
	// A timer the path did not fire must not fire in the simulator before
	// the path is done with it.
	for _, sp := range t.spans {
		if sp.fired {
			continue
		}
		until := end
		if sp.to > 0 {
			until = at[sp.to]
		}
		d := retry
		if sp.expiry {
			d = ttl
		}
		if at[sp.from]+d <= until {
			ok = false
		}
	}
	return c, ok
}

// reproduces runs c and reports whether it shows v's violation.
func (x *system) reproduces(v *Violation, c sim.Config) bool {
	res, err := sim.Run(c)
	if err != nil {
		return false
	}
	return showsViolation(res, v.Property, v.Msg)
}

func showsViolation(res *sim.Result, p Property, msg int) bool {
	for _, m := range res.Messages {
		if msg != 0 && int(m.Ref) != msg {
			continue
		}
		switch p {
		case NoDuplicate:
			if m.Deliveries > 1 {
				return true
			}
		case NoLoss:
			if m.CompletedAt >= 0 && m.Deliveries == 0 {
				return true
			}
		}
	}
	return p == Liveness && !res.Settled && !res.TimedOut
}
