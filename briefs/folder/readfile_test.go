package folder

import (
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
// of many sizes, empty and binary files, and many small ones for several
// batches.
func readerFolder(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "news")
	writeFile(t, dir, "a.txt", articleText("2023-11-03", "Council passes budget", "The council approved the budget."))
	writeFile(t, dir, "undated.md", articleText("", "Undated story", "No date here."))
	writeFile(t, dir, "empty.txt", "")
	writeFile(t, dir, "binary.txt", "\x00\x01\x02\x03binary")
	writeFile(t, dir, "d1/d2/d3/deep.txt", articleText("2023-11-04", "Deep story", "Far below."))
	for _, n := range []int{100, 101, 16383, 16384, 16385, 49152, 40000, 40001} {
		writeFile(t, dir, fmt.Sprintf("sized/%06d.txt", n), sizedArticle(fmt.Sprintf("Story of %d bytes", n), n))
	}
	for i := range 300 {
		writeFile(t, dir, fmt.Sprintf("many/%03d.txt", i), articleText("2023-11-05", fmt.Sprintf("Story %d", i), "Body."))
	}
	writeFile(t, dir, "z/gone.txt", articleText("2023-11-03", "Gone", "Removed after the walk."))
	if err := os.Symlink(filepath.Join("..", "sized", "049152.txt"), filepath.Join(dir, "z", "link.txt")); err != nil {
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
// with the same errors, whether it opens the files relative to their
// folders or by their paths.
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
	for _, max := range []int64{MaxFileSize, 40000, 100} {
		want := referenceRead(files, max)
		if max == MaxFileSize && (len(want.arts) < 300 || len(want.skipped) != 3) {
			t.Fatalf("reference read %d articles, skipped %q", len(want.arts), want.skipped)
		}
		checkSummary(t, fmt.Sprintf("max %d, held folders", max), readAllSummary(files, &held, max), want)
		checkSummary(t, fmt.Sprintf("max %d, paths", max), readAllSummary(files, &heldDirs{}, max), want)
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
