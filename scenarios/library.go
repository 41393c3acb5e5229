package scenarios

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// The built-in scenarios, one YAML file each, in the format users write.
//
//go:embed library/*.yaml
var libraryFS embed.FS

// Library loads the built-in scenarios, sorted by file name (the files are
// numbered so that the list reads as a story: the four break points first).
// They may carry expectations for variants not registered in this build;
// those are reported as skipped when checked.
func Library() ([]*Scenario, error) {
	names, err := fs.Glob(libraryFS, "library/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]*Scenario, 0, len(names))
	for _, n := range names {
		data, err := libraryFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		sc, err := Load(n, data, Options{AllowUnregistered: true})
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// LibraryFile returns the text of a built-in scenario's file.
func LibraryFile(sc *Scenario) ([]byte, error) { return libraryFS.ReadFile(sc.File) }

// Lookup finds a built-in scenario by name.
func Lookup(name string) (*Scenario, error) {
	lib, err := Library()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(lib))
	for i, sc := range lib {
		if sc.Name == name {
			return sc, nil
		}
		names[i] = sc.Name
	}
	return nil, fmt.Errorf("unknown scenario %q: allowed values are %s (simulate scenarios lists them)", name, strings.Join(names, ", "))
}

// fileStem is a library file's name without directory, number and extension.
func fileStem(file string) string {
	base := strings.TrimSuffix(path.Base(file), path.Ext(file))
	if i := strings.IndexByte(base, '-'); i > 0 && strings.Trim(base[:i], "0123456789") == "" {
		base = base[i+1:]
	}
	return base
}

// WriteMarkdown writes the library as a Markdown list for docs/scenarios.md:
// each scenario's name, why, setup and the verdict expected of each variant.
func WriteMarkdown(w io.Writer, lib []*Scenario) error {
	var b strings.Builder
	writeMatrix(&b, lib)
	for _, sc := range lib {
		fmt.Fprintf(&b, "### %s\n\n%s\n\n", sc.Name, sc.Why)
		fmt.Fprintf(&b, "setup: `%s`\n\n", sc.Setup())
		b.WriteString("| variant | expected verdict | expected figures |\n|---|---|---|\n")
		for _, e := range sc.Expect {
			var figs []string
			for _, c := range e.Counts {
				figs = append(figs, fmt.Sprintf("%s %d", c.Name, c.Want))
			}
			for _, f := range e.Bools {
				figs = append(figs, fmt.Sprintf("%s %v", f.Name, f.Want))
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", e.Variant, e.Verdict, strings.Join(figs, ", "))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeMatrix writes the expected verdicts as one table: a row per
// scenario, a column per variant ("-" where the scenario names no
// expectation for the variant, usually because its fault cannot hit it).
func writeMatrix(b *strings.Builder, lib []*Scenario) {
	seen := map[string]bool{}
	var cols []string
	for _, sc := range lib {
		for _, e := range sc.Expect {
			if !seen[e.Variant] {
				seen[e.Variant] = true
				cols = append(cols, e.Variant)
			}
		}
	}
	sort.Strings(cols)
	b.WriteString("| scenario | " + strings.Join(cols, " | ") + " |\n|---|" + strings.Repeat("---|", len(cols)) + "\n")
	for _, sc := range lib {
		cells := make([]string, len(cols))
		for i, v := range cols {
			cells[i] = "-"
			for _, e := range sc.Expect {
				if e.Variant == v {
					cells[i] = string(e.Verdict)
				}
			}
		}
		b.WriteString("| " + sc.Name + " | " + strings.Join(cells, " | ") + " |\n")
	}
	b.WriteString("\n")
}
