package study

import (
	"fmt"
	"strconv"
	"strings"
)

// Study describes the cells of a comparison or a sweep and how many seeded
// runs each gets. With the cells' accumulators it is everything a table or
// chart needs, so shard files carry it and merge can print the table.
type Study struct {
	Kind     string  `json:"kind"` // "compare" or "sweep"
	Runs     int     `json:"runs"` // per cell
	Seed     uint64  `json:"seed"` // run r has seed Seed+r
	Messages int     `json:"messages"`
	Param    string  `json:"param,omitempty"` // sweep: the swept parameter
	Cells    []Label `json:"cells"`
	// Analytic adds the analytic model's exact expectations (AddAnalytic).
	Analytic bool `json:"analytic,omitempty"`
}

// Label names one cell: a variant under a profile (compare) or at one
// value of the swept parameter (sweep).
type Label struct {
	Variant string `json:"variant"`
	Profile string `json:"profile,omitempty"`
	Value   string `json:"value,omitempty"`
	// Command is the `simulate run` line of the cell's first run.
	Command string `json:"command"`
	// Analytic is the exact expectation, or AnalyticWhy says why there is
	// none (Study.Analytic only).
	Analytic    *Analytic `json:"analytic,omitempty"`
	AnalyticWhy string    `json:"analytic_why,omitempty"`
}

// replay returns the cell's command with another seed.
func (l Label) replay(seed uint64) string {
	f := strings.Fields(l.Command)
	out := make([]string, 0, len(f))
	for i := 0; i < len(f); i++ {
		out = append(out, f[i])
		if f[i] == "--seed" && i+1 < len(f) {
			out = append(out, strconv.FormatUint(seed, 10))
			i++
		}
	}
	return strings.Join(out, " ")
}

// Metric is one figure a cell yields.
type Metric struct {
	Key, Head, Doc string
	Decimals       int
	// Axis labels a chart's y axis.
	Axis string
	// Est is the metric's estimate; CI is false for figures without an
	// interval (quantiles, maxima).
	Est func(a *Acc) Estimate
	CI  bool
	// Prop marks a per-message rate: its interval is Wilson's, given as
	// bounds (Estimate.Lo, Hi), not as a half-width.
	Prop bool
}

// Metrics are the columns of compare tables and sweep files, in order.
var Metrics = []Metric{
	{"exactly_once_per_1k", "once/1k", "messages delivered exactly once, per 1,000 published", 2, "exactly once per 1,000 messages",
		func(a *Acc) Estimate { return a.ExactlyOnce.Proportion(1000) }, true, true},
	{"duplicated_per_1k", "dup/1k", "messages delivered more than once, per 1,000 published", 2, "duplicated per 1,000 messages",
		func(a *Acc) Estimate { return a.Duplicated.Proportion(1000) }, true, true},
	{"lost_per_1k", "lost/1k", "messages never delivered while the publisher never said it gave up (silent losses), per 1,000 published", 2, "lost per 1,000 messages",
		func(a *Acc) Estimate { return a.Lost.Proportion(1000) }, true, true},
	{"abandoned_per_1k", "abandoned/1k", "messages never delivered that the publisher gave up on (retry limit, session lost), telling its application: not losses, per 1,000 published", 2, "abandoned per 1,000 messages",
		func(a *Acc) Estimate { return a.Abandoned.Proportion(1000) }, true, true},
	{"packets_per_msg", "pkts/msg", "packets put on the wire (all types, both directions, CONNECT included) per message", 2, "packets per message",
		func(a *Acc) Estimate { return a.Packets.Estimate(1) }, true, false},
	{"bytes_per_msg", "bytes/msg", "bytes put on the wire (exact MQTT encodings) per message", 1, "bytes per message",
		func(a *Acc) Estimate { return a.Bytes.Estimate(1) }, true, false},
	{"payload_resends_per_msg", "resends/msg", "PUBLISH packets resent with DUP set (payload retransmissions) per message", 3, "payload retransmissions per message",
		func(a *Acc) Estimate { return a.Resends.Estimate(1) }, true, false},
	{"peak_held", "held", "the most packet ids or messages the receiver held at once in a run, mean over runs", 1, "receiver's peak held ids/messages",
		func(a *Acc) Estimate { return a.PeakHeld.Estimate(1) }, true, false},
	{"peak_held_max", "held max", "the most the receiver held at once in any run", 0, "receiver's peak held, max over runs",
		func(a *Acc) Estimate { return mean(float64(a.PeakHeldMax)) }, false, false},
	{"delivery_mean", "deliver", "ticks from publication to first delivery, mean over delivered messages", 1, "publish -> delivery, mean ticks",
		func(a *Acc) Estimate { return a.Delivery.Estimate(1) }, true, false},
	{"delivery_p50", "deliver p50", "median ticks from publication to first delivery", 0, "publish -> delivery, p50 ticks",
		func(a *Acc) Estimate { return mean(a.DeliveryHist.Quantile(0.5)) }, false, false},
	{"delivery_p99", "deliver p99", "99th percentile of ticks from publication to first delivery", 0, "publish -> delivery, p99 ticks",
		func(a *Acc) Estimate { return mean(a.DeliveryHist.Quantile(0.99)) }, false, false},
	{"completion_mean", "complete", "ticks from publication to the sender's completion (its flow ended; it may reuse the id), mean over completed messages", 1, "publish -> completion, mean ticks",
		func(a *Acc) Estimate { return a.Completion.Estimate(1) }, true, false},
	{"completion_p50", "complete p50", "median ticks from publication to completion", 0, "publish -> completion, p50 ticks",
		func(a *Acc) Estimate { return mean(a.CompletionHist.Quantile(0.5)) }, false, false},
	{"completion_p99", "complete p99", "99th percentile of ticks from publication to completion", 0, "publish -> completion, p99 ticks",
		func(a *Acc) Estimate { return mean(a.CompletionHist.Quantile(0.99)) }, false, false},
}

// LookupMetric finds a metric by key.
func LookupMetric(key string) (Metric, error) {
	var keys []string
	for _, m := range Metrics {
		if m.Key == key {
			return m, nil
		}
		keys = append(keys, m.Key)
	}
	return Metric{}, fmt.Errorf("unknown metric %q: allowed values are %s", key, strings.Join(keys, ", "))
}

// ParseMetrics reads a comma-separated list of metric keys; "" is all.
func ParseMetrics(list string) ([]Metric, error) {
	if list == "" {
		return Metrics, nil
	}
	var ms []Metric
	seen := map[string]bool{}
	for _, k := range strings.Split(list, ",") {
		k = strings.TrimSpace(k)
		m, err := LookupMetric(k)
		if err != nil {
			return nil, err
		}
		if seen[k] { // two columns with one key: CSV headers and JSON keys would collide
			return nil, fmt.Errorf("metric %q named twice", k)
		}
		seen[k] = true
		ms = append(ms, m)
	}
	return ms, nil
}

// Table builds the study's table from one accumulator per cell, with a
// column per metric (nil: all Metrics).
func (s *Study) Table(accs []Acc, metrics []Metric) (*Table, error) {
	if metrics == nil {
		metrics = Metrics
	}
	if len(accs) != len(s.Cells) {
		return nil, fmt.Errorf("%d accumulators for %d cells", len(accs), len(s.Cells))
	}
	t := &Table{}
	if s.Kind == "sweep" {
		t.Columns = append(t.Columns, Column{Key: s.Param, Head: s.Param, Doc: "value of the swept parameter"},
			Column{Key: "variant", Head: "variant", Doc: "protocol variant (simulate variants)", Text: true})
	} else {
		t.Columns = append(t.Columns, Column{Key: "profile", Head: "network", Doc: "network/fault profile", Text: true},
			Column{Key: "variant", Head: "variant", Doc: "protocol variant (simulate variants)", Text: true})
	}
	for _, m := range metrics {
		t.Columns = append(t.Columns, Column{Key: m.Key, Head: m.Head, Doc: m.Doc, CI: m.CI, Bounds: m.Prop})
	}
	for i, l := range s.Cells {
		first := l.Profile
		if s.Kind == "sweep" {
			first = l.Value
		}
		row := []Cell{{Value: first}, {Value: l.Variant}}
		for _, m := range metrics {
			row = append(row, estCell(m.Est(&accs[i]), m.Decimals))
		}
		t.Rows = append(t.Rows, row)
	}
	msgs := fmt.Sprintf("%d messages each", s.Messages)
	if s.Param == "messages" {
		msgs = "messages as swept"
	}
	t.Title = fmt.Sprintf("%d seeded runs per row (seeds %d..%d), %s; per-1k rates with their 95%% Wilson score interval [low, high] over the messages, widened by the runs' design effect; other figures: mean with its 95%% half-width (Student's t over runs); latencies in ticks",
		s.Runs, s.Seed, s.Seed+uint64(s.Runs)-1, msgs)
	if s.Analytic {
		s.addAnalyticColumns(t)
	}
	if notes := s.notes(accs); len(notes) > 0 {
		t.Notes = append([]string{"replay the lowest seed that duplicated or lost a message:"}, notes...)
	}
	if s.Analytic {
		t.Notes = append(t.Notes, s.analyticNotes()...)
	}
	return t, nil
}

func (s *Study) cellName(l Label) string {
	if s.Kind == "sweep" {
		return fmt.Sprintf("%s at %s=%s", l.Variant, s.Param, l.Value)
	}
	return l.Variant + "/" + l.Profile
}

// notes point at a run to replay for each cell that duplicated or lost a
// message, and flag cells whose runs did not all settle.
func (s *Study) notes(accs []Acc) []string {
	var notes []string
	for i, l := range s.Cells {
		a := &accs[i]
		name := s.cellName(l)
		if a.Settled < a.Runs {
			notes = append(notes, fmt.Sprintf("%s: %d of %d runs did not settle", name, a.Runs-a.Settled, a.Runs))
		}
		switch {
		case a.HasDup && a.HasLost && a.FirstDupSeed == a.FirstLostSeed:
			notes = append(notes, fmt.Sprintf("%s: duplicate and loss: %s", name, l.replay(a.FirstDupSeed)))
		default:
			if a.HasDup {
				notes = append(notes, fmt.Sprintf("%s: duplicate: %s", name, l.replay(a.FirstDupSeed)))
			}
			if a.HasLost {
				notes = append(notes, fmt.Sprintf("%s: loss: %s", name, l.replay(a.FirstLostSeed)))
			}
		}
	}
	return notes
}
