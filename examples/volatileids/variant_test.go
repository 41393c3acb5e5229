package volatileids

import (
	"testing"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/properties"
	"github.com/qoslab/qoslab/sim"
)

// Through breaks the shortcut is harmless: the ids survive in memory.
func TestHoldsThroughBreaks(t *testing.T) {
	properties.Holds(t, properties.Search{
		Config: sim.Config{Variant: Name}, Property: properties.ExactlyOnce,
		Space: properties.Space{Actions: []sim.Action{sim.Break, sim.Delay}}, Tests: 500, Seed: 1,
	})
}

// A crash of the server between a PUBLISH and its PUBREL makes the resent
// PUBLISH look new: the search shrinks that to one server crash and at
// most two messages. The test pins it, so it fails if the variant stops
// failing.
func TestCrashDuplicates(t *testing.T) {
	c := properties.Fails(t, properties.Search{
		Config: sim.Config{Variant: Name}, Property: properties.NoDuplicate,
		Space: properties.Space{Actions: []sim.Action{sim.Crash}}, Tests: 2000, Seed: 1,
	})
	if f, m := c.Case.Size(); f != 1 || m > 2 {
		t.Errorf("counterexample %v: want one crash and at most two messages", c.Case)
	}
	if f := c.Case.Faults[0]; f.Action != sim.Crash || f.Node != "server" {
		t.Errorf("counterexample %v: want a server crash", c.Case)
	}
}

// The registered property is searched like a built-in one, and a delay
// fault longer than its bound breaks it.
func TestOwnProperty(t *testing.T) {
	p, err := properties.Lookup("delivered-in-time")
	if err != nil {
		t.Fatal(err)
	}
	properties.Holds(t, properties.Search{Config: sim.Config{Variant: Name}, Property: p,
		Space: properties.Space{MaxFaults: -1}, Tests: 200, Seed: 1})
	properties.Fails(t, properties.Search{Config: sim.Config{Variant: Name}, Property: p,
		Space: properties.Space{Actions: []sim.Action{sim.Break}, MaxOutageTicks: 400}, Tests: 2000, Seed: 1})
	if _, err := model.Lookup(Name); err != nil {
		t.Fatal(err)
	}
}
