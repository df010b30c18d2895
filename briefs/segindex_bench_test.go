package briefs

import (
	"testing"

	"newsbrief/internal/fakenews"
)

// BenchmarkBuildSegIndex tokenizes and indexes one segment of streamChunk
// generated articles, on one core: the work of a cold start per article.
func BenchmarkBuildSegIndex(b *testing.B) {
	arts := generateCarried(streamChunk, fakenews.CarriedLongTail, 3)
	words := 0
	for _, a := range arts {
		scanWords(a.Title, nil, func([]byte, uint64, int, int) { words++ })
		for _, p := range a.Paragraphs {
			scanWords(p, nil, func([]byte, uint64, int, int) { words++ })
		}
	}
	b.ResetTimer()
	var sc segScratch
	for b.Loop() {
		buildSegIndex(arts, &sc)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*words), "ns/word")
}

// BenchmarkBuildSegCompleter builds the title completion of one segment
// of streamChunk generated articles, on one core.
func BenchmarkBuildSegCompleter(b *testing.B) {
	arts := generateCarried(streamChunk, fakenews.CarriedLongTail, 3)
	for b.Loop() {
		buildSegCompleter(arts)
	}
}
