package folder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"newsbrief/briefs"
)

// sizedArticle is an article file's text of exactly n bytes (n > 40).
func sizedArticle(title string, n int) string {
	s := "2023-11-03\n" + title + "\n\n"
	body := strings.Repeat("word ", n/5+1)
	return s + body[:n-len(s)-1] + "\n"
}

// readerFolder writes a folder with files of every kind readAll meets,
// and a link where the system has them: articles at several depths and
// of sizes about ringReadSize, empty and binary files, and many small
// ones for several chunks and batches.
func readerFolder(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "news")
	writeFile(t, dir, "a.txt", articleText("2023-11-03", "Council passes budget", "The council approved the budget."))
	writeFile(t, dir, "undated.md", articleText("", "Undated story", "No date here."))
	writeFile(t, dir, "empty.txt", "")
	writeFile(t, dir, "binary.txt", "\x00\x01\x02\x03binary")
	writeFile(t, dir, "d1/d2/d3/deep.txt", articleText("2023-11-04", "Deep story", "Far below."))
	for _, n := range []int{100, 101, ringReadSize - 1, ringReadSize, ringReadSize + 1, 3 * ringReadSize, 40000, 40001} {
		writeFile(t, dir, fmt.Sprintf("sized/%06d.txt", n), sizedArticle(fmt.Sprintf("Story of %d bytes", n), n))
	}
	for i := range 300 {
		writeFile(t, dir, fmt.Sprintf("many/%03d.txt", i), articleText("2023-11-05", fmt.Sprintf("Story %d", i), "Body."))
	}
	writeFile(t, dir, "z/gone.txt", articleText("2023-11-03", "Gone", "Removed after the walk."))
	if err := os.Symlink(filepath.Join("..", "sized", fmt.Sprintf("%06d.txt", 3*ringReadSize)), filepath.Join(dir, "z", "link.txt")); err != nil {
		t.Log("no links:", err)
	}
	return dir
}

// readSummary is what readAll yielded and skipped, to compare.
type readSummary struct {
	arts    []briefs.Article
	skipped []string
}

// referenceRead reads files one at a time with File.Read, as readAll did
// before it read several at a time.
func referenceRead(files []File, max int64) readSummary {
	var s readSummary
	for _, f := range files {
		a, err := f.Read(max)
		if err != nil {
			s.skipped = append(s.skipped, f.Path()+": "+err.Error())
			continue
		}
		s.arts = append(s.arts, a)
	}
	return s
}

func readAllSummary(files []File, held *heldDirs, max int64) readSummary {
	var s readSummary
	var skipped []Skip
	for a := range readAll(files, held, max, &skipped, nil, "") {
		s.arts = append(s.arts, a)
	}
	for _, sk := range skipped {
		s.skipped = append(s.skipped, sk.Path+": "+sk.Err.Error())
	}
	return s
}

func checkSummary(t *testing.T, what string, got, want readSummary) {
	t.Helper()
	if len(got.arts) != len(want.arts) {
		t.Errorf("%s: %d articles, want %d", what, len(got.arts), len(want.arts))
	}
	for i := range min(len(got.arts), len(want.arts)) {
		if !reflect.DeepEqual(got.arts[i], want.arts[i]) {
			t.Errorf("%s: article %d\n%+v\nwant\n%+v", what, i, got.arts[i], want.arts[i])
			break
		}
	}
	if !reflect.DeepEqual(got.skipped, want.skipped) {
		t.Errorf("%s: skipped\n%s\nwant\n%s", what, strings.Join(got.skipped, "\n"), strings.Join(want.skipped, "\n"))
	}
}

// TestReadersAgree: readAll reads what File.Read reads, file by file,
// with the same errors, whether it reads several files at a time (where
// the system allows) or one after the other, and whether it opens them
// relative to their folders or by their paths; under limits below, about
// and above the size it first asks for.
func TestReadersAgree(t *testing.T) {
	dir := readerFolder(t)
	files, _, _, held, err := walkHolding(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer held.close()
	if err := os.Remove(filepath.Join(dir, "z", "gone.txt")); err != nil {
		t.Fatal(err)
	}
	defer func(old bool) { useRing = old }(useRing)
	for _, max := range []int64{MaxFileSize, 40000, ringReadSize, 100} {
		want := referenceRead(files, max)
		if max == MaxFileSize && (len(want.arts) < 300 || len(want.skipped) != 3) {
			t.Fatalf("reference read %d articles, skipped %q", len(want.arts), want.skipped)
		}
		for _, ring := range []bool{true, false} {
			useRing = ring
			checkSummary(t, fmt.Sprintf("max %d, ring %v, held folders", max, ring), readAllSummary(files, &held, max), want)
			checkSummary(t, fmt.Sprintf("max %d, ring %v, paths", max, ring), readAllSummary(files, &heldDirs{}, max), want)
		}
	}
}

// TestReadOpenEarly: readOpen goes on from what was done early for an
// open file to the article Read reads: a first read that asked
// for less than the file, one that found it larger than its stat said,
// an empty file, a stat not done.
func TestReadOpenEarly(t *testing.T) {
	dir := t.TempDir()
	text := sizedArticle("Early story", 300)
	writeFile(t, dir, "a.txt", text)
	writeFile(t, dir, "empty.txt", "")
	f := File{Dir: dir, Rel: "a.txt"}
	want, err := f.Read(MaxFileSize)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(f.Path())
	if err != nil {
		t.Fatal(err)
	}
	// read opens the file and reads n bytes of it, as an early read.
	read := func(f File, n int) (rawFile, []byte) {
		t.Helper()
		fh, err := openFile(f.Path())
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, n)
		got := 0
		for got < n {
			m, err := fh.read(buf[got:])
			if err != nil {
				t.Fatal(err)
			}
			if m == 0 {
				break
			}
			got += m
		}
		return fh, buf[:got]
	}
	stat := early{stat: true, size: info.Size(), modTime: info.ModTime()}
	for _, tc := range []struct {
		what string
		ask  int
		e    early
	}{
		{"all of it at once", 1000, stat},
		{"part of it", 100, stat},
		{"all but the end", 300, stat},
		{"no stat", 1000, early{}},
		{"part, no stat", 10, early{}},
	} {
		fh, data := read(f, tc.ask)
		e := tc.e
		e.read, e.data, e.ask = true, data, tc.ask
		got, err := readOpen(f, fh, MaxFileSize, &e)
		fh.close()
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, %v\nwant %+v", tc.what, got, err, want)
		}
	}
	// A stat that says less than the file holds: the file grew since. The
	// whole file is read, and the stamp is the stat's.
	fh, data := read(f, 200)
	e := early{stat: true, size: 150, modTime: info.ModTime(), read: true, data: data, ask: 1000}
	got, err := readOpen(f, fh, MaxFileSize, &e)
	fh.close()
	if err != nil || !reflect.DeepEqual(got.Paragraphs, want.Paragraphs) || got.Stamp != fileStamp(150, info.ModTime()) {
		t.Errorf("grown: %+v, %v", got, err)
	}
	// Over the limit by the stat: refused whatever was read.
	fh, data = read(f, 100)
	e = early{stat: true, size: info.Size(), modTime: info.ModTime(), read: true, data: data, ask: 100}
	_, err = readOpen(f, fh, 200, &e)
	fh.close()
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	// An empty file.
	empty := File{Dir: dir, Rel: "empty.txt"}
	fh, data = read(empty, 100)
	e = early{stat: true, modTime: info.ModTime(), read: true, data: data, ask: 100}
	_, err = readOpen(empty, fh, MaxFileSize, &e)
	fh.close()
	if !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
}

// TestHeldDirsFill: each file gets the descriptor of its run.
func TestHeldDirsFill(t *testing.T) {
	h := heldDirs{runs: []dirRun{{0, 5}, {3, -1}, {4, 7}, {9, 5}}}
	fds := make([]int32, 12)
	if got, want := fmt.Sprint(h.fill(0, fds)), "[5 5 5 -1 7 7 7 7 7 5 5 5]"; got != want {
		t.Errorf("fill(0) = %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(h.fill(3, fds[:7])), "[-1 7 7 7 7 7 5]"; got != want {
		t.Errorf("fill(3) = %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(h.fill(10, fds[:2])), "[5 5]"; got != want {
		t.Errorf("fill(10) = %s, want %s", got, want)
	}
	if got := (&heldDirs{}).fill(0, fds); got != nil {
		t.Errorf("fill with nothing held = %v, want nil", got)
	}
}
