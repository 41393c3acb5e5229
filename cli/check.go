package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/properties"
	"github.com/qoslab/qoslab/sim"
	"github.com/qoslab/qoslab/study"
)

func init() {
	register(command{name: "check", summary: "search random fault schedules for a property violation", run: checkCmd})
}

const checkSummary = `Searches random fault schedules for a violation of a delivery property and,
when it finds one, shrinks it to a minimal counterexample: its schedule, its
sequence diagram and the "simulate run" line that replays it.

The run flags set the base of every case. The search varies the number of
messages (up to --max-messages), the fault schedule (up to --max-faults of
--actions), the topics (up to --topics, default 2), the packet-id policy
(both unless --id-policy is given) and the network jitter (up to --jitter).
The same --seed and flags give the same verdict and counterexample on any
number of cores. Messages the publisher abandoned (retry limit, session
lost) while telling its application are counted apart, never as losses.
Exit status: 0 when the property held, 1 when a counterexample was found,
2 for bad usage, 130 when Ctrl-C stopped the search (it prints the
schedules tried so far).`

// checkSetup is a parsed check command line: the search, and what to do
// with its outcome.
type checkSetup struct {
	search  properties.Search
	format  string
	part    study.Shard
	sharded bool
	out     string
	// args are the flags that define the search (all but those of
	// checkOutputFlags), as --name=value by name: what a part file
	// records, and what simulate merge parses again.
	args []string
}

// checkOutputFlags change where and how a search runs and reports, never
// its outcome.
var checkOutputFlags = map[string]bool{"format": true, "workers": true, "shard": true, "out": true}

func parseCheck(stderr io.Writer, args []string) (*checkSetup, error) {
	fs := newFlagSet("check", checkSummary)
	rf := addRunFlags(fs)
	notFor(fs, "the search draws it (see above)", "messages", "distinct-payloads", "faults")
	propName := fs.String("property", "exactly-once", "property to check: "+strings.Join(propertyNames(), ", "))
	tests := fs.Int("tests", 10000, "schedules to try")
	workers := fs.Int("workers", 0, "parallel search workers (0: one per core); the outcome does not depend on it")
	format := fs.String("format", "text", "output: text (verdict, counterexample, ASCII diagram), mermaid (the counterexample's diagram), json, html (a page that steps through the counterexample)")
	maxMessages := fs.Int("max-messages", 5, "messages per case, 1..N")
	maxFaults := fs.Int("max-faults", 4, "faults per schedule, 0..N")
	actions := fs.String("actions", "", "fault kinds, comma separated: lose, dup, delay, break, crash (default: stream break,crash,delay; datagram lose,dup,delay)")
	maxDelay := fs.Int64("max-delay", 0, "largest extra delay of a delay fault in ticks (0: two latencies)")
	nodes := fs.String("nodes", "", "crash targets, comma separated (default: every node)")
	repeat := fs.Bool("repeat-payloads", true, "also draw workloads whose payloads repeat (a sensor sending \"ON\" twice)")
	maxOutage := fs.Int64("max-outage", 0, "longest reconnect/restart delay drawn, in ticks (0: twice the de-dup time-to-live, so that expiring stores are reached)")
	shard := fs.String("shard", "", "run only part i/n of the search (its shards of 200 schedules k with k mod n = i) and write the part's report for simulate merge, which prints what the whole search prints")
	out := fs.String("out", "", "write the output (with --shard: the part's report) to this file instead of stdout (whole or not at all)")
	if err := parseFlags(fs, stderr, args); err != nil {
		return nil, err
	}
	switch *format {
	case "text", "mermaid", "json", "html":
	default:
		return nil, usagef("--format %q: allowed values are text, mermaid, json, html", *format)
	}
	if rf.faults != "" {
		return nil, usagef("--faults: check draws its own schedules; use simulate run to replay one")
	}
	set := visited(fs)
	switch {
	case set["messages"]:
		return nil, usagef("--messages: check draws the number of messages per case; use --max-messages")
	case set["distinct-payloads"]:
		return nil, usagef("--distinct-payloads: check draws repeated payloads per case; use --repeat-payloads")
	}
	prop, err := properties.Lookup(*propName)
	if err != nil {
		return nil, usagef("--property: %v", err)
	}
	base, err := rf.config()
	if err != nil {
		return nil, err
	}
	switch {
	case *tests < 1 || *tests > maxTests:
		return nil, usagef("--tests %d: allowed 1..%d", *tests, maxTests)
	case *workers < 0:
		return nil, usagef("--workers %d: must not be negative (0: one per core)", *workers)
	case *maxMessages < 1 || *maxMessages > 1000:
		return nil, usagef("--max-messages %d: allowed 1..1000", *maxMessages)
	case *maxFaults < 0 || *maxFaults > 100:
		return nil, usagef("--max-faults %d: allowed 0..100", *maxFaults)
	case *maxDelay < 0 || *maxDelay > sim.MaxFaultTicks:
		return nil, usagef("--max-delay %d: allowed 0..%d ticks (0: two latencies)", *maxDelay, sim.MaxFaultTicks)
	case *maxOutage < 0 || *maxOutage > sim.MaxFaultTicks:
		return nil, usagef("--max-outage %d: allowed 0..%d ticks (0: twice the time-to-live)", *maxOutage, sim.MaxFaultTicks)
	}
	faults := *maxFaults
	if faults == 0 {
		faults = -1 // the space reads 0 as its default
	}
	space := properties.Space{MaxMessages: *maxMessages, MaxFaults: faults, MaxDelayTicks: *maxDelay,
		MaxJitterTicks: base.Network.JitterTicks, MaxTopics: base.Workload.Topics, RepeatPayloads: *repeat}
	// By default the search reaches what decides the two-packet variants'
	// fate: packet ids that come back quickly (a small Receive Maximum),
	// repeated payloads, and outages longer than a store's time-to-live.
	if !set["receive-max"] {
		space.ReceiveMax = []int{1, 2, base.Endpoint.ReceiveMax}
	}
	space.MaxOutageTicks = *maxOutage
	if space.MaxOutageTicks == 0 {
		space.MaxOutageTicks = 2 * max(base.Endpoint.TTLTicks, model.DefaultTTLTicks)
	}
	if set["id-policy"] {
		space.IDPolicies = []model.IDPolicy{base.Endpoint.IDPolicy}
	}
	if space.Actions, err = parseActions(*actions, base.Endpoint.Mode); err != nil {
		return nil, err
	}
	if !set["topics"] {
		space.MaxTopics = 0 // the space's default
	}
	if *nodes != "" {
		space.Nodes = strings.Split(*nodes, ",")
		for _, n := range space.Nodes {
			if !validNode(n, base.Topology) {
				return nil, usagef("--nodes: node %q: allowed values are %s", n, strings.Join(nodeNames(base.Topology), ", "))
			}
		}
	}
	// The search derives start and heal times per case; the jitter is drawn.
	raw := base
	raw.Workload.StartTicks, raw.Network.HealTicks, raw.MaxTicks = rf.start, rf.heal, 0
	raw.Network.JitterTicks = 0
	c := &checkSetup{format: *format, out: *out, sharded: *shard != "",
		search: properties.Search{Config: raw, Property: prop, Space: space, Tests: *tests, Seed: rf.seed, Workers: *workers}}
	if c.part, err = study.ParseShard(*shard); err != nil {
		return nil, usagef("--shard: %v", err)
	}
	if err := checkOutputs(map[string]string{"out": *out}); err != nil {
		return nil, err
	}
	if c.sharded && *format != "text" {
		return nil, usagef("--format %s with --shard: a part writes its report for simulate merge, which takes --format", *format)
	}
	fs.Visit(func(f *flag.Flag) {
		if !checkOutputFlags[f.Name] {
			c.args = append(c.args, "--"+f.Name+"="+f.Value.String())
		}
	})
	return c, nil
}

func checkCmd(stdout, stderr io.Writer, args []string) error {
	c, err := parseCheck(stderr, args)
	if err != nil {
		return err
	}
	ctx, stop := interrupt()
	defer stop()
	search := c.search
	search.Stop = ctx.Done()
	if c.sharded {
		return checkPart(stdout, c, search)
	}
	rep, err := search.Run()
	if err != nil {
		return usageError{err.Error()}
	}
	if err := writeOut(stdout, c.out, func(w io.Writer) error { return writeCheckAs(w, rep, c.format) }); err != nil {
		return err
	}
	return checkExit(rep)
}

// checkExit is check's exit status for a report.
func checkExit(rep properties.Report) error {
	if rep.Interrupted {
		return interruptedError{fmt.Sprintf("interrupted after %d of %d schedule(s)", rep.Tried, rep.Search.Tests)}
	}
	if !rep.Held {
		c := rep.Counterexample
		return violationError{fmt.Sprintf("%s violated: %s", rep.Search.Property.Name, c.Violations[0])}
	}
	return nil
}

// writeOut writes what write produces to the file path, whole or not at
// all, or to stdout when path is empty.
func writeOut(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path != "" {
		return study.WriteFile(path, write)
	}
	return write(stdout)
}

func writeCheckAs(w io.Writer, r properties.Report, format string) error {
	switch format {
	case "html":
		return writeCheckHTML(w, r)
	case "mermaid":
		return mermaidBlock(w, func(w io.Writer) error {
			if r.Held {
				_, err := fmt.Fprintf(w, "%%%% %s held for %s: no counterexample in %d schedules\n", r.Search.Property.Name, r.Search.Config.Variant, r.Tried)
				return err
			}
			return sim.WriteMermaid(w, r.Counterexample.Result.Trace, sim.DiagramOptions{})
		})
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(checkJSON(r))
	}
	writeCheck(w, r)
	return nil
}

type checkOutput struct {
	Property string `json:"property"`
	Variant  string `json:"variant"`
	Verdict  string `json:"verdict"`
	Tried    int    `json:"tried"`
	// Abandoned messages (never delivered, the application told) and the
	// schedules that had some: not losses.
	Abandoned      int      `json:"abandoned"`
	AbandonedCases int      `json:"abandoned_schedules"`
	Interrupted    bool     `json:"interrupted,omitempty"`
	Seed           uint64   `json:"seed"`
	Seconds        float64  `json:"seconds"`
	Found          string   `json:"found,omitempty"`
	Shrunk         string   `json:"shrunk,omitempty"`
	Shrinks        int      `json:"shrinks,omitempty"`
	Schedule       string   `json:"schedule,omitempty"`
	Violations     []string `json:"violations,omitempty"`
	Replay         string   `json:"replay,omitempty"`
}

func checkJSON(r properties.Report) checkOutput {
	s := r.Search
	out := checkOutput{Property: s.Property.Name, Variant: s.Config.Variant, Verdict: "held", Tried: r.Tried,
		Abandoned: r.Abandoned, AbandonedCases: r.AbandonedCases, Interrupted: r.Interrupted, Seed: s.Seed, Seconds: r.Elapsed.Seconds()}
	if r.Held && r.Interrupted {
		out.Verdict = "interrupted"
	}
	if x := r.Counterexample; !r.Held && x != nil {
		out.Verdict, out.Found, out.Shrunk, out.Shrinks = "violated", x.Original.String(), x.Case.String(), x.Shrinks
		out.Schedule, out.Replay = x.Case.Faults.String(), x.Command()
		for _, v := range x.Violations {
			out.Violations = append(out.Violations, v.String())
		}
	}
	return out
}

// maxTests bounds --tests: the search keeps one result per 200 tests.
const maxTests = 100_000_000

func writeCheck(w io.Writer, r properties.Report) {
	s := r.Search
	c := s.Config
	fmt.Fprintf(w, "qoslab check: property %s (%s) for variant %s, %s topology, %s mode, MQTT %s", s.Property.Name,
		s.Property.Kind, c.Variant, c.Topology, c.Endpoint.Mode, c.Endpoint.Version)
	if c.Endpoint.Volatile {
		fmt.Fprint(w, ", volatile session state")
	}
	if c.Endpoint.CleanStart {
		fmt.Fprint(w, ", clean start at every connect")
	}
	if c.Endpoint.IDPolicy == model.AnyFree {
		fmt.Fprint(w, ", any free packet id")
	}
	if c.Endpoint.Choices != 0 {
		fmt.Fprintf(w, ", open choices %s", c.Endpoint.Choices)
	}
	fmt.Fprintf(w, "\n%s\n\n", s.Property.Doc)
	if r.Held {
		if r.Interrupted {
			fmt.Fprintf(w, "verdict:   INTERRUPTED: no counterexample in the schedules tried; nothing is shown beyond them\n")
			fmt.Fprintf(w, "schedules: %d of %d tried in %v (seed %d, %d worker(s))\n", r.Tried, s.Tests, r.Elapsed.Round(time.Millisecond), s.Seed, s.Workers)
		} else {
			fmt.Fprintf(w, "verdict:   held\n")
			fmt.Fprintf(w, "schedules: %d tried in %v (seed %d, %d worker(s))\n", r.Tried, r.Elapsed.Round(time.Millisecond), s.Seed, s.Workers)
		}
		if r.Abandoned > 0 {
			fmt.Fprintf(w, "%s\n", r.AbandonedLine())
		}
		return
	}
	x := r.Counterexample
	fmt.Fprintf(w, "verdict:   VIOLATED\n")
	fmt.Fprintf(w, "schedules: %d tried, counterexample after %v, shrunk in %d step(s), %v in all (seed %d, %d worker(s))\n",
		r.Tried, r.FirstFound.Round(time.Microsecond), x.Shrinks, r.Elapsed.Round(time.Millisecond), s.Seed, s.Workers)
	if r.Abandoned > 0 {
		fmt.Fprintf(w, "%s\n", r.AbandonedLine())
	}
	fmt.Fprintf(w, "found:     %v\n", x.Original)
	fmt.Fprintf(w, "shrunk:    %v\n", x.Case)
	fmt.Fprintf(w, "schedule:  %s\n\n", scheduleText(x.Case.Faults))
	fmt.Fprintln(w, "violations:")
	for _, v := range x.Violations {
		fmt.Fprintf(w, "  %s\n", v)
	}
	fmt.Fprintf(w, "\n%s\n", x.Diagram())
	fmt.Fprintf(w, "replay:    %s\n", x.Command())
}

func scheduleText(s sim.Schedule) string {
	if len(s) == 0 {
		return "(no faults: the workload alone breaks the property)"
	}
	return s.String()
}

func propertyNames() []string {
	var names []string
	for _, p := range properties.All() {
		names = append(names, p.Name)
	}
	return names
}

func parseActions(s string, mode model.Mode) ([]sim.Action, error) {
	if s == "" {
		return nil, nil
	}
	all := map[string]sim.Action{"lose": sim.Lose, "dup": sim.Dup, "delay": sim.Delay, "break": sim.Break, "crash": sim.Crash}
	var as []sim.Action
	for _, name := range strings.Split(s, ",") {
		a, ok := all[strings.TrimSpace(name)]
		if !ok {
			return nil, usagef("--actions: %q: allowed values are lose, dup, delay, break, crash", name)
		}
		stream := mode == model.Stream
		if stream && (a == sim.Lose || a == sim.Dup) {
			return nil, usagef("--actions: %s needs --mode datagram; a stream loses packets only when the connection breaks", name)
		}
		if !stream && a == sim.Break {
			return nil, usagef("--actions: break needs --mode stream; datagram mode has no connection")
		}
		as = append(as, a)
	}
	return as, nil
}

func nodeNames(t sim.Topology) []string {
	if t == sim.Brokered {
		return []string{"publisher", "broker", "subscriber"}
	}
	return []string{"client", "server"}
}

func validNode(n string, t sim.Topology) bool {
	for _, m := range nodeNames(t) {
		if m == n {
			return true
		}
	}
	return false
}
