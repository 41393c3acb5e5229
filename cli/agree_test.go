package cli

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/explore"
	"github.com/qoslab/qoslab/internal/docblock"
	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/scenarios"
	"github.com/qoslab/qoslab/sim"
	"github.com/qoslab/qoslab/study"
)

// checkFlagsFor is the simulate check setting that matches one network of
// explore's datagram verdict table: the same variant, two messages, one
// packet id, retry limit 2, and the fault kinds the network allows. At most
// two faults, so that losses never exhaust the retry limit (explore's budget
// is one loss and one duplication). Timers: the simulator has a clock, so a
// retry timer fires early only when a packet or its answer is delayed
// beyond the retransmission timeout; "early timers" is therefore delays up
// to 300 ticks with the default 100-tick timeout (such a delay also
// reorders), and every other network a 1000-tick timeout that no delay (at
// most 30 ticks, the datagram default) can reach. Reordering is the delay
// fault, which also gives a duplicate's copy a delay of its own.
func checkFlagsFor(n explore.Network) []string {
	var actions []string
	if n.Loss {
		actions = append(actions, "lose")
	}
	if n.Dup {
		actions = append(actions, "dup")
	}
	if n.Reorder || n.EarlyTime {
		actions = append(actions, "delay")
	}
	args := []string{"--max-faults", "2"}
	if len(actions) == 0 {
		args = []string{"--max-faults", "0"}
	} else {
		args = append(args, "--actions", strings.Join(actions, ","))
	}
	if n.EarlyTime {
		return append(args, "--retry", "100", "--max-delay", "300")
	}
	return append(args, "--retry", "1000")
}

var triedRe = regexp.MustCompile(`(?m)^schedules: (\d+) tried`)

// For every network of explore's datagram verdict table, simulate check
// with the matching fault kinds reaches the explorer's verdict: it holds
// over 10,000 schedules where the explorer proves, and finds a
// counterexample where the explorer finds one. The table of schedules to
// the first counterexample is pinned in docs/explore.md (the search is
// deterministic: seed 1, any number of cores).
func TestCheckAgreesWithExploreOnEveryDatagramNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("32 searches of up to 10,000 schedules; run without -short")
	}
	var b strings.Builder
	b.WriteString("| network | `simulate check` flags | qos2-a: explore | qos2-a: check | qos2-b: explore | qos2-b: check |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, n := range explore.Networks() {
		flags := checkFlagsFor(n)
		fmt.Fprintf(&b, "| %s | `%s` |", n.Name, strings.Join(flags, " "))
		for _, v := range []string{"qos2-a", "qos2-b"} {
			r, err := explore.Run(n.Options(explore.Options{Variant: v, Messages: 2, IDs: 1}))
			if err != nil {
				t.Fatal(err)
			}
			args := append([]string{"check", "--variant", v, "--mode", "datagram", "--ids", "1", "--retry-limit", "2",
				"--max-messages", "2", "--seed", "1"}, flags...)
			out, errOut, code := runArgs(t, args...)
			m := triedRe.FindStringSubmatch(out)
			if m == nil || code > 1 {
				t.Fatalf("simulate %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
			}
			proven := r.Verdict == explore.Proven
			if held := code == 0; held != proven {
				t.Errorf("%s %s: explorer %s, check exit %d (simulate %s)\n%s", v, n.Name, r.Verdict, code, strings.Join(args, " "), out)
			}
			exp, got := "proven", "held, "+m[1]+" schedules"
			if !proven {
				exp = r.Violation.Property.String()
				prop := regexp.MustCompile(`(?m)^  (no-[a-z]+):`).FindStringSubmatch(out)
				got = prop[1] + " after " + m[1]
			}
			fmt.Fprintf(&b, " %s | %s |", exp, got)
		}
		b.WriteString("\n")
	}
	docblock.Check(t, "../docs/explore.md", "check-agrees", []byte(b.String()), *updateDocs,
		"run go test ./cli -run TestCheckAgreesWithExplore -update")
}

// cancelled makes interrupt return a context that Ctrl-C has already
// cancelled, for the rest of the test.
func cancelled(t *testing.T) {
	saved := interrupt
	t.Cleanup(func() { interrupt = saved })
	interrupt = func() (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx, cancel
	}
}

// Ctrl-C on check and explore prints what was done (schedules tried;
// states and the depth explored completely) and exits 130, the status a
// shell gives a command stopped by Ctrl-C, never 1 (a violation).
func TestInterruptPrintsWhatWasDoneAndExits130(t *testing.T) {
	cancelled(t)
	out, errOut, code := runArgs(t, "check", "--variant", "qos2-b", "--tests", "5000")
	if code != 130 || !strings.Contains(out, "verdict:   INTERRUPTED") || !strings.Contains(out, "schedules: 0 of 5000 tried") ||
		!strings.Contains(errOut, "interrupted after 0 of 5000 schedule(s)") {
		t.Errorf("check: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = runArgs(t, "check", "--variant", "qos2-b", "--tests", "5000", "--format", "json")
	if code != 130 || !strings.Contains(out, `"verdict": "interrupted"`) || !strings.Contains(out, `"interrupted": true`) {
		t.Errorf("check --format json: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = runArgs(t, "explore", "--variant", "qos2-b", "--quiet")
	if code != 130 || !strings.Contains(out, "verdict:     INCOMPLETE: interrupted at 1 state(s), before any level was expanded") ||
		!strings.Contains(errOut, "nothing proven: interrupted") {
		t.Errorf("explore: exit %d\n%s%s", code, out, errOut)
	}
	for _, args := range [][]string{{"explore", "--search", "walk", "--quiet"}, {"states"}, {"sweep", "--runs", "5"},
		{"explore", "--mode", "datagram", "--networks"}} {
		if out, errOut, code := runArgs(t, args...); code != 130 || !strings.Contains(errOut, "interrupted") {
			t.Errorf("simulate %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
}

// Abandonment means one thing everywhere: a message the publisher gave up
// on (retry limit, session lost) and told its application about is not a
// silent loss. check (the search and run --check), explore, compare's
// columns and scenario verdicts agree on equal settings: abandonment holds
// as exactly-once and is counted apart; a silent loss is a violation
// everywhere.
func TestAbandonmentMeansOneThing(t *testing.T) {
	cases := []struct {
		name     string
		explore  explore.Options
		check    []string // simulate check flags for the same bounds
		run      string   // one schedule of those bounds, for run --check, a scenario and compare's counting
		holds    bool
		abandons bool
	}{
		{"retry limit reached", explore.Options{Variant: "qos2-b", Mode: model.Datagram, Messages: 1, IDs: 1, Losses: 3},
			[]string{"--variant", "qos2-b", "--mode", "datagram", "--ids", "1", "--retry-limit", "2", "--retry", "1000",
				"--max-messages", "1", "--max-faults", "3", "--actions", "lose"},
			"--variant qos2-b --mode datagram --ids 1 --retry-limit 2 --retry 1000 --messages 1 --faults \"lose PUBLISH#1; lose PUBLISH#2; lose PUBLISH#3\"",
			true, true},
		{"session lost (MQTT 5.0)", explore.Options{Variant: "qos2-a", Messages: 1, Crashes: 1, Volatile: true},
			[]string{"--variant", "qos2-a", "--volatile", "--max-messages", "1", "--max-faults", "1", "--actions", "crash", "--nodes", "server"},
			"--variant qos2-a --volatile --messages 1 --faults \"crash server after-recv PUBLISH#1\"",
			true, true},
		{"silent loss (MQTT 3.1.1)", explore.Options{Variant: "qos2-a", Version: model.V311, Messages: 1, Crashes: 1, Volatile: true},
			[]string{"--variant", "qos2-a", "--mqtt", "3.1.1", "--volatile", "--max-messages", "1", "--max-faults", "1", "--actions", "crash", "--nodes", "server"},
			"--variant qos2-a --mqtt 3.1.1 --volatile --messages 1 --faults \"crash server after-recv PUBREC#1\"",
			false, false},
	}
	for _, c := range cases {
		r, err := explore.Run(c.explore)
		if err != nil {
			t.Fatal(err)
		}
		if (r.Verdict == explore.Proven) != c.holds || c.abandons && r.Abandoned == 0 {
			t.Errorf("%s: explore %s with %d abandoned states", c.name, r.Verdict, r.Abandoned)
		}
		out, _, code := runArgs(t, append([]string{"check"}, c.check...)...)
		if (code == 0) != c.holds || strings.Contains(out, "abandoned: ") != (c.abandons && c.holds) {
			t.Errorf("%s: check exit %d\n%s", c.name, code, out)
		}
		args := splitCommand(t, c.run)
		out, _, code = runArgs(t, append([]string{"run", "--check"}, args...)...)
		if (code == 0) != c.holds || strings.Contains(out, " 1 abandoned\n") != c.abandons || strings.Contains(out, " 1 lost,") == c.holds {
			t.Errorf("%s: run --check exit %d\n%s", c.name, code, out)
		}
		cfg := configFrom(t, args)
		sc := scenarios.Scenario{Name: "x", Base: cfg, Runs: 1}
		o, err := sc.Run(cfg.Variant, false)
		if err != nil {
			t.Fatal(err)
		}
		want := scenarios.Loss
		if c.holds {
			want = scenarios.Abandoned
		}
		if o.Verdict() != want || o.Verdict().Holds() != c.holds {
			t.Errorf("%s: scenario verdict %s, want %s", c.name, o.Verdict(), want)
		}
		res, err := sim.Run(cfg)
		if err != nil {
			t.Fatal(err)
		}
		acc := study.NewAcc()
		acc.Add(res)
		lost, abandoned := acc.Lost.Estimate(1000).Mean, acc.Abandoned.Estimate(1000).Mean
		if (lost == 0) != c.holds || (abandoned > 0) != c.abandons {
			t.Errorf("%s: compare counts lost/1k %v, abandoned/1k %v", c.name, lost, abandoned)
		}
	}
}

// The exit status table names only commands that exist, and the statuses a
// command is documented to give beyond 0, 1 and 2 are the ones its code
// returns (130 and 3 have their own error types).
func TestExitTableNamesRealCommands(t *testing.T) {
	for name, m := range exits {
		if _, ok := commands[name]; !ok && name != "" {
			t.Errorf("exits names %q, which is not a command", name)
		}
		for code := range m {
			if !slices.Contains(exitCodes, code) {
				t.Errorf("%s: status %d is not a column of the table", name, code)
			}
		}
	}
	if got := (interruptedError{}).ExitCode(); got != exitInterrupted {
		t.Errorf("Ctrl-C exits %d, the table says %d", got, exitInterrupted)
	}
	if got := (incompleteError{}).ExitCode(); got != exitIncomplete {
		t.Errorf("a stopped search exits %d, the table says %d", got, exitIncomplete)
	}
}

// The README's compare example tells the design document's story: for
// every variant and network it shows, a duplicate or a loss appears exactly
// where docs/why-four-packets.md's findings say the variant duplicates or
// loses messages on that network (with 3 messages per run, two-packet-pid
// once looked exactly-once at half QoS 2's cost, the opposite of the
// document). Both are checked current by other tests.
func TestReadmeCompareAgreesWithTheDesignDocument(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/why-four-packets.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- example-output: (compare [^>]*) -->\n```text\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no compare example output")
	}
	if !strings.Contains(string(m[1]), "duplicated_per_1k,lost_per_1k") {
		t.Fatalf("the README's compare example must show dup/1k and lost/1k first: %s", m[1])
	}
	// The findings: "- `V`: duplicates on P, Q; losses on R (...)".
	finding := regexp.MustCompile("(?m)^- `([^`]+)`: ([^(]*) \\(")
	claims := map[string]string{}
	block := doc[strings.Index(string(doc), "<!-- simulate docs: findings"):]
	for _, f := range finding.FindAllSubmatch(block[:strings.Index(string(block), "<!-- end -->")], -1) {
		claims[string(f[1])] = string(f[2])
	}
	on := func(claim, kind, profile string) bool {
		for _, part := range strings.Split(claim, "; ") {
			if rest, ok := strings.CutPrefix(part, kind+" on "); ok && slices.Contains(strings.Split(rest, ", "), profile) {
				return true
			}
		}
		return false
	}
	rows := 0
	for _, line := range strings.Split(string(m[2]), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), "|")
		if len(cells) < 4 || !strings.HasPrefix(line, "| ") || strings.Contains(line, "variant") {
			continue
		}
		profile, variant := strings.TrimSpace(cells[0]), strings.TrimSpace(cells[1])
		claim, ok := claims[variant]
		if !ok {
			t.Errorf("the design document has no finding for %s", variant)
			continue
		}
		rate := func(c string) float64 {
			v, err := strconv.ParseFloat(strings.Fields(c)[0], 64)
			if err != nil {
				t.Fatalf("cell %q: %v", c, err)
			}
			return v
		}
		dup, lost := rate(cells[2]), rate(cells[3])
		if (dup > 0) != on(claim, "duplicates", profile) || (lost > 0) != on(claim, "losses", profile) {
			t.Errorf("README: %s on %s has dup/1k %v, lost/1k %v; the design document says %q", variant, profile, dup, lost, claim)
		}
		rows++
	}
	if rows < 4 {
		t.Fatalf("read %d rows of the README's compare example, want at least 4", rows)
	}
}
