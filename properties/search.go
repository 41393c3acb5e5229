package properties

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"
	"github.com/qoslab/qoslab/sim"
	"github.com/qoslab/qoslab/study"
)

// ShardTests is how many cases one shard of a search tries. A search is a
// sequence of shards, each an independent single-worker gopter check with
// its own seed derived from the search seed; workers take shards in order
// and the counterexample reported is the one of the lowest failing shard.
// The outcome therefore depends on the seed and the settings, never on the
// number of cores or on timing.
const ShardTests = 200

// Search is a property search: random cases drawn from Space, applied to
// Config, each run through the simulator and judged by Property; the first
// failing case is shrunk to a minimal one. Zero fields get defaults.
type Search struct {
	Config   sim.Config // the base run: variant, mode, version, durability, topology, latencies
	Property Property   // default ExactlyOnce
	Space    Space
	Tests    int    // cases to try (default 1000)
	Seed     uint64 // search seed; the same seed and settings give the same verdict and counterexample
	Workers  int    // parallel shards (default GOMAXPROCS); does not change the outcome
	// MaxShrinks bounds the successful shrink steps (default 1000).
	MaxShrinks int
	// Stop, when closed, ends the search early (Ctrl-C): no new case is
	// tried, and the report says how many were and that the search was
	// interrupted. Nil never stops.
	Stop <-chan struct{}
	// Part is the part of the search RunPart runs: the shards k with
	// k mod Part.Count == Part.Index (zero: all; see PartReport).
	Part study.Shard
}

// Report is the outcome of a search.
type Report struct {
	Search Search // as run, with defaults filled in
	Held   bool   // no counterexample among the cases tried
	Tried  int    // cases tried up to the verdict (all of them when the property held)
	// Abandoned is the number of messages, over the cases tried, that were
	// never delivered and that the publisher abandoned with its application
	// told (retry limit, session lost); AbandonedCases is the number of
	// cases with at least one. They are not losses (see NoLoss) and are
	// counted apart, as the explorer counts them.
	Abandoned, AbandonedCases int
	// Interrupted is true when Stop ended the search: Held then only says
	// that no counterexample was among the Tried cases.
	Interrupted bool
	Elapsed     time.Duration
	// FirstFound is how long the search ran before the reported
	// counterexample was first seen, before shrinking.
	FirstFound     time.Duration
	Counterexample *Counterexample
}

// Counterexample is a failing case, shrunk, with the run that shows it.
type Counterexample struct {
	Case       Case // shrunk
	Original   Case // as first found
	Shrinks    int  // successful shrink steps
	Shard      int
	Config     sim.Config // the shrunk case applied to the base config, traced
	Result     *sim.Result
	Violations []Violation
}

// Command is the `simulate run` line that replays the counterexample exactly.
func (c *Counterexample) Command() string { return c.Config.Command() }

// Diagram is the sequence diagram of the counterexample's run.
func (c *Counterexample) Diagram() string {
	var b strings.Builder
	_ = sim.WriteASCII(&b, c.Result.Trace, sim.DiagramOptions{})
	return b.String()
}

func (s Search) normalize() (Search, error) {
	if s.Property.Check == nil {
		s.Property = ExactlyOnce
	}
	if s.Tests == 0 {
		s.Tests = 1000
	}
	if s.Workers <= 0 {
		s.Workers = runtime.GOMAXPROCS(0)
	}
	if s.MaxShrinks == 0 {
		s.MaxShrinks = 1000
	}
	if s.Config.Variant == "" {
		s.Config.Variant = sim.DefaultVariant
	}
	norm := s.Config.Normalize()
	if err := norm.Validate(); err != nil {
		return s, err
	}
	if len(s.Config.Faults) > 0 {
		return s, fmt.Errorf("config faults: a search draws its own schedules; leave Config.Faults empty")
	}
	s.Space = s.Space.Normalize(norm)
	if err := s.Space.Validate(); err != nil {
		return s, err
	}
	if s.Tests < 0 {
		return s, fmt.Errorf("tests %d: must be at least 1", s.Tests)
	}
	if s.Part.Count == 0 {
		s.Part = study.Shard{Index: 0, Count: 1}
	}
	if s.Part.Index < 0 || s.Part.Index >= s.Part.Count {
		return s, fmt.Errorf("part %d/%d: need 0 <= i < n", s.Part.Index, s.Part.Count)
	}
	return s, nil
}

// shardSeed derives shard k's gopter seed from the search seed (SplitMix64).
func shardSeed(seed uint64, k int) int64 {
	z := seed + uint64(k+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return int64((z ^ z>>31) >> 1)
}

type shardResult struct {
	ran        int
	abandoned  int // messages abandoned in the cases counted in ran
	abCases    int
	failed     bool
	firstFound time.Duration
	shrunk     Case
	orig       Case
	shrinks    int
	err        error
}

// Run performs the search. An error means the settings are unusable.
func (s Search) Run() (Report, error) {
	s, err := s.normalize()
	if err != nil {
		return Report{Search: s}, err
	}
	start := time.Now()
	results := s.runShards(start)
	rep, err := s.report(results, s.stopped())
	rep.Elapsed = time.Since(start)
	return rep, err
}

// shards is the number of shards of the search; shardTests the cases of
// shard k.
func (s Search) shards() int          { return (s.Tests + ShardTests - 1) / ShardTests }
func (s Search) shardTests(k int) int { return min(ShardTests, s.Tests-k*ShardTests) }

// runShards runs the shards of s.Part on s.Workers workers, taken in
// order; results are indexed by shard (the other parts' stay empty).
func (s Search) runShards(start time.Time) []shardResult {
	shards := s.shards()
	results := make([]shardResult, shards)
	mine := s.Part.Runs(shards)
	var next atomic.Int64
	var lowestFail atomic.Int64
	lowestFail.Store(int64(shards))
	var wg sync.WaitGroup
	for range min(s.Workers, mine) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				k := s.Part.Index + i*s.Part.Count
				if i >= mine || int64(k) > lowestFail.Load() || s.stopped() {
					return
				}
				results[k] = s.shard(k, s.shardTests(k), start, &lowestFail)
				if results[k].failed {
					for cur := lowestFail.Load(); int64(k) < cur && !lowestFail.CompareAndSwap(cur, int64(k)); cur = lowestFail.Load() {
					}
				}
			}
		}()
	}
	wg.Wait()
	return results
}

// report is the search's report from its shards' results: the cases tried
// up to and including the lowest failing shard, and its counterexample.
func (s Search) report(results []shardResult, interrupted bool) (Report, error) {
	rep := Report{Search: s, Held: true, Interrupted: interrupted}
	for k := range results {
		r := results[k]
		if r.err != nil {
			return rep, r.err
		}
		rep.Tried += r.ran
		rep.Abandoned += r.abandoned
		rep.AbandonedCases += r.abCases
		if r.failed {
			rep.Held = false
			rep.FirstFound = r.firstFound
			c, err := s.counterexample(k, r)
			if err != nil {
				return rep, err
			}
			rep.Counterexample = c
			break
		}
	}
	return rep, nil
}

// shard runs one single-worker gopter check of n cases. Shards after a
// lower one that already failed stop early: their outcome cannot matter.
func (s Search) shard(k, n int, start time.Time, lowestFail *atomic.Int64) shardResult {
	var r shardResult
	// A shard runs its cases one after another: one Runner reuses each
	// run's buffers for the next (its results are a fresh Run's).
	var runner sim.Runner
	cond := func(c Case) bool {
		if !r.failed {
			if int64(k) > lowestFail.Load() {
				return true // cancelled: a lower shard has the answer
			}
			if s.stopped() {
				return true // interrupted: the report counts what ran
			}
			r.ran++
		}
		ok, abandoned, err := s.holds(&runner, c)
		if err != nil && r.err == nil {
			r.err = fmt.Errorf("case %v: %v", c, err)
		}
		if !r.failed && abandoned > 0 {
			r.abandoned += abandoned
			r.abCases++
		}
		if !ok && !r.failed {
			r.failed, r.firstFound = true, time.Since(start)
		}
		return ok
	}
	params := gopter.DefaultTestParametersWithSeed(shardSeed(s.Seed, k))
	params.MinSuccessfulTests = n
	params.MaxShrinkCount = s.MaxShrinks
	res := prop.ForAll(cond, s.Space.Gen(s.Config)).Check(params)
	if res.Status == gopter.TestError && r.err == nil {
		r.err = res.Error
	}
	if r.failed && len(res.Args) > 0 {
		r.shrunk, _ = res.Args[0].Arg.(Case)
		r.orig, _ = res.Args[0].OrigArg.(Case)
		r.shrinks = res.Args[0].Shrinks
	}
	return r
}

// stopped reports whether Stop was closed.
func (s Search) stopped() bool {
	select {
	case <-s.Stop:
		return true
	default:
		return false
	}
}

// holds runs one case and counts its abandoned messages. A case the
// simulator rejects would be a bug in the generator or shrinker; it is
// reported, not counted as a counterexample.
func (s Search) holds(runner *sim.Runner, c Case) (bool, int, error) {
	cfg := c.Apply(s.Config)
	cfg.Trace = true
	res, err := runner.Run(cfg)
	if err != nil {
		return true, 0, err
	}
	vs, err := Check(res, s.Property)
	return len(vs) == 0, res.Tally.Abandoned, err
}

func (s Search) counterexample(k int, r shardResult) (*Counterexample, error) {
	cfg := r.shrunk.Apply(s.Config).Normalize()
	res, err := Run(cfg, s.Property)
	vs, ok := err.(Error)
	if !ok {
		return nil, fmt.Errorf("replaying the shrunk case %v: want a violation, got %v", r.shrunk, err)
	}
	cfg.Trace = false // the replay command and the report carry the settings, not the tracing switch
	return &Counterexample{Case: r.shrunk, Original: r.orig, Shrinks: r.shrinks, Shard: k,
		Config: cfg, Result: res, Violations: vs}, nil
}

// AbandonedLine says how many messages were abandoned with their
// application told: not losses, but what a reader of a verdict must know.
func (r Report) AbandonedLine() string {
	return fmt.Sprintf("abandoned: %d message(s) in %d of %d schedule(s) were never delivered and the publisher told its application it gave up (not counted as loss)",
		r.Abandoned, r.AbandonedCases, r.Tried)
}

// String is the report as a person reads it: the verdict, the counts, and
// for a counterexample its schedule, violations, diagram and replay line.
func (r Report) String() string {
	var b strings.Builder
	s := r.Search
	what := fmt.Sprintf("property %s (%s) for variant %s, %s mode, MQTT %s", s.Property.Name, s.Property.Kind,
		s.Config.Variant, s.Config.Endpoint.Mode, s.Config.Endpoint.Version)
	if s.Config.Endpoint.Volatile {
		what += ", volatile session state"
	}
	if r.Held {
		verdict := "HELD"
		if r.Interrupted {
			verdict = "INTERRUPTED, no counterexample so far"
		}
		fmt.Fprintf(&b, "%s: %s\n%d schedule(s) tried in %v, seed %d\n", verdict, what, r.Tried, r.Elapsed.Round(time.Millisecond), s.Seed)
		if r.Abandoned > 0 {
			fmt.Fprintf(&b, "%s\n", r.AbandonedLine())
		}
		return b.String()
	}
	c := r.Counterexample
	fmt.Fprintf(&b, "VIOLATED: %s\ncounterexample after %d schedule(s) (%v), shrunk in %d step(s); %v in all; seed %d\n",
		what, r.Tried, r.FirstFound.Round(time.Microsecond), c.Shrinks, r.Elapsed.Round(time.Millisecond), s.Seed)
	fmt.Fprintf(&b, "found:  %v\nshrunk: %v\n", c.Original, c.Case)
	sched := c.Case.Faults.String()
	if sched == "" {
		sched = "(no faults)"
	}
	fmt.Fprintf(&b, "schedule: %s\n\nviolations:\n", sched)
	for _, v := range c.Violations {
		fmt.Fprintf(&b, "  %s\n", v)
	}
	fmt.Fprintf(&b, "\n%s\nreplay: %s\n", c.Diagram(), c.Command())
	return b.String()
}
