package cli

import (
	"encoding/json"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestExploreExitStatus(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"explore", "--variant", "qos2-a", "--messages", "3", "--breaks", "2", "--ids", "2"}, 0, "PROVEN within the bounds"},
		{[]string{"explore", "--variant", "qos2-b", "--mode", "datagram", "--messages", "1", "--dups", "1", "--reorder"}, 1, "VIOLATED: no-duplicate (m1) violated after 6 steps"},
		{[]string{"explore", "--messages", "3", "--breaks", "2", "--max-states", "50", "--quiet"}, 3, "INCOMPLETE: stopped at"},
	}
	for _, c := range cases {
		out, errOut, code := runArgs(t, c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("simulate %v: exit %d, want %d; output lacks %q:\n%s%s", c.args, code, c.code, c.want, out, errOut)
		}
	}
}

func TestExploreBadInputExitsTwo(t *testing.T) {
	cases := map[string][]string{
		"--messages 0: allowed 1..16":                         {"explore", "--messages", "0"},
		"breaks 1: connection breaks need mode":               {"explore", "--mode", "datagram", "--breaks", "1"},
		`--search: search "dfs"`:                              {"explore", "--search", "dfs"},
		`--format "svg"`:                                      {"states", "--format", "svg"},
		"per-packet network behaviours need":                  {"explore", "--dups", "1"},
		`--max-mem "0": allowed 1MiB..1PiB`:                   {"explore", "--max-mem", "0"},
		`--max-mem "8XB": want a size such as 512MiB or 8GiB`: {"explore", "--max-mem", "8XB"},
	}
	for want, args := range cases {
		_, errOut, code := runArgs(t, args...)
		if code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("simulate %v: exit %d, stderr %q; want exit 2 and %q", args, code, errOut, want)
		}
	}
}

// The replay line explore prints runs in the simulator and shows the
// duplicate the explorer found.
func TestExploreReplayLineReproducesInRun(t *testing.T) {
	out, _, code := runArgs(t, "explore", "--variant", "qos2-a", "--mode", "datagram", "--messages", "1", "--dups", "1", "--reorder")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "replay:") {
			line = strings.TrimSpace(strings.TrimPrefix(l, "replay:"))
		}
	}
	words := splitCommand(t, line)
	if len(words) < 3 || words[0] != "simulate" {
		t.Fatalf("no replay line in:\n%s", out)
	}
	runOut, errOut, code := runArgs(t, words[1:]...)
	if code != 0 || !strings.Contains(runOut, "1 published, 0 exactly once, 1 duplicated, 0 lost") {
		t.Errorf("%s: exit %d\n%s%s", line, code, runOut, errOut)
	}
}

func TestStatesDrawsBothEndpoints(t *testing.T) {
	out, _, code := runArgs(t, "states", "--variant", "qos2-b", "--breaks", "1")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"stateDiagram-v2", "title: client (sender)", "title: server (receiver)",
		"digraph client {", "digraph server {", "s1 --> s0 : PUBLISH / deliver, PUBREC", "PUBREC / PUBREL"} {
		if !strings.Contains(out, want) {
			t.Errorf("states output lacks %q:\n%s", want, out)
		}
	}
}

// timeLine is the one line of explore's output that differs run to run.
var timeLine = regexp.MustCompile(`(?m)^time: .*\n`)

// docs/explore.md shows real output: each "output:" block is what its
// command prints today (the time line aside).
func TestExploreDocOutputsAreCurrent(t *testing.T) {
	doc, err := os.ReadFile("../docs/explore.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- output: (.*?) -->\n(.*?)<!-- end output -->")
	blocks := re.FindAllSubmatch(doc, -1)
	if len(blocks) < 6 {
		t.Fatalf("docs/explore.md has %d output blocks, want at least 6", len(blocks))
	}
	updated := string(doc)
	for _, b := range blocks {
		args := splitCommand(t, string(b[1]))
		out, errOut, code := runArgs(t, args...)
		if code != 0 && code != 1 {
			t.Fatalf("docs command %q: exit %d: %s", b[1], code, errOut)
		}
		want := string(b[2])
		fenced := args[0] == "explore" && !strings.Contains(string(b[1]), "--networks")
		if fenced {
			want = strings.TrimSuffix(strings.TrimPrefix(want, "```text\n"), "```\n")
		}
		if timeLine.ReplaceAllString(out, "") == timeLine.ReplaceAllString(want, "") {
			continue
		}
		if *updateDocs {
			fresh := out
			if fenced {
				fresh = "```text\n" + out + "```\n"
			}
			updated = strings.Replace(updated, string(b[0]), "<!-- output: "+string(b[1])+" -->\n"+fresh+"<!-- end output -->", 1)
			continue
		}
		t.Errorf("docs/explore.md output of %q is stale; run it and paste (or go test ./cli -update):\n%s", b[1], out)
	}
	if *updateDocs && updated != string(doc) {
		if err := os.WriteFile("../docs/explore.md", []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// go generate ./... rewrites the outputs quoted in docs/explore.md.
//
//go:generate go test -run "TestExploreDocOutputsAreCurrent|TestCheckAgreesWithExploreOnEveryDatagramNetwork" -update

var updateDocs = flag.Bool("update", false, "rewrite the generated blocks of docs/explore.md")

// Every `go run ./cmd/simulate ...` line in docs/explore.md runs with the
// exit status it states ("# exit 1"; 0 when it states none).
func TestExploreDocCommandsRun(t *testing.T) {
	doc, err := os.ReadFile("../docs/explore.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^go run \./cmd/simulate (.*?)(?:\s+# exit (\d))?$`)
	lines := re.FindAllStringSubmatch(string(doc), -1)
	if len(lines) < 6 {
		t.Fatalf("found %d command lines, want at least 6", len(lines))
	}
	for _, m := range lines {
		want := 0
		if m[2] != "" {
			want = int(m[2][0] - '0')
		}
		args := append(splitCommand(t, m[1]), "--quiet")
		if args[0] == "states" {
			args = args[:len(args)-1]
		}
		if _, errOut, code := runArgs(t, args...); code != want {
			t.Errorf("docs line %q: exit %d, want %d: %s", m[0], code, want, errOut)
		}
	}
}

func TestExploreJSON(t *testing.T) {
	out, _, code := runArgs(t, "explore", "--variant", "two-packet-pid", "--messages", "2", "--ids", "1", "--format", "json")
	var got struct {
		Verdict    string   `json:"verdict"`
		States     int      `json:"states"`
		Property   string   `json:"property"`
		Msg        int      `json:"msg"`
		Trace      []string `json:"trace"`
		Replay     string   `json:"replay"`
		Reproduced bool     `json:"reproduced"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 1 {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if got.Verdict != "violated" || got.States != 18 || got.Property != "no-loss" || got.Msg != 2 || len(got.Trace) != 9 ||
		!got.Reproduced || !strings.HasPrefix(got.Replay, "simulate run --variant two-packet-pid") {
		t.Errorf("got %+v", got)
	}
}
