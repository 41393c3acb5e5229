package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/qoslab/qoslab/conformance"
	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// The conformance runs the tests draw, against the embedded mochi broker
// with qoslab's model client under MQTT 5.0: break point 2 of the answer
// (the PUBREC lost with the connection), where mochi repeats PUBREC on
// resume (a permitted choice) and refuses the retransmitted PUBLISH of an
// id it holds with 0x91 (a protocol violation of [MQTT-4.3.3-10]), and a
// run without faults, which conforms. conformance.TestFindings pins both
// verdicts; each run takes a fraction of a second.
var conformRuns = sync.OnceValues(func() ([2]*conformance.Result, error) {
	var rs [2]*conformance.Result
	for i, faults := range []string{"break after-send PUBREC#1", ""} {
		s, err := sim.ParseSchedule(faults)
		if err != nil {
			return rs, err
		}
		rs[i], err = conformance.Run(conformance.Target{Broker: conformance.Mochi, Client: conformance.ModelClient},
			conformance.Case{Messages: 1, Faults: s}, conformance.Options{Version: model.V5})
		if err != nil {
			return rs, err
		}
	}
	return rs, nil
})

func conformResults(t *testing.T) (diverged, conforms *conformance.Result) {
	t.Helper()
	rs, err := conformRuns()
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Verdict != conformance.ProtocolFails || rs[1].Verdict != conformance.Conforms {
		t.Fatalf("verdicts %s and %s; conformance.TestFindings pins protocol violation and conforms", rs[0].Verdict, rs[1].Verdict)
	}
	return rs[0], rs[1]
}

// sideLines are the texts of one side's events, in row order.
func sideLines(d *Doc, other bool) []string {
	var ls []string
	for _, r := range d.Rows {
		if other && r.Other != nil {
			ls = append(ls, r.Other.Text)
		}
		if !other && r.Kind != "" {
			ls = append(ls, r.Text)
		}
	}
	return ls
}

// The page of a divergent run: both transcripts whole and in order, side
// by side on the same rows where they correspond; each divergence on the
// row of the real frame that shows it, with its class and statement; the
// model's side subscribes in the run as the real subscriber does; the
// cards, the counts and the verdict.
func TestFromConformDivergence(t *testing.T) {
	r, _ := conformResults(t)
	d := FromConform(r)
	if d.Kind != "conform" || len(d.Sides) != 2 || d.Sides[0].Nodes != 3 || d.Sides[1].Nodes != 3 ||
		strings.Join(d.Nodes, ",") != "publisher,broker,subscriber,publisher,broker,subscriber" {
		t.Fatalf("kind %s, sides %+v, nodes %v", d.Kind, d.Sides, d.Nodes)
	}
	// Every real line once, in order, and every line of the model's run.
	real := sideLines(d, false)
	if len(real) != len(r.Transcript) {
		t.Fatalf("%d real rows for %d transcript lines", len(real), len(r.Transcript))
	}
	for i, l := range r.Transcript {
		if (l.Kind == conformance.LineArrow || l.Kind == conformance.LineLost) && !strings.Contains(real[i], l.From+" -> "+l.To+" "+l.Label) {
			t.Errorf("real row %d is %q, want the frame %s", i, real[i], l)
		}
		if l.Conn > 0 && !strings.Contains(real[i], "connection") {
			t.Errorf("real row %d does not name its connection: %q", i, real[i])
		}
	}
	if len(sideLines(d, true)) != len(r.Model) {
		t.Errorf("%d model rows for the model's %d lines", len(sideLines(d, true)), len(r.Model))
	}
	model := strings.Join(sideLines(d, true), "\n")
	if !strings.Contains(model, `subscriber -> broker SUBSCRIBE id=1 "qoslab/#" q2`) || !strings.Contains(model, "broker -> subscriber CONNACK sp=0") {
		t.Errorf("the model's subscriber does not start fresh:\n%s", model)
	}
	paired := 0
	for _, row := range d.Rows {
		if row.Kind != "" && row.Other != nil {
			paired++
			frames := []string{"frame", "lost"} // a frame lost on one side pairs with one that arrived
			if row.Kind != row.Other.Kind && !(slices.Contains(frames, row.Kind) && slices.Contains(frames, row.Other.Kind)) {
				t.Errorf("paired a %s with a %s: %q | %q", row.Kind, row.Other.Kind, row.Text, row.Other.Text)
			}
		}
	}
	if paired < len(r.Model)*2/3 {
		t.Errorf("%d of the model's %d lines paired with the real ones", paired, len(r.Model))
	}
	// The divergences: on their rows, in the real transcript's order.
	want := []struct{ class, statement, frame string }{
		{"permitted difference", "MQTT-4.4.0-1", "broker -> publisher PUBREC id=1 (connection 2)"},
		{"protocol violation", "MQTT-4.3.3-10", "broker -> publisher PUBREC id=1 rc=0x91 (connection 2)"},
	}
	if len(d.Divergences) != len(want) {
		t.Fatalf("divergences %+v", d.Divergences)
	}
	for i, w := range want {
		dv := d.Divergences[i]
		if dv.N != i+1 || dv.Class != w.class || dv.Statement != w.statement || dv.Node != "broker" || d.Rows[dv.Row].Text != w.frame {
			t.Errorf("divergence %d: %+v on row %q; want %s [%s] on %q", i+1, dv, d.Rows[dv.Row].Text, w.class, w.statement, w.frame)
		}
		if !slices.Contains(d.Marks, dv.Row) {
			t.Errorf("row %d of divergence %d is not marked: %v", dv.Row, i+1, d.Marks)
		}
	}
	if !d.Verdict.Bad || d.Verdict.Text != "protocol violation: 2 divergence(s): 1 permitted difference, 1 protocol violation" {
		t.Errorf("verdict %+v", d.Verdict)
	}
	// The cards: the real subscriber got m1 once; the real broker's card
	// carries its divergences; the model's endpoints have their states.
	last := map[string]State{}
	waited := false
	for _, s := range d.States {
		last[d.Endpoints[s.Ep].Name] = s
		waited = waited || slices.Contains(s.Pending, "m1: waiting for the API's answer")
	}
	if !waited {
		t.Error("the real publisher's card never waits for the API's answer")
	}
	sub := last["real subscriber (qoslab's model client)"]
	if sub.Held != -1 || !slices.Equal(sub.Pending, []string{"delivered 1 message(s), the last m1"}) {
		t.Errorf("real subscriber at the end: %+v", sub)
	}
	if b := last["real broker (mochi)"]; !slices.Equal(b.Pending, []string{"!1 permitted difference", "!2 protocol violation"}) ||
		b.Conn != "to subscriber: connection 1 up; to publisher: connection 2 up" {
		t.Errorf("real broker at the end: %+v", b)
	}
	if p := last["real publisher (qoslab's model client)"]; !slices.Equal(p.Pending, []string{"published 1; the API answered 1 (1 completed, 0 failed)"}) ||
		p.Conn != "connection 2 up; session present 1: the session resumes" {
		t.Errorf("real publisher at the end: %+v", p)
	}
	if m, ok := last["model publisher (publishes)"]; !ok || m.Held < 0 || m.Ep < 3 || d.Endpoints[m.Ep].Node != 3 {
		t.Errorf("model publisher: %+v (endpoints %+v)", m, d.Endpoints)
	}
	for ep := range d.Endpoints {
		at := -2
		for _, s := range d.States {
			if s.Ep == ep {
				if s.At < at {
					t.Fatalf("endpoint %d's states out of row order", ep)
				}
				at = s.At
			}
		}
	}
	metrics := map[string]string{}
	for _, m := range d.Metric {
		metrics[m.Name] = m.Value
	}
	if metrics["delivered at the subscribers"] != "m1 once" || metrics["the publisher's API reported"] != "m1 completed" ||
		!strings.HasPrefix(metrics["model"], "1 published: 1 exactly once") {
		t.Errorf("metrics %v", metrics)
	}
	if d.Replay != `simulate conform --broker mochi --client model --mqtt 5.0 --faults "break after-send PUBREC#1"` {
		t.Errorf("replay %q", d.Replay)
	}
	if p := d.Panels[0]; p.Title != "divergences so far" || len(p.Changes) != 3 ||
		p.Changes[2].Lines[1] != "!2 protocol violation (broker) [MQTT-4.3.3-10] at step "+strconv.Itoa(d.Divergences[1].Row+1) {
		t.Errorf("panel %+v", p)
	}
}

// The page of a run that conforms: nothing marked, the verdict good, and
// without faults the two sides agree on every frame they pair.
func TestFromConformConforms(t *testing.T) {
	_, r := conformResults(t)
	d := FromConform(r)
	if d.Verdict.Bad || d.Verdict.Text != "conforms" || len(d.Marks) != 0 || len(d.Divergences) != 0 || len(d.Panels) != 0 {
		t.Errorf("verdict %+v, marks %v, divergences %+v", d.Verdict, d.Marks, d.Divergences)
	}
	for _, row := range d.Rows {
		if row.Differs {
			t.Errorf("without faults the model and mochi differ at %q | %q", row.Text, row.Other.Text)
		}
	}
}

// A matrix's page: a cell a run, each opening its own side-by-side view;
// it opens at the run that failed; it is one self-contained file.
func TestMatrixPage(t *testing.T) {
	diverged, conforms := conformResults(t)
	col := conformance.Column{Target: conformance.Target{Broker: conformance.Mochi, Client: conformance.ModelClient}, Version: model.V5}
	m := &conformance.Matrix{Columns: []conformance.Column{col, col}, Cases: []conformance.Case{conforms.Case, diverged.Case},
		Results: [][]*conformance.Result{{conforms, nil}, {diverged, conforms}}}
	p := FromMatrix(m)
	if len(p.Runs) != 3 || p.Open != 1 || !p.Verdict.Bad || p.Title != "qoslab conform: mochi" {
		t.Errorf("runs %d, open %d, verdict %+v, title %q", len(p.Runs), p.Open, p.Verdict, p.Title)
	}
	cells := [][]Cell{{{Text: "ok", Class: "ok", Run: 0}, {Text: "-", Run: -1}}, {{Text: "PROTOCOL", Class: "bad", Run: 1}, {Text: "ok", Class: "ok", Run: 2}}}
	for i, row := range p.Rows {
		if !slices.Equal(row.Cells, cells[i]) {
			t.Errorf("row %d (%s): %+v, want %+v", i, row.Case, row.Cells, cells[i])
		}
	}
	if p.Rows[1].Case != "break after-send PUBREC#1" {
		t.Errorf("case %q", p.Rows[1].Case)
	}
	var b bytes.Buffer
	if err := WriteMatrix(&b, p); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	data := regexp.MustCompile(`(?s)<script type="application/json" id="qv-data">(.*?)</script>`).FindStringSubmatch(page)
	var back Matrix
	if data == nil || json.Unmarshal([]byte(data[1]), &back) != nil || len(back.Runs) != 3 || len(back.Runs[1].Divergences) != 2 {
		t.Fatal("the page does not carry the matrix")
	}
	if n := strings.Count(page, "<script"); n != 2 || strings.Contains(page, "fetch(") || regexp.MustCompile(`(?i)\b(src|href)\s*=\s*["']?(?:https?:|//)`).MatchString(page) {
		t.Errorf("the page is not self-contained (%d scripts)", n)
	}
	// One run: the page is that run, titled by it.
	one := FromMatrix(&conformance.Matrix{Columns: []conformance.Column{col}, Cases: []conformance.Case{diverged.Case}, Results: [][]*conformance.Result{{diverged}}})
	if len(one.Runs) != 1 || one.Title != one.Runs[0].Title || one.Open != 0 {
		t.Errorf("one run: %d runs, title %q", len(one.Runs), one.Title)
	}
}

// A long page names each distinct state line once: the 1,000-message
// comparison took 21.7 MB with every state's lines written out (18.8 MB of
// it states) and takes 5.7 MB so; and the states read back as they were.
func TestLongPageNamesEachLineOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("a 1,000-message page")
	}
	p := longConformPage(t)
	var b bytes.Buffer
	if err := WriteMatrix(&b, p); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 8<<20 {
		t.Errorf("the page takes %d bytes", b.Len())
	}
	d := p.Runs[0]
	want, _ := json.Marshal(d.States)
	packed := pack(d)
	if len(packed.Lines) == 0 {
		t.Fatalf("%d lines for %d states, the first %+v", len(packed.Lines), len(d.States), packed.States[0])
	}
	if got, _ := json.Marshal(d.States); !bytes.Equal(got, want) {
		t.Error("packing changed the Doc's own states")
	}
	if got, _ := json.Marshal(unpack(packed).States); !bytes.Equal(got, want) {
		t.Error("the states do not read back as they were")
	}
}
