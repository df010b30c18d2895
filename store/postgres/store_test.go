package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/briefs/feed/feedstore"
	"newsbrief/store/storetest"
)

// TestErrorsNameTheirInput checks this backend's error texts, which the
// contract leaves to each backend: what failed, on which input, and for an
// article already posted, the digest that holds it and its state.
func TestErrorsNameTheirInput(t *testing.T) {
	s := openTest(t)
	t.Parallel()
	ctx := context.Background()
	for _, sub := range []digest.Subscription{
		{ChannelID: "c", Count: 1},
		{GuildID: "g", Count: 1},
		{GuildID: "g", ChannelID: "c", Count: 0},
	} {
		_, err := s.PutSubscription(ctx, sub)
		if err == nil || !strings.Contains(err.Error(), "store: put subscription guild="+sub.GuildID+" channel="+sub.ChannelID) {
			t.Errorf("Put(%+v): %v", sub, err)
		}
	}
	sub := storetest.MustPut(t, s, "g", "c")
	if _, err := s.Subscription(ctx, "g", "nope", "tech"); !strings.Contains(err.Error(), "guild=g channel=nope") {
		t.Errorf("get unknown: %v", err)
	}
	for _, bad := range []struct {
		nonce    string
		articles []string
	}{{"", []string{"a"}}, {"n", []string{"a", ""}}, {"n", []string{"a", "a"}}} {
		_, err := storetest.Begin(ctx, s, sub.ID, bad.nonce, bad.articles, time.Now())
		if err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("store: claim run subscription=%d scheduled=", sub.ID)) {
			t.Errorf("ClaimRun(%q, %q): %v", bad.nonce, bad.articles, err)
		}
	}
	// Text PostgreSQL cannot store is refused, naming the subscription.
	if _, err := storetest.Begin(ctx, s, sub.ID, "n", []string{"a\x00b"}, time.Now()); err == nil ||
		!strings.Contains(err.Error(), fmt.Sprintf("subscription=%d", sub.ID)) {
		t.Errorf("ClaimRun of an article ID with a NUL byte: %v", err)
	}
	first, err := storetest.Begin(ctx, s, sub.ID, "n1", []string{"a1", "a2"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	check := func(state string) {
		t.Helper()
		digests, posted := count(t, s, `SELECT count(*) FROM digests`), count(t, s, `SELECT count(*) FROM posted`)
		_, err := storetest.Begin(ctx, s, sub.ID, "n2", []string{"b1", "a2", "b2"}, time.Now())
		if msg := fmt.Sprint(err); !errors.Is(err, digest.ErrAlreadyPosted) || !strings.Contains(msg, `"a2"`) ||
			!strings.Contains(msg, fmt.Sprintf("digest %d, %s", first.ID, state)) || !strings.Contains(msg, fmt.Sprintf("subscription=%d", sub.ID)) {
			t.Errorf("%s: error %q does not name the article, its digest and state, and the subscription", state, msg)
		}
		if d, p := count(t, s, `SELECT count(*) FROM digests`), count(t, s, `SELECT count(*) FROM posted`); d != digests || p != posted {
			t.Errorf("%s: failed ClaimRun wrote: digests %d -> %d, posted %d -> %d", state, digests, d, posted, p)
		}
	}
	check("pending")
	if err := s.MarkSent(ctx, first.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	check("sent")
}

// TestMarkSentKeepsFirstTime reads the stored time: the interface shows no
// sent digest, and a second MarkSent must not move the first time.
func TestMarkSentKeepsFirstTime(t *testing.T) {
	s := openTest(t)
	t.Parallel()
	ctx := context.Background()
	sub := storetest.MustPut(t, s, "g", "c")
	d, err := storetest.Begin(ctx, s, sub.ID, "n", []string{"a"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sentAt := time.Date(2025, 6, 1, 8, 0, 3, 0, time.UTC)
	for _, at := range []time.Time{sentAt, sentAt.Add(time.Hour)} {
		if err := s.MarkSent(ctx, d.ID, at); err != nil {
			t.Fatal(err)
		}
	}
	var stored time.Time
	if err := s.pool.QueryRow(ctx, `SELECT sent_at FROM digests WHERE id = $1`, d.ID).Scan(&stored); err != nil || !stored.Equal(sentAt) {
		t.Errorf("sent_at = %v, %v; want %v (a second MarkSent must keep the first time)", stored, err, sentAt)
	}
}

// TestDeleteCascadesRows checks the rows themselves: ON DELETE CASCADE
// removes a deleted subscription's digests, posted rows and run claims, and
// no other.
func TestDeleteCascadesRows(t *testing.T) {
	s := openTest(t)
	t.Parallel()
	ctx := context.Background()
	sub := storetest.MustPut(t, s, "g", "c")
	other := storetest.MustPut(t, s, "g", "other")
	for _, b := range []struct {
		sub   int64
		nonce string
		arts  []string
	}{{sub.ID, "n1", []string{"a1", "a2"}}, {sub.ID, "n2", []string{"a3"}}, {other.ID, "n3", []string{"a1"}}} {
		if _, err := storetest.Begin(ctx, s, b.sub, b.nonce, b.arts, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.DeleteSubscription(ctx, "g", "c", "tech"); !ok || err != nil {
		t.Fatalf("delete: %v, %v", ok, err)
	}
	for _, table := range []string{"digests", "posted", "runs"} {
		if n := count(t, s, `SELECT count(*) FROM `+table+` WHERE subscription_id = $1`, sub.ID); n != 0 {
			t.Errorf("%d rows of the deleted subscription left in %s", n, table)
		}
		if n := count(t, s, `SELECT count(*) FROM `+table+` WHERE subscription_id = $1`, other.ID); n == 0 {
			t.Errorf("the other subscription's rows in %s went too", table)
		}
	}
}

// TestTextOrderIsBytes: subscriptions are listed by guild and channel ID as
// Go compares strings, whatever collation the database defaults to (the
// columns' own is "C"), and feed items likewise.
func TestTextOrderIsBytes(t *testing.T) {
	s := openTest(t)
	t.Parallel()
	ctx := context.Background()
	channels := []string{"b", "B", "a", "_x", "é", "Z", "10", "9"}
	for _, c := range channels {
		storetest.MustPut(t, s, "g", c)
	}
	subs, err := s.Subscriptions(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sub := range subs {
		got = append(got, sub.ChannelID)
	}
	want := slices.Sorted(slices.Values(channels))
	if !slices.Equal(got, want) {
		t.Errorf("Subscriptions order %q, want %q", got, want)
	}
	var collations []string
	rows, err := s.pool.Query(ctx, `SELECT c.relname || '.' || a.attname || '=' || coalesce(co.collname, '')
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		LEFT JOIN pg_collation co ON co.oid = a.attcollation
		WHERE c.relnamespace = current_schema()::regnamespace
		AND (c.relname, a.attname) IN (('subscriptions', 'guild_id'), ('subscriptions', 'channel_id'),
			('feed_items', 'origin'), ('feed_items', 'identity'))
		ORDER BY 1`)
	if err == nil {
		var c string
		for rows.Next() {
			if err = rows.Scan(&c); err != nil {
				break
			}
			collations = append(collations, c)
		}
		rows.Close()
	}
	wantColl := []string{"feed_items.identity=C", "feed_items.origin=C", "subscriptions.channel_id=C", "subscriptions.guild_id=C"}
	if err != nil || !slices.Equal(collations, wantColl) {
		t.Errorf("collations %v, %v; want %v", collations, err, wantColl)
	}
}

// TestFeedTextMadeStorable: a NUL byte or invalid UTF-8 in a feed item,
// which PostgreSQL text cannot hold, does not cost the fetch: the item is
// stored with U+FFFD in their place, and fetched again it is not new.
func TestFeedTextMadeStorable(t *testing.T) {
	s := openTest(t)
	t.Parallel()
	ctx := context.Background()
	bad := storetest.Item("wire", "a\x00b", 0)
	bad.Title = "Caf\xe9 \x00opens"
	good := storetest.Item("wire", "c", 1)
	added, err := s.SaveItems(ctx, []feedstore.Item{bad, good}, 0)
	if err != nil || len(added) != 2 {
		t.Fatalf("SaveItems = %d added, %v; want 2", len(added), err)
	}
	if added[0].Identity != "guid:a\uFFFDb" || added[0].Title != "Caf\uFFFD \uFFFDopens" {
		t.Errorf("stored as identity %q, title %q", added[0].Identity, added[0].Title)
	}
	items, err := s.Items(ctx, "wire")
	if err != nil || len(items) != 2 || items[0].Title != added[0].Title {
		t.Errorf("Items = %+v, %v", items, err)
	}
	if again, err := s.SaveItems(ctx, []feedstore.Item{bad}, 0); err != nil || len(again) != 0 {
		t.Errorf("the same item again: added %d, %v; want none", len(again), err)
	}
}

// TestTwoStoresSaveItems stands in for two processes polling the same feed:
// each saves the same stories, in opposite orders, in batches. Neither
// fails (no deadlock on each other's rows), and each story is added once.
func TestTwoStoresSaveItems(t *testing.T) {
	u := newSchema(t)
	t.Parallel()
	ctx := context.Background()
	stores := []*Store{openURL(t, u), openURL(t, u)}
	const stories, batch = 200, 25
	items := make([]feedstore.Item, stories)
	for i := range items {
		items[i] = storetest.Item("wire", fmt.Sprintf("%03d", i), i)
	}
	var mu sync.Mutex
	adds := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, len(stores))
	for i, s := range stores {
		order := slices.Clone(items)
		if i == 1 {
			slices.Reverse(order)
		}
		wg.Go(func() {
			for start := 0; start < stories; start += batch {
				added, err := s.SaveItems(ctx, order[start:start+batch], 0)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, it := range added {
					adds[it.Identity]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(adds) != stories {
		t.Errorf("%d stories added, want %d", len(adds), stories)
	}
	for id, n := range adds {
		if n != 1 {
			t.Errorf("%s added %d times", id, n)
		}
	}
}

// TestCancelRacesMarkSent: a digest being cancelled while it is marked
// sent ends one way or the other, never both: either the cancel is refused
// as sent, or the mark finds the digest gone.
func TestCancelRacesMarkSent(t *testing.T) {
	u := newSchema(t)
	t.Parallel()
	ctx := context.Background()
	a, b := openURL(t, u), openURL(t, u)
	sub := storetest.MustPut(t, a, "g", "c")
	const digests = 30
	var wg sync.WaitGroup
	type outcome struct{ cancel, mark error }
	outcomes := make([]outcome, digests)
	for i := range digests {
		d, err := storetest.Begin(ctx, a, sub.ID, fmt.Sprintf("n%d", i), []string{fmt.Sprintf("a%d", i)}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		wg.Go(func() { <-start; outcomes[i].cancel = a.CancelDigest(ctx, d.ID) })
		wg.Go(func() { <-start; outcomes[i].mark = b.MarkSent(ctx, d.ID, time.Time{}) })
		close(start)
	}
	wg.Wait()
	for i, o := range outcomes {
		switch {
		case o.cancel == nil && errors.Is(o.mark, digest.ErrNotFound):
		case errors.Is(o.cancel, digest.ErrDigestSent) && o.mark == nil:
		default:
			t.Errorf("digest %d: cancel %v, mark sent %v; want exactly one to succeed", i, o.cancel, o.mark)
		}
	}
	if p, err := a.PendingDigests(ctx); err != nil || len(p) != 0 {
		t.Errorf("%d digests left pending, %v", len(p), err)
	}
}

// TestConcurrentPrunes: processes that start together prune together; the
// prunes queue, and none fails.
func TestConcurrentPrunes(t *testing.T) {
	u := newSchema(t)
	t.Parallel()
	ctx := context.Background()
	stores := []*Store{openURL(t, u), openURL(t, u)}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for i := range 10 {
		sub := storetest.MustPut(t, stores[0], "g", fmt.Sprintf("c%d", i))
		var arts []string
		for j := range 20 {
			arts = append(arts, fmt.Sprintf("a%d", (i*7+j)%60))
		}
		d, err := storetest.Begin(ctx, stores[0], sub.ID, "n", arts, now.Add(-40*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := stores[0].MarkSent(ctx, d.ID, now.Add(-40*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	keep := digest.Retention{Gone: time.Hour, Sent: 24 * time.Hour, Runs: 24 * time.Hour}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total digest.Pruned
	for i, s := range stores {
		for j := range 4 {
			wg.Go(func() {
				lib := []string{fmt.Sprintf("a%d", i*4+j)}
				n, err := s.Prune(ctx, now.Add(time.Duration(j)*time.Hour), lib, keep)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total.Digests += n.Digests
				total.Runs += n.Runs
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if total.Digests != 10 || total.Runs != 10 {
		t.Errorf("pruned %+v in all, want 10 digests and 10 runs once each", total)
	}
}

// BenchmarkClaimRunMarkSent is the per-digest cost of a scheduled post, as
// store/sqlite's benchmark of the same name measures it: one run claimed
// with a digest of 5 articles, and marked sent.
func BenchmarkClaimRunMarkSent(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	const subs = 1000
	ids := make([]int64, subs)
	for i := range ids {
		ids[i] = storetest.MustPut(b, s, "g", fmt.Sprintf("c%04d", i)).ID
	}
	now := time.Now()
	arts := make([]string, 5)
	for i := 0; b.Loop(); i++ {
		for j := range arts {
			arts[j] = fmt.Sprintf("article-%d-%d", i, j)
		}
		d, err := storetest.Begin(ctx, s, ids[i%subs], fmt.Sprintf("nb%d", i), arts, now.Add(time.Duration(i)*time.Microsecond))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.MarkSent(ctx, d.ID, now); err != nil {
			b.Fatal(err)
		}
	}
}
