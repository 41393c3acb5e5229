// Package properties checks delivery guarantees over the recorded history of
// simulated runs and searches random fault schedules for counterexamples.
//
// A Property has a name and a kind: Always (safety, judged at every point of
// the history) or Eventually (liveness, judged at the end, after the network
// healed and the run continued until nothing was pending). The built-in ones
// are NoDuplicate, NoLoss, ExactlyOnce (both), BoundedState, TopicOrder and
// NoResendAfterPubrec. Check judges one sim.Result and reports every
// violation with the message and the trace positions that show it.
//
// A Search draws cases (workload, network settings, fault schedule) from a
// Space with gopter, runs each through the simulator and, at the first
// violation, shrinks the case to a minimal one: fewer faults, fewer
// messages, earlier packets, shorter delays. Searches are reproducible: the
// same seed and settings give the same verdict and counterexample on any
// number of cores.
//
// Usage, in a _test.go file of your own variant:
//
//	func TestMyVariantExactlyOnce(t *testing.T) {
//		properties.Holds(t, properties.Search{
//			Config: sim.Config{Variant: "my-variant", Endpoint: model.Config{Mode: model.Datagram}},
//			Tests:  2000, Seed: 1,
//		})
//	}
package properties
