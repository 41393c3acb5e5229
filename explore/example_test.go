package explore_test

import (
	"fmt"
	"os"

	"github.com/qoslab/qoslab/explore"
	"github.com/qoslab/qoslab/model"
)

// QoS 2 over TCP survives any two connection breaks with three messages
// and two packet ids.
func ExampleRun() {
	res, err := explore.Run(explore.Options{Variant: "qos2-b", Messages: 3, Breaks: 2, IDs: 2})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Verdict, res.States, res.Transitions, res.MaxDepth)
	// Output: proven 1040 2006 24
}

// Over datagrams, a duplicated PUBLISH that arrives after PUBREL released
// its id is delivered again: the shortest schedule, and its replay.
func ExampleRun_counterexample() {
	res, _ := explore.Run(explore.Options{Variant: "qos2-b", Mode: model.Datagram, Messages: 1, Dups: 1, Reorder: true})
	v := res.Violation
	explore.WriteTrace(os.Stdout, v)
	fmt.Println(v.Replay.Faults, v.Reproduced)
	// Output:
	// step  C                                      S   (C = client, sender; S = server, receiver)
	//    1  C                                      |  publish m1
	//    2  *                                      |  network duplicates PUBLISH id=1 q2 m1 (in flight)
	//    3  C -------- PUBLISH id=1 q2 m1 -------> S  sent at step 1; server delivers m1
	//    4  C <---------- PUBREC id=1 ------------ S
	//    5  C ----------- PUBREL id=1 -----------> S
	//    6  C -------- PUBLISH id=1 q2 m1 -------> S  sent at step 1; server delivers m1
	//       => no-duplicate (m1) violated after 6 steps
	// dup PUBLISH#1 +21 true
}
