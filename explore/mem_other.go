//go:build !linux

package explore

// Without mmap the arrays live in the Go heap.
const mapped = false

func mapBytes(int) []byte { return nil }

func unmapBytes([]byte) {}
