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
	"github.com/qoslab/qoslab/internal/browser"
	"github.com/qoslab/qoslab/sim"
)

// breakPage is the report of break point 2 of the answer (the PUBREC
// lost with the connection).
func breakPage(t *testing.T) ([]byte, *Doc) {
	res, st, err := sim.RunStates(sim.Config{Seed: 1, Workload: sim.Workload{Messages: 2}, Faults: schedule(t, "break after-send PUBREC#1")})
	if err != nil {
		t.Fatal(err)
	}
	d := FromRun(res, st)
	d.Replay = res.Config.Command()
	d.Metric = []Metric{{Name: "delivery", Value: "2 published, 2 exactly once, 0 duplicated, 0 lost"}}
	var b bytes.Buffer
	if err := Write(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), d
}

// resumeStep is the row where the client learns that its session
// resumed (CONNACK sp=1).
func resumeStep(d *Doc) int {
	for i, r := range d.Rows {
		if r.Kind == "recv" && strings.Contains(r.Text, "CONNACK sp=1") {
			return i
		}
	}
	return 0
}

// A report opened from file:// in Chromium: it steps by buttons, keys and
// slider, and each step shows its event, the endpoints' states and the
// packets in flight; the step is kept in the address; nothing goes to the
// console.
func TestReportInBrowser(t *testing.T) {
	page, d := breakPage(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "run.html")
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}
	b := browser.New(t)
	b.Do(t, chromedp.Navigate("file://"+file))
	b.WaitFor(t, `document.querySelector("#qv-pos") !== null`)
	n := len(d.Rows)
	at := func(k int) {
		t.Helper()
		want := "step " + strconv.Itoa(k+1) + " of " + strconv.Itoa(n)
		if got := b.Text(t, "#qv-pos"); got != want {
			t.Fatalf("position %q, want %q", got, want)
		}
		if got := b.Text(t, "#qv-event"); got != d.Rows[k].Text {
			t.Errorf("step %d shows %q, want %q", k+1, got, d.Rows[k].Text)
		}
		if got := browser.Eval[string](t, b, `location.hash`); got != "#step="+strconv.Itoa(k+1) {
			t.Errorf("address %q at step %d", got, k+1)
		}
		// The highlighted row is the step's.
		if got := browser.Eval[int](t, b, `Number(document.querySelector("#qv-cur").getAttribute("y"))`); got != k*26 {
			t.Errorf("highlight at y=%d, want row %d", got, k)
		}
		// Every endpoint's card shows its state at the step.
		for i, e := range d.Endpoints {
			var s *State
			for j := range d.States {
				if d.States[j].Ep == i && d.States[j].At <= k {
					s = &d.States[j]
				}
			}
			card := b.Text(t, `.qv-ep[data-ep="`+e.Name+`"]`)
			for _, want := range append([]string{s.Conn}, s.Pending...) {
				if !strings.Contains(card, want) {
					t.Errorf("step %d: %s shows %q, want %q in it", k+1, e.Name, card, want)
				}
			}
			if len(s.Pending) == 0 && !strings.Contains(card, "nothing pending") {
				t.Errorf("step %d: %s shows %q", k+1, e.Name, card)
			}
		}
	}
	at(0)
	b.Do(t, chromedp.Click(chromedp.ID("qv-next")))
	at(1)
	b.Do(t, chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
	at(3)
	b.Do(t, chromedp.KeyEvent(kb.ArrowLeft))
	at(2)
	// The PUBLISH of m1 is in flight right after it is sent.
	sent := -1
	for i, r := range d.Rows {
		if r.Kind == "send" && strings.Contains(r.Text, "PUBLISH id=1") {
			sent = i
			break
		}
	}
	b.Do(t, chromedp.Evaluate[chromedp.Void](`(function(){const s=document.getElementById("qv-slider");s.value="`+strconv.Itoa(sent)+`";s.dispatchEvent(new Event("input"));})()`))
	at(sent)
	if got := b.Text(t, "#qv-flight"); !strings.Contains(got, "client \u2192 server: PUBLISH id=1 q2 m1 (sent at step "+strconv.Itoa(sent+1)+")") {
		t.Errorf("in flight at step %d: %q", sent+1, got)
	}
	// The next fault: the break.
	b.Do(t, chromedp.Click(chromedp.ID("qv-nextfault")))
	fault := -1
	for i, r := range d.Rows {
		if r.Fault && i > sent {
			fault = i
			break
		}
	}
	at(fault)
	if got := b.Text(t, "#qv-event"); !strings.Contains(got, "lost") && !strings.Contains(got, "break") {
		t.Errorf("the next fault is %q", got)
	}
	b.Do(t, chromedp.KeyEvent(kb.End))
	at(n - 1)
	b.Do(t, chromedp.KeyEvent("v")) // no violation in this run: V does nothing
	at(n - 1)
	// The address opens the report at a step.
	step := resumeStep(d)
	b.Do(t, chromedp.Navigate("file://"+file+"#step="+strconv.Itoa(step+1)), chromedp.Reload())
	b.WaitFor(t, `document.querySelector("#qv-pos") !== null`)
	at(step)
	if got := b.Text(t, `.qv-ep[data-ep="client (publishes)"]`); !strings.Contains(got, "session present 1") {
		t.Errorf("client after CONNACK sp=1: %q", got)
	}
	t.Logf("%d rows: %.2f ms a step", len(d.Rows), stepCost(t, b))
	b.NoConsoleErrors(t)
}

// stepCost is the time a step takes in the page, drawing and layout
// included (for the record: tests bound no time).
func stepCost(t *testing.T, b *browser.Tab) float64 {
	return browser.Eval[float64](t, b, `(function(){const t0=performance.now();for(let i=0;i<100;i++){qoslab.go(qoslab.cur>0?qoslab.cur-1:qoslab.cur+1);document.getElementById("qv-svg").getBoundingClientRect();}return (performance.now()-t0)/100;})()`)
}

// A report of a 1,000-message run draws only the rows on screen: stepping
// to its end keeps the page's size bounded.
func TestLongReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("a 1,000-message page")
	}
	res, st, err := sim.RunStates(sim.Config{Workload: sim.Workload{Messages: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	d := FromRun(res, st)
	var page bytes.Buffer
	if err := Write(&page, d); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "long.html")
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	b := browser.New(t)
	b.Do(t, chromedp.Navigate("file://"+file))
	b.WaitFor(t, `document.querySelector("#qv-pos") !== null`)
	rows := func() int { return browser.Eval[int](t, b, `document.querySelectorAll("#qv-svg g.row").length`) }
	if r := rows(); r == 0 || r > 200 {
		t.Errorf("%d rows drawn at the start of %d", r, len(d.Rows))
	}
	b.Do(t, chromedp.KeyEvent(kb.End))
	want := "step " + strconv.Itoa(len(d.Rows)) + " of " + strconv.Itoa(len(d.Rows))
	if got := b.Text(t, "#qv-pos"); got != want {
		t.Errorf("after End: %q, want %q", got, want)
	}
	if r := rows(); r == 0 || r > 200 {
		t.Errorf("%d rows drawn at the end of %d", r, len(d.Rows))
	}
	if got := b.Text(t, "#qv-event"); got != d.Rows[len(d.Rows)-1].Text {
		t.Errorf("last event %q", got)
	}
	for range 10 {
		b.Do(t, chromedp.KeyEvent(kb.PageUp))
	}
	if got := b.Text(t, "#qv-pos"); got != "step "+strconv.Itoa(len(d.Rows)-200)+" of "+strconv.Itoa(len(d.Rows)) {
		t.Errorf("after 10 x PageUp: %q", got)
	}
	// For the record, not a bound: what a step and the page's load cost.
	perStep := stepCost(t, b)
	load := browser.Eval[float64](t, b, `performance.getEntriesByType("navigation")[0].loadEventEnd`)
	t.Logf("%d rows, %d KB page: loaded in %.0f ms, %.2f ms a step", len(d.Rows), page.Len()>>10, load, perStep)
	b.NoConsoleErrors(t)
}
