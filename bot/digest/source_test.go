package digest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/bot/digest/digesttest"
	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
)

// places and subjects make each test story different enough that the
// library does not group any two of them as one story.
var (
	places   = []string{"Leeds", "Bristol", "Glasgow", "Cardiff", "Belfast", "Norwich", "Exeter", "Durham", "Bangor", "Perth", "Truro", "Ripon"}
	subjects = []string{"schools and libraries", "bus routes", "hospital parking", "flood defences", "street lighting",
		"park maintenance", "bin collections", "social care", "road repairs", "housing grants", "museum funding", "youth clubs"}
)

// twoSources is a library of a folder and a feed, interleaved in time, with
// one story of the folder also carried, a day later, by the wire, so the
// library names the wire in its Also.
func twoSources(opts ...briefs.Option) *briefs.Library {
	var arts []briefs.Article
	for i := range 12 {
		origin, title := "articles", "Council budget vote in "
		if i%3 == 0 {
			origin, title = "BBC News", "Storm budget warning for "
		}
		body := fmt.Sprintf("The budget for %s in %s was debated on day %d. Councillors argued about %s for hours before the vote.",
			subjects[i], places[i], i, subjects[(i+5)%12])
		a := briefs.Article{
			ID: "a" + string(rune('a'+i)), Title: title + places[i], Origin: origin,
			Date: time.Date(2030, 1, 1+i, 0, 0, 0, 0, time.UTC), Dated: true,
			Paragraphs: []string{body}, Words: len(strings.Fields(body)),
		}
		arts = append(arts, a)
		if i == 4 {
			w := a
			w.ID, w.Origin, w.Date = "wire-e", "Wire", a.Date.Add(time.Hour)
			arts = append(arts, w)
		}
	}
	return briefstest.Library(arts, opts...)
}

func ids(arts []briefs.Article) []string {
	var out []string
	for _, a := range arts {
		out = append(out, a.ID)
	}
	return out
}

// TestComposeFromSkipsPostedOfTheSource: the widening window of Compose
// works over one source, however far back its unposted articles are.
func TestComposeFromSkipsPostedOfTheSource(t *testing.T) {
	lib := twoSources()
	posted := func(ids []string) (map[string]bool, error) {
		return map[string]bool{"aj": true, "ag": true}, nil
	}
	got, err := digest.ComposeFrom(lib, 2, "", "BBC News", posted)
	if err != nil || !slices.Equal(ids(got), []string{"ad", "aa"}) {
		t.Errorf("ComposeFrom = %v, %v; want [ad aa]", ids(got), err)
	}
	if got, _ := digest.Compose(lib, 2, "", posted); !slices.Equal(ids(got), []string{"al", "ak"}) {
		t.Errorf("Compose (every source) = %v", ids(got))
	}
}

// TestSubscriptionPostsItsSourceOnly: a subscription to a source posts
// that source's articles, and its preview shows the same.
func TestSubscriptionPostsItsSourceOnly(t *testing.T) {
	lib := twoSources()
	st := openStore(t, filepath.Join(t.TempDir(), "nb.db"))
	clock := digesttest.NewClock(epoch())
	var rec recorder
	s := startService(t, lib, st, &rec, digest.WithClock(clock))
	ctx := context.Background()
	sub, err := s.Subscribe(ctx, digest.Subscription{GuildID: "g", ChannelID: "c", Schedule: "@every 1h", Count: 3, Source: "BBC News"})
	if err != nil || sub.Source != "BBC News" {
		t.Fatalf("subscribe: %+v, %v", sub, err)
	}
	p, err := s.Preview(ctx, "g", "c", "", 5)
	if err != nil || p.Source != "BBC News" || !slices.Equal(ids(p.Articles), []string{"aj", "ag", "ad"}) {
		t.Errorf("preview: source %q articles %v, %v", p.Source, ids(p.Articles), err)
	}
	at := epoch().Add(time.Hour)
	clock.Set(at)
	waitRun(t, st, sub.ID, at)
	posts := rec.Posts()
	if len(posts) != 1 || !slices.Equal(ids(posts[0].Articles), []string{"aj", "ag", "ad"}) {
		t.Errorf("posted %+v, want the feed's three newest", posts)
	}
}
