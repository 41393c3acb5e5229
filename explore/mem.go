package explore

import (
	"sync/atomic"
	"unsafe"
)

// A search's large, pointer-free arrays (the visited table, the parent
// links, the edges the liveness check needs, the frontier) are allocated
// outside the Go heap on Linux (mem_linux.go: anonymous mmap). The garbage collector then neither scans them nor counts them
// towards its target: with the arrays in the heap, a grown-and-freed table
// stays resident until the next collection, and at GOGC=400 that is up to
// four times the live heap. Freed here, memory goes back to the system at
// once, and the search knows exactly how much it holds (--max-mem).

// bigBytes is the size from which an allocation goes outside the heap:
// smaller ones (the small table shards of a small search) are not worth a
// system call.
const bigBytes = 64 << 10

// memory counts the bytes a search holds in its arrays outside the heap.
type memory struct {
	bytes atomic.Int64
	peak  atomic.Int64
}

func (m *memory) add(n int64) {
	v := m.bytes.Add(n)
	for {
		p := m.peak.Load()
		if v <= p || m.peak.CompareAndSwap(p, v) {
			return
		}
	}
}

// alloc returns a zeroed slice of n T's. T must hold no pointers.
func alloc[T any](m *memory, n int) []T {
	if n == 0 {
		return nil
	}
	var t T
	size := n * int(unsafe.Sizeof(t))
	if size < bigBytes || !mapped {
		return make([]T, n)
	}
	m.add(int64(size))
	b := mapBytes(size)
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// free gives back a slice from alloc; it must not be used afterwards.
func free[T any](m *memory, s []T) {
	if cap(s) == 0 {
		return
	}
	var t T
	size := cap(s) * int(unsafe.Sizeof(t))
	if size >= bigBytes && mapped {
		m.add(-int64(size))
		unmapBytes(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s[:cap(s)]))), size))
	}
}
