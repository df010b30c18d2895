// Package testparallel lets a test binary whose tests mostly wait run more
// of them at once than `go test` would by default.
//
// `go test` runs at most GOMAXPROCS parallel tests (-parallel). That suits
// tests that compute; the end-to-end tests of discord and discordtest
// mostly wait: discordgo v0.29.0's Session.Close sleeps a fixed second
// after sending its close frame, it pauses a second before reconnecting,
// and the bot spaces its requests under Discord's rate limit. On a
// two-core machine two at a time leaves the CPU idle.
package testparallel

import (
	"flag"
	"strconv"
)

// Widen raises -test.parallel to at least n unless the command line set it
// (so `go test -parallel 1` still runs one at a time). Call it from
// TestMain before m.Run; it parses the flags if they are not parsed yet.
func Widen(n int) {
	if !flag.Parsed() {
		flag.Parse()
	}
	f := flag.Lookup("test.parallel")
	if f == nil {
		return // not a test binary
	}
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if cur, err := strconv.Atoi(f.Value.String()); set || err != nil || cur >= n {
		return
	}
	_ = flag.Set("test.parallel", strconv.Itoa(n))
}
