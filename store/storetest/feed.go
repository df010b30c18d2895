package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"newsbrief/briefs/feed/feedstore"
)

// RunFeed runs the contract suite of feedstore.Store, each test on a fresh, empty
// store from newStore, which also arranges for the store to be closed when
// t ends. It is the feed source's half of the store contract; a backend
// runs it beside Run.
func RunFeed(t *testing.T, newStore func(t *testing.T) feedstore.Store) {
	tests := []struct {
		name string
		run  func(*testing.T, feedstore.Store)
	}{
		{"SaveItemsRoundTrip", testSaveItemsRoundTrip},
		{"SameIdentityNotNewNorUpdated", testSameIdentityNotNewNorUpdated},
		{"ChangedGUIDNotNew", testChangedGUIDNotNew},
		{"WithoutLinkOrTitleKey", testWithoutLinkOrTitleKey},
		{"DuplicatesInOneCall", testDuplicatesInOneCall},
		{"OriginsIndependent", testOriginsIndependent},
		{"ItemsOrder", testItemsOrder},
		{"ItemKeys", testItemKeys},
		{"ItemTimesRoundTrip", testItemTimesRoundTrip},
		{"ManyItems", testManyItems},
		{"PruneItems", testPruneItems},
		{"ItemText", testItemText},
		{"SaveItemsValidation", testSaveItemsValidation},
		{"FeedState", testFeedState},
		{"ConcurrentSaveItems", testConcurrentSaveItems},
		{"FeedErrorsNameInput", testFeedErrorsNameInput},
		{"KeepNewest", testKeepNewest},
		{"FloodCapped", testFloodCapped},
		{"PruneToCap", testPruneToCap},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

// feedT0 is a fixed time the feed tests count from, with a fraction of a
// second that survives a backend keeping microseconds.
var feedT0 = time.Date(2025, 6, 1, 12, 0, 0, 123_456_000, time.UTC)

// Item returns an item of origin whose identity, GUID, link, title key,
// title and text all derive from key, published and fetched at feedT0 plus
// n hours: distinct keys give distinct stories.
func Item(origin, key string, n int) feedstore.Item {
	at := feedT0.Add(time.Duration(n) * time.Hour)
	return feedstore.Item{
		Identity:  "guid:" + key,
		Origin:    origin,
		GUID:      "guid:" + key,
		Link:      "https://example.com/news/" + key,
		TitleKey:  "story " + key,
		Title:     "Story " + strings.ToUpper(key),
		Text:      "First paragraph of " + key + ".\n\nSecond paragraph.",
		URL:       "https://example.com/news/" + key + "?utm_source=feed",
		Image:     "https://example.com/img/" + key + ".jpg",
		Published: at,
		Fetched:   at.Add(time.Minute),
	}
}

// sameTime reports whether got is want as a store gives it back: the same
// instant to the millisecond, in UTC (the zero time stays zero).
func sameTime(got, want time.Time) bool {
	if want.IsZero() || got.IsZero() {
		return want.IsZero() && got.IsZero()
	}
	d := got.Sub(want)
	return d > -time.Millisecond && d < time.Millisecond && got.Location() == time.UTC
}

// itemDiff describes how got differs from want, "" when it does not.
func itemDiff(got, want feedstore.Item) string {
	var diffs []string
	for _, f := range []struct{ name, got, want string }{
		{"Identity", got.Identity, want.Identity}, {"Origin", got.Origin, want.Origin},
		{"GUID", got.GUID, want.GUID}, {"Link", got.Link, want.Link},
		{"TitleKey", got.TitleKey, want.TitleKey}, {"Title", got.Title, want.Title},
		{"Text", got.Text, want.Text}, {"URL", got.URL, want.URL}, {"Image", got.Image, want.Image},
	} {
		if f.got != f.want {
			diffs = append(diffs, fmt.Sprintf("%s %q, want %q", f.name, f.got, f.want))
		}
	}
	if !sameTime(got.Published, want.Published) {
		diffs = append(diffs, fmt.Sprintf("Published %v, want %v", got.Published, want.Published))
	}
	if !sameTime(got.Fetched, want.Fetched) {
		diffs = append(diffs, fmt.Sprintf("Fetched %v, want %v", got.Fetched, want.Fetched))
	}
	return strings.Join(diffs, "; ")
}

// checkItems fails the test unless got is want, item by item, in order.
func checkItems(t *testing.T, what string, got, want []feedstore.Item) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d items %v, want %d %v", what, len(got), identities(got), len(want), identities(want))
		return
	}
	for i := range got {
		if d := itemDiff(got[i], want[i]); d != "" {
			t.Errorf("%s: item %d (%s of %s): %s", what, i, want[i].Identity, want[i].Origin, d)
		}
	}
}

func identities(items []feedstore.Item) []string {
	var ids []string
	for _, it := range items {
		ids = append(ids, it.Origin+"/"+it.Identity)
	}
	return ids
}

func mustSave(t *testing.T, s feedstore.Store, items ...feedstore.Item) []feedstore.Item {
	t.Helper()
	added, err := s.SaveItems(context.Background(), items, 0)
	if err != nil {
		t.Fatal(err)
	}
	return added
}

func mustItems(t *testing.T, s feedstore.Store, origin string) []feedstore.Item {
	t.Helper()
	items, err := s.Items(context.Background(), origin)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// testSaveItemsRoundTrip: new items come back from SaveItems and from
// Items with every field as given.
func testSaveItemsRoundTrip(t *testing.T, s feedstore.Store) {
	if items := mustItems(t, s, ""); len(items) != 0 {
		t.Errorf("empty store has items: %v", identities(items))
	}
	if added := mustSave(t, s); len(added) != 0 {
		t.Errorf("saving nothing added %v", identities(added))
	}
	want := []feedstore.Item{Item("wire", "a", 0), Item("wire", "b", 1), Item("wire", "c", 2)}
	checkItems(t, "added", mustSave(t, s, want[2], want[0], want[1]), []feedstore.Item{want[2], want[0], want[1]})
	checkItems(t, "Items(wire)", mustItems(t, s, "wire"), want)
	checkItems(t, `Items("")`, mustItems(t, s, ""), want)
	if items := mustItems(t, s, "other"); len(items) != 0 {
		t.Errorf("Items(other) = %v", identities(items))
	}
}

// testSameIdentityNotNewNorUpdated: a re-dated, re-published or edited item
// of a known identity is not new, and the stored item keeps what it had.
func testSameIdentityNotNewNorUpdated(t *testing.T, s feedstore.Store) {
	first := Item("wire", "a", 0)
	mustSave(t, s, first)
	again := first
	again.Published = first.Published.Add(6 * time.Hour)
	again.Fetched = first.Fetched.Add(7 * time.Hour)
	again.Title, again.Text, again.Image = "Updated title", "Rewritten text.", ""
	again.Link, again.TitleKey = "https://example.com/moved", "updated title"
	if added := mustSave(t, s, again); len(added) != 0 {
		t.Errorf("re-dated item added: %v", identities(added))
	}
	checkItems(t, "after a re-dated fetch", mustItems(t, s, "wire"), []feedstore.Item{first})
}

// testChangedGUIDNotNew: an item whose identity changed while its link or
// its title key did not is the same story.
func testChangedGUIDNotNew(t *testing.T, s feedstore.Store) {
	first := Item("wire", "a", 0)
	mustSave(t, s, first)

	sameLink := Item("wire", "b", 1)
	sameLink.Link = first.Link
	sameTitle := Item("wire", "c", 2)
	sameTitle.TitleKey = first.TitleKey
	for name, it := range map[string]feedstore.Item{"same link": sameLink, "same title key": sameTitle} {
		if added := mustSave(t, s, it); len(added) != 0 {
			t.Errorf("%s, new GUID: added %v", name, identities(added))
		}
	}
	checkItems(t, "after changed GUIDs", mustItems(t, s, "wire"), []feedstore.Item{first})

	// Neither the link nor the title key matching: a new story.
	other := Item("wire", "d", 3)
	checkItems(t, "another story", mustSave(t, s, other), []feedstore.Item{other})
}

// testWithoutLinkOrTitleKey: an empty link or title key matches nothing,
// not even another empty one: items without them are told apart by
// identity alone.
func testWithoutLinkOrTitleKey(t *testing.T, s feedstore.Store) {
	var items []feedstore.Item
	for i, key := range []string{"a", "b", "c", "d"} {
		it := Item("wire", key, i)
		switch key {
		case "a", "b":
			it.Link = ""
		case "c":
			it.TitleKey = ""
		case "d":
			it.Link, it.TitleKey, it.GUID, it.Title = "", "", "", ""
		}
		items = append(items, it)
	}
	checkItems(t, "added", mustSave(t, s, items...), items)
	checkItems(t, "stored", mustItems(t, s, "wire"), items)

	// Empty fields still match nothing; set ones still match.
	e := Item("wire", "e", 9)
	e.Link, e.TitleKey = "", ""
	f := Item("wire", "f", 9)
	f.Link, f.TitleKey = "", items[2].TitleKey // c has no title key: "story c" is free
	g := Item("wire", "g", 9)
	g.Link, g.TitleKey = "", items[0].TitleKey // a's title key
	checkItems(t, "added later", mustSave(t, s, e, f, g), []feedstore.Item{e, f})
}

// testDuplicatesInOneCall: items of one call that are the same story count
// once, the first of them.
func testDuplicatesInOneCall(t *testing.T, s feedstore.Store) {
	a := Item("wire", "a", 0)
	aAgain := a
	aAgain.Text = "another copy"
	aNewGUID := Item("wire", "a2", 1)
	aNewGUID.Link = a.Link
	b := Item("wire", "b", 2)
	bRetitled := Item("wire", "b2", 3)
	bRetitled.TitleKey = b.TitleKey
	added := mustSave(t, s, a, aAgain, b, aNewGUID, bRetitled, b)
	checkItems(t, "added", added, []feedstore.Item{a, b})
	checkItems(t, "stored", mustItems(t, s, "wire"), []feedstore.Item{a, b})
}

// testOriginsIndependent: the same story in two feeds is stored for each;
// grouping across sources is not the store's business. One call may carry
// items of several origins.
func testOriginsIndependent(t *testing.T, s feedstore.Store) {
	a1, b1 := Item("one", "a", 0), Item("one", "b", 1)
	a2 := Item("two", "a", 0)
	checkItems(t, "one", mustSave(t, s, a1, b1), []feedstore.Item{a1, b1})
	checkItems(t, "two", mustSave(t, s, a2), []feedstore.Item{a2})
	// Same link, same title key, different identity, in a third feed.
	c3 := Item("three", "c", 2)
	c3.Link, c3.TitleKey = b1.Link, b1.TitleKey
	d3, b1Again := Item("three", "d", 3), b1
	checkItems(t, "mixed call", mustSave(t, s, c3, b1Again, d3), []feedstore.Item{c3, d3})

	checkItems(t, "Items(one)", mustItems(t, s, "one"), []feedstore.Item{a1, b1})
	checkItems(t, "Items(two)", mustItems(t, s, "two"), []feedstore.Item{a2})
	checkItems(t, "Items(three)", mustItems(t, s, "three"), []feedstore.Item{c3, d3})
	checkItems(t, `Items("")`, mustItems(t, s, ""), []feedstore.Item{a1, a2, b1, c3, d3})
}

// testItemsOrder: Items orders by Published, undated first, then Origin,
// then Identity, whatever the order of saving.
func testItemsOrder(t *testing.T, s feedstore.Store) {
	mk := func(origin, key string, published time.Time) feedstore.Item {
		it := Item(origin, key, 0)
		it.Published = published
		return it
	}
	early, late := feedT0, feedT0.Add(time.Hour)
	want := []feedstore.Item{
		mk("a", "z-undated", time.Time{}),
		mk("b", "a-undated", time.Time{}),
		mk("a", "m", early),
		mk("a", "n", early),
		mk("b", "a", early),
		mk("a", "z", early.Add(time.Millisecond)),
		mk("a", "b", late),
		mk("c", "a", late),
	}
	shuffled := slices.Clone(want)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, it := range shuffled {
		mustSave(t, s, it)
	}
	checkItems(t, `Items("")`, mustItems(t, s, ""), want)
	var wantA []feedstore.Item
	for _, it := range want {
		if it.Origin == "a" {
			wantA = append(wantA, it)
		}
	}
	checkItems(t, "Items(a)", mustItems(t, s, "a"), wantA)
}

// testItemKeys: a store that lists items by their keys (feedstore.ItemKeys)
// lists what Items lists, in its order, each item with only its origin,
// identity, link, title key and dates, for one origin and for all.
func testItemKeys(t *testing.T, s feedstore.Store) {
	keyed, ok := s.(feedstore.ItemKeys)
	if !ok {
		t.Skip("the store lists no item keys")
	}
	bare := Item("b", "bare", 2)
	bare.Link, bare.TitleKey, bare.GUID = "", "", ""
	bare.Published = time.Time{}
	mustSave(t, s, Item("a", "one", 1), Item("a", "two", 0), bare, Item("b", "three", 3))
	for _, origin := range []string{"a", "b", ""} {
		full := mustItems(t, s, origin)
		want := make([]feedstore.Item, len(full))
		for i, it := range full {
			want[i] = feedstore.Item{Origin: it.Origin, Identity: it.Identity, Link: it.Link, TitleKey: it.TitleKey,
				Published: it.Published, Fetched: it.Fetched}
		}
		got, err := keyed.ItemKeys(context.Background(), origin)
		if err != nil {
			t.Fatalf("ItemKeys(%q): %v", origin, err)
		}
		checkItems(t, fmt.Sprintf("ItemKeys(%q)", origin), got, want)
		for i := range got {
			if !got[i].Published.Equal(want[i].Published) || !got[i].Fetched.Equal(want[i].Fetched) {
				t.Errorf("ItemKeys(%q)[%d] dated %v, fetched %v; Items says %v, %v", origin, i,
					got[i].Published, got[i].Fetched, want[i].Published, want[i].Fetched)
			}
		}
	}
}

// testItemTimesRoundTrip: times come back as the same instant in UTC, to
// the millisecond at least, from any zone; an undated item stays undated;
// a zero Fetched means when it was stored.
func testItemTimesRoundTrip(t *testing.T, s feedstore.Store) {
	zone := time.FixedZone("UTC-7", -7*3600)
	it := Item("wire", "a", 0)
	it.Published = time.Date(2024, 2, 29, 23, 59, 58, 987_654_321, zone)
	it.Fetched = time.Date(2024, 3, 1, 7, 0, 0, 1_000_000, zone)
	undated := Item("wire", "b", 0)
	undated.Published = time.Time{}
	now := Item("wire", "c", 0)
	now.Fetched = time.Time{}

	before := time.Now()
	added := mustSave(t, s, it, undated, now)
	after := time.Now()
	for _, items := range [][]feedstore.Item{added, mustItems(t, s, "wire")} {
		if len(items) != 3 {
			t.Fatalf("%d items, want 3", len(items))
		}
		byID := map[string]feedstore.Item{}
		for _, got := range items {
			byID[got.Identity] = got
		}
		if got := byID[it.Identity]; !sameTime(got.Published, it.Published) || !sameTime(got.Fetched, it.Fetched) {
			t.Errorf("times: published %v, fetched %v; want %v, %v in UTC", got.Published, got.Fetched, it.Published, it.Fetched)
		}
		if got := byID[undated.Identity]; !got.Published.IsZero() {
			t.Errorf("undated item published %v", got.Published)
		}
		got := byID[now.Identity]
		if got.Fetched.Before(before.Add(-time.Millisecond)) || got.Fetched.After(after.Add(time.Millisecond)) ||
			got.Fetched.Location() != time.UTC {
			t.Errorf("zero Fetched stored as %v, want the time of saving (%v to %v) in UTC", got.Fetched, before, after)
		}
	}
}

// testManyItems: a first fetch of a large feed (or a backlog) goes in one
// call, however many items, and a second fetch of it adds nothing.
func testManyItems(t *testing.T, s feedstore.Store) {
	const n = 5000
	items := make([]feedstore.Item, n)
	for i := range items {
		items[i] = Item("big", fmt.Sprintf("%05d", i), i)
	}
	if added := mustSave(t, s, items...); len(added) != n {
		t.Errorf("first save added %d, want %d", len(added), n)
	}
	if added := mustSave(t, s, items...); len(added) != 0 {
		t.Errorf("second save added %d, want 0", len(added))
	}
	checkItems(t, "stored", mustItems(t, s, ""), items)
}

// testPruneItems: pruning deletes items fetched before the cut, by fetch
// time whatever their publication date, and a pruned item fetched again is
// new again: the store forgets it, which is the price of bounded growth.
func testPruneItems(t *testing.T, s feedstore.Store) {
	ctx := context.Background()
	day := 24 * time.Hour
	old := Item("wire", "old", 0)
	old.Fetched = feedT0.Add(-40 * day)
	edge := Item("wire", "edge", 0)
	edge.Fetched = feedT0.Add(-30 * day) // exactly at the cut: kept
	recent := Item("wire", "recent", 0)
	recent.Published = feedT0.Add(-400 * day) // an old story fetched lately: kept
	recent.Fetched = feedT0.Add(-day)
	other := Item("other", "old", 0)
	other.Fetched = feedT0.Add(-31 * day)
	mustSave(t, s, old, edge, recent, other)

	cut := feedT0.Add(-30 * day)
	if n, err := s.PruneItems(ctx, cut, 0); err != nil || n != 2 {
		t.Errorf("PruneItems = %d, %v; want 2", n, err)
	}
	checkItems(t, "after pruning", mustItems(t, s, ""), []feedstore.Item{recent, edge})
	if n, err := s.PruneItems(ctx, cut, 0); err != nil || n != 0 {
		t.Errorf("PruneItems again = %d, %v; want 0", n, err)
	}
	if n, err := s.PruneItems(ctx, time.Time{}, 0); err != nil || n != 0 {
		t.Errorf("PruneItems(zero time) = %d, %v; want 0", n, err)
	}

	// Fetched again, a pruned item is new again, with its new fetch time.
	back := old
	back.Fetched = feedT0
	checkItems(t, "pruned item fetched again", mustSave(t, s, back, recent), []feedstore.Item{back})
}

// testSaveItemsValidation: an item without an identity or an origin fails
// the call, which then stores nothing.
func testSaveItemsValidation(t *testing.T, s feedstore.Store) {
	ok := Item("wire", "ok", 0)
	noID := Item("wire", "noid", 1)
	noID.Identity = ""
	noOrigin := Item("", "noorigin", 2)
	for name, bad := range map[string]feedstore.Item{"no identity": noID, "no origin": noOrigin} {
		if added, err := s.SaveItems(context.Background(), []feedstore.Item{ok, bad}, 0); err == nil || len(added) != 0 {
			t.Errorf("%s: added %v, err %v; want an error", name, identities(added), err)
		}
	}
	if items := mustItems(t, s, ""); len(items) != 0 {
		t.Errorf("failed saves stored %v", identities(items))
	}
}

// testFeedState: a feed never saved has the zero state with its URL; a
// saved state comes back whole, and a later save replaces every field.
func testFeedState(t *testing.T, s feedstore.Store) {
	ctx := context.Background()
	const url = "https://example.com/feed.xml"
	st, err := s.FeedState(ctx, url)
	if err != nil || st != (feedstore.State{URL: url}) {
		t.Errorf("unknown feed: %+v, %v", st, err)
	}

	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	failing := feedstore.State{
		URL: url, ETag: `W/"abc"`, LastModified: "Sun, 01 Jun 2025 11:00:00 GMT",
		LastSuccess: time.Date(2025, 6, 1, 17, 0, 0, 456_789_000, zone), LastError: "503 Service Unavailable",
		Failures: 3, NextTry: time.Date(2025, 6, 1, 18, 30, 0, 1_000_000, zone),
	}
	recovered := feedstore.State{URL: url, LastSuccess: feedT0} // conditional headers gone, error cleared
	never := feedstore.State{URL: "https://example.org/atom", LastError: "dial tcp: no such host", Failures: 1,
		NextTry: feedT0.Add(time.Minute)}
	check := func(when string, want feedstore.State) {
		t.Helper()
		got, err := s.FeedState(ctx, want.URL)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		if !sameTime(got.LastSuccess, want.LastSuccess) || !sameTime(got.NextTry, want.NextTry) {
			t.Errorf("%s: times %v, %v; want %v, %v in UTC", when, got.LastSuccess, got.NextTry, want.LastSuccess, want.NextTry)
		}
		got.LastSuccess, got.NextTry, want.LastSuccess, want.NextTry = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if got != want {
			t.Errorf("%s: %+v, want %+v", when, got, want)
		}
	}
	for _, st := range []feedstore.State{failing, never} {
		if err := s.SaveFeedState(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	check("saved", failing)
	check("other feed", never)
	if err := s.SaveFeedState(ctx, recovered); err != nil {
		t.Fatal(err)
	}
	check("replaced", recovered)
	check("other feed after replacing", never)

	if err := s.SaveFeedState(ctx, feedstore.State{LastError: "x"}); err == nil {
		t.Error("saving a state without a URL succeeded")
	}
}

// testConcurrentSaveItems races pollers, as goroutines and processes
// sharing a database would: several goroutines save the same stories of
// the same origins (each under its own GUIDs, with the same links), others
// stories of their own origins, while readers list. No call fails, and each
// story is added once, by one of them.
func testConcurrentSaveItems(t *testing.T, s feedstore.Store) {
	ctx := context.Background()
	const writers, stories, batch = 8, 120, 20
	shared := []string{"s1", "s2"}
	var mu sync.Mutex
	adds := map[string]int{} // origin + link -> times added
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for w := range writers {
		wg.Go(func() {
			own := fmt.Sprintf("own%d", w)
			order := rand.New(rand.NewPCG(uint64(w), 7)).Perm(stories)
			for start := 0; start < stories; start += batch {
				var items []feedstore.Item
				for _, k := range order[start : start+batch] {
					for _, origin := range []string{shared[w%2], own} {
						it := Item(origin, fmt.Sprintf("w%d-%03d", w, k), k)
						it.Link = fmt.Sprintf("https://example.com/%s/%03d", origin, k)
						it.TitleKey = ""
						items = append(items, it)
					}
				}
				added, err := s.SaveItems(ctx, items, 0)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, it := range added {
					adds[it.Origin+" "+it.Link]++
				}
				mu.Unlock()
			}
		})
		wg.Go(func() {
			for range stories / batch {
				if _, err := s.Items(ctx, shared[w%2]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if want := (len(shared) + writers) * stories; len(adds) != want {
		t.Errorf("%d stories added, want %d", len(adds), want)
	}
	for story, n := range adds {
		if n != 1 {
			t.Errorf("%s added %d times", story, n)
		}
	}
	for _, origin := range append(shared, "own0") {
		if items := mustItems(t, s, origin); len(items) != stories {
			t.Errorf("%s: %d items stored, want %d", origin, len(items), stories)
		}
	}
}

// testFeedErrorsNameInput: a failed call says which feed or origin it was
// about, and keeps the cause for errors.Is.
func testFeedErrorsNameInput(t *testing.T, s feedstore.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	const url = "https://example.com/rss"
	it := Item("Example Wire", "a", 0)
	check := func(call string, err error, input string) {
		t.Helper()
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), input) {
			t.Errorf("%s with a canceled context: %v; want context.Canceled and %q", call, err, input)
		}
	}
	_, err := s.SaveItems(ctx, []feedstore.Item{it}, 0)
	check("SaveItems", err, it.Origin)
	_, err = s.Items(ctx, it.Origin)
	check("Items", err, it.Origin)
	_, err = s.FeedState(ctx, url)
	check("FeedState", err, url)
	check("SaveFeedState", s.SaveFeedState(ctx, feedstore.State{URL: url}), url)
	_, err = s.PruneItems(ctx, feedT0, 0)
	check("PruneItems", err, feedT0.Format("2006-01-02"))

	noID := it
	noID.Identity = ""
	if _, err := s.SaveItems(context.Background(), []feedstore.Item{noID}, 0); err == nil || !strings.Contains(err.Error(), it.Origin) {
		t.Errorf("SaveItems without an identity: %v; want an error naming the origin", err)
	}
	if err := s.SaveFeedState(context.Background(), feedstore.State{}); err == nil || !strings.Contains(err.Error(), "url") {
		t.Errorf("SaveFeedState without a URL: %v; want an error about the URL", err)
	}
	if items := mustItems(t, s, ""); len(items) != 0 {
		t.Errorf("failed calls stored %v", identities(items))
	}
}

// ItemText reads back one item's text by origin and identity; an item
// never stored, or pruned, is ErrItemGone.
func testItemText(t *testing.T, st feedstore.Store) {
	ctx := context.Background()
	a, b := Item("news", "a", 0), Item("other", "a", 0)
	b.Text = "Another feed's text under the same identity."
	if _, err := st.SaveItems(ctx, []feedstore.Item{a}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveItems(ctx, []feedstore.Item{b}, 0); err != nil {
		t.Fatal(err)
	}
	for _, it := range []feedstore.Item{a, b} {
		got, err := st.ItemText(ctx, it.Origin, it.Identity)
		if err != nil || got != it.Text {
			t.Errorf("ItemText(%q, %q) = %q, %v; want %q", it.Origin, it.Identity, got, err, it.Text)
		}
	}
	if _, err := st.ItemText(ctx, "news", "no-such-item"); !errors.Is(err, feedstore.ErrItemGone) {
		t.Errorf("unknown item: %v, want ErrItemGone", err)
	}
	if _, err := st.PruneItems(ctx, feedT0.Add(time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	_, err := st.ItemText(ctx, "news", a.Identity)
	if !errors.Is(err, feedstore.ErrItemGone) || !strings.Contains(err.Error(), a.Identity) {
		t.Errorf("pruned item: %v, want ErrItemGone naming it", err)
	}
}

// keepIDs lists the identities of origin's stored items, newest first as
// the cap orders them: by publication date, else fetch date, then
// identity.
func keepIDs(t *testing.T, s feedstore.Store, origin string) []string {
	t.Helper()
	items := mustItems(t, s, origin)
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

// testKeepNewest: with a cap, each origin keeps its newest items, by
// publication date, else fetch date, then identity; a new item older than
// everything kept is not kept nor added, a newer one pushes the oldest
// out, and other origins are left alone.
func testKeepNewest(t *testing.T, s feedstore.Store) {
	const keep = 3
	save := func(items ...feedstore.Item) []string {
		t.Helper()
		added, err := s.SaveItems(context.Background(), items, keep)
		if err != nil {
			t.Fatal(err)
		}
		return identities(added)
	}
	// Hours 1 to 5; "u" is undated, fetched at hour 4 and a half, so it
	// counts as of then; "t1" and "t2" share hour 2 and are told apart by
	// identity (the greater is the newer).
	undated := Item("wire", "u", 4)
	undated.Published, undated.Fetched = time.Time{}, feedT0.Add(4*time.Hour+30*time.Minute)
	t1, t2 := Item("wire", "t1", 2), Item("wire", "t2", 2)
	added := save(Item("wire", "h1", 1), t2, Item("wire", "h5", 5), t1, undated, Item("other", "x", 0))
	if want := []string{"wire/guid:t2", "wire/guid:h5", "wire/guid:u", "other/guid:x"}; fmt.Sprint(added) != fmt.Sprint(want) {
		t.Errorf("added %v, want the newest %d of wire in the order given, and other's: %v", added, keep, want)
	}
	if got, want := keepIDs(t, s, "wire"), []string{"guid:h5", "guid:u", "guid:t2"}; !slices.Equal(got, want) {
		t.Errorf("wire keeps %v, want %v", got, want)
	}
	// Older than everything kept: not kept.
	if added := save(Item("wire", "old", 0)); len(added) != 0 {
		t.Errorf("an item older than the %d kept was added: %v", keep, added)
	}
	// Newer: kept, and the oldest makes way.
	if added := save(Item("wire", "h6", 6)); fmt.Sprint(added) != "[wire/guid:h6]" {
		t.Errorf("a newer item: added %v", added)
	}
	if got, want := keepIDs(t, s, "wire"), []string{"guid:h6", "guid:h5", "guid:u"}; !slices.Equal(got, want) {
		t.Errorf("wire keeps %v, want %v", got, want)
	}
	if got := keepIDs(t, s, "other"); len(got) != 1 {
		t.Errorf("other keeps %v", got)
	}
	// No cap: everything is kept.
	if _, err := s.SaveItems(context.Background(), []feedstore.Item{Item("wire", "old", 0)}, 0); err != nil {
		t.Fatal(err)
	}
	if got := keepIDs(t, s, "wire"); len(got) != keep+1 {
		t.Errorf("without a cap wire keeps %v", got)
	}
}

// testFloodCapped: a feed that floods (thousands of new items a poll)
// keeps only its cap, the newest, poll after poll.
func testFloodCapped(t *testing.T, s feedstore.Store) {
	const keep, flood = 100, 3000
	for poll := range 2 {
		items := make([]feedstore.Item, flood)
		for i := range items {
			// Each poll's items are newer than the last poll's.
			items[i] = Item("flood", fmt.Sprintf("p%d-%05d", poll, i), poll*flood+i)
		}
		added, err := s.SaveItems(context.Background(), items, keep)
		if err != nil {
			t.Fatal(err)
		}
		if len(added) != keep || added[0].Identity != items[flood-keep].Identity {
			t.Errorf("poll %d added %d items from %s, want the newest %d", poll, len(added), identities(added[:min(1, len(added))]), keep)
		}
		checkItems(t, fmt.Sprintf("after poll %d", poll), mustItems(t, s, "flood"), items[flood-keep:])
	}
}

// testPruneToCap: PruneItems with a cap trims every origin to its newest
// (a cap lowered since the items were stored), beside the retention.
func testPruneToCap(t *testing.T, s feedstore.Store) {
	var items []feedstore.Item
	for _, origin := range []string{"a", "b"} {
		for i := range 10 {
			items = append(items, Item(origin, fmt.Sprintf("%02d", i), i))
		}
	}
	mustSave(t, s, items...)
	mustSave(t, s, Item("c", "only", 0))
	n, err := s.PruneItems(context.Background(), time.Time{}, 4)
	if err != nil || n != 12 {
		t.Errorf("PruneItems(keep 4) = %d, %v; want 12 (6 of a, 6 of b)", n, err)
	}
	for _, origin := range []string{"a", "b"} {
		if got, want := keepIDs(t, s, origin), []string{"guid:09", "guid:08", "guid:07", "guid:06"}; !slices.Equal(got, want) {
			t.Errorf("%s keeps %v, want %v", origin, got, want)
		}
	}
	if got := keepIDs(t, s, "c"); len(got) != 1 {
		t.Errorf("c keeps %v", got)
	}
}
