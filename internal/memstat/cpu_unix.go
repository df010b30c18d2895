//go:build unix

package memstat

import (
	"syscall"
	"time"
)

// CPUTime returns the processor time the process has used so far, user and
// system, on all cores.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Settle writes the files the benchmark's setup wrote out to disk, so that
// the disk catching up with the setup does not slow what is measured.
func Settle() { syscall.Sync() }
