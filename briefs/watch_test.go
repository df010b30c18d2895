package briefs

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
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

func libHasTitle(l *Library, title string) bool {
	for _, a := range l.All() {
		if a.Title == title {
			return true
		}
	}
	return false
}

func TestWatch(t *testing.T) {
	dir := t.TempDir()
	libWriteFile(t, dir, "first.txt", libArticleText("2023-11-01", "First story", "Body one."))
	l, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Watch(ctx) }()
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
			libWriteFile(t, dir, "second.txt", libArticleText("2023-11-02", "Second story", "Body two."))
			written = time.Now()
		}
		return l.Len() == 2 && libHasTitle(l, "Second story")
	})
	id := l.All()[0].ID
	if _, ok := l.Get(id); !ok {
		t.Fatalf("Get(%q) failed", id)
	}

	libWriteFile(t, dir, "second.txt", libArticleText("2023-11-02", "Second story, updated", "Body two."))
	libEventually(t, "a changed title is seen", func() bool { return libHasTitle(l, "Second story, updated") })

	if err := os.Remove(second); err != nil {
		t.Fatal(err)
	}
	libEventually(t, "a removed file is gone", func() bool { return l.Len() == 1 && !libHasTitle(l, "Second story, updated") })

	// A new folder is watched as soon as it appears, files in it included.
	libWriteFile(t, dir, "2023/11/third.txt", libArticleText("2023-11-03", "Third story", "Body three."))
	libEventually(t, "a file in a new folder is loaded", func() bool { return libHasTitle(l, "Third story") })
	libWriteFile(t, dir, "2023/11/fourth.txt", libArticleText("2023-11-04", "Fourth story", "Body four."))
	libEventually(t, "a later file in the new folder is loaded", func() bool { return libHasTitle(l, "Fourth story") })
	if l.Len() != 3 {
		t.Errorf("Len %d, want 3", l.Len())
	}
}

func TestWatchInMemory(t *testing.T) {
	if err := FromArticles(nil).Watch(context.Background()); err == nil {
		t.Error("Watch of an in-memory library succeeded")
	}
}

// TestWatchSeesChangesBeforeItStarted: a file added after Load but before
// Watch sends no event; Watch still picks it up.
func TestWatchSeesChangesBeforeItStarted(t *testing.T) {
	dir := t.TempDir()
	libWriteFile(t, dir, "first.txt", libArticleText("2023-11-01", "First story", "Body one."))
	l, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	libWriteFile(t, dir, "early.txt", libArticleText("2023-11-03", "Early story", "Written before the watch."))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Watch(ctx)
	libEventually(t, "the early file is loaded", func() bool { return l.Len() == 2 })
}
