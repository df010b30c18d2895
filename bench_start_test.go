package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/feed/feedstore"
	"newsbrief/briefs/folder"
	"newsbrief/config"
	"newsbrief/internal/memstat"
	"newsbrief/store/sqlite"
)

// BenchmarkStart100000 is the scale target: the bot's start to a ready
// library with 100,000 articles, half of them article files and half of
// them feed items stored by 500 feeds (100 each), as openData does it
// before the bot connects: load the folder, open the database, load every
// feed's stored items. It reports the peak resident set during the start
// (peak-RSS-MB), the heap held after it (heap-MB) and the processor time
// it took on all cores (cpu-s/op: on a busy machine a steadier figure than
// the wall time).
//
// "cold" is a first start, or one without INDEX_CACHE: every file is read
// and every article tokenized. "cached" is every start after it: the
// index cache written by the bot after the first start is read, and
// nothing has changed since, so no file is opened and nothing is
// tokenized. Building the folder and the database takes a while: run it
// alone, with -benchtime=1x:
//
//	go test -run none -bench 'Start100000$' -benchtime 1x .
func BenchmarkStart100000(b *testing.B) { benchStart(b, 50000, 500, 100) }

// BenchmarkStart10000 is the same at a tenth of the size.
func BenchmarkStart10000(b *testing.B) { benchStart(b, 5000, 50, 100) }

// BenchmarkStartCarried100000 is BenchmarkStart100000 with the stories
// carried as syndication carries them (see briefstest.Carried): every
// story once, 10 and 65 times, one story 5,000 times among stories told
// once, and a long tail (most once, some 2-5 times, a few hundreds). In
// the folder and in the feeds alike; a feed carries a story once. Run one
// shape at a time:
//
//	go test -run none -bench 'StartCarried100000/k=65$' -benchtime 1x .
func BenchmarkStartCarried100000(b *testing.B) {
	for _, sh := range []struct {
		name  string
		shape briefstest.Carriage
	}{
		{"k=1", briefstest.CarriedBy(1)},
		{"k=10", briefstest.CarriedBy(10)},
		{"k=65", briefstest.CarriedBy(65)},
		{"one-story-5000", briefstest.CarriedOnce(5000)},
		{"long-tail", briefstest.CarriedLongTail},
	} {
		b.Run(sh.name, func(b *testing.B) {
			benchStartOf(b, 50000, 500, 100, func(n int, seed int64) []briefs.Article { return briefstest.Carried(n, sh.shape, seed) })
		})
	}
}

// BenchmarkStartMillion is the start of a million articles: 500,000 files
// and 5,000 feeds of 100 stored items, the stories carried in a long
// tail. It takes minutes to build; run it alone:
//
//	go test -run none -bench 'StartMillion$' -benchtime 1x -timeout 60m .
func BenchmarkStartMillion(b *testing.B) {
	benchStartOf(b, 500000, 5000, 100, func(n int, seed int64) []briefs.Article {
		return briefstest.Carried(n, briefstest.CarriedLongTail, seed)
	})
}

func benchStart(b *testing.B, files, feeds, perFeed int) {
	benchStartOf(b, files, feeds, perFeed, briefstest.Articles)
}

// benchStartOf is benchStart with the articles gen makes: the folder's
// files, and the feeds' items, item i to feed i modulo feeds.
func benchStartOf(b *testing.B, files, feeds, perFeed int, gen func(n int, seed int64) []briefs.Article) {
	dir := b.TempDir()
	// NEWSBRIEF_BENCH_DATA keeps the built folder and database in a
	// directory of its own (one per benchmark), and a later run with the
	// same variable starts from them instead of building them again
	// (delete its newsbrief.index when the cache's format changes).
	keep := os.Getenv("NEWSBRIEF_BENCH_DATA")
	if keep != "" {
		dir = filepath.Join(keep, strings.NewReplacer("/", "_", "=", "_").Replace(b.Name()))
	}
	cfg := config.Defaults()
	cfg.BriefsDir = filepath.Join(dir, "articles")
	cfg.DatabasePath = filepath.Join(dir, "newsbrief.db")
	cfg.FeedsFile = filepath.Join(dir, "feeds.txt")
	cfg.IndexCache = filepath.Join(dir, "newsbrief.index")
	built := filepath.Join(dir, "built")
	if _, err := os.Stat(built); keep == "" || err != nil {
		buildStartData(b, cfg, files, feeds, perFeed, gen)
		if keep != "" {
			if err := os.WriteFile(built, nil, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := os.Stat(cfg.IndexCache); err != nil {
		writeStartCache(b, cfg) // kept data, its cache deleted
	}
	b.Run("cold", func(b *testing.B) {
		cold := cfg
		cold.IndexCache = ""
		measureStart(b, cold, files+feeds*perFeed)
	})
	info, err := os.Stat(cfg.IndexCache)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		measureStart(b, cfg, files+feeds*perFeed)
		b.ReportMetric(memstat.MB(uint64(info.Size())), "cache-file-MB")
	})
}

// buildStartData writes the articles folder, the feeds file and the
// database of benchStartOf, and the index cache of a first start.
func buildStartData(b *testing.B, cfg config.Config, files, feeds, perFeed int, gen func(n int, seed int64) []briefs.Article) {
	ctx := context.Background()
	if err := os.MkdirAll(cfg.BriefsDir, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := folder.Write(cfg.BriefsDir, gen(files, 42)); err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.Open(ctx, cfg.DatabasePath)
	if err != nil {
		b.Fatal(err)
	}
	var list strings.Builder
	arts := gen(feeds*perFeed, 7)
	fetched := time.Now()
	for f := range feeds {
		name := fmt.Sprintf("feed-%03d", f)
		fmt.Fprintf(&list, "%s https://feed-%03d.example/rss\n", name, f)
		items := make([]feedstore.Item, perFeed)
		for i := range items {
			a := arts[i*feeds+f]
			link := fmt.Sprintf("https://feed-%03d.example/news/%d", f, i)
			items[i] = feedstore.Item{Identity: link, Origin: name, Link: link, TitleKey: fmt.Sprintf("%s %d", a.Title, i),
				Title: a.Title, Text: strings.Join(a.Paragraphs, "\n\n"), URL: link, Published: a.Date, Fetched: fetched}
		}
		if _, err := st.SaveItems(ctx, items, 0); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	arts = nil
	if err := os.WriteFile(cfg.FeedsFile, []byte(list.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	writeStartCache(b, cfg)
}

// writeStartCache writes the index cache of a first start.
func writeStartCache(b *testing.B, cfg config.Config) {
	cold := cfg
	cold.IndexCache = ""
	d, err := openData(context.Background(), cold, slog.New(slog.DiscardHandler), true)
	if err != nil {
		b.Fatal(err)
	}
	if err := writeIndexCache(d.lib, cfg.IndexCache); err != nil {
		b.Fatal(err)
	}
	d.Close()
}

// measureStart opens the data as the bot does at start, and reports its
// processor time, peak resident set and the heap the library holds.
func measureStart(b *testing.B, cfg config.Config, want int) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	memstat.Settle()
	peak := memstat.ResetPeak()
	cpu0 := memstat.CPUTime()
	var d *data
	var err error
	for b.Loop() {
		if d != nil {
			d.Close()
		}
		// Labelled for a profile of the starts alone, the goroutines
		// they start included: go tool pprof -tagfocus start=cached.
		pprof.Do(ctx, pprof.Labels("start", filepath.Base(b.Name())), func(ctx context.Context) {
			d, err = openData(ctx, cfg, log, true)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((memstat.CPUTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	if rss, ok := memstat.PeakRSS(); ok && peak {
		b.ReportMetric(memstat.MB(rss), "peak-RSS-MB")
	}
	if n := d.lib.Len(); n != want {
		b.Fatalf("%d articles, want %d", n, want)
	}
	if cfg.IndexCache != "" && d.cacheStale {
		b.Fatal("the start did not take every article from the index cache")
	}
	b.ReportMetric(memstat.MB(memstat.LiveHeap(d.lib)), "heap-MB")
	d.Close()
}
