package model_test

import (
	"fmt"

	"github.com/qoslab/qoslab/sim"
)

// The example variant of docs/variants.md (example_variant_test.go) at the
// first two break points of the answer: it never duplicates, but it loses
// the message whose first PUBLISH was lost.
func Example_addingAVariant() {
	for _, faults := range []string{"break after-send PUBLISH#1", "break after-send PUBACK#1"} {
		sched, _ := sim.ParseSchedule(faults)
		res, err := sim.Run(sim.Config{Variant: "qos1-dropdup", Workload: sim.Workload{Messages: 1}, Faults: sched})
		if err != nil {
			fmt.Println(err)
			return
		}
		s := res.Summarize()
		fmt.Printf("%s: %d exactly once, %d duplicated, %d lost\n", faults, s.ExactlyOnce, s.Duplicated, s.Missing)
	}
	// Output:
	// break after-send PUBLISH#1: 0 exactly once, 0 duplicated, 1 lost
	// break after-send PUBACK#1: 1 exactly once, 0 duplicated, 0 lost
}
