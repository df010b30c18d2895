package briefs

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// libWriteFile writes content to dir/rel, creating folders.
func libWriteFile(t testing.TB, dir, rel, content string) string {
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

func libArticleText(date, title string, paras ...string) string {
	s := title + "\n\n" + strings.Join(paras, "\n\n") + "\n"
	if date != "" {
		s = date + "\n" + s
	}
	return s
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	libWriteFile(t, dir, "budget.txt", libArticleText("2023-11-03", "Council passes budget", "The council approved the budget."))
	libWriteFile(t, dir, "sub/deeper/rail.MD", libArticleText("November 5, 2023", "Rail strike ends", "Trains run again."))
	libWriteFile(t, dir, "sub/undated.txt", libArticleText("", "Undated story", "No date here."))
	libWriteFile(t, dir, "notes.doc", libArticleText("2023-11-03", "Not an article", "Wrong extension."))
	libWriteFile(t, dir, "README", libArticleText("2023-11-03", "No extension", "Ignored."))
	libWriteFile(t, dir, ".hidden.txt", libArticleText("2023-11-03", "Hidden file", "Ignored."))
	libWriteFile(t, dir, ".git/inside.txt", libArticleText("2023-11-03", "Hidden folder", "Ignored."))
	libWriteFile(t, dir, "empty.txt", "")
	libWriteFile(t, dir, "binary.txt", "Title\n\n\x00\x01\x02")
	libWriteFile(t, dir, "notitle.txt", "2023-11-03\n\n")
	libWriteFile(t, dir, "nobody.txt", "Only a title\n")
	libWriteFile(t, dir, "big.txt", libArticleText("2023-11-03", "Big file", strings.Repeat("word ", 400)))
	mtime := time.Date(2022, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "sub", "undated.txt"), mtime, mtime); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	l, err := Load(dir, WithLogger(logger), WithMaxFileSize(1000))
	if err != nil {
		t.Fatal(err)
	}
	if l.Dir() != dir {
		t.Errorf("Dir %q", l.Dir())
	}
	var titles []string
	for _, a := range l.All() {
		titles = append(titles, a.Title)
	}
	if got, want := strings.Join(titles, "|"), "Rail strike ends|Council passes budget|Undated story"; got != want {
		t.Errorf("titles %q, want %q", got, want)
	}
	if l.Len() != 3 {
		t.Errorf("Len %d", l.Len())
	}

	rail := l.All()[0]
	if rail.Source != filepath.Join(dir, "sub", "deeper", "rail.MD") {
		t.Errorf("Source %q", rail.Source)
	}
	// IDs come from the path relative to the folder, with forward slashes.
	if want, _ := Parse("sub/deeper/rail.MD", []byte(libArticleText("", "Rail strike ends", "x"))); rail.ID != want.ID {
		t.Errorf("ID %q, want %q", rail.ID, want.ID)
	}
	if got, ok := l.Get(rail.ID); !ok || got.Title != rail.Title {
		t.Errorf("Get(%q) = %q, %v", rail.ID, got.Title, ok)
	}
	if _, ok := l.Get("no-such-id"); ok {
		t.Error("Get of an unknown ID succeeded")
	}
	undated := l.All()[2]
	if undated.Dated || !undated.Date.Equal(mtime) {
		t.Errorf("undated: Dated %v Date %v, want mtime %v", undated.Dated, undated.Date, mtime)
	}

	want := map[string]error{
		"empty.txt": ErrEmpty, "binary.txt": ErrBinary, "notitle.txt": ErrNoTitle,
		"nobody.txt": ErrNoBody, "big.txt": ErrTooLarge,
	}
	skipped := l.Skipped()
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
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("err %v, want one naming %s", err, dir)
	}
	file := libWriteFile(t, t.TempDir(), "a.txt", libArticleText("", "T", "B"))
	if _, err := Load(file); err == nil {
		t.Fatal("Load of a file succeeded")
	}
}

func TestLoadDuplicateIDs(t *testing.T) {
	a := Article{ID: "same", Title: "First", Paragraphs: []string{"x"}, Source: "a.txt", Words: 1}
	b := Article{ID: "same", Title: "Second", Paragraphs: []string{"y"}, Source: "b.txt", Words: 1}
	l := FromArticles([]Article{a, b})
	if l.Len() != 1 {
		t.Fatalf("Len %d, want 1", l.Len())
	}
	if got, _ := l.Get("same"); got.Title != "First" {
		t.Errorf("kept %q, want the first", got.Title)
	}
	s := l.Skipped()
	if len(s) != 1 || s[0].Path != "b.txt" || !errors.Is(s[0].Err, ErrDuplicateID) {
		t.Errorf("Skipped %v", s)
	}
}

func TestFromArticlesGivesIDs(t *testing.T) {
	l := FromArticles([]Article{{Title: "One", Paragraphs: []string{"x"}}, {Title: "One", Paragraphs: []string{"y"}}})
	all := l.All()
	if len(all) != 2 || all[0].ID == "" || all[0].ID == all[1].ID {
		t.Fatalf("IDs %q", []string{all[0].ID, all[1].ID})
	}
	if err := l.Reload(); err == nil {
		t.Error("Reload of an in-memory library succeeded")
	}
}

func TestLatest(t *testing.T) {
	l := FromArticles([]Article{
		{ID: "a", Title: "Budget vote", Date: libDay(1), Paragraphs: []string{"The council budget."}},
		{ID: "b", Title: "Rail strike", Date: libDay(3), Paragraphs: []string{"Trains stop."}},
		{ID: "c", Title: "Budget cuts", Date: libDay(2), Paragraphs: []string{"Cuts to the budget."}},
		{ID: "d", Title: "Another strike", Date: libDay(3), Paragraphs: []string{"Bus drivers strike over the budget."}},
		{ID: "e", Title: "Weather", Date: libDay(4), Paragraphs: []string{"Sunny."}},
	})
	ids := func(as []Article) string {
		var s []string
		for _, a := range as {
			s = append(s, a.ID)
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		n     int
		topic string
		want  string
	}{
		{3, "", "e,d,b"}, // same day: by title
		{-1, "", "e,d,b,c,a"},
		{10, "", "e,d,b,c,a"},
		{0, "", ""},
		{10, "budget", "d,c,a"},
		{2, "BUDGETS", "d,c"},
		{10, "strike", "d,b"},
		{10, "budget strike", "d,b,c,a"},
		{10, "the", ""},
		{10, "nothing", ""},
	} {
		if got := ids(l.Latest(tc.n, tc.topic)); got != tc.want {
			t.Errorf("Latest(%d, %q) = %s, want %s", tc.n, tc.topic, got, tc.want)
		}
	}
	if got := ids(l.All()); got != "e,d,b,c,a" {
		t.Errorf("All = %s", got)
	}
}

// TestConcurrentReload runs readers against a library that keeps reloading
// (go test -race): every reader must see a complete snapshot.
func TestConcurrentReload(t *testing.T) {
	dir := t.TempDir()
	if err := WriteArticleFiles(dir, GenerateArticles(200, 1)); err != nil {
		t.Fatal(err)
	}
	l, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
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
			}
		})
	}
	for i := range 10 {
		if i%2 == 0 {
			libWriteFile(t, dir, "extra.txt", libArticleText("2024-01-01", "Extra article", "Body."))
		} else {
			os.Remove(filepath.Join(dir, "extra.txt"))
		}
		if err := l.Reload(); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
}

func TestGeneratedRoundTrip(t *testing.T) {
	arts := GenerateArticles(50, 7)
	again := GenerateArticles(50, 7)
	for i := range arts {
		if arts[i].ID != again[i].ID || arts[i].Body() != again[i].Body() {
			t.Fatal("GenerateArticles is not deterministic")
		}
		if n := len(arts[i].Paragraphs); n < 4 || n > 8 {
			t.Errorf("%d paragraphs", n)
		}
	}
	dir := t.TempDir()
	if err := WriteArticleFiles(dir, arts); err != nil {
		t.Fatal(err)
	}
	l, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != len(arts) || len(l.Skipped()) != 0 {
		t.Fatalf("loaded %d, skipped %v", l.Len(), l.Skipped())
	}
	for _, want := range arts {
		got, ok := l.Get(want.ID)
		if !ok {
			t.Fatalf("%s not loaded", want.ID)
		}
		if got.Title != want.Title || !got.Date.Equal(want.Date) || got.Body() != want.Body() || got.Words != want.Words {
			t.Errorf("round trip of %s changed it:\n%+v\n%+v", want.ID, got, want)
		}
	}
}
