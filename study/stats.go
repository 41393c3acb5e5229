package study

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/bits"

	"github.com/qoslab/qoslab/sim"

	"gonum.org/v1/gonum/stat/distuv"
)

// Every accumulator here holds exact integers, so merging two of them is
// addition: the result does not depend on how runs were split between
// workers or shards, nor on the order in which they finished. Floating
// point appears only when an estimate is read out, from the merged totals.

// u128 is an unsigned 128-bit integer. Sums of squared per-run totals
// (10,000,000 messages a run, a million runs) do not fit in 64 bits.
type u128 struct{ hi, lo uint64 }

func mul64(a, b uint64) u128 {
	hi, lo := bits.Mul64(a, b)
	return u128{hi, lo}
}

func (a u128) add(b u128) u128 {
	lo, carry := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(a.hi, b.hi, carry)
	return u128{hi, lo}
}

func (a u128) big() *big.Int {
	x := new(big.Int).SetUint64(a.hi)
	x.Lsh(x, 64)
	return x.Or(x, new(big.Int).SetUint64(a.lo))
}

// MarshalJSON writes the decimal value as a string: JSON numbers lose
// precision above 2^53 in most readers.
func (a u128) MarshalJSON() ([]byte, error) { return json.Marshal(a.big().String()) }

func (a *u128) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	x, ok := new(big.Int).SetString(s, 10)
	if !ok || x.Sign() < 0 || x.BitLen() > 128 {
		return fmt.Errorf("not an unsigned 128-bit decimal: %q", s)
	}
	a.lo = new(big.Int).And(x, new(big.Int).SetUint64(math.MaxUint64)).Uint64()
	a.hi = new(big.Int).Rsh(x, 64).Uint64()
	return nil
}

// Ratio estimates a rate per unit (per message, per delivered message,
// per run) from independent runs. Run i adds a total X_i (duplicated
// messages, bytes, summed latency ticks) over N_i units (messages
// published, messages delivered, or 1). The estimate is the ratio of sums;
// its confidence interval treats the run, not the message, as the
// independent sample (messages of one run share its faults), using the
// ratio estimator's variance sum_i (X_i - r N_i)^2 / (k (k-1) Nbar^2).
// When every run has the same N this is the usual Student's t interval of
// the per-run rates.
type Ratio struct {
	Runs uint64 `json:"runs"`
	X    uint64 `json:"x"`
	N    uint64 `json:"n"`
	XX   u128   `json:"xx"`
	XN   u128   `json:"xn"`
	NN   u128   `json:"nn"`
}

// Add records one run's total x over n units.
func (r *Ratio) Add(x, n uint64) {
	r.Runs++
	r.X += x
	r.N += n
	r.XX = r.XX.add(mul64(x, x))
	r.XN = r.XN.add(mul64(x, n))
	r.NN = r.NN.add(mul64(n, n))
}

// Merge adds another accumulator's runs.
func (r *Ratio) Merge(o Ratio) {
	r.Runs += o.Runs
	r.X += o.X
	r.N += o.N
	r.XX = r.XX.add(o.XX)
	r.XN = r.XN.add(o.XN)
	r.NN = r.NN.add(o.NN)
}

// Estimate is a mean and its 95% confidence interval: a half-width (CI95)
// for means, or the bounds Lo and Hi of an interval made for proportions,
// which is not symmetric and stays within [0, 1]. Fields without a value
// are NaN: Mean without data, CI95 with fewer than two runs, Lo and Hi for
// anything but a proportion.
type Estimate struct {
	Mean, CI95 float64
	Lo, Hi     float64
}

// mean returns an Estimate with no interval.
func mean(v float64) Estimate { return Estimate{v, math.NaN(), math.NaN(), math.NaN()} }

// Estimate returns scale * X/N with a 95% interval from Student's t with
// Runs-1 degrees of freedom.
func (r Ratio) Estimate(scale float64) Estimate {
	if r.N == 0 {
		return mean(math.NaN())
	}
	m := scale * float64(r.X) / float64(r.N)
	if r.Runs < 2 {
		return mean(m)
	}
	e := mean(m)
	e.CI95 = scale * tQuantile(r.Runs) * math.Sqrt(r.se2())
	return e
}

// tQuantile is Student's t 97.5% quantile with runs-1 degrees of freedom.
func tQuantile(runs uint64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(runs - 1)}.Quantile(0.975)
}

// z95 is the standard normal 97.5% quantile.
const z95 = 1.959963984540054

// Proportion returns scale * X/N for X successes among N trials (messages)
// with the 95% Wilson score interval, which stays inside [0, scale], is
// not symmetric near 0 and 1, and is not empty at a rate of 0: its upper
// bound is then about 3.84/N. Messages of one run share its faults, so they
// are not independent trials: the interval uses the effective number of
// messages N/deff, where the design effect deff is the ratio estimator's
// variance over runs (see Estimate) divided by the binomial variance
// p(1-p)/N, and at least 1 (Kish), with Korn and Graubard's adjustment for
// the runs' degrees of freedom. With no success or no failure, or one run,
// the runs say nothing about clustering and deff is 1.
func (r Ratio) Proportion(scale float64) Estimate {
	if r.N == 0 || r.X > r.N {
		return mean(math.NaN())
	}
	n := float64(r.N)
	p := float64(r.X) / n
	neff := n
	if r.Runs >= 2 && r.X > 0 && r.X < r.N {
		if deff := r.se2() / (p * (1 - p) / n); deff > 1 {
			// The variance comes from Runs-1 degrees of freedom: scale
			// the effective size by (z/t)² as Korn and Graubard do, so
			// that few runs give a wider interval.
			t := tQuantile(r.Runs)
			neff = n / deff * (z95 / t) * (z95 / t)
		}
	}
	lo, hi := wilson(p, neff, z95)
	switch r.X {
	case 0:
		lo = 0 // exactly, not a rounding error's 1e-18
	case r.N:
		hi = 1
	}
	e := mean(scale * p)
	e.Lo, e.Hi = scale*lo, scale*hi
	return e
}

// wilson is the Wilson score interval of a proportion p observed over n
// trials, at the normal quantile z.
func wilson(p, n, z float64) (lo, hi float64) {
	z2 := z * z
	den := 1 + z2/n
	center := (p + z2/(2*n)) / den
	half := z / den * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	return max(0, center-half), min(1, center+half)
}

// se2 is the squared standard error of X/N over runs (Runs >= 2), computed
// exactly from the integer sums before the one rounding to float64.
func (r Ratio) se2() float64 {
	// D = sum (X_i - r N_i)^2 with r = X/N; D N^2 = XX N^2 - 2 X XN N + X^2 NN,
	// all integers, so the variance is computed exactly before the one
	// rounding to float64.
	X, N := new(big.Int).SetUint64(r.X), new(big.Int).SetUint64(r.N)
	n2 := new(big.Int).Mul(N, N)
	d := new(big.Int).Mul(r.XX.big(), n2)
	t := new(big.Int).Mul(X, r.XN.big())
	t.Mul(t, N)
	t.Lsh(t, 1)
	d.Sub(d, t)
	t.Mul(X, X)
	t.Mul(t, r.NN.big())
	d.Add(d, t)
	// se^2 = D k / ((k-1) N^2), and D = (D N^2) / N^2.
	k := new(big.Int).SetUint64(r.Runs)
	num := new(big.Int).Mul(d, k)
	den := new(big.Int).Mul(n2, n2)
	den.Mul(den, new(big.Int).SetUint64(r.Runs-1))
	se2, _ := new(big.Rat).SetFrac(num, den).Float64()
	return se2
}

// Hist is an exact histogram of integer samples (latencies in ticks):
// sim.Hist, which the simulator fills for each run (sim.Tally) and a study
// merges over its runs.
type Hist = sim.Hist
