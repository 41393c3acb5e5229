package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// TestMain lets a test run the test binary as the simulate command itself
// (see simulateProcess), so that a swarm's parts run as processes of their
// own.
func TestMain(m *testing.M) {
	if os.Getenv("QOSLAB_RUN_SIMULATE") == "1" {
		Main()
	}
	os.Exit(m.Run())
}

// simulateProcess runs simulate args in a process of its own and returns
// its exit status.
func simulateProcess(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "QOSLAB_RUN_SIMULATE=1")
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// checkJSONWithoutTimes is check's JSON output without the time taken.
func checkJSONWithoutTimes(t *testing.T, out string) checkOutput {
	t.Helper()
	var c checkOutput
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	c.Seconds = 0
	return c
}

// A check run as a swarm, each part a process of its own (as GNU parallel
// or a Kubernetes Indexed Job runs them), merges to what the unsharded
// check prints and exits with: the same verdict, schedules tried,
// abandoned counts and counterexample, the first in schedule order.
func TestCheckPartsAsProcessesMergeToTheUnshardedCheck(t *testing.T) {
	searches := [][]string{
		// violated in the second shard (the 358th schedule), so part 1's
		// counterexample wins over any that later shards find
		{"--variant", "qos2-a", "--mode", "datagram", "--max-delay", "300", "--jitter", "40", "--tests", "4000", "--seed", "9"},
		// held, with abandoned messages
		{"--variant", "qos2-b", "--volatile", "--actions", "crash", "--max-messages", "2", "--tests", "600", "--seed", "3"},
	}
	for _, search := range searches {
		args := append([]string{"check", "--format", "json"}, search...)
		out, errOut, code := runArgs(t, args...)
		if code != exitOK && code != exitViolation {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		want := checkJSONWithoutTimes(t, out)
		for _, n := range []int{1, 3} {
			dir := t.TempDir()
			var files []string
			var wg sync.WaitGroup
			for i := range n {
				file := filepath.Join(dir, fmt.Sprintf("part-%d.json", i))
				files = append(files, file)
				wg.Add(1)
				go func() {
					defer wg.Done()
					partArgs := append([]string{"check"}, search...)
					partArgs = append(partArgs, "--shard", fmt.Sprintf("%d/%d", i, n), "--out", file, "--workers", "1")
					if out, code := simulateProcess(t, partArgs...); code != exitOK {
						t.Errorf("%v: exit %d: %s", partArgs, code, out)
					}
				}()
			}
			wg.Wait()
			out, errOut, mergeCode := runArgs(t, append([]string{"merge", "--format", "json"}, files...)...)
			if mergeCode != code {
				t.Fatalf("merge of %d parts: exit %d, unsharded %d: %s", n, mergeCode, code, errOut)
			}
			if got := checkJSONWithoutTimes(t, out); !reflect.DeepEqual(got, want) {
				t.Errorf("%v in %d parts:\nmerged    %+v\nunsharded %+v", search, n, got, want)
			}
		}
	}
}

// The text a merge prints is the unsharded check's, but for the line with
// the times and the number of workers.
func TestMergedCheckPrintsTheUnshardedText(t *testing.T) {
	search := []string{"check", "--variant", "two-packet-pid-ttl", "--tests", "600", "--seed", "5"}
	want, _, code := runArgs(t, search...)
	dir := t.TempDir()
	var files []string
	for i := range 2 {
		file := filepath.Join(dir, fmt.Sprintf("p%d.json", i))
		files = append(files, file)
		if _, errOut, c := runArgs(t, append(search, "--shard", fmt.Sprintf("%d/2", i), "--out", file)...); c != exitOK {
			t.Fatalf("part %d: exit %d: %s", i, c, errOut)
		}
	}
	got, errOut, mergeCode := runArgs(t, append([]string{"merge"}, files...)...)
	if mergeCode != code || code != exitViolation {
		t.Fatalf("merge exit %d, check exit %d: %s", mergeCode, code, errOut)
	}
	strip := func(s string) string {
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(l, "schedules:") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if strip(got) != strip(want) {
		t.Errorf("merged text differs:\n%s\nunsharded:\n%s", got, want)
	}
}

// Bad swarms get a clear error and exit 2.
func TestCheckPartsRefused(t *testing.T) {
	dir := t.TempDir()
	part := func(name string, args ...string) string {
		file := filepath.Join(dir, name)
		args = append([]string{"check", "--variant", "qos2-b", "--tests", "400", "--max-messages", "2", "--out", file}, args...)
		if _, errOut, c := runArgs(t, args...); c != exitOK {
			t.Fatalf("%v: exit %d: %s", args, c, errOut)
		}
		return file
	}
	p0, p1 := part("p0.json", "--shard", "0/2"), part("p1.json", "--shard", "1/2")
	other := part("other.json", "--shard", "1/2", "--seed", "7")
	third := part("third.json", "--shard", "2/3")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"merge", p0}, "part 1/2 missing"},
		{[]string{"merge", p0, p1, p1}, "part 1/2 given twice"},
		{[]string{"merge", p0, other}, "a different search from"},
		{[]string{"merge", p0, third}, "the others split the search in 2"},
		{[]string{"merge", "--columns", "delivered", p0, p1}, "--columns: applies to compare and sweep results"},
		{[]string{"merge", "--format", "csv", p0, p1}, `--format "csv": check part files merge to`},
		{[]string{"check", "--shard", "2/2"}, "--shard: shard \"2/2\": need 0 <= i < n"},
		{[]string{"check", "--shard", "0/2", "--format", "json"}, "--format json with --shard"},
	}
	for _, c := range cases {
		_, errOut, code := runArgs(t, c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}
