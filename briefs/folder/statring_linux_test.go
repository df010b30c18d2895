package folder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// countingDir is a folder whose plain stats are counted.
type countingDir struct {
	folderDir
	stats atomic.Int64
}

func (c *countingDir) stat(name string) (int64, time.Time, bool, error) {
	c.stats.Add(1)
	return c.folderDir.stat(name)
}

// statFolder writes a folder with every kind of entry a walk stats, in
// several of a statRing's batches: files, links to a file, to a folder,
// to nothing, to themselves and into a folder that cannot be searched, a
// folder and a named pipe.
func statFolder(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "news")
	for i := range 150 {
		writeFile(t, dir, fmt.Sprintf("%03d.txt", i), sizedArticle(fmt.Sprintf("Story %d", i), 100+i))
	}
	writeFile(t, dir, "sub/in.txt", "x")
	writeFile(t, dir, "locked/in.txt", "x")
	for link, target := range map[string]string{
		"050a.txt": "000.txt",
		"050b.txt": "sub",
		"050c.txt": "missing.txt",
		"050d.txt": "050d.txt",
		"050e.txt": "locked/in.txt",
		"120a.txt": "sub/in.txt",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := mkfifo(filepath.Join(dir, "100a.txt")); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked")
	if err := os.Chmod(locked, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	return dir
}

// TestStatRingAgrees: the walk's stats through a ring find, file by file,
// what fdDir.stat finds, with the same errors: for files, links to files
// and to folders, broken links, a folder, a pipe, a file removed since it
// was listed, and one that cannot be searched for (unless running as
// root); only the failures are stat'ed again plainly.
func TestStatRingAgrees(t *testing.T) {
	if !uringWorks() {
		t.Skip("no io_uring here")
	}
	dir := statFolder(t)
	d, err := openDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	var r dirReader
	if err := d.entries(&r); err != nil {
		t.Fatal(err)
	}
	var files []File
	for _, e := range r.ents {
		files = append(files, File{Dir: dir, Rel: string(r.name(e))})
	}
	files = append(files, File{Dir: dir, Rel: "100a.txt"}) // the pipe, not listed
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Rel, b.Rel) })
	if err := os.Remove(filepath.Join(dir, "077.txt")); err != nil {
		t.Fatal(err)
	}

	want := make([]fileStat, len(files))
	failed := 0
	for i, f := range files {
		s := &want[i]
		s.size, s.modTime, s.regular, s.err = d.stat(f.Rel)
		if s.err != nil {
			failed++
		}
	}
	root := os.Geteuid() == 0
	for name, errno := range map[string]error{
		"050c.txt": syscall.ENOENT, "050d.txt": syscall.ELOOP, "050e.txt": syscall.EACCES, "077.txt": syscall.ENOENT,
	} {
		i := slices.IndexFunc(files, func(f File) bool { return f.Rel == name })
		if errno == syscall.EACCES && root {
			t.Log("running as root: no file cannot be stat'ed for its permissions")
			continue
		}
		if i < 0 || !errors.Is(want[i].err, errno) {
			t.Fatalf("%s: plainly, %v, want %v", name, want[i].err, errno)
		}
	}

	defer func() { ringFault = nil }()
	var runs atomic.Int64
	ringFault = func(r *ring, phase int) {
		if phase == 3 {
			runs.Add(1)
		}
	}
	cd := &countingDir{folderDir: d}
	w := &walker{}
	defer w.rings.close()
	got := make([]fileStat, len(files))
	seen := make([]int, len(files))
	idx := make([]int, len(files))
	for i := range idx {
		idx[i] = i
	}
	w.statEach(cd, files, idx, 0, func(i int, s fileStat) {
		got[i] = s
		seen[i]++
	})
	if n := (len(files) + statBatch - 1) / statBatch; runs.Load() != int64(n) || w.rings.off || len(w.rings.free) != 1 {
		t.Fatalf("%d ring runs for %d files, want %d; rings off %v, %d free", runs.Load(), len(files), n, w.rings.off, len(w.rings.free))
	}
	for i, f := range files {
		g, s := got[i], want[i]
		if seen[i] != 1 || g.size != s.size || !g.modTime.Equal(s.modTime) || g.regular != s.regular || !reflect.DeepEqual(g.err, s.err) {
			t.Errorf("%s: seen %d times, ring %+v, plainly %+v", f.Rel, seen[i], g, s)
		}
	}
	if n := cd.stats.Load(); n != int64(failed) {
		t.Errorf("%d files stat'ed again plainly, want the %d that failed", n, failed)
	}
}

// TestStatRingFaults: a walk whose ring cannot be set up, fails to take
// a batch (at the first or a later one), or fails the stats of a batch
// one by one, finds the files, sizes, times and skips of a walk without
// rings, and leaves no descriptor open. A ring that failed is given up,
// and the rest of the walk stats plainly; one whose stats failed goes on.
func TestStatRingFaults(t *testing.T) {
	if !uringWorks() {
		t.Skip("no io_uring here")
	}
	dir := statFolder(t)
	defer func(old bool) { useRing = old }(useRing)
	useRing = false
	wantFiles, wantSkipped, wantDirs, err := walkFolder(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	useRing = true
	if len(wantFiles) < 150 || len(wantSkipped) == 0 {
		t.Fatalf("%d files, skipped %v", len(wantFiles), wantSkipped)
	}
	setup := newStatRing
	defer func() { ringFault, newStatRing = nil, setup }()
	for _, fault := range []struct {
		what     string
		setup    bool  // the ring cannot be set up
		submit   int64 // the ring fails to take its batch at this run (from 1)
		cqe      bool  // every other stat fails in the ring
		wantRuns int64 // ring runs in the walk: one for the links, three for the files
	}{
		{what: "no fault", wantRuns: 4},
		{what: "setup", setup: true, wantRuns: 0},
		{what: "first submit", submit: 1, wantRuns: 1},
		{what: "third submit", submit: 3, wantRuns: 3},
		{what: "stats", cqe: true, wantRuns: 4},
	} {
		newStatRing = setup
		if fault.setup {
			newStatRing = func() (*ring, error) { return nil, syscall.ENOMEM }
		}
		var runs atomic.Int64
		ringFault = func(r *ring, phase int) {
			if phase != 3 {
				return
			}
			n := runs.Add(1)
			if n == fault.submit {
				syscall.Close(r.fd)
				r.fd = -1
			}
			if fault.cqe {
				for i := r.tail - uint32(r.queued); i != r.tail; i += 2 {
					r.sqes[i&r.sqMask].opFlags = 1 << 31 // not a flag: EINVAL
				}
			}
		}
		before := openFDs(t)
		files, skipped, dirs, err := walkFolder(dir, true)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, fault.what, files, skipped, dirs, wantFiles, wantSkipped, wantDirs)
		if runs.Load() != fault.wantRuns {
			t.Errorf("%s: %d ring runs, want %d", fault.what, runs.Load(), fault.wantRuns)
		}
		if after := openFDs(t); after != before {
			t.Errorf("%s: %d descriptors open, %d before", fault.what, after, before)
		}
	}
}
