package analytic

import "testing"

// BenchmarkExpect is one analytic expectation: probing the endpoints,
// building the 33-state chain of QoS 2 and inverting I-Q.
func BenchmarkExpect(b *testing.B) {
	cfg := CheckConfig("qos2-b", 0.2, 20)
	for b.Loop() {
		if _, err := Expect(cfg); err != nil {
			b.Fatal(err)
		}
	}
}
