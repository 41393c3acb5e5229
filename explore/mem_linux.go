//go:build linux

package explore

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

const mapped = true

const (
	hugePage = 2 << 20 // a transparent huge page
	pageSize = 4 << 10
)

// mapBytes maps size bytes of zeroed anonymous memory.
//
// A mapping of a huge page or more is aligned to huge pages and asks for
// them (MADV_HUGEPAGE): the visited table is read at random, and with 4 KiB
// pages nearly every probe would miss the TLB as well as the cache. Its
// pages are then made present in one go (MADV_POPULATE_WRITE): every array
// here is written through soon after, and one system call costs far less
// than a page fault a page (which in a virtual machine were most of a
// search's system time). Both are hints: a kernel without them faults the
// pages in as usual.
func mapBytes(size int) []byte {
	span := size
	if size >= hugePage {
		span += hugePage // room to align
	}
	p, err := unix.MmapPtr(-1, 0, nil, uintptr(span), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		panic(fmt.Sprintf("explore: out of memory: mapping %d MiB: %v", size>>20, err))
	}
	b := unsafe.Slice((*byte)(p), span)
	if size >= hugePage {
		off := int(-uintptr(p) & (hugePage - 1))
		if off > 0 {
			unmapBytes(b[:off])
		}
		if end := off + (size+pageSize-1)&^(pageSize-1); end < span { // munmap wants whole pages
			unmapBytes(b[end:])
		}
		b = b[off : off+size : off+size]
		_ = unix.Madvise(b, unix.MADV_HUGEPAGE)
	}
	_ = unix.Madvise(b, unix.MADV_POPULATE_WRITE)
	return b
}

// unmapBytes unmaps memory from mapBytes.
func unmapBytes(b []byte) {
	if err := unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(b)), uintptr(len(b))); err != nil {
		panic("explore: unmapping memory: " + err.Error())
	}
}
