package folder

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
)

// writeFile writes content to dir/rel, creating folders.
func writeFile(t testing.TB, dir, rel, content string) string {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func articleText(date, title string, paras ...string) string {
	s := title + "\n\n" + strings.Join(paras, "\n\n") + "\n"
	if date != "" {
		s = date + "\n" + s
	}
	return s
}

// loadDir loads dir into a new library.
func loadDir(t testing.TB, dir string, opts ...Option) (*briefs.Library, *Source) {
	t.Helper()
	lib := briefs.New()
	src, err := Load(lib, dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return lib, src
}

func TestLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "news")
	writeFile(t, dir, "budget.txt", articleText("2023-11-03", "Council passes budget", "The council approved the budget."))
	writeFile(t, dir, "sub/deeper/rail.MD", articleText("November 5, 2023", "Rail strike ends", "Trains run again."))
	writeFile(t, dir, "sub/undated.txt", articleText("", "Undated story", "No date here."))
	writeFile(t, dir, "notes.doc", articleText("2023-11-03", "Not an article", "Wrong extension."))
	writeFile(t, dir, "README", articleText("2023-11-03", "No extension", "Ignored."))
	writeFile(t, dir, ".hidden.txt", articleText("2023-11-03", "Hidden file", "Ignored."))
	writeFile(t, dir, ".git/inside.txt", articleText("2023-11-03", "Hidden folder", "Ignored."))
	writeFile(t, dir, "empty.txt", "")
	writeFile(t, dir, "binary.txt", "Title\n\n\x00\x01\x02")
	writeFile(t, dir, "notitle.txt", "2023-11-03\n\n")
	writeFile(t, dir, "nobody.txt", "Only a title\n")
	writeFile(t, dir, "big.txt", articleText("2023-11-03", "Big file", strings.Repeat("word ", 400)))
	mtime := time.Date(2022, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "sub", "undated.txt"), mtime, mtime); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	l, src := loadDir(t, dir, WithLogger(logger), WithMaxFileSize(1000))
	if src.Dir() != dir || src.Origin() != "news" {
		t.Errorf("Dir %q Origin %q, want %q and news", src.Dir(), src.Origin(), dir)
	}
	var titles []string
	for _, a := range l.All() {
		titles = append(titles, a.Title)
	}
	if got, want := strings.Join(titles, "|"), "Rail strike ends|Council passes budget|Undated story"; got != want {
		t.Errorf("titles %q, want %q", got, want)
	}
	if l.Len() != 3 || l.Count("news") != 3 {
		t.Errorf("Len %d, Count(news) %d, want 3", l.Len(), l.Count("news"))
	}

	rail := l.All()[0]
	// Articles carry the path relative to the folder, never the folder's
	// own path, and the folder's name as their origin.
	if rail.File != "sub/deeper/rail.MD" || rail.Origin != "news" || rail.URL != "" {
		t.Errorf("File %q Origin %q URL %q", rail.File, rail.Origin, rail.URL)
	}
	// IDs come from the path relative to the folder, with forward slashes.
	if want := ID("sub/deeper/rail.MD", "Rail strike ends"); rail.ID != want {
		t.Errorf("ID %q, want %q", rail.ID, want)
	}
	if got, ok := l.Get(rail.ID); !ok || got.Title != rail.Title {
		t.Errorf("Get(%q) = %q, %v", rail.ID, got.Title, ok)
	}
	undated := l.All()[2]
	if undated.Dated || !undated.Date.Equal(mtime) {
		t.Errorf("undated: Dated %v Date %v, want mtime %v", undated.Dated, undated.Date, mtime)
	}

	want := map[string]error{
		"empty.txt": ErrEmpty, "binary.txt": ErrBinary, "notitle.txt": ErrNoTitle,
		"nobody.txt": ErrNoBody, "big.txt": ErrTooLarge,
	}
	skipped := src.Skipped()
	if len(skipped) != len(want) {
		t.Errorf("skipped %v, want %d files", skipped, len(want))
	}
	for _, s := range skipped {
		base := filepath.Base(s.Path)
		if !errors.Is(s.Err, want[base]) {
			t.Errorf("%s skipped with %v, want %v", s.Path, s.Err, want[base])
		}
		if !strings.Contains(logs.String(), "file="+s.Path) {
			t.Errorf("%s not logged", s.Path)
		}
	}
	for _, s := range skipped {
		if filepath.Base(s.Path) == "big.txt" && (!strings.Contains(s.Err.Error(), "big.txt") || !strings.Contains(s.Err.Error(), "bytes")) {
			t.Errorf("oversize reason %q should name the file and its size", s.Err)
		}
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "reason=") {
		t.Errorf("skips not logged at Warn with a reason:\n%s", logs.String())
	}
}

func TestLoadMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	_, err := Load(briefs.New(), dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("err %v, want one naming %s", err, dir)
	}
	file := writeFile(t, t.TempDir(), "a.txt", articleText("", "T", "B"))
	if _, err := Load(briefs.New(), file); err == nil {
		t.Fatal("Load of a file succeeded")
	}
}

// TestReloadFailureKeepsArticles: a folder that cannot be read any more
// leaves its articles in the library rather than emptying it.
func TestReloadFailureKeepsArticles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "news")
	writeFile(t, dir, "a.txt", articleText("2023-11-03", "Story", "Body."))
	l, src := loadDir(t, dir)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := src.Reload(); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Reload of a missing folder: %v, want an error naming it", err)
	}
	if l.Len() != 1 {
		t.Errorf("Len %d after a failed reload, want 1", l.Len())
	}
}

func TestDuplicateIDsInFolder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.txt", articleText("2023-11-03", "Story", "Body."))
	writeFile(t, dir, "b.txt", articleText("2023-11-03", "Other story", "Body."))
	// Two folders in one library with a file of the same name and title
	// give one ID: the origin that sorts first keeps it, and the other
	// lists its file as skipped rather than dropping it unexplained.
	other := t.TempDir()
	writeFile(t, other, "a.txt", articleText("2023-11-04", "Story", "Another body."))
	l, first := loadDir(t, dir, WithOrigin("a-folder"))
	second, err := Load(l, other, WithOrigin("b-folder"))
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Skipped()) != 0 {
		t.Errorf("first folder skipped %v", first.Skipped())
	}
	s := second.Skipped()
	if len(s) != 1 || !errors.Is(s[0].Err, briefs.ErrDuplicateID) || filepath.Base(s[0].Path) != "a.txt" {
		t.Errorf("second folder skipped %v, want a.txt as a duplicate", s)
	}
	if l.Len() != 2 || l.Count("a-folder") != 2 || l.Count("b-folder") != 0 {
		t.Errorf("Len %d, counts %d and %d", l.Len(), l.Count("a-folder"), l.Count("b-folder"))
	}
}

// TestSourcesShareALibrary: reloading one folder leaves another source's
// articles alone.
func TestSourcesShareALibrary(t *testing.T) {
	l := briefs.New()
	l.Replace("wire", []briefs.Article{{Title: "Wire story", URL: "https://example.com/1", Paragraphs: []string{"x"}, Words: 1}})
	dir := t.TempDir()
	writeFile(t, dir, "a.txt", articleText("2023-11-03", "Folder story", "Body."))
	src, err := Load(l, dir, WithOrigin("desk"))
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 2 {
		t.Fatalf("Len %d, want 2", l.Len())
	}
	if err := os.Remove(filepath.Join(dir, "a.txt")); err != nil {
		t.Fatal(err)
	}
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	if all := l.All(); len(all) != 1 || all[0].Origin != "wire" {
		t.Errorf("after emptying the folder: %+v, want only the wire story", all)
	}
}

func TestOriginOf(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "news/a.txt", articleText("2023-11-03", "Story", "Body."))
	t.Chdir(filepath.Join(dir, "news"))
	for _, d := range []string{".", "./", filepath.Join(dir, "news") + string(filepath.Separator)} {
		if got := New(briefs.New(), d).Origin(); got != "news" {
			t.Errorf("origin of %q = %q, want news", d, got)
		}
	}
}

// TestConcurrentReload runs readers against a library whose folder keeps
// reloading (go test -race): every reader must see a complete snapshot.
func TestConcurrentReload(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, briefstest.Articles(200, 1)); err != nil {
		t.Fatal(err)
	}
	l, src := loadDir(t, dir)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := l.Len()
				if n != 200 && n != 201 {
					t.Errorf("Len %d", n)
					return
				}
				all := l.All()
				if len(all) != 200 && len(all) != 201 {
					t.Errorf("All has %d", len(all))
					return
				}
				if _, ok := l.Get(all[len(all)/2].ID); !ok {
					t.Error("Get of a listed article failed")
					return
				}
				l.Search("election budget", 5)
				l.Complete("the", 5)
				l.Latest(5, "health")
				src.Skipped()
			}
		})
	}
	for i := range 10 {
		if i%2 == 0 {
			writeFile(t, dir, "extra.txt", articleText("2024-01-01", "Extra article", "Body."))
		} else {
			os.Remove(filepath.Join(dir, "extra.txt"))
		}
		if err := src.Reload(); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
}

func TestGeneratedRoundTrip(t *testing.T) {
	arts := briefstest.Articles(50, 7)
	dir := t.TempDir()
	if err := Write(dir, arts); err != nil {
		t.Fatal(err)
	}
	l, src := loadDir(t, dir)
	if l.Len() != len(arts) || len(src.Skipped()) != 0 {
		t.Fatalf("loaded %d, skipped %v", l.Len(), src.Skipped())
	}
	for _, want := range arts {
		got, ok := l.Get(want.ID)
		if !ok {
			t.Fatalf("%s not loaded", want.ID)
		}
		if got.Title != want.Title || !got.Date.Equal(want.Date) || got.Body() != want.Body() || got.Words != want.Words || got.File != want.File {
			t.Errorf("round trip of %s changed it:\n%+v\n%+v", want.ID, got, want)
		}
	}
}

// With a library that keeps no bodies, the folder's articles come without
// them and Body reads each back from its file; a file rewritten into
// another article since, or a path leaving the folder, is an error.
func TestBodyReadsTheFileAgain(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.txt", "Harbour bridge reopens\n\nThe bridge reopened on Monday.\n\nTraffic returned at once.\n")
	var src *Source
	lib := briefs.New(briefs.WithBodies(briefs.BodiesFunc(func(ctx context.Context, a briefs.Article) ([]string, error) {
		return src.Body(ctx, a)
	})))
	src = New(lib, dir)
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	a := lib.All()[0]
	if a.Paragraphs != nil {
		t.Fatal("the library kept the body")
	}
	ctx := context.Background()
	full, err := lib.Full(ctx, a)
	if err != nil || !slices.Equal(full.Paragraphs, []string{"The bridge reopened on Monday.", "Traffic returned at once."}) {
		t.Fatalf("Full = %q, %v", full.Paragraphs, err)
	}
	writeFile(t, dir, "a.txt", "Another story altogether\n\nSomething else happened.\n")
	if _, err := src.Body(ctx, a); err == nil || !strings.Contains(err.Error(), "changed since") {
		t.Errorf("rewritten file: %v, want changed since it was loaded", err)
	}
	a.File = "../a.txt"
	if _, err := src.Body(ctx, a); err == nil {
		t.Error("a path outside the folder was read")
	}
}
