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
