//go:build !race

package summarize

// raceEnabled is whether the tests run under the race detector.
const raceEnabled = false
