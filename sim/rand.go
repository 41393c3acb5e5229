package sim

import "math/bits"

// The hot draws of a run (loss, duplication and jitter for every packet,
// choices for every step) go straight to the run's PCG: the same values as
// the rand.Rand that wraps it, in the same order, without a call through
// the Source interface for each.

// randFloat is s.rng.Float64().
func (s *Sim) randFloat() float64 {
	return float64(s.pcg.Uint64()<<11>>11) / (1 << 53)
}

// randInt64N is s.rng.Int64N(n) for n > 0: Lemire's multiply-and-reject, as
// math/rand/v2 draws it on 64-bit platforms.
func (s *Sim) randInt64N(n int64) int64 {
	if bits.UintSize == 32 {
		return s.rng.Int64N(n) // 32-bit platforms draw small bounds another way
	}
	u := uint64(n)
	if u&(u-1) == 0 {
		return int64(s.pcg.Uint64() & (u - 1))
	}
	hi, lo := bits.Mul64(s.pcg.Uint64(), u)
	if lo < u {
		thresh := -u % u
		for lo < thresh {
			hi, lo = bits.Mul64(s.pcg.Uint64(), u)
		}
	}
	return int64(hi)
}
