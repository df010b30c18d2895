package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"newsbrief/briefs/feed/feedstore"
	"newsbrief/store/storetest"
)

// listingFeeds and listingItems are the store of the key-listing
// benchmarks: 200 feeds of 100 items, each with a text of about 3 KB.
const listingFeeds, listingItems = 200, 100

// listingText is an item's text, about 3 KB.
var listingText = strings.Repeat("Officials said the measure would take effect next month, after a vote. ", 42)

// feedItems returns items [from, from+n) of feed f, each as a poller
// stores it (GUID, link, title key, URL and image), published an hour
// apart: the later, the newer.
func feedItems(f, from, n int) []feedstore.Item {
	items := make([]feedstore.Item, n)
	for i := range items {
		it := storetest.Item(fmt.Sprintf("feed-%03d", f), fmt.Sprintf("%03d-%06d", f, from+i), from+i)
		it.Text = listingText
		items[i] = it
	}
	return items
}

// fillListing opens a store holding listingItems items of each of
// listingFeeds feeds.
func fillListing(b *testing.B) *Store {
	s := openTemp(b)
	for f := range listingFeeds {
		if _, err := s.SaveItems(context.Background(), feedItems(f, 0, listingItems), 0); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// reportSize reports the bytes of the file's feed items: the table's, and
// its indexes', each item's share.
func reportSize(b *testing.B, s *Store) {
	rows, err := s.r.Query(`SELECT d.name = 'feed_items', sum(d.pgsize) FROM dbstat d
		JOIN sqlite_schema m ON m.name = d.name WHERE m.tbl_name = 'feed_items' GROUP BY 1`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table bool
		var size float64
		if err := rows.Scan(&table, &size); err != nil {
			b.Fatal(err)
		}
		unit := "index-B/item"
		if table {
			unit = "table-B/item"
		}
		b.ReportMetric(size/(listingFeeds*listingItems), unit)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkItemKeys is the start's read with an index cache: every
// feed's stored items, one feed at a time, by their keys alone.
func BenchmarkItemKeys(b *testing.B) {
	ctx := context.Background()
	s := fillListing(b)
	for b.Loop() {
		for f := range listingFeeds {
			items, err := s.ItemKeys(ctx, fmt.Sprintf("feed-%03d", f))
			if err != nil || len(items) != listingItems {
				b.Fatalf("%d items, %v", len(items), err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(listingFeeds*listingItems), "ns/item")
	reportSize(b, s)
}

// BenchmarkSaveItemsPoll is one poll of a feed at its cap: the feed's 100
// items, of which 10 are new, saved with keep 100, so that its 10 oldest
// go. The polls go round the 200 feeds.
func BenchmarkSaveItemsPoll(b *testing.B) {
	ctx := context.Background()
	s := fillListing(b)
	for i := 0; b.Loop(); i++ {
		f, round := i%listingFeeds, i/listingFeeds+1
		b.StopTimer()
		items := feedItems(f, round*10, listingItems)
		b.StartTimer()
		if added, err := s.SaveItems(ctx, items, listingItems); err != nil || len(added) != 10 {
			b.Fatalf("added %d, %v", len(added), err)
		}
	}
}
