package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/qoslab/qoslab/explore"
	"github.com/qoslab/qoslab/properties"
	"github.com/qoslab/qoslab/report"
	"github.com/qoslab/qoslab/sim"
)

// --format html: one self-contained HTML file (package report) that steps
// through the run, the counterexample or the shortest path.

// maxHTMLMessages bounds the runs drawn as HTML: the page carries the
// whole trace (about 1.5 KB of JSON a message).
const maxHTMLMessages = 10_000

func writeRunHTML(w io.Writer, cfg sim.Config, judge *properties.Property) error {
	if cfg.Workload.Messages > maxHTMLMessages {
		return usagef("--format html: draws runs of at most %d messages, not --messages %d", maxHTMLMessages, cfg.Workload.Messages)
	}
	res, st, err := sim.RunStates(cfg)
	if err != nil {
		return usageError{err.Error()}
	}
	d := report.FromRun(res, st)
	d.Metric, d.Replay = runMetrics(res)
	var vs []properties.Violation
	if judge != nil {
		if vs, err = properties.Check(res, *judge); err != nil {
			return err
		}
		d.Verdict = &report.Verdict{Text: judge.Name + " held"}
		d.AddViolations(vs)
	}
	if err := report.Write(w, d); err != nil {
		return err
	}
	if len(vs) > 0 {
		return violationError{fmt.Sprintf("%s violated: %s", judge.Name, vs[0])}
	}
	return nil
}

// runMetrics is writeMetrics' lines as name-value pairs, and the replay
// line apart.
func runMetrics(res *sim.Result) (ms []report.Metric, replay string) {
	var b bytes.Buffer
	_ = writeMetrics(&b, res)
	sc := bufio.NewScanner(&b)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), ":")
		value = strings.TrimSpace(value)
		if name == "replay" {
			replay = value
			continue
		}
		ms = append(ms, report.Metric{Name: name, Value: value})
	}
	return ms, replay
}

func writeCheckHTML(w io.Writer, rep properties.Report) error {
	d, err := report.FromCheck(rep)
	if err != nil {
		return err
	}
	if x := rep.Counterexample; !rep.Held && x != nil {
		ms, _ := runMetrics(x.Result)
		d.Metric = ms
		d.Metric = append(d.Metric, report.Metric{Name: "search", Value: fmt.Sprintf("%d schedules tried, counterexample after %v, shrunk in %d step(s), %v in all (%d worker(s))",
			rep.Tried, rep.FirstFound.Round(time.Microsecond), x.Shrinks, rep.Elapsed.Round(time.Millisecond), rep.Search.Workers)})
	} else {
		tried := fmt.Sprint(rep.Tried)
		if rep.Interrupted {
			tried += fmt.Sprintf(" of %d", rep.Search.Tests)
		}
		d.Metric = []report.Metric{{Name: "schedules", Value: fmt.Sprintf("%s tried in %v (seed %d, %d worker(s))", tried, rep.Elapsed.Round(time.Millisecond), rep.Search.Seed, rep.Search.Workers)}}
	}
	return report.Write(w, d)
}

func writeExploreHTML(w io.Writer, res *explore.Result) error {
	d, err := report.FromExplore(res)
	if err != nil {
		return err
	}
	d.Settings = append([]string{"bounds: " + bounds(res.Options)}, d.Settings...)
	states := fmt.Sprintf("%d distinct, %d transitions, max depth %d", res.States, res.Transitions, res.MaxDepth)
	if res.Options.Search == explore.Walk {
		states = fmt.Sprintf("%d visited along the walks (not distinct), longest walk %d moves", res.States, res.MaxDepth)
	}
	d.Metric = []report.Metric{{Name: "states", Value: states},
		{Name: "time", Value: fmt.Sprintf("%s (%.0f states/s)", res.Elapsed.Round(time.Microsecond), res.StatesPerSecond())}}
	if res.Abandoned > 0 {
		d.Metric = append(d.Metric, report.Metric{Name: "abandoned", Value: fmt.Sprintf("in %d state(s) the sender gave up a message and told its application", res.Abandoned)})
	}
	return report.Write(w, d)
}
