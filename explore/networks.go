package explore

import (
	"strings"

	"github.com/qoslab/qoslab/model"
)

// Network is one combination of datagram network behaviours, with one of
// each fault budget where the behaviour is a fault.
type Network struct {
	Name                          string // for example "loss+reorder"
	Loss, Reorder, Dup, EarlyTime bool
}

// Networks lists the 16 combinations of loss, reordering, duplication and
// early timers, from none to all.
func Networks() []Network {
	var ns []Network
	for mask := range 16 {
		n := Network{Loss: mask&1 != 0, Reorder: mask&2 != 0, Dup: mask&4 != 0, EarlyTime: mask&8 != 0}
		var parts []string
		for i, name := range []string{"loss", "reorder", "dup", "early-timers"} {
			if mask&(1<<i) != 0 {
				parts = append(parts, name)
			}
		}
		n.Name = strings.Join(parts, "+")
		if n.Name == "" {
			n.Name = "none"
		}
		ns = append(ns, n)
	}
	return ns
}

// Options returns o set for datagram mode with n's behaviours: one loss
// and one duplication in the budget where they are on.
func (n Network) Options(o Options) Options {
	o.Mode = model.Datagram
	o.Losses, o.Dups = 0, 0
	if n.Loss {
		o.Losses = 1
	}
	if n.Dup {
		o.Dups = 1
	}
	o.Reorder, o.EarlyTimers = n.Reorder, n.EarlyTime
	return o
}
