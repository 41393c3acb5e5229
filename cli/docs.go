package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/properties"
	"github.com/qoslab/qoslab/sim"
	"github.com/qoslab/qoslab/study"
)

func init() {
	register(command{name: "docs", summary: "regenerate the generated parts of docs/ (tables, diagrams, charts) or check them", run: docsCmd})
}

const docsSummary = `Regenerates every generated part of the documents in --dir: each block
between "<!-- simulate docs: KIND ARGS -->" and "<!-- end -->" is replaced by
what the simulate command ARGS prints now, and charts are redrawn under
charts/. Prose outside the blocks is left alone. With --check nothing is
written; the command fails if a file differs from what it would write.

Block kinds:
  output ARGS           the text output of simulate ARGS, fenced
  markdown ARGS         the output of simulate ARGS, as is (tables in --format markdown)
  counterexample ARGS   like output, for a simulate run that must duplicate or lose a message
  shrunk FILE           a counterexample the property search found and shrank (a golden file of
                        package properties, path from the repository root): its header, then
                        its replay run, which must still violate the property
  chart NAME ARGS       simulate sweep ARGS drawn to charts/NAME.png and .svg, and the image link
  findings ARGS         what simulate ARGS (a compare) found, one line per variant
  reference WHAT        a reference table: columns, profiles, params, exits, or
                        variants V1,V2,... (the variants named)
  conform ARGS          the markdown report of simulate conform ARGS, divergences and all`

// docFiles are the documents with generated blocks.
var docFiles = []string{"why-four-packets.md", "guide.md", "conformance.md"}

// skipDocs are documents a test leaves out: go test -short skips
// conformance.md, whose blocks are a hundred real runs (slow under -race).
var skipDocs = map[string]bool{}

func docsCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("docs", docsSummary)
	dir := fs.String("dir", "docs", "the docs directory")
	check := fs.Bool("check", false, "write nothing; fail if a generated part is stale")
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	files, err := generate(*dir)
	if err != nil {
		return err
	}
	var stale []string
	for _, name := range sortedKeys(files) {
		path := filepath.Join(*dir, name)
		old, err := os.ReadFile(path)
		if err == nil && bytes.Equal(old, files[name]) {
			continue
		}
		if *check {
			stale = append(stale, path)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		data := files[name]
		if err := study.WriteFile(path, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", path)
	}
	if len(stale) > 0 {
		return violationError{fmt.Sprintf("stale generated docs (run: go generate ./... or simulate docs): %s", strings.Join(stale, ", "))}
	}
	return nil
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// generate is generateDocs; tests memoise it, since every generation
// re-runs every documented study.
var generate = generateDocs

var blockRe = regexp.MustCompile(`(?s)<!-- simulate docs: (\w+) ?(.*?) -->\n(.*?)<!-- end -->`)

// generateDocs returns every generated file of dir, by path relative to
// it: the documents with their blocks filled in, and the charts.
func generateDocs(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, name := range docFiles {
		if skipDocs[name] {
			continue
		}
		doc, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, usageError{err.Error()}
		}
		var firstErr error
		out := blockRe.ReplaceAllFunc(doc, func(m []byte) []byte {
			sub := blockRe.FindSubmatch(m)
			kind, arg := string(sub[1]), string(sub[2])
			body, err := docBlock(kind, arg, dir, files)
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("%s: block %q %s: %w", name, kind, arg, err)
			}
			return []byte(fmt.Sprintf("<!-- simulate docs: %s %s -->\n%s<!-- end -->", kind, arg, body))
		})
		if firstErr != nil {
			return nil, firstErr
		}
		files[name] = out
	}
	return files, nil
}

// docBlock produces one block's body; charts go into files.
func docBlock(kind, arg, dir string, files map[string][]byte) (string, error) {
	switch kind {
	case "shrunk":
		return shrunkBlock(filepath.Join(dir, "..", arg))
	case "output", "counterexample":
		out, err := simulateOutput(arg)
		if err != nil {
			return "", err
		}
		if kind == "counterexample" {
			if err := mustViolate(arg); err != nil {
				return "", err
			}
		}
		return "```text\n$ simulate " + arg + "\n" + out + "```\n", nil
	case "markdown":
		return simulateOutput(arg)
	case "chart":
		name, args, _ := strings.Cut(arg, " ")
		return chartBlock(name, args, files)
	case "findings":
		return findings(arg)
	case "reference":
		return reference(arg)
	case "conform":
		return conformBlock(arg)
	}
	return "", fmt.Errorf("unknown kind: allowed output, markdown, counterexample, shrunk, chart, findings, reference, conform")
}

func simulateOutput(args string) (string, error) {
	var out, errb bytes.Buffer
	if err := run(&out, &errb, splitArgs(args)); err != nil {
		return "", fmt.Errorf("%v %s", err, errb.String())
	}
	return out.String(), nil
}

// mustViolate checks that a counterexample still is one: the run it names
// duplicates or loses a message. A variant fixed or changed fails here,
// rather than leaving a stale claim in the document.
func mustViolate(args string) error {
	cfg, err := runConfigOf(args)
	if err != nil {
		return err
	}
	res, err := sim.Run(cfg)
	if err != nil {
		return err
	}
	if s := res.Summarize(); s.Duplicated == 0 && s.Missing == 0 {
		return fmt.Errorf("not a counterexample: every message was delivered exactly once")
	}
	return nil
}

// shrunkBlock shows a counterexample found by the property search: the
// golden file's header (what was searched, the shrunk case, the violation)
// and the diagram of its replay command, which is run again and checked
// against the property named in the header.
func shrunkBlock(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	lines := strings.Split(string(data), "\n")
	var header []string
	var replay, property string
	for _, l := range lines {
		if l == "" {
			break
		}
		header = append(header, l)
		if r, ok := strings.CutPrefix(l, "replay: simulate "); ok {
			replay = strings.TrimSpace(r)
		}
		if _, after, ok := strings.Cut(l, ", property "); ok {
			property, _, _ = strings.Cut(after, ",")
		}
	}
	if replay == "" || property == "" {
		return "", fmt.Errorf("%s: no \"property\" or \"replay:\" line in the header", path)
	}
	p, err := properties.Lookup(property)
	if err != nil {
		return "", err
	}
	cfg, err := runConfigOf(replay)
	if err != nil {
		return "", err
	}
	cfg.Trace = true
	res, err := sim.Run(cfg)
	if err != nil {
		return "", err
	}
	vs, err := properties.Check(res, p)
	if err != nil {
		return "", err
	}
	if len(vs) == 0 {
		return "", fmt.Errorf("%s: the replay no longer violates %s", path, property)
	}
	out, err := simulateOutput(replay)
	if err != nil {
		return "", err
	}
	return "```text\n" + strings.Join(header, "\n") + "\n\n$ simulate " + replay + "\n" + out + "```\n", nil
}

// runConfigOf parses a `run` command line into its config.
func runConfigOf(args string) (sim.Config, error) {
	words := splitArgs(args)
	if len(words) == 0 || words[0] != "run" {
		return sim.Config{}, fmt.Errorf("%q is not a simulate run command", args)
	}
	fs := newFlagSet("run", "")
	rf := addRunFlags(fs)
	fs.String("format", "text", "")
	fs.Bool("show-persist", false, "")
	fs.Bool("show-timers", false, "")
	fs.SetOutput(io.Discard)
	if err := fs.Parse(words[1:]); err != nil {
		return sim.Config{}, err
	}
	return rf.config()
}

// chartBlock runs a sweep that draws charts/NAME.{png,svg} and links the SVG.
func chartBlock(name, args string, files map[string][]byte) (string, error) {
	words := splitArgs(args)
	if len(words) == 0 || words[0] != "sweep" {
		return "", fmt.Errorf("a chart is drawn by a simulate sweep command")
	}
	tmp, err := os.MkdirTemp("", "qoslab-docs")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	png, svg := filepath.Join(tmp, "c.png"), filepath.Join(tmp, "c.svg")
	var out bytes.Buffer
	if err := run(&out, io.Discard, append(words, "--png", png, "--svg", svg, "--format", "markdown")); err != nil {
		return "", err
	}
	for ext, path := range map[string]string{"png": png, "svg": svg} {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		files["charts/"+name+"."+ext] = b
	}
	return fmt.Sprintf("![%s](charts/%s.svg)\n\n`simulate %s --svg charts/%s.svg` ([PNG](charts/%s.png))\n\n<details><summary>the figures</summary>\n\n%s\n</details>\n",
		name, name, args, name, name, out.String()), nil
}

// findings runs a compare and states, per variant, what it found: the
// claims a reader would otherwise have to read off the table, generated so
// that they cannot go stale.
func findings(args string) (string, error) {
	words := splitArgs(args)
	if len(words) == 0 || words[0] != "compare" {
		return "", fmt.Errorf("findings come from a simulate compare command")
	}
	tmp, err := os.MkdirTemp("", "qoslab-docs")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	file := filepath.Join(tmp, "r.json")
	if err := run(io.Discard, io.Discard, append(words, "--save", file)); err != nil {
		return "", err
	}
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	res, err := study.ReadResults(f, file)
	if err != nil {
		return "", err
	}
	type tally struct {
		profiles, dupProfiles, lostProfiles, abandonedProfiles []string
		runs, maxHeld                                          uint64
	}
	var order []string
	by := map[string]*tally{}
	for i, l := range res.Study.Cells {
		t := by[l.Variant]
		if t == nil {
			t = &tally{}
			by[l.Variant] = t
			order = append(order, l.Variant)
		}
		a := res.Cells[i]
		t.profiles = append(t.profiles, l.Profile)
		t.runs += a.Runs
		t.maxHeld = max(t.maxHeld, a.PeakHeldMax)
		if a.Duplicated.X > 0 {
			t.dupProfiles = append(t.dupProfiles, l.Profile)
		}
		if a.Lost.X > 0 {
			t.lostProfiles = append(t.lostProfiles, l.Profile)
		}
		if a.Abandoned.X > 0 {
			t.abandonedProfiles = append(t.abandonedProfiles, l.Profile)
		}
	}
	var b strings.Builder
	for _, v := range order {
		t := by[v]
		verdict := "every message delivered exactly once"
		switch {
		case len(t.dupProfiles) > 0 && len(t.lostProfiles) > 0:
			verdict = fmt.Sprintf("duplicates on %s; losses on %s", strings.Join(t.dupProfiles, ", "), strings.Join(t.lostProfiles, ", "))
		case len(t.dupProfiles) > 0:
			verdict = "duplicates on " + strings.Join(t.dupProfiles, ", ")
		case len(t.lostProfiles) > 0:
			verdict = "losses on " + strings.Join(t.lostProfiles, ", ")
		}
		if len(t.abandonedProfiles) > 0 {
			verdict += "; messages abandoned with the application told (not losses) on " + strings.Join(t.abandonedProfiles, ", ")
		}
		held := fmt.Sprintf("the receiver held at most %d ids/messages at once", t.maxHeld)
		if t.maxHeld >= uint64(res.Study.Messages) {
			held = fmt.Sprintf("the receiver held an entry for every message sent (%d)", t.maxHeld)
		}
		fmt.Fprintf(&b, "- `%s`: %s (%d runs over %s); %s.\n", v, verdict, t.runs, strings.Join(t.profiles, ", "), held)
	}
	return b.String(), nil
}

// reference renders the tables the guide lists from the code itself.
func reference(arg string) (string, error) {
	var b strings.Builder
	what, list, _ := strings.Cut(arg, " ")
	switch what {
	case "columns":
		b.WriteString("| key (CSV, JSON, --columns) | heading | meaning | 95% CI |\n|---|---|---|---|\n")
		for _, m := range study.Metrics {
			ci := "no"
			switch {
			case m.CI && m.Prop:
				ci = "Wilson score interval, bounds (`" + m.Key + "_lo95`, `" + m.Key + "_hi95`)"
			case m.CI:
				ci = "Student's t half-width (`" + m.Key + "_ci95`)"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", m.Key, m.Head, m.Doc, ci)
		}
	case "profiles":
		b.WriteString("| profile | what it is |\n|---|---|\n")
		for _, p := range study.Profiles {
			fmt.Fprintf(&b, "| `%s` | %s |\n", p.Name, p.Description)
		}
	case "params":
		b.WriteString("| --param | what it varies |\n|---|---|\n")
		for _, p := range study.Params {
			fmt.Fprintf(&b, "| `%s` | %s |\n", p.Name, p.Doc)
		}
	case "variants":
		// The list is the block's own, so that registering another
		// variant does not make the document stale.
		b.WriteString("| variant | what it is |\n|---|---|\n")
		for _, name := range strings.Split(list, ",") {
			v, err := model.Lookup(name)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "| `%s` | %s |\n", v.Name, v.Description)
		}
	case "exits":
		b.WriteString(exitTable())
	default:
		return "", fmt.Errorf("allowed: columns, profiles, params, variants, exits")
	}
	return b.String(), nil
}

// splitArgs splits a command line into words; double quotes group words.
func splitArgs(line string) []string {
	var words []string
	for _, m := range regexp.MustCompile(`"((?:[^"\\]|\\.)*)"|(\S+)`).FindAllStringSubmatch(line, -1) {
		if m[2] != "" {
			words = append(words, m[2])
		} else {
			words = append(words, strings.ReplaceAll(m[1], `\"`, `"`))
		}
	}
	return words
}
