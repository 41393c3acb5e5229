package scenarios

import "testing"

// BenchmarkPacketIDWrap runs the 65,600-message wrap-around scenario under
// qos2-b: the cost of the library's largest run.
func BenchmarkPacketIDWrap(b *testing.B) {
	sc, err := Lookup("packet-id-wrap")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := sc.Run("qos2-b", false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad is the cost of strictly loading one scenario file.
func BenchmarkLoad(b *testing.B) {
	sc, err := Lookup("receive-max-window")
	if err != nil {
		b.Fatal(err)
	}
	data, _ := LibraryFile(sc)
	for b.Loop() {
		if _, err := Load("b.yaml", data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
