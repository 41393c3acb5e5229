package study

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// With the same denominator in every run, the ratio interval is the
// textbook Student's t interval of the per-run rates.
func TestRatioMatchesStudentsTWhenRunsAreEqual(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var r Ratio
	var rates []float64
	for range 37 {
		x := uint64(rng.IntN(50))
		r.Add(x, 100)
		rates = append(rates, 1000*float64(x)/100)
	}
	mean, std := stat.MeanStdDev(rates, nil)
	half := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: 36}.Quantile(0.975) * stat.StdErr(std, 37)
	e := r.Estimate(1000)
	if math.Abs(e.Mean-mean) > 1e-9 || math.Abs(e.CI95-half) > 1e-9 {
		t.Fatalf("estimate %+v, want mean %v +- %v", e, mean, half)
	}
}

func TestRatioEdgeCases(t *testing.T) {
	var r Ratio
	if e := r.Estimate(1); !math.IsNaN(e.Mean) || !math.IsNaN(e.CI95) {
		t.Errorf("empty: %+v, want NaN NaN", e)
	}
	r.Add(3, 4)
	if e := r.Estimate(1); e.Mean != 0.75 || !math.IsNaN(e.CI95) {
		t.Errorf("one run: %+v, want 0.75 and no interval", e)
	}
	r.Add(3, 4)
	if e := r.Estimate(1); e.Mean != 0.75 || e.CI95 != 0 {
		t.Errorf("two equal runs: %+v, want 0.75 +- 0", e)
	}
}

// Sums of squares beyond 64 bits stay exact and survive JSON.
func TestRatioIsExactBeyond64Bits(t *testing.T) {
	var a, b Ratio
	big := uint64(1) << 40
	for range 1000 {
		a.Add(big, big+1)
	}
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("round trip changed the accumulator:\n%+v\n%+v", a, b)
	}
	if a.XX.hi == 0 {
		t.Fatalf("test does not exceed 64 bits: %+v", a.XX)
	}
	if want := "1208925819614629174706176000"; a.XX.big().String() != want { // 1000 * 2^80
		t.Fatalf("XX = %s, want %s", a.XX.big(), want)
	}
}

func TestHistQuantileMatchesGonumOnTheSamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	h := Hist{}
	var xs []float64
	for range 5000 {
		v := int64(rng.ExpFloat64() * 40)
		h.Add(v)
		xs = append(xs, float64(v))
	}
	sort.Float64s(xs)
	for _, p := range []float64{0.01, 0.5, 0.9, 0.99, 1} {
		if got, want := h.Quantile(p), stat.Quantile(p, stat.Empirical, xs, nil); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	var back Hist
	data, _ := json.Marshal(h)
	if err := json.Unmarshal(data, &back); err != nil || !reflect.DeepEqual(back, h) {
		t.Fatalf("JSON round trip: %v", err)
	}
}

func TestParseShard(t *testing.T) {
	for _, bad := range []string{"1", "2/2", "-1/3", "a/b", "0/0", "1/2/3", "01/2"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
	total := 0
	for i := range 3 {
		sh, err := ParseShard(Shard{i, 3}.String())
		if err != nil {
			t.Fatal(err)
		}
		total += sh.Runs(10)
	}
	if total != 10 {
		t.Fatalf("shards of 10 runs cover %d", total)
	}
}

// The interval does what it says: over 2,000 studies of 30 runs with a
// known loss rate and a varying number of messages per run, about 95% of
// the intervals contain the true rate.
func TestRatioIntervalCoversTheTrueRate(t *testing.T) {
	const trials, runs, p = 2000, 30, 0.03
	rng := rand.New(rand.NewPCG(5, 6))
	covered := 0
	for range trials {
		var r Ratio
		for range runs {
			n := 50 + rng.IntN(100)
			x := 0
			for range n {
				if rng.Float64() < p {
					x++
				}
			}
			r.Add(uint64(x), uint64(n))
		}
		e := r.Estimate(1)
		if math.Abs(e.Mean-p) <= e.CI95 {
			covered++
		}
	}
	c := float64(covered) / trials
	t.Logf("coverage %.3f", c)
	if c < 0.93 || c > 0.97 {
		t.Fatalf("coverage %.3f, want about 0.95", c)
	}
}

// The Wilson score interval on textbook values: at 0 of n its upper bound
// is z²/(n+z²), never 0; it stays within [0, 1]; it is not symmetric.
func TestProportionIsWilsonsInterval(t *testing.T) {
	var r Ratio
	r.Add(0, 100)
	e := r.Proportion(1)
	if want := z95 * z95 / (100 + z95*z95); e.Mean != 0 || e.Lo != 0 || math.Abs(e.Hi-want) > 1e-12 {
		t.Fatalf("0 of 100: %+v, want [0, %v]", e, want)
	}
	// 10 of 100 in one run (no design effect): [0.0552, 0.1744] (Wilson 1927).
	var s Ratio
	s.Add(10, 100)
	if e := s.Proportion(1000); math.Abs(e.Lo-55.2291) > 1e-3 || math.Abs(e.Hi-174.3657) > 1e-3 || e.Mean != 100 {
		t.Fatalf("10 of 100: %+v", e)
	}
	var all Ratio
	all.Add(7, 7)
	all.Add(7, 7)
	if e := all.Proportion(1); e.Hi != 1 || e.Lo <= 0.6 || e.Lo >= 1 {
		t.Fatalf("14 of 14: %+v, want [lo < 1, 1]", e)
	}
	if e := (Ratio{}).Proportion(1); !math.IsNaN(e.Mean) || !math.IsNaN(e.Lo) {
		t.Fatalf("no data: %+v", e)
	}
}

// Messages of one run share its faults. With the run's own rate drawn from
// a wide distribution, Wilson's interval over the messages alone would be
// far too narrow; over the effective number of messages (the runs' design
// effect) it covers the true rate about 95% of the time, and so it does
// with independent messages, where the design effect is about 1.
func TestProportionCoversTheTrueRate(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		name   string
		spread float64 // the run's rate is uniform in [p-spread, p+spread]
	}{{"independent messages", 0}, {"clustered runs", 0.05}} {
		const studies, runs, msgs, p = 2000, 20, 100, 0.06
		covered, naive := 0, 0
		for range studies {
			var r Ratio
			for range runs {
				q := p + c.spread*(2*rng.Float64()-1)
				x := 0
				for range msgs {
					if rng.Float64() < q {
						x++
					}
				}
				r.Add(uint64(x), msgs)
			}
			if e := r.Proportion(1); e.Lo <= p && p <= e.Hi {
				covered++
			}
			if lo, hi := wilson(float64(r.X)/float64(r.N), float64(r.N), z95); lo <= p && p <= hi {
				naive++
			}
		}
		rate := float64(covered) / studies
		t.Logf("%s: covered %.3f (plain Wilson %.3f)", c.name, rate, float64(naive)/studies)
		if rate < 0.935 || rate > 0.965 {
			t.Errorf("%s: the interval covered the true rate in %.3f of the studies, want about 0.95", c.name, rate)
		}
	}
}
