// Package scenarios is qoslab's library of named scenarios and the loader for
// scenario files that users write.
//
// A scenario is data: a one-line "why" first, then the setup of a run (the
// same names as the flags of `simulate run`: topology, mode, mqtt, messages,
// loss, faults, ...) and, for each protocol variant, the verdict it must reach
// (exactly-once, abandoned, duplicate, loss, or duplicate+loss) and, where useful, exact
// figures such as payload retransmissions or bytes. The built-in scenarios
// are YAML files under library/, embedded in the binary, in exactly the
// format a user writes; a test runs them all and checks every expectation.
//
// Loading is strict: an unknown field, a value of the wrong type, a
// probability outside [0,1], a negative count or an unknown variant is an
// error that names the file, the line, the field and what is allowed.
//
// Usage:
//
//	sc, err := scenarios.LoadFile("my-scenario.yaml")
//	if err != nil { ... }            // *scenarios.LoadError
//	for _, r := range sc.Check() {   // one Report per variant in expect
//		fmt.Println(r.Variant, r.Verdict, r.OK())
//	}
//
// Built-in scenarios: scenarios.Library() and scenarios.Lookup(name).
package scenarios
