package conformance

import (
	"testing"

	"github.com/qoslab/qoslab/model"
)

// BenchmarkRun is one conformance run end to end: a fresh embedded broker,
// two model clients, one message and one break (break point 2), judged by
// the oracle. Most of a run is waiting for quiet (the settle interval,
// 5ms, after each of about 25 releases), so it measures the harness's
// cadence more than its CPU.
func BenchmarkRun(b *testing.B) {
	c := Case{Messages: 1, Faults: mustSchedule("break after-send PUBREC#1")}
	for b.Loop() {
		if _, err := Run(Target{Broker: Mochi, Client: ModelClient}, c, Options{Version: model.V5}); err != nil {
			b.Fatal(err)
		}
	}
}
