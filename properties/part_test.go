package properties

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
	"github.com/qoslab/qoslab/study"
)

// summary is what a merged report must share with the unsharded one.
func summary(r Report) []string {
	s := []string{r.Search.Config.Variant, strconv.FormatBool(r.Held), strconv.Itoa(r.Tried), strconv.Itoa(r.Abandoned), strconv.Itoa(r.AbandonedCases)}
	if c := r.Counterexample; c != nil {
		s = append(s, c.Original.String(), c.Case.String(), strconv.Itoa(c.Shrinks), strconv.Itoa(c.Shard), c.Command(), c.Diagram())
		for _, v := range c.Violations {
			s = append(s, v.String())
		}
	}
	return s
}

// runParts runs s in n parts, each report through JSON as a swarm's files
// carry it.
func runParts(t *testing.T, s Search, n int) []PartReport {
	t.Helper()
	var parts []PartReport
	for i := range n {
		s.Part = study.Shard{Index: i, Count: n}
		p, err := s.RunPart()
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back PartReport
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, back)
	}
	return parts
}

// A search run as parts and merged reports what the unsharded search
// reports: the verdict, the cases tried, the abandoned counts and the
// counterexample of the lowest failing shard, whichever part found it and
// whatever the parts found beyond it.
func TestPartsMergeToTheUnshardedReport(t *testing.T) {
	searches := []Search{
		// fails in shard 1 (at the 355th schedule)
		{Config: sim.Config{Variant: "qos2-a", Endpoint: model.Config{Mode: model.Datagram}},
			Space: Space{MaxDelayTicks: 300, MaxJitterTicks: 40}, Tests: 4000, Seed: 9},
		// holds, with 71 abandoned messages (a volatile server's crash)
		{Config: sim.Config{Variant: "qos2-b", Endpoint: model.Config{Volatile: true}},
			Space: Space{MaxMessages: 1, Actions: []sim.Action{sim.Crash}}, Tests: 900, Seed: 3},
		// fails at once
		{Config: sim.Config{Variant: "qos1"}, Tests: 1000, Seed: 1},
	}
	for _, s := range searches {
		want, err := s.Run()
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 2, 3, 7} {
			got, err := s.Merge(runParts(t, s, n))
			if err != nil {
				t.Fatalf("%s in %d parts: %v", s.Config.Variant, n, err)
			}
			if g, w := summary(got), summary(want); !reflect.DeepEqual(g, w) {
				t.Errorf("%s in %d parts:\ngot  %q\nwant %q", s.Config.Variant, n, g, w)
			}
		}
	}
}

// Merge refuses what would not give the unsharded report.
func TestMergeRefusesIncompleteParts(t *testing.T) {
	s := Search{Config: sim.Config{Variant: "qos2-b"}, Space: Space{MaxMessages: 2}, Tests: 1000, Seed: 2}
	parts := runParts(t, s, 3)
	interrupted := append([]PartReport(nil), parts...)
	interrupted[1].Interrupted = true
	short := append([]PartReport(nil), parts...)
	short[2].Shards = append([]ShardOutcome(nil), short[2].Shards...)
	short[2].Shards[0].Tried--
	other := runParts(t, s, 2)
	cases := map[string][]PartReport{
		"part 2/3 missing":               parts[:2],
		"part 1/3 given twice":           {parts[0], parts[1], parts[1], parts[2]},
		"part 1/3 was interrupted":       interrupted,
		"tried 199 of its 200 cases":     short,
		"the others split the search in": {parts[0], parts[1], other[1]},
		"no parts":                       nil,
	}
	for want, ps := range cases {
		if _, err := s.Merge(ps); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error with %q, got %v", want, err)
		}
	}
}
