package prefault

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

var pageSize = uintptr(os.Getpagesize())

// populate maps the whole pages of the size bytes at p, writable
// (MADV_POPULATE_WRITE, Linux 5.14). It changes no byte: memory already
// mapped stays as it is, and an older kernel's refusal leaves the pages
// to fault in as they are written.
func populate(p unsafe.Pointer, size uintptr) {
	lo := (uintptr(p) + pageSize - 1) &^ (pageSize - 1)
	hi := (uintptr(p) + size) &^ (pageSize - 1)
	if lo >= hi {
		return
	}
	unix.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, lo-uintptr(p))), hi-lo), unix.MADV_POPULATE_WRITE)
}
