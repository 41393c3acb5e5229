package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/qoslab/qoslab/explore"
	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/report"
	"github.com/qoslab/qoslab/sim"
)

func init() {
	register(command{name: "explore", summary: "exhaustive exploration: prove exactly-once within bounds or find a shortest counterexample", run: exploreCmd})
	register(command{name: "states", summary: "each endpoint's state machine as the explorer visited it (Mermaid, DOT)", run: statesCmd})
}

const exploreSummary = `Visits every reachable state of one sender and one receiver of a variant, the packets
in flight, the timers and the remaining fault budget (breadth first, so a violation it
reports is a shortest one). Checks no-duplicate and no-loss in every state and, once the
search is complete, that every state can still finish all messages without further faults.
Exit status: 0 proven within the bounds, 1 violation found, 2 bad usage, 3 stopped at a
bound (--max-states, --max-mem, --max-depth) or random walks without a violation: nothing
proven beyond that bound; 130 when Ctrl-C stopped it (it prints the states and the depth
explored completely).`

// exploreFlags are the bounds and behaviours shared by explore and states.
type exploreFlags struct {
	variant, mode, version, idPolicy, search        string
	topology, subVariant, choices                   string
	cleanStart                                      bool
	messages, ids, receiveMax, retryLimit           int
	breaks, crashes, losses, dups                   int
	reorder, early, volatile                        bool
	maxStates, walks, walkDepth, distinct, storeCap int
	ttl                                             int64
	maxDepth, workers                               int
	maxMem                                          memSize
	seed                                            uint64
}

func addExploreFlags(fs *flag.FlagSet, messages int) *exploreFlags {
	f := &exploreFlags{}
	fs.StringVar(&f.variant, "variant", explore.DefaultVariant, "protocol variant (simulate variants lists them)")
	fs.StringVar(&f.mode, "mode", "stream", "network mode: stream (ordered, breaks) or datagram (loss, duplication, reordering)")
	fs.StringVar(&f.version, "mqtt", "5.0", "MQTT version: 5.0 or 3.1.1")
	fs.StringVar(&f.idPolicy, "id-policy", "lowest-free", "packet id allocation: lowest-free, sequential or any (branch over every free id: a permitted choice)")
	fs.StringVar(&f.topology, "topology", "direct", "the system explored: direct, duplex, broker, pair or self (simulate run --help says what each is)")
	fs.StringVar(&f.subVariant, "sub-variant", "", "variant subscribers ask for; the broker forwards at the lower QoS (topologies with a broker; default: --variant)")
	fs.StringVar(&f.choices, "choices", "none", "choices the MQTT specification leaves open to branch over: all, none or a list of pubcomp-reason, repeat-pubrec, resend-order, method, keep-session (docs/spec-table.md)")
	fs.BoolVar(&f.cleanStart, "clean-start", false, "clients ask for a new session at every connect (Clean Start 1)")
	fs.IntVar(&f.messages, "messages", messages, "messages the application publishes (in order, each at any moment)")
	fs.IntVar(&f.ids, "ids", explore.DefaultIDs, "packet id space 1..N (small spaces expose id reuse)")
	fs.IntVar(&f.receiveMax, "receive-max", 0, "in-flight limit (0: the id space)")
	fs.IntVar(&f.retryLimit, "retry-limit", explore.DefaultRetryLimit, "datagram retransmissions of one packet before the sender gives up")
	fs.IntVar(&f.breaks, "breaks", 0, "stream: connection breaks")
	fs.IntVar(&f.crashes, "crashes", 0, "node crashes (client or server)")
	fs.IntVar(&f.losses, "losses", 0, "datagram: packets the network may lose")
	fs.IntVar(&f.dups, "dups", 0, "datagram: packets the network may duplicate")
	fs.BoolVar(&f.reorder, "reorder", false, "datagram: packets may overtake each other")
	fs.BoolVar(&f.early, "early-timers", false, "datagram: a retry timer may fire while packets are in flight")
	fs.BoolVar(&f.volatile, "volatile", false, "session state is lost when a node crashes")
	fs.IntVar(&f.distinct, "distinct-payloads", 0, "payloads repeat with this period (0: all distinct)")
	fs.Int64Var(&f.ttl, "ttl", 0, "de-duplication entries expire (any value > 0: the explorer has no clock, an entry may expire at any moment)")
	fs.IntVar(&f.storeCap, "store-cap", 0, "capacity of de-duplication stores that evict (0: unbounded)")
	fs.StringVar(&f.search, "search", "bfs", "bfs (exhaustive, shortest counterexample) or walk (random walks, safety only)")
	fs.IntVar(&f.maxStates, "max-states", explore.DefaultMaxStates, "stop after this many states")
	fs.IntVar(&f.maxDepth, "max-depth", 0, "stop after this many moves from the start (0: none): safety checked for every schedule that short")
	f.maxMem = explore.DefaultMaxBytes
	fs.Var(&f.maxMem, "max-mem", "stop when the search holds more than `size`, such as 512MiB or 8GiB (a bare number is MiB): its tables and the Go heap, looked at every 65,536 states; it says which depth it completed")
	fs.IntVar(&f.workers, "workers", 0, "goroutines the search runs on (0: one per core); the outcome is the same for any number")
	fs.IntVar(&f.walks, "walks", explore.DefaultWalks, "random walks (--search walk)")
	fs.IntVar(&f.walkDepth, "walk-depth", explore.DefaultWalkDepth, "moves per random walk")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the random walks")
	return f
}

func (f *exploreFlags) options() (explore.Options, error) {
	o := explore.Options{Variant: f.variant, Messages: f.messages, IDs: f.ids, ReceiveMax: f.receiveMax,
		RetryLimit: f.retryLimit, Volatile: f.volatile, Breaks: f.breaks, Crashes: f.crashes, Losses: f.losses,
		Dups: f.dups, Reorder: f.reorder, EarlyTimers: f.early, MaxStates: f.maxStates, MaxBytes: uint64(f.maxMem),
		Walks: f.walks, WalkDepth: f.walkDepth, MaxDepth: f.maxDepth, Workers: f.workers, Seed: f.seed, DistinctPayloads: f.distinct, TTLTicks: f.ttl, StoreCap: f.storeCap}
	if err := nonEmpty(map[string]string{"variant": f.variant, "mode": f.mode, "mqtt": f.version,
		"id-policy": f.idPolicy, "search": f.search, "topology": f.topology, "choices": f.choices}); err != nil {
		return o, err
	}
	if _, err := model.Lookup(f.variant); err != nil {
		return o, usagef("--variant: %v", err)
	}
	var err error
	if o.Topology, err = sim.ParseTopology(f.topology); err != nil {
		return o, usagef("--topology: %v", err)
	}
	if f.subVariant != "" {
		if _, err := model.Lookup(f.subVariant); err != nil {
			return o, usagef("--sub-variant: %v", err)
		}
		if !o.Topology.Layout().HasBroker() {
			return o, usagef("--sub-variant %s: a subscription needs a topology with a broker (broker, pair, self)", f.subVariant)
		}
		o.SubVariant = f.subVariant
	}
	if o.Choices, err = model.ParseChoices(f.choices); err != nil {
		return o, usagef("--choices: %v", err)
	}
	o.CleanStart = f.cleanStart
	if o.Mode, err = model.ParseMode(f.mode); err != nil {
		return o, usagef("--mode: %v", err)
	}
	if o.Version, err = model.ParseVersion(f.version); err != nil {
		return o, usagef("--mqtt: %v", err)
	}
	if o.IDPolicy, err = model.ParseIDPolicy(f.idPolicy); err != nil {
		return o, usagef("--id-policy: %v", err)
	}
	if o.Search, err = explore.ParseSearch(f.search); err != nil {
		return o, usagef("--search: %v", err)
	}
	checks := []struct {
		name     string
		v, lo, h int
	}{
		{"messages", f.messages, 1, explore.MaxMessages}, {"ids", f.ids, 1, 65535}, {"receive-max", f.receiveMax, 0, 65535},
		{"retry-limit", f.retryLimit, 1, 100}, {"breaks", f.breaks, 0, 255}, {"crashes", f.crashes, 0, 255},
		{"losses", f.losses, 0, 255}, {"dups", f.dups, 0, 255}, {"max-states", f.maxStates, 1, 1 << 31},
		{"walks", f.walks, 1, 1 << 31}, {"walk-depth", f.walkDepth, 1, 1 << 20}, {"max-depth", f.maxDepth, 0, 1 << 16},
		{"distinct-payloads", f.distinct, 0, explore.MaxMessages}, {"store-cap", f.storeCap, 0, 1 << 20},
		{"workers", f.workers, 0, explore.MaxWorkers},
	}
	for _, c := range checks {
		if c.v < c.lo || c.v > c.h {
			return o, usagef("--%s %d: allowed %d..%d", c.name, c.v, c.lo, c.h)
		}
	}
	if f.ttl < 0 {
		return o, usagef("--ttl %d: must not be negative", f.ttl)
	}
	o = o.Normalize()
	if err := o.Validate(); err != nil {
		return o, usageError{err.Error()}
	}
	return o, nil
}

// searchFlags refuses the bounds of the other kind of search, which the
// chosen one would ignore: random walks stop after --walks walks of
// --walk-depth moves, a breadth-first search at --max-states, --max-depth
// or --max-mem.
func searchFlags(fs *flag.FlagSet, search explore.Search) error {
	only := map[string]explore.Search{"walks": explore.Walk, "walk-depth": explore.Walk, "seed": explore.Walk,
		"max-states": explore.BFS, "max-depth": explore.BFS, "max-mem": explore.BFS, "workers": explore.BFS}
	var err error
	fs.Visit(func(f *flag.Flag) {
		if s, ok := only[f.Name]; ok && s != search && err == nil {
			err = usagef("--%s: applies to --search %s, not %s", f.Name, s, search)
		}
	})
	return err
}

// incompleteError: the search stopped at a bound; exit status 3.
type incompleteError struct{ msg string }

func (e incompleteError) Error() string { return e.msg }
func (e incompleteError) ExitCode() int { return 3 }

func exploreCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("explore", exploreSummary)
	ef := addExploreFlags(fs, explore.DefaultMessages)
	format := fs.String("format", "text", "output: text (verdict, figures, ASCII trace), mermaid (the trace), json, html (a page that steps through the trace)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	networks := fs.Bool("networks", false, "datagram: explore all 16 combinations of loss, reordering, duplication and early timers (one loss and one duplication where on) and print the verdict table as markdown")
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	o, err := ef.options()
	if err != nil {
		return err
	}
	if err := searchFlags(fs, o.Search); err != nil {
		return err
	}
	switch *format {
	case "text", "mermaid", "json", "html":
	default:
		return usagef("--format %q: allowed values are text, mermaid, json, html", *format)
	}
	ctx, stop := interrupt()
	defer stop()
	o.Interrupt = ctx.Done()
	if *networks {
		if o.Mode != model.Datagram {
			return usagef("--networks: needs --mode datagram")
		}
		if *format == "html" {
			return usagef("--format html: draws one exploration; --networks prints a markdown table")
		}
		return exploreNetworks(stdout, o)
	}
	if !*quiet {
		start := time.Now()
		last := start
		o.Progress = func(p explore.Progress) {
			if time.Since(last) < time.Second {
				return // one line a second at most
			}
			last = time.Now()
			fmt.Fprintf(stderr, "explore: %d states, %d transitions, depth %d, memory %d MiB, %.0f states/s\n",
				p.States, p.Transitions, p.Depth, p.HeapBytes>>20, float64(p.States)/time.Since(start).Seconds())
		}
	}
	res, err := explore.Run(o)
	if err != nil {
		return usageError{err.Error()}
	}
	if err := writeExplore(stdout, res, *format); err != nil {
		return err
	}
	return exploreExit(res)
}

func exploreExit(res *explore.Result) error {
	if res.Interrupted {
		return interruptedError{"nothing proven: " + res.Stopped}
	}
	switch res.Verdict {
	case explore.Violated:
		return violationError{fmt.Sprintf("%s: %s", res.Options.Variant, res.Violation)}
	case explore.Incomplete:
		return incompleteError{"nothing proven: " + res.Stopped}
	}
	return nil
}

// Bounds is the one-line description of what was explored.
func bounds(o explore.Options) string {
	parts := []string{fmt.Sprintf("%d message(s)", o.Messages), fmt.Sprintf("ids %d", o.IDs)}
	if o.ReceiveMax > 0 {
		parts = append(parts, fmt.Sprintf("receive-max %d", o.ReceiveMax))
	}
	if o.Mode == model.Stream {
		parts = append(parts, fmt.Sprintf("%d break(s)", o.Breaks))
	} else {
		parts = append(parts, fmt.Sprintf("%d loss(es)", o.Losses), fmt.Sprintf("%d dup(s)", o.Dups),
			"reorder "+onOff(o.Reorder), "early timers "+onOff(o.EarlyTimers), fmt.Sprintf("retry limit %d", o.RetryLimit))
	}
	parts = append(parts, fmt.Sprintf("%d crash(es)", o.Crashes))
	if o.Volatile {
		parts = append(parts, "volatile sessions")
	}
	if o.CleanStart {
		parts = append(parts, "clean start")
	}
	if o.IDPolicy == model.AnyFree {
		parts = append(parts, "every free id")
	}
	if o.Choices != 0 {
		parts = append(parts, "choices "+o.Choices.String())
	}
	return strings.Join(parts, ", ")
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func writeExplore(w io.Writer, res *explore.Result, format string) error {
	o := res.Options
	v := res.Violation
	switch format {
	case "html":
		return writeExploreHTML(w, res)
	case "mermaid":
		return mermaidBlock(w, func(w io.Writer) error {
			if v == nil {
				_, err := fmt.Fprintf(w, "%%%% %s: no counterexample (%s)\n", o.Variant, res.Verdict)
				return err
			}
			return explore.WriteMermaid(w, v)
		})
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(exploreJSON(res))
	}
	top := ""
	if o.Topology != sim.Direct {
		top = fmt.Sprintf(", %s topology", o.Topology)
		if o.SubVariant != o.Variant {
			top += " (subscribers ask for " + o.SubVariant + ")"
		}
	}
	fmt.Fprintf(w, "qoslab explore: variant %s%s, %s mode, MQTT %s, %s search\n", o.Variant, top, o.Mode, o.Version, o.Search)
	fmt.Fprintf(w, "bounds:      %s\n", bounds(o))
	fmt.Fprintf(w, "verdict:     %s\n", report.ExploreVerdict(res))
	if o.Search == explore.Walk {
		fmt.Fprintf(w, "states:      %d visited along the walks (not distinct), longest walk %d moves\n", res.States, res.MaxDepth)
	} else {
		fmt.Fprintf(w, "states:      %d distinct, %d transitions, max depth %d\n", res.States, res.Transitions, res.MaxDepth)
	}
	if o.Search == explore.Walk {
		fmt.Fprintf(w, "time:        %s (%.0f states/s)\n", res.Elapsed.Round(time.Microsecond), res.StatesPerSecond())
	} else {
		fmt.Fprintf(w, "time:        %s on %d worker(s) (%.0f states/s), memory %d MiB at most\n",
			res.Elapsed.Round(time.Microsecond), res.Workers, res.StatesPerSecond(), res.PeakBytes>>20)
	}
	if res.Abandoned > 0 {
		fmt.Fprintf(w, "abandoned:   in %d state(s) the sender gave up a message and told its application\n", res.Abandoned)
	}
	if v == nil {
		return nil
	}
	fmt.Fprintln(w)
	if err := explore.WriteTrace(w, v); err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "replay:      %s\n", v.Replay.Command())
	fmt.Fprintf(w, "             (%s)\n", report.ReplayStatus(v))
	if v.ReplayNote != "" {
		fmt.Fprintf(w, "             note: %s\n", v.ReplayNote)
	}
	return nil
}

type exploreOutput struct {
	Variant      string   `json:"variant"`
	Bounds       string   `json:"bounds"`
	Verdict      string   `json:"verdict"`
	States       int      `json:"states"`
	Transitions  int      `json:"transitions"`
	MaxDepth     int      `json:"max_depth"`
	Seconds      float64  `json:"seconds"`
	StatesPerSec float64  `json:"states_per_second"`
	Abandoned    int      `json:"abandoned_states,omitempty"`
	Stopped      string   `json:"stopped,omitempty"`
	Property     string   `json:"property,omitempty"`
	Msg          int      `json:"msg,omitempty"`
	Trace        []string `json:"trace,omitempty"`
	Pending      []string `json:"pending,omitempty"`
	Replay       string   `json:"replay,omitempty"`
	Reproduced   bool     `json:"reproduced,omitempty"`
	ReplayNote   string   `json:"replay_note,omitempty"`
}

func exploreJSON(res *explore.Result) exploreOutput {
	out := exploreOutput{Variant: res.Options.Variant, Bounds: bounds(res.Options), Verdict: res.Verdict.String(),
		States: res.States, Transitions: res.Transitions, MaxDepth: res.MaxDepth, Seconds: res.Elapsed.Seconds(),
		StatesPerSec: res.StatesPerSecond(), Abandoned: res.Abandoned, Stopped: res.Stopped}
	if v := res.Violation; v != nil {
		out.Property, out.Msg, out.Pending = v.Property.String(), v.Msg, v.Pending
		for _, s := range v.Steps {
			line := fmt.Sprintf("%d %s", s.N, s.Move)
			if len(s.Notes) > 0 {
				line += " (" + strings.Join(s.Notes, "; ") + ")"
			}
			out.Trace = append(out.Trace, line)
		}
		out.Replay, out.Reproduced, out.ReplayNote = v.Replay.Command(), v.Reproduced, v.ReplayNote
	}
	return out
}

const statesSummary = `Explores the variant like explore does and projects every step it took onto each
endpoint: the endpoint's protocol state before and after (its pending business with packet
ids and message numbers taken out) and the step's input / outputs. Prints both endpoints'
state machines as Mermaid stateDiagram-v2 and Graphviz DOT.`

func statesCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("states", statesSummary)
	ef := addExploreFlags(fs, 1)
	format := fs.String("format", "both", "output: mermaid, dot or both")
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	switch *format {
	case "mermaid", "dot", "both":
	default:
		return usagef("--format %q: allowed values are mermaid, dot, both", *format)
	}
	o, err := ef.options()
	if err != nil {
		return err
	}
	if o.Search != explore.BFS {
		return usagef("--search %s: states needs bfs", o.Search)
	}
	if err := searchFlags(fs, o.Search); err != nil {
		return err
	}
	o.Project = true
	ctx, stop := interrupt()
	defer stop()
	o.Interrupt = ctx.Done()
	res, err := explore.Run(o)
	if err != nil {
		return usageError{err.Error()}
	}
	if res.Interrupted {
		return interruptedError{"states: " + res.Stopped + "; no state machine drawn"}
	}
	fmt.Fprintf(stdout, "%s, %s mode; bounds: %s; %d states explored (%s)\n", o.Variant, o.Mode, bounds(o), res.States, res.Verdict)
	for _, m := range res.Machines() {
		if *format != "dot" {
			fmt.Fprintln(stdout, "```mermaid")
			if err := m.WriteMermaid(stdout); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "```")
		}
		if *format != "mermaid" {
			fmt.Fprintln(stdout, "```dot")
			if err := m.WriteDOT(stdout); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "```")
		}
	}
	return nil
}

// exploreNetworks explores every datagram network behaviour combination and
// writes the verdict table.
func exploreNetworks(w io.Writer, base explore.Options) error {
	fmt.Fprintf(w, "%s, datagram, %d message(s), ids %d, retry limit %d:\n\n", base.Variant, base.Messages, base.IDs, base.RetryLimit)
	fmt.Fprintln(w, "| network | verdict | states | transitions | depth | shortest counterexample | simulator replay |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---|---|")
	violated := 0
	for _, n := range explore.Networks() {
		res, err := explore.Run(n.Options(base))
		if err != nil {
			return usageError{err.Error()}
		}
		if res.Interrupted {
			return interruptedError{fmt.Sprintf("interrupted at network %s: %s", n.Name, res.Stopped)}
		}
		cx, replay := "", ""
		if v := res.Violation; v != nil {
			violated++
			cx, replay = v.String(), "reproduces"
			if !v.Reproduced {
				replay = "inexact"
			}
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %s | %s |\n", n.Name, res.Verdict, res.States, res.Transitions, res.MaxDepth, cx, replay)
	}
	if violated > 0 {
		return violationError{fmt.Sprintf("%s: %d of 16 networks violate a property", base.Variant, violated)}
	}
	return nil
}
