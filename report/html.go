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
	return page(w, "report.html", d.Title, d.pack(), asset("viewer.js"), asset("report.js"))
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
