package folder

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"newsbrief/briefs"
)

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	des, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(des)
}

// TestReloadClosesEverything: a reload leaves no descriptor open: not the
// files', nor the folders' it held.
func TestReloadClosesEverything(t *testing.T) {
	dir := readerFolder(t)
	before := openFDs(t)
	l, src := loadDir(t, dir)
	if l.Len() < 300 || len(src.Skipped()) != 2 {
		t.Errorf("%d articles, skipped %v", l.Len(), src.Skipped())
	}
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open, %d before", after, before)
	}
}

// sameFile reports whether the descriptor fd is open on the file at path.
func sameFile(t *testing.T, fd int32, path string) bool {
	t.Helper()
	var a, b syscall.Stat_t
	if err := syscall.Fstat(int(fd), &a); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(path, &b); err != nil {
		t.Fatal(err)
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

// TestWalkHolding: the walk keeps open the folder of each file, up to its
// limit, and lists the files walkFolder lists; the walked folder is not
// held when its path has a "..", which the kernel may take elsewhere than
// the files' paths go.
func TestWalkHolding(t *testing.T) {
	dir := readerFolder(t)
	want, _, _, err := walkFolder(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	before := openFDs(t)
	for _, limit := range []int{1000, 2} {
		for _, root := range []string{dir, filepath.Dir(dir) + "/z/../news"} {
			if err := os.MkdirAll(filepath.Join(filepath.Dir(dir), "z"), 0o755); err != nil {
				t.Fatal(err)
			}
			files, _, _, held, err := walkWith(root, false, openDir, limit)
			if err != nil {
				t.Fatal(err)
			}
			if rels(files) != rels(want) {
				t.Errorf("files %s\nwant  %s", rels(files), rels(want))
			}
			fds := held.fill(0, make([]int32, len(files)))
			distinct := map[int32]bool{}
			folders := map[string]bool{} // those that may be held
			for i, f := range files {
				top := !strings.Contains(f.Rel, "/")
				if root == dir || !top {
					folders[filepath.Dir(f.Rel)] = true
				}
				if fds[i] < 0 {
					if limit > 2 && (root == dir || !top) {
						t.Errorf("%s: folder not held", f.Rel)
					}
					continue
				}
				distinct[fds[i]] = true
				if !sameFile(t, fds[i], filepath.Dir(f.Path())) {
					t.Errorf("%s: held folder is not its own", f.Rel)
				}
				if root != dir && top {
					t.Errorf("%s: the walked folder %s is held", f.Rel, root)
				}
			}
			if len(held.dirs) != min(limit, len(folders)) || len(distinct) != len(held.dirs) {
				t.Errorf("limit %d, walking %s: %d folders held, %d used", limit, root, len(held.dirs), len(distinct))
			}
			held.close()
			if after := openFDs(t); after != before {
				t.Errorf("limit %d: %d descriptors open after close, %d before", limit, after, before)
			}
		}
	}
}

// TestReadInHeldFolder: a file is opened in its folder as the walk held
// it, by its name, also when the folder's path has gone since; should
// that fail (the descriptor is not of its folder, or not of a folder),
// the file is opened by its path, as Read opens it.
func TestReadInHeldFolder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "sub/deeper/a.txt", articleText("2023-11-03", "Nested story", "Body."))
	writeFile(t, dir, "b.txt", articleText("2023-11-03", "Top story", "Body."))
	files, _, _, held, err := walkHolding(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer held.close()
	fds := held.fill(0, make([]int32, len(files)))
	if len(files) != 2 || fds[0] < 0 || fds[1] < 0 || fds[0] == fds[1] {
		t.Fatalf("files %s, folders %v", rels(files), fds)
	}
	want := referenceRead(files, MaxFileSize)

	// The wrong folder, a file, or nothing: the path is opened.
	other, err := os.Open(filepath.Join(dir, "b.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for _, bad := range [][]int32{{fds[1], fds[0]}, {int32(other.Fd()), int32(other.Fd())}, {-1, -1}} {
		for i, f := range files {
			a, err := f.readIn(bad[i], MaxFileSize)
			if err != nil || !sameArticle(a, want.arts[i]) {
				t.Errorf("folders %v: %s: %+v, %v", bad, f.Rel, a, err)
			}
		}
	}

	// The folder moved: its files are read through the descriptor,
	// where their paths no longer lead.
	if err := os.Rename(filepath.Join(dir, "sub"), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	got := readAllSummary(files, &held, MaxFileSize)
	if len(got.arts) != 2 || len(got.skipped) != 0 || got.arts[1].Title != "Nested story" {
		t.Errorf("moved folder: %d articles, skipped %q", len(got.arts), got.skipped)
	}
	byPath := readAllSummary(files, &heldDirs{}, MaxFileSize)
	if len(byPath.arts) != 1 || len(byPath.skipped) != 1 || !strings.Contains(byPath.skipped[0], "no such file") {
		t.Errorf("moved folder, by path: %d articles, skipped %q", len(byPath.arts), byPath.skipped)
	}
}

func sameArticle(a, b briefs.Article) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Stamp == b.Stamp && a.Date.Equal(b.Date) && strings.Join(a.Paragraphs, "\n") == strings.Join(b.Paragraphs, "\n")
}
