package properties

import (
	"testing"

	_ "github.com/qoslab/qoslab/internal/mutant"
	"github.com/qoslab/qoslab/sim"
)

// An end that keeps one table of in-flight packet ids for both directions
// (internal/mutant's shared-id-table, after a real broker's bug) passes
// every one-way search and fails as soon as both ends of a connection
// publish: the shortest case needs no fault at all, two messages whose
// flows start together under the same id. The test fails if the mutant
// stops failing.
func TestSharedIDTableIsCaught(t *testing.T) {
	Holds(t, Search{Config: sim.Config{Variant: "shared-id-table"}, Property: ExactlyOnce, Tests: 1000, Seed: 1})
	for _, top := range []sim.Topology{sim.Duplex, sim.Pair} {
		t.Run(top.String(), func(t *testing.T) {
			expectFailure(t, "shared-id-table-"+top.String(),
				Search{Config: sim.Config{Variant: "shared-id-table", Topology: top}, Property: ExactlyOnce, Tests: 2000, Seed: 1}, 0, 2)
		})
	}
}
