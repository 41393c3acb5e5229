package study

import (
	"bytes"
	"image/color"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/sim"
)

// A sweep whose lines coincide (qos2-b and two-packet-msgid neither
// duplicate nor lose at any loss) and whose lossiest runs do not all
// settle, for the chart tests.
func chartStudy(t *testing.T) (*Study, []Acc) {
	t.Helper()
	p, err := LookupParam("loss")
	if err != nil {
		t.Fatal(err)
	}
	base := sim.Config{Workload: sim.Workload{Messages: 20}}
	base.Endpoint.RetryLimit = 1
	st, cells, err := Sweep(base, p, []float64{0.1, 0.4}, []string{"qos2-b", "two-packet-msgid"}, 20, 1)
	if err != nil {
		t.Fatal(err)
	}
	accs, _, err := Execute(t.Context(), Plan{Cells: cells, Runs: st.Runs, Seed: st.Seed})
	if err != nil {
		t.Fatal(err)
	}
	return &st, accs
}

// Lines with equal values stay apart: their points are dodged sideways, in
// colours of the palette that differ, with markers of their own; points
// whose runs did not all settle are flagged in the legend.
func TestChartKeepsLinesApartAndFlagsUnsettledRuns(t *testing.T) {
	st, accs := chartStudy(t)
	ms, _ := ParseMetrics("duplicated_per_1k")
	var svg bytes.Buffer
	if err := st.Chart(&svg, accs, ms, "svg", ChartOptions{}); err != nil {
		t.Fatal(err)
	}
	out := svg.String()
	unsettled := false
	for _, a := range accs {
		unsettled = unsettled || a.Settled < a.Runs
	}
	if !unsettled {
		t.Fatal("the study must have runs that did not settle (retry limit 1 at 40% loss)")
	}
	for _, want := range []string{"some runs did not settle", "set slightly apart", "Wilson"} {
		if !strings.Contains(out, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	lines := map[string]*points{"a": {xs: []float64{0, 1}}, "b": {xs: []float64{0, 1}}}
	dodge(lines, []string{"a", "b"}, false)
	if lines["a"].xs[0] >= lines["b"].xs[0] || lines["a"].xs[1] >= lines["b"].xs[1] || lines["b"].xs[1]-lines["a"].xs[1] > 0.02 {
		t.Errorf("dodged x: %v and %v", lines["a"].xs, lines["b"].xs)
	}
	for i, a := range palette {
		for _, b := range palette[i+1:] {
			if distance(a, b) < 60*60 { // less than 60 apart in RGB
				t.Errorf("palette colours %v and %v are too alike", a, b)
			}
		}
	}
}

func distance(a, b color.Color) float64 {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	d := func(x, y uint32) float64 { v := float64(x>>8) - float64(y>>8); return v * v }
	return d(r1, r2) + d(g1, g2) + d(b1, b2)
}

// A logarithmic axis needs values above 0.
func TestChartLogAxis(t *testing.T) {
	st, accs := chartStudy(t)
	ms, _ := ParseMetrics("bytes_per_msg")
	var b bytes.Buffer
	if err := st.Chart(&b, accs, ms, "svg", ChartOptions{LogX: true}); err != nil || !strings.Contains(b.String(), "log scale") {
		t.Fatalf("log axis: %v", err)
	}
	st.Cells[0].Value = "0"
	if err := st.Chart(&b, accs, ms, "svg", ChartOptions{LogX: true}); err == nil || !strings.Contains(err.Error(), "above 0") {
		t.Fatalf("a value of 0 on a log axis: %v", err)
	}
}
