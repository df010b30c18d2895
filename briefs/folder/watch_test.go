package folder

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newsbrief/briefs"
)

// libEventually polls cond until it holds or the deadline passes.
func libEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func libHasTitle(l *briefs.Library, title string) bool {
	for _, a := range l.All() {
		if a.Title == title {
			return true
		}
	}
	return false
}

func TestWatch(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "first.txt", articleText("2023-11-01", "First story", "Body one."))
	l, src := loadDir(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Watch(ctx) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Watch returned %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Watch did not return after cancel")
		}
	}()

	// The watcher is set up asynchronously: rewrite the new file now and
	// then until it shows up, in case the first write came before the watch.
	second := filepath.Join(dir, "second.txt")
	var written time.Time
	libEventually(t, "a new file is loaded", func() bool {
		if time.Since(written) > 500*time.Millisecond {
			writeFile(t, dir, "second.txt", articleText("2023-11-02", "Second story", "Body two."))
			written = time.Now()
		}
		return l.Len() == 2 && libHasTitle(l, "Second story")
	})
	id := l.All()[0].ID
	if _, ok := l.Get(id); !ok {
		t.Fatalf("Get(%q) failed", id)
	}

	writeFile(t, dir, "second.txt", articleText("2023-11-02", "Second story, updated", "Body two."))
	libEventually(t, "a changed title is seen", func() bool { return libHasTitle(l, "Second story, updated") })

	if err := os.Remove(second); err != nil {
		t.Fatal(err)
	}
	libEventually(t, "a removed file is gone", func() bool { return l.Len() == 1 && !libHasTitle(l, "Second story, updated") })

	// A new folder is watched as soon as it appears, files in it included.
	writeFile(t, dir, "2023/11/third.txt", articleText("2023-11-03", "Third story", "Body three."))
	libEventually(t, "a file in a new folder is loaded", func() bool { return libHasTitle(l, "Third story") })
	writeFile(t, dir, "2023/11/fourth.txt", articleText("2023-11-04", "Fourth story", "Body four."))
	libEventually(t, "a later file in the new folder is loaded", func() bool { return libHasTitle(l, "Fourth story") })
	if l.Len() != 3 {
		t.Errorf("Len %d, want 3", l.Len())
	}
}

func TestWatchMissingFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	if err := New(briefs.New(), dir).Watch(context.Background()); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Watch of a missing folder: %v, want an error naming it", err)
	}
}

// TestWatchWithoutLoad: Watch on a source never loaded loads it.
func TestWatchWithoutLoad(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "first.txt", articleText("2023-11-01", "First story", "Body one."))
	l := briefs.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go New(l, dir).Watch(ctx)
	libEventually(t, "the folder is loaded", func() bool { return l.Len() == 1 })
}

// TestWatchSeesChangesBeforeItStarted: a file added after Load but before
// Watch sends no event; Watch still picks it up.
func TestWatchSeesChangesBeforeItStarted(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "first.txt", articleText("2023-11-01", "First story", "Body one."))
	l, src := loadDir(t, dir)
	writeFile(t, dir, "early.txt", articleText("2023-11-03", "Early story", "Written before the watch."))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go src.Watch(ctx)
	libEventually(t, "the early file is loaded", func() bool { return l.Len() == 2 })
}
