//go:build linux

package folder

import (
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// An io_uring lets one system call (io_uring_enter) hand the kernel a
// queue of them: the opens, stats, reads and closes of many files. Where
// system calls are dear that is most of what reading a folder costs. What
// follows is the little of its interface ringReader and statRing need (see
// io_uring_setup(2) and io_uring_enter(2)), with plain system calls.

// The io_uring operations used.
const (
	uringOpOpenat = 18
	uringOpClose  = 19
	uringOpStatx  = 21
	uringOpRead   = 22
)

const (
	uringEnterGetEvents = 1 << 0 // IORING_ENTER_GETEVENTS

	uringFeatSingleMmap = 1 << 0 // IORING_FEAT_SINGLE_MMAP
	uringFeatRWCurPos   = 1 << 3 // IORING_FEAT_RW_CUR_POS: an offset of -1 reads at the file's position

	uringOffSQRing = 0          // IORING_OFF_SQ_RING
	uringOffSQEs   = 0x10000000 // IORING_OFF_SQES

	uringRegisterProbe = 8 // IORING_REGISTER_PROBE
	uringOpSupported   = 1 // IO_URING_OP_SUPPORTED
)

// uringParams is struct io_uring_params.
type uringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	_                                                                      [3]uint32
	sqOff                                                                  uringSQOffsets
	cqOff                                                                  uringCQOffsets
}

// uringSQOffsets is struct io_sqring_offsets.
type uringSQOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, _ uint32
	_                                                           uint64
}

// uringCQOffsets is struct io_cqring_offsets.
type uringCQOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, _ uint32
	_                                                           uint64
}

// uringSQE is struct io_uring_sqe, as the operations used fill it in.
type uringSQE struct {
	opcode   uint8
	flags    uint8
	ioprio   uint16
	fd       int32
	off      uint64 // or the statx buffer
	addr     uint64 // the path or the buffer
	len      uint32 // or the open mode, or the statx mask
	opFlags  uint32 // open or statx flags
	userData uint64
	_        [3]uint64
}

// uringCQE is struct io_uring_cqe.
type uringCQE struct {
	userData uint64
	res      int32
	flags    uint32
}

// uringProbe is struct io_uring_probe with room for every operation.
type uringProbe struct {
	lastOp uint8
	opsLen uint8
	_      uint16
	_      [3]uint32
	ops    [256]struct {
		op    uint8
		_     uint8
		flags uint16
		_     uint32
	}
}

var (
	_ [64 - unsafe.Sizeof(uringSQE{})]byte
	_ [unsafe.Sizeof(uringSQE{}) - 64]byte
	_ [120 - unsafe.Sizeof(uringParams{})]byte
	_ [unsafe.Sizeof(uringParams{}) - 120]byte
)

// ring is an io_uring of one reader: not safe for concurrent use.
type ring struct {
	fd      int
	rings   []byte // the submission and completion rings, mapped
	sqeMem  []byte // the submission entries, mapped
	sqHead  *atomic.Uint32
	sqTail  *atomic.Uint32
	sqMask  uint32
	sqArray []uint32
	sqes    []uringSQE
	cqHead  *atomic.Uint32
	cqTail  *atomic.Uint32
	cqMask  uint32
	cqes    []uringCQE
	tail    uint32 // the submission tail, with the entries queued since the last run
	queued  int
}

// uringWorks reports, once for the process, whether this system has an
// io_uring with what ringReader and statRing need: it may be too old,
// switched off (kernel.io_uring_disabled) or forbidden (a container's
// seccomp filter), and then files are read and stat'ed with plain system
// calls.
var uringWorks = sync.OnceValue(func() bool {
	r, err := newRing(2)
	if err != nil {
		return false
	}
	defer r.close()
	var p uringProbe
	if _, _, e := syscall.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), uringRegisterProbe, uintptr(unsafe.Pointer(&p)), uintptr(len(p.ops)), 0, 0); e != 0 {
		return false
	}
	for _, op := range []int{uringOpOpenat, uringOpClose, uringOpStatx, uringOpRead} {
		if op > int(p.lastOp) || p.ops[op].flags&uringOpSupported == 0 {
			return false
		}
	}
	return true
})

// newRing sets up an io_uring with room for entries submissions at once,
// and twice as many completions.
func newRing(entries uint32) (*ring, error) {
	var p uringParams
	fd, _, e := syscall.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if e != 0 {
		return nil, e
	}
	r := &ring{fd: int(fd)}
	if p.features&uringFeatSingleMmap == 0 || p.features&uringFeatRWCurPos == 0 {
		r.close()
		return nil, syscall.ENOSYS
	}
	size := max(p.sqOff.array+p.sqEntries*4, p.cqOff.cqes+p.cqEntries*uint32(unsafe.Sizeof(uringCQE{})))
	var err error
	if r.rings, err = unix.Mmap(r.fd, uringOffSQRing, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		r.close()
		return nil, err
	}
	if r.sqeMem, err = unix.Mmap(r.fd, uringOffSQEs, int(p.sqEntries)*int(unsafe.Sizeof(uringSQE{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		r.close()
		return nil, err
	}
	u32 := func(off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&r.rings[off])) }
	r.sqHead = (*atomic.Uint32)(unsafe.Pointer(u32(p.sqOff.head)))
	r.sqTail = (*atomic.Uint32)(unsafe.Pointer(u32(p.sqOff.tail)))
	r.sqMask = *u32(p.sqOff.ringMask)
	r.sqArray = unsafe.Slice(u32(p.sqOff.array), p.sqEntries)
	r.sqes = unsafe.Slice((*uringSQE)(unsafe.Pointer(&r.sqeMem[0])), p.sqEntries)
	r.cqHead = (*atomic.Uint32)(unsafe.Pointer(u32(p.cqOff.head)))
	r.cqTail = (*atomic.Uint32)(unsafe.Pointer(u32(p.cqOff.tail)))
	r.cqMask = *u32(p.cqOff.ringMask)
	r.cqes = unsafe.Slice((*uringCQE)(unsafe.Pointer(&r.rings[p.cqOff.cqes])), p.cqEntries)
	r.tail = r.sqTail.Load()
	return r, nil
}

// close unmaps the ring and closes it. Nothing must be in flight.
func (r *ring) close() {
	if r.sqeMem != nil {
		unix.Munmap(r.sqeMem)
	}
	if r.rings != nil {
		unix.Munmap(r.rings)
	}
	syscall.Close(r.fd)
	*r = ring{fd: -1}
}

// queue returns a cleared submission entry for the next run, tagged with
// userData. No more than the ring's entries may be queued for one run.
func (r *ring) queue(userData uint64) *uringSQE {
	i := r.tail & r.sqMask
	r.sqArray[i] = i
	r.tail++
	r.queued++
	e := &r.sqes[i]
	*e = uringSQE{userData: userData}
	return e
}

// notRun is the result run reports for an entry the kernel never took.
const notRun = -1 << 31

// run submits the queued entries and waits for them to complete, calling
// done with each one's userData and result: a negative errno for a
// failure, notRun for an entry never taken. It returns an error if the
// kernel did not take them all, or if it could not wait for them: then
// the ring must not be used again, and the entries taken but not reported
// done may still run, so what they point to must be kept from reuse for
// ever.
func (r *ring) run(done func(userData uint64, res int32)) error {
	head := r.sqHead.Load()
	r.sqTail.Store(r.tail) // the entries, written before, are the kernel's
	want := r.queued
	r.queued = 0
	taken, got := 0, 0
	reap := func() {
		h, t := r.cqHead.Load(), r.cqTail.Load()
		for ; h != t; h++ {
			c := r.cqes[h&r.cqMask]
			got++
			done(c.userData, c.res)
		}
		r.cqHead.Store(h)
	}
	for taken < want {
		// The kernel takes the entries in order, also after one fails (it
		// is reported done), but it may stop there: then go on.
		_, _, e := syscall.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(want-taken), uintptr(want-taken), uringEnterGetEvents, 0, 0)
		before := taken
		taken = int(r.sqHead.Load() - head)
		reap()
		if taken < want && (e != 0 && e != syscall.EINTR || e == 0 && taken == before) {
			// The kernel will not take the rest: take them back.
			for i := head + uint32(taken); i != r.tail; i++ {
				done(r.sqes[r.sqArray[i&r.sqMask]].userData, notRun)
			}
			r.tail = head + uint32(taken)
			r.sqTail.Store(r.tail)
			if e == 0 {
				e = syscall.EAGAIN
			}
			return e
		}
	}
	for got < want {
		_, _, e := syscall.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), 0, uintptr(want-got), uringEnterGetEvents, 0, 0)
		reap()
		if e != 0 && e != syscall.EINTR && got < want {
			return e
		}
	}
	return nil
}
