package briefs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
)

// streamArticles is n generated articles in three origins, with an ID
// given twice within one origin, an ID shared by two origins and an
// article of an origin that is not replaced.
func streamArticles(n int) (origins []string, arts []Article) {
	origins = []string{"alpha", "beta", "gamma"}
	for i, a := range generateArticles(n, 11) {
		a.Origin = origins[i%3]
		a.ID = NewID(fmt.Sprint(a.Origin, i), a.Title)
		arts = append(arts, a)
	}
	again := arts[30]
	again.Title = "The same ID given again"
	shared := arts[31] // beta
	shared.Origin = "alpha"
	stray := arts[32]
	stray.Origin = "delta"
	stray.ID = "stray-000000"
	return origins, append(arts, again, shared, stray)
}

func byOrigin(arts []Article) map[string][]Article {
	m := map[string][]Article{}
	for _, a := range arts {
		m[a.Origin] = append(m[a.Origin], a)
	}
	return m
}

func originIDs(arts []Article) []string {
	out := make([]string, len(arts))
	for i, a := range arts {
		out[i] = a.ID + "@" + a.Origin
	}
	return out
}

// ReplaceSeq, which indexes articles in chunks as they come, must build
// the library ReplaceAll builds from the same articles: the same
// articles, order, stories, search scores and left-out articles.
func TestReplaceSeqMatchesReplaceAll(t *testing.T) {
	origins, arts := streamArticles(3*streamChunk + 500)
	all := byOrigin(arts)
	delete(all, "delta")

	want := New()
	want.Replace("zeta", arts[:40]) // an origin neither replaces
	wantDropped := want.ReplaceAll(all)
	got := New()
	got.Replace("zeta", arts[:40])
	gotDropped := got.ReplaceSeq(origins, slices.Values(arts))

	if g, w := originIDs(got.All()), originIDs(want.All()); !slices.Equal(g, w) {
		t.Fatalf("ReplaceSeq gives %d articles, ReplaceAll %d, or another order", len(g), len(w))
	}
	// Left out: the ID given again, the stray, and beta's article whose
	// ID alpha gives too; zeta's articles hold IDs the others hold.
	if len(got.All()) != len(arts)-3 {
		t.Errorf("%d articles, want %d", len(got.All()), len(arts)-3)
	}
	// ReplaceAll never sees delta's article; ReplaceSeq leaves it out.
	g, w := originIDs(gotDropped), append(originIDs(wantDropped), "stray-000000@delta")
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("dropped %v, want %v", g, w)
	}
	for _, q := range []string{"central bank inflation", "storm", "election budget"} {
		gh, wh := got.Search(q, 10), want.Search(q, 10)
		if len(gh) != len(wh) {
			t.Fatalf("%q: %d hits, want %d", q, len(gh), len(wh))
		}
		for i := range gh {
			if gh[i].Article.ID != wh[i].Article.ID || gh[i].Score != wh[i].Score || gh[i].Snippet != wh[i].Snippet {
				t.Errorf("%q hit %d: %s %.4f, want %s %.4f", q, i, gh[i].Article.ID, gh[i].Score, wh[i].Article.ID, wh[i].Score)
			}
		}
	}
	for _, a := range want.Latest(50, "") {
		if g, w := got.Story(a.ID), want.Story(a.ID); !slices.Equal(g, w) {
			t.Errorf("story of %s: %v, want %v", a.ID, g, w)
		}
	}
	// A later Replace of one origin replaces what ReplaceSeq gave it.
	got.Replace("beta", arts[:1])
	want.Replace("beta", arts[:1])
	if g, w := originIDs(got.All()), originIDs(want.All()); !slices.Equal(g, w) {
		t.Errorf("after a Replace: %d articles, want %d", len(g), len(w))
	}
}

// bodyStore is a source's store of bodies, counting reads.
type bodyStore struct {
	paras map[string][]string
	reads atomic.Int64
}

func (b *bodyStore) Body(_ context.Context, a Article) ([]string, error) {
	b.reads.Add(1)
	p, ok := b.paras[a.ID]
	if !ok {
		return nil, errors.New("gone")
	}
	return p, nil
}

// A library WithBodies keeps none: its articles come without paragraphs,
// Full reads them back, and search snippets are those of a library that
// keeps them.
func TestWithBodiesKeepsNoBodies(t *testing.T) {
	arts := generateArticles(2000, 5)
	store := &bodyStore{paras: map[string][]string{}}
	for _, a := range arts {
		store.paras[a.ID] = a.Paragraphs
	}
	lean := New(WithBodies(store))
	lean.ReplaceSeq([]string{"gen"}, func(yield func(Article) bool) {
		for _, a := range arts {
			a.Origin = "gen"
			if !yield(a) {
				return
			}
		}
	})
	lean.Replace("more", arts[:10:10])
	full := New()
	full.ReplaceAll(map[string][]Article{"gen": arts, "more": arts[:10]})

	for _, a := range lean.All() {
		if a.Paragraphs != nil {
			t.Fatalf("%s kept its body", a.ID)
		}
	}
	if arts[0].Paragraphs == nil {
		t.Fatal("Replace let the caller's bodies go")
	}
	if n := store.reads.Load(); n != 0 {
		t.Fatalf("%d bodies read while indexing", n)
	}
	ctx := context.Background()
	a, _ := lean.Get(arts[7].ID)
	fa, err := lean.Full(ctx, a)
	if err != nil || !slices.Equal(fa.Paragraphs, arts[7].Paragraphs) {
		t.Fatalf("Full = %d paragraphs, %v; want the article's %d", len(fa.Paragraphs), err, len(arts[7].Paragraphs))
	}
	gh, wh := lean.Search("central bank inflation", 8), full.Search("central bank inflation", 8)
	if len(gh) != len(wh) || len(gh) == 0 {
		t.Fatalf("%d hits, want %d", len(gh), len(wh))
	}
	for i := range gh {
		if gh[i].Article.ID != wh[i].Article.ID || gh[i].Snippet != wh[i].Snippet {
			t.Errorf("hit %d: %s %q, want %s %q", i, gh[i].Article.ID, gh[i].Snippet, wh[i].Article.ID, wh[i].Snippet)
		}
	}
	if n := lean.Search("the", -1); len(n) > snippetHits && n[snippetHits].Snippet != "" {
		t.Error("a search for everything read every body")
	}

	// A body that cannot be read is an error naming the article; FullAll
	// fills the others.
	delete(store.paras, arts[7].ID)
	if _, err := lean.Full(ctx, a); err == nil {
		t.Error("Full of a gone body: no error")
	}
	two := []Article{a, lean.Latest(1, "")[0]}
	if err := lean.FullAll(ctx, two); err == nil || two[1].Paragraphs == nil {
		t.Errorf("FullAll: %v, second body %d paragraphs", err, len(two[1].Paragraphs))
	}
	// An empty body reads back as the title.
	store.paras[arts[7].ID] = nil
	if fa, err := lean.Full(ctx, a); err != nil || !slices.Equal(fa.Paragraphs, []string{a.Title}) {
		t.Errorf("empty body: %q, %v", fa.Paragraphs, err)
	}
}
