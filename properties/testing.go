package properties

import "testing"

// Holds runs the search and fails t, printing the counterexample, its seed
// and its replay command, when the property is violated.
func Holds(t testing.TB, s Search) Report {
	t.Helper()
	r, err := s.Run()
	if err != nil {
		t.Fatalf("search settings: %v", err)
	}
	if !r.Held {
		t.Fatalf("want the property to hold, found a counterexample:\n%s", r)
	}
	return r
}

// Fails runs the search and fails t when no counterexample is found; it
// returns the shrunk counterexample for the test to pin.
func Fails(t testing.TB, s Search) *Counterexample {
	t.Helper()
	r, err := s.Run()
	if err != nil {
		t.Fatalf("search settings: %v", err)
	}
	if r.Held {
		t.Fatalf("want a counterexample, none found:\n%s", r)
	}
	return r.Counterexample
}
