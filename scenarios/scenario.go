package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// Scenario is one named setup and the verdict each variant must reach on it.
type Scenario struct {
	Name string
	Why  string // one line: what the scenario shows
	File string // where it was loaded from
	// Base is the run's configuration without a variant; Config fills in
	// the variant and the seed of each run.
	Base sim.Config
	// SubVariant is the protocol of the broker -> subscriber leg; empty
	// means the variant under test runs on both legs.
	SubVariant string
	Runs       int // seeded runs, seeds Base.Seed, Base.Seed+1, ...; figures add up over them
	Expect     []Expectation
}

// Verdict is the delivery outcome of a set of runs, judged at the final
// application (the server, or the subscriber behind a broker).
type Verdict string

// The verdicts, from the fates of the messages (sim.Fate). A message
// delivered more than once is a duplicate; one never delivered that the
// publisher never gave up on is a loss, a silent one. A message never
// delivered that the publisher abandoned, telling its application, is
// neither: where that is all that went wrong the verdict is Abandoned.
// Exactly-once and abandoned are the verdicts under which the exactly-once
// property of simulate check holds and simulate explore proves.
const (
	ExactlyOnce      Verdict = "exactly-once"
	Abandoned        Verdict = "abandoned"
	Duplicate        Verdict = "duplicate"
	Loss             Verdict = "loss"
	DuplicateAndLoss Verdict = "duplicate+loss"
)

// verdictNames lists the verdicts, for errors and docs.
const verdictNames = "exactly-once, abandoned, duplicate, loss, duplicate+loss"

// ParseVerdict reads a verdict's name.
func ParseVerdict(s string) (Verdict, error) {
	switch v := Verdict(s); v {
	case ExactlyOnce, Abandoned, Duplicate, Loss, DuplicateAndLoss:
		return v, nil
	}
	return "", fmt.Errorf("verdict %q: allowed values are %s", s, verdictNames)
}

// Holds reports whether the verdict keeps the exactly-once property: no
// duplicate and no silent loss.
func (v Verdict) Holds() bool { return v == ExactlyOnce || v == Abandoned }

// Expectation is what one variant must show on the scenario.
type Expectation struct {
	Variant string
	Verdict Verdict // "" when the file gives none (user files may only want figures)
	Counts  []CountFigure
	Bools   []BoolFigure
}

// CountFigure is an exact count the runs must add up to.
type CountFigure struct {
	Name string
	Want int64
}

// BoolFigure is a yes/no property every run must have (settled, in-order).
type BoolFigure struct {
	Name string
	Want bool
}

// figure is one measurable figure of an Outcome.
type figure struct {
	name   string
	isBool bool
	help   string
	count  func(*Outcome) int64
	truth  func(*Outcome) bool
}

var figures = []figure{
	{name: "exactly-once", help: "messages delivered exactly once", count: func(o *Outcome) int64 { return int64(o.ExactlyOnce) }},
	{name: "duplicated", help: "messages delivered more than once", count: func(o *Outcome) int64 { return int64(o.Duplicated) }},
	{name: "lost", help: "messages never delivered that the publisher never gave up on (silent losses)", count: func(o *Outcome) int64 { return int64(o.Lost) }},
	{name: "abandoned", help: "messages never delivered that the publisher gave up on, telling its application (not losses)", count: func(o *Outcome) int64 { return int64(o.Abandoned) }},
	{name: "unrouted", help: "messages never delivered because no subscription matched at the broker (no delivery owed)", count: func(o *Outcome) int64 { return int64(o.Unrouted) }},
	{name: "payload-resends", help: "PUBLISH packets sent again with DUP set", count: func(o *Outcome) int64 { return int64(o.PayloadResends) }},
	{name: "packets", help: "packets put on the wire", count: func(o *Outcome) int64 { return int64(o.Packets) }},
	{name: "bytes", help: "bytes put on the wire (exact MQTT encodings)", count: func(o *Outcome) int64 { return int64(o.Bytes) }},
	{name: "peak-held", help: "most packet ids/messages a receiver held at once (largest over the runs)", count: func(o *Outcome) int64 { return int64(o.PeakHeld) }},
	{name: "breaks", help: "connection breaks", count: func(o *Outcome) int64 { return int64(o.Breaks) }},
	{name: "crashes", help: "node crashes", count: func(o *Outcome) int64 { return int64(o.Crashes) }},
	{name: "settled", isBool: true, help: "in every run each flow ended (completed, or abandoned with the application told) with nothing pending", truth: func(o *Outcome) bool { return o.Settled }},
	{name: "in-order", isBool: true, help: "per topic, first deliveries came in publication order in every run", truth: func(o *Outcome) bool { return o.InOrder }},
}

func figureNames() []string {
	names := make([]string, len(figures))
	for i, f := range figures {
		names[i] = f.name
	}
	return names
}

func figureOf(name string) (figure, bool) {
	for _, f := range figures {
		if f.name == name {
			return f, true
		}
	}
	return figure{}, false
}

// Config is the simulator configuration of run number run (0-based) of the
// scenario under variant.
func (s *Scenario) Config(variant string, run int) sim.Config {
	c := s.Base
	c.Variant = variant
	c.SubscriberVariant = s.SubVariant
	c.Seed = s.Base.Seed + uint64(run)
	return c
}

// Variants lists the variants the scenario has expectations for, in file order.
func (s *Scenario) Variants() []string {
	vs := make([]string, len(s.Expect))
	for i, e := range s.Expect {
		vs[i] = e.Variant
	}
	return vs
}

// Setup is the scenario's setup as `simulate run` flags (without variant and
// seed when they vary), the canonical one-line description of the run.
func (s *Scenario) Setup() string {
	v := "qos2-b"
	if len(s.Expect) > 0 {
		v = s.Expect[0].Variant
	}
	line := s.Config(v, 0).Command()
	line = strings.Replace(line, "simulate run --variant "+v+" ", "", 1)
	if s.Runs > 1 {
		line += " (" + strconv.Itoa(s.Runs) + " runs, seeds " + strconv.FormatUint(s.Base.Seed, 10) + ".." +
			strconv.FormatUint(s.Base.Seed+uint64(s.Runs)-1, 10) + ")"
	}
	return line
}

// Outcome adds up the results of a scenario's runs under one variant.
type Outcome struct {
	Runs           int
	Messages       int
	ExactlyOnce    int
	Duplicated     int
	Lost           int
	PayloadResends int
	Packets        int
	Bytes          int
	PeakHeld       int
	Abandoned      int
	Unrouted       int
	Breaks         int
	Crashes        int
	Settled        bool     // every run settled
	InOrder        bool     // every run delivered in order (only measured when asked for)
	Unfired        []string // schedule faults that never fired in some run (distinct, in schedule order)
	Last           *sim.Result
}

// Verdict judges the outcome.
func (o *Outcome) Verdict() Verdict {
	switch {
	case o.Duplicated > 0 && o.Lost > 0:
		return DuplicateAndLoss
	case o.Duplicated > 0:
		return Duplicate
	case o.Lost > 0:
		return Loss
	case o.Abandoned > 0:
		return Abandoned
	}
	return ExactlyOnce
}

// Report is the result of checking one expectation.
type Report struct {
	Scenario   *Scenario
	Variant    string
	Expected   Expectation
	Skipped    string // why the variant was not run (not registered in this build); "" when it ran
	Outcome    Outcome
	Mismatches []string // expected figures the runs did not show
}

// OK reports whether the variant ran and met every expectation. A skipped
// variant is not OK: it was not checked.
func (r Report) OK() bool { return r.Skipped == "" && len(r.Mismatches) == 0 }

// Verdict is the verdict the runs reached ("" when skipped).
func (r Report) Verdict() Verdict {
	if r.Skipped != "" {
		return ""
	}
	return r.Outcome.Verdict()
}

// Check runs the scenario under every variant it has expectations for.
func (s *Scenario) Check() []Report {
	reports := make([]Report, len(s.Expect))
	for i, e := range s.Expect {
		reports[i] = s.CheckVariant(e, false)
	}
	return reports
}

// CheckVariant runs the scenario under e.Variant and compares. With keepTrace
// the last run's trace is kept in the outcome (for diagrams).
func (s *Scenario) CheckVariant(e Expectation, keepTrace bool) Report {
	r := Report{Scenario: s, Variant: e.Variant, Expected: e}
	for _, v := range []string{e.Variant, s.SubVariant} {
		if v == "" {
			continue
		}
		if _, err := model.Lookup(v); err != nil {
			r.Skipped = "variant " + v + " is not registered in this build"
			return r
		}
	}
	needOrder := false
	for _, b := range e.Bools {
		needOrder = needOrder || b.Name == "in-order"
	}
	o, err := s.Run(e.Variant, needOrder || keepTrace)
	if err != nil {
		// Load validated the setup, so this is a scenario built in code.
		r.Mismatches = append(r.Mismatches, "run failed: "+err.Error())
		return r
	}
	r.Outcome = o
	if e.Verdict != "" && o.Verdict() != e.Verdict {
		r.Mismatches = append(r.Mismatches, fmt.Sprintf("verdict %s, want %s", o.Verdict(), e.Verdict))
	}
	for _, c := range e.Counts {
		f, ok := figureOf(c.Name)
		switch {
		case !ok || f.isBool:
			r.Mismatches = append(r.Mismatches, fmt.Sprintf("%s: no such count; counts are %s", c.Name, strings.Join(figureNames(), ", ")))
		case f.count(&o) != c.Want:
			r.Mismatches = append(r.Mismatches, fmt.Sprintf("%s %d, want %d", c.Name, f.count(&o), c.Want))
		}
	}
	for _, b := range e.Bools {
		f, ok := figureOf(b.Name)
		switch {
		case !ok || !f.isBool:
			r.Mismatches = append(r.Mismatches, fmt.Sprintf("%s: no such yes/no figure; they are settled, in-order", b.Name))
		case f.truth(&o) != b.Want:
			r.Mismatches = append(r.Mismatches, fmt.Sprintf("%s %v, want %v", b.Name, f.truth(&o), b.Want))
		}
	}
	return r
}

// Run executes the scenario's runs under variant and adds up their outcome.
// With trace, runs record their traces (needed for the order check).
func (s *Scenario) Run(variant string, trace bool) (Outcome, error) {
	o := Outcome{Settled: true, InOrder: true}
	runs := max(s.Runs, 1)
	for i := range runs {
		c := s.Config(variant, i)
		c.Trace = trace
		res, err := sim.Run(c)
		if err != nil {
			return o, err
		}
		sum := res.Summarize()
		o.Runs++
		o.Messages += sum.Messages
		o.ExactlyOnce += sum.ExactlyOnce
		o.Duplicated += sum.Duplicated
		o.Lost += sum.Missing
		o.Abandoned += sum.Abandoned
		o.Unrouted += sum.Unrouted
		o.PayloadResends += sum.PayloadResends
		o.Packets += sum.Packets
		o.Bytes += sum.Bytes
		o.PeakHeld = max(o.PeakHeld, sum.PeakHeld)
		o.Breaks += res.Breaks
		o.Crashes += res.Crashes
		o.Settled = o.Settled && res.Settled
		for _, f := range res.Unfired {
			if !slices.Contains(o.Unfired, f) {
				o.Unfired = append(o.Unfired, f)
			}
		}
		if trace {
			o.InOrder = o.InOrder && inOrder(res)
		}
		o.Last = res
	}
	return o, nil
}

// inOrder reports whether every receiving application saw the first
// delivery of each message in publication order, per publisher and topic:
// the ordering MQTT promises for messages of one topic and QoS from one
// client (MQTT 5.0 section 4.6).
func inOrder(res *sim.Result) bool {
	ok := true
	res.OutOfOrder(func(int, int) { ok = false })
	return ok
}
