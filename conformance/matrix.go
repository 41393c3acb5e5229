package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
	"github.com/qoslab/qoslab/study"
)

// Column is one implementation under one protocol version.
type Column struct {
	Target  Target
	Version model.Version
}

// Name is the column's heading.
func (c Column) Name() string { return c.Target.Name() + " " + c.Version.String() }

// Matrix is the results of every case on every column: implementation x
// schedule x version -> verdict.
type Matrix struct {
	Columns []Column
	Cases   []Case
	// Results[i][j] is case i on column j; nil where the column does not
	// apply (a client that does not speak the version).
	Results [][]*Result
}

// RunMatrix runs every case on every column, Options.Workers runs at a
// time. Runs side by side do not change each other's transcripts: a run
// only waits longer for quiet while another's goroutines are busy. progress,
// when set, is told after each run. A broker that cannot be started or
// reached fails the matrix.
func RunMatrix(cols []Column, cases []Case, opt Options, progress func(done, total int)) (*Matrix, error) {
	m := &Matrix{Columns: cols, Cases: cases, Results: make([][]*Result, len(cases))}
	type job struct{ i, j int }
	var jobs []job
	for i := range cases {
		m.Results[i] = make([]*Result, len(cols))
		for j := range cols {
			jobs = append(jobs, job{i, j})
		}
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	var (
		mu       sync.Mutex
		firstErr error
		done     int
		next     int
		wg       sync.WaitGroup
	)
	for w := 0; w < min(workers, len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next == len(jobs) || firstErr != nil {
					mu.Unlock()
					return
				}
				jb := jobs[next]
				next++
				mu.Unlock()
				col, c := cols[jb.j], cases[jb.i]
				o := opt
				o.Version = col.Version
				r, err := Run(col.Target, c, o)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("%s, case %q: %w", col.Name(), c.Label(), err)
				}
				m.Results[jb.i][jb.j] = r
				done++
				if progress != nil {
					progress(done, len(jobs))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return m, nil
}

// DefaultWorkers is how many runs a matrix has going at once. The runs
// mostly wait for quiet, so more than the cores pays; many more only make
// each wait for the others' goroutines.
const DefaultWorkers = 4

// Failed reports whether any run failed (exit status 1).
func (m *Matrix) Failed() bool {
	for _, row := range m.Results {
		for _, r := range row {
			if r != nil && r.Verdict.Failed() {
				return true
			}
		}
	}
	return false
}

// CaseLabel is a case's row heading in a matrix.
func CaseLabel(c Case) string {
	l := c.Label()
	var parts []string
	if t := c.normalize().Topology; t != sim.Brokered {
		parts = append(parts, t.String())
	}
	if c.Clean {
		parts = append(parts, "clean")
	}
	if c.Messages > 1 {
		parts = append(parts, strconv.Itoa(c.Messages)+" msgs")
	}
	if len(parts) > 0 {
		return strings.Join(parts, ", ") + ": " + l
	}
	return l
}

// reported lists the results that have divergences, numbered in the order
// the tables refer to them.
func (m *Matrix) reported() []*Result {
	var rs []*Result
	for _, row := range m.Results {
		for _, r := range row {
			if r != nil && (len(r.Divergences) > 0 || r.Stopped != "") {
				rs = append(rs, r)
			}
		}
	}
	return rs
}

// cell is a verdict in a table cell, with the number of its report.
func cell(r *Result, num map[*Result]int) string {
	if r == nil {
		return "-"
	}
	ref := ""
	if n, ok := num[r]; ok && r.Verdict != Conforms {
		ref = " [" + strconv.Itoa(n) + "]"
	}
	return r.Verdict.Short() + ref
}

// Short is the verdict as a matrix cell shows it.
func (v Verdict) Short() string {
	switch v {
	case Conforms:
		return "ok"
	case ConformsWith:
		return "ok*"
	case DeliveryFails:
		return "DELIVERY"
	case ProtocolFails:
		return "PROTOCOL"
	case StoppedAnswers:
		return "STOPPED"
	}
	return string(v)
}

// Legend explains the cells of a matrix (Verdict.Short).
const Legend = "ok: conforms; ok*: conforms, with differences the specification permits; " +
	"PROTOCOL: a MUST broken; DELIVERY: a message duplicated, lost, or reported failed though delivered; " +
	"STOPPED: stopped answering with work pending; -: the client does not speak that version"

// legend explains the cells of the text and markdown matrices.
const legend = Legend + "; [N]: report N below."

// table is the matrix of verdicts, every column a label.
func (m *Matrix) table() *study.Table {
	num := map[*Result]int{}
	for i, rep := range m.reported() {
		num[rep] = i + 1
	}
	t := &study.Table{Columns: []study.Column{{Key: "case", Head: "case", Text: true}}}
	for _, c := range m.Columns {
		t.Columns = append(t.Columns, study.Column{Key: c.Name(), Head: c.Name(), Text: true})
	}
	for i, c := range m.Cases {
		row := []study.Cell{{Value: CaseLabel(c)}}
		for _, res := range m.Results[i] {
			row = append(row, study.Cell{Value: cell(res, num)})
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// WriteText writes the matrix as an ASCII table, then one report per run
// with divergences: each divergence, the real transcript beside the
// model's, and the command that replays the run.
func (m *Matrix) WriteText(w io.Writer) error {
	if err := m.table().WriteText(w); err != nil {
		return err
	}
	fmt.Fprintln(w, legend)
	for i, r := range m.reported() {
		fmt.Fprintf(w, "\n[%d] %s, MQTT %s, %s: %s\n", i+1, r.Target, r.Version, CaseLabel(r.Case), r.Verdict)
		writeFindings(w, r, "  ")
		if r.Verdict.Failed() {
			fmt.Fprintln(w)
			for _, l := range SideBySide(r.Transcript.ASCII(), r.Model.ASCII(), "real ("+r.Target+")", "model"+modelNote(r)) {
				fmt.Fprintln(w, "  "+l)
			}
		}
		fmt.Fprintf(w, "  replay: %s\n", r.Replay)
	}
	return nil
}

func modelNote(r *Result) string {
	if r.ModelNote != "" {
		return " (" + r.ModelNote + ")"
	}
	return " (simulator, same schedule)"
}

// writeFindings lists a run's divergences and, if it stopped, why and
// what was pending.
func writeFindings(w io.Writer, r *Result, indent string) {
	for k, d := range r.Divergences {
		fmt.Fprintf(w, "%s!%d %s (step %d)\n", indent, k+1, d.String(), d.Step)
	}
	if r.Stopped != "" {
		fmt.Fprintf(w, "%sstopped: %s\n", indent, r.Stopped)
		for _, p := range r.Pending {
			fmt.Fprintf(w, "%s  pending: %s\n", indent, p)
		}
	}
	for _, u := range r.Unfired {
		fmt.Fprintf(w, "%sfault never fired: %s\n", indent, u)
	}
}

// WriteMarkdown writes the matrix as a markdown table, then the reports,
// with each transcript side by side in text and as two Mermaid diagrams.
func (m *Matrix) WriteMarkdown(w io.Writer) error {
	if err := m.table().WriteMarkdown(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s\n", legend)
	for i, r := range m.reported() {
		fmt.Fprintf(w, "\n#### [%d] %s, MQTT %s, %s: %s\n\n", i+1, r.Target, r.Version, CaseLabel(r.Case), r.Verdict)
		for k, d := range r.Divergences {
			fmt.Fprintf(w, "%d. %s (step %d)\n", k+1, markdownEscape(d.String()), d.Step)
		}
		if r.Stopped != "" {
			fmt.Fprintf(w, "\nStopped: %s. Pending: %s.\n", r.Stopped, strings.Join(r.Pending, "; "))
		}
		fmt.Fprintf(w, "\nReplay: `%s`\n", r.Replay)
		if !r.Verdict.Failed() {
			continue
		}
		fmt.Fprintf(w, "\n<details><summary>transcript beside the model's (text, then Mermaid: real, model)</summary>\n\n")
		fmt.Fprintf(w, "```text\n%s\n```\n\n```mermaid\n", strings.Join(SideBySide(r.Transcript.ASCII(), r.Model.ASCII(), "real ("+r.Target+")", "model"+modelNote(r)), "\n"))
		r.Transcript.WriteMermaid(w)
		fmt.Fprintf(w, "```\n")
		if len(r.Model) > 0 {
			fmt.Fprintf(w, "\n```mermaid\n")
			r.Model.WriteMermaid(w)
			fmt.Fprintf(w, "```\n")
		}
		fmt.Fprintf(w, "\n</details>\n")
	}
	return nil
}

// markdownEscape keeps a divergence's text from being read as markup.
func markdownEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "*", "\\*", "_", "\\_", "<", "&lt;").Replace(s)
}

// WriteJSON writes every result, transcripts included.
func (m *Matrix) WriteJSON(w io.Writer) error {
	type col struct {
		Target  string        `json:"target"`
		Broker  string        `json:"broker"`
		Client  string        `json:"client"`
		Version model.Version `json:"mqtt"`
	}
	out := struct {
		Columns []col     `json:"columns"`
		Results []*Result `json:"results"`
	}{}
	for _, c := range m.Columns {
		out.Columns = append(out.Columns, col{c.Target.Name(), c.Target.Broker.Name, c.Target.Client.Name, c.Version})
	}
	for _, row := range m.Results {
		for _, r := range row {
			if r != nil {
				out.Results = append(out.Results, r)
			}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// Columns lists the columns for a broker: the model's clients in both
// versions, then every client library in the versions it speaks.
func Columns(b BrokerImpl, clients []ClientImpl, versions []model.Version) []Column {
	var cols []Column
	for _, c := range clients {
		for _, v := range versions {
			if c.speaks(v) {
				cols = append(cols, Column{Target: Target{Broker: b, Client: c}, Version: v})
			}
		}
	}
	return cols
}
