package study

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/sim"
)

// smallCompare is a compare study of QoS 2 over every profile, small
// enough for the default test run.
func smallCompare(t testing.TB, runs int) (Study, []sim.Config) {
	t.Helper()
	st, cells, err := Compare(sim.Config{Workload: sim.Workload{Messages: 20}}, []string{"qos2-a", "qos2-b"}, Profiles, runs, 1)
	if err != nil {
		t.Fatal(err)
	}
	return st, cells
}

func encode(t testing.TB, r *Results) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := r.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func execute(t testing.TB, p Plan) []Acc {
	t.Helper()
	accs, done, err := Execute(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if done != int64(p.Total()) {
		t.Fatalf("done %d of %d", done, p.Total())
	}
	return accs
}

// The results are byte-identical whatever the number of workers, and the
// shards of a study merge into exactly the unsharded results.
func TestResultsDoNotDependOnWorkersOrShards(t *testing.T) {
	st, cells := smallCompare(t, 30)
	want := encode(t, NewResults(st, Shard{}, int64(30*len(cells)), execute(t, Plan{Cells: cells, Runs: 30, Seed: 1, Workers: 1})))
	for _, w := range []int{2, 3, 8} {
		got := encode(t, NewResults(st, Shard{}, int64(30*len(cells)), execute(t, Plan{Cells: cells, Runs: 30, Seed: 1, Workers: w})))
		if !bytes.Equal(got, want) {
			t.Fatalf("%d workers give different results", w)
		}
	}
	for _, n := range []int{2, 4, 7} {
		var parts []*Results
		var names []string
		// Merge in reverse shard order: order must not matter either.
		for i := n - 1; i >= 0; i-- {
			sh := Shard{i, n}
			p := Plan{Cells: cells, Runs: 30, Seed: 1, Shard: sh, Workers: 2}
			r := NewResults(st, sh, int64(p.Total()), execute(t, p))
			back, err := ReadResults(bytes.NewReader(encode(t, r)), sh.String())
			if err != nil {
				t.Fatal(err)
			}
			parts, names = append(parts, back), append(names, sh.String())
		}
		merged, err := Merge(parts, names)
		if err != nil {
			t.Fatal(err)
		}
		if got := encode(t, merged); !bytes.Equal(got, want) {
			t.Fatalf("%d shards merged differ from the unsharded results", n)
		}
	}
}

func TestMergeRefusesIncompleteOrMismatchedShards(t *testing.T) {
	st, cells := smallCompare(t, 4)
	shard := func(st Study, i, n int) *Results {
		p := Plan{Cells: cells, Runs: st.Runs, Seed: 1, Shard: Shard{i, n}}
		r := NewResults(st, Shard{i, n}, int64(p.Total()), execute(t, p))
		back, err := ReadResults(bytes.NewReader(encode(t, r)), "x")
		if err != nil {
			t.Fatal(err)
		}
		return back
	}
	other := st
	other.Seed = 99
	cases := map[string][]*Results{
		"shard 1/2 missing":   {shard(st, 0, 2)},
		"already given":       {shard(st, 0, 2), shard(st, 0, 2)},
		"a different study":   {shard(st, 0, 2), shard(other, 1, 2)},
		"must split the same": {shard(st, 0, 2), shard(st, 1, 3)},
		"no result files":     nil,
	}
	for want, parts := range cases {
		names := make([]string, len(parts))
		for i := range names {
			names[i] = "f" + string(rune('0'+i))
		}
		if _, err := Merge(parts, names); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
	// A shard that was interrupted is refused on reading.
	r := NewResults(st, Shard{0, 2}, 1, make([]Acc, len(st.Cells)))
	if _, err := ReadResults(bytes.NewReader(encode(t, r)), "half.json"); err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("interrupted shard: %v", err)
	}
}

func TestCancelStopsCleanlyAndCounts(t *testing.T) {
	st, cells := smallCompare(t, 200)
	_ = st
	ctx, cancel := context.WithCancel(context.Background())
	p := Plan{Cells: cells, Runs: 200, Seed: 1, Workers: 2, Progress: func(done int64) {
		if done == 50 {
			cancel()
		}
	}}
	accs, done, err := Execute(ctx, p)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var runs uint64
	for _, a := range accs {
		runs += a.Runs
	}
	if done < 50 || done >= int64(p.Total()) || runs != uint64(done) {
		t.Fatalf("done %d, accumulated %d, of %d", done, runs, p.Total())
	}
}

// Every format shows the same numbers: each is parsed back and compared
// with the table value.
func TestFormatsShowTheSameNumbers(t *testing.T) {
	st, cells := smallCompare(t, 10)
	tab, err := st.Table(execute(t, Plan{Cells: cells, Runs: 10, Seed: 1}), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := tab.csvRecords()
	render := func(f string) string {
		var b bytes.Buffer
		if err := tab.Write(&b, f); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	// CSV.
	got, err := csv.NewReader(strings.NewReader(render("csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("csv:\n%v\nwant\n%v", got, want)
	}
	// JSON: numbers as written, null for n/a.
	var doc struct {
		Rows []map[string]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal([]byte(render("json")), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Rows) != len(want)-1 {
		t.Fatalf("json: %d rows, want %d", len(doc.Rows), len(want)-1)
	}
	for i, row := range want[1:] {
		for j, key := range want[0] {
			v := string(doc.Rows[i][key])
			switch {
			case row[j] == NA:
				if v != "null" {
					t.Errorf("json row %d %s = %s, want null", i, key, v)
				}
			case strings.HasPrefix(v, `"`):
				if v != `"`+row[j]+`"` {
					t.Errorf("json row %d %s = %s, want %q", i, key, v, row[j])
				}
			case v != row[j]:
				t.Errorf("json row %d %s = %s, want %s", i, key, v, row[j])
			}
		}
	}
	// Text and markdown: split the cells, split "mean +-ci" / "mean ± ci"
	// and a rate's "mean [lo, hi]".
	for f, sep := range map[string]string{"text": " +-", "markdown": " ± "} {
		var rows [][]string
		for _, line := range strings.Split(render(f), "\n") {
			if !strings.HasPrefix(line, "|") || strings.Contains(line, "---") {
				continue
			}
			var rec []string
			for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
				c = strings.TrimSpace(c)
				if mean, bounds, ok := strings.Cut(c, " ["); ok && strings.HasSuffix(bounds, "]") {
					lo, hi, _ := strings.Cut(strings.TrimSuffix(bounds, "]"), ", ")
					rec = append(rec, mean, lo, hi)
				} else if mean, ci, ok := strings.Cut(c, sep); ok {
					rec = append(rec, mean, ci)
				} else {
					rec = append(rec, c)
				}
			}
			rows = append(rows, rec)
		}
		if len(rows) != len(want) {
			t.Fatalf("%s: %d rows, want %d", f, len(rows), len(want))
		}
		for i := 1; i < len(rows); i++ {
			if !reflect.DeepEqual(rows[i], want[i]) {
				t.Errorf("%s row %d:\n%v\nwant\n%v", f, i, rows[i], want[i])
			}
		}
	}
	if strings.ContainsFunc(render("text"), func(r rune) bool { return r > 127 }) {
		t.Errorf("text format is not ASCII")
	}
}

// csvRecords is the table as CSV records: header and one per row.
func (t *Table) csvRecords() [][]string {
	recs := [][]string{t.csvHeader()}
	for _, r := range t.Rows {
		recs = append(recs, t.flat(r))
	}
	return recs
}

func TestWriteFileIsWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	failing := func(w *bytes.Buffer) error { w.WriteString("partial"); return errors.New("boom") }
	if err := WriteFile(path, func(w io.Writer) error { return failing(w.(*bytes.Buffer)) }); err == nil {
		t.Fatal("no error")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("file changed to %q", b)
	}
	if err := WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("file is %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
}
