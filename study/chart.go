package study

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// points are one line of a chart: x, mean and the 95% interval as the
// distances below and above the mean (equal for a mean's half-width, not
// for a rate's Wilson interval), and which points had runs that did not
// settle.
type points struct {
	variant        string // whose line it is: the colour
	xs, ys, lo, hi []float64
	unsettled      []bool
}

func (p points) Len() int                        { return len(p.xs) }
func (p points) XY(i int) (float64, float64)     { return p.xs[i], p.ys[i] }
func (p points) YError(i int) (float64, float64) { return p.lo[i], p.hi[i] }

func (p *points) add(x, y, lo, hi float64, unsettled bool) {
	p.xs, p.ys, p.lo, p.hi = append(p.xs, x), append(p.ys, y), append(p.lo, lo), append(p.hi, hi)
	p.unsettled = append(p.unsettled, unsettled)
}

// palette is the Okabe-Ito colour-blind safe palette without its yellow,
// which does not show on white: seven hues no two of which are alike (the
// default plotutil palette has three reds).
var palette = []color.Color{
	color.RGBA{0, 0, 0, 255},       // black
	color.RGBA{230, 159, 0, 255},   // orange
	color.RGBA{86, 180, 233, 255},  // sky blue
	color.RGBA{0, 158, 115, 255},   // bluish green
	color.RGBA{0, 114, 178, 255},   // blue
	color.RGBA{213, 94, 0, 255},    // vermillion
	color.RGBA{204, 121, 167, 255}, // reddish purple
}

// ChartOptions are the choices of a chart beyond its metrics.
type ChartOptions struct {
	// LogX draws the swept parameter on a logarithmic axis, for values
	// that double (a time-to-live 10, 20, 40, ...); every value must be
	// above 0.
	LogX bool
}

// exactLines are the analytic model's values of the charted metrics, one
// line per variant, for a sweep run with --analytic (cells outside the
// model's assumptions are left out).
func (s *Study) exactLines(ms []Metric) map[string]*points {
	lines := map[string]*points{}
	if !s.Analytic {
		return lines
	}
	for _, m := range ms {
		for _, ac := range analyticColumns {
			if ac.metric != m.Key {
				continue
			}
			for _, l := range s.Cells {
				x, err := strconv.ParseFloat(l.Value, 64)
				if l.Analytic == nil || err != nil || math.IsNaN(ac.value(l.Analytic)) {
					continue
				}
				name := l.Variant + " exact"
				if len(ms) > 1 {
					name += " " + m.Head
				}
				p := lines[name]
				if p == nil {
					p = &points{variant: l.Variant}
					lines[name] = p
				}
				p.add(x, ac.value(l.Analytic), 0, 0, false)
			}
		}
	}
	return lines
}

func sortedKeys(m map[string]*points) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Chart draws a sweep's metrics against the swept parameter, one line per
// variant and metric with its 95% confidence intervals as error bars:
// Wilson's for per-message rates, Student's t half-widths for other means.
// Lines are told apart three ways: colour by variant, dashes by metric and
// a marker of their own; points of lines that fall on each other (all at
// 0, say) are set a little apart sideways so that each stays visible.
// Points where some runs did not settle are circled and the legend says so:
// their figures include runs cut off by the time limit. format is "png" or
// "svg"; both render byte-identically run to run.
func (s *Study) Chart(w io.Writer, accs []Acc, ms []Metric, format string, opt ChartOptions) error {
	if s.Kind != "sweep" {
		return fmt.Errorf("charts are drawn from sweeps, not %s studies", s.Kind)
	}
	if format != "png" && format != "svg" {
		return fmt.Errorf("chart format %q: allowed values are png, svg", format)
	}
	if len(ms) == 0 {
		return fmt.Errorf("no metric to chart")
	}
	lines := map[string]*points{}
	var order []string
	colour, dashes := map[string]int{}, map[string]int{}
	for mi, m := range ms {
		for i, l := range s.Cells {
			x, err := strconv.ParseFloat(l.Value, 64)
			if err != nil {
				return fmt.Errorf("cell %d: value %q: %v", i, l.Value, err)
			}
			if opt.LogX && x <= 0 {
				return fmt.Errorf("%s %v cannot be drawn on a logarithmic axis: every value must be above 0", s.Param, l.Value)
			}
			e := m.Est(&accs[i])
			if math.IsNaN(e.Mean) {
				continue
			}
			lo, hi := errorBar(e)
			name := l.Variant
			if len(ms) > 1 {
				name += " " + m.Head
			}
			p, ok := lines[name]
			if !ok {
				p = &points{variant: l.Variant}
				lines[name] = p
				order = append(order, name)
				if _, seen := colour[l.Variant]; !seen {
					colour[l.Variant] = len(colour)
				}
				dashes[name] = mi
			}
			p.add(x, e.Mean, lo, hi, accs[i].Settled < accs[i].Runs)
		}
	}
	dodge(lines, order, opt.LogX)
	exact := s.exactLines(ms)
	axis := ms[0].Axis
	if len(ms) > 1 {
		var heads []string
		for _, m := range ms {
			heads = append(heads, m.Head)
		}
		axis = strings.Join(heads, ", ")
	}
	pl := plot.New()
	interval := "95% CI"
	for _, m := range ms {
		if m.Prop {
			interval = "95% CI: Wilson for rates"
		}
	}
	pl.Title.Text = fmt.Sprintf("%s vs %s (%d runs per point, %s)", axis, s.Param, s.Runs, interval)
	pl.X.Label.Text = s.Param
	if len(order) > 1 {
		pl.X.Label.Text += " (the lines' points are set slightly apart sideways)"
	}
	if opt.LogX {
		pl.X.Scale, pl.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
		pl.X.Label.Text += " (log scale)"
	}
	pl.Y.Label.Text = axis
	pl.Legend.Top, pl.Legend.Left = true, true
	pl.Legend.XOffs, pl.Legend.YOffs = vg.Points(50), -vg.Points(10)
	pl.Add(plotter.NewGrid())
	var unsettled plotter.XYs
	for i, name := range order {
		p := lines[name]
		c := palette[colour[p.variant]%len(palette)]
		line, pts, err := plotter.NewLinePoints(p)
		if err != nil {
			return err
		}
		line.Color = c
		line.Dashes = plotutil.Dashes(dashes[name])
		pts.Color = c
		pts.Shape = plotutil.Shape(i)
		pts.Radius = vg.Points(3)
		bars, err := plotter.NewYErrorBars(p)
		if err != nil {
			return err
		}
		bars.Color = c
		pl.Add(line, pts, bars)
		pl.Legend.Add(name, line, pts)
		for k, u := range p.unsettled {
			if u {
				unsettled = append(unsettled, plotter.XY{X: p.xs[k], Y: p.ys[k]})
			}
		}
	}
	for _, name := range sortedKeys(exact) {
		p := exact[name]
		line, err := plotter.NewLine(p)
		if err != nil {
			return err
		}
		// The exact line has the colour of the simulated line it checks.
		line.Color = palette[colour[p.variant]%len(palette)]
		line.Width = vg.Points(0.5)
		pl.Add(line)
		pl.Legend.Add(name, line)
	}
	if len(unsettled) > 0 {
		ring, err := plotter.NewScatter(unsettled)
		if err != nil {
			return err
		}
		ring.Shape, ring.Radius, ring.Color = draw.RingGlyph{}, vg.Points(7), color.RGBA{128, 128, 128, 255}
		pl.Add(ring)
		pl.Legend.Add("some runs did not settle", ring)
	}
	// Counts and rates start at zero: a flat line near 4 must not look
	// like a swing.
	pl.Y.Min = min(pl.Y.Min, 0)
	if pl.Y.Max <= pl.Y.Min {
		pl.Y.Max = pl.Y.Min + 1
	}
	wt, err := pl.WriterTo(8*vg.Inch, 5*vg.Inch, format)
	if err != nil {
		return err
	}
	_, err = wt.WriteTo(w)
	return err
}

// errorBar returns the distances below and above the mean of e's interval:
// Wilson's bounds for a rate, the half-width for a mean, none without an
// interval.
func errorBar(e Estimate) (lo, hi float64) {
	switch {
	case !math.IsNaN(e.Lo) && !math.IsNaN(e.Hi):
		return e.Mean - e.Lo, e.Hi - e.Mean
	case !math.IsNaN(e.CI95):
		return e.CI95, e.CI95
	}
	return 0, 0
}

// dodge sets the points of lines that share an x a little apart sideways,
// by up to 1.5% of the axis (in log space on a log axis), so that lines
// with equal values keep visible markers and error bars. Line k of n moves
// by (k - (n-1)/2) steps.
func dodge(lines map[string]*points, order []string, logX bool) {
	n := len(order)
	if n < 2 {
		return
	}
	f, inv := func(x float64) float64 { return x }, func(x float64) float64 { return x }
	if logX {
		f, inv = math.Log, math.Exp
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, name := range order {
		for _, x := range lines[name].xs {
			lo, hi = min(lo, f(x)), max(hi, f(x))
		}
	}
	if !(hi > lo) {
		return
	}
	step := 0.03 * (hi - lo) / float64(n)
	for k, name := range order {
		p := lines[name]
		for i, x := range p.xs {
			p.xs[i] = inv(f(x) + (float64(k)-float64(n-1)/2)*step)
		}
	}
}
