// Package storetest is the contract suite for digest.Store: the behaviour
// every backend must show, checked only through the interface. A backend's
// own tests call Run with a constructor of empty stores, and keep what is
// particular to it (files, migrations, SQL) in tests of their own.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"newsbrief/digest"
)

// Run runs the contract suite, each test on a fresh, empty store from
// newStore, which also arranges for the store to be closed when t ends.
func Run(t *testing.T, newStore func(t *testing.T) digest.Store) {
	tests := []struct {
		name string
		run  func(*testing.T, digest.Store)
	}{
		{"SubscriptionCRUD", testSubscriptionCRUD},
		{"PutSubscriptionValidation", testPutSubscriptionValidation},
		{"ReplaceKeepsHistoryAndResumes", testReplaceKeepsHistoryAndResumes},
		{"DeleteCascades", testDeleteCascades},
		{"DigestLifecycle", testDigestLifecycle},
		{"PostedIDsManyArticles", testPostedIDsManyArticles},
		{"BeginDigestAlreadyPostedWritesNothing", testBeginDigestAlreadyPostedWritesNothing},
		{"BeginDigestValidation", testBeginDigestValidation},
		{"CancelDigestReleasesArticles", testCancelDigestReleasesArticles},
		{"RecordRunAndPause", testRecordRunAndPause},
		{"ConcurrentBeginDigest", testConcurrentBeginDigest},
		{"ConcurrentSameArticle", testConcurrentSameArticle},
		{"ContextCanceled", testContextCanceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

// MustPut stores a subscription of guild/channel with fixed other fields
// and returns it, failing the test on error.
func MustPut(t testing.TB, s digest.Store, guild, channel string) digest.Subscription {
	t.Helper()
	sub, err := s.PutSubscription(context.Background(), digest.Subscription{
		GuildID: guild, ChannelID: channel, Schedule: "0 8 * * *", Timezone: "Europe/Paris",
		Count: 3, Topic: "tech", CreatedBy: "u1",
	})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func pendingCount(t *testing.T, s digest.Store) int {
	t.Helper()
	p, err := s.PendingDigests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(p)
}

func testSubscriptionCRUD(t *testing.T, s digest.Store) {
	ctx := context.Background()
	created := time.Date(2025, 3, 1, 8, 30, 0, 123456789, time.FixedZone("CET", 3600))
	sub, err := s.PutSubscription(ctx, digest.Subscription{
		ID: 999, GuildID: "g1", ChannelID: "c2", Schedule: "@daily", Timezone: "Europe/Paris",
		Count: 5, Topic: "science", CreatedBy: "u7", CreatedAt: created,
		Paused: "ignored", LastOutcome: "ignored",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := digest.Subscription{
		ID: sub.ID, GuildID: "g1", ChannelID: "c2", Schedule: "@daily", Timezone: "Europe/Paris",
		Count: 5, Topic: "science", CreatedBy: "u7", CreatedAt: created.UTC(),
	}
	if sub.ID == 999 || sub != want {
		t.Fatalf("put returned %+v, want %+v", sub, want)
	}
	MustPut(t, s, "g1", "c1")
	MustPut(t, s, "g0", "c9")

	got, err := s.Subscription(ctx, "g1", "c2")
	if err != nil || got != want {
		t.Errorf("Subscription = %+v, %v", got, err)
	}
	got, err = s.SubscriptionByID(ctx, sub.ID)
	if err != nil || got != want {
		t.Errorf("SubscriptionByID = %+v, %v", got, err)
	}

	key := func(subs []digest.Subscription) (keys []string) {
		for _, s := range subs {
			keys = append(keys, s.GuildID+"/"+s.ChannelID)
		}
		return keys
	}
	all, err := s.Subscriptions(ctx, "")
	if err != nil || !slices.Equal(key(all), []string{"g0/c9", "g1/c1", "g1/c2"}) {
		t.Errorf("Subscriptions(all) = %v, %v", key(all), err)
	}
	g1, err := s.Subscriptions(ctx, "g1")
	if err != nil || !slices.Equal(key(g1), []string{"g1/c1", "g1/c2"}) {
		t.Errorf("Subscriptions(g1) = %v, %v", key(g1), err)
	}
	if none, err := s.Subscriptions(ctx, "nope"); err != nil || len(none) != 0 {
		t.Errorf("Subscriptions(nope) = %v, %v", none, err)
	}

	// Replace: same ID, new fields.
	repl, err := s.PutSubscription(ctx, digest.Subscription{
		GuildID: "g1", ChannelID: "c2", Schedule: "0 7 * * 1-5", Timezone: "UTC",
		Count: 2, Topic: "", CreatedBy: "u8",
	})
	if err != nil {
		t.Fatal(err)
	}
	if repl.ID != sub.ID || repl.Schedule != "0 7 * * 1-5" || repl.Timezone != "UTC" || repl.Count != 2 ||
		repl.Topic != "" || repl.CreatedBy != "u8" || !repl.CreatedAt.After(created) {
		t.Errorf("replace returned %+v", repl)
	}
	if all, err := s.Subscriptions(ctx, ""); err != nil || len(all) != 3 {
		t.Errorf("%d subscriptions after replace, want 3 (%v)", len(all), err)
	}

	ok, err := s.DeleteSubscription(ctx, "g1", "c2")
	if err != nil || !ok {
		t.Errorf("delete = %v, %v", ok, err)
	}
	ok, err = s.DeleteSubscription(ctx, "g1", "c2")
	if err != nil || ok {
		t.Errorf("second delete = %v, %v", ok, err)
	}
	_, err = s.Subscription(ctx, "g1", "c2")
	if !errors.Is(err, digest.ErrNotFound) || !strings.Contains(err.Error(), "g1") || !strings.Contains(err.Error(), "c2") {
		t.Errorf("get deleted: %v (want ErrNotFound naming the guild and channel)", err)
	}
	if _, err := s.SubscriptionByID(ctx, sub.ID); !errors.Is(err, digest.ErrNotFound) {
		t.Errorf("get deleted by id: %v", err)
	}

	// A new subscription never reuses a deleted ID: the scheduler may still
	// hold the old one.
	again := MustPut(t, s, "g1", "c2")
	if again.ID <= sub.ID {
		t.Errorf("ID reused: %d after %d", again.ID, sub.ID)
	}
}

func testPutSubscriptionValidation(t *testing.T, s digest.Store) {
	for _, sub := range []digest.Subscription{
		{ChannelID: "c", Count: 1},
		{GuildID: "g", Count: 1},
		{GuildID: "g", ChannelID: "c", Count: 0},
	} {
		if _, err := s.PutSubscription(context.Background(), sub); err == nil {
			t.Errorf("Put(%+v) succeeded", sub)
		}
	}
	if all, err := s.Subscriptions(context.Background(), ""); err != nil || len(all) != 0 {
		t.Errorf("invalid puts stored %v, %v", all, err)
	}
}

func testReplaceKeepsHistoryAndResumes(t *testing.T, s digest.Store) {
	ctx := context.Background()
	sub := MustPut(t, s, "g", "c")
	d, err := s.BeginDigest(ctx, sub.ID, "n1", []string{"a1", "a2"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, d.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	run := time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)
	if err := s.RecordRun(ctx, sub.ID, run, "posted 2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Pause(ctx, sub.ID, "403 Missing Access"); err != nil {
		t.Fatal(err)
	}

	repl := MustPut(t, s, "g", "c")
	if repl.ID != sub.ID || repl.Paused != "" || !repl.LastRunAt.Equal(run) || repl.LastOutcome != "posted 2" {
		t.Errorf("after re-subscribe: %+v", repl)
	}
	posted, err := s.PostedIDs(ctx, repl.ID, []string{"a1", "a2", "a3"})
	if err != nil || len(posted) != 2 || !posted["a1"] || !posted["a2"] {
		t.Errorf("posted history after replace: %v, %v", posted, err)
	}
	if _, err := s.BeginDigest(ctx, repl.ID, "n2", []string{"a1"}, time.Now()); !errors.Is(err, digest.ErrAlreadyPosted) {
		t.Errorf("re-posting after replace: %v", err)
	}
}

func testDeleteCascades(t *testing.T, s digest.Store) {
	ctx := context.Background()
	sub := MustPut(t, s, "g", "c")
	other := MustPut(t, s, "g", "other")
	d1, err := s.BeginDigest(ctx, sub.ID, "n1", []string{"a1", "a2"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, d1.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginDigest(ctx, sub.ID, "n2", []string{"a3"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginDigest(ctx, other.ID, "n3", []string{"a1"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.DeleteSubscription(ctx, "g", "c"); !ok || err != nil {
		t.Fatalf("delete: %v, %v", ok, err)
	}
	if posted, err := s.PostedIDs(ctx, sub.ID, []string{"a1", "a2", "a3"}); err != nil || len(posted) != 0 {
		t.Errorf("deleted subscription's posted records: %v, %v", posted, err)
	}
	if posted, err := s.PostedIDs(ctx, other.ID, []string{"a1"}); err != nil || !posted["a1"] {
		t.Errorf("other subscription's posted records: %v, %v", posted, err)
	}
	pending, err := s.PendingDigests(ctx)
	if err != nil || len(pending) != 1 || pending[0].SubscriptionID != other.ID {
		t.Errorf("pending after delete: %+v, %v", pending, err)
	}
}

func testDigestLifecycle(t *testing.T, s digest.Store) {
	ctx := context.Background()
	sub := MustPut(t, s, "g", "c")
	other := MustPut(t, s, "g", "c2")

	sched := time.Date(2025, 6, 1, 8, 0, 0, 0, time.FixedZone("X", 2*3600))
	d1, err := s.BeginDigest(ctx, sub.ID, "nb-1-abc", []string{"z", "a", "m"}, sched)
	if err != nil {
		t.Fatal(err)
	}
	if d1.SubscriptionID != sub.ID || d1.ChannelID != "c" || d1.Nonce != "nb-1-abc" ||
		!slices.Equal(d1.ArticleIDs, []string{"z", "a", "m"}) || !d1.ScheduledFor.Equal(sched) ||
		d1.CreatedAt.IsZero() || !d1.SentAt.IsZero() {
		t.Errorf("BeginDigest returned %+v", d1)
	}
	d2, err := s.BeginDigest(ctx, other.ID, "nb-2", []string{"a"}, sched) // same article, other subscription
	if err != nil {
		t.Fatal(err)
	}

	posted, err := s.PostedIDs(ctx, sub.ID, []string{"a", "b", "m", "z", "a"})
	if err != nil || len(posted) != 3 || !posted["a"] || !posted["m"] || !posted["z"] {
		t.Errorf("PostedIDs = %v, %v", posted, err)
	}
	if posted, err := s.PostedIDs(ctx, sub.ID, nil); err != nil || len(posted) != 0 {
		t.Errorf("PostedIDs(nil) = %v, %v", posted, err)
	}
	if posted, err := s.PostedIDs(ctx, 12345, []string{"a"}); err != nil || len(posted) != 0 {
		t.Errorf("PostedIDs(unknown sub) = %v, %v", posted, err)
	}

	pending, err := s.PendingDigests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 || pending[0].ID != d1.ID || pending[1].ID != d2.ID {
		t.Fatalf("PendingDigests = %+v", pending)
	}
	if p := pending[0]; p.Nonce != d1.Nonce || p.ChannelID != "c" || !slices.Equal(p.ArticleIDs, d1.ArticleIDs) ||
		!p.ScheduledFor.Equal(d1.ScheduledFor) || !p.CreatedAt.Equal(d1.CreatedAt) {
		t.Errorf("pending[0] = %+v, want %+v", p, d1)
	}

	sentAt := time.Date(2025, 6, 1, 8, 0, 3, 0, time.UTC)
	if err := s.MarkSent(ctx, d1.ID, sentAt); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, d1.ID, sentAt.Add(time.Hour)); err != nil {
		t.Errorf("MarkSent twice: %v", err)
	}
	if err := s.MarkSent(ctx, 98765, sentAt); !errors.Is(err, digest.ErrNotFound) || !strings.Contains(err.Error(), "98765") {
		t.Errorf("MarkSent(unknown) = %v", err)
	}
	pending, err = s.PendingDigests(ctx)
	if err != nil || len(pending) != 1 || pending[0].ID != d2.ID {
		t.Errorf("PendingDigests after MarkSent = %+v, %v", pending, err)
	}
	// Sent articles stay posted.
	if posted, err := s.PostedIDs(ctx, sub.ID, []string{"z"}); err != nil || !posted["z"] {
		t.Errorf("PostedIDs after sent = %v, %v", posted, err)
	}
}

func testPostedIDsManyArticles(t *testing.T, s digest.Store) {
	ctx := context.Background()
	sub := MustPut(t, s, "g", "c")
	var ids []string
	for i := range 1200 {
		ids = append(ids, fmt.Sprintf("art-%04d", i))
	}
	if _, err := s.BeginDigest(ctx, sub.ID, "n", ids[:700:700], time.Now()); err != nil {
		t.Fatal(err)
	}
	posted, err := s.PostedIDs(ctx, sub.ID, ids)
	if err != nil || len(posted) != 700 || !posted["art-0699"] || posted["art-0700"] {
		t.Errorf("PostedIDs: %d, %v", len(posted), err)
	}
}

func testBeginDigestAlreadyPostedWritesNothing(t *testing.T, s digest.Store) {
	ctx := context.Background()
	sub := MustPut(t, s, "g", "c")
	first, err := s.BeginDigest(ctx, sub.ID, "n1", []string{"a1", "a2"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	check := func(state string) {
		t.Helper()
		pending := pendingCount(t, s)
		_, err := s.BeginDigest(ctx, sub.ID, "n2", []string{"b1", "a2", "b2"}, time.Now())
		if !errors.Is(err, digest.ErrAlreadyPosted) {
			t.Fatalf("%s: BeginDigest = %v, want ErrAlreadyPosted", state, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "a2") || !strings.Contains(msg, fmt.Sprint(sub.ID)) {
			t.Errorf("%s: error %q does not name the article and the subscription", state, msg)
		}
		if p := pendingCount(t, s); p != pending {
			t.Errorf("%s: failed BeginDigest recorded a digest: pending %d -> %d", state, pending, p)
		}
		got, err := s.PostedIDs(ctx, sub.ID, []string{"b1", "b2"})
		if err != nil || len(got) != 0 {
			t.Errorf("%s: b1/b2 recorded: %v, %v", state, got, err)
		}
	}
	check("pending")
	if err := s.MarkSent(ctx, first.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	check("sent")
}

func testBeginDigestValidation(t *testing.T, s digest.Store) {
	ctx := context.Background()
	sub := MustPut(t, s, "g", "c")
	now := time.Now()
	for name, tc := range map[string]struct {
		subID    int64
		nonce    string
		articles []string
		want     error
	}{
		"empty nonce":   {sub.ID, "", []string{"a"}, nil},
		"long nonce":    {sub.ID, strings.Repeat("n", digest.MaxNonceLen+1), []string{"a"}, nil},
		"no articles":   {sub.ID, "n", nil, nil},
		"empty article": {sub.ID, "n", []string{"a", ""}, nil},
		"duplicate":     {sub.ID, "n", []string{"a", "b", "a"}, nil},
		"unknown sub":   {sub.ID + 100, "n", []string{"a"}, digest.ErrNotFound},
	} {
		_, err := s.BeginDigest(ctx, tc.subID, tc.nonce, tc.articles, now)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := s.BeginDigest(ctx, sub.ID, strings.Repeat("n", digest.MaxNonceLen), []string{"ok"}, now); err != nil {
		t.Errorf("nonce of MaxNonceLen bytes: %v", err)
	}
	if n := pendingCount(t, s); n != 1 {
		t.Errorf("%d digests, want 1", n)
	}
}

func testCancelDigestReleasesArticles(t *testing.T, s digest.Store) {
	ctx := context.Background()
	sub := MustPut(t, s, "g", "c")
	d, err := s.BeginDigest(ctx, sub.ID, "n1", []string{"a1", "a2"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CancelDigest(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if posted, err := s.PostedIDs(ctx, sub.ID, []string{"a1", "a2"}); err != nil || len(posted) != 0 {
		t.Errorf("PostedIDs after cancel = %v, %v", posted, err)
	}
	if pending, err := s.PendingDigests(ctx); err != nil || len(pending) != 0 {
		t.Errorf("PendingDigests after cancel = %+v, %v", pending, err)
	}
	if err := s.CancelDigest(ctx, d.ID); !errors.Is(err, digest.ErrNotFound) {
		t.Errorf("cancel twice: %v", err)
	}

	d2, err := s.BeginDigest(ctx, sub.ID, "n2", []string{"a2", "a1"}, time.Now())
	if err != nil {
		t.Fatalf("articles not released: %v", err)
	}
	if d2.ID <= d.ID {
		t.Errorf("digest ID reused: %d after %d", d2.ID, d.ID)
	}
	if err := s.MarkSent(ctx, d2.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	err = s.CancelDigest(ctx, d2.ID)
	if !errors.Is(err, digest.ErrDigestSent) || !strings.Contains(err.Error(), fmt.Sprint(d2.ID)) {
		t.Errorf("cancel sent digest: %v", err)
	}
	if posted, err := s.PostedIDs(ctx, sub.ID, []string{"a1", "a2"}); err != nil || len(posted) != 2 {
		t.Errorf("refused cancel changed posted records: %v, %v", posted, err)
	}
}

func testRecordRunAndPause(t *testing.T, s digest.Store) {
	ctx := context.Background()
	sub := MustPut(t, s, "g", "c")
	MustPut(t, s, "g", "d")
	if sub.Paused != "" || !sub.LastRunAt.IsZero() || sub.LastOutcome != "" {
		t.Errorf("new subscription: %+v", sub)
	}
	run := time.Date(2025, 2, 3, 7, 0, 0, 0, time.FixedZone("EST", -5*3600))
	if err := s.RecordRun(ctx, sub.ID, run, "posted 3"); err != nil {
		t.Fatal(err)
	}
	if err := s.Pause(ctx, sub.ID, "403 Missing Access"); err != nil {
		t.Fatal(err)
	}
	subs, err := s.Subscriptions(ctx, "g")
	if err != nil || len(subs) != 2 {
		t.Fatalf("Subscriptions = %+v, %v", subs, err)
	}
	if got := subs[0]; !got.LastRunAt.Equal(run) || got.LastRunAt.Location() != time.UTC ||
		got.LastOutcome != "posted 3" || got.Paused != "403 Missing Access" {
		t.Errorf("after RecordRun+Pause: %+v", got)
	}
	if got := subs[1]; got.Paused != "" || !got.LastRunAt.IsZero() {
		t.Errorf("other subscription changed: %+v", got)
	}

	if err := s.RecordRun(ctx, 999, run, "x"); !errors.Is(err, digest.ErrNotFound) || !strings.Contains(err.Error(), "999") {
		t.Errorf("RecordRun(unknown) = %v", err)
	}
	if err := s.Pause(ctx, 999, "x"); !errors.Is(err, digest.ErrNotFound) {
		t.Errorf("Pause(unknown) = %v", err)
	}
	if err := s.Pause(ctx, sub.ID, ""); err == nil {
		t.Error("Pause with empty reason succeeded")
	}
}

// testConcurrentBeginDigest runs the scheduler's burst: many subscriptions
// falling due at once, each checked with PostedIDs and recorded with
// BeginDigest + MarkSent from its own goroutine, while others list.
func testConcurrentBeginDigest(t *testing.T, s digest.Store) {
	ctx := context.Background()
	const subs, digestsEach = 32, 5
	ids := make([]int64, subs)
	for i := range ids {
		ids[i] = MustPut(t, s, "g", fmt.Sprintf("c%02d", i)).ID
	}
	var wg sync.WaitGroup
	errs := make(chan error, subs*2)
	for i, id := range ids {
		wg.Go(func() {
			for j := range digestsEach {
				arts := []string{fmt.Sprintf("a%d-%d", j, 0), fmt.Sprintf("a%d-%d", j, 1), "shared"}
				if j > 0 {
					arts = arts[:2]
				}
				if _, err := s.PostedIDs(ctx, id, arts); err != nil {
					errs <- err
					return
				}
				d, err := s.BeginDigest(ctx, id, fmt.Sprintf("n%d-%d", i, j), arts, time.Now())
				if err != nil {
					errs <- err
					return
				}
				if err := s.MarkSent(ctx, d.ID, time.Now()); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() {
			for range digestsEach {
				if _, err := s.Subscriptions(ctx, ""); err != nil {
					errs <- err
					return
				}
				if _, err := s.PendingDigests(ctx); err != nil {
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
	if n := pendingCount(t, s); n != 0 {
		t.Errorf("%d digests left pending, want every one sent", n)
	}
	var want []string
	for j := range digestsEach {
		want = append(want, fmt.Sprintf("a%d-0", j), fmt.Sprintf("a%d-1", j))
	}
	want = append(want, "shared")
	for _, id := range ids {
		if posted, err := s.PostedIDs(ctx, id, want); err != nil || len(posted) != len(want) {
			t.Errorf("subscription %d: %d of %d articles posted, %v", id, len(posted), len(want), err)
		}
	}
}

// testConcurrentSameArticle races goroutines to post the same article to
// one subscription: exactly one may win.
func testConcurrentSameArticle(t *testing.T, s digest.Store) {
	ctx := context.Background()
	sub := MustPut(t, s, "g", "c")
	const racers = 20
	var wg sync.WaitGroup
	results := make(chan error, racers)
	for i := range racers {
		wg.Go(func() {
			_, err := s.BeginDigest(ctx, sub.ID, fmt.Sprintf("n%d", i), []string{fmt.Sprintf("own%d", i), "hot"}, time.Now())
			results <- err
		})
	}
	wg.Wait()
	close(results)
	won := 0
	for err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, digest.ErrAlreadyPosted):
			t.Error(err)
		}
	}
	if won != 1 {
		t.Errorf("%d BeginDigest calls won, want 1", won)
	}
}

func testContextCanceled(t *testing.T, s digest.Store) {
	sub := MustPut(t, s, "g", "c")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.BeginDigest(ctx, sub.ID, "n", []string{"a"}, time.Now()); !errors.Is(err, context.Canceled) {
		t.Errorf("BeginDigest with canceled context: %v", err)
	}
	if posted, err := s.PostedIDs(context.Background(), sub.ID, []string{"a"}); err != nil || len(posted) != 0 {
		t.Errorf("canceled BeginDigest wrote: %v, %v", posted, err)
	}
}
