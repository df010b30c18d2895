//go:build linux

package folder

import (
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawFile is an article file opened for reading with plain system calls.
// os.Open would also put the descriptor in non-blocking mode and try to
// register it with the network poller, which regular files never use: on
// machines where system calls are dear that costs as much as the reading.
type rawFile struct {
	fd   int
	path string
}

func openFile(path string) (rawFile, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == nil {
			return rawFile{fd, path}, nil
		}
		if err != syscall.EINTR {
			return rawFile{}, &os.PathError{Op: "open", Path: path, Err: err}
		}
	}
}

// openFileIn opens f relative to its folder, open as dirFD (see heldDirs),
// unless that is -1. Should that fail it opens f by its path, which says
// what is wrong with the file (or finds it after all: the folder may
// have been replaced since the walk).
func openFileIn(dirFD int32, f File) (rawFile, error) {
	path := f.Path()
	if dirFD >= 0 {
		name := f.Rel[strings.LastIndexByte(f.Rel, '/')+1:]
		for {
			fd, err := unix.Openat(int(dirFD), name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
			if err == nil {
				return rawFile{fd, path}, nil
			}
			if err != syscall.EINTR {
				break
			}
		}
	}
	return openFile(path)
}

// read reads into p, returning 0 and no error at the end of the file.
func (f rawFile) read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(f.fd, p)
		if err == nil {
			return n, nil
		}
		if err != syscall.EINTR {
			return 0, &os.PathError{Op: "read", Path: f.path, Err: err}
		}
	}
}

// stat returns the file's size and modification time.
func (f rawFile) stat() (int64, time.Time, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Fstat(f.fd, &st)
		if err == nil {
			break
		}
		if err != syscall.EINTR {
			return 0, time.Time{}, &os.PathError{Op: "stat", Path: f.path, Err: err}
		}
	}
	sec, nsec := st.Mtim.Unix()
	return int64(st.Size), time.Unix(sec, nsec), nil
}

func (f rawFile) close() { syscall.Close(f.fd) }

// statFile returns the size and modification time of the file at path,
// following links.
func statFile(path string) (int64, time.Time, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Stat(path, &st)
		if err == nil {
			break
		}
		if err != syscall.EINTR {
			return 0, time.Time{}, &os.PathError{Op: "stat", Path: path, Err: err}
		}
	}
	sec, nsec := st.Mtim.Unix()
	return int64(st.Size), time.Unix(sec, nsec), nil
}

// newFileReader returns a reader of up to chunk files at a time: through
// an io_uring where the system has one (see ringReader), one file after
// the other otherwise.
func newFileReader(chunk int) fileReader {
	if !useRing || !uringWorks() {
		return plainReader{}
	}
	// Each file takes two entries at once: an open and the last chunk's
	// close, then a stat and a read.
	r, err := newRing(uint32(2 * chunk))
	if err != nil {
		return plainReader{}
	}
	return &ringReader{r: r, slots: make([]ringSlot, chunk)}
}

// ringReader reads a chunk of files at a time through an io_uring, with
// two system calls for the chunk instead of four for each file: one
// io_uring_enter opens the files (and closes those of the chunk before),
// another stats them (unless the walk did) and reads them; then they are
// parsed as readArticleFileIn does. Whatever fails in the ring is done
// again with the plain system calls, so that the errors are theirs.
type ringReader struct {
	r       *ring // nil once it failed: then the files are read plainly
	slots   []ringSlot
	closing []int32 // the descriptors of the chunk before
}

// ringSlot is a file of the chunk being read.
type ringSlot struct {
	path string
	name []byte // its name in its folder, or its path, NUL-terminated
	fd   int32  // -1 when not open
	busy int    // entries queued for the file and not reported done
	stx  unix.Statx_t
	buf  []byte
	e    early
}

// The kinds of entry a ringReader queues, in the top bits of their
// userData; the others hold the slot, or for a close the descriptor.
const (
	ringClose = iota << 32
	ringOpen
	ringStat
	ringRead
	ringKind = 0xff << 32
)

// emptyPath is the path that, with AT_EMPTY_PATH, makes statx stat the
// file of a descriptor.
var emptyPath [1]byte

func (rr *ringReader) read(files []File, dirs []int32, max int64, out []readResult) {
	for lo := 0; lo < len(files); lo += len(rr.slots) {
		hi := min(lo+len(rr.slots), len(files))
		var d []int32
		if dirs != nil {
			d = dirs[lo:hi]
		}
		if rr.r == nil {
			plainReader{}.read(files[lo:hi], d, max, out[lo:hi])
			continue
		}
		rr.readChunk(files[lo:hi], d, max, out[lo:hi])
	}
}

// readChunk reads files (no more than the slots) into out.
func (rr *ringReader) readChunk(files []File, dirs []int32, max int64, out []readResult) {
	r := rr.r
	rr.queueCloses()
	for i, f := range files {
		s := &rr.slots[i]
		s.fd, s.e = -1, early{}
		if f.Size > max {
			continue // refused unopened, as by File.Read
		}
		s.path = f.Path()
		s.busy++
		e := r.queue(ringOpen | uint64(i))
		e.opcode = uringOpOpenat
		if dirs != nil && dirs[i] >= 0 {
			// Opened in its folder; should that fail, Read opens the path.
			e.fd = dirs[i]
			s.name = append(append(s.name[:0], f.Rel[strings.LastIndexByte(f.Rel, '/')+1:]...), 0)
		} else {
			e.fd = unix.AT_FDCWD
			s.name = append(append(s.name[:0], s.path...), 0)
		}
		e.addr = uint64(uintptr(unsafe.Pointer(&s.name[0])))
		e.opFlags = syscall.O_RDONLY | syscall.O_CLOEXEC
	}
	if ringFault != nil {
		ringFault(r, 1)
	}
	err := r.run(func(userData uint64, res int32) {
		switch userData & ringKind {
		case ringClose:
			if res == notRun {
				syscall.Close(int(int32(userData)))
			}
		case ringOpen:
			s := &rr.slots[userData&^ringKind]
			s.busy--
			if res >= 0 {
				s.fd = res
			}
		}
	})
	if err != nil {
		rr.abandon()
	}

	if rr.r != nil {
		for i, f := range files {
			s := &rr.slots[i]
			if s.fd < 0 {
				continue
			}
			if f.ModTime.IsZero() {
				s.busy++
				e := r.queue(ringStat | uint64(i))
				e.opcode = uringOpStatx
				e.fd = s.fd
				e.addr = uint64(uintptr(unsafe.Pointer(&emptyPath[0])))
				e.opFlags = unix.AT_EMPTY_PATH
				e.len = unix.STATX_SIZE | unix.STATX_MTIME
				e.off = uint64(uintptr(unsafe.Pointer(&s.stx)))
			}
			if s.buf == nil {
				s.buf = make([]byte, ringReadSize)
			}
			ask := min(int64(len(s.buf)), max+1)
			if !f.ModTime.IsZero() {
				ask = min(ask, f.Size+1)
			}
			s.e.ask = int(ask)
			s.busy++
			e := r.queue(ringRead | uint64(i))
			e.opcode = uringOpRead
			e.fd = s.fd
			e.addr = uint64(uintptr(unsafe.Pointer(&s.buf[0])))
			e.len = uint32(ask)
			e.off = ^uint64(0) // at the file's position, which it moves on
		}
		if ringFault != nil {
			ringFault(r, 2)
		}
		err := r.run(func(userData uint64, res int32) {
			s := &rr.slots[userData&^ringKind]
			s.busy--
			switch userData & ringKind {
			case ringStat:
				const want = unix.STATX_SIZE | unix.STATX_MTIME
				if res == 0 && s.stx.Mask&want == want {
					s.e.stat, s.e.size, s.e.modTime = true, int64(s.stx.Size), time.Unix(s.stx.Mtime.Sec, int64(s.stx.Mtime.Nsec))
				}
			case ringRead:
				if res >= 0 {
					s.e.read, s.e.data = true, s.buf[:res]
				}
			}
		})
		if err != nil {
			rr.abandon()
		}
	}

	for i, f := range files {
		s := &rr.slots[i]
		if s.busy > 0 {
			// The ring failed with an entry of the file's in flight: it
			// may yet open the file or move its position. Its descriptor
			// is left to it, and the file read by its path.
			s.busy, s.fd = 0, -1
		}
		if s.fd < 0 {
			out[i].a, out[i].err = f.Read(max)
			continue
		}
		fh := rawFile{int(s.fd), s.path}
		out[i].a, out[i].err = readOpen(f, fh, max, &s.e)
		s.path, s.e.data = "", nil
		if rr.r != nil {
			rr.closing = append(rr.closing, s.fd)
		} else {
			fh.close()
		}
	}
}

// lostRings keeps for ever the rings that failed, and the memory their
// entries point to, which the kernel may still write.
var lostRings struct {
	sync.Mutex
	readers []ringReader
	stats   []*statRing
}

// abandon gives up the ring after it failed: what it still had in flight
// is kept from reuse, and files are read plainly from now on.
func (rr *ringReader) abandon() {
	lostRings.Lock()
	lostRings.readers = append(lostRings.readers, ringReader{r: rr.r, slots: rr.slots})
	lostRings.Unlock()
	rr.r = nil
	fresh := make([]ringSlot, len(rr.slots))
	for i, s := range rr.slots {
		fresh[i] = ringSlot{path: s.path, fd: s.fd, busy: s.busy, e: s.e}
	}
	rr.slots = fresh
}

// ringFault, in tests, may break the ring before it runs the opens
// (phase 1) or the stats and reads (phase 2) of a ringReader, or the
// stats of a statRing (phase 3).
var ringFault func(r *ring, phase int)

// queueCloses queues the closes of the descriptors of the chunk before.
func (rr *ringReader) queueCloses() {
	for _, fd := range rr.closing {
		e := rr.r.queue(ringClose | uint64(uint32(fd)))
		e.opcode, e.fd = uringOpClose, fd
	}
	rr.closing = rr.closing[:0]
}

func (rr *ringReader) close() {
	if rr.r != nil && len(rr.closing) > 0 {
		rr.queueCloses()
		err := rr.r.run(func(userData uint64, res int32) {
			if res == notRun {
				syscall.Close(int(int32(userData)))
			}
		})
		if err != nil {
			rr.abandon()
		}
	}
	if rr.r != nil {
		rr.r.close()
		rr.r = nil
	}
}
