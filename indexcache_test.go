package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/feed/feedstore"
	"newsbrief/briefs/folder"
	"newsbrief/config"
	"newsbrief/store/sqlite"
)

// cacheSetup makes a folder of 30 article files and a database with two
// feeds' stored items (no network: the starts below only load them), and
// a configuration with an index cache.
func cacheSetup(t *testing.T) config.Config {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Defaults()
	cfg.BriefsDir = filepath.Join(dir, "articles")
	cfg.DatabasePath = filepath.Join(dir, "data", "newsbrief.db")
	cfg.FeedsFile = filepath.Join(dir, "feeds.txt")
	cfg.IndexCache = filepath.Join(dir, "data", config.DefaultIndexCacheName)
	if err := folder.Write(cfg.BriefsDir, briefstest.Articles(30, 5)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.FeedsFile, []byte("wire https://wire.example/rss\ncourier https://courier.example/rss\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The wire carries the folder's first story too: one story of two
	// articles, which a start from the cache takes as it was grouped.
	saveItems(t, cfg, "wire", append(briefstest.Articles(12, 8), briefstest.Articles(1, 5)...))
	saveItems(t, cfg, "courier", briefstest.Articles(12, 9))
	return cfg
}

func saveItems(t *testing.T, cfg config.Config, name string, arts []briefs.Article) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, cfg.DatabasePath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	items := make([]feedstore.Item, len(arts))
	for i, a := range arts {
		link := fmt.Sprintf("https://%s.example/news/%s", name, a.ID)
		items[i] = feedstore.Item{Identity: link, Origin: name, Link: link, TitleKey: strings.ToLower(a.Title), Title: a.Title,
			Text: strings.Join(a.Paragraphs, "\n\n"), URL: link, Published: a.Date, Fetched: time.Now()}
	}
	if _, err := st.SaveItems(ctx, items, 0); err != nil {
		t.Fatal(err)
	}
}

// start opens the data as the bot does at start and returns it with what
// it logged.
func start(t *testing.T, cfg config.Config) (*data, string) {
	t.Helper()
	var logs bytes.Buffer
	d, err := openData(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d, logs.String()
}

// reused is how many articles a start's log says came from the cache.
func reused(t *testing.T, logs string) int {
	t.Helper()
	m := regexp.MustCompile(`msg="index cache read" reused=(\d+)`).FindStringSubmatch(logs)
	if m == nil {
		t.Fatalf("no index cache read in the log:\n%s", logs)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestIndexCacheSeesChanges: a start with the index cache takes every
// unchanged file and item from it, and reads the files edited, added and
// removed since, and the new feed items: it ends with exactly the library
// a start without the cache builds.
func TestIndexCacheSeesChanges(t *testing.T) {
	cfg := cacheSetup(t)
	first, logs := start(t, cfg)
	if !first.cacheStale || !strings.Contains(logs, "index cache: none yet") {
		t.Fatalf("a first start without a cache: stale %v\n%s", first.cacheStale, logs)
	}
	total := first.lib.Len()
	if total != 55 {
		t.Fatalf("%d articles, want 55", total)
	}
	carried := first.lib.Latest(-1, "")
	carried = slices.DeleteFunc(carried, func(a briefs.Article) bool { return len(a.Also) == 0 })
	if len(carried) != 1 || len(first.lib.Story(carried[0].ID)) != 2 {
		t.Fatalf("stories carried by two sources: %v, want the folder's first, in the wire too", carried)
	}
	if err := writeIndexCache(first.lib, cfg.IndexCache); err != nil {
		t.Fatal(err)
	}

	// Unchanged: every article from the cache, nothing stale.
	again, logs := start(t, cfg)
	if n := reused(t, logs); n != total || again.cacheStale {
		t.Errorf("unchanged: %d of %d articles from the cache (stale %v)", n, total, again.cacheStale)
	}
	sameArticles(t, again.lib, first.lib)
	if got := again.lib.Story(carried[0].ID); !slices.Equal(got, first.lib.Story(carried[0].ID)) {
		t.Errorf("the carried story from the cache: %v, want %v", got, first.lib.Story(carried[0].ID))
	}

	// Edit a file (same name, new text, a later modification time), remove
	// one, add one, and store a new feed item.
	files, _, err := folder.Files(cfg.BriefsDir)
	if err != nil {
		t.Fatal(err)
	}
	edited := files[3].Path()
	later := time.Now().Add(time.Hour)
	if err := os.WriteFile(edited, []byte("Quokka parade returns to the harbour\n\nA parade of quokkas crossed the harbour bridge on Sunday, the first in ten years.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(edited, later, later); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(files[7].Path()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.BriefsDir, "new.txt"), []byte("Wombat census finds more wombats\n\nThe wombat census counted more wombats than last year.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	saveItems(t, cfg, "courier", []briefs.Article{{ID: "x", Title: "Platypus spotted in the city river",
		Paragraphs: []string{"A platypus was seen in the city's river for the first time in a century."}, Date: time.Now(), Dated: true}})

	changed, logs := start(t, cfg)
	if n := reused(t, logs); n != total-2 || !changed.cacheStale {
		t.Errorf("after changes: %d articles from the cache (stale %v), want %d: all but the edited and the removed", n, changed.cacheStale, total-2)
	}
	cfg.IndexCache = ""
	fresh, _ := start(t, cfg)
	sameArticles(t, changed.lib, fresh.lib)
	for q, want := range map[string]int{"quokka parade": 1, "wombat census": 1, "platypus": 1} {
		if got := len(changed.lib.Search(q, 5)); got != want {
			t.Errorf("Search(%q) = %d hits, want %d", q, got, want)
		}
	}
}

// TestIndexCacheItemStoredAgain: a feed item pruned and stored again (here
// under another title) is another storing of it, with another fetch time,
// so a start with the index cache reads it from the store instead of
// taking the article cached for the first storing: the cache knows items
// by their keys and dates alone (feedstore.ItemKeys).
func TestIndexCacheItemStoredAgain(t *testing.T) {
	cfg := cacheSetup(t)
	first, _ := start(t, cfg)
	if err := writeIndexCache(first.lib, cfg.IndexCache); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, cfg.DatabasePath)
	if err != nil {
		t.Fatal(err)
	}
	courier, err := st.Items(ctx, "courier")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := st.PruneItems(ctx, time.Now().Add(time.Hour), 0); err != nil || n != 25 {
		t.Fatalf("pruned %d items, %v; want all 25", n, err)
	}
	renamed := courier[0].Title + " (updated)"
	courier[0].Title = renamed
	for i := range courier {
		courier[i].Fetched = time.Time{} // stored now
	}
	if _, err := st.SaveItems(ctx, courier, 0); err != nil {
		t.Fatal(err)
	}
	st.Close()

	again, logs := start(t, cfg)
	if n := reused(t, logs); n != 30 || !again.cacheStale {
		t.Errorf("%d articles from the cache (stale %v), want the folder's 30 alone", n, again.cacheStale)
	}
	found := false
	for _, a := range again.lib.All() {
		found = found || a.Title == renamed
	}
	if !found {
		t.Errorf("no article titled %q: the item stored again came from the cache", renamed)
	}
	cfg.IndexCache = ""
	fresh, _ := start(t, cfg)
	sameArticles(t, again.lib, fresh.lib)
}

// TestIndexCacheDamaged: a damaged cache is refused with a warning, and the
// start builds the library from the sources as if there were none.
func TestIndexCacheDamaged(t *testing.T) {
	cfg := cacheSetup(t)
	first, _ := start(t, cfg)
	if err := writeIndexCache(first.lib, cfg.IndexCache); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(cfg.IndexCache)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/3] ^= 0xFF
	if err := os.WriteFile(cfg.IndexCache, data, 0o644); err != nil {
		t.Fatal(err)
	}
	d, logs := start(t, cfg)
	if !strings.Contains(logs, "index cache unusable") || !strings.Contains(logs, "checksum") || !d.cacheStale {
		t.Errorf("a damaged cache was not refused with a warning (stale %v):\n%s", d.cacheStale, logs)
	}
	sameArticles(t, d.lib, first.lib)
}

func sameArticles(t *testing.T, got, want *briefs.Library) {
	t.Helper()
	g, w := got.All(), want.All()
	if len(g) != len(w) {
		t.Fatalf("%d articles, want %d", len(g), len(w))
	}
	for i := range w {
		a, b := g[i], w[i]
		if a.ID != b.ID || a.Title != b.Title || !a.Date.Equal(b.Date) || a.Dated != b.Dated || a.Words != b.Words ||
			a.Origin != b.Origin || a.File != b.File || a.Ref != b.Ref || a.URL != b.URL || a.Stamp != b.Stamp || !slices.Equal(a.Also, b.Also) {
			t.Errorf("article %d:\n got %+v\nwant %+v", i, a, b)
		}
	}
	for _, q := range []string{"police", "government", "harbour"} {
		hg, hw := got.Search(q, 10), want.Search(q, 10)
		if len(hg) != len(hw) {
			t.Errorf("Search(%q): %d hits, want %d", q, len(hg), len(hw))
			continue
		}
		for i := range hw {
			if hg[i].Article.ID != hw[i].Article.ID || hg[i].Score != hw[i].Score {
				t.Errorf("Search(%q) hit %d: %s %v, want %s %v", q, i, hg[i].Article.ID, hg[i].Score, hw[i].Article.ID, hw[i].Score)
			}
		}
	}
}

// TestKeepIndexCache: the bot writes the cache at once after a start that
// indexed anything, again on a tick when the library changed since, a last
// time on the way out when it changed, and never when nothing changed.
func TestKeepIndexCache(t *testing.T) {
	noBodies := briefs.WithBodies(briefs.BodiesFunc(func(context.Context, briefs.Article) ([]string, error) { return nil, nil }))
	article := func(n int) briefs.Article {
		return briefs.Article{ID: fmt.Sprintf("a-%d", n), Title: fmt.Sprintf("Harbour news %d", n), Paragraphs: []string{"The harbour reopened."},
			Date: time.Date(2026, 1, n, 0, 0, 0, 0, time.UTC), File: fmt.Sprintf("%d.txt", n), Stamp: "s"}
	}
	cached := func(path string) int {
		c, _, err := loadIndexCache(path)
		if err != nil {
			return -1
		}
		defer c.Release()
		return c.Len()
	}
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitFor := func(t *testing.T, what string, cond func() bool) {
		t.Helper()
		poll(t, ctx, what, func() string { return "" }, cond)
	}
	run := func(lib *briefs.Library, path string, every time.Duration, stale bool) (stop func()) {
		halt, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			keepIndexCache(halt, lib, path, every, stale, log)
		}()
		return func() { close(halt); <-done }
	}

	t.Run("unchanged", func(t *testing.T) {
		lib := briefs.New(noBodies)
		lib.Replace("news", []briefs.Article{article(1)})
		path := filepath.Join(t.TempDir(), "cache")
		run(lib, path, time.Millisecond, false)()
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("a cache was written for an unchanged library: %v", err)
		}
	})
	t.Run("stale at start", func(t *testing.T) {
		lib := briefs.New(noBodies)
		lib.Replace("news", []briefs.Article{article(1)})
		path := filepath.Join(t.TempDir(), "cache")
		stop := run(lib, path, time.Hour, true)
		waitFor(t, "the cache written after a stale start", func() bool { return cached(path) == 1 })
		stop()
	})
	t.Run("on a tick", func(t *testing.T) {
		lib := briefs.New(noBodies)
		path := filepath.Join(t.TempDir(), "cache")
		stop := run(lib, path, time.Millisecond, false)
		defer stop()
		lib.Replace("news", []briefs.Article{article(1), article(2)})
		waitFor(t, "the cache written after the library changed", func() bool { return cached(path) == 2 })
	})
	t.Run("on the way out", func(t *testing.T) {
		lib := briefs.New(noBodies)
		path := filepath.Join(t.TempDir(), "cache")
		stop := run(lib, path, time.Hour, false)
		lib.Replace("news", []briefs.Article{article(3)})
		stop()
		if n := cached(path); n != 1 {
			t.Errorf("after the way out the cache holds %d articles, want 1", n)
		}
	})
}
