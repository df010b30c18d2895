package folder

import (
	"testing"

	"newsbrief/briefs"
	"newsbrief/briefs/internal/memstat"
)

func BenchmarkLoad10000(b *testing.B) { benchLoad(b, 10000) }

// BenchmarkLoad100000 is the scale target's start: 100,000 article files
// to a ready library. Writing the folder takes a while; run it with
// -benchtime=1x.
func BenchmarkLoad100000(b *testing.B) { benchLoad(b, 100000) }

// benchLoad loads a folder of n generated articles into a new library, and
// reports besides the time the process's peak resident set during the
// loads (peak-RSS-MB, Linux only) and the heap the library holds after
// one (heap-MB).
func benchLoad(b *testing.B, n int) {
	dir := b.TempDir()
	if err := Write(dir, briefs.GenerateArticles(n, 42)); err != nil {
		b.Fatal(err)
	}
	peak := memstat.ResetPeak()
	b.ReportAllocs()
	var l *briefs.Library
	for b.Loop() {
		l = briefs.New()
		if _, err := Load(l, dir); err != nil {
			b.Fatal(err)
		}
		if l.Len() != n {
			b.Fatalf("loaded %d", l.Len())
		}
	}
	if rss, ok := memstat.PeakRSS(); ok && peak {
		b.ReportMetric(memstat.MB(rss), "peak-RSS-MB")
	}
	b.ReportMetric(memstat.MB(memstat.LiveHeap(l)), "heap-MB")
}
