package digest_test

import (
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/briefs"
)

// BenchmarkLatestFromRareSource is /brief latest source:X at its worst
// without a per-origin index in the library: 100,000 articles, and the
// source's only story the oldest, so the whole library is walked.
func BenchmarkLatestFromRareSource(b *testing.B) {
	arts := briefs.GenerateArticles(100_000, 1)
	for i := range arts {
		arts[i].Origin = "articles"
	}
	arts = append(arts, briefs.Article{ID: "rare-1a2b3c", Title: "Rare", Origin: "Rare", Date: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)})
	lib := briefs.FromArticles(arts)
	b.ResetTimer()
	for b.Loop() {
		if got := digest.LatestFrom(lib, 5, "", "rare"); len(got) != 1 {
			b.Fatalf("%d articles", len(got))
		}
	}
}
