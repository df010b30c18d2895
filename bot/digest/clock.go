package digest

import "time"

// Clock is where the service reads the time and waits for it. Schedules,
// the missed-run grace, the store poll and pruning all go by it, so tests
// can drive a digest's life with a fake clock (bot/digest/digesttest) instead
// of waiting for wall-clock seconds.
type Clock interface {
	Now() time.Time
	// At returns a channel that receives once the clock reaches t, at once
	// when it already has. Waiting for an absolute time, rather than a
	// duration measured from an earlier Now, means a clock that moves
	// between the two calls is never missed.
	At(t time.Time) <-chan time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// At fires after time.Until(t). A timer nobody receives from is collected
// with its channel (Go 1.23 timers), so an abandoned wait costs nothing.
func (SystemClock) At(t time.Time) <-chan time.Time {
	return time.NewTimer(time.Until(t)).C
}
