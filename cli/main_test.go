package cli

import (
	"bytes"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

func runArgs(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := exitCode(run(&out, &errb, args), &errb)
	return out.String(), errb.String(), code
}

func TestDefaultRunShowsTheHeadlineAndTheCommands(t *testing.T) {
	out := defaultOutput(t)
	for _, want := range []string{`\| network +\| +variant +\|`, `\| clean +\| qos2-a +\|`, `\| flapping +\| qos2-b +\|`, `\| lossy +\|`,
		"400 seeded runs per row", regexp.QuoteMeta(headlineCommand), `The commands: simulate --help\.\n$`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("default output lacks %q:\n%s", want, out)
		}
	}
	// The usage text is --help's, not appended to the headline.
	var usage strings.Builder
	writeUsage(&usage)
	if strings.Contains(out, "usage: simulate COMMAND") || strings.Contains(out, strings.SplitN(usage.String(), "\n", 2)[0]) {
		t.Errorf("the headline appends the usage text:\n%s", out)
	}
	// Every registered variant is in the headline, under every network.
	for _, v := range model.Names() {
		for _, p := range strings.Split(headlineProfiles, ",") {
			if !regexp.MustCompile(`\| ` + p + ` +\| ` + regexp.QuoteMeta(v) + ` +\|`).MatchString(out) {
				t.Errorf("headline lacks %s under %s", v, p)
			}
		}
	}
}

func TestBadInputExitsTwoAndNamesTheField(t *testing.T) {
	cases := map[string][]string{
		"--loss 1.5: a probability, allowed 0..1": {"run", "--mode", "datagram", "--loss", "1.5"},
		`unknown variant "qos7"`:                  {"run", "--variant", "qos7"},
		`--mode: mode "tcp"`:                      {"run", "--mode", "tcp"},
		`unknown command "fly"`:                   {"fly"},
		"--faults: fault 1":                       {"run", "--faults", "lose PUBREC"},
		"--messages 0: allowed 1..":               {"run", "--messages", "0"},
		"--bogus: not a flag of simulate run":     {"run", "--bogus"},
		`--format "svg"`:                          {"run", "--format", "svg"},
		`unexpected argument "extra"`:             {"run", "extra"},
	}
	for want, args := range cases {
		_, errOut, code := runArgs(t, args...)
		if code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("simulate %v: exit %d, stderr %q; want exit 2 and %q", args, code, errOut, want)
		}
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"run", "--help"}, {"variants", "-h"}, {"compare", "--help"}, {"sweep", "--help"}, {"merge", "--help"}, {"docs", "--help"}} {
		if _, _, code := runArgs(t, args...); code != 0 {
			t.Errorf("simulate %v: exit %d, want 0", args, code)
		}
	}
}

// The replay command printed for a run parses back to the same config.
func TestReplayCommandRoundTrips(t *testing.T) {
	args := []string{"--variant", "qos2-a", "--mode", "datagram", "--seed", "42", "--messages", "7", "--loss", "0.25",
		"--jitter", "6", "--mqtt", "3.1.1", "--id-policy", "sequential", "--ids", "9", "--faults", "lose PUBREC#1; dup PUBLISH#2",
		"--topology", "broker", "--sub-variant", "qos2-b", "--volatile", "--heal", "500", "--payload-bytes", "20"}
	cfg := configFrom(t, args)
	line := cfg.Command()
	again := configFrom(t, splitCommand(t, line)[2:])
	if again.Command() != line {
		t.Fatalf("replay line does not round-trip:\n%s\n%s", line, again.Command())
	}
	if again.Network != cfg.Network || again.Endpoint != cfg.Endpoint || again.Workload != cfg.Workload ||
		again.Faults.String() != cfg.Faults.String() || again.Seed != cfg.Seed || again.Variant != cfg.Variant {
		t.Fatalf("configs differ:\n%+v\n%+v", cfg, again)
	}
}

func configFrom(t *testing.T, args []string) (c sim.Config) {
	t.Helper()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	rf := addRunFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	c, err := rf.config()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// splitCommand splits a shell line with double-quoted words.
func splitCommand(t *testing.T, line string) []string {
	t.Helper()
	return splitArgs(line)
}

// The README's example block is the real output of its command.
func TestReadmeExampleIsCurrent(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- example-output: (.*?) -->\n```text\n(.*?)```")
	blocks := re.FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("README has no example-output block")
	}
	for _, b := range blocks {
		args := splitCommand(t, string(b[1]))
		out, errOut, code := runArgs(t, args...)
		if code != 0 {
			t.Fatalf("README command %q: exit %d: %s", b[1], code, errOut)
		}
		if out != string(b[2]) {
			t.Errorf("README output of %q is stale; run it and paste:\n%s", b[1], out)
		}
	}
}

// Every `go run ./cmd/simulate ...` line in the README runs with the exit
// status it states ("# exit 1: ..."; 0 when it states none).
func TestReadmeCommandsRun(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^go run \./cmd/simulate(.*?)(?:\s+#\s*(.*))?$`)
	found := 0
	for _, m := range re.FindAllStringSubmatch(string(readme), -1) {
		found++
		args := splitCommand(t, strings.TrimSpace(m[1]))
		want := 0 // a comment "# exit N: ..." states another status
		if e := regexp.MustCompile(`^exit (\d)`).FindStringSubmatch(m[2]); e != nil {
			want = int(e[1][0] - '0')
		}
		if _, errOut, code := runArgs(t, args...); code != want {
			t.Errorf("README line %q: exit %d, want %d: %s", m[0], code, want, errOut)
		}
	}
	if found < 2 {
		t.Fatalf("found %d README command lines, want at least 2", found)
	}
}
