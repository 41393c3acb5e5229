package conformance_test

import (
	"fmt"

	"github.com/qoslab/qoslab/conformance"
	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// The embedded broker, driven by the model's own client, loses the
// connection while the first PUBREC is in flight (break point 2 of the
// answer): mochi repeats the PUBREC on resume, which the specification
// permits, and refuses the retransmitted PUBLISH, which it does not.
func Example() {
	faults, _ := sim.ParseSchedule("break after-send PUBREC#1")
	r, err := conformance.Run(conformance.Target{Broker: conformance.Mochi, Client: conformance.ModelClient},
		conformance.Case{Messages: 1, Faults: faults}, conformance.Options{Version: model.V5})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Verdict)
	for _, d := range r.Divergences {
		fmt.Println(d.Class, d.Statement)
	}
	fmt.Println(r.Replay)
	// Output:
	// protocol violation
	// permitted difference MQTT-4.4.0-1
	// protocol violation MQTT-4.3.3-10
	// simulate conform --broker mochi --client model --mqtt 5.0 --faults "break after-send PUBREC#1"
}
