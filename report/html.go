package report

import (
	"embed"
	"encoding/json"
	"html"
	"io"
	"strings"
)

//go:embed assets
var assets embed.FS

func asset(name string) string {
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		panic("report: missing asset " + name) // embedded at build time: cannot happen
	}
	return string(b)
}

// page fills an HTML template's markers with the title, the style, the
// scripts and the data. The data is JSON inside a script element: Go's
// encoder escapes <, > and &, so no "</script>" can end it early.
func page(w io.Writer, template, title string, data any, scripts ...string) error {
	js, err := json.Marshal(data)
	if err != nil {
		return err
	}
	r := strings.NewReplacer(
		"<!--TITLE-->", html.EscapeString(title),
		"/*CSS*/", asset("viewer.css"),
		"/*JS*/", strings.Join(scripts, "\n"),
		"/*DATA*/", string(js),
	)
	_, err = r.WriteString(w, asset(template))
	return err
}

// Write renders d as one self-contained HTML file: nothing in it is
// fetched, so it works offline from file://.
func Write(w io.Writer, d *Doc) error {
	return page(w, "report.html", d.Title, pack(d), asset("viewer.js"), asset("report.js"))
}

// pageDoc is a Doc as a page carries it: each distinct line of the states
// once, in Lines, and the states naming them by index. A state repeats its
// endpoint's whole pending list, which changes by a line or two a step: a
// 1,000-message conformance page took 21.7 MB with the lines written out,
// 18.8 MB of it states. The viewer expands them (viewer.js, setDoc).
type pageDoc struct {
	*Doc
	States []pageState `json:"states"` // hides Doc.States
	Lines  []string    `json:"lines,omitempty"`
}

// pageState is a State whose lines are indexes into pageDoc.Lines
// (ConnLine is the index plus one: 0 is no connection line).
type pageState struct {
	Ep           int   `json:"ep"`
	At           int   `json:"at"`
	Held         int   `json:"h"`
	ConnLine     int   `json:"ci,omitempty"`
	PendingLines []int `json:"pi,omitempty"`
	TimerLines   []int `json:"ti,omitempty"`
}

func pack(d *Doc) *pageDoc {
	p := &pageDoc{Doc: d}
	if d.States == nil {
		return p // written as null, as Doc.States is
	}
	p.States = make([]pageState, len(d.States))
	idx := map[string]int{}
	line := func(l string) int {
		i, ok := idx[l]
		if !ok {
			i = len(p.Lines)
			idx[l] = i
			p.Lines = append(p.Lines, l)
		}
		return i
	}
	lines := func(ls []string) []int {
		if len(ls) == 0 {
			return nil
		}
		is := make([]int, len(ls))
		for i, l := range ls {
			is[i] = line(l)
		}
		return is
	}
	for i, s := range d.States {
		q := pageState{Ep: s.Ep, At: s.At, Held: s.Held, PendingLines: lines(s.Pending), TimerLines: lines(s.Timers)}
		if s.Conn != "" {
			q.ConnLine = line(s.Conn) + 1
		}
		p.States[i] = q
	}
	return p
}

// Explorer configures the page of the interactive explorer (simulate
// serve): the settings one may choose, which the page sends back as the
// query of its requests (GET api/state, GET api/find), named as the flags
// of simulate explore.
type Explorer struct {
	Title  string  `json:"title"`
	Fields []Field `json:"fields"`
}

// Field is one setting of the explorer's form.
type Field struct {
	Name    string   `json:"name"`
	Kind    string   `json:"kind"` // select, number or bool
	Options []string `json:"options,omitempty"`
	Default string   `json:"default"`
	Usage   string   `json:"usage"`
}

// WriteExplorer writes the page of the interactive explorer. It fetches
// its states from the server that served it and nothing else.
func WriteExplorer(w io.Writer, e Explorer) error {
	return page(w, "explorer.html", e.Title, e, asset("viewer.js"), asset("explorer.js"))
}
