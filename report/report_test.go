package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/explore"
	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/properties"
	"github.com/qoslab/qoslab/sim"
)

func runDoc(t *testing.T, cfg sim.Config) (*Doc, *sim.Result) {
	t.Helper()
	res, st, err := sim.RunStates(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return FromRun(res, st), res
}

func schedule(t *testing.T, s string) sim.Schedule {
	t.Helper()
	f, err := sim.ParseSchedule(s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// embedded reads the Doc back out of a written page.
func embedded(t *testing.T, page string) *Doc {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="qv-data">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no data in the page")
	}
	var p pageDoc
	if err := json.Unmarshal([]byte(m[1]), &p); err != nil {
		t.Fatal(err)
	}
	return unpack(&p)
}

// unpack undoes pack: the Doc whose states name their lines.
func unpack(p *pageDoc) *Doc {
	d := *p.Doc
	if p.States == nil {
		return &d
	}
	lines := func(is []int) []string {
		if len(is) == 0 {
			return nil
		}
		ls := make([]string, len(is))
		for i, j := range is {
			ls[i] = p.Lines[j]
		}
		return ls
	}
	d.States = make([]State, len(p.States))
	for i, s := range p.States {
		d.States[i] = State{Ep: s.Ep, At: s.At, Held: s.Held, Pending: lines(s.PendingLines), Timers: lines(s.TimerLines)}
		if s.ConnLine > 0 {
			d.States[i].Conn = p.Lines[s.ConnLine-1]
		}
	}
	return &d
}

// The page is one file: its data comes back out as written, and nothing
// in it refers to anything outside it.
func TestWriteIsSelfContained(t *testing.T) {
	d, _ := runDoc(t, sim.Config{Workload: sim.Workload{Messages: 2}, Faults: schedule(t, "break after-send PUBLISH#1")})
	d.Title = `a </script><script>alert(1)</script> & more`
	var b bytes.Buffer
	if err := Write(&b, d); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	want, _ := json.Marshal(d)
	if got, _ := json.Marshal(embedded(t, page)); !bytes.Equal(got, want) {
		t.Error("the embedded data does not read back as the Doc written")
	}
	if strings.Contains(page, "<script>alert") {
		t.Error("a title closed the data's script element")
	}
	// The one URL is the SVG namespace, which names and fetches nothing.
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)\b(src|href)\s*=\s*["']?(?:https?:|//)`),
		regexp.MustCompile(`(?i)@import|url\(\s*["']?(?:https?:|//)`),
		regexp.MustCompile(`\bfetch\(|XMLHttpRequest|import\(`),
		regexp.MustCompile(`https?://(?:[^w]|w[^w]|ww[^w]|www\.[^w]|www\.w[^3])`),
	} {
		if m := bad.FindString(page); m != "" {
			t.Errorf("the page refers outside itself: %q", m)
		}
	}
	if n := strings.Count(page, "<script"); n != 2 {
		t.Errorf("%d script elements, want the data and the viewer", n)
	}
}

// A run's rows are its trace; its arrows are the copies of packets sent,
// each ending where it arrived or was lost; the break's PUBLISH is lost.
func TestFromRun(t *testing.T) {
	d, res := runDoc(t, sim.Config{Workload: sim.Workload{Messages: 1}, Faults: schedule(t, "break after-send PUBLISH#1")})
	if len(d.Rows) != len(res.Trace) {
		t.Fatalf("%d rows for %d events", len(d.Rows), len(res.Trace))
	}
	if strings.Join(d.Nodes, ",") != "client,server" {
		t.Errorf("nodes %v", d.Nodes)
	}
	sends, lost := 0, 0
	for _, e := range res.Trace {
		if e.Kind == sim.TSend {
			sends++
		}
	}
	for _, a := range d.Arrows {
		if d.Rows[a.From].Kind != "send" {
			t.Errorf("arrow %+v starts at a %s row", a, d.Rows[a.From].Kind)
		}
		switch a.End {
		case "lost":
			lost++
			if d.Rows[a.To].Kind != "lost" || a.Label != "PUBLISH id=1 q2 m1" {
				t.Errorf("lost arrow %+v ends at %s", a, d.Rows[a.To].Kind)
			}
		case "recv":
			if d.Rows[a.To].Kind != "recv" {
				t.Errorf("arrow %+v ends at %s", a, d.Rows[a.To].Kind)
			}
		default:
			t.Errorf("arrow %+v still in flight at the end of a settled run", a)
		}
	}
	if len(d.Arrows) != sends || lost != 1 {
		t.Errorf("%d arrows (%d lost) for %d sends", len(d.Arrows), lost, sends)
	}
	// The client's state: connected, then broken, then resumed with its
	// session; waiting for PUBREC from the CONNACK that let it publish.
	var client []string
	for _, s := range d.States {
		if s.Ep == 0 {
			client = append(client, s.Conn+" | "+strings.Join(s.Pending, ";"))
		}
	}
	want := []string{
		"not connected | ",
		"transport up | ",
		"connected; session present 0: a new session | id 1 waiting for PUBREC (m1)",
		"not connected: connection broken | id 1 waiting for PUBREC (m1)",
		"transport up | id 1 waiting for PUBREC (m1)",
		"connected; session present 1: the session resumes | id 1 waiting for PUBREC (m1)",
		"connected; session present 1: the session resumes | id 1 waiting for PUBCOMP (m1)",
		"connected; session present 1: the session resumes | ",
	}
	if strings.Join(client, "\n") != strings.Join(want, "\n") {
		t.Errorf("client states:\n%s\nwant\n%s", strings.Join(client, "\n"), strings.Join(want, "\n"))
	}
	for i := 1; i < len(d.States); i++ {
		if d.States[i].At < d.States[i-1].At {
			t.Fatalf("states out of row order at %d", i)
		}
	}
	if len(d.Panels) != 1 || d.Panels[0].Changes[0].Lines[0] != "break after-send PUBLISH#1 (step 7)" ||
		len(d.Panels[0].Changes) != 2 || d.Panels[0].Changes[1].At != 6 || d.Panels[0].Changes[1].Lines[0] != "none" {
		t.Errorf("faults to come: %+v", d.Panels)
	}
	if d.Verdict.Bad || !strings.Contains(d.Verdict.Text, "1 exactly once") {
		t.Errorf("verdict %+v", d.Verdict)
	}
}

// A fault that never fires is said so; a run that ends with a packet on
// the wire draws it in flight.
func TestFromRunUnfiredAndInFlight(t *testing.T) {
	d, _ := runDoc(t, sim.Config{Workload: sim.Workload{Messages: 1}, Faults: schedule(t, "break after-send PUBREC#9; crash server after-recv PUBLISH#1")})
	lines := strings.Join(d.Panels[0].Changes[0].Lines, "|")
	if !strings.Contains(lines, "break after-send PUBREC#9 (never fires in this run)") || !strings.Contains(lines, "crash server after-recv PUBLISH#1 (step ") {
		t.Errorf("faults to come: %s", lines)
	}
	res, st, err := sim.RunStates(sim.Config{Workload: sim.Workload{Messages: 1}, MaxTicks: 25})
	if err != nil {
		t.Fatal(err)
	}
	d = FromRun(res, st)
	flying := 0
	for _, a := range d.Arrows {
		if a.End == "flight" {
			flying++
			if a.To != len(d.Rows) {
				t.Errorf("in-flight arrow %+v does not run to the end", a)
			}
		}
	}
	if flying != 1 {
		t.Errorf("%d arrows in flight at t=25, want the PUBLISH", flying)
	}
}

// The broker topology has one endpoint per node; the broker's card shows
// each of its connections.
func TestFromRunBroker(t *testing.T) {
	d, _ := runDoc(t, sim.Config{Topology: sim.Brokered, Workload: sim.Workload{Messages: 1}})
	if strings.Join(d.Nodes, ",") != "publisher,broker,subscriber" || len(d.Endpoints) != 3 {
		t.Errorf("nodes %v, endpoints %+v", d.Nodes, d.Endpoints)
	}
	if d.Endpoints[0].Name != "publisher (publishes)" || d.Endpoints[1].Name != "broker (broker)" || d.Endpoints[2].Name != "subscriber (receives)" {
		t.Errorf("endpoints %+v", d.Endpoints)
	}
	var broker string
	for _, s := range d.States {
		if s.Ep == 1 {
			broker = s.Conn
		}
	}
	if !strings.HasPrefix(broker, "to publisher: connected; session present") || !strings.Contains(broker, "; to subscriber: connected; session present") {
		t.Errorf("the broker's connections at the end: %q", broker)
	}
	for _, topo := range []sim.Topology{sim.Duplex, sim.Pair, sim.Self} {
		d, res := runDoc(t, sim.Config{Topology: topo, Workload: sim.Workload{Messages: 2}})
		if len(d.Rows) != len(res.Trace) || len(d.Endpoints) != len(topo.Layout().Nodes) {
			t.Errorf("%s: %d rows, %d endpoints", topo, len(d.Rows), len(d.Endpoints))
		}
		for _, a := range d.Arrows {
			if a.A < 0 || a.B < 0 || a.End != "recv" {
				t.Errorf("%s: arrow %+v", topo, a)
			}
		}
	}
}

// A check's counterexample is replayed with its states; its violation's
// trace positions are marked and its shrunk schedule shown.
func TestFromCheck(t *testing.T) {
	prop, _ := properties.Lookup("exactly-once")
	rep, err := properties.Search{Config: sim.Config{Variant: "qos1"}, Property: prop, Tests: 400, Seed: 1, Workers: 1}.Run()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Held {
		t.Fatal("qos1 held")
	}
	d, err := FromCheck(rep)
	if err != nil {
		t.Fatal(err)
	}
	x := rep.Counterexample
	if len(d.Rows) != len(x.Result.Trace) || !d.Verdict.Bad || d.Replay != x.Command() || len(d.Marks) == 0 {
		t.Errorf("rows %d, verdict %+v, replay %q, marks %v", len(d.Rows), d.Verdict, d.Replay, d.Marks)
	}
	found := false
	for _, s := range d.Sections {
		if s.Title == "shrunk schedule" && s.Lines[0] == x.Case.Faults.String() {
			found = true
		}
	}
	if !found {
		t.Errorf("no shrunk schedule among %+v", d.Sections)
	}
}

// An exploration's counterexample is drawn from its walk: one row per
// step, the last marked, the states of both endpoints.
func TestFromExplore(t *testing.T) {
	res, err := explore.Run(explore.Options{Variant: "qos1", Messages: 2, Breaks: 1})
	if err != nil {
		t.Fatal(err)
	}
	d, err := FromExplore(res)
	if err != nil {
		t.Fatal(err)
	}
	v := res.Violation
	if len(d.Rows) != len(v.Steps) || len(d.Marks) != 1 || d.Marks[0] != len(v.Steps)-1 {
		t.Fatalf("rows %d marks %v for %d steps", len(d.Rows), d.Marks, len(v.Steps))
	}
	kinds := map[string]int{}
	for _, r := range d.Rows {
		kinds[r.Kind]++
	}
	if kinds["break"] != 1 || kinds["deliver"] == 0 || kinds["publish"] == 0 || kinds["move"] != 0 {
		t.Errorf("row kinds %v", kinds)
	}
	lost := 0
	for _, a := range d.Arrows {
		if a.End == "lost" {
			lost++
		}
	}
	if lost != 1 {
		t.Errorf("%d arrows lost; the break loses the PUBACK", lost)
	}
	if len(d.Endpoints) != 2 || len(d.Panels) != 3 {
		t.Errorf("endpoints %+v panels %d", d.Endpoints, len(d.Panels))
	}
	props := d.Panels[2].Changes
	if last := strings.Join(props[len(props)-1].Lines, "|"); !strings.Contains(last, "no-duplicate: VIOLATED") {
		t.Errorf("last properties: %s", last)
	}
	proven, _ := explore.Run(explore.Options{Variant: "qos2-b", Messages: 1, Breaks: 1})
	if d, err := FromExplore(proven); err != nil || len(d.Rows) != 0 || d.Verdict.Bad {
		t.Errorf("proven: %+v %v", d, err)
	}
}

// The explorer's page carries its settings and asks only its own server.
func TestWriteExplorer(t *testing.T) {
	var b bytes.Buffer
	if err := WriteExplorer(&b, Explorer{Title: "x", Fields: []Field{{Name: "variant", Kind: "select", Options: []string{"qos2-b"}, Default: "qos2-b"}}}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if !strings.Contains(page, `{"title":"x","fields":[{"name":"variant"`) {
		t.Error("no settings in the page")
	}
	for _, m := range regexp.MustCompile(`fetch\("([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "api/") {
			t.Errorf("the page fetches %q", m[1])
		}
	}
}

// The schedule panel says a fault fires where the simulator matched it,
// also for a fault counted on one connection: the first PUBLISH on the
// subscriber's connection is the broker's forward, not the run's first.
func TestScheduleFiresWhereTheSimulatorMatched(t *testing.T) {
	d, res := runDoc(t, sim.Config{Topology: sim.Brokered, Workload: sim.Workload{Messages: 2},
		Faults: schedule(t, "break after-send PUBLISH#1 on subscriber")})
	var first []string
	for _, p := range d.Panels {
		if p.Title == "scheduled faults still to come" {
			first = p.Changes[0].Lines
		}
	}
	row := -1
	for i, e := range res.Trace {
		if e.Kind == sim.TSend && e.Node == "broker" && e.Packet.Type == model.PUBLISH {
			row = i
			break
		}
	}
	want := "break after-send PUBLISH#1 on subscriber (step " + strconv.Itoa(row+1) + ")"
	if row < 0 || len(first) != 1 || first[0] != want {
		t.Errorf("panel %q, want %q", first, want)
	}
}
