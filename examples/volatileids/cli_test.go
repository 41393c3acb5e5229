package volatileids

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/cli"
)

// simulate runs qoslab's command line in this process, with this
// package's variant and property registered, as cmd/simulate-volatileids
// does.
func simulate(t *testing.T, want int, args ...string) string {
	t.Helper()
	var out, errs bytes.Buffer
	if got := cli.Run(&out, &errs, args); got != want {
		t.Fatalf("simulate %s: exit %d, want %d\n%s%s", strings.Join(args, " "), got, want, out.String(), errs.String())
	}
	return out.String()
}

// The command line knows the variant and the property, and finds what the
// tests above find: a duplicate after a server crash (exit 1), the
// property held by QoS 2 without faults (exit 0).
func TestCommandLine(t *testing.T) {
	if out := simulate(t, 0, "variants"); !strings.Contains(out, Name) {
		t.Errorf("variants does not list %s:\n%s", Name, out)
	}
	out := simulate(t, 1, "check", "--variant", Name, "--property", "no-duplicate", "--actions", "crash", "--tests", "2000")
	if !strings.Contains(out, "crash server") {
		t.Errorf("check found no server crash:\n%s", out)
	}
	simulate(t, 0, "check", "--variant", "qos2-b", "--property", "delivered-in-time", "--max-faults", "0", "--tests", "200")
	simulate(t, 2, "check", "--property", "delivered-late")
}

// The commands docs/variants.md shows for this module run as it says.
func TestVariantsDocCommands(t *testing.T) {
	doc, err := os.ReadFile("../../docs/variants.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^go run \./cmd/simulate-volatileids (.*?)(?:\s+#\s*exit (\d))?$`)
	lines := re.FindAllStringSubmatch(string(doc), -1)
	if len(lines) == 0 {
		t.Fatal("docs/variants.md shows no command of this module")
	}
	for _, l := range lines {
		want := 0
		if l[2] != "" {
			want = int(l[2][0] - '0')
		}
		simulate(t, want, strings.Fields(l[1])...)
	}
}
