package cli

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/properties"

	_ "github.com/qoslab/qoslab/internal/mutant" // the hidden mutants' pinned counterexamples replay too
)

func TestCheckHeldExitsZero(t *testing.T) {
	out, errOut, code := runArgs(t, "check", "--variant", "qos2-a", "--tests", "500", "--seed", "3")
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"property exactly-once (eventually) for variant qos2-a", "verdict:   held",
		"schedules: 500 tried in", "(seed 3,"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A counterexample exits 1 and prints the shrunk schedule, its diagram and a
// replay line; the replay line, run as given, shows the same violation.
func TestCheckCounterexampleReplays(t *testing.T) {
	out, errOut, code := runArgs(t, "check", "--variant", "qos2-b", "--mode", "datagram", "--actions", "delay",
		"--max-delay", "300", "--tests", "2000")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"verdict:   VIOLATED", "schedule:  delay PUBLISH#1 +121", "C --- PUBLISH id=1 q2 dup m1 ---> S",
		"no-duplicate: m1 delivered again"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "exactly-once violated: no-duplicate") {
		t.Errorf("stderr %q lacks the verdict", errOut)
	}
	line := regexp.MustCompile(`(?m)^replay: +(simulate run .*)$`).FindStringSubmatch(out)
	if line == nil {
		t.Fatalf("no replay line:\n%s", out)
	}
	args := splitCommand(t, line[1])[1:]
	runOut, _, code := runArgs(t, args...)
	if code != 0 || !strings.Contains(runOut, "1 published, 0 exactly once, 1 duplicated, 0 lost") {
		t.Fatalf("replay %q: exit %d, want the duplicate again:\n%s", line[1], code, runOut)
	}
	// The same settings through the flag parser and the property checker
	// give the violation the search reported.
	_, err := properties.Run(configFrom(t, args[1:]), properties.ExactlyOnce)
	if err == nil || !strings.Contains(out, err.Error()) {
		t.Fatalf("replayed run gives %v; want the reported violation", err)
	}
}

// The outcome depends on the seed, never on the number of workers.
func TestCheckReproducibleAcrossWorkers(t *testing.T) {
	var outs []string
	for _, w := range []string{"1", "2", "3"} {
		out, _, code := runArgs(t, "check", "--variant", "qos2-a", "--mode", "datagram", "--max-delay", "300",
			"--jitter", "40", "--tests", "3000", "--seed", "11", "--workers", w)
		if code != 1 {
			t.Fatalf("workers %s: exit %d, want 1\n%s", w, code, out)
		}
		outs = append(outs, stable(out))
	}
	for i := 1; i < len(outs); i++ {
		if outs[i] != outs[0] {
			t.Errorf("workers differ:\n%s\n---\n%s", outs[0], outs[i])
		}
	}
}

// stable drops the line with timings and worker count.
func stable(out string) string {
	return regexp.MustCompile(`(?m)^schedules:.*$`).ReplaceAllString(out, "")
}

func TestCheckBadUsageExitsTwo(t *testing.T) {
	cases := map[string][]string{
		`--property: unknown property "fast"`:         {"check", "--property", "fast"},
		"--tests 0: allowed 1..100000000":             {"check", "--tests", "0"},
		"--faults: check draws its own schedules":     {"check", "--faults", "lose PUBREC#1"},
		"--actions: lose needs --mode datagram":       {"check", "--actions", "lose"},
		"--actions: break needs --mode stream":        {"check", "--mode", "datagram", "--actions", "break"},
		`--actions: "jump"`:                           {"check", "--actions", "jump"},
		`--nodes: node "broker"`:                      {"check", "--nodes", "broker"},
		`unknown variant "qos9"`:                      {"check", "--variant", "qos9"},
		"--max-messages 0: allowed 1..1000":           {"check", "--max-messages", "0"},
		`unexpected argument "now"`:                   {"check", "now"},
		"--workers -1: must not be negative":          {"check", "--workers", "-1"},
		"--messages: check draws the number":          {"check", "--messages", "4"},
		"--distinct-payloads: check draws":            {"check", "--distinct-payloads", "1"},
		"--max-delay -1: allowed 0..1000000000 ticks": {"check", "--max-delay", "-1"},
		"--max-faults 101: allowed 0..100":            {"check", "--max-faults", "101"},
		"--mode: mode \"udp\"":                        {"check", "--mode", "udp"},
		"loss/dup: per-packet faults need mode data":  {"check", "--loss", "0.1"},
	}
	for want, args := range cases {
		_, errOut, code := runArgs(t, args...)
		if code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("simulate %v: exit %d, stderr %q; want exit 2 and %q", args, code, errOut, want)
		}
	}
}

// Every counterexample pinned in properties/testdata replays from its
// replay line: the line parses with the run flags, and the run it describes
// shows the violation the golden file records.
func TestPinnedCounterexamplesReplay(t *testing.T) {
	files, err := filepath.Glob("../properties/testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	header := regexp.MustCompile(`property (\S+), search seed`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		replay := regexp.MustCompile(`(?m)^replay: (simulate run .*)$`).FindStringSubmatch(text)
		prop := header.FindStringSubmatch(text)
		if replay == nil || prop == nil {
			t.Fatalf("%s: no replay line or property", f)
		}
		args := splitCommand(t, replay[1])[2:]
		variant := args[1]
		if _, err := model.Lookup(variant); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		p, err := properties.Lookup(prop[1])
		if err != nil {
			t.Fatal(err)
		}
		_, err = properties.Run(configFrom(t, args), p)
		var vs properties.Error
		if !errors.As(err, &vs) {
			t.Errorf("%s: replay gives %v, want a violation", f, err)
			continue
		}
		for _, v := range vs {
			if !strings.Contains(text, "violation: "+v.String()+"\n") {
				t.Errorf("%s: replay shows %q, not recorded in the golden file", f, v)
			}
		}
	}
}

// The check example in docs/properties.md is the command's output, but for
// the line with timings.
func TestPropertiesDocExampleIsCurrent(t *testing.T) {
	doc, err := os.ReadFile("../docs/properties.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```text\n\\$ simulate (check [^\n]*)\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/properties.md has no simulate check example")
	}
	args := splitCommand(t, string(m[1]))
	out, _, code := runArgs(t, args...)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if stable(out) != stable(string(m[2])) {
		t.Errorf("docs/properties.md example is stale; the command now prints:\n%s", out)
	}
}

// --max-faults 0 searches workloads and network settings alone: a timer
// shorter than the longest round trip breaks QoS 2 over datagrams without a
// single fault.
func TestCheckWithoutFaults(t *testing.T) {
	out, _, code := runArgs(t, "check", "--variant", "qos2-b", "--mode", "datagram", "--retry", "30", "--jitter", "10",
		"--max-faults", "0", "--tests", "1000")
	if code != 1 || !strings.Contains(out, "schedule:  (no faults") || !strings.Contains(out, "--retry 30 --jitter") {
		t.Fatalf("exit %d, want a fault-free counterexample:\n%s", code, out)
	}
	out, _, code = runArgs(t, "check", "--variant", "qos2-b", "--mode", "datagram", "--retry", "60", "--jitter", "10",
		"--max-faults", "0", "--tests", "1000")
	if code != 0 {
		t.Fatalf("timer above the longest round trip: exit %d, want 0\n%s", code, out)
	}
}

// With its default search space, check finds each two-packet store's
// failure and each reference QoS's weakness, and QoS 2 holds: a user who
// runs `simulate check --variant V` without tuning flags gets the verdict
// the design document states.
func TestCheckDefaultsReachEveryVerdict(t *testing.T) {
	cases := []struct {
		variant, property string
		code              int
	}{
		{"qos0", "exactly-once", 1}, {"qos1", "exactly-once", 1},
		{"qos2-a", "exactly-once", 0}, {"qos2-b", "exactly-once", 0},
		{"two-packet-pid", "exactly-once", 1}, {"two-packet-pid-ttl", "exactly-once", 1},
		{"two-packet-pid-ttl", "no-duplicate", 1},
		{"two-packet-content", "exactly-once", 1},
		{"two-packet-msgid", "exactly-once", 0}, {"two-packet-msgid", "bounded-state", 1},
		{"two-packet-dup-flag", "exactly-once", 1}, {"three-packet", "exactly-once", 1},
	}
	for _, c := range cases {
		out, errOut, code := runArgs(t, "check", "--variant", c.variant, "--property", c.property, "--tests", "2000")
		if code != c.code {
			t.Errorf("check --variant %s --property %s: exit %d, want %d\n%s%s", c.variant, c.property, code, c.code, out, errOut)
		}
	}
}
