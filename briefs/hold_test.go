package briefs

import (
	"context"
	"testing"
	"time"

	"newsbrief/internal/fakenews"
)

// TestHoldGroupsOnce: Replaces while the library is held show nothing
// until the release, and then the library is the one the same Replaces
// make unheld: the same stories, hits and completions.
func TestHoldGroupsOnce(t *testing.T) {
	origins, bodies := cacheFixture(t)
	carried := byOrigin(generateCarried(3000, fakenews.CarriedLongTail, 5))
	unheld := New(WithBodies(bodies))
	unheld.Replace("bbc", origins["bbc"])
	unheld.Replace("cnn", origins["cnn"])
	unheld.ReplaceAll(carried)

	held := New(WithBodies(bodies))
	held.Replace("old", origins["cnn"][:10]) // replaced while held
	v := held.Version()
	release := held.Hold()
	held.Replace("old", nil)
	held.Replace("cnn", origins["bbc"][:50]) // replaced again before the release
	held.Replace("bbc", origins["bbc"])
	held.Replace("cnn", origins["cnn"])
	held.ReplaceAll(carried)
	if held.Len() != 10 || held.Version() != v || held.Count("old") != 10 {
		t.Fatalf("while held, the library shows %d articles (version %d, was %d), want the 10 it had", held.Len(), held.Version(), v)
	}
	release()
	release() // again: nothing
	if held.Version() != v+1 {
		t.Errorf("version %d after the release, want %d: one snapshot for every held Replace", held.Version(), v+1)
	}
	sameLibrary(t, unheld, held)
	if held.Count("old") != 0 {
		t.Error("an origin removed while held is still there")
	}
	v = held.Version()
	held.Hold()()
	if held.Version() != v {
		t.Error("a hold with no Replace swapped in a snapshot")
	}
}

// TestIndexCacheKeepsStories: a library whose every article comes from
// its index cache takes its stories from there (cachedPairs) instead of
// grouping them again, and they are the stories it was written with; a
// cache that holds an article the start lacks is not taken for them.
func TestIndexCacheKeepsStories(t *testing.T) {
	origins, fixture := cacheFixture(t)
	gen := generateCarried(3000, fakenews.CarriedBy(10), 5)
	text := map[string][]string{}
	for o, arts := range byOrigin(gen) {
		for i := range arts {
			arts[i].Ref, arts[i].Stamp = arts[i].ID, "v1"
			text[arts[i].ID] = arts[i].Paragraphs
		}
		origins[o] = arts
	}
	bodies := BodiesFunc(func(ctx context.Context, a Article) ([]string, error) {
		if p, ok := text[a.ID]; ok {
			return p, nil
		}
		return fixture.Body(ctx, a)
	})
	fresh := New(WithBodies(bodies))
	fresh.ReplaceAll(origins)
	c := cacheOf(t, fresh)
	fromCache := func(skip int) map[string][]Article {
		n := 0
		return takeCached(t, c, origins, func(Article) bool { n++; return n == skip })
	}

	again := New(WithBodies(bodies))
	release := again.Hold()
	for o, arts := range fromCache(0) {
		again.Replace(o, arts)
	}
	again.mu.Lock()
	pairs, ok := again.cachedPairs(again.held.born, len(again.held.born))
	again.mu.Unlock()
	if !ok {
		t.Fatal("the stories of a start wholly from the cache are grouped again")
	}
	if len(pairs) < 2700 {
		t.Errorf("%d pairs from the cache, want at least 2,700 (300 stories of 10 copies)", len(pairs))
	}
	release()
	sameLibrary(t, fresh, again)
	for i := range 300 {
		id := gen[10*i].ID
		if len(again.Story(id)) != 10 {
			t.Fatalf("Story(%s) has %d articles, want 10", id, len(again.Story(id)))
		}
	}

	// One article fewer than the cache holds: grouped again, and alike.
	partial := New(WithBodies(bodies))
	release = partial.Hold()
	arts := fromCache(7)
	for o := range arts {
		partial.Replace(o, arts[o])
	}
	partial.mu.Lock()
	_, ok = partial.cachedPairs(partial.held.born, len(partial.held.born))
	partial.mu.Unlock()
	release()
	if ok {
		t.Error("stories taken from a cache that holds an article the library lacks")
	}
	if partial.Len() != fresh.Len()-1 {
		t.Errorf("%d articles, want %d", partial.Len(), fresh.Len()-1)
	}
}

// TestHoldRevivedOnce: an article that leaves while the library is held
// (another origin's copy holds its ID) and comes back is in the library
// once after the release, as it is unheld.
func TestHoldRevivedOnce(t *testing.T) {
	x := Article{ID: "x-1", Title: "Harbour cranes stand idle", Date: time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC),
		Paragraphs: []string{"The cranes of the harbour stood idle on Monday as the strike went on."}}
	steps := func(l *Library) {
		l.Replace("b", []Article{x})
		l.Replace("a", []Article{x})
		l.Replace("a", nil)
	}
	unheld := New()
	steps(unheld)
	held := New()
	release := held.Hold()
	steps(held)
	release()
	if held.Len() != 1 || unheld.Len() != 1 {
		t.Fatalf("%d articles held and released, %d unheld, want 1", held.Len(), unheld.Len())
	}
	if got := held.Latest(-1, ""); len(got) != 1 || got[0].Origin != "b" {
		t.Errorf("latest %v, want x once, from b", got)
	}
}
