package report

import (
	"fmt"
	"io"

	"github.com/qoslab/qoslab/conformance"
)

// Matrix is the page of simulate conform --format html: the matrix of
// verdicts (a case a row, an implementation and protocol version a
// column) and every run's side-by-side view (FromConform); a click on a
// cell opens its run. A page of one run shows that run alone.
type Matrix struct {
	Title    string      `json:"title"`
	Settings []string    `json:"settings,omitempty"`
	Verdict  *Verdict    `json:"verdict,omitempty"`
	Columns  []string    `json:"columns"`
	Rows     []MatrixRow `json:"rows"`
	Legend   string      `json:"legend"`
	Runs     []*Doc      `json:"runs"`
	// Open is the run the page opens at: the first that failed, else the
	// first with a divergence, else the first.
	Open int `json:"open"`
}

// MatrixRow is one case's verdicts, a cell a column.
type MatrixRow struct {
	Case  string `json:"case"`
	Cells []Cell `json:"cells"`
}

// Cell is one verdict: its text (ok, ok*, PROTOCOL, ...), how it reads
// (ok, permitted, bad; "" where the column does not apply) and the run it
// opens (-1: none).
type Cell struct {
	Text  string `json:"text"`
	Class string `json:"class,omitempty"`
	Run   int    `json:"run"`
}

// FromMatrix builds the page of a conformance matrix.
func FromMatrix(m *conformance.Matrix) *Matrix {
	p := &Matrix{Legend: conformance.Legend, Open: -1}
	for _, c := range m.Columns {
		p.Columns = append(p.Columns, c.Name())
	}
	failed, diverged, runs := -1, -1, 0
	for i, c := range m.Cases {
		row := MatrixRow{Case: conformance.CaseLabel(c)}
		for _, r := range m.Results[i] {
			if r == nil {
				row.Cells = append(row.Cells, Cell{Text: "-", Run: -1})
				continue
			}
			k := len(p.Runs)
			p.Runs = append(p.Runs, FromConform(r))
			runs++
			cell := Cell{Text: r.Verdict.Short(), Class: "ok", Run: k}
			switch {
			case r.Verdict.Failed():
				cell.Class = "bad"
				if failed < 0 {
					failed = k
				}
			case r.Verdict != conformance.Conforms:
				cell.Class = "permitted"
			}
			if len(r.Divergences) > 0 && diverged < 0 {
				diverged = k
			}
			row.Cells = append(row.Cells, cell)
		}
		p.Rows = append(p.Rows, row)
	}
	p.Open = max(0, failed)
	if failed < 0 && diverged >= 0 {
		p.Open = diverged
	}
	switch {
	case len(p.Runs) == 1:
		p.Title = p.Runs[0].Title
	case len(m.Columns) > 0:
		p.Title = "qoslab conform: " + m.Columns[0].Target.Broker.Name
	}
	p.Settings = []string{fmt.Sprintf("%d case(s) on %d column(s): %d run(s)", len(m.Cases), len(m.Columns), runs)}
	p.Verdict = &Verdict{Text: "every run conforms (permitted differences allowed)"}
	if failed >= 0 {
		p.Verdict = &Verdict{Text: "a real implementation diverged from the model", Bad: true}
	}
	return p
}

// WriteMatrix renders a conformance page as one self-contained HTML file.
func WriteMatrix(w io.Writer, m *Matrix) error {
	p := pageMatrix{Matrix: m, Runs: make([]*pageDoc, len(m.Runs))}
	for i, d := range m.Runs {
		p.Runs[i] = pack(d)
	}
	return page(w, "report.html", m.Title, &p, asset("viewer.js"), asset("conform.js"))
}

// pageMatrix is a Matrix as a page carries it: its runs packed (pageDoc).
type pageMatrix struct {
	*Matrix
	Runs []*pageDoc `json:"runs"` // hides Matrix.Runs
}
