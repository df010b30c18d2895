package summarize

import (
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkSummarize(b *testing.B) {
	a := sampleArticle()
	b.ReportAllocs()
	for b.Loop() {
		Summarize(a, Length{Words: 75})
	}
}

func BenchmarkSummarizeStandard(b *testing.B) {
	a := sampleArticle()
	b.ReportAllocs()
	for b.Loop() {
		Summarize(a, Standard)
	}
}

func BenchmarkSplitSentences(b *testing.B) {
	a := sampleArticle()
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range a.Paragraphs {
			SplitSentences(p)
		}
	}
}

// BenchmarkSummarizeBBCDev summarizes every article of the evaluation data
// (when present) per iteration: read, parse and summarize.
func BenchmarkSummarizeBBCDev(b *testing.B) {
	dir := filepath.Join(bbcDevDir, "articles")
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Skipf("evaluation data not available: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				b.Fatal(err)
			}
			a := parseText(data)
			Summarize(a, Length{Words: 75})
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(entries)), "ns/article")
}
