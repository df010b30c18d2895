package briefs

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"newsbrief/internal/memstat"
)

// floodArticles is what a feed that floods serves: n items whose titles
// and text are drawn from a vocabulary of a few dozen words, within a
// week, so that their bigrams recur in thousands of items and every
// MinHash bucket is crowded.
func floodArticles(n int) []Article {
	rng := rand.New(rand.NewPCG(3, 5))
	words := strings.Fields("market update breaking news live report world city council police weather traffic sport " +
		"results election vote budget school health hospital fire storm rain wind price rise fall bank rate jobs " +
		"team win loss game star film music show")
	phrase := func(k int) string {
		w := make([]string, k)
		for i := range w {
			w[i] = words[rng.IntN(len(words))]
		}
		return strings.Join(w, " ")
	}
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	arts := make([]Article, n)
	for i := range arts {
		arts[i] = Article{ID: fmt.Sprintf("flood-%07d", i), Title: phrase(4 + rng.IntN(4)), Date: t0.Add(time.Duration(rng.IntN(7*24*60)) * time.Minute),
			Dated: true, Paragraphs: []string{phrase(12+rng.IntN(20)) + "."}}
	}
	return arts
}

// BenchmarkFlood200000 loads 200,000 items of a flooding feed (see
// floodArticles), as a start loads stored items: the grouping stays
// linear however crowded the buckets are.
func BenchmarkFlood200000(b *testing.B) {
	arts := floodArticles(200000)
	peak := memstat.ResetPeak()
	var l *Library
	for b.Loop() {
		l = New()
		l.Replace("flood", arts)
	}
	if rss, ok := memstat.PeakRSS(); ok && peak {
		b.ReportMetric(memstat.MB(rss), "peak-RSS-MB")
	}
	b.ReportMetric(float64(len(l.Latest(-1, ""))), "stories")
}
