package folder

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
	"newsbrief/internal/memstat"
)

func BenchmarkLoad10000(b *testing.B) { benchLoad(b, 10000, true) }

// BenchmarkLoad100000 is the scale target's start: 100,000 article files
// to a ready library that keeps no bodies, as the bot runs. Writing the
// folder takes a while; run it with -benchtime=1x, and alone (-run none
// -bench 'Load100000$'), since the peak resident set is the process's.
func BenchmarkLoad100000(b *testing.B) { benchLoad(b, 100000, true) }

// BenchmarkLoad100000Bodies is the same load into a library that keeps
// every body, for comparison.
func BenchmarkLoad100000Bodies(b *testing.B) { benchLoad(b, 100000, false) }

// benchLoad loads a folder of n generated articles into a new library, and
// reports besides the time the process's peak resident set during the
// loads (peak-RSS-MB, Linux only) and the heap the library holds after
// one (heap-MB).
func benchLoad(b *testing.B, n int, lean bool) {
	dir := b.TempDir()
	if err := Write(dir, briefstest.Articles(n, 42)); err != nil {
		b.Fatal(err)
	}
	memstat.Settle()
	peak := memstat.ResetPeak()
	cpu0 := memstat.CPUTime()
	b.ReportAllocs()
	var l *briefs.Library
	for b.Loop() {
		var src *Source
		var opts []briefs.Option
		if lean {
			opts = append(opts, briefs.WithBodies(briefs.BodiesFunc(func(ctx context.Context, a briefs.Article) ([]string, error) {
				return src.Body(ctx, a)
			})))
		}
		l = briefs.New(opts...)
		src = New(l, dir)
		if err := src.Reload(); err != nil {
			b.Fatal(err)
		}
		if l.Len() != n {
			b.Fatalf("loaded %d", l.Len())
		}
	}
	b.ReportMetric((memstat.CPUTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	if rss, ok := memstat.PeakRSS(); ok && peak {
		b.ReportMetric(memstat.MB(rss), "peak-RSS-MB")
	}
	b.ReportMetric(memstat.MB(memstat.LiveHeap(l)), "heap-MB")
}

// BenchmarkCachedReload100000 is a start with an index cache that holds
// every file of a flat folder of 100,000: what is left to do is mostly
// listing the folder and a stat per file, then building the library.
// Writing the folder takes a while: run it with -run none, and set
// FOLDER_BENCH_DIR to keep the folder there for the next runs.
func BenchmarkCachedReload100000(b *testing.B) { benchCachedReload(b, 100000, false) }

// BenchmarkCachedReload100000Nested is the same folder in year/month
// subfolders (120 of them).
func BenchmarkCachedReload100000Nested(b *testing.B) { benchCachedReload(b, 100000, true) }

// BenchmarkWalkStat100000 is the part of a cached start that finds the
// files and stats each: walking the folder of BenchmarkCachedReload100000.
func BenchmarkWalkStat100000(b *testing.B) { benchWalkStat(b, 100000, false) }

// BenchmarkWalkStat100000Nested walks the nested folder.
func BenchmarkWalkStat100000Nested(b *testing.B) { benchWalkStat(b, 100000, true) }

// BenchmarkWalkStatRing100000 is BenchmarkWalkStat100000 with the files
// stat'ed one after the other (ring=false) and through io_urings where
// the system has them (ring=true), in turn, four times: on a noisy
// machine the pairs show how far apart the two are. Run it with a short
// -benchtime (3x).
func BenchmarkWalkStatRing100000(b *testing.B) {
	defer func(old bool) { useRing = old }(useRing)
	for pair := range 4 {
		for _, ring := range []bool{false, true} {
			b.Run(fmt.Sprintf("pair=%d/ring=%v", pair+1, ring), func(b *testing.B) {
				useRing = ring
				benchWalkStat(b, 100000, false)
			})
		}
	}
}

// benchFolder returns a folder of n generated articles, flat or in
// year/month subfolders: below $FOLDER_BENCH_DIR when it is set, written
// the first time and kept (to compare builds on the same files), in a
// temporary folder otherwise.
func benchFolder(b *testing.B, n int, nested bool) string {
	b.Helper()
	name := fmt.Sprintf("flat-%d", n)
	if nested {
		name = fmt.Sprintf("nested-%d", n)
	}
	keep := os.Getenv("FOLDER_BENCH_DIR")
	dir := filepath.Join(keep, name)
	if keep == "" {
		dir = filepath.Join(b.TempDir(), name)
	} else if _, err := os.Stat(dir); err == nil {
		return dir
	}
	arts := briefstest.Articles(n, 42)
	if nested {
		for i := range arts {
			a := &arts[i]
			a.File = fmt.Sprintf("%d/%02d/%s", 2015+i%10, 1+i/10%12, a.File)
			a.ID = briefs.NewID(a.File, a.Title)
		}
	}
	// Written aside and renamed, so that a kept folder is whole.
	tmp := dir + ".writing"
	os.RemoveAll(tmp)
	if err := Write(tmp, arts); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		b.Fatal(err)
	}
	return dir
}

// benchCachedReload loads a folder of n generated articles, flat or in
// year/month subfolders, into a new library taking every article from an
// index cache written after a first load, as a restart of the bot does.
func benchCachedReload(b *testing.B, n int, nested bool) {
	dir := benchFolder(b, n, nested)
	load := func(cache *briefs.IndexCache) *briefs.Library {
		var src *Source
		l := briefs.New(briefs.WithBodies(briefs.BodiesFunc(func(ctx context.Context, a briefs.Article) ([]string, error) {
			return src.Body(ctx, a)
		})))
		src = New(l, dir, WithIndexCache(cache))
		if err := src.Reload(); err != nil {
			b.Fatal(err)
		}
		if l.Len() != n || len(src.Skipped()) != 0 {
			b.Fatalf("loaded %d, skipped %d", l.Len(), len(src.Skipped()))
		}
		return l
	}
	var buf bytes.Buffer
	if err := load(nil).WriteIndexCache(&buf); err != nil {
		b.Fatal(err)
	}
	cache, err := briefs.ReadIndexCache(buf.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	memstat.Settle()
	cpu0 := memstat.CPUTime()
	hits0 := cache.Hits()
	b.ReportAllocs()
	for b.Loop() {
		load(cache)
	}
	if got := cache.Hits() - hits0; got != n*b.N {
		b.Fatalf("%d articles from the cache, want %d", got, n*b.N)
	}
	b.ReportMetric((memstat.CPUTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// benchWalkStat lists the folder of benchCachedReload with the size and
// modification time of every file, as a start with an index cache needs.
func benchWalkStat(b *testing.B, n int, nested bool) {
	dir := benchFolder(b, n, nested)
	memstat.Settle()
	cpu0 := memstat.CPUTime()
	b.ReportAllocs()
	for b.Loop() {
		files, err := walkStat(dir)
		if err != nil {
			b.Fatal(err)
		}
		if len(files) != n {
			b.Fatalf("%d files", len(files))
		}
	}
	b.ReportMetric((memstat.CPUTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// walkStat is what a start with an index cache does before reading
// anything: walk the folder and stat every file.
func walkStat(dir string) ([]File, error) {
	files, _, _, err := walkFolder(dir, true)
	return files, err
}

// BenchmarkRead100000 is the part of a cold start (no index cache) that
// reads the files: walking the folder of BenchmarkCachedReload100000,
// then reading and parsing every file, with no library to build.
func BenchmarkRead100000(b *testing.B) { benchRead(b, 100000, false) }

// BenchmarkRead100000Nested reads the nested folder.
func BenchmarkRead100000Nested(b *testing.B) { benchRead(b, 100000, true) }

// benchRead walks the folder of benchCachedReload and reads every file.
func benchRead(b *testing.B, n int, nested bool) {
	dir := benchFolder(b, n, nested)
	memstat.Settle()
	cpu0 := memstat.CPUTime()
	b.ReportAllocs()
	for b.Loop() {
		files, _, _, held, err := walkHolding(dir, false)
		if err != nil {
			b.Fatal(err)
		}
		var skipped []Skip
		read := 0
		for range readAll(files, &held, MaxFileSize, &skipped, nil, "") {
			read++
		}
		held.close()
		if read != n || len(skipped) != 0 {
			b.Fatalf("read %d, skipped %d", read, len(skipped))
		}
	}
	b.ReportMetric((memstat.CPUTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}
