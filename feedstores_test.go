package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"newsbrief/bot/digest/digesttest"
	"newsbrief/briefs"
	"newsbrief/briefs/feed"
	"newsbrief/briefs/feed/feedstore"
	"newsbrief/store/postgres"
	"newsbrief/store/postgres/pgtest"
	"newsbrief/store/sqlite"
)

// TestFloodingFeedCappedOnEveryStore runs the feed source over each
// database's store (the contract suite, store/storetest, tests the stores
// alone and imports nothing of the poller): a local feed floods with
// thousands of new items a poll, and the store and the library keep the
// newest, poll after poll.
func TestFloodingFeedCappedOnEveryStore(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "newsbrief.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		floodingFeedCapped(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(ctx, pgtest.NewSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		floodingFeedCapped(t, st)
	})
}

// keptIDs returns the identities of origin's stored items, newest first.
func keptIDs(t *testing.T, s feedstore.Store, origin string) []string {
	t.Helper()
	items, err := s.Items(context.Background(), origin)
	if err != nil {
		t.Fatal(err)
	}
	date := func(it feedstore.Item) time.Time {
		if it.Published.IsZero() {
			return it.Fetched
		}
		return it.Published
	}
	slices.SortFunc(items, func(a, b feedstore.Item) int {
		if c := date(b).Compare(date(a)); c != 0 {
			return c
		}
		return strings.Compare(b.Identity, a.Identity)
	})
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.Identity
	}
	return ids
}

// floodingFeedCapped runs a feed.Source over the store, polling a
// local feed that floods with thousands of new items a poll: each poll
// hands the store no more than the cap, and the store and the library keep
// the newest, poll after poll.
func floodingFeedCapped(t *testing.T, s feedstore.Store) {
	const keep, flood = 50, 2000
	var poll atomic.Int32
	feedT0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := int(poll.Load())
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Flood</title><link>http://flood.example/</link><description>d</description>`)
		for i := range flood {
			at := feedT0.Add(time.Duration(p*flood+i) * time.Minute)
			fmt.Fprintf(&b, "<item><guid>p%d-%05d</guid><title>Flood %d %d</title><pubDate>%s</pubDate><description>x</description></item>",
				p, i, p, i, at.Format(http.TimeFormat))
		}
		b.WriteString("</channel></rss>")
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(b.String()))
	}))
	t.Cleanup(srv.Close)
	clock := digesttest.NewClock(feedT0.Add(1000 * time.Hour))
	lib := briefs.New()
	src := feed.New(lib, s, []feed.Feed{{Name: "flood", URL: srv.URL + "/flood.xml"}}, feed.WithAllowPrivate(true),
		feed.WithClock(clock), feed.WithJitter(0), feed.WithInterval(time.Minute), feed.WithMaxItems(keep))
	for p := range 2 {
		poll.Store(int32(p))
		if err := src.FetchDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		ids := keptIDs(t, s, "flood")
		want := make([]string, keep)
		for i := range want {
			want[i] = fmt.Sprintf("guid:p%d-%05d", p, flood-1-i)
		}
		if !slices.Equal(ids, want) {
			t.Errorf("poll %d: the store keeps %d items %v..., want the newest %d of the poll", p, len(ids), ids[:min(3, len(ids))], keep)
		}
		if n := lib.Count("flood"); n != keep {
			t.Errorf("poll %d: the library has %d of the feed's articles, want %d", p, n, keep)
		}
		if st := src.Status()[0]; st.Kept != keep || st.LeftOut != flood-keep || !st.AtCap() {
			t.Errorf("poll %d: status %+v", p, st)
		}
		clock.Advance(time.Minute)
	}
}
