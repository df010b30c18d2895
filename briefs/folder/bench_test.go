package folder

import (
	"context"
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
