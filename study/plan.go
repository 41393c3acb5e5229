package study

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// Compare lays out a comparison: every variant under every profile,
// profile by profile, on the base configuration's workload and endpoint
// settings.
func Compare(base sim.Config, variants []string, profiles []Profile, runs int, seed uint64) (Study, []sim.Config, error) {
	if err := checkRuns(runs, variants); err != nil {
		return Study{}, nil, err
	}
	st := Study{Kind: "compare", Runs: runs, Seed: seed}
	var cells []sim.Config
	for _, p := range profiles {
		for _, v := range variants {
			c := p.Apply(base)
			c.Variant, c.Seed = v, seed
			if c.Topology == sim.Brokered && base.SubscriberVariant == "" {
				c.SubscriberVariant = v
			}
			if err := c.Normalize().Validate(); err != nil {
				return st, nil, fmt.Errorf("%s under %s: %v", v, p.Name, err)
			}
			cells = append(cells, c)
			st.Cells = append(st.Cells, Label{Variant: v, Profile: p.Name, Command: c.Command()})
		}
	}
	st.Messages = cells[0].Normalize().Workload.Messages
	return st, cells, nil
}

func checkRuns(runs int, variants []string) error {
	if runs < 1 {
		return fmt.Errorf("runs %d: must be at least 1", runs)
	}
	if len(variants) == 0 {
		return fmt.Errorf("no variants")
	}
	for _, v := range variants {
		if _, err := model.Lookup(v); err != nil {
			return err
		}
	}
	return nil
}

// Param is a parameter a sweep can vary.
type Param struct {
	Name, Doc string
	// Mode, when set, is the network mode the parameter needs.
	Mode  *model.Mode
	Float bool // a probability; otherwise an integer
	Min   float64
	Max   float64
	set   func(c *sim.Config, v float64)
}

var (
	datagram = model.Datagram
	stream   = model.Stream
)

// Params are the parameters a sweep can vary.
var Params = []Param{
	{Name: "loss", Doc: "probability a datagram is lost (sets --mode datagram)", Mode: &datagram, Float: true, Max: 1,
		set: func(c *sim.Config, v float64) { c.Network.Loss = v }},
	{Name: "dup", Doc: "probability a datagram is duplicated (sets --mode datagram)", Mode: &datagram, Float: true, Max: 1,
		set: func(c *sim.Config, v float64) { c.Network.Dup = v }},
	{Name: "break-rate", Doc: "connection breaks per 1,000 ticks, exponential gaps (sets --mode stream; 0: none)", Mode: &stream, Float: true, Max: 1000,
		set: func(c *sim.Config, v float64) {
			c.Network.BreakMeanTicks = 0
			if v > 0 {
				c.Network.BreakMeanTicks = max(1, int64(math.Round(1000/v)))
			}
		}},
	{Name: "crash-rate", Doc: "crashes of a random node per 1,000 ticks, exponential gaps (0: none)", Float: true, Max: 1000,
		set: func(c *sim.Config, v float64) {
			c.Network.CrashMeanTicks = 0
			if v > 0 {
				c.Network.CrashMeanTicks = max(1, int64(math.Round(1000/v)))
			}
		}},
	{Name: "jitter", Doc: "extra delay drawn from [0, jitter] ticks", Max: 1e6,
		set: func(c *sim.Config, v float64) { c.Network.JitterTicks = int64(v) }},
	{Name: "messages", Doc: "messages published per run", Min: 1, Max: 10_000_000,
		set: func(c *sim.Config, v float64) { c.Workload.Messages = int(v) }},
	{Name: "ids", Doc: "packet id space 1..N", Min: 1, Max: 65535,
		set: func(c *sim.Config, v float64) { c.Endpoint.IDSpace = int(v) }},
	{Name: "ttl", Doc: "lifetime in ticks of de-duplication entries (stores that expire)", Min: 1, Max: 1e9,
		set: func(c *sim.Config, v float64) { c.Endpoint.TTLTicks = int64(v) }},
}

// LookupParam finds a sweep parameter by name.
func LookupParam(name string) (Param, error) {
	var names []string
	for _, p := range Params {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return Param{}, fmt.Errorf("unknown parameter %q: allowed values are %s", name, strings.Join(names, ", "))
}

// ParseValues reads a comma-separated list ("0,0.05,0.1") or a range
// "from:to:step" (inclusive) and checks each value against the parameter.
func (p Param) ParseValues(s string) ([]float64, error) {
	var vals []float64
	if f := strings.Split(s, ":"); len(f) == 3 {
		var r [3]float64
		for i, x := range f {
			v, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, fmt.Errorf("values %q: %q is not a number (want from:to:step or a list)", s, x)
			}
			r[i] = v
		}
		if !(r[2] > 0 && r[1] >= r[0] && (r[1]-r[0])/r[2] <= 1000) { // also false for NaN
			return nil, fmt.Errorf("values %q: want from <= to, step > 0 and at most 1,000 steps", s)
		}
		n := int(math.Floor((r[1]-r[0])/r[2] + 1e-9))
		for i := 0; i <= n; i++ {
			// Multiply rather than accumulate, so 0:0.3:0.1 gives 0.3, not 0.30000000000000004.
			v, _ := strconv.ParseFloat(strconv.FormatFloat(r[0]+float64(i)*r[2], 'g', 12, 64), 64)
			vals = append(vals, v)
		}
	} else {
		for _, x := range strings.Split(s, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, fmt.Errorf("values %q: %q is not a number", s, x)
			}
			vals = append(vals, v)
		}
	}
	for _, v := range vals {
		if !(v >= p.Min && v <= p.Max) || (!p.Float && v != math.Trunc(v)) { // NaN fails the first test
			kind := "integers"
			if p.Float {
				kind = "numbers"
			}
			return nil, fmt.Errorf("values: %s %v out of range: allowed %s %s..%s", p.Name, v, kind,
				strconv.FormatFloat(p.Min, 'f', -1, 64), strconv.FormatFloat(p.Max, 'f', -1, 64))
		}
	}
	return vals, nil
}

// Sweep lays out a sweep: every variant at every value of the parameter,
// value by value.
func Sweep(base sim.Config, p Param, values []float64, variants []string, runs int, seed uint64) (Study, []sim.Config, error) {
	if err := checkRuns(runs, variants); err != nil {
		return Study{}, nil, err
	}
	if len(values) == 0 {
		return Study{}, nil, fmt.Errorf("no values")
	}
	st := Study{Kind: "sweep", Runs: runs, Seed: seed, Param: p.Name}
	if p.Mode != nil {
		base.Endpoint.Mode = *p.Mode
	}
	var cells []sim.Config
	for _, x := range values {
		for _, v := range variants {
			c := base
			c.Variant, c.Seed = v, seed
			if c.Topology == sim.Brokered && base.SubscriberVariant == "" {
				c.SubscriberVariant = v
			}
			p.set(&c, x)
			if err := c.Normalize().Validate(); err != nil {
				return st, nil, fmt.Errorf("%s at %s=%v: %v", v, p.Name, x, err)
			}
			cells = append(cells, c)
			st.Cells = append(st.Cells, Label{Variant: v, Value: strconv.FormatFloat(x, 'g', -1, 64), Command: c.Command()})
		}
	}
	st.Messages = cells[0].Normalize().Workload.Messages
	return st, cells, nil
}
