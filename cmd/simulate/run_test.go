package main

import (
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
