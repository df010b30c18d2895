package briefs

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"newsbrief/internal/memstat"
)

// carriedShapes are the shapes of syndication the scale benchmarks build:
// every story once, 10 and 65 times; one story 5,000 times among unique
// ones; and a long tail (most stories once, a few hundreds of times).
var carriedShapes = []struct {
	name  string
	shape Carriage
}{
	{"k=1", CarriedBy(1)},
	{"k=10", CarriedBy(10)},
	{"k=65", CarriedBy(65)},
	{"one-story-5000", CarriedOnce(5000)},
	{"long-tail", CarriedLongTail},
}

// BenchmarkBuildCarried100000 builds a library of 100,000 articles in each
// shape of carriedShapes at once (ReplaceAll, as a start does), reporting
// its peak resident set, heap and the stories it found.
func BenchmarkBuildCarried100000(b *testing.B) {
	for _, sh := range carriedShapes {
		b.Run(sh.name, func(b *testing.B) { benchCarried(b, 100000, sh.shape) })
	}
}

func benchCarried(b *testing.B, n int, shape Carriage) {
	feeds := byOrigin(GenerateCarried(n, shape, 42))
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

// BenchmarkQueriesMillion answers every kind of /brief query in a library
// of a million articles carried in a long tail (see CarriedLongTail),
// built as a start builds it (ReplaceSeq, keeping no bodies). It reports
// the build's time, peak resident set and the heap the library holds,
// then each query's time. Building takes a while: run it alone, with
// -benchtime 1x for the build.
func BenchmarkQueriesMillion(b *testing.B) {
	const n = 1000000
	origins := make([]string, 5000)
	for j := range origins {
		origins[j] = fmt.Sprintf("outlet-%04d", j)
	}
	memstat.Settle()
	peak := memstat.ResetPeak()
	l := New(WithBodies(BodiesFunc(func(context.Context, Article) ([]string, error) { return nil, nil })))
	start := time.Now()
	dropped := l.ReplaceSeq(origins, CarriedSeq(n, CarriedLongTail, 42))
	b.ReportMetric(time.Since(start).Seconds(), "build-s")
	if rss, ok := memstat.PeakRSS(); ok && peak {
		b.ReportMetric(memstat.MB(rss), "build-peak-RSS-MB")
	}
	b.ReportMetric(memstat.MB(memstat.LiveHeap(l)), "heap-MB")
	b.ReportMetric(float64(len(l.Latest(-1, ""))), "stories")
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
		{"Complete/empty", func() { l.Complete("", 25) }},
		{"Complete/w", func() { l.Complete("w", 25) }},
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
