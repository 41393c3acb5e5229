package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/study"
)

func init() {
	register(command{name: "sweep", summary: "one parameter over a range for a set of variants: CSV/JSON and charts", run: sweepCmd})
}

const sweepSummary = `Varies one parameter over a range for a set of variants, --runs seeded runs
per point, and writes the figures (text, markdown, CSV or JSON) and, with
--png/--svg, a chart of one metric with one line per variant and 95%
confidence intervals as error bars.

Parameters:`

// chartFlags are the chart outputs of sweep and merge.
type chartFlags struct {
	metric, png, svg string
	logX             bool
}

func addChartFlags(f *studyFlags) *chartFlags {
	c := &chartFlags{}
	f.fs.StringVar(&c.metric, "metric", "duplicated_per_1k", "metric(s) the chart plots: column keys, comma-separated (see docs/guide.md)")
	f.fs.StringVar(&c.png, "png", "", "write the chart as PNG to this file (its name must end in .png)")
	f.fs.StringVar(&c.svg, "svg", "", "write the chart as SVG to this file (its name must end in .svg)")
	f.fs.BoolVar(&c.logX, "log-x", false, "draw the swept parameter on a logarithmic axis (for doubling values such as a TTL; every value must be above 0)")
	return c
}

func (c *chartFlags) check() ([]study.Metric, error) {
	if c.metric == "" {
		return nil, usagef("--metric: empty: name at least one column key")
	}
	if c.logX && c.png == "" && c.svg == "" {
		return nil, usagef("--log-x: shapes a chart; give --png or --svg too")
	}
	// A chart written under another extension would be misread by
	// whatever opens it (a PNG named x.txt), so the name must say what it is.
	for _, out := range []struct{ path, format string }{{c.png, "png"}, {c.svg, "svg"}} {
		if out.path != "" && !strings.EqualFold(filepath.Ext(out.path), "."+out.format) {
			return nil, usagef("--%s %s: the file name must end in .%s, the format written", out.format, out.path, out.format)
		}
	}
	ms, err := study.ParseMetrics(c.metric)
	if err != nil {
		return nil, usagef("--metric: %v", err)
	}
	return ms, nil
}

// write draws the charts asked for; a sweep's results only.
func (c *chartFlags) write(res *study.Results, m []study.Metric) error {
	if c.logX {
		for _, l := range res.Study.Cells {
			if x, err := strconv.ParseFloat(l.Value, 64); err == nil && x <= 0 {
				return usagef("--log-x: %s %s cannot be drawn on a logarithmic axis; every value must be above 0", res.Study.Param, l.Value)
			}
		}
	}
	for _, out := range []struct{ path, format string }{{c.png, "png"}, {c.svg, "svg"}} {
		if out.path == "" {
			continue
		}
		if res.Study.Kind != "sweep" {
			return usagef("--%s: charts are drawn from sweep results, these are %s results", out.format, res.Study.Kind)
		}
		if err := study.WriteFile(out.path, func(w io.Writer) error {
			return res.Study.Chart(w, res.Cells, m, out.format, study.ChartOptions{LogX: c.logX})
		}); err != nil {
			return err
		}
	}
	return nil
}

func sweepCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("sweep", sweepSummary+paramHelp())
	f := addStudyFlags(fs, 100, strings.Join(study.Formats, ", "))
	param := fs.String("param", "loss", "the parameter to vary (see above)")
	values := fs.String("values", "0:0.3:0.05", `values: a list "0,0.1,0.2" or a range "from:to:step"`)
	ch := addChartFlags(f)
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	sh, err := f.check()
	if err != nil {
		return err
	}
	metrics, err := f.table()
	if err != nil {
		return err
	}
	m, err := ch.check()
	if err != nil {
		return err
	}
	p, err := study.LookupParam(*param)
	if err != nil {
		return usagef("--param: %v", err)
	}
	if p.Mode != nil && f.visited("mode") && f.run.mode != p.Mode.String() {
		return usagef("--param %s needs --mode %s, not %s", p.Name, p.Mode, f.run.mode)
	}
	if fl := paramFlags[p.Name]; fl != "" {
		if err := f.notWith(fmt.Sprintf("--param %s sets it from --values; leave it out", p.Name), fl); err != nil {
			return err
		}
	}
	if sh.Count > 1 && (ch.png != "" || ch.svg != "") {
		return usagef("--png/--svg with --shard %s: a shard has part of the runs; draw the chart with simulate merge --png/--svg", f.shard)
	}
	if err := checkOutputs(map[string]string{"png": ch.png, "svg": ch.svg}); err != nil {
		return err
	}
	vals, err := p.ParseValues(*values)
	if err != nil {
		return usagef("--%v", err)
	}
	variants, err := f.variantList()
	if err != nil {
		return err
	}
	base, err := f.base()
	if err != nil {
		return err
	}
	st, cells, err := study.Sweep(base, p, vals, variants, f.runs, f.run.seed)
	if err != nil {
		return usageError{err.Error()}
	}
	res, err := execute(stderr, st, cells, f, sh)
	if err != nil {
		return err
	}
	if sh.Count <= 1 {
		if err := ch.write(res, m); err != nil {
			return err
		}
	}
	return emit(stdout, res, f, sh.Count > 1, tableWriter(res, metrics, f.format))
}

// paramFlags are the run flags that a swept parameter sets.
var paramFlags = map[string]string{"loss": "loss", "dup": "dup", "break-rate": "break-mean", "crash-rate": "crash-mean",
	"jitter": "jitter", "messages": "messages", "ids": "ids", "ttl": "ttl"}

func tableWriter(res *study.Results, metrics []study.Metric, format string) func(io.Writer) error {
	return func(w io.Writer) error {
		t, err := res.Study.Table(res.Cells, metrics)
		if err != nil {
			return err
		}
		return t.Write(w, format)
	}
}

func paramHelp() string {
	var b strings.Builder
	for _, p := range study.Params {
		fmt.Fprintf(&b, "\n  %-11s%s", p.Name, p.Doc)
	}
	return b.String()
}
