package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var defaultOnce struct {
	sync.Once
	out, errOut string
	code        int
}

// defaultOutput runs `simulate` with no arguments once for all tests.
func defaultOutput(t *testing.T) string {
	t.Helper()
	d := &defaultOnce
	d.Do(func() { d.out, d.errOut, d.code = runArgs(t) })
	if d.code != 0 {
		t.Fatalf("simulate: exit %d: %s", d.code, d.errOut)
	}
	return d.out
}

// The headline printed by default is the table `simulate compare` prints
// with the command the default output names.
func TestHeadlineIsTheCompareCommand(t *testing.T) {
	out := defaultOutput(t)
	args := append(strings.Fields(strings.TrimPrefix(headlineCommand, "simulate ")), "--columns", headlineColumns)
	table, errOut, code := runArgs(t, args...)
	if code != 0 || errOut != "" {
		t.Fatalf("%v: exit %d, stderr %q (no progress bar when stderr is not a terminal)", args, code, errOut)
	}
	if !strings.Contains(out, table) {
		t.Fatalf("default output does not contain the table of %s:\n%s\n---\n%s", headlineCommand, table, out)
	}
}

// Shards written with --shard i/n and merged print exactly the unsharded
// output, for compare and sweep, in every format.
func TestShardsMergeIntoTheUnshardedTable(t *testing.T) {
	dir := t.TempDir()
	studies := map[string][]string{
		"compare": {"compare", "--variants", "qos2-a,qos2-b", "--profiles", "lossy,flapping", "--runs", "9", "--messages", "10"},
		"sweep":   {"sweep", "--variants", "qos2-b", "--param", "loss", "--values", "0,0.2", "--runs", "9", "--messages", "10"},
		"analytic": {"compare", "--variants", "qos1,qos2-a", "--profiles", "lossy,clean", "--id-policy", "sequential", "--heal", "1000000000",
			"--runs", "9", "--messages", "10", "--analytic"},
	}
	for name, args := range studies {
		for _, format := range []string{"text", "csv"} {
			want, errOut, code := runArgs(t, append(args, "--format", format)...)
			if code != 0 {
				t.Fatalf("%v: %s", args, errOut)
			}
			var files []string
			for i := range 3 {
				file := filepath.Join(dir, name+"-"+format+"-"+string(rune('0'+i))+".json")
				shardArgs := append(append([]string{}, args...), "--shard", string(rune('0'+i))+"/3", "--out", file)
				if _, errOut, code := runArgs(t, shardArgs...); code != 0 {
					t.Fatalf("%v: %s", shardArgs, errOut)
				}
				files = append(files, file)
			}
			got, errOut, code := runArgs(t, append([]string{"merge", "--format", format}, files...)...)
			if code != 0 {
				t.Fatalf("merge: %s", errOut)
			}
			if got != want {
				t.Errorf("%s %s: merged shards differ:\n%s\nwant\n%s", name, format, got, want)
			}
		}
	}
	// Charts come from sweeps only.
	_, errOut, code := runArgs(t, "merge", "--png", filepath.Join(dir, "x.png"), filepath.Join(dir, "compare-text-0.json"),
		filepath.Join(dir, "compare-text-1.json"), filepath.Join(dir, "compare-text-2.json"))
	if code != 2 || !strings.Contains(errOut, "--png: charts are drawn from sweep results") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	// One shard short: refused, naming the missing one.
	_, errOut, code = runArgs(t, "merge", filepath.Join(dir, "compare-text-0.json"), filepath.Join(dir, "compare-text-2.json"))
	if code != 2 || !strings.Contains(errOut, "shard 1/3 missing") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

func TestSweepWritesCharts(t *testing.T) {
	dir := t.TempDir()
	png, svg := filepath.Join(dir, "c.png"), filepath.Join(dir, "c.svg")
	_, errOut, code := runArgs(t, "sweep", "--variants", "qos2-a,qos2-b", "--param", "messages", "--values", "1:5:2",
		"--runs", "3", "--metric", "peak_held", "--png", png, "--svg", svg, "--format", "json")
	if code != 0 {
		t.Fatal(errOut)
	}
	for _, f := range []string{png, svg} {
		b, err := os.ReadFile(f)
		if err != nil || len(b) < 1000 {
			t.Errorf("%s: %d bytes, %v", f, len(b), err)
		}
	}
	if b, _ := os.ReadFile(png); !strings.HasPrefix(string(b), "\x89PNG") {
		t.Errorf("not a PNG")
	}
}

// --analytic puts the chain's exact figures beside the simulated ones where
// its assumptions hold, and says why not elsewhere.
func TestCompareAnalytic(t *testing.T) {
	out, errOut, code := runArgs(t, "compare", "--variants", "qos2-b", "--profiles", "lossy,clean", "--id-policy", "sequential",
		"--heal", "1000000000", "--runs", "100", "--messages", "20", "--analytic", "--columns", "packets_per_msg", "--format", "csv")
	if code != 0 {
		t.Fatal(errOut)
	}
	want := []string{
		"profile,variant,packets_per_msg,packets_per_msg_ci95,packets_per_msg_analytic,bytes_per_msg_analytic,payload_resends_per_msg_analytic,completion_mean_analytic",
		"lossy,qos2-b,", "clean,qos2-b,4.10,0.00,n/a,n/a,n/a,n/a",
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	text, _, _ := runArgs(t, "compare", "--variants", "qos2-b", "--profiles", "lossy,clean", "--id-policy", "sequential",
		"--heal", "1000000000", "--runs", "3", "--messages", "20", "--analytic")
	if !strings.Contains(text, "no exact figures for qos2-b/clean: analytic: mode stream") {
		t.Errorf("no reason given for the clean row:\n%s", text)
	}
}

// The table does not depend on the number of workers.
func TestCompareIsTheSameOnAnyNumberOfWorkers(t *testing.T) {
	args := []string{"compare", "--profiles", "storm,flapping", "--runs", "30", "--messages", "20", "--format", "csv"}
	want, errOut, code := runArgs(t, append(args, "--workers", "1")...)
	if code != 0 {
		t.Fatal(errOut)
	}
	for _, w := range []string{"2", "5"} {
		if got, _, _ := runArgs(t, append(args, "--workers", w)...); got != want {
			t.Errorf("--workers %s gives a different table:\n%s\nwant\n%s", w, got, want)
		}
	}
}

// In the broker topology each row's subscriber leg runs the row's variant
// unless --sub-variant names one.
func TestCompareBrokerLegsFollowTheRow(t *testing.T) {
	out, errOut, code := runArgs(t, "compare", "--topology", "broker", "--variants", "qos1", "--profiles", "flapping", "--runs", "20", "--messages", "20")
	if code != 0 {
		t.Fatal(errOut)
	}
	if !strings.Contains(out, "simulate run --variant qos1 --topology broker --seed") {
		t.Errorf("replay line does not run qos1 on both legs:\n%s", out)
	}
	out, _, _ = runArgs(t, "compare", "--topology", "broker", "--variants", "qos1", "--sub-variant", "qos2-a", "--profiles", "flapping", "--runs", "20", "--messages", "20")
	if !strings.Contains(out, "--sub-variant qos2-a") {
		t.Errorf("--sub-variant was not applied:\n%s", out)
	}
}

// Ctrl-C stops a study cleanly: it says how many runs finished, writes
// nothing and exits 130, not 1 (a violation).
func TestInterruptWritesNothing(t *testing.T) {
	saved := interrupt
	defer func() { interrupt = saved }()
	interrupt = func() (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx, cancel
	}
	out := filepath.Join(t.TempDir(), "t.txt")
	stdout, errOut, code := runArgs(t, "compare", "--runs", "50", "--out", out)
	if code != 130 || stdout != "" || !strings.Contains(errOut, "interrupted: 0 of ") || !strings.Contains(errOut, "nothing written") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, errOut)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s was written", out)
	}
}

func TestStudyBadInputExitsTwo(t *testing.T) {
	cases := map[string][]string{
		"--runs 0: allowed":                  {"compare", "--runs", "0"},
		`--profiles: unknown profile "wan"`:  {"compare", "--profiles", "clean,wan"},
		`--variants: unknown variant "q9"`:   {"compare", "--variants", "qos2-a,q9"},
		`--shard: shard "3/2"`:               {"compare", "--shard", "3/2"},
		`--format "svg"`:                     {"compare", "--format", "svg"},
		`--columns: unknown metric "x"`:      {"compare", "--columns", "x"},
		`--param: unknown parameter "rtt"`:   {"sweep", "--param", "rtt"},
		`--values: loss 1.5 out of range`:    {"sweep", "--param", "loss", "--values", "0,1.5"},
		`"x" is not a number`:                {"sweep", "--values", "0,x"},
		"--param loss needs --mode datagram": {"sweep", "--param", "loss", "--mode", "stream"},
		"--metric: unknown metric":           {"sweep", "--metric", "speed"},
		"merge: no result files":             {"merge"},
		"not a result file":                  {"merge", "simulate.go"},
	}
	for want, args := range cases {
		_, errOut, code := runArgs(t, args...)
		if code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("simulate %v: exit %d, stderr %q; want exit 2 and %q", args, code, errOut, want)
		}
	}
}
