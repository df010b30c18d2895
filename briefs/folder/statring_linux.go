//go:build linux

package folder

import (
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// statBatch is how many files a statRing stats with one io_uring_enter.
const statBatch = 64

// minRingStats is the fewest files statRings stats through a ring: the
// kernel hands a ring's stats to its worker threads, and for fewer files
// that round trip saves little over plain system calls.
const minRingStats = 4

// statRings are the io_urings a walk stats files with where the system
// has them (see uringWorks): with one, the stats of a batch of files cost
// one system call (io_uring_enter) instead of an fstatat each, which
// matters where system calls are dear, and a start with an index cache
// stats every file. There is one ring for each goroutine stating files at
// a time (see spread), kept from one part of a folder to the next, and
// all are closed when the walk is done.
type statRings struct {
	mu   sync.Mutex
	free []*statRing
	off  bool // the system has no ring, or one failed: stat plainly
}

// statRing is a ring of statRings, with what its entries point to.
type statRing struct {
	r     *ring
	names []byte         // the batch's names, each NUL-terminated
	at    [statBatch]int // where each name starts in names
	stx   [statBatch]unix.Statx_t
	ok    [statBatch]bool // the ring stat'ed the batch's file
}

// newStatRing sets up a ring for statRings; tests make it fail.
var newStatRing = func() (*ring, error) { return newRing(statBatch) }

// statEach is walker.statEach through a ring, for a folder open as a
// descriptor with enough files to stat; false if it did nothing.
func (p *statRings) statEach(d folderDir, files []File, idx []int, plen int, done func(i int, s fileStat)) bool {
	if len(idx) < minRingStats {
		return false
	}
	fd, ok := d.descriptor()
	if !ok {
		return false
	}
	sr := p.get()
	if sr == nil {
		return false
	}
	for lo := 0; lo < len(idx); lo += statBatch {
		part := idx[lo:min(lo+statBatch, len(idx))]
		if sr == nil {
			statPlainly(d, files, part, plen, done)
		} else if !sr.stat(d, fd, files, part, plen, done) {
			p.lose(sr)
			sr = nil
		}
	}
	if sr != nil {
		p.mu.Lock()
		p.free = append(p.free, sr)
		p.mu.Unlock()
	}
	return true
}

// get returns a free ring, or a new one; nil when there is none to have.
func (p *statRings) get() *statRing {
	p.mu.Lock()
	if p.off {
		p.mu.Unlock()
		return nil
	}
	if n := len(p.free); n > 0 {
		sr := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return sr
	}
	p.mu.Unlock()
	if useRing && uringWorks() {
		if r, err := newStatRing(); err == nil {
			return &statRing{r: r}
		}
	}
	p.mu.Lock()
	p.off = true
	p.mu.Unlock()
	return nil
}

// lose gives up sr after its ring failed: the kernel may still write what
// its entries point to, so it is kept for ever, and the rest of the walk
// stats plainly.
func (p *statRings) lose(sr *statRing) {
	lostRings.Lock()
	lostRings.stats = append(lostRings.stats, sr)
	lostRings.Unlock()
	p.mu.Lock()
	p.off = true
	p.mu.Unlock()
}

// close closes the rings. None may be in use.
func (p *statRings) close() {
	for _, sr := range p.free {
		sr.r.close()
	}
	p.free = nil
}

// stat stats in d, open as fd, the files files[i] for i in idx (no more
// than statBatch), and gives done each result. Its statx is the one
// fstatat makes (see vfs_fstatat), so that what it finds is what d.stat
// would; a file it could not stat, or not fully, is stat'ed again by
// d.stat, whose result and error are then the file's. It returns false if
// the ring failed: then it must not be used again (see lose).
func (sr *statRing) stat(d folderDir, fd int, files []File, idx []int, plen int, done func(i int, s fileStat)) bool {
	sr.names = sr.names[:0]
	for k, i := range idx {
		sr.at[k] = len(sr.names)
		sr.names = append(append(sr.names, files[i].Rel[plen:]...), 0)
	}
	for k := range idx {
		sr.ok[k] = false
		e := sr.r.queue(uint64(k))
		e.opcode = uringOpStatx
		e.fd = int32(fd)
		e.addr = uint64(uintptr(unsafe.Pointer(&sr.names[sr.at[k]])))
		e.opFlags = unix.AT_NO_AUTOMOUNT // and links followed
		e.len = unix.STATX_BASIC_STATS
		e.off = uint64(uintptr(unsafe.Pointer(&sr.stx[k])))
	}
	if ringFault != nil {
		ringFault(sr.r, 3)
	}
	const want = unix.STATX_TYPE | unix.STATX_SIZE | unix.STATX_MTIME
	err := sr.r.run(func(k uint64, res int32) {
		sr.ok[k] = res == 0 && sr.stx[k].Mask&want == want
	})
	for k, i := range idx {
		var s fileStat
		if x := &sr.stx[k]; sr.ok[k] {
			s.size, s.modTime, s.regular = int64(x.Size), time.Unix(x.Mtime.Sec, int64(x.Mtime.Nsec)), x.Mode&syscall.S_IFMT == syscall.S_IFREG
		} else {
			s.size, s.modTime, s.regular, s.err = d.stat(files[i].Rel[plen:])
		}
		done(i, s)
	}
	return err == nil
}
