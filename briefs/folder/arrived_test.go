package folder

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"newsbrief/briefs"
)

// TestArrivedIsTheFileTime: an article file arrives when it was last
// written, whatever day it is dated: what instant digests go by.
func TestArrivedIsTheFileTime(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "story.txt")
	if err := os.WriteFile(path, []byte("Monday, January 7, 2030\nA story\n\nIt happened.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2030, 1, 7, 15, 4, 5, 0, time.UTC)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	lib := briefs.New()
	if _, err := Load(lib, dir); err != nil {
		t.Fatal(err)
	}
	all := lib.All()
	if len(all) != 1 || !all[0].Arrived.Equal(mtime) || all[0].Date.Equal(mtime) {
		t.Fatalf("arrived %v, dated %v; want arrived at the file's time %v, dated by its date line", all[0].Arrived, all[0].Date, mtime)
	}
}
