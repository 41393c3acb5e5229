package properties

import (
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// measure is what shrinking must never increase; a candidate must lower at
// least one part of it.
func measure(c Case) [9]int64 {
	var n, at, ticks int64
	for _, f := range c.Faults {
		n, at, ticks = n+int64(f.N), at+f.At, ticks+f.Ticks
	}
	seed := int64(0)
	if c.Seed != 0 {
		seed = 1
	}
	rm := int64(0)
	if c.ReceiveMax != 0 {
		rm = 1
	}
	return [9]int64{int64(len(c.Faults)), int64(c.Messages), int64(c.Topics), int64(c.DistinctPayloads),
		int64(c.IDPolicy), c.JitterTicks, seed, rm, n + at + ticks}
}

func smaller(a, b [9]int64) bool {
	strict := false
	for i := range a {
		if a[i] > b[i] {
			return false
		}
		strict = strict || a[i] < b[i]
	}
	return strict
}

// Every drawn case and every shrink candidate is a valid run for the mode:
// per-packet loss and duplication only over datagrams, breaks only over a
// stream; and every candidate is smaller than the case it came from.
func TestCasesAndShrinksStayValid(t *testing.T) {
	bases := []sim.Config{
		{Variant: "qos2-b"},
		{Variant: "qos2-a", Endpoint: model.Config{Mode: model.Datagram}},
		{Variant: "qos2-a", Topology: sim.Brokered},
	}
	for _, base := range bases {
		space := Space{MaxJitterTicks: 20, RepeatPayloads: true, ReceiveMax: []int{1, 3, 65535}, MinMessages: 2,
			IDPolicies: []model.IDPolicy{model.Sequential}, Actions: []sim.Action{sim.Lose, sim.Dup, sim.Delay, sim.Break, sim.Crash}}
		gen := space.Gen(base)
		params := gopter.DefaultGenParameters()
		params.Rng = rand.New(rand.NewSource(5))
		stream := base.Endpoint.Mode == model.Stream
		for i := range 300 {
			res := gen(params.WithSize(i % 101))
			v, ok := res.Retrieve()
			if !ok || res.Shrinker == nil {
				t.Fatal("generator gave no value or lost its shrinker")
			}
			c := v.(Case)
			check := func(c Case) {
				cfg := c.Apply(base)
				if _, err := sim.New(cfg); err != nil {
					t.Fatalf("%s case %v: %v", base.Endpoint.Mode, c, err)
				}
				for _, f := range c.Faults {
					if stream && (f.Action == sim.Lose || f.Action == sim.Dup) || !stream && f.Action == sim.Break {
						t.Fatalf("%s case %v has %v", base.Endpoint.Mode, c, f)
					}
				}
			}
			check(c)
			shrink := res.Shrinker(c)
			for n := 0; ; n++ {
				w, ok := shrink()
				if !ok {
					break
				}
				d := w.(Case)
				check(d)
				if d.Messages < space.MinMessages || d.JitterTicks > space.MaxJitterTicks || !slices.Contains(space.IDPolicies, d.IDPolicy) {
					t.Fatalf("candidate %v leaves the space", d)
				}
				if !smaller(measure(d), measure(c)) {
					t.Fatalf("candidate %v is not smaller than %v", d, c)
				}
			}
		}
	}
}

// A property of our own: at most one connection break per run. The search
// finds a violation and shrinks it to the smallest possible: two breaks on
// the first packets, one message, the network's default reconnect delay.
func TestShrinkReachesTheMinimum(t *testing.T) {
	atMostOneBreak := Property{Name: "at-most-one-break", Kind: Always, Check: func(h *History) []Violation {
		var breaks []int
		for i, e := range h.Trace {
			if e.Kind == sim.TBreak {
				breaks = append(breaks, i)
			}
		}
		if len(breaks) < 2 {
			return nil
		}
		return []Violation{{Property: "at-most-one-break", Kind: Always, Events: breaks, Detail: "two breaks"}}
	}}
	c := Fails(t, Search{Config: sim.Config{Variant: "qos2-a"}, Property: atMostOneBreak,
		Space: Space{Actions: []sim.Action{sim.Break}}, Tests: 1000, Seed: 4})
	got := c.Case
	if len(got.Faults) != 2 || got.Messages != 1 || got.Seed != 0 || got.Topics != 1 || got.IDPolicy != model.LowestFree {
		t.Fatalf("shrunk to %v, want two breaks and one message", got)
	}
	for _, f := range got.Faults {
		if f.Ticks != 0 || f.When != sim.AtTime && f.N != 1 || f.When == sim.AtTime && f.At != 0 {
			t.Errorf("fault %v is not at its earliest with the default delay", f)
		}
	}
}

// The same seed gives the same outcome whatever the number of workers.
func TestSearchIsReproducible(t *testing.T) {
	s := Search{Config: sim.Config{Variant: "qos2-a", Endpoint: model.Config{Mode: model.Datagram}},
		Space: Space{MaxDelayTicks: 300, MaxJitterTicks: 40}, Tests: 4000, Seed: 9}
	var first Report
	for _, w := range []int{1, 2, 5} {
		s.Workers = w
		r, err := s.Run()
		if err != nil {
			t.Fatal(err)
		}
		if r.Held {
			t.Fatalf("workers %d: want a counterexample", w)
		}
		if w == 1 {
			first = r
			continue
		}
		if r.Tried != first.Tried || !reflect.DeepEqual(r.Counterexample.Case, first.Counterexample.Case) ||
			r.Counterexample.Command() != first.Counterexample.Command() {
			t.Fatalf("workers %d: tried %d, %v; workers 1: tried %d, %v", w, r.Tried, r.Counterexample.Case,
				first.Tried, first.Counterexample.Case)
		}
	}
}

func TestSearchRejectsBadSettings(t *testing.T) {
	cases := map[string]Search{
		"config faults":       {Config: sim.Config{Faults: sim.Schedule{{Action: sim.Break, When: sim.AtTime, At: 5}}}},
		"unknown variant":     {Config: sim.Config{Variant: "qos7"}},
		"messages 3..2":       {Space: Space{MinMessages: 3, MaxMessages: 2}},
		"receive maximum 0":   {Space: Space{ReceiveMax: []int{0}}},
		"no fault kind":       {Space: Space{Actions: []sim.Action{sim.Lose}}},
		"tests -1: must be":   {Tests: -1},
		"max jitter -1: must": {Space: Space{MaxJitterTicks: -1}},
	}
	for want, s := range cases {
		if _, err := s.Run(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error with %q, got %v", want, err)
		}
	}
}
