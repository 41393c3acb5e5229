package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/qoslab/qoslab/conformance"
	"github.com/qoslab/qoslab/internal/browser"
	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

func writePage(t *testing.T, name string, m *Matrix) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteMatrix(&b, m); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// A conformance run's page opened from file:// in Chromium: V steps to
// each divergence; its row is highlighted in its class's colour with a
// badge by the broker; the panel names the class, the statement, what
// mochi did and what the model would do; the model's event of the row is
// beside the real one; the address keeps the step; nothing goes to the
// console. Then a matrix's page in the same browser.
func TestConformReportInBrowser(t *testing.T) {
	r, _ := conformResults(t)
	col := conformance.Column{Target: conformance.Target{Broker: conformance.Mochi, Client: conformance.ModelClient}, Version: model.V5}
	p := FromMatrix(&conformance.Matrix{Columns: []conformance.Column{col}, Cases: []conformance.Case{r.Case}, Results: [][]*conformance.Result{{r}}})
	d := p.Runs[0]
	file := writePage(t, "conform.html", p)
	b := browser.New(t)
	b.Do(t, chromedp.Navigate("file://"+file))
	b.WaitFor(t, `document.querySelector("#qv-pos") !== null`)
	if got := b.Text(t, "#qv-verdict"); got != d.Verdict.Text {
		t.Errorf("verdict %q", got)
	}
	if got := b.Text(t, "#qc-top"); got != "" {
		t.Errorf("a page of one run shows a matrix: %q", got)
	}
	if got := b.Text(t, "#qv-mark"); got != "divergence" {
		t.Errorf("the mark button says %q", got)
	}
	at := func(k int) {
		t.Helper()
		if got := b.Text(t, "#qv-pos"); got != "step "+strconv.Itoa(k+1)+" of "+strconv.Itoa(len(d.Rows)) {
			t.Fatalf("position %q, want step %d", got, k+1)
		}
		row := d.Rows[k]
		real, model := "(no real step here)", "(no model step here)"
		if row.Kind != "" {
			real = row.Text
		}
		if row.Other != nil {
			model = row.Other.Text
		}
		if got := b.Text(t, "#qv-event"); got != real {
			t.Errorf("step %d: real %q, want %q", k+1, got, real)
		}
		if got := b.Text(t, "#qv-event-model"); got != model {
			t.Errorf("step %d: model %q, want %q", k+1, got, model)
		}
		if got := browser.Eval[string](t, b, `location.hash`); got != "#step="+strconv.Itoa(k+1) {
			t.Errorf("address %q at step %d", got, k+1)
		}
	}
	at(0)
	b.Do(t, chromedp.KeyEvent(kb.ArrowRight))
	at(1)
	// The divergences, one V at a time.
	for i, dv := range d.Divergences {
		b.Do(t, chromedp.KeyEvent("v"))
		at(dv.Row)
		cls := strings.Fields(dv.Class)[0]
		card := b.Text(t, `#qv-divs .qv-div.`+cls+`[data-n="`+strconv.Itoa(dv.N)+`"]`)
		for _, want := range []string{"!" + strconv.Itoa(dv.N) + " " + dv.Class + " [" + dv.Statement + "]", "broker " + dv.Did, "model: " + dv.Model} {
			if !strings.Contains(card, want) {
				t.Errorf("divergence %d: the panel shows %q, want %q in it", i+1, card, want)
			}
		}
		if cls == "permitted" && !strings.Contains(card, "not a failure") {
			t.Errorf("a permitted difference is not marked as such: %q", card)
		}
		// Its row is highlighted in its class's colour, with a badge and
		// its name at the end of the row.
		y := strconv.Itoa(dv.Row * 26)
		if got := browser.Eval[string](t, b, `(function(){const r=document.querySelector('#qv-svg rect.rowmark[y="`+y+`"]');return r?r.getAttribute("class"):"none";})()`); got != "rowmark "+cls {
			t.Errorf("divergence %d: row highlight %q, want rowmark %s", i+1, got, cls)
		}
		if got := b.Text(t, `#qv-svg g.row[data-row="`+strconv.Itoa(dv.Row)+`"] g.badge.`+cls); got != "!"+strconv.Itoa(dv.N) {
			t.Errorf("divergence %d: badge %q", i+1, got)
		}
		if got := b.Text(t, `#qv-svg g.row[data-row="`+strconv.Itoa(dv.Row)+`"] text.divlabel`); !strings.Contains(got, dv.Class+" ["+dv.Statement+"]") {
			t.Errorf("divergence %d: row label %q", i+1, got)
		}
		if got := b.Text(t, `.qv-ep[data-ep="real broker (mochi)"]`); !strings.Contains(got, "!"+strconv.Itoa(dv.N)+" "+dv.Class) {
			t.Errorf("divergence %d: the broker's card %q", i+1, got)
		}
	}
	// Exactly the divergences' rows are highlighted.
	if n := browser.Eval[int](t, b, `document.querySelectorAll("#qv-svg rect.rowmark").length`); n != len(d.Marks) {
		t.Errorf("%d rows highlighted, want %d", n, len(d.Marks))
	}
	// The model's cards have states; the real ones, what the transcript says.
	if got := b.Text(t, `.qv-ep[data-ep="model subscriber (receives)"]`); !strings.Contains(got, "holds") {
		t.Errorf("model subscriber card: %q", got)
	}
	b.Do(t, chromedp.KeyEvent(kb.End))
	at(len(d.Rows) - 1)
	if got := b.Text(t, `.qv-ep[data-ep="real subscriber (qoslab's model client)"]`); !strings.Contains(got, "delivered 1 message(s), the last m1") {
		t.Errorf("real subscriber at the end: %q", got)
	}
	// The address opens the page at a step.
	k := d.Divergences[1].Row
	b.Do(t, chromedp.Navigate("file://"+file+"#step="+strconv.Itoa(k+1)), chromedp.Reload())
	b.WaitFor(t, `document.querySelector("#qv-pos") !== null`)
	at(k)
	t.Logf("%d rows: %.2f ms a step", len(d.Rows), stepCost(t, b))
	b.NoConsoleErrors(t)
	conformMatrixInBrowser(t, b)
}

// A matrix's page: the table of verdicts; a cell opens its run; the
// address names the run and the step, and a reload opens them again.
func conformMatrixInBrowser(t *testing.T, b *browser.Tab) {
	diverged, conforms := conformResults(t)
	col := conformance.Column{Target: conformance.Target{Broker: conformance.Mochi, Client: conformance.ModelClient}, Version: model.V5}
	p := FromMatrix(&conformance.Matrix{Columns: []conformance.Column{col}, Cases: []conformance.Case{conforms.Case, diverged.Case},
		Results: [][]*conformance.Result{{conforms}, {diverged}}})
	file := writePage(t, "matrix.html", p)
	b.Do(t, chromedp.Navigate("file://"+file))
	b.WaitFor(t, `document.querySelector("#qv-pos") !== null`)
	// It opens at the run that failed.
	if got := b.Text(t, "#qv-verdict"); got != p.Runs[1].Verdict.Text {
		t.Errorf("opened at %q", got)
	}
	if got := b.Text(t, "#qc-matrix button.open"); got != "PROTOCOL" {
		t.Errorf("the open cell is %q", got)
	}
	b.Do(t, chromedp.Click(chromedp.CSS(`#qc-matrix button[data-run="0"]`)))
	if got := b.Text(t, "#qv-verdict"); got != "conforms" {
		t.Errorf("the conforming run's cell opened %q", got)
	}
	b.Do(t, chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
	if got := browser.Eval[string](t, b, `location.hash`); got != "#run=1&step=3" {
		t.Errorf("address %q", got)
	}
	b.Do(t, chromedp.Navigate("file://"+file+"#run=2&step=5"), chromedp.Reload())
	b.WaitFor(t, `document.querySelector("#qv-pos") !== null`)
	if got := b.Text(t, "#qv-pos"); got != "step 5 of "+strconv.Itoa(len(p.Runs[1].Rows)) || b.Text(t, "#qc-matrix button.open") != "PROTOCOL" {
		t.Errorf("#run=2&step=5 opened %q", got)
	}
	b.NoConsoleErrors(t)
}

// longConformPage is the page of a comparison of 1,000 messages. The real
// side is the model's own transcript of another schedule (a real run of
// that size takes minutes).
func longConformPage(t *testing.T) *Matrix {
	t.Helper()
	c := conformance.Case{Messages: 1000, Faults: schedule(t, "break after-send PUBREC#500")}
	res, err := sim.Run(conformance.ModelConfig(conformance.Case{Messages: 1000}, model.V5))
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := conformance.FromTrace(res.Trace)
	r := &conformance.Result{Target: "mochi", Case: c, Version: model.V5, Verdict: conformance.Conforms, Transcript: tr,
		Delivered: map[uint32]int{}, Reported: map[uint32]string{}}
	col := conformance.Column{Target: conformance.Target{Broker: conformance.Mochi, Client: conformance.ModelClient}, Version: model.V5}
	return FromMatrix(&conformance.Matrix{Columns: []conformance.Column{col}, Cases: []conformance.Case{c}, Results: [][]*conformance.Result{{r}}})
}

// A comparison of 1,000 messages draws only the rows on screen. The real
// side is the model's own transcript of another schedule (a real run of
// that size takes minutes): what matters here is the page's size.
func TestLongConformReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("a 1,000-message page")
	}
	p := longConformPage(t)
	d := p.Runs[0]
	file := writePage(t, "long.html", p)
	b := browser.New(t)
	b.Do(t, chromedp.Navigate("file://"+file))
	b.WaitFor(t, `document.querySelector("#qv-pos") !== null`)
	rows := func() int { return browser.Eval[int](t, b, `document.querySelectorAll("#qv-svg g.row").length`) }
	if n := rows(); n == 0 || n > 200 {
		t.Errorf("%d rows drawn at the start of %d", n, len(d.Rows))
	}
	b.Do(t, chromedp.KeyEvent(kb.End))
	if n := rows(); n == 0 || n > 200 {
		t.Errorf("%d rows drawn at the end of %d", n, len(d.Rows))
	}
	if got := b.Text(t, "#qv-pos"); got != "step "+strconv.Itoa(len(d.Rows))+" of "+strconv.Itoa(len(d.Rows)) {
		t.Errorf("after End: %q", got)
	}
	info, _ := os.Stat(file)
	t.Logf("%d rows, %d KB page: %.2f ms a step", len(d.Rows), info.Size()>>10, stepCost(t, b))
	b.NoConsoleErrors(t)
}
