package briefs

import (
	"sync"
	"testing"
)

var (
	benchOnce sync.Once
	benchLib  *Library
)

// benchLibrary is a 10,000-article in-memory library shared by benchmarks.
func benchLibrary() *Library {
	benchOnce.Do(func() { benchLib = fromArticles(generateArticles(10000, 42)) })
	return benchLib
}

func BenchmarkBuild10000(b *testing.B) {
	arts := generateArticles(10000, 42)
	b.ReportAllocs()
	for b.Loop() {
		fromArticles(arts)
	}
}

func BenchmarkSearch(b *testing.B) {
	l := benchLibrary()
	for _, q := range []string{"inflation", "central bank interest rates", "vaccine rollout hospitals", "record"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if len(l.Search(q, 10)) == 0 {
					b.Fatal("no hits")
				}
			}
		})
	}
}

func BenchmarkComplete(b *testing.B) {
	l := benchLibrary()
	for _, q := range []string{"w", "the", "central ba", "xyzzy"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l.Complete(q, 25)
			}
		})
	}
}

func BenchmarkLatestTopic(b *testing.B) {
	l := benchLibrary()
	for _, topic := range []string{"climate", "election budget"} {
		b.Run(topic, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if len(l.Latest(10, topic)) != 10 {
					b.Fatal("too few")
				}
			}
		})
	}
}
