package analytic

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Estimate is a simulated mean with its 99% confidence interval [Lo, Hi].
type Estimate struct {
	Mean   float64
	Lo, Hi float64
	N      int
	wilson bool
}

// Contains reports whether x lies in the interval. A zero-width interval
// (no variation at all, as with p = 0) demands equality up to rounding.
func (e Estimate) Contains(x float64) bool {
	tol := 1e-9 * math.Max(1, math.Abs(x))
	return x >= e.Lo-tol && x <= e.Hi+tol
}

func (e Estimate) String() string {
	if e.wilson {
		return fmt.Sprintf("%.4f [%.4f, %.4f]", e.Mean, e.Lo, e.Hi)
	}
	return fmt.Sprintf("%.4g ± %.2g", e.Mean, e.Hi-e.Mean)
}

// estimate is Student's t interval over independent samples.
func estimate(xs []float64) Estimate {
	n := len(xs)
	if n == 0 {
		return Estimate{Mean: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	e := Estimate{Mean: mean, Lo: mean, Hi: mean, N: n}
	if n > 1 {
		t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(0.995)
		h := t * stat.StdErr(sd, float64(n))
		e.Lo, e.Hi = mean-h, mean+h
	}
	return e
}

// proportion is the Wilson score interval of k successes in n trials: unlike
// a t interval it does not collapse to a point when every trial succeeded,
// which is the usual sight for a rare event such as an abandoned message.
func proportion(k, n int) Estimate {
	if n == 0 {
		return Estimate{Mean: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	z := distuv.UnitNormal.Quantile(0.995)
	fn, ph := float64(n), float64(k)/float64(n)
	den := 1 + z*z/fn
	mid := (ph + z*z/(2*fn)) / den
	h := z / den * math.Sqrt(ph*(1-ph)/fn+z*z/(4*fn*fn))
	return Estimate{Mean: ph, Lo: mid - h, Hi: mid + h, N: n, wilson: true}
}

// Measured is what many seeded simulator runs show per message.
type Measured struct {
	Packets, Bytes, PayloadResends Estimate // t interval; samples: one per run (the run's mean per message)
	CompleteProb                   Estimate // Wilson interval over all messages
	CompleteTicks                  Estimate // t interval; samples: one per completed message
}

// Measure runs cfg with seeds cfg.Seed .. cfg.Seed+runs-1. Messages within a
// run are independent under the chain's assumptions, so each run's
// per-message mean is one sample, and each completed message's time is one.
func Measure(cfg sim.Config, runs int) (Measured, error) {
	var pk, by, rs, ct []float64
	completed, total := 0, 0
	for i := range runs {
		c := cfg
		c.Seed = cfg.Seed + uint64(i)
		res, err := sim.Run(c)
		if err != nil {
			return Measured{}, err
		}
		s := res.Summarize()
		m := float64(s.Messages)
		pk = append(pk, float64(s.Packets)/m)
		by = append(by, float64(s.Bytes)/m)
		rs = append(rs, float64(s.PayloadResends)/m)
		completed += len(s.CompleteTicks)
		total += s.Messages
		for _, t := range s.CompleteTicks {
			ct = append(ct, float64(t))
		}
	}
	return Measured{Packets: estimate(pk), Bytes: estimate(by), PayloadResends: estimate(rs),
		CompleteProb: proportion(completed, total), CompleteTicks: estimate(ct)}, nil
}

// CheckConfig is the setting of the analytic cross-check: datagram mode,
// loss p, sequential ids so that none is reused, loss lasting the whole run,
// and the defaults otherwise (latency 10, retry timer 100, retry limit 10).
func CheckConfig(variant string, p float64, messages int) sim.Config {
	return sim.Config{Variant: variant, Seed: 1,
		Endpoint: model.Config{Mode: model.Datagram, IDPolicy: model.Sequential},
		Workload: sim.Workload{Messages: messages},
		Network:  sim.Network{Loss: p, HealTicks: 1 << 40}}
}

// Row is one line of the analytic-vs-simulated table.
type Row struct {
	Variant  string
	Loss     float64
	Expected Expected
	Measured Measured
}

// Agrees lists the figures whose simulated 99% interval misses the analytic
// value; empty means agreement.
func (r Row) Agrees() []string {
	var bad []string
	check := func(name string, e Estimate, want float64) {
		if !e.Contains(want) {
			bad = append(bad, fmt.Sprintf("%s: simulated %s, analytic %.6g", name, e, want))
		}
	}
	check("packets", r.Measured.Packets, r.Expected.Packets)
	check("bytes", r.Measured.Bytes, r.Expected.Bytes)
	check("payload resends", r.Measured.PayloadResends, r.Expected.PayloadResends)
	check("P(complete)", r.Measured.CompleteProb, r.Expected.CompleteProb)
	check("completion ticks", r.Measured.CompleteTicks, r.Expected.CompleteTicks)
	return bad
}

// Table computes the rows for each variant the chain covers and each loss,
// from runs seeded runs of messages messages. Variants outside the chain's
// assumptions are returned in skipped with the reason.
func Table(variants []string, losses []float64, runs, messages int) (rows []Row, skipped []string, err error) {
	for _, v := range variants {
		for _, p := range losses {
			cfg := CheckConfig(v, p, messages)
			exp, err := Expect(cfg)
			if err != nil {
				skipped = append(skipped, fmt.Sprintf("%s: %v", v, err))
				break
			}
			m, err := Measure(cfg, runs)
			if err != nil {
				return nil, nil, err
			}
			rows = append(rows, Row{Variant: v, Loss: p, Expected: exp, Measured: m})
		}
	}
	return rows, skipped, nil
}

// WriteMarkdown renders rows as a Markdown table: each figure's analytic
// value beside the simulated mean and its 99% half-width.
func WriteMarkdown(w io.Writer, rows []Row) error {
	var b strings.Builder
	b.WriteString("| variant | p | packets/msg analytic | simulated | bytes/msg analytic | simulated | payload resends/msg analytic | simulated | P(complete) analytic | simulated | completion ticks analytic | simulated |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		e, m := r.Expected, r.Measured
		fmt.Fprintf(&b, "| %s | %g | %.4f | %s | %.3f | %s | %.4f | %s | %.4f | %s | %.2f | %s |\n", r.Variant, r.Loss,
			e.Packets, m.Packets, e.Bytes, m.Bytes, e.PayloadResends, m.PayloadResends,
			e.CompleteProb, m.CompleteProb, e.CompleteTicks, m.CompleteTicks)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
