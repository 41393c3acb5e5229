package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// run's summary names every message that was not simply delivered once,
// with what happened to it, including a message whose flow never completed
// (counted once, not called a success); --check turns a violation into exit
// 1 for scripts, judged as simulate check judges a schedule.
func TestRunNamesTroubledMessagesAndChecks(t *testing.T) {
	cases := []struct {
		args   []string
		code   int
		want   []string
		reject string
	}{
		{[]string{"run", "--check", "--mode", "datagram", "--messages", "1", "--faults", "dup PUBLISH#1 +21"}, 1,
			[]string{"delivery:  1 published, 0 exactly once, 1 duplicated, 0 lost, 0 abandoned", "messages:  m1 duplicated (delivered 2 times)",
				"violated:  no-duplicate: m1 delivered again"}, ""},
		{[]string{"run", "--check", "--variant", "two-packet-pid", "--messages", "2", "--receive-max", "1"}, 1,
			[]string{"1 lost, 0 abandoned", "m2 lost (completed by the publisher, never delivered)", "violated:  no-loss: m2 completed"}, ""},
		{[]string{"run", "--check", "--variant", "qos2-a", "--volatile", "--messages", "1", "--faults", "crash server after-recv PUBLISH#1"}, 0,
			[]string{"0 lost, 1 abandoned", "m1 abandoned (session discarded: the peer has no session; the application was told)"}, "violated:"},
		// The client crashes for good before PUBCOMP: m1 was delivered
		// once, but its flow never ended.
		{[]string{"run", "--check", "--variant", "qos2-b", "--messages", "1", "--restart", "1000000000", "--faults", "crash client after-recv PUBREC#1"}, 1,
			[]string{"m1 never completed (delivered once; its flow was still open at the end)", "violated:  no-loss: m1 never completed"}, ""},
		{[]string{"run", "--variant", "qos2-b", "--messages", "1", "--restart", "1000000000", "--faults", "crash client after-recv PUBREC#1"}, 0,
			[]string{"m1 never completed"}, "violated:"},
		{[]string{"run", "--messages", "2"}, 0, []string{"2 exactly once, 0 duplicated, 0 lost, 0 abandoned"}, "messages:"},
	}
	for _, c := range cases {
		out, errOut, code := runArgs(t, c.args...)
		if code != c.code {
			t.Errorf("simulate %s: exit %d, want %d\n%s%s", strings.Join(c.args, " "), code, c.code, out, errOut)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("simulate %s: output lacks %q\n%s", strings.Join(c.args, " "), w, out)
			}
		}
		if c.reject != "" && strings.Contains(out, c.reject) {
			t.Errorf("simulate %s: output has %q\n%s", strings.Join(c.args, " "), c.reject, out)
		}
	}
	out, _, code := runArgs(t, "run", "--check", "--format", "json", "--mode", "datagram", "--messages", "1", "--faults", "dup PUBLISH#1 +21")
	if code != 1 || !strings.Contains(out, `"violations": [`) || !strings.Contains(out, `"abandoned": 0`) || !strings.Contains(out, `"never_completed": 0`) {
		t.Errorf("run --check --format json: exit %d\n%s", code, out)
	}
	for want, args := range map[string][]string{
		"--property no-loss: applies with --check only":  {"run", "--property", "no-loss"},
		`--property: unknown property "fast"`:            {"run", "--check", "--property", "fast"},
		"--check: a scenario judges its runs by its own": {"run", "--check", "--scenario", "break-point-1"},
		"--check: judges runs of at most 10000 messages": {"run", "--check", "--messages", "20000"},
	} {
		if _, errOut, code := runArgs(t, args...); code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("simulate %v: exit %d, stderr %q; want exit 2 and %q", args, code, errOut, want)
		}
	}
}

// --max-mem takes units: 8GiB, 512MiB, 1.5GB; a bare number is MiB, as
// before units.
func TestMemSizeUnits(t *testing.T) {
	for in, want := range map[string]uint64{"8GiB": 8 << 30, "512MiB": 512 << 20, "512": 512 << 20, "1.5GB": 1_500_000_000,
		"2gib": 2 << 30, "1TiB": 1 << 40, "1048576B": 1 << 20, " 4 GiB ": 4 << 30} {
		var m memSize
		if err := m.Set(in); err != nil || uint64(m) != want {
			t.Errorf("%q: %d, %v; want %d", in, m, err, want)
		}
	}
	for _, bad := range []string{"", "GiB", "8XB", "-1GiB", "0", "1KiB", "2PiB", "NaN"} {
		var m memSize
		if err := m.Set(bad); err == nil {
			t.Errorf("%q accepted as %d bytes", bad, m)
		}
	}
	m := memSize(3 << 30)
	if m.String() != "3GiB" {
		t.Errorf("3 GiB prints as %s", m.String())
	}
}

// --version names the build; a mistyped command gets the nearest one.
func TestVersionAndNearestCommand(t *testing.T) {
	for _, flag := range []string{"--version", "version"} {
		out, _, code := runArgs(t, flag)
		if code != 0 || !strings.HasPrefix(out, "simulate (qoslab) ") || !strings.Contains(out, ", go1.") {
			t.Errorf("%s: exit %d, %q", flag, code, out)
		}
	}
	if _, errOut, code := runArgs(t, "--version", "x"); code != 2 || !strings.Contains(errOut, `unexpected argument "x"`) {
		t.Errorf("--version x: exit %d, %q", code, errOut)
	}
	for typed, want := range map[string]string{"chek": "check", "exlpore": "explore", "Run": "run", "comprae": "compare",
		"scen": "scenarios", "sweeep": "sweep", "varients": "variants"} {
		_, errOut, code := runArgs(t, typed)
		if code != 2 || !strings.Contains(errOut, "did you mean "+want+"?") {
			t.Errorf("%s: exit %d, %q; want a hint at %s", typed, code, errOut, want)
		}
	}
	if _, errOut, _ := runArgs(t, "fly"); strings.Contains(errOut, "did you mean") {
		t.Errorf("fly: %q guesses a command it is nothing like", errOut)
	}
}

// run --scenario --format json keeps each variant's run, trace included,
// as run --format json gives it, for a single-run scenario.
func TestScenarioJSONKeepsTheTrace(t *testing.T) {
	out, errOut, code := runArgs(t, "run", "--scenario", "break-point-2", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Reports []struct {
			Variant string `json:"variant"`
			Run     *struct {
				Command string            `json:"command"`
				Trace   []json.RawMessage `json:"trace"`
			} `json:"run"`
		} `json:"reports"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Reports) < 2 {
		t.Fatalf("%d reports", len(doc.Reports))
	}
	for _, r := range doc.Reports {
		if r.Run == nil || len(r.Run.Trace) < 10 || !strings.Contains(r.Run.Command, "--variant "+r.Variant) {
			t.Errorf("%s: no run with its trace in the JSON", r.Variant)
		}
	}
}
