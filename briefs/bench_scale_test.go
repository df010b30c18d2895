package briefs

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"newsbrief/internal/memstat"
)

// feedArticles is n generated articles as feed items would arrive: in
// feeds of perFeed items, each with a URL and an image, no file.
func feedArticles(n, perFeed int) map[string][]Article {
	feeds := map[string][]Article{}
	for i, a := range generateArticles(n, 42) {
		name := fmt.Sprintf("feed-%03d", i/perFeed)
		a.File = ""
		a.URL = fmt.Sprintf("https://news.example/%s/%d", name, i)
		a.Image = a.URL + ".jpg"
		a.ID = NewID(a.URL, a.Title)
		feeds[name] = append(feeds[name], a)
	}
	return feeds
}

var (
	bench100kOnce sync.Once
	bench100k     *Library
)

// bench100kLibrary is 100,000 generated articles in 500 feeds.
func bench100kLibrary() *Library {
	bench100kOnce.Do(func() {
		bench100k = New()
		bench100k.ReplaceAll(feedArticles(100000, 200))
	})
	return bench100k
}

// BenchmarkBuild100000 fills a library with 100,000 articles from 500
// feeds: at once (ReplaceAll, as a feed source starts) and one Replace per
// feed. It reports the peak resident set (peak-RSS-MB, Linux only) and the
// heap the library holds (heap-MB).
func BenchmarkBuild100000(b *testing.B) {
	b.Run("ReplaceAll", func(b *testing.B) {
		benchBuild(b, func(l *Library, feeds map[string][]Article) { l.ReplaceAll(feeds) })
	})
	b.Run("PerFeed", func(b *testing.B) {
		benchBuild(b, func(l *Library, feeds map[string][]Article) {
			for name, arts := range feeds {
				l.Replace(name, arts)
			}
		})
	})
}

func benchBuild(b *testing.B, fill func(*Library, map[string][]Article)) {
	feeds := feedArticles(100000, 200)
	peak := memstat.ResetPeak()
	b.ReportAllocs()
	var l *Library
	for b.Loop() {
		l = New()
		fill(l, feeds)
	}
	if l.Len() != 100000 {
		b.Fatalf("%d articles", l.Len())
	}
	if rss, ok := memstat.PeakRSS(); ok && peak {
		b.ReportMetric(memstat.MB(rss), "peak-RSS-MB")
	}
	b.ReportMetric(memstat.MB(memstat.LiveHeap(l)), "heap-MB")
	b.ReportMetric(float64(len(l.Latest(-1, ""))), "stories")
}

// BenchmarkReplaceFeed100000 is one feed poll in a library of 100,000
// articles: a feed of 200 items replaced by 200 items, 20 of them new.
func BenchmarkReplaceFeed100000(b *testing.B) {
	l := bench100kLibrary()
	feed := l.All()[:0]
	for _, a := range l.All() {
		if a.Origin == "feed-123" {
			feed = append(feed, a)
		}
	}
	fresh := generateArticles(20, 7)
	polls := [2][]Article{feed, append(append([]Article(nil), feed[20:]...), fresh...)}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.Replace("feed-123", polls[i%2])
		i++
	}
}

func BenchmarkQueries100000(b *testing.B) {
	l := bench100kLibrary()
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
		{"Get", func() { l.Get("no-such-article-000000") }},
	} {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				q.fn()
			}
		})
	}
}

// BenchmarkIndexCache100000 writes the index cache of 100,000 articles (as
// the bot does in the background after a start and every few minutes while
// the library changes) and reads it back whole (as a start does before it
// takes the articles), reporting the cache's size.
func BenchmarkIndexCache100000(b *testing.B) {
	l := New(WithBodies(BodiesFunc(func(context.Context, Article) ([]string, error) { return nil, nil })))
	feeds := feedArticles(100000, 200)
	for _, arts := range feeds {
		for i := range arts {
			arts[i].Ref, arts[i].Stamp = arts[i].URL, "s"
		}
	}
	l.ReplaceAll(feeds)
	feeds = nil
	var buf bytes.Buffer
	b.Run("Write", func(b *testing.B) {
		for b.Loop() {
			buf.Reset()
			if err := l.WriteIndexCache(&buf); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(memstat.MB(uint64(buf.Len())), "cache-MB")
	})
	b.Run("Read", func(b *testing.B) {
		for b.Loop() {
			c, err := ReadIndexCache(buf.Bytes())
			if err != nil || c.Len() != 100000 {
				b.Fatalf("%v, %d articles", err, c.Len())
			}
		}
	})
}
