package scenarios_test

import (
	"fmt"

	"github.com/qoslab/qoslab/scenarios"
)

// A scenario written in code, in the format of a file, checked under two
// variants.
func ExampleLoad() {
	text := `name: pubrec-lost
why: "the first PUBREC is lost on a datagram link: the retry timer resends the payload"
mode: datagram
messages: 1
faults: lose PUBREC#1
expect:
  qos2-b: {verdict: exactly-once, payload-resends: 1}
  qos2-a: {verdict: exactly-once, payload-resends: 1}
`
	sc, err := scenarios.Load("example.yaml", []byte(text), scenarios.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range sc.Check() {
		fmt.Println(r.Variant, r.Verdict(), r.OK())
	}
	// Output:
	// qos2-b exactly-once true
	// qos2-a exactly-once true
}

func ExampleLookup() {
	sc, err := scenarios.Lookup("break-point-3")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sc.Why)
	fmt.Println(sc.Setup())
	// Output:
	// the connection breaks while PUBREL is in flight (*3): the client resends PUBREL, never the payload
	// --seed 1 --messages 1 --faults "break after-send PUBREL#1"
}
