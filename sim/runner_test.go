package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/model"
)

// Fault schedules with node placeholders: {s} is the server side (server,
// or broker or subscriber), {c} the client side (client or publisher).
// They include faults that never fire (PUBREC#9, a time after the run) and
// delays that put events beyond the queue's calendar window.
var (
	datagramSchedules = []string{
		"",
		"lose PUBREC#1; dup PUBLISH#2 +3; delay PUBREL#1 +40",
		"lose PUBLISH#3; lose PUBCOMP#2; crash {s} at 45 restart +5",
		"crash {s} after-recv PUBLISH#1 restart +50; crash {c} at 90 restart +30",
		"dup PUBLISH#1; lose PUBREC#9",
		"delay PUBLISH#2 +300; crash {s} at 900000 restart +10",
		"crash {c} after-send PUBLISH#2 restart +400; dup PUBREL#1 +200",
	}
	streamSchedules = []string{
		"",
		"break after-send PUBREC#1; break after-recv PUBREL#2 reconnect +7",
		"break after-send PUBLISH#2; break at 35 reconnect +20",
		"crash {s} after-recv PUBLISH#1 restart +50; crash {c} at 90 restart +30",
		"delay PUBREL#1 +40; break after-send PUBLISH#7",
		"break at 900000 reconnect +5; delay PUBLISH#1 +500",
		"crash {c} after-send PUBLISH#1 restart +300; break after-recv PUBCOMP#1 reconnect +150",
	}
)

// variedConfig draws the k-th config of a long, varied sequence: every
// variant on both legs, both topologies and modes, both MQTT versions, id
// policies and small id spaces, durability, session expiry, fault
// schedules, random losses, breaks and crashes, time limits that cut runs
// short, traces on and off, and workloads from 1 to 400 messages. About
// one config in 25 is invalid.
func variedConfig(rng *rand.Rand, k int) Config {
	names := model.Names()
	pick := func(xs ...int64) int64 { return xs[rng.IntN(len(xs))] }
	c := Config{
		Variant:           names[rng.IntN(len(names))],
		SubscriberVariant: names[rng.IntN(len(names))],
		Topology:          Topology(rng.IntN(2)),
		Seed:              rng.Uint64N(1000),
		Trace:             rng.IntN(2) == 0,
	}
	ec := &c.Endpoint
	ec.Mode = model.Mode(rng.IntN(2))
	ec.Version = model.Version(rng.IntN(2))
	ec.IDPolicy = model.IDPolicy(rng.IntN(2))
	ec.IDSpace = int(pick(0, 0, 2, 4, 8, 40))
	ec.ReceiveMax = int(pick(0, 1, 3, 8, 16))
	ec.RetryTicks = pick(0, 30, 60, 150)
	ec.RetryLimit = int(pick(0, 2, 5))
	ec.Volatile = rng.IntN(3) == 0
	ec.TTLTicks = pick(0, 50, 200)
	ec.StoreCap = int(pick(0, 0, 2, 16))
	ec.SessionExpiryTicks = pick(0, 0, 80, 400)
	w := &c.Workload
	w.Messages = int(pick(1, 3, 10, 60, 200, 400))
	w.IntervalTicks = pick(0, 1, 2, 5, 30)
	w.Topics = int(pick(0, 1, 3))
	w.PayloadBytes = int(pick(0, 8, 100))
	w.DistinctPayloads = int(pick(0, 0, 2, 7))
	w.StartTicks = pick(0, 0, 5)
	nw := &c.Network
	nw.LatencyTicks = pick(0, 1, 10, 60)
	nw.JitterTicks = pick(0, 4, 8, 200)
	schedules := streamSchedules
	if ec.Mode == model.Datagram {
		schedules = datagramSchedules
		nw.Loss = []float64{0, 0.05, 0.15, 0.4}[rng.IntN(4)]
		nw.Dup = []float64{0, 0.02, 0.1}[rng.IntN(3)]
	} else {
		nw.BreakMeanTicks = pick(0, 0, 60, 150)
	}
	nw.CrashMeanTicks = pick(0, 0, 0, 300)
	nw.ReconnectTicks = pick(0, 7, 50)
	nw.RestartTicks = pick(0, 20, 100)
	nw.HealTicks = pick(0, 0, 100, 2000)
	server, client := "server", "client"
	if c.Topology == Brokered {
		server, client = []string{"broker", "subscriber"}[rng.IntN(2)], "publisher"
	}
	sched := strings.NewReplacer("{s}", server, "{c}", client).Replace(schedules[rng.IntN(len(schedules))])
	faults, err := ParseSchedule(sched)
	if err != nil {
		panic(fmt.Sprintf("schedule %q: %v", sched, err))
	}
	c.Faults = faults
	switch rng.IntN(8) {
	case 0:
		c.MaxTicks = pick(1, 40, 300, 2000) // cut short, with events still queued
	case 1:
		w.Messages = 2000
		c.Trace = false
	}
	if rng.IntN(25) == 0 { // invalid: the Runner must fail like Run and stay usable
		switch rng.IntN(3) {
		case 0:
			w.Messages = -1
		case 1:
			c.Variant = "no-such-variant"
		default:
			ec.Mode, nw.Loss = model.Stream, 0.5
		}
	}
	return c
}

// fingerprint is everything a result says: its JSON, trace included, and
// the fields JSON leaves out.
func fingerprint(t *testing.T, res *Result) []byte {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Appendf(b, "\n%v %v %d %d", res.Packets, res.Bytes, res.PeakHeldAt, res.PeakHeldEvent)
}

// runnerMatchesRun runs n configs drawn from rng through one Runner and
// checks each result against a fresh Run of the same config, and counts
// what the sequence exercised.
func runnerMatchesRun(t *testing.T, rng *rand.Rand, n int) (runs, invalid, traced, timedOut, unsettled int) {
	t.Helper()
	var r Runner
	for k := range n {
		cfg := variedConfig(rng, k)
		want, werr := Run(cfg)
		got, gerr := r.Run(cfg)
		if werr != nil || gerr != nil {
			if werr == nil || gerr == nil || werr.Error() != gerr.Error() {
				t.Fatalf("config %d (%s): Run error %v, Runner error %v", k, cfg.Command(), werr, gerr)
			}
			invalid++
			continue
		}
		runs++
		if cfg.Trace {
			traced++
		}
		if want.TimedOut {
			timedOut++
		}
		if !want.Settled {
			unsettled++
		}
		if w, g := fingerprint(t, want), fingerprint(t, got); !bytes.Equal(w, g) {
			t.Fatalf("config %d (%s): Runner result differs from Run:\nRun:    %.600s\nRunner: %.600s", k, cfg.Command(), w, g)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("config %d (%s): Runner result differs from Run (reflect.DeepEqual)", k, cfg.Command())
		}
	}
	return runs, invalid, traced, timedOut, unsettled
}

// TestRunnerMatchesRun runs a long, interleaved sequence of configs through
// one Runner and checks each result against a fresh Run of the same config:
// byte-identical JSON (trace included), the fields JSON leaves out, and
// reflect.DeepEqual, which also tells an empty list from a nil one. Any
// state leaking from one run into the next (rng, queue sequence numbers,
// free lists, timer tables, link and node state, backlog, counters, fired
// faults, trace) shows up as a difference.
func TestRunnerMatchesRun(t *testing.T) {
	n := 1500
	if testing.Short() {
		n = 300
	}
	runs, invalid, traced, timedOut, unsettled := runnerMatchesRun(t, rand.New(rand.NewPCG(7, 11)), n)
	t.Logf("%d runs (%d traced, %d timed out, %d unsettled), %d invalid configs", runs, traced, timedOut, unsettled, invalid)
	// The sequence must exercise what it claims to.
	if invalid == 0 || traced == 0 || timedOut == 0 || unsettled == 0 || runs < n*9/10 {
		t.Fatalf("sequence too uniform: %d runs, %d traced, %d timed out, %d unsettled, %d invalid", runs, traced, timedOut, unsettled, invalid)
	}
}

// TestRunnerKeepsResultUntilNextRun pins the contract: a Runner's result is
// overwritten by its next Run, while a failed Run leaves it alone.
func TestRunnerKeepsResultUntilNextRun(t *testing.T) {
	var r Runner
	a := Config{Workload: Workload{Messages: 5}, Seed: 1, Trace: true}
	res, err := r.Run(a)
	if err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, res)
	if _, err := r.Run(Config{Workload: Workload{Messages: -1}}); err == nil || !strings.Contains(err.Error(), "messages -1") {
		t.Fatalf("invalid config: got error %v", err)
	}
	if after := fingerprint(t, res); !bytes.Equal(before, after) {
		t.Fatal("a failed Run changed the previous result")
	}
	res2, err := r.Run(Config{Workload: Workload{Messages: 2}, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res2 != res || len(res.Messages) != 2 || res.Trace != nil {
		t.Fatalf("the next Run did not reuse the result: same=%v, %d messages, trace %v", res2 == res, len(res.Messages), res.Trace != nil)
	}
}

// TestRunnerAllocatesPerRunNotPerEvent pins the zero-allocation steady
// state: once a Runner has run a workload, running it again allocates the
// same few objects (the endpoints a run builds) whether it has 2,000
// messages or twice as many, so no event allocates.
func TestRunnerAllocatesPerRunNotPerEvent(t *testing.T) {
	allocs := func(messages int) float64 {
		var r Runner
		cfg := benchConfig(1)
		cfg.Workload.Messages = messages
		for range 3 { // the buffers reach their size
			if _, err := r.Run(cfg); err != nil {
				t.Fatal(err)
			}
		}
		return testing.AllocsPerRun(5, func() {
			if _, err := r.Run(cfg); err != nil {
				t.Fatal(err)
			}
		})
	}
	short, long := allocs(2000), allocs(4000)
	t.Logf("allocations per run: %v with 2,000 messages, %v with 4,000", short, long)
	if long > short || short > 16 {
		t.Fatalf("a run allocates %v times with 2,000 messages and %v with 4,000: something allocates per event", short, long)
	}
}
