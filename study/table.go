package study

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Table is a study's result as a value: every number is formatted once,
// here, so text, markdown, CSV and JSON show the same digits.
type Table struct {
	Title   string
	Columns []Column
	Rows    [][]Cell
	Notes   []string // lines under the table: run counts, replay commands
}

// Column describes one column: its key in CSV and JSON, its heading in
// text and markdown, and what it means (the guide lists these).
type Column struct {
	Key  string // CSV/JSON name; a CI column is Key + "_ci95", a Bounds column Key + "_lo95" and Key + "_hi95"
	Head string
	Doc  string
	CI   bool // cells carry a 95% confidence interval
	// Bounds: the interval is given by its bounds (Wilson's, for rates),
	// not by a half-width.
	Bounds bool
	Text   bool // a label, not a number
}

// Cell is one formatted value. Numbers that do not exist (no message was
// delivered, fewer than two runs for an interval) are "n/a".
type Cell struct {
	Value string
	CI    string // half-width
	Lo    string // bounds, for Bounds columns
	Hi    string
}

// NA marks a number that does not exist.
const NA = "n/a"

func num(v float64, decimals int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return NA
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-") // no "-0.00"
	}
	return s
}

func estCell(e Estimate, decimals int) Cell {
	return Cell{Value: num(e.Mean, decimals), CI: num(e.CI95, decimals), Lo: num(e.Lo, decimals), Hi: num(e.Hi, decimals)}
}

// Formats are the renderings of a table.
var Formats = []string{"text", "markdown", "csv", "json"}

// Write renders t in one of Formats.
func (t *Table) Write(w io.Writer, format string) error {
	switch format {
	case "text":
		return t.WriteText(w)
	case "markdown":
		return t.WriteMarkdown(w)
	case "csv":
		return t.WriteCSV(w)
	case "json":
		return t.WriteJSON(w)
	}
	return fmt.Errorf("format %q: allowed values are %s", format, strings.Join(Formats, ", "))
}

func (t *Table) cellText(c Column, v Cell, pm string) string {
	switch {
	case !c.CI || v.Value == NA:
		return v.Value
	case c.Bounds:
		if v.Lo == NA || v.Hi == NA {
			return v.Value
		}
		return v.Value + " [" + v.Lo + ", " + v.Hi + "]"
	case v.CI == NA:
		return v.Value
	}
	return v.Value + pm + v.CI
}

func (t *Table) heads() []string {
	h := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		h[i] = c.Head
	}
	return h
}

func (t *Table) render(w io.Writer, r tw.Renderer, pm string) error {
	align := make([]tw.Align, len(t.Columns))
	for i, c := range t.Columns {
		align[i] = tw.AlignRight
		if c.Text {
			align[i] = tw.AlignLeft
		}
	}
	tab := tablewriter.NewTable(w, tablewriter.WithRenderer(r),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignCenter),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone))
	tab.Header(t.heads())
	for _, row := range t.Rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = t.cellText(t.Columns[i], v, pm)
		}
		if err := tab.Append(cells); err != nil {
			return err
		}
	}
	return tab.Render()
}

// WriteText renders an aligned ASCII table with the title above and the
// notes below; intervals are written "mean +-half-width".
func (t *Table) WriteText(w io.Writer) error {
	if t.Title != "" {
		fmt.Fprintln(w, t.Title)
	}
	r := renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})
	if err := t.render(w, r, " +-"); err != nil {
		return err
	}
	for _, n := range t.Notes {
		fmt.Fprintln(w, n)
	}
	return nil
}

// WriteMarkdown renders a GitHub-flavoured markdown table; intervals are
// written "mean ± half-width".
func (t *Table) WriteMarkdown(w io.Writer) error {
	if t.Title != "" {
		fmt.Fprintf(w, "%s\n\n", t.Title)
	}
	if err := t.render(w, renderer.NewMarkdown(), " ± "); err != nil {
		return err
	}
	if len(t.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range t.Notes {
			fmt.Fprintf(w, "%s  \n", n)
		}
	}
	return nil
}

// csvHeader lists the CSV/JSON keys: each CI column is followed by its
// half-width column, or by its bounds for a Bounds column.
func (t *Table) csvHeader() []string {
	var h []string
	for _, c := range t.Columns {
		h = append(h, c.Key)
		switch {
		case c.CI && c.Bounds:
			h = append(h, c.Key+"_lo95", c.Key+"_hi95")
		case c.CI:
			h = append(h, c.Key+"_ci95")
		}
	}
	return h
}

func (t *Table) flat(row []Cell) []string {
	var out []string
	for i, c := range t.Columns {
		out = append(out, row[i].Value)
		switch {
		case c.CI && c.Bounds:
			out = append(out, row[i].Lo, row[i].Hi)
		case c.CI:
			out = append(out, row[i].CI)
		}
	}
	return out
}

// WriteCSV writes a header of keys and one record per row; title and notes
// are left out so that the file loads as plain data.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.csvHeader()); err != nil {
		return err
	}
	for _, row := range t.Rows {
		if err := cw.Write(t.flat(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes {"title", "columns", "rows", "notes"}; each row is an
// object with the CSV keys in column order, numbers as JSON numbers with
// the table's digits and null for n/a.
func (t *Table) WriteJSON(w io.Writer) error {
	type col struct {
		Key  string `json:"key"`
		Head string `json:"head"`
		Doc  string `json:"doc"`
		CI   bool   `json:"ci95,omitempty"`
		// Interval says how: "half-width" (key_ci95) or "wilson"
		// (key_lo95, key_hi95).
		Interval string `json:"interval,omitempty"`
	}
	cols := make([]col, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = col{Key: c.Key, Head: c.Head, Doc: c.Doc, CI: c.CI}
		switch {
		case c.CI && c.Bounds:
			cols[i].Interval = "wilson"
		case c.CI:
			cols[i].Interval = "half-width"
		}
	}
	keys := t.csvHeader()
	isText := map[string]bool{}
	for _, c := range t.Columns {
		isText[c.Key] = c.Text
	}
	rows := make([]json.RawMessage, len(t.Rows))
	for i, row := range t.Rows {
		var b bytes.Buffer
		b.WriteByte('{')
		for j, v := range t.flat(row) {
			if j > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(keys[j])
			b.Write(k)
			b.WriteByte(':')
			switch {
			case isText[keys[j]]:
				s, _ := json.Marshal(v)
				b.Write(s)
			case v == NA:
				b.WriteString("null")
			default:
				b.WriteString(v)
			}
		}
		b.WriteByte('}')
		rows[i] = b.Bytes()
	}
	notes := t.Notes
	if notes == nil {
		notes = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Title   string            `json:"title"`
		Columns []col             `json:"columns"`
		Rows    []json.RawMessage `json:"rows"`
		Notes   []string          `json:"notes"`
	}{t.Title, cols, rows, notes})
}
