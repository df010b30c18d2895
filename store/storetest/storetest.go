// Package storetest is the contract suite for digest.Store: the behaviour
// every backend must show, checked only through the interface. A backend's
// own tests call Run with a constructor of empty stores, and keep what is
// particular to it (files, migrations, SQL) in tests of their own.
//
// Times are compared as instants, in UTC, with fractions of a second that
// a backend keeping microseconds (PostgreSQL) stores as they are: the
// contract promises what a store was given back, not nanoseconds.
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

	"newsbrief/bot/digest"
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
		{"ClaimRunAlreadyPostedWritesNothing", testClaimRunAlreadyPostedWritesNothing},
		{"ClaimRunValidation", testClaimRunValidation},
		{"CancelDigestReleasesArticles", testCancelDigestReleasesArticles},
		{"RecordRunAndPause", testRecordRunAndPause},
		{"NamesInOneChannel", testNamesInOneChannel},
		{"HistoryBounded", testHistoryBounded},
		{"PostedOn", testPostedOn},
		{"ConcurrentDigests", testConcurrentDigests},
		{"ConcurrentClaims", testConcurrentClaims},
		{"NextRuns", testNextRuns},
		{"WakeInstant", testWakeInstant},
		{"Backlog", testBacklog},
		{"ClaimRun", testClaimRun},
		{"Prune", testPrune},
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

// Begin records a pending digest of articleIDs for the subscription as the
// digest service does, by claiming the subscription's next run (after
// scheduling one, when it has none) as a run scheduled for scheduledFor.
// Tests that need a digest in the store, but are not about claims, use it.
func Begin(ctx context.Context, s digest.Store, subID int64, nonce string, articleIDs []string, scheduledFor time.Time) (digest.Digest, error) {
	sub, err := s.SubscriptionByID(ctx, subID)
	if err != nil {
		return digest.Digest{}, err
	}
	due := sub.NextRun
	if due.IsZero() {
		due = time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
		if _, err := s.SetNextRun(ctx, subID, time.Time{}, due); err != nil {
			return digest.Digest{}, err
		}
	}
	return s.ClaimRun(ctx, digest.Run{SubscriptionID: subID, Due: due, ScheduledFor: scheduledFor, Next: due.Add(time.Hour)}, nonce, articleIDs)
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
	// A fraction of a second that survives a backend keeping microseconds
	// (PostgreSQL's timestamptz); the contract promises the instant back,
	// not more digits than that.
	created := time.Date(2025, 3, 1, 8, 30, 0, 123_456_000, time.FixedZone("CET", 3600))
	sub, err := s.PutSubscription(ctx, digest.Subscription{
		ID: 999, GuildID: "g1", ChannelID: "c2", Name: "morning", Schedule: "@daily", Timezone: "Europe/Paris",
		Count: 5, Topic: "science", Source: "BBC News", CreatedBy: "u7", CreatedAt: created,
		Paused: "ignored", LastOutcome: "ignored",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := digest.Subscription{
		ID: sub.ID, GuildID: "g1", ChannelID: "c2", Name: "morning", Schedule: "@daily", Timezone: "Europe/Paris",
		Count: 5, Topic: "science", Source: "BBC News", CreatedBy: "u7", CreatedAt: created.UTC(),
	}
	if sub.ID == 999 || sub != want {
		t.Fatalf("put returned %+v, want %+v", sub, want)
	}
	MustPut(t, s, "g1", "c1")
	MustPut(t, s, "g0", "c9")

	got, err := s.Subscription(ctx, "g1", "c2", "morning")
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

	// Replace: same ID, new fields; the source goes back to all.
	repl, err := s.PutSubscription(ctx, digest.Subscription{
		GuildID: "g1", ChannelID: "c2", Name: "morning", Schedule: "0 7 * * 1-5", Timezone: "UTC",
		Count: 2, Topic: "", CreatedBy: "u8",
	})
	if err != nil {
		t.Fatal(err)
	}
	if repl.ID != sub.ID || repl.Schedule != "0 7 * * 1-5" || repl.Timezone != "UTC" || repl.Count != 2 ||
		repl.Topic != "" || repl.Source != "" || repl.CreatedBy != "u8" || !repl.CreatedAt.After(created) {
		t.Errorf("replace returned %+v", repl)
	}
	if got, err := s.Subscription(ctx, "g1", "c2", "morning"); err != nil || got.Source != "" {
		t.Errorf("source after replace = %q, %v; want all (\"\")", got.Source, err)
	}
	// A source of any case and script round-trips as given.
	withSource := func(source string) {
		t.Helper()
		put, err := s.PutSubscription(ctx, digest.Subscription{
			GuildID: "g1", ChannelID: "c2", Name: "morning", Schedule: "@daily", Timezone: "UTC", Count: 1, Source: source,
		})
		got, gerr := s.SubscriptionByID(ctx, sub.ID)
		if err != nil || gerr != nil || put.Source != source || got.Source != source {
			t.Errorf("source %q: put %q (%v), read %q (%v)", source, put.Source, err, got.Source, gerr)
		}
	}
	withSource("Süddeutsche Zeitung")
	withSource("articles")
	if all, err := s.Subscriptions(ctx, ""); err != nil || len(all) != 3 {
		t.Errorf("%d subscriptions after replace, want 3 (%v)", len(all), err)
	}

	ok, err := s.DeleteSubscription(ctx, "g1", "c2", "morning")
	if err != nil || !ok {
		t.Errorf("delete = %v, %v", ok, err)
	}
	ok, err = s.DeleteSubscription(ctx, "g1", "c2", "morning")
	if err != nil || ok {
		t.Errorf("second delete = %v, %v", ok, err)
	}
	_, err = s.Subscription(ctx, "g1", "c2", "morning")
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
	d, err := Begin(ctx, s, sub.ID, "n1", []string{"a1", "a2"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, d.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	run := time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)
	if err := s.RecordRun(ctx, digest.RunRecord{SubscriptionID: sub.ID, ScheduledFor: run, Outcome: "posted 2"}); err != nil {
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
	if _, err := Begin(ctx, s, repl.ID, "n2", []string{"a1"}, time.Now()); !errors.Is(err, digest.ErrAlreadyPosted) {
		t.Errorf("re-posting after replace: %v", err)
	}
}

func testDeleteCascades(t *testing.T, s digest.Store) {
	ctx := context.Background()
	sub := MustPut(t, s, "g", "c")
	other := MustPut(t, s, "g", "other")
	d1, err := Begin(ctx, s, sub.ID, "n1", []string{"a1", "a2"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, d1.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := Begin(ctx, s, sub.ID, "n2", []string{"a3"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := Begin(ctx, s, other.ID, "n3", []string{"a1"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.DeleteSubscription(ctx, "g", "c", "tech"); !ok || err != nil {
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
	d1, err := Begin(ctx, s, sub.ID, "nb-1-abc", []string{"z", "a", "m"}, sched)
	if err != nil {
		t.Fatal(err)
	}
	if d1.SubscriptionID != sub.ID || d1.ChannelID != "c" || d1.Nonce != "nb-1-abc" ||
		!slices.Equal(d1.ArticleIDs, []string{"z", "a", "m"}) || !d1.ScheduledFor.Equal(sched) ||
		d1.CreatedAt.IsZero() || !d1.SentAt.IsZero() {
		t.Errorf("ClaimRun returned %+v", d1)
	}
	d2, err := Begin(ctx, s, other.ID, "nb-2", []string{"a"}, sched) // same article, other subscription
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
	if _, err := Begin(ctx, s, sub.ID, "n", ids[:700:700], time.Now()); err != nil {
		t.Fatal(err)
	}
	posted, err := s.PostedIDs(ctx, sub.ID, ids)
	if err != nil || len(posted) != 700 || !posted["art-0699"] || posted["art-0700"] {
		t.Errorf("PostedIDs: %d, %v", len(posted), err)
	}
}

func testClaimRunAlreadyPostedWritesNothing(t *testing.T, s digest.Store) {
	ctx := context.Background()
	sub := MustPut(t, s, "g", "c")
	first, err := Begin(ctx, s, sub.ID, "n1", []string{"a1", "a2"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	check := func(state string) {
		t.Helper()
		pending := pendingCount(t, s)
		_, err := Begin(ctx, s, sub.ID, "n2", []string{"b1", "a2", "b2"}, time.Now())
		if !errors.Is(err, digest.ErrAlreadyPosted) {
			t.Fatalf("%s: ClaimRun = %v, want ErrAlreadyPosted", state, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "a2") || !strings.Contains(msg, fmt.Sprint(sub.ID)) {
			t.Errorf("%s: error %q does not name the article and the subscription", state, msg)
		}
		if p := pendingCount(t, s); p != pending {
			t.Errorf("%s: failed ClaimRun recorded a digest: pending %d -> %d", state, pending, p)
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

// testClaimRunValidation: a claim with articles needs a usable nonce and
// distinct, non-empty IDs, and a refused one writes nothing, not even the
// claim.
func testClaimRunValidation(t *testing.T, s digest.Store) {
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
		"empty article": {sub.ID, "n", []string{"a", ""}, nil},
		"duplicate":     {sub.ID, "n", []string{"a", "b", "a"}, nil},
		"unknown sub":   {sub.ID + 100, "n", []string{"a"}, digest.ErrNotFound},
	} {
		now = now.Add(time.Second)
		_, err := Begin(ctx, s, tc.subID, tc.nonce, tc.articles, now)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Begin(ctx, s, sub.ID, strings.Repeat("n", digest.MaxNonceLen), []string{"ok"}, now.Add(time.Minute)); err != nil {
		t.Errorf("nonce of MaxNonceLen bytes: %v", err)
	}
	if n := pendingCount(t, s); n != 1 {
		t.Errorf("%d digests, want 1", n)
	}
}

func testCancelDigestReleasesArticles(t *testing.T, s digest.Store) {
	ctx := context.Background()
	sub := MustPut(t, s, "g", "c")
	d, err := Begin(ctx, s, sub.ID, "n1", []string{"a1", "a2"}, time.Now())
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

	d2, err := Begin(ctx, s, sub.ID, "n2", []string{"a2", "a1"}, time.Now())
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
	if err := s.RecordRun(ctx, digest.RunRecord{SubscriptionID: sub.ID, ScheduledFor: run, Outcome: "posted 3"}); err != nil {
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

	if err := s.RecordRun(ctx, digest.RunRecord{SubscriptionID: 999, ScheduledFor: run, Outcome: "x"}); !errors.Is(err, digest.ErrNotFound) || !strings.Contains(err.Error(), "999") {
		t.Errorf("RecordRun(unknown) = %v", err)
	}
	if err := s.Pause(ctx, 999, "x"); !errors.Is(err, digest.ErrNotFound) {
		t.Errorf("Pause(unknown) = %v", err)
	}
	if err := s.Pause(ctx, sub.ID, ""); err == nil {
		t.Error("Pause with empty reason succeeded")
	}
}

// testConcurrentDigests runs the scheduler's burst: many subscriptions
// falling due at once, each checked with PostedIDs and recorded with
// ClaimRun + MarkSent from its own goroutine, while others list.
func testConcurrentDigests(t *testing.T, s digest.Store) {
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
				d, err := Begin(ctx, s, id, fmt.Sprintf("n%d-%d", i, j), arts, time.Now())
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

// testConcurrentClaims races goroutines, as processes sharing the
// database would, to claim the same due run with digests sharing an
// article: exactly one may win, the others learn the run was claimed, and
// only the winner's digest and articles are recorded.
func testConcurrentClaims(t *testing.T, s digest.Store) {
	ctx := context.Background()
	due := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	sub := putScheduled(t, s, "g", "c", due)
	run := digest.Run{SubscriptionID: sub.ID, Due: due, ScheduledFor: due, Next: due.Add(24 * time.Hour)}
	const racers = 20
	var wg sync.WaitGroup
	results := make(chan error, racers)
	for i := range racers {
		wg.Go(func() {
			_, err := s.ClaimRun(ctx, run, fmt.Sprintf("n%d", i), []string{fmt.Sprintf("own%d", i), "hot"})
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
		case !errors.Is(err, digest.ErrRunClaimed):
			t.Errorf("losing claim: %v, want ErrRunClaimed", err)
		}
	}
	if won != 1 {
		t.Errorf("%d claims of one run won, want 1", won)
	}
	pending, err := s.PendingDigests(ctx)
	if err != nil || len(pending) != 1 || len(pending[0].ArticleIDs) != 2 || pending[0].ArticleIDs[1] != "hot" {
		t.Errorf("pending after the race: %+v, %v", pending, err)
	}
	var own []string
	for i := range racers {
		own = append(own, fmt.Sprintf("own%d", i))
	}
	if posted, err := s.PostedIDs(ctx, sub.ID, own); err != nil || len(posted) != 1 {
		t.Errorf("%d racers' articles recorded, want the winner's 1 (%v)", len(posted), err)
	}
	if got, err := s.SubscriptionByID(ctx, sub.ID); err != nil || !got.NextRun.Equal(run.Next) {
		t.Errorf("next run after the race: %v, %v; want %v", got.NextRun, err, run.Next)
	}
}

// putScheduled stores a subscription of guild/channel whose next run is
// next.
func putScheduled(t *testing.T, s digest.Store, guild, channel string, next time.Time) digest.Subscription {
	t.Helper()
	sub, err := s.PutSubscription(context.Background(), digest.Subscription{
		GuildID: guild, ChannelID: channel, Schedule: "0 9 * * *", Timezone: "UTC", Count: 3, NextRun: next,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sub.NextRun.Equal(next) {
		t.Fatalf("PutSubscription stored next run %v, want %v", sub.NextRun, next)
	}
	return sub
}

// testNextRuns: the next run is stored with the subscription, replaced by
// PutSubscription, moved only by a compare-and-set, and what
// DueSubscriptions and EarliestRun answer from, paused subscriptions
// excepted.
func testNextRuns(t *testing.T, s digest.Store) {
	ctx := context.Background()
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	if _, ok, err := s.EarliestRun(ctx); ok || err != nil {
		t.Errorf("EarliestRun of an empty store: %v, %v", ok, err)
	}
	a := putScheduled(t, s, "g", "a", t0)
	b := putScheduled(t, s, "g", "b", t0.Add(time.Hour))
	c := putScheduled(t, s, "g", "c", t0.Add(-time.Hour))
	none := MustPut(t, s, "g", "none")
	if !none.NextRun.IsZero() {
		t.Errorf("a subscription stored without a next run has one: %v", none.NextRun)
	}
	if err := s.Pause(ctx, c.ID, "403 Missing Access"); err != nil {
		t.Fatal(err)
	}

	due := func(at time.Time) (ids []int64) {
		t.Helper()
		subs, err := s.DueSubscriptions(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		for _, sub := range subs {
			ids = append(ids, sub.ID)
		}
		return ids
	}
	if got := due(t0.Add(-time.Second)); len(got) != 0 {
		t.Errorf("due before any run (the paused one excepted): %v", got)
	}
	if got := due(t0); !slices.Equal(got, []int64{a.ID}) {
		t.Errorf("due at t0: %v, want [%d] (at or before, paused excepted)", got, a.ID)
	}
	if got := due(t0.Add(2 * time.Hour)); !slices.Equal(got, []int64{a.ID, b.ID}) {
		t.Errorf("due later: %v, want [%d %d], earliest first", got, a.ID, b.ID)
	}
	if subs, _ := s.DueSubscriptions(ctx, t0); len(subs) != 1 || !subs[0].NextRun.Equal(t0) || subs[0].ChannelID != "a" {
		t.Errorf("due subscription as returned: %+v", subs)
	}
	if next, ok, err := s.EarliestRun(ctx); !ok || err != nil || !next.Equal(t0) {
		t.Errorf("EarliestRun = %v, %v, %v; want %v (the paused one's is earlier, and ignored)", next, ok, err, t0)
	}

	// Compare-and-set: only from the current value.
	for _, tc := range []struct {
		id       int64
		from, to time.Time
		want     bool
	}{
		{a.ID, t0.Add(time.Minute), t0.Add(24 * time.Hour), false},
		{a.ID, time.Time{}, t0.Add(24 * time.Hour), false},
		{a.ID, t0, t0.Add(24 * time.Hour), true},
		{a.ID, t0, t0.Add(48 * time.Hour), false},
		{none.ID, time.Time{}, t0.Add(30 * time.Minute), true},
		{b.ID, t0.Add(time.Hour), time.Time{}, true},
		{12345, time.Time{}, t0, false},
	} {
		if ok, err := s.SetNextRun(ctx, tc.id, tc.from, tc.to); ok != tc.want || err != nil {
			t.Errorf("SetNextRun(%d, %v -> %v) = %v, %v; want %v", tc.id, tc.from, tc.to, ok, err, tc.want)
		}
	}
	for id, want := range map[int64]time.Time{a.ID: t0.Add(24 * time.Hour), none.ID: t0.Add(30 * time.Minute), b.ID: {}} {
		if got, err := s.SubscriptionByID(ctx, id); err != nil || !got.NextRun.Equal(want) {
			t.Errorf("subscription %d: next run %v, %v; want %v", id, got.NextRun, err, want)
		}
	}
	if next, ok, err := s.EarliestRun(ctx); !ok || err != nil || !next.Equal(t0.Add(30*time.Minute)) {
		t.Errorf("EarliestRun after moves = %v, %v, %v", next, ok, err)
	}

	// Subscribing again resumes with the new next run.
	c2 := putScheduled(t, s, "g", "c", t0.Add(10*time.Minute))
	if c2.ID != c.ID || c2.Paused != "" {
		t.Errorf("re-subscribed: %+v", c2)
	}
	if next, _, _ := s.EarliestRun(ctx); !next.Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("EarliestRun after re-subscribing = %v", next)
	}
}

// testBacklog: the due runs waiting, counted as DueSubscriptions lists
// them (at or before now, paused and unscheduled ones excepted), with the
// earliest next run among them, and nothing once a claim moves it on.
func testBacklog(t *testing.T, s digest.Store) {
	ctx := context.Background()
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	backlog := func(at time.Time) digest.Backlog {
		t.Helper()
		b, err := s.Backlog(ctx, at)
		if err != nil {
			t.Fatalf("Backlog(%v): %v", at, err)
		}
		return b
	}
	if b := backlog(t0); b.Waiting != 0 || !b.Oldest.IsZero() {
		t.Errorf("Backlog of an empty store = %+v, want none", b)
	}
	a := putScheduled(t, s, "g", "a", t0.Add(-time.Hour))
	putScheduled(t, s, "g", "b", t0)
	putScheduled(t, s, "g", "later", t0.Add(time.Hour))
	paused := putScheduled(t, s, "g", "paused", t0.Add(-2*time.Hour))
	MustPut(t, s, "g", "unscheduled")
	if err := s.Pause(ctx, paused.ID, "404 Unknown Channel"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at     time.Time
		want   int
		oldest time.Time
	}{
		{t0.Add(-2 * time.Hour), 0, time.Time{}},
		{t0.Add(-time.Hour), 1, t0.Add(-time.Hour)},
		{t0, 2, t0.Add(-time.Hour)},
		{t0.Add(2 * time.Hour), 3, t0.Add(-time.Hour)},
	} {
		if b := backlog(tc.at); b.Waiting != tc.want || !b.Oldest.Equal(tc.oldest) {
			t.Errorf("Backlog(%v) = %+v, want %d waiting, oldest %v (paused and unscheduled excepted)", tc.at, b, tc.want, tc.oldest)
		}
	}
	run := digest.Run{SubscriptionID: a.ID, Due: a.NextRun, ScheduledFor: a.NextRun, Next: t0.Add(24 * time.Hour)}
	if _, err := s.ClaimRun(ctx, run, "", nil); err != nil {
		t.Fatal(err)
	}
	if b := backlog(t0); b.Waiting != 1 || !b.Oldest.Equal(t0) {
		t.Errorf("Backlog after claiming the oldest = %+v, want 1 waiting, oldest %v", b, t0)
	}
}

// testClaimRun: claiming moves the next run, records the claim (with the
// digest when there are articles, alone when there is nothing new), and a
// run can be claimed once: not again, not when its subscription moved on,
// is paused or is gone.
func testClaimRun(t *testing.T, s digest.Store) {
	ctx := context.Background()
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	sub := putScheduled(t, s, "g", "c", t0)

	// Nothing new: claimed, no digest.
	run := digest.Run{SubscriptionID: sub.ID, Due: t0, ScheduledFor: t0, Next: t0.Add(day)}
	d, err := s.ClaimRun(ctx, run, "", nil)
	if err != nil || d.ID != 0 {
		t.Fatalf("claim with nothing new = %+v, %v", d, err)
	}
	if n := pendingCount(t, s); n != 0 {
		t.Errorf("nothing new recorded %d digests", n)
	}
	if got, _ := s.SubscriptionByID(ctx, sub.ID); !got.NextRun.Equal(t0.Add(day)) {
		t.Errorf("next run after claim: %v", got.NextRun)
	}
	if _, err := s.ClaimRun(ctx, run, "", nil); !errors.Is(err, digest.ErrRunClaimed) {
		t.Errorf("claiming the same run again: %v", err)
	}
	// The claim is unique per scheduled time even if the next run is put
	// back on it (a re-subscription by a process whose clock is behind):
	// refused, with the next run moved on so that it is not stuck there.
	if _, err := s.SetNextRun(ctx, sub.ID, t0.Add(day), t0); err != nil {
		t.Fatal(err)
	}
	again := digest.Run{SubscriptionID: sub.ID, Due: t0, ScheduledFor: t0, Next: t0.Add(day)}
	if _, err := s.ClaimRun(ctx, again, "n", []string{"x"}); !errors.Is(err, digest.ErrRunClaimed) {
		t.Errorf("claiming a scheduled time twice: %v", err)
	}
	if got, _ := s.SubscriptionByID(ctx, sub.ID); !got.NextRun.Equal(t0.Add(day)) {
		t.Errorf("after a refused claim of a made time, next run %v, want %v", got.NextRun, t0.Add(day))
	}
	if posted, _ := s.PostedIDs(ctx, sub.ID, []string{"x"}); len(posted) != 0 || pendingCount(t, s) != 0 {
		t.Errorf("a refused claim recorded its digest")
	}

	// A run with articles: the digest is recorded with the claim. A run
	// missed and made late carries its own scheduled time.
	late := t0.Add(day + 3*time.Hour)
	run = digest.Run{SubscriptionID: sub.ID, Due: t0.Add(day), ScheduledFor: late, Next: t0.Add(2 * day)}
	d, err = s.ClaimRun(ctx, run, "nonce-1", []string{"a1", "a2"})
	if err != nil {
		t.Fatal(err)
	}
	if d.ID == 0 || d.SubscriptionID != sub.ID || d.ChannelID != "c" || d.Nonce != "nonce-1" ||
		!slices.Equal(d.ArticleIDs, []string{"a1", "a2"}) || !d.ScheduledFor.Equal(late) {
		t.Errorf("claimed digest: %+v", d)
	}
	if pending, err := s.PendingDigests(ctx); err != nil || len(pending) != 1 || pending[0].ID != d.ID {
		t.Errorf("pending after claim: %+v, %v", pending, err)
	}

	// A paused subscription's run cannot be claimed; nor a deleted one's.
	if err := s.Pause(ctx, sub.ID, "404 Unknown Channel"); err != nil {
		t.Fatal(err)
	}
	run = digest.Run{SubscriptionID: sub.ID, Due: t0.Add(2 * day), ScheduledFor: t0.Add(2 * day), Next: t0.Add(3 * day)}
	if _, err := s.ClaimRun(ctx, run, "", nil); !errors.Is(err, digest.ErrRunClaimed) {
		t.Errorf("claiming a paused subscription's run: %v", err)
	}
	other := putScheduled(t, s, "g", "other", t0)
	if _, err := s.DeleteSubscription(ctx, "g", "other", "digest"); err != nil {
		t.Fatal(err)
	}
	run = digest.Run{SubscriptionID: other.ID, Due: t0, ScheduledFor: t0, Next: t0.Add(day)}
	if _, err := s.ClaimRun(ctx, run, "", nil); !errors.Is(err, digest.ErrRunClaimed) {
		t.Errorf("claiming a deleted subscription's run: %v", err)
	}

	// A zero Next leaves the subscription unscheduled.
	last := putScheduled(t, s, "g", "last", t0)
	if _, err := s.ClaimRun(ctx, digest.Run{SubscriptionID: last.ID, Due: t0, ScheduledFor: t0}, "", nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SubscriptionByID(ctx, last.ID); !got.NextRun.IsZero() {
		t.Errorf("next run after a final run: %v", got.NextRun)
	}
	if due, _ := s.DueSubscriptions(ctx, t0.Add(365*day)); len(due) != 0 {
		t.Errorf("due after every run was claimed (or paused): %+v", due)
	}
}

// testPrune: pruning forgets sent digests and claims past their retention
// and posted records of articles gone from the library past theirs, and
// keeps the rest: above all the records of articles still in the library,
// however old, so they are never posted again.
func testPrune(t *testing.T, s digest.Store) {
	ctx := context.Background()
	day := 24 * time.Hour
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	keep := digest.Retention{Gone: 7 * day, Sent: 30 * day, Runs: 30 * day}
	sub := MustPut(t, s, "g", "c")
	begin := func(nonce string, ids []string, scheduled, sent time.Time) digest.Digest {
		t.Helper()
		d, err := Begin(ctx, s, sub.ID, nonce, ids, scheduled)
		if err != nil {
			t.Fatal(err)
		}
		if !sent.IsZero() {
			if err := s.MarkSent(ctx, d.ID, sent); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	begin("old", []string{"a1", "a2"}, now.Add(-40*day), now.Add(-40*day))
	begin("recent", []string{"a3"}, now.Add(-day), now.Add(-day))
	pending := begin("pending", []string{"a4"}, now.Add(-50*day), time.Time{})
	all := []string{"a1", "a2", "a3", "a4"}
	posted := func(when string, want ...string) {
		t.Helper()
		got, err := s.PostedIDs(ctx, sub.ID, all)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, id := range all {
			if got[id] {
				ids = append(ids, id)
			}
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s: posted %v, want %v", when, ids, want)
		}
	}
	prune := func(at time.Time, lib []string, k digest.Retention, want digest.Pruned) {
		t.Helper()
		got, err := s.Prune(ctx, at, lib, k)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("Prune at %s with %v: %+v, want %+v", at.Format(time.DateOnly), lib, got, want)
		}
	}

	// a2 and a4 left the library; a1 and a3 are in it.
	// The claims scheduled 40 and 50 days ago go (a pending digest keeps
	// its own record, not its claim's).
	prune(now, []string{"a1", "a3", "zz"}, keep, digest.Pruned{Digests: 1, Runs: 2})
	posted("after the first prune (the old digest went, its articles stay)", all...)
	if _, err := Begin(ctx, s, sub.ID, "again", []string{"a1"}, now); !errors.Is(err, digest.ErrAlreadyPosted) {
		t.Errorf("posting an article of a pruned digest again: %v", err)
	}
	// A week on, a2's record goes; a4's stays while its digest is pending.
	prune(now.Add(7*day), []string{"a1", "a3"}, keep, digest.Pruned{Posted: 1})
	posted("a week after a2 left", "a1", "a3", "a4")
	if p, err := s.PendingDigests(ctx); err != nil || len(p) != 1 || p[0].ID != pending.ID || !slices.Equal(p[0].ArticleIDs, []string{"a4"}) {
		t.Errorf("pending digest after pruning: %+v, %v", p, err)
	}
	// In the library forever, kept forever.
	prune(now.Add(400*day), []string{"a1", "a3"}, keep, digest.Pruned{Digests: 1, Runs: 1})
	posted("400 days on", "a1", "a3", "a4")
	// a3 leaves, comes back before its grace ends: its clock starts over.
	prune(now.Add(401*day), []string{"a1"}, keep, digest.Pruned{})
	prune(now.Add(405*day), []string{"a1", "a3"}, keep, digest.Pruned{})
	prune(now.Add(410*day), []string{"a1"}, keep, digest.Pruned{})
	prune(now.Add(416*day), []string{"a1"}, keep, digest.Pruned{})
	posted("a3 gone 6 days after coming back", "a1", "a3", "a4")
	prune(now.Add(417*day), []string{"a1"}, keep, digest.Pruned{Posted: 1})
	posted("a3 gone 7 days", "a1", "a4")
	// Zero retention keeps everything, even with an empty library.
	prune(now.Add(9000*day), nil, digest.Retention{}, digest.Pruned{})
	posted("with zero retention", "a1", "a4")
	// Once a3's record is gone, a3 may be posted again: the documented
	// price of bounded growth, for an article that left and came back
	// after the grace.
	if _, err := Begin(ctx, s, sub.ID, "back", []string{"a3"}, now.Add(420*day)); err != nil {
		t.Errorf("posting an article whose record was pruned: %v", err)
	}
}

func testContextCanceled(t *testing.T, s digest.Store) {
	sub := MustPut(t, s, "g", "c")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	run := digest.Run{SubscriptionID: sub.ID, Due: time.Now(), ScheduledFor: time.Now()}
	if _, err := s.ClaimRun(ctx, run, "n", []string{"a"}); !errors.Is(err, context.Canceled) {
		t.Errorf("ClaimRun with canceled context: %v", err)
	}
	if posted, err := s.PostedIDs(context.Background(), sub.ID, []string{"a"}); err != nil || len(posted) != 0 {
		t.Errorf("canceled ClaimRun wrote: %v, %v", posted, err)
	}
}

// testNamesInOneChannel: a channel holds several subscriptions, one per
// name, each with its own options and records; an empty name is stored
// as DefaultName; deleting one leaves the others.
func testNamesInOneChannel(t *testing.T, s digest.Store) {
	ctx := context.Background()
	put := func(sub digest.Subscription) digest.Subscription {
		t.Helper()
		sub.GuildID, sub.ChannelID, sub.Schedule, sub.Timezone, sub.Count = "g", "c", "@daily", "UTC", 3
		got, err := s.PutSubscription(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	all := put(digest.Subscription{})
	bbc := put(digest.Subscription{Source: "BBC News", Topic: "climate", Exclude: `opinion "sponsored content"`,
		Thread: true, Tag: "Science", Publish: true, Mention: "123456789012345678"})
	morning := put(digest.Subscription{Name: "morning", Mention: digest.MentionHere})
	if all.Name != "digest" || bbc.Name != "bbc-news-climate" || morning.Name != "morning" {
		t.Fatalf("names %q %q %q, want digest, bbc-news-climate, morning", all.Name, bbc.Name, morning.Name)
	}
	if all.ID == bbc.ID || bbc.ID == morning.ID {
		t.Fatal("subscriptions of one channel share an ID")
	}
	got, err := s.Subscription(ctx, "g", "c", "bbc-news-climate")
	if err != nil || got.Exclude != `opinion "sponsored content"` || !got.Thread || got.Tag != "Science" || !got.Publish ||
		got.Mention != "123456789012345678" {
		t.Fatalf("read back %+v, %v", got, err)
	}
	// Its records are its own.
	if _, err := Begin(ctx, s, bbc.ID, "n1", []string{"a1"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if posted, err := s.PostedIDs(ctx, all.ID, []string{"a1"}); err != nil || len(posted) != 0 {
		t.Errorf("another subscription of the channel sees a1 posted: %v, %v", posted, err)
	}
	// Editing keeps the ID and the records.
	edited := put(digest.Subscription{Name: "bbc-news-climate", Source: "BBC News", Topic: "climate", Count: 5})
	if edited.ID != bbc.ID || edited.Thread || edited.Exclude != "" {
		t.Errorf("edited %+v, want ID %d with the options cleared", edited, bbc.ID)
	}
	if posted, _ := s.PostedIDs(ctx, bbc.ID, []string{"a1"}); !posted["a1"] {
		t.Error("editing lost the posted records")
	}
	subs, err := s.Subscriptions(ctx, "g")
	if err != nil || len(subs) != 3 || subs[0].Name != "bbc-news-climate" || subs[1].Name != "digest" || subs[2].Name != "morning" {
		t.Errorf("list: %v, %v; want 3 ordered by name", subs, err)
	}
	if ok, err := s.DeleteSubscription(ctx, "g", "c", "digest"); !ok || err != nil {
		t.Fatalf("delete: %v, %v", ok, err)
	}
	if _, err := s.Subscription(ctx, "g", "c", "morning"); err != nil {
		t.Errorf("deleting one name deleted another: %v", err)
	}
	if _, err := s.PutSubscription(ctx, digest.Subscription{GuildID: "g", ChannelID: "c", Name: strings.Repeat("n", digest.MaxNameLen+1),
		Schedule: "@daily", Count: 1}); err == nil {
		t.Error("a name over MaxNameLen was stored")
	}
}

// testHistoryBounded: RecordRun keeps the newest HistoryLen runs of each
// subscription, newest first, with their details and links, and sets the
// last outcome.
func testHistoryBounded(t *testing.T, s digest.Store) {
	ctx := context.Background()
	sub := MustPut(t, s, "g", "c")
	other := MustPut(t, s, "g", "d")
	base := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	for i := range digest.HistoryLen + 5 {
		rec := digest.RunRecord{SubscriptionID: sub.ID, ScheduledFor: base.Add(time.Duration(i) * time.Hour),
			At: base.Add(time.Duration(i)*time.Hour + time.Second), Outcome: fmt.Sprintf("posted %d", i), URL: fmt.Sprintf("https://x/%d", i)}
		if i == digest.HistoryLen+4 {
			rec.Outcome, rec.Detail, rec.URL = "failed", "Discord answered 500", ""
		}
		if err := s.RecordRun(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordRun(ctx, digest.RunRecord{SubscriptionID: other.ID, ScheduledFor: base, Outcome: "nothing new"}); err != nil {
		t.Fatal(err)
	}
	hist, err := s.History(ctx, sub.ID, 1000)
	if err != nil || len(hist) != digest.HistoryLen {
		t.Fatalf("history: %d runs, %v; want %d", len(hist), err, digest.HistoryLen)
	}
	last := hist[0]
	if last.Outcome != "failed" || last.Detail != "Discord answered 500" || !last.ScheduledFor.Equal(base.Add(time.Duration(digest.HistoryLen+4)*time.Hour)) {
		t.Errorf("newest %+v", last)
	}
	if oldest := hist[len(hist)-1]; oldest.Outcome != "posted 5" || oldest.URL != "https://x/5" || !oldest.At.Equal(base.Add(5*time.Hour+time.Second)) {
		t.Errorf("oldest kept %+v, want run 5", oldest)
	}
	if h, err := s.History(ctx, sub.ID, 20); err != nil || len(h) != 20 || h[0] != last {
		t.Errorf("History(20): %d, %v", len(h), err)
	}
	if got, _ := s.SubscriptionByID(ctx, sub.ID); got.LastOutcome != "failed: Discord answered 500" {
		t.Errorf("last outcome %q", got.LastOutcome)
	}
	if h, _ := s.History(ctx, other.ID, 20); len(h) != 1 || h[0].Outcome != "nothing new" {
		t.Errorf("other's history %+v", h)
	}
	if err := s.RecordRun(ctx, digest.RunRecord{SubscriptionID: 99999, Outcome: "x"}); !errors.Is(err, digest.ErrNotFound) {
		t.Errorf("RecordRun(unknown) = %v", err)
	}
}

// testPostedOn: when each posted article's digest was recorded; zero once
// the digest was pruned; absent when never posted, or posted elsewhere.
func testPostedOn(t *testing.T, s digest.Store) {
	ctx := context.Background()
	sub := MustPut(t, s, "g", "c")
	other := MustPut(t, s, "g", "d")
	at := time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC)
	d, err := Begin(ctx, s, sub.ID, "n1", []string{"a1", "a2"}, at)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Begin(ctx, s, other.ID, "n2", []string{"a3"}, at); err != nil {
		t.Fatal(err)
	}
	on, err := s.PostedOn(ctx, sub.ID, []string{"a1", "a2", "a3", "a4"})
	if err != nil || len(on) != 2 || !on["a1"].Equal(at) || !on["a2"].Equal(at) || !d.ScheduledFor.Equal(at) {
		t.Errorf("PostedOn = %v, %v; want a1 and a2 at their run's time %s", on, err, at)
	}
	if on, err := s.PostedOn(ctx, sub.ID, nil); err != nil || len(on) != 0 {
		t.Errorf("PostedOn(none) = %v, %v", on, err)
	}
}

// testWakeInstant: WakeInstant makes due exactly the instant subscriptions
// waiting for a change: not one due already, paused, scheduled by the
// clock or a console preview; a second call finds none.
func testWakeInstant(t *testing.T, s digest.Store) {
	ctx := context.Background()
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	put := func(guild, channel, schedule string, next time.Time) digest.Subscription {
		t.Helper()
		sub, err := s.PutSubscription(ctx, digest.Subscription{GuildID: guild, ChannelID: channel, Schedule: schedule,
			Timezone: "UTC", Count: 3, CreatedBy: "u1", NextRun: next})
		if err != nil {
			t.Fatal(err)
		}
		return sub
	}
	waiting := put("g", "waiting", digest.Instant, time.Time{})
	due := put("g", "due", digest.Instant, t0.Add(-time.Minute))
	paused := put("g", "paused", digest.Instant, time.Time{})
	if err := s.Pause(ctx, paused.ID, "403 Missing Access"); err != nil {
		t.Fatal(err)
	}
	daily := put("g", "daily", "0 8 * * *", time.Time{})
	preview := put(digest.PreviewGuild, "console", digest.Instant, time.Time{})

	n, err := s.WakeInstant(ctx, t0)
	if err != nil || n != 1 {
		t.Fatalf("WakeInstant = %d, %v; want 1 (the waiting one)", n, err)
	}
	for _, c := range []struct {
		sub  digest.Subscription
		want time.Time
	}{{waiting, t0}, {due, t0.Add(-time.Minute)}, {paused, time.Time{}}, {daily, time.Time{}}, {preview, time.Time{}}} {
		got, err := s.SubscriptionByID(ctx, c.sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.NextRun.Equal(c.want) {
			t.Errorf("%s: next run %v, want %v", c.sub.ChannelID, got.NextRun, c.want)
		}
	}
	if n, err := s.WakeInstant(ctx, t0.Add(time.Second)); err != nil || n != 0 {
		t.Errorf("WakeInstant again = %d, %v; want 0 (the woken one is due already)", n, err)
	}
}
