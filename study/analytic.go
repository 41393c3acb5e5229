package study

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/qoslab/qoslab/analytic"
	"github.com/qoslab/qoslab/sim"
)

// Analytic is a cell's exact expectation per message from package
// analytic's Markov chain, for cells inside the chain's assumptions.
type Analytic struct {
	Packets        float64  `json:"packets"`
	Bytes          float64  `json:"bytes"`
	PayloadResends float64  `json:"payload_resends"`
	CompleteProb   float64  `json:"complete_prob"`
	CompleteTicks  *float64 `json:"complete_ticks,omitempty"` // nil when no flow can complete
}

// AddAnalytic computes every cell's analytic expectation, or records why
// the chain does not apply to it. It is part of the study, so shard files
// carry it and merge prints the same table.
func (s *Study) AddAnalytic(cells []sim.Config) {
	s.Analytic = true
	for i, c := range cells {
		exp, err := analytic.Expect(c)
		if err != nil {
			s.Cells[i].AnalyticWhy = err.Error()
			continue
		}
		a := &Analytic{Packets: exp.Packets, Bytes: exp.Bytes, PayloadResends: exp.PayloadResends, CompleteProb: exp.CompleteProb}
		if !math.IsNaN(exp.CompleteTicks) {
			t := exp.CompleteTicks
			a.CompleteTicks = &t
		}
		s.Cells[i].Analytic = a
	}
}

// analyticColumns are shown beside the simulated figures with --analytic:
// the simulated metric they compare with, and the analytic value.
var analyticColumns = []struct {
	metric string
	value  func(a *Analytic) float64
}{
	{"packets_per_msg", func(a *Analytic) float64 { return a.Packets }},
	{"bytes_per_msg", func(a *Analytic) float64 { return a.Bytes }},
	{"payload_resends_per_msg", func(a *Analytic) float64 { return a.PayloadResends }},
	{"completion_mean", func(a *Analytic) float64 {
		if a.CompleteTicks == nil {
			return math.NaN()
		}
		return *a.CompleteTicks
	}},
}

func (s *Study) addAnalyticColumns(t *Table) {
	for _, ac := range analyticColumns {
		m, _ := LookupMetric(ac.metric)
		t.Columns = append(t.Columns, Column{Key: m.Key + "_analytic", Head: m.Head + " exact",
			Doc: "the analytic model's exact expectation of " + m.Key + " (package analytic; n/a outside its assumptions)"})
		for i := range t.Rows {
			v := math.NaN()
			if a := s.Cells[i].Analytic; a != nil {
				v = ac.value(a)
			}
			t.Rows[i] = append(t.Rows[i], Cell{Value: num(v, m.Decimals+1)})
		}
	}
}

// analyticNotes say, once per reason, which cells the chain does not cover.
func (s *Study) analyticNotes() []string {
	by := map[string][]string{}
	for _, l := range s.Cells {
		if l.AnalyticWhy != "" {
			by[l.AnalyticWhy] = append(by[l.AnalyticWhy], s.cellName(l))
		}
	}
	reasons := make([]string, 0, len(by))
	for r := range by {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	var notes []string
	for _, r := range reasons {
		notes = append(notes, fmt.Sprintf("no exact figures for %s: %s", strings.Join(by[r], ", "), r))
	}
	return notes
}
