package explore

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// scaleBound selects the search BenchmarkExploreScale runs: "large" is
// the bound of issue 14 (qos2-b, 12 messages, 6 ids, 6 breaks: 25.1
// million states; about a minute and 4 GB for the previous search), the
// default a smaller one (10 messages, 5 ids, 5 breaks: 2.8 million).
var scaleBound = flag.String("scale", "", `BenchmarkExploreScale's search: "large" (25.1M states) or "" (2.8M)`)

func scaleOptions() Options {
	if *scaleBound == "large" {
		return Options{Variant: "qos2-b", Messages: 12, IDs: 6, Breaks: 6}
	}
	return Options{Variant: "qos2-b", Messages: 10, IDs: 5, Breaks: 5}
}

// scaleRun is what one search in a child process reports.
type scaleRun struct {
	Verdict             string
	States, Transitions int
	Seconds             float64 // the search itself
	RSS                 int64   // the child's peak resident set, bytes
}

// BenchmarkExploreScale compares, in one run, the previous one-core search
// (legacy_test.go) with the engine on 1, 2, ... GOMAXPROCS workers, each
// search in a process of its own so that its peak resident memory is its
// own. Each iteration runs them all, one after the other, so that a
// machine shared with others loads them alike. Reported per engine: the
// search's wall time, states per second, peak RSS per state, and the
// speed-up over the previous search.
//
//	go test -run '^$' -bench ExploreScale -benchtime 1x -count 3 ./explore
//	go test -run '^$' -bench ExploreScale -benchtime 1x -count 3 ./explore -scale large
func BenchmarkExploreScale(b *testing.B) {
	engines := []string{"previous"}
	for w := 1; w <= runtime.GOMAXPROCS(0); w++ {
		engines = append(engines, "workers="+strconv.Itoa(w))
	}
	sum := map[string]*scaleRun{}
	for b.Loop() {
		for _, eng := range engines {
			r := runScaleChild(b, eng)
			s := sum[eng]
			if s == nil {
				s = &scaleRun{}
				sum[eng] = s
			}
			s.Seconds += r.Seconds
			s.RSS = max(s.RSS, r.RSS)
			s.States = r.States
		}
	}
	prev := sum["previous"].Seconds
	for _, eng := range engines {
		s := sum[eng]
		sec := s.Seconds / float64(b.N)
		b.ReportMetric(sec, eng+"-s")
		b.ReportMetric(float64(s.States)/sec, eng+"-states/s")
		b.ReportMetric(float64(s.RSS)/float64(s.States), eng+"-B/state")
		b.ReportMetric(prev/s.Seconds, eng+"-speedup")
	}
}

// runScaleChild runs one search of the benchmark in a child process.
func runScaleChild(b *testing.B, engine string) scaleRun {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestScaleChild$", "-test.count=1", "-scale="+*scaleBound)
	cmd.Env = append(os.Environ(), "QOSLAB_SCALE_CHILD="+engine)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s: %v\n%s", engine, err, out)
	}
	var r scaleRun
	for _, line := range bytes.Split(out, []byte("\n")) {
		if err := json.Unmarshal(line, &r); err == nil && r.States > 0 {
			break
		}
	}
	if r.States == 0 {
		b.Fatalf("%s: no result in %q", engine, out)
	}
	r.RSS = cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
	if r.Verdict != "proven" {
		b.Fatalf("%s: %+v", engine, r)
	}
	return r
}

// TestScaleChild is BenchmarkExploreScale's child: it runs one search and
// prints its figures as JSON. It does nothing in a normal test run.
func TestScaleChild(t *testing.T) {
	engine := os.Getenv("QOSLAB_SCALE_CHILD")
	if engine == "" {
		t.Skip("runs only as BenchmarkExploreScale's child process")
	}
	o := scaleOptions()
	o.MaxBytes = 1 << 40 // the benchmark measures memory; it does not bound it
	var r *Result
	start := time.Now()
	if engine == "previous" {
		// As the previous simulate explore ran it: the collector at 400%,
		// since its heap was nearly all live.
		debug.SetGCPercent(400)
		x, err := newSystem(o)
		if err != nil {
			t.Fatal(err)
		}
		r = newLegacyBFS(x).run()
	} else {
		w, err := strconv.Atoi(engine[len("workers="):])
		if err != nil {
			t.Fatal(err)
		}
		o.Workers = w
		if r, err = Run(o); err != nil {
			t.Fatal(err)
		}
	}
	out, _ := json.Marshal(scaleRun{Verdict: r.Verdict.String(), States: r.States, Transitions: r.Transitions,
		Seconds: time.Since(start).Seconds()})
	fmt.Printf("\n%s\n", out)
}
