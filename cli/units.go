package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// memSize is a flag value of bytes written with a unit, as in --max-mem
// 8GiB: B, KiB, MiB, GiB, TiB (powers of 1024, as GOMEMLIMIT reads them) or
// KB, MB, GB, TB (powers of 1000), in any case; a bare number is MiB, which
// is what the flag meant before it took units.
type memSize uint64

// memUnits are the units memSize reads, longest suffixes first.
var memUnits = []struct {
	suffix string
	bytes  float64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"b", 1},
}

// maxMemSize bounds memSize: 2^50 bytes (a pebibyte), far beyond any
// machine, and small enough that no sum of it overflows.
const maxMemSize = 1 << 50

func (m *memSize) Set(s string) error {
	text := strings.ToLower(strings.TrimSpace(s))
	scale := float64(1 << 20)
	for _, u := range memUnits {
		if rest, ok := strings.CutSuffix(text, u.suffix); ok {
			text, scale = strings.TrimSpace(rest), u.bytes
			break
		}
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(v) || v < 0 {
		return fmt.Errorf("want a size such as 512MiB or 8GiB (units B, KiB, MiB, GiB, TiB, KB, MB, GB, TB; a bare number is MiB)")
	}
	b := v * scale
	if b < 1<<20 || b > maxMemSize {
		return fmt.Errorf("allowed 1MiB..1PiB")
	}
	*m = memSize(b)
	return nil
}

// String writes the size in the largest binary unit that divides it.
func (m *memSize) String() string {
	v := uint64(*m)
	for _, u := range []struct {
		name  string
		bytes uint64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v >= u.bytes && v%u.bytes == 0 {
			return strconv.FormatUint(v/u.bytes, 10) + u.name
		}
	}
	return strconv.FormatUint(v, 10) + "B"
}
