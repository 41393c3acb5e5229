package study

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// points are one variant's line: x, mean and 95% half-width.
type points struct {
	xs, ys, cis []float64
}

func (p points) Len() int                        { return len(p.xs) }
func (p points) XY(i int) (float64, float64)     { return p.xs[i], p.ys[i] }
func (p points) YError(i int) (float64, float64) { return p.cis[i], p.cis[i] }

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
					p = &points{}
					lines[name] = p
				}
				p.xs, p.ys, p.cis = append(p.xs, x), append(p.ys, ac.value(l.Analytic)), append(p.cis, 0)
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
// variant (and metric, when there are several) with its 95% confidence
// intervals as error bars. format is "png" or "svg"; both render
// byte-identically run to run.
func (s *Study) Chart(w io.Writer, accs []Acc, ms []Metric, format string) error {
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
	for _, m := range ms {
		for i, l := range s.Cells {
			x, err := strconv.ParseFloat(l.Value, 64)
			if err != nil {
				return fmt.Errorf("cell %d: value %q: %v", i, l.Value, err)
			}
			e := m.Est(&accs[i])
			if math.IsNaN(e.Mean) {
				continue
			}
			ci := e.CI95
			if math.IsNaN(ci) {
				ci = 0
			}
			name := l.Variant
			if len(ms) > 1 {
				name += " " + m.Head
			}
			p, ok := lines[name]
			if !ok {
				p = &points{}
				lines[name] = p
				order = append(order, name)
			}
			p.xs, p.ys, p.cis = append(p.xs, x), append(p.ys, e.Mean), append(p.cis, ci)
		}
	}
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
	pl.Title.Text = fmt.Sprintf("%s vs %s (%d runs per point, 95%% CI)", axis, s.Param, s.Runs)
	pl.X.Label.Text = s.Param
	pl.Y.Label.Text = axis
	pl.Legend.Top, pl.Legend.Left = true, true
	pl.Legend.XOffs, pl.Legend.YOffs = vg.Points(50), -vg.Points(10)
	pl.Add(plotter.NewGrid())
	for i, v := range order {
		p := lines[v]
		line, pts, err := plotter.NewLinePoints(p)
		if err != nil {
			return err
		}
		line.Color = plotutil.Color(i)
		line.Dashes = plotutil.Dashes(i)
		pts.Color = plotutil.Color(i)
		pts.Shape = plotutil.Shape(i)
		bars, err := plotter.NewYErrorBars(p)
		if err != nil {
			return err
		}
		bars.Color = plotutil.Color(i)
		pl.Add(line, pts, bars)
		pl.Legend.Add(v, line, pts)
	}
	index := map[string]int{}
	for i, name := range order {
		index[name] = i
	}
	for _, name := range sortedKeys(exact) {
		p := exact[name]
		line, err := plotter.NewLine(p)
		if err != nil {
			return err
		}
		// The exact line has the colour of the simulated line it checks.
		line.Color = plotutil.Color(index[strings.Replace(name, " exact", "", 1)])
		line.Width = vg.Points(0.5)
		pl.Add(line)
		pl.Legend.Add(name, line)
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
