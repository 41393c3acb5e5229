package properties

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
	"github.com/qoslab/qoslab/study"
)

// A search is a sequence of shards of ShardTests cases (see Search.Run).
// A swarm runs it as parts, each in a process of its own, anywhere:
// Search.Part selects the shards one part runs (shard k belongs to part
// k mod n, as a study's run r belongs to shard r mod n), RunPart runs them
// and says what each found, and Merge combines the parts' reports into
// the report of the whole search: the same verdict, counts and
// counterexample as Run, the counterexample of the lowest failing shard,
// that is the first in schedule order.

// PartReport is what one part of a search found, shard by shard.
type PartReport struct {
	Part        string         `json:"part"`   // "i/n"
	Shards      []ShardOutcome `json:"shards"` // the part's shards that ran, in order
	Interrupted bool           `json:"interrupted,omitempty"`
	Seconds     float64        `json:"seconds"`
}

// ShardOutcome is what one shard of a search found.
type ShardOutcome struct {
	Shard          int  `json:"shard"`
	Tried          int  `json:"tried"` // cases up to the first failing one, or all
	Abandoned      int  `json:"abandoned,omitempty"`
	AbandonedCases int  `json:"abandoned_schedules,omitempty"`
	Failed         bool `json:"failed,omitempty"`
	// Found is the failing case as drawn, Shrunk as shrunk in Shrinks
	// steps, FirstFound how long the part had run when it was drawn.
	Found      *Case   `json:"found,omitempty"`
	Shrunk     *Case   `json:"shrunk,omitempty"`
	Shrinks    int     `json:"shrinks,omitempty"`
	FirstFound float64 `json:"first_found_seconds,omitempty"`
}

// RunPart runs the shards of s.Part. An error means the settings are
// unusable.
func (s Search) RunPart() (PartReport, error) {
	s, err := s.normalize()
	if err != nil {
		return PartReport{}, err
	}
	start := time.Now()
	results := s.runShards(start)
	rep := PartReport{Part: s.Part.String(), Interrupted: s.stopped()}
	for k := s.Part.Index; k < len(results); k += s.Part.Count {
		r := results[k]
		if r.err != nil {
			return rep, r.err
		}
		if r.ran == 0 && !r.failed {
			continue // cancelled by a failure in a lower shard, or interrupted
		}
		o := ShardOutcome{Shard: k, Tried: r.ran, Abandoned: r.abandoned, AbandonedCases: r.abCases, Failed: r.failed}
		if r.failed {
			found, shrunk := r.orig, r.shrunk
			o.Found, o.Shrunk, o.Shrinks, o.FirstFound = &found, &shrunk, r.shrinks, r.firstFound.Seconds()
		}
		rep.Shards = append(rep.Shards, o)
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// Merge combines the reports of every part of s (each given once, none
// interrupted) into the report of the whole search, equal to what Run
// reports but for the times. s must be the search the parts ran.
func (s Search) Merge(parts []PartReport) (Report, error) {
	s, err := s.normalize()
	rep := Report{Search: s}
	if err != nil {
		return rep, err
	}
	if len(parts) == 0 {
		return rep, fmt.Errorf("no parts to merge")
	}
	shards := s.shards()
	results := make([]shardResult, shards)
	have := make([]bool, shards)
	var count int
	seen := map[int]bool{}
	for _, p := range parts {
		part, err := study.ParseShard(p.Part)
		if err != nil {
			return rep, err
		}
		if count == 0 {
			count = part.Count
		}
		switch {
		case part.Count != count:
			return rep, fmt.Errorf("part %s: the others split the search in %d", p.Part, count)
		case seen[part.Index]:
			return rep, fmt.Errorf("part %s given twice", p.Part)
		case p.Interrupted:
			return rep, fmt.Errorf("part %s was interrupted after part of its schedules: run it again", p.Part)
		}
		seen[part.Index] = true
		for _, o := range p.Shards {
			if o.Shard < 0 || o.Shard >= shards || o.Shard%count != part.Index || have[o.Shard] {
				return rep, fmt.Errorf("part %s: shard %d does not belong to it, or comes twice", p.Part, o.Shard)
			}
			have[o.Shard] = true
			r := shardResult{ran: o.Tried, abandoned: o.Abandoned, abCases: o.AbandonedCases, failed: o.Failed,
				shrinks: o.Shrinks, firstFound: time.Duration(o.FirstFound * float64(time.Second))}
			if o.Failed {
				if o.Found == nil || o.Shrunk == nil {
					return rep, fmt.Errorf("part %s: shard %d failed without its case", p.Part, o.Shard)
				}
				r.orig, r.shrunk = *o.Found, *o.Shrunk
			}
			results[o.Shard] = r
		}
		rep.Elapsed = max(rep.Elapsed, time.Duration(p.Seconds*float64(time.Second)))
	}
	for i := range count {
		if !seen[i] {
			return rep, fmt.Errorf("part %d/%d missing", i, count)
		}
	}
	// Every shard below the first failing one (all, if none fails) must
	// have run all its cases.
	for k := range shards {
		if !have[k] {
			return rep, fmt.Errorf("shard %d (part %d/%d) did not run", k, k%count, count)
		}
		if results[k].failed {
			break
		}
		if want := s.shardTests(k); results[k].ran != want {
			return rep, fmt.Errorf("shard %d (part %d/%d) tried %d of its %d cases", k, k%count, count, results[k].ran, want)
		}
	}
	elapsed := rep.Elapsed
	rep, err = s.report(results, false)
	rep.Elapsed = elapsed
	return rep, err
}

// caseJSON is a Case in a part report: the schedule in the text form that
// simulate run --faults reads.
type caseJSON struct {
	Messages         int    `json:"messages"`
	Topics           int    `json:"topics,omitempty"`
	DistinctPayloads int    `json:"distinct_payloads,omitempty"`
	IDPolicy         string `json:"id_policy"`
	ReceiveMax       int    `json:"receive_max,omitempty"`
	JitterTicks      int64  `json:"jitter_ticks,omitempty"`
	Seed             uint64 `json:"seed"`
	Faults           string `json:"faults"`
}

// MarshalJSON writes c for a part report.
func (c Case) MarshalJSON() ([]byte, error) {
	return json.Marshal(caseJSON{Messages: c.Messages, Topics: c.Topics, DistinctPayloads: c.DistinctPayloads,
		IDPolicy: c.IDPolicy.String(), ReceiveMax: c.ReceiveMax, JitterTicks: c.JitterTicks, Seed: c.Seed, Faults: c.Faults.String()})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (c *Case) UnmarshalJSON(b []byte) error {
	var j caseJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	policy, err := model.ParseIDPolicy(j.IDPolicy)
	if err != nil {
		return fmt.Errorf("case: %v", err)
	}
	faults, err := sim.ParseSchedule(j.Faults)
	if err != nil {
		return fmt.Errorf("case: faults: %v", err)
	}
	*c = Case{Messages: j.Messages, Topics: j.Topics, DistinctPayloads: j.DistinctPayloads, IDPolicy: policy,
		ReceiveMax: j.ReceiveMax, JitterTicks: j.JitterTicks, Seed: j.Seed, Faults: faults}
	return nil
}
