package briefs

import (
	"testing"

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
