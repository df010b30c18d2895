package briefs

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"time"
	"unsafe"

	"newsbrief/internal/fakenews"
	"newsbrief/internal/memstat"
)

// carriedShapes are the shapes of syndication the scale benchmarks build:
// every story once, 10 and 65 times; one story 5,000 times among unique
// ones; and a long tail (most stories once, a few hundreds of times).
var carriedShapes = []struct {
	name  string
	shape fakenews.Carriage
}{
	{"k=1", fakenews.CarriedBy(1)},
	{"k=10", fakenews.CarriedBy(10)},
	{"k=65", fakenews.CarriedBy(65)},
	{"one-story-5000", fakenews.CarriedOnce(5000)},
	{"long-tail", fakenews.CarriedLongTail},
}

// BenchmarkBuildCarried100000 builds a library of 100,000 articles in each
// shape of carriedShapes at once (ReplaceAll, as a start does), reporting
// its peak resident set, heap and the stories it found.
func BenchmarkBuildCarried100000(b *testing.B) {
	for _, sh := range carriedShapes {
		b.Run(sh.name, func(b *testing.B) { benchCarried(b, 100000, sh.shape) })
	}
}

func benchCarried(b *testing.B, n int, shape fakenews.Carriage) {
	feeds := byOrigin(generateCarried(n, shape, 42))
	peak := memstat.ResetPeak()
	var l *Library
	for b.Loop() {
		l = New()
		l.ReplaceAll(feeds)
	}
	if l.Len() != n {
		b.Fatalf("%d articles, want %d", l.Len(), n)
	}
	if rss, ok := memstat.PeakRSS(); ok && peak {
		b.ReportMetric(memstat.MB(rss), "peak-RSS-MB")
	}
	b.ReportMetric(memstat.MB(memstat.LiveHeap(l)), "heap-MB")
	b.ReportMetric(float64(len(l.Latest(-1, ""))), "stories")
}

// The library of BenchmarkQueriesMillion, built once for all its runs.
var (
	millionOnce  sync.Once
	millionLib   *Library
	millionStats []millionMetric
)

type millionMetric struct {
	v    float64
	unit string
}

// BenchmarkQueriesMillion answers every kind of /brief query in a library
// of a million articles carried in a long tail (see fakenews.CarriedLongTail),
// built as a start builds it (ReplaceSeq, keeping no bodies). It reports
// the build's time, peak resident set, the heap the library holds and
// what of it the query indexes take, then each query's time. The library
// is built once (a few minutes) and shared by the queries and by every
// -count, so that each query runs as often as -benchtime says. Run it
// alone: go test ./briefs -run none -bench QueriesMillion -timeout 60m.
func BenchmarkQueriesMillion(b *testing.B) {
	millionOnce.Do(func() { millionLib, millionStats = buildMillion(b) })
	l := millionLib
	if l == nil {
		b.Fatal("the library could not be built")
	}
	// A benchmark with sub-benchmarks reports nothing of its own: the
	// build's figures are a sub-benchmark's.
	b.Run("Build", func(b *testing.B) {
		for b.Loop() {
		}
		b.ReportMetric(0, "ns/op")
		for _, m := range millionStats {
			b.ReportMetric(m.v, m.unit)
		}
	})
	someID := l.Latest(1, "")[0].ID
	for _, q := range []struct {
		name string
		fn   func()
	}{
		{"Latest", func() { l.Latest(5, "") }},
		{"LatestTopic/climate", func() { l.Latest(5, "climate") }},
		{"LatestTopic/election_budget", func() { l.Latest(5, "election budget") }},
		{"Search/inflation", func() { l.Search("inflation", 5) }},
		{"Search/central_bank_interest_rates", func() { l.Search("central bank interest rates", 5) }},
		{"Search/record", func() { l.Search("record", 5) }},
		{"Search/vaccine_rollout_hospitals", func() { l.Search("vaccine rollout hospitals", 10) }},
		{"Complete/empty", func() { l.Complete("", 25) }},
		{"Complete/w", func() { l.Complete("w", 25) }},
		{"Complete/the", func() { l.Complete("the", 25) }},
		{"Complete/central_ba", func() { l.Complete("central ba", 25) }},
		{"Complete/xyzzy", func() { l.Complete("xyzzy", 25) }},
		{"Get", func() { l.Get(someID) }},
		{"Story", func() { l.Story(someID) }},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				q.fn()
			}
		})
	}
}

// buildMillion builds BenchmarkQueriesMillion's library and measures it.
func buildMillion(b *testing.B) (*Library, []millionMetric) {
	const n = 1000000
	origins := make([]string, 5000)
	for j := range origins {
		origins[j] = fmt.Sprintf("outlet-%04d", j)
	}
	var stats []millionMetric
	memstat.Settle()
	peak := memstat.ResetPeak()
	l := New(WithBodies(BodiesFunc(func(context.Context, Article) ([]string, error) { return nil, nil })))
	start := time.Now()
	dropped := l.ReplaceSeq(origins, carriedSeq(n, fakenews.CarriedLongTail, 42))
	stats = append(stats, millionMetric{time.Since(start).Seconds(), "build-s"})
	if rss, ok := memstat.PeakRSS(); ok && peak {
		stats = append(stats, millionMetric{memstat.MB(rss), "build-peak-RSS-MB"})
	}
	stats = append(stats, millionMetric{memstat.MB(memstat.LiveHeap(l)), "heap-MB"})
	blocks, titles := queryIndexBytes(l)
	stats = append(stats, millionMetric{memstat.MB(blocks), "postblocks-MB"}, millionMetric{memstat.MB(titles), "title-index-MB"})
	stats = append(stats, millionMetric{float64(len(l.Latest(-1, ""))), "stories"})
	if path := os.Getenv("NEWSBRIEF_HEAP_PROFILE"); path != "" {
		// Where the library's memory goes: go tool pprof -sample_index=inuse_space.
		runtime.GC()
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	// A few generated articles share an ID (NewID's hash has 24 bits,
	// and generated titles repeat): the library keeps one of each.
	if l.Len()+len(dropped) != n {
		b.Fatalf("%d articles and %d dropped, want %d", l.Len(), len(dropped), n)
	}
	return l, stats
}

// queryIndexBytes is what the query indexes of l's segments take: the
// postings' blocks (with their offsets per term), and the titles'
// signature bitmaps with the samples of their sorted lists. (The
// bitmaps hold the signatures titles had before them, 32 bytes each.)
func queryIndexBytes(l *Library) (blocks, titles uint64) {
	for _, seg := range l.snap.Load().segs {
		blocks += uint64(len(seg.index.blocks))*uint64(unsafe.Sizeof(postBlock{})) + 4*uint64(len(seg.index.blkOff))
		c := &seg.complete
		titles += 8 * uint64(len(c.sigBits)+len(c.titleKeys)+len(c.wordKeys))
	}
	return blocks, titles
}
