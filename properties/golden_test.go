package properties

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current counterexamples")

// long scales the searches of the tests up, for a deeper search than the
// default run affords: go test ./properties -run Holds -long.
var long = flag.Bool("long", false, "run the searches that must hold with 100 times as many schedules")

func scaled(tests int) int {
	if *long {
		return tests * 100
	}
	return tests
}

// goldenText is what a golden file keeps of a counterexample: the shrunk
// case, its violations, its replay line and its sequence diagram.
func goldenText(r Report) string {
	c := r.Counterexample
	var b strings.Builder
	s := r.Search
	topology := ""
	if s.Config.Topology != sim.Direct {
		topology = s.Config.Topology.String() + " topology, "
	}
	fmt.Fprintf(&b, "variant %s, %s%s mode, MQTT %s, property %s, search seed %d\n", s.Config.Variant, topology,
		s.Config.Endpoint.Mode, s.Config.Endpoint.Version, s.Property.Name, s.Seed)
	fmt.Fprintf(&b, "shrunk: %v\n", c.Case)
	for _, v := range c.Violations {
		fmt.Fprintf(&b, "violation: %s\n", v)
	}
	fmt.Fprintf(&b, "replay: %s\n\n%s", c.Command(), c.Diagram())
	return b.String()
}

// checkGolden compares got with testdata/name.txt, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./properties -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("counterexample differs from %s (go test ./properties -update rewrites it)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

// expectFailure runs a search that must find a counterexample no bigger
// than maxFaults faults and maxMessages messages, and compares it with its
// golden file. A failure prints the search seed and the replay command.
func expectFailure(t *testing.T, golden string, s Search, maxFaults, maxMessages int) Report {
	t.Helper()
	r, err := s.Run()
	if err != nil {
		t.Fatalf("search settings: %v", err)
	}
	if r.Held {
		t.Fatalf("want a counterexample, none in %d schedules (seed %d):\n%s", r.Tried, s.Seed, r)
	}
	c := r.Counterexample
	if f, m := c.Case.Size(); f > maxFaults || m > maxMessages {
		t.Errorf("counterexample has %d fault(s) and %d message(s), want at most %d and %d\n%s", f, m, maxFaults, maxMessages, r)
	}
	checkGolden(t, golden, goldenText(r))
	return r
}

// The counterexamples quoted in docs/properties.md are the pinned ones: each
// quoted block (from its replay line to the end of its diagram) appears in a
// golden file.
func TestDocQuotesGoldenFiles(t *testing.T) {
	doc, err := os.ReadFile("../docs/properties.md")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/*.txt")
	var goldens []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		goldens = append(goldens, string(b))
	}
	blocks := regexp.MustCompile("(?s)```text\n(replay: .*?)```").FindAllSubmatch(doc, -1)
	if len(blocks) < 3 {
		t.Fatalf("found %d quoted counterexamples in docs/properties.md, want at least 3", len(blocks))
	}
	for _, b := range blocks {
		found := false
		for _, g := range goldens {
			found = found || strings.Contains(g, string(b[1]))
		}
		if !found {
			t.Errorf("docs/properties.md quotes a counterexample no golden file holds:\n%s", b[1])
		}
	}
}
