package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/scenarios"
	"github.com/qoslab/qoslab/sim"
)

func init() {
	register(command{name: "scenarios", summary: "list the built-in scenarios (--check runs them all)", run: scenariosCmd})
}

const scenariosSummary = `Lists the built-in scenarios: name, why, setup and the verdict expected of
each variant. --check runs them all and compares (exit 1 on a mismatch).
Run one with: simulate run --scenario NAME; a file of your own with:
simulate run --scenario-file PATH (see docs/scenarios.md).`

func scenariosCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("scenarios", scenariosSummary)
	check := fs.Bool("check", false, "run every scenario under every variant it names and compare with the expectation")
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	lib, err := scenarios.Library()
	if err != nil {
		return err
	}
	if !*check {
		for _, sc := range lib {
			writeScenarioHeader(stdout, sc)
			fmt.Fprintf(stdout, "  expect: %s\n\n", expectLine(sc))
		}
		return nil
	}
	var failed []string
	for _, sc := range lib {
		fmt.Fprintf(stdout, "%s\n", sc.Name)
		reports := sc.Check()
		writeReports(stdout, reports)
		failed = append(failed, failures(reports)...)
	}
	if len(failed) > 0 {
		return violationError{"scenarios not as expected: " + strings.Join(failed, "; ")}
	}
	return nil
}

func writeScenarioHeader(w io.Writer, sc *scenarios.Scenario) {
	fmt.Fprintf(w, "%s\n  why:    %s\n  setup:  %s\n", sc.Name, sc.Why, sc.Setup())
}

func expectLine(sc *scenarios.Scenario) string {
	parts := make([]string, len(sc.Expect))
	for i, e := range sc.Expect {
		parts[i] = e.Variant + " " + string(e.Verdict)
		if _, err := model.Lookup(e.Variant); err != nil {
			parts[i] += " (not registered in this build)"
		}
	}
	return strings.Join(parts, ", ")
}

// writeReports prints one line per variant: expected and reached verdict,
// the figures, and whether they match.
func writeReports(w io.Writer, reports []scenarios.Report) {
	for _, r := range reports {
		want := string(r.Expected.Verdict)
		if want == "" {
			want = "-"
		}
		if r.Skipped != "" {
			fmt.Fprintf(w, "  %-20s expect %-14s SKIPPED: %s\n", r.Variant, want, r.Skipped)
			continue
		}
		o := r.Outcome
		status := "ok"
		if len(r.Mismatches) > 0 {
			status = "MISMATCH: " + strings.Join(r.Mismatches, "; ")
		} else if r.Expected.Verdict == "" && len(r.Expected.Counts)+len(r.Expected.Bools) == 0 {
			status = "(no expectation)"
		}
		unrouted := ""
		if o.Unrouted > 0 {
			unrouted = fmt.Sprintf(", %d unrouted", o.Unrouted)
		}
		fmt.Fprintf(w, "  %-20s expect %-14s got %-14s %d msgs: %d once, %d dup, %d lost, %d abandoned%s; %d packets, %d bytes, %d payload resends  %s\n",
			r.Variant, want, r.Verdict(), o.Messages, o.ExactlyOnce, o.Duplicated, o.Lost, o.Abandoned, unrouted, o.Packets, o.Bytes, o.PayloadResends, status)
	}
}

func failures(reports []scenarios.Report) []string {
	var out []string
	for _, r := range reports {
		if r.Skipped == "" && len(r.Mismatches) > 0 {
			out = append(out, r.Scenario.Name+"/"+r.Variant+": "+strings.Join(r.Mismatches, ", "))
		}
	}
	return out
}

// scenarioFlags are the flags that may accompany --scenario/--scenario-file:
// the scenario fixes everything else.
var scenarioFlags = map[string]bool{"scenario": true, "scenario-file": true, "variant": true, "format": true,
	"show-persist": true, "show-timers": true}

// maxDiagramMessages bounds when a scenario run also prints its diagram.
const maxDiagramMessages = 50

// runScenario is `simulate run --scenario NAME` / `--scenario-file PATH`.
func runScenario(stdout io.Writer, fs *flag.FlagSet, name, file, format string, opt sim.DiagramOptions) error {
	var bad []string
	variantSet := false
	fs.Visit(func(f *flag.Flag) {
		if !scenarioFlags[f.Name] {
			bad = append(bad, "--"+f.Name)
		}
		variantSet = variantSet || f.Name == "variant"
	})
	switch {
	case name != "" && file != "":
		return usagef("--scenario and --scenario-file: give one of them")
	case len(bad) > 0:
		return usagef("%s: a scenario fixes the setup; only --variant, --format, --show-persist and --show-timers combine with --scenario/--scenario-file", strings.Join(bad, ", "))
	}
	var sc *scenarios.Scenario
	var err error
	if name != "" {
		sc, err = scenarios.Lookup(name)
	} else {
		sc, err = scenarios.LoadFile(file)
	}
	if err != nil {
		return usageError{err.Error()}
	}
	expects := sc.Expect
	if variantSet {
		v := fs.Lookup("variant").Value.String()
		if _, err := model.Lookup(v); err != nil {
			return usagef("--variant: %v", err)
		}
		expects = []scenarios.Expectation{{Variant: v}}
		for _, e := range sc.Expect {
			if e.Variant == v {
				expects = []scenarios.Expectation{e}
			}
		}
	}
	diagram := len(expects) == 1 && sc.Runs == 1 && sc.Base.Workload.Messages <= maxDiagramMessages
	// JSON keeps each variant's run as run --format json gives it, trace
	// included, for a single-run scenario as long as run keeps traces.
	traced := diagram || format == "json" && sc.Runs <= 1 && sc.Base.Workload.Messages <= maxRunTraceMessages
	reports := make([]scenarios.Report, len(expects))
	for i, e := range expects {
		reports[i] = sc.CheckVariant(e, traced)
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(scenarioJSON(sc, reports)); err != nil {
			return err
		}
	} else if err := writeScenarioRun(stdout, sc, reports, diagram, format, opt); err != nil {
		return err
	}
	if f := failures(reports); len(f) > 0 {
		return violationError{"scenario " + sc.Name + " not as expected: " + strings.Join(f, "; ")}
	}
	return nil
}

func writeScenarioRun(w io.Writer, sc *scenarios.Scenario, reports []scenarios.Report, diagram bool, format string, opt sim.DiagramOptions) error {
	if format == "mermaid" {
		if !diagram || reports[0].Outcome.Last == nil {
			return usagef("--format mermaid: needs one variant (--variant) of a single-run scenario with at most %d messages", maxDiagramMessages)
		}
		return mermaidBlock(w, func(w io.Writer) error { return sim.WriteMermaid(w, reports[0].Outcome.Last.Trace, opt) })
	}
	fmt.Fprintf(w, "scenario %s\n", sc.Name)
	fmt.Fprintf(w, "why:      %s\nsetup:    %s\n\n", sc.Why, sc.Setup())
	if diagram && reports[0].Outcome.Last != nil {
		if err := writeRun(w, reports[0].Outcome.Last, "text", opt, nil); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "verdicts:")
	writeReports(w, reports)
	return nil
}

type scenarioReportJSON struct {
	Variant    string   `json:"variant"`
	Expected   string   `json:"expected,omitempty"`
	Verdict    string   `json:"verdict,omitempty"`
	Skipped    string   `json:"skipped,omitempty"`
	OK         bool     `json:"ok"`
	Mismatches []string `json:"mismatches,omitempty"`
	Messages   int      `json:"messages"`
	Once       int      `json:"exactly_once"`
	Duplicated int      `json:"duplicated"`
	Lost       int      `json:"lost"`
	Abandoned  int      `json:"abandoned"`
	Packets    int      `json:"packets"`
	Bytes      int      `json:"bytes"`
	Resends    int      `json:"payload_resends"`
	// Run is the variant's run as simulate run --format json writes it,
	// trace included (single-run scenarios only).
	Run *runOutput `json:"run,omitempty"`
}

func scenarioJSON(sc *scenarios.Scenario, reports []scenarios.Report) any {
	out := struct {
		Name    string               `json:"name"`
		Why     string               `json:"why"`
		Setup   string               `json:"setup"`
		Reports []scenarioReportJSON `json:"reports"`
	}{Name: sc.Name, Why: sc.Why, Setup: sc.Setup()}
	for _, r := range reports {
		o := r.Outcome
		rep := scenarioReportJSON{Variant: r.Variant, Expected: string(r.Expected.Verdict),
			Verdict: string(r.Verdict()), Skipped: r.Skipped, OK: r.OK(), Mismatches: r.Mismatches, Messages: o.Messages,
			Once: o.ExactlyOnce, Duplicated: o.Duplicated, Lost: o.Lost, Abandoned: o.Abandoned, Packets: o.Packets, Bytes: o.Bytes, Resends: o.PayloadResends}
		if o.Last != nil && o.Last.Config.Trace && o.Runs == 1 {
			run := runJSON(o.Last, nil)
			rep.Run = &run
		}
		out.Reports = append(out.Reports, rep)
	}
	return out
}
