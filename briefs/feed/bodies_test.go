package feed

import (
	"context"
	"errors"
	"slices"
	"testing"

	"newsbrief/briefs"
	"newsbrief/briefs/feed/feedstore"
)

// With a library that keeps no bodies, Load indexes the stored items and
// lets their text go; Body reads it back from the store, and an item
// pruned since is ErrItemGone.
func TestBodiesReadBackFromTheStore(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	items := []feedstore.Item{
		{Identity: "guid:1", Origin: "wire", Title: "Harbour bridge reopens", Text: "The bridge reopened on Monday.\n\nTraffic returned at once.", Published: t0, Fetched: t0},
		{Identity: "guid:2", Origin: "wire", Title: "Link post only", Published: t0, Fetched: t0},
	}
	if _, err := store.SaveItems(ctx, items, 0); err != nil {
		t.Fatal(err)
	}
	var src *Source
	lib := briefs.New(briefs.WithBodies(briefs.BodiesFunc(func(ctx context.Context, a briefs.Article) ([]string, error) {
		return src.Body(ctx, a)
	})))
	src = New(lib, store, []Feed{{Name: "wire", URL: "https://wire.example/rss"}})
	if err := src.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if lib.Len() != 2 {
		t.Fatalf("%d articles, want 2", lib.Len())
	}
	for _, a := range lib.All() {
		if a.Paragraphs != nil {
			t.Errorf("%q kept its body", a.Title)
		}
		full, err := lib.Full(ctx, a)
		want := Article(items[slices.IndexFunc(items, func(it feedstore.Item) bool { return it.Title == a.Title })]).Paragraphs
		if err != nil || !slices.Equal(full.Paragraphs, want) {
			t.Errorf("%q read back as %q, %v; want %q", a.Title, full.Paragraphs, err, want)
		}
	}
	if hits := lib.Search("bridge", 5); len(hits) != 1 || hits[0].Snippet == "" {
		t.Errorf("search: %+v, want one hit with a snippet", hits)
	}
	if _, err := store.PruneItems(ctx, t0.Add(1), 0); err != nil {
		t.Fatal(err)
	}
	a := lib.All()[0]
	if _, err := lib.Full(ctx, a); !errors.Is(err, feedstore.ErrItemGone) {
		t.Errorf("pruned item: %v, want ErrItemGone", err)
	}
}
