package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
	"github.com/qoslab/qoslab/study"
)

// The headline study is what `go run ./cmd/simulate` prints: every
// registered variant (QoS 2 both methods, the two-packet stores, QoS 0/1
// for reference) under a clean, a lossy and a flapping network. It answers
// the question in a few seconds; `simulate compare` runs the same study
// with any settings (headlineCommand is its equivalent).
const (
	headlineRuns     = 400
	headlineMessages = 100
	headlineColumns  = "duplicated_per_1k,lost_per_1k,abandoned_per_1k,packets_per_msg,bytes_per_msg,payload_resends_per_msg,peak_held,peak_held_max,delivery_mean,completion_mean"
	headlineProfiles = "clean,lossy,flapping"
	headlineCommand  = "simulate compare --runs 400 --messages 100"
)

// headline returns the study's layout and cells.
func headline() (study.Study, []sim.Config, []study.Metric, error) {
	var ps []study.Profile
	for _, name := range strings.Split(headlineProfiles, ",") {
		p, err := study.LookupProfile(name)
		if err != nil {
			return study.Study{}, nil, nil, err
		}
		ps = append(ps, p)
	}
	metrics, err := study.ParseMetrics(headlineColumns)
	if err != nil {
		return study.Study{}, nil, nil, err
	}
	base := sim.Config{Workload: sim.Workload{Messages: headlineMessages}}
	st, cells, err := study.Compare(base, model.Names(), ps, headlineRuns, 1)
	return st, cells, metrics, err
}

// runDefault prints the headline comparison and where to go next.
func runDefault(stdout, stderr io.Writer) error {
	st, cells, metrics, err := headline()
	if err != nil {
		return err
	}
	f := &studyFlags{run: &runFlags{seed: 1}, runs: headlineRuns}
	res, err := execute(stderr, st, cells, f, study.Shard{})
	if err != nil {
		return err
	}
	t, err := res.Study.Table(res.Cells, metrics)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Why does MQTT QoS 2 use four packets (PUBLISH, PUBREC, PUBREL, PUBCOMP) rather than")
	fmt.Fprintln(stdout, "PUBLISH + PUBREC and a de-duplication store? Each protocol below, run over three networks:")
	for _, name := range strings.Split(headlineProfiles, ",") {
		p, _ := study.LookupProfile(name)
		fmt.Fprintf(stdout, "  %-9s %s\n", p.Name, p.Description)
	}
	fmt.Fprintln(stdout)
	if err := t.WriteText(stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "dup/1k, lost/1k: messages delivered twice, or never and silently, per 1,000 (exactly once means both are 0);")
	fmt.Fprintln(stdout, "  [low, high] is the 95% Wilson score interval of the rate (not 0 at a rate of 0: a finite sample proves no 0)")
	fmt.Fprintln(stdout, "abandoned/1k: never delivered, but the publisher gave up and told its application (not a loss)")
	fmt.Fprintln(stdout, "pkts/msg, bytes/msg, resends/msg: wire cost and payload retransmissions per message")
	fmt.Fprintln(stdout, "held: packet ids or messages the receiver keeps at once (mean over runs, max)")
	fmt.Fprintln(stdout, "deliver, complete: mean ticks from publish to delivery and to the sender's completion")
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "Every column, any settings: %s\n", headlineCommand)
	fmt.Fprintln(stdout, "The design document: docs/why-four-packets.md; the user guide: docs/guide.md.")
	// The headline is the result: the list of commands is what --help
	// prints, not part of it (a script that saves the table gets the table).
	fmt.Fprintln(stdout, "The commands: simulate --help.")
	return nil
}
