// Package memstat measures memory for the library's benchmarks: the
// process's peak resident set (what an operator sees as the bot's memory,
// and what the scale targets are about) and the live heap. The peak is
// read from Linux's /proc; elsewhere it is not reported.
package memstat

import (
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
)

// ResetPeak collects garbage, returns freed memory to the system and resets
// the kernel's record of the peak resident set, so that PeakRSS then
// measures only what follows (not, say, generating the benchmark's
// articles). It reports false where that is not possible.
func ResetPeak() bool {
	runtime.GC()
	debug.FreeOSMemory()
	// "5" resets the peak resident set size (VmHWM) of the process.
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// PeakRSS returns the peak resident set since the process started or the
// last ResetPeak, in bytes.
func PeakRSS() (uint64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range bytes.Lines(data) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
			if err != nil {
				return 0, false
			}
			return kb << 10, true
		}
	}
	return 0, false
}

// LiveHeap collects garbage and returns the bytes of heap objects left:
// what keep (typically a library) holds, plus whatever else is alive.
func LiveHeap(keep any) uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	runtime.KeepAlive(keep)
	return m.HeapAlloc
}

// MB converts bytes to mebibytes for b.ReportMetric.
func MB(n uint64) float64 { return float64(n) / (1 << 20) }
