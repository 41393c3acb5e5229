package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/properties"
	"github.com/qoslab/qoslab/report"
	"github.com/qoslab/qoslab/sim"
)

func init() {
	register(command{name: "run", summary: "one seeded run: sequence diagram and metrics", run: runCmd})
	register(command{name: "variants", summary: "list the protocol variants", run: variantsCmd})
}

const runSummary = `Runs one simulation and prints its sequence diagram and metrics.
The same flags and seed reproduce the run byte for byte.`

func runCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("run", runSummary)
	rf := addRunFlags(fs)
	format := fs.String("format", "text", "output: text (ASCII diagram and metrics), mermaid, json, html (one self-contained page to step through)")
	persist := fs.Bool("show-persist", false, "show session writes in the diagram")
	timers := fs.Bool("show-timers", false, "show timers firing in the diagram")
	scenario := fs.String("scenario", "", "run a built-in scenario under each variant it names (simulate scenarios lists them)")
	scenarioFile := fs.String("scenario-file", "", "run a scenario file of your own, YAML or JSON (docs/scenarios.md)")
	check := fs.Bool("check", false, "judge the run by --property as simulate check judges a schedule: exit 1 and name the violations when it fails (for scripts)")
	propName := fs.String("property", "exactly-once", "property --check judges: "+strings.Join(propertyNames(), ", "))
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	prop, err := properties.Lookup(*propName)
	if err != nil {
		return usagef("--property: %v", err)
	}
	if set := visited(fs); set["property"] && !*check {
		return usagef("--property %s: applies with --check only", *propName)
	}
	switch *format {
	case "text", "mermaid", "json", "html":
	default:
		return usagef("--format %q: allowed values are text, mermaid, json, html", *format)
	}
	if *format == "html" && (*scenario != "" || *scenarioFile != "") {
		return usagef("--format html: draws one run; a scenario runs under each variant it names (use --format text or json)")
	}
	if *scenario != "" || *scenarioFile != "" {
		if *check {
			return usagef("--check: a scenario judges its runs by its own expectations")
		}
		return runScenario(stdout, fs, *scenario, *scenarioFile, *format, sim.DiagramOptions{Persist: *persist, Timers: *timers})
	}
	cfg, err := rf.config()
	if err != nil {
		return err
	}
	// The trace grows with the run (about 7 KB a message): a diagram of a
	// long run would be unreadable and its trace would not fit in memory.
	cfg.Trace = cfg.Workload.Messages <= maxRunTraceMessages
	if *format == "mermaid" && !cfg.Trace {
		return usagef("--format mermaid: draws runs of at most %d messages, not --messages %d", maxRunTraceMessages, cfg.Workload.Messages)
	}
	if *check && !cfg.Trace {
		return usagef("--check: judges runs of at most %d messages (properties read the trace), not --messages %d", maxRunTraceMessages, cfg.Workload.Messages)
	}
	if *format == "html" {
		var judge *properties.Property
		if *check {
			judge = &prop
		}
		return writeRunHTML(stdout, cfg, judge)
	}
	res, err := sim.Run(cfg)
	if err != nil {
		return usageError{err.Error()}
	}
	for _, f := range res.Unfired {
		fmt.Fprintf(stderr, "simulate: note: fault %q never fired: its packet or moment did not occur in this run\n", f)
	}
	opt := sim.DiagramOptions{Persist: *persist, Timers: *timers}
	var vs []properties.Violation
	if *check {
		if vs, err = properties.Check(res, prop); err != nil {
			return err
		}
	}
	if err := writeRun(stdout, res, *format, opt, vs); err != nil {
		return err
	}
	if len(vs) > 0 {
		return violationError{fmt.Sprintf("%s violated: %s", prop.Name, vs[0])}
	}
	return nil
}

// mermaidBlock writes a Mermaid diagram as a fenced ```mermaid block, the
// form every command prints (states too), so that it pastes into markdown
// and renders as it is.
func mermaidBlock(w io.Writer, diagram func(io.Writer) error) error {
	if _, err := io.WriteString(w, "```mermaid\n"); err != nil {
		return err
	}
	if err := diagram(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, "```\n")
	return err
}

// visited is the set of flags given on the command line.
func visited(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// maxRunTraceMessages bounds the runs whose trace run keeps, draws and
// writes in JSON; longer runs print their metrics only.
const maxRunTraceMessages = 10_000

// writeRun writes a run in format; vs are the violations --check found
// (nil without --check).
func writeRun(w io.Writer, res *sim.Result, format string, opt sim.DiagramOptions, vs []properties.Violation) error {
	switch format {
	case "mermaid":
		return mermaidBlock(w, func(w io.Writer) error { return sim.WriteMermaid(w, res.Trace, opt) })
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(runJSON(res, vs))
	}
	c := res.Config
	fmt.Fprintf(w, "qoslab run: variant %s, %s topology, %s mode, MQTT %s, %d message(s), seed %d\n",
		c.Variant, c.Topology, c.Endpoint.Mode, c.Endpoint.Version, c.Workload.Messages, c.Seed)
	if l := report.LegsLine(res); l != "" {
		fmt.Fprintln(w, l)
	}
	if c.Endpoint.CleanStart || c.Endpoint.IDPolicy == model.AnyFree || c.Endpoint.Choices != 0 {
		fmt.Fprintf(w, "session: clean start %v, id policy %s, open choices %s\n", c.Endpoint.CleanStart, c.Endpoint.IDPolicy, c.Endpoint.Choices)
	}
	if len(c.Faults) > 0 {
		fmt.Fprintf(w, "faults: %s\n", c.Faults)
	}
	fmt.Fprintln(w)
	if !c.Trace {
		fmt.Fprintf(w, "(no diagram: it is drawn for runs of at most %d messages)\n\n", maxRunTraceMessages)
		return writeMetrics(w, res)
	}
	if err := sim.WriteASCII(w, res.Trace, opt); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := writeMetrics(w, res); err != nil {
		return err
	}
	for _, v := range vs {
		fmt.Fprintf(w, "violated:  %s\n", v)
	}
	return nil
}

func writeMetrics(w io.Writer, res *sim.Result) error {
	s := res.Summarize()
	outcome := fmt.Sprintf("settled at t=%d", res.EndTicks)
	switch {
	case res.TimedOut && len(res.Pending) == 0:
		outcome = fmt.Sprintf("stopped at the run's time limit, t=%d (the heal time plus 10,000,000 ticks), with nothing pending", res.EndTicks)
	case res.TimedOut:
		outcome = fmt.Sprintf("stopped at the run's time limit, t=%d (the heal time plus 10,000,000 ticks); pending: %s", res.EndTicks, strings.Join(res.Pending, "; "))
	case !res.Settled:
		outcome = fmt.Sprintf("not settled at t=%d; pending: %s", res.EndTicks, strings.Join(res.Pending, "; "))
	}
	fmt.Fprintf(w, "outcome:   %s (%d events)\n", outcome, res.Events)
	unrouted := ""
	if s.Unrouted > 0 {
		unrouted = fmt.Sprintf(", %d unrouted (no subscription at the broker)", s.Unrouted)
	}
	if n := res.Published(); n < s.Messages {
		unrouted += fmt.Sprintf(" (%d never published: the run stopped first; counted as lost)", s.Messages-n)
	}
	fmt.Fprintf(w, "delivery:  %d published, %d exactly once, %d duplicated, %d lost, %d abandoned%s\n",
		s.Messages, s.ExactlyOnce, s.Duplicated, s.Missing, s.Abandoned, unrouted)
	if names := troubled(res); names != "" {
		fmt.Fprintf(w, "messages:  %s\n", names)
	}
	fmt.Fprintf(w, "wire:      %d packets, %d bytes (%s); %d lost in the network\n",
		s.Packets, s.Bytes, byType(res), res.Lost)
	fmt.Fprintf(w, "resends:   %d payload retransmission(s) (PUBLISH with DUP)\n", s.PayloadResends)
	fmt.Fprintf(w, "receiver:  at most %d packet id(s)/message(s) held at once\n", s.PeakHeld)
	fmt.Fprintf(w, "latency:   publish->delivery %s; publish->completion %s (ticks)\n",
		latency(s.Delivery), latency(s.Completion))
	fmt.Fprintf(w, "replay:    %s\n", res.Config.Command())
	return nil
}

// troubled names each message that was not simply delivered once with its
// flow completed: duplicated, lost, abandoned, or never completed (a run
// that did not settle), with what happened to it.
func troubled(res *sim.Result) string {
	var parts []string
	for m := range res.Troubled() {
		name := fmt.Sprintf("m%d", m.Ref)
		switch m.Fate() {
		case sim.FateDuplicated:
			parts = append(parts, fmt.Sprintf("%s duplicated (delivered %d times)", name, m.Deliveries))
		case sim.FateLost:
			why := "never delivered, and the publisher never gave up on it"
			if m.CompletedAt >= 0 {
				why = "completed by the publisher, never delivered"
			}
			parts = append(parts, fmt.Sprintf("%s lost (%s)", name, why))
		case sim.FateAbandoned:
			parts = append(parts, fmt.Sprintf("%s abandoned (%s; the application was told)", name, m.AbandonNote))
		case sim.FateUnrouted:
			parts = append(parts, fmt.Sprintf("%s unrouted (the broker had no matching subscription: no delivery owed)", name))
		}
		if m.Unfinished() && m.Fate() != sim.FateLost {
			parts = append(parts, fmt.Sprintf("%s never completed (delivered %s; its flow was still open at the end)", name, times(m.Deliveries)))
		}
	}
	return strings.Join(parts, "; ")
}

func times(n int) string {
	switch n {
	case 0:
		return "never"
	case 1:
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

func byType(res *sim.Result) string {
	var parts []string
	for t := range res.Packets {
		if n := res.Packets[t]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d/%dB", model.PacketType(t), n, res.Bytes[t]))
		}
	}
	return strings.Join(parts, ", ")
}

// latency formats mean, p50 and p99 of tick samples, all exact: the
// histogram has every sample.
func latency(h sim.Hist) string {
	n := h.Count()
	if n == 0 {
		return "n/a"
	}
	return fmt.Sprintf("mean %.1f p50 %.0f p99 %.0f", float64(h.Sum())/float64(n), h.Quantile(0.5), h.Quantile(0.99))
}

type runOutput struct {
	Command  string             `json:"command"`
	Legs     []string           `json:"legs"`
	Summary  sim.Summary        `json:"summary"`
	Packets  map[string]int     `json:"packets"`
	Bytes    map[string]int     `json:"bytes"`
	Settled  bool               `json:"settled"`
	Pending  []string           `json:"pending,omitempty"`
	Unfired  []string           `json:"unfired_faults,omitempty"`
	EndTicks int64              `json:"end_ticks"`
	Events   int64              `json:"events"`
	Messages []sim.MessageStats `json:"messages,omitempty"` // runs that keep them (sim.Result.Messages)
	// Violations are what --check found (absent without it).
	Violations []string  `json:"violations,omitempty"`
	Trace      sim.Trace `json:"trace,omitempty"` // runs of at most maxRunTraceMessages
}

func runJSON(res *sim.Result, vs []properties.Violation) runOutput {
	out := runOutput{
		Command: res.Config.Command(), Legs: res.Legs, Summary: res.Summarize(), Packets: res.PacketCounts(),
		Bytes: res.ByteCounts(), Settled: res.Settled, Pending: res.Pending, Unfired: res.Unfired, EndTicks: res.EndTicks,
		Events: res.Events, Messages: res.Messages, Trace: res.Trace,
	}
	for _, v := range vs {
		out.Violations = append(out.Violations, v.String())
	}
	return out
}

func variantsCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("variants", "Lists the registered protocol variants with a one-line description.")
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	for _, v := range model.Variants() {
		fmt.Fprintf(stdout, "%-20s %s\n", v.Name, v.Description)
	}
	return nil
}
