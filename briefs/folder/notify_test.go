package folder

import (
	"path/filepath"
	"testing"

	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
)

// TestReloadNotify: read is called once, after every file is read and
// before the reload returns with all of them in the library; never for a
// folder that cannot be walked.
func TestReloadNotify(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "news")
	if err := Write(dir, briefstest.Articles(3000, 4)); err != nil {
		t.Fatal(err)
	}
	lib := briefs.New()
	src := New(lib, dir)
	calls := 0
	if err := src.ReloadNotify(func() {
		calls++
		if got := lib.Len(); got != 0 {
			t.Errorf("read called with %d articles in the library, want none yet (the folder replaced at once)", got)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("read called %d times, want once", calls)
	}
	if got := lib.Len(); got != 3000 {
		t.Errorf("%d articles after the reload, want 3000", got)
	}
	missing := New(briefs.New(), filepath.Join(t.TempDir(), "missing"))
	if err := missing.ReloadNotify(func() { t.Error("read called for a folder that cannot be walked") }); err == nil {
		t.Error("a missing folder reloaded")
	}
}
