package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every command docs/scenarios.md shows runs, from the repository root as the
// docs say, and its documented output is what it prints.
func TestScenarioDocCommands(t *testing.T) {
	doc, err := os.ReadFile("../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("..")
	lines := regexp.MustCompile(`(?m)^go run \./cmd/simulate(.*?)(?:\s+#.*)?$`).FindAllStringSubmatch(string(doc), -1)
	if len(lines) < 5 {
		t.Fatalf("found %d command lines in docs/scenarios.md", len(lines))
	}
	for _, m := range lines {
		if testing.Short() && strings.Contains(m[1], "--check") {
			continue
		}
		if _, errOut, code := runArgs(t, splitCommand(t, strings.TrimSpace(m[1]))...); code != 0 {
			t.Errorf("%q: exit %d: %s", m[0], code, errOut)
		}
	}
	blocks := regexp.MustCompile("(?s)<!-- example-(output|stderr): (.*?) -->\n```text\n(.*?)```").FindAllSubmatch(doc, -1)
	if len(blocks) < 2 {
		t.Fatalf("found %d example blocks", len(blocks))
	}
	for _, b := range blocks {
		out, errOut, code := runArgs(t, splitCommand(t, string(b[2]))...)
		switch string(b[1]) {
		case "output":
			if code != 0 || out != string(b[3]) {
				t.Errorf("simulate %s: exit %d; the documented output is stale, it now prints:\n%s%s", b[2], code, out, errOut)
			}
		case "stderr":
			if code != 2 || errOut != string(b[3]) {
				t.Errorf("simulate %s: exit %d; the documented error is stale, it now prints:\n%s", b[2], code, errOut)
			}
		}
	}
}
