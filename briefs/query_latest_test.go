package briefs

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
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
func twoSources() *Library {
	var arts []Article
	for i := range 12 {
		origin, title := "articles", "Council budget vote in "
		if i%3 == 0 {
			origin, title = "BBC News", "Storm budget warning for "
		}
		body := fmt.Sprintf("The budget for %s in %s was debated on day %d. Councillors argued about %s for hours before the vote.",
			subjects[i], places[i], i, subjects[(i+5)%12])
		a := Article{
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
	return fromArticles(arts)
}

func idList(arts []Article) []string {
	var out []string
	for _, a := range arts {
		out = append(out, a.ID)
	}
	return out
}

// TestLatestOfSource: a source's stories, newest first, also those
// another source carried first; names match whole, ignoring case.
func TestLatestOfSource(t *testing.T) {
	lib := twoSources()
	for _, tc := range []struct {
		n             int
		topic, source string
		want          []string
	}{
		{3, "", "", []string{"al", "ak", "aj"}},
		{3, "", "BBC News", []string{"aj", "ag", "ad"}},
		{3, "", "bbc news", []string{"aj", "ag", "ad"}}, // case-insensitive
		{-1, "", "BBC News", []string{"aj", "ag", "ad", "aa"}},
		{10, "", "BBC News", []string{"aj", "ag", "ad", "aa"}},
		{2, "storm", "BBC News", []string{"aj", "ag"}},
		{2, "council", "BBC News", nil},
		{-1, "budget", "BBC News", []string{"aj", "ag", "ad", "aa"}},
		{1, "", "articles", []string{"al"}},
		{5, "", "Wire", []string{"ae"}}, // carried by the wire too
		{5, "budget", "wire", []string{"ae"}},
		{3, "", "BBC", nil}, // a name matches whole
		{0, "", "BBC News", nil},
	} {
		got := idList(lib.LatestOf(Query{Count: tc.n, Topic: tc.topic, Source: tc.source}))
		if !slices.Equal(got, tc.want) {
			t.Errorf("LatestOf(%d, %q, %q) = %v, want %v", tc.n, tc.topic, tc.source, got, tc.want)
		}
	}
}

// BenchmarkLatestOfRareSource is /brief latest source:X at its worst: 100,000
// articles, and the source's only story the oldest, so the whole story
// list is walked.
func BenchmarkLatestOfRareSource(b *testing.B) {
	arts := generateArticles(100_000, 1)
	for i := range arts {
		arts[i].Origin = "articles"
	}
	arts = append(arts, Article{ID: "rare-1a2b3c", Title: "Rare", Origin: "Rare", Date: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)})
	lib := fromArticles(arts)
	b.ResetTimer()
	for b.Loop() {
		if got := lib.LatestOf(Query{Count: 5, Source: "rare"}); len(got) != 1 {
			b.Fatalf("%d articles", len(got))
		}
	}
}

// TestSortHeads: heads sorted by their dates' seconds, ties by the
// articles, come out as cmpArticles orders them, also where articles
// share a second or a whole date.
func TestSortHeads(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	seg := &segment{}
	for i := range 2000 {
		d := base.Add(time.Duration(i%37) * time.Second).Add(time.Duration(i%3) * time.Millisecond)
		seg.arts = append(seg.arts, Article{ID: fmt.Sprintf("a-%04d", (i*7919)%2000), Title: fmt.Sprintf("title %d", i%5), Date: d})
	}
	art := func(r docRef) *Article { return &seg.arts[r.doc] }
	var heads []headRef
	for _, d := range rand.New(rand.NewPCG(1, 2)).Perm(len(seg.arts)) {
		heads = append(heads, headRef{ref: docRef{0, int32(d)}, group: -1})
	}
	want := slices.Clone(heads)
	slices.SortFunc(want, func(x, y headRef) int { return cmpArticles(art(x.ref), art(y.ref)) })
	sortHeads(heads, art)
	if !slices.Equal(heads, want) {
		t.Fatal("sortHeads orders the heads otherwise than cmpArticles")
	}
}
