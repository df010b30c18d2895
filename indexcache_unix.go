//go:build unix

package main

import (
	"errors"
	"io"
	"os"
	"runtime/debug"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// cacheFile is the index cache file as its articles are read: mapped into
// memory, so that taking an article is a copy rather than a system call
// (a million of them at a start). The pages read are let go every
// cacheFileDrop bytes, so that the mapping never keeps much of the file
// resident: the cache is read about once through, in the order its
// sources ask, which is mostly the order it was written in.
type cacheFile struct {
	f    *os.File
	data []byte
	read atomic.Int64
}

// cacheFileDrop is how many bytes are read from the mapping between two
// lettings go of its pages.
const cacheFileDrop = 32 << 20

// openCacheFile maps f, of size bytes; it falls back on reading f when f
// cannot be mapped. Close closes f.
func openCacheFile(f *os.File, size int64) io.ReaderAt {
	if size <= 0 || int64(int(size)) != size {
		return f
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return f
	}
	return &cacheFile{f: f, data: data}
}

// errCacheFileFault is ReadAt's error when the file was cut short under
// the mapping: the cache is then refused, or its article read from its
// source, as for any damage.
var errCacheFileFault = errors.New("index cache file changed while read")

// cacheFileCopyMax is the largest read copied from the mapping: a
// larger one (the stream that checks the whole file at open, a megabyte
// at a time) is read with a system call, which copies from the page cache
// without faulting each page in.
const cacheFileCopyMax = 64 << 10

func (c *cacheFile) ReadAt(p []byte, off int64) (n int, err error) {
	if off < 0 || off > int64(len(c.data)) {
		return 0, io.EOF
	}
	if len(p) > cacheFileCopyMax {
		return c.f.ReadAt(p, off)
	}
	// A file cut short under the mapping faults: a panic here, turned
	// into an error, rather than the process's end.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			n, err = 0, errCacheFileFault
		}
	}()
	n = copy(p, c.data[off:])
	if c.read.Add(int64(n))%cacheFileDrop < int64(n) {
		// The pages stay in the page cache: read again, they come
		// back without a read from the disk.
		unix.Madvise(c.data, unix.MADV_DONTNEED)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Lend lends the n bytes of the mapping at off (see briefs.Lender). A
// large block's pages are let go when done; a small one's (an entry) as
// ReadAt lets them go, every cacheFileDrop bytes.
func (c *cacheFile) Lend(off, n int64) (b []byte, done func(), ok bool) {
	if off < 0 || n < 0 || off+n > int64(len(c.data)) {
		return nil, nil, false
	}
	b = c.data[off : off+n]
	if n <= cacheFileCopyMax {
		if c.read.Add(n)%cacheFileDrop < n {
			unix.Madvise(c.data, unix.MADV_DONTNEED)
		}
		return b, nothing, true
	}
	return b, func() {
		page := int64(os.Getpagesize())
		lo, hi := (off+page-1)/page*page, (off+n)/page*page
		if lo < hi {
			unix.Madvise(c.data[lo:hi], unix.MADV_DONTNEED)
		}
	}, true
}

func nothing() {}

func (c *cacheFile) Close() error {
	err := syscall.Munmap(c.data)
	c.data = nil
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	return err
}
