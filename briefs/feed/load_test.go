package feed

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"newsbrief/briefs"
	"newsbrief/briefs/feed/feedstore"
)

// failingState is a memStore whose FeedState fails for one URL.
type failingState struct {
	*memStore
	bad string
}

func (f failingState) FeedState(ctx context.Context, url string) (feedstore.State, error) {
	if url == f.bad {
		return feedstore.State{}, errors.New("disk on fire")
	}
	return f.memStore.FeedState(ctx, url)
}

// TestLoadManyFeeds: Load reads feeds several at a time, and every feed
// gets its own items and state; a feed whose state cannot be read is the
// error, named, and the others are loaded all the same.
func TestLoadManyFeeds(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	var feeds []Feed
	for f := range 40 {
		name := fmt.Sprintf("feed-%02d", f)
		url := "https://" + name + ".example/rss"
		feeds = append(feeds, Feed{Name: name, URL: url})
		var items []feedstore.Item
		for i := range 3 {
			link := fmt.Sprintf("%s/news/%d", url, i)
			items = append(items, feedstore.Item{Identity: link, Origin: name, Link: link, TitleKey: link,
				Title: fmt.Sprintf("Story %d of %s", i, name), Text: fmt.Sprintf("What %s told in story %d.", name, i),
				URL: link, Fetched: t0})
		}
		if _, err := st.SaveItems(ctx, items, 0); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveFeedState(ctx, feedstore.State{URL: url, LastSuccess: t0.Add(time.Duration(f) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	bad := feeds[17]
	lib := briefs.New()
	src := New(lib, failingState{st, bad.URL}, feeds, WithClock(newFakeClock(t0)))
	err := src.Load(ctx)
	if err == nil || !strings.Contains(err.Error(), bad.Name) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Load: %v, want the failing feed named", err)
	}
	for f, fd := range feeds {
		want := 3
		if fd.Name == bad.Name {
			want = 0
		}
		if n := lib.Count(fd.Name); n != want {
			t.Errorf("%s: %d articles, want %d", fd.Name, n, want)
		}
		for _, a := range lib.Latest(-1, "") {
			if a.Origin == fd.Name && !strings.Contains(a.Title, fd.Name) {
				t.Errorf("%s holds %q", fd.Name, a.Title)
			}
		}
		for _, s := range src.Status() {
			if s.Name == fd.Name && fd.Name != bad.Name && !s.LastSuccess.Equal(t0.Add(time.Duration(f)*time.Minute)) {
				t.Errorf("%s: last success %v, want its own state's", fd.Name, s.LastSuccess)
			}
		}
	}
}
