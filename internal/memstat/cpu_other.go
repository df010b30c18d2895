//go:build !unix

package memstat

import "time"

// CPUTime is not measured here: it returns zero.
func CPUTime() time.Duration { return 0 }

// Settle does nothing here.
func Settle() {}
