package feed

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// waitUntil polls cond until it holds, failing the test after a generous
// deadline: it waits for an event, never for a guessed time.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func feedNames(s *Source) string {
	var names []string
	for _, f := range s.Feeds() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ",")
}

// A change to the feeds file takes effect without a restart, including one
// made by replacing the file; a bad line is skipped, the rest apply.
func TestWatchListAppliesChanges(t *testing.T) {
	srv := newFeedServer(t)
	srv.putFixture(t, "/rss.xml", "rss2.xml")
	srv.putFixture(t, "/atom.xml", "atom.xml")
	dir := t.TempDir()
	path := filepath.Join(dir, "feeds.txt")
	write := func(s string) {
		t.Helper()
		tmp := filepath.Join(dir, "feeds.tmp")
		if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write("gazette " + srv.URL + "/rss.xml\n")
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.src.WatchList(ctx, path) }()
	waitUntil(t, "the first read of the file", func() bool { return feedNames(e.src) == "gazette" })

	write("# two feeds now\ngazette " + srv.URL + "/rss.xml\ncourier " + srv.URL + "/atom.xml every=2h\nbroken ftp://example.com/x\n")
	waitUntil(t, "the changed file", func() bool { return feedNames(e.src) == "gazette,courier" })
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	if e.lib.Count("courier") != 2 {
		t.Errorf("courier has %d articles after a fetch", e.lib.Count("courier"))
	}

	write("courier " + srv.URL + "/atom.xml\n")
	waitUntil(t, "the feed removed", func() bool { return feedNames(e.src) == "courier" && e.lib.Count("gazette") == 0 })

	// An unreadable file keeps the feeds as they were.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if feedNames(e.src) != "courier" {
		t.Errorf("feeds after the file went away: %s", feedNames(e.src))
	}
}

func TestReadListNamesTheFile(t *testing.T) {
	_, _, err := ReadList(filepath.Join(t.TempDir(), "missing.txt"))
	if err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("ReadList of a missing file: %v", err)
	}
}
