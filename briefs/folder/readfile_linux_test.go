package folder

import (
	"fmt"
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

// TestRingReaderFaults: a ring that fails before it opens a chunk's files,
// or before it stats and reads them, leaves them to be read plainly, with
// the same results, and no descriptor open.
func TestRingReaderFaults(t *testing.T) {
	if !uringWorks() {
		t.Skip("no io_uring here")
	}
	dir := readerFolder(t)
	files, _, _, err := walkFolder(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	want := referenceRead(files, MaxFileSize)
	defer func() { ringFault = nil }()
	for phase := 1; phase <= 2; phase++ {
		for _, at := range []int{0, 3} {
			before := openFDs(t)
			runs := 0
			ringFault = func(r *ring, p int) {
				if p != phase {
					return
				}
				if runs++; runs == at+1 {
					syscall.Close(r.fd)
					r.fd = -1
				}
			}
			fr := newFileReader(8)
			rr, ok := fr.(*ringReader)
			if !ok {
				t.Fatalf("reader %T, want a ring", fr)
			}
			out := make([]readResult, len(files))
			fr.read(files, nil, MaxFileSize, out)
			fr.close()
			if rr.r != nil {
				t.Errorf("phase %d, chunk %d: the ring was not given up", phase, at)
			}
			var got readSummary
			for i, r := range out {
				if r.err != nil {
					got.skipped = append(got.skipped, files[i].Path()+": "+r.err.Error())
					continue
				}
				got.arts = append(got.arts, r.a)
			}
			checkSummary(t, fmt.Sprintf("phase %d, chunk %d", phase, at), got, want)
			if after := openFDs(t); after != before {
				t.Errorf("phase %d, chunk %d: %d descriptors open, %d before", phase, at, after, before)
			}
		}
	}
}

// TestReloadClosesEverything: a reload leaves no descriptor open: not the
// rings', nor the files', nor the folders' it held.
func TestReloadClosesEverything(t *testing.T) {
	dir := readerFolder(t)
	defer func(old bool) { useRing = old }(useRing)
	for _, ring := range []bool{true, false} {
		useRing = ring
		before := openFDs(t)
		l, src := loadDir(t, dir)
		if l.Len() < 300 || len(src.Skipped()) != 2 {
			t.Errorf("ring %v: %d articles, skipped %v", ring, l.Len(), src.Skipped())
		}
		if err := src.Reload(); err != nil {
			t.Fatal(err)
		}
		if after := openFDs(t); after != before {
			t.Errorf("ring %v: %d descriptors open, %d before", ring, after, before)
		}
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
	defer func(old bool) { useRing = old }(useRing)
	for _, ring := range []bool{true, false} {
		useRing = ring
		dir := t.TempDir()
		writeFile(t, dir, "sub/deeper/a.txt", articleText("2023-11-03", "Nested story", "Body."))
		writeFile(t, dir, "b.txt", articleText("2023-11-03", "Top story", "Body."))
		files, _, _, held, err := walkHolding(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		fds := held.fill(0, make([]int32, len(files)))
		if len(files) != 2 || fds[0] < 0 || fds[1] < 0 || fds[0] == fds[1] {
			t.Fatalf("files %s, folders %v", rels(files), fds)
		}
		want := referenceRead(files, MaxFileSize)

		// The wrong folder, a file, or nothing: the path is opened.
		fr := newFileReader(4)
		other, err := os.Open(filepath.Join(dir, "b.txt"))
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range [][]int32{{fds[1], fds[0]}, {int32(other.Fd()), int32(other.Fd())}, {-1, -1}} {
			out := make([]readResult, len(files))
			fr.read(files, bad, MaxFileSize, out)
			for i, r := range out {
				if r.err != nil || !sameArticle(r.a, want.arts[i]) {
					t.Errorf("ring %v, folders %v: %s: %+v, %v", ring, bad, files[i].Rel, r.a, r.err)
				}
			}
		}
		other.Close()
		fr.close()

		// The folder moved: its files are read through the descriptor,
		// where their paths no longer lead.
		if err := os.Rename(filepath.Join(dir, "sub"), filepath.Join(dir, "moved")); err != nil {
			t.Fatal(err)
		}
		got := readAllSummary(files, &held, MaxFileSize)
		if len(got.arts) != 2 || len(got.skipped) != 0 || got.arts[1].Title != "Nested story" {
			t.Errorf("ring %v: moved folder: %d articles, skipped %q", ring, len(got.arts), got.skipped)
		}
		byPath := readAllSummary(files, &heldDirs{}, MaxFileSize)
		if len(byPath.arts) != 1 || len(byPath.skipped) != 1 || !strings.Contains(byPath.skipped[0], "no such file") {
			t.Errorf("ring %v: moved folder, by path: %d articles, skipped %q", ring, len(byPath.arts), byPath.skipped)
		}
		held.close()
	}
}

func sameArticle(a, b briefs.Article) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Stamp == b.Stamp && a.Date.Equal(b.Date) && strings.Join(a.Paragraphs, "\n") == strings.Join(b.Paragraphs, "\n")
}
