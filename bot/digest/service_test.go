package digest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/bot/digest/digesttest"
	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/folder"
	"newsbrief/store/sqlite"
)

// These tests run the service over real SQLite files with a recording
// poster: what is posted and when is the service's and the store's, and
// Discord (covered end to end in package discord) has no part in it.

// recorder is a digest.Poster that keeps what it is given.
type recorder struct {
	mu    sync.Mutex
	posts []digest.Post
}

func (r *recorder) Post(_ context.Context, p digest.Post) (digest.Delivered, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posts = append(r.posts, p)
	return digest.Delivered{}, nil
}

func (r *recorder) Posts() []digest.Post {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.posts)
}

// epoch is where the tests' clocks start.
func epoch() time.Time { return time.Date(2030, 1, 7, 8, 0, 0, 0, time.UTC) }

func openStore(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// startService starts a service and stops it when the test ends.
func startService(t *testing.T, lib *briefs.Library, st digest.Store, p digest.Poster, opts ...digest.Option) *digest.Service {
	t.Helper()
	s := digest.New(lib, st, append([]digest.Option{digest.WithMinInterval(time.Second)}, opts...)...)
	if err := s.Start(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// waitRun waits until the subscription's run scheduled for at is recorded,
// polling the store: the record is the event the test waits for.
func waitRun(t *testing.T, st digest.Store, id int64, at time.Time) digest.Subscription {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		sub, err := st.SubscriptionByID(context.Background(), id)
		if err == nil && sub.LastRunAt.Equal(at) {
			return sub
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscription %d: run at %s never recorded (last %s, %v)", id, at, sub.LastRunAt, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestTwoServicesNeverPostARunTwice runs two services, as two processes
// would, on one SQLite file and one clock, with subscriptions made through
// either: at every run time both race for every subscription, and each run
// is posted by exactly one of them.
func TestTwoServicesNeverPostARunTwice(t *testing.T) {
	lib := briefstest.Library(briefstest.Articles(80, 3))
	path := filepath.Join(t.TempDir(), "nb.db")
	st1, st2 := openStore(t, path), openStore(t, path)
	clock := digesttest.NewClock(epoch())
	var r1, r2 recorder
	s1 := startService(t, lib, st1, &r1, digest.WithClock(clock))
	s2 := startService(t, lib, st2, &r2, digest.WithClock(clock))

	ctx := context.Background()
	const subs, runs = 12, 5
	var ids []int64
	for i := range subs {
		via := s1
		if i%2 == 1 {
			via = s2
		}
		sub, err := via.Subscribe(ctx, digest.Subscription{GuildID: "g", ChannelID: fmt.Sprintf("c%02d", i), Schedule: "@every 1h", Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sub.ID)
	}
	for run := 1; run <= runs; run++ {
		at := epoch().Add(time.Duration(run) * time.Hour)
		clock.Set(at)
		for _, id := range ids {
			waitRun(t, st1, id, at)
		}
	}
	perChannel := map[string][]string{}
	for _, p := range append(r1.Posts(), r2.Posts()...) {
		for _, a := range p.Articles {
			perChannel[p.ChannelID] = append(perChannel[p.ChannelID], a.ID)
		}
	}
	for i := range subs {
		ch := fmt.Sprintf("c%02d", i)
		got := perChannel[ch]
		slices.Sort(got)
		if len(got) != runs || len(slices.Compact(got)) != runs {
			t.Errorf("channel %s: %d articles posted over %d runs, want one per run, none twice", ch, len(perChannel[ch]), runs)
		}
	}
	t.Logf("posts: %d by service 1, %d by service 2", len(r1.Posts()), len(r2.Posts()))
}

// TestPruneNeverRepostsAnArticleInTheLibrary: after pruning has deleted
// the sent digest, the articles still in the library are not posted again;
// one that left the library and came back after the grace period is (the
// documented price of bounded growth).
func TestPruneNeverRepostsAnArticleInTheLibrary(t *testing.T) {
	dir := t.TempDir()
	arts := briefstest.Articles(3, 21)
	if err := folder.Write(dir, arts); err != nil {
		t.Fatal(err)
	}
	lib := briefs.New()
	src, err := folder.Load(lib, dir)
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, filepath.Join(t.TempDir(), "nb.db"))
	clock := digesttest.NewClock(epoch())
	var r recorder
	day := 24 * time.Hour
	keep := digest.Retention{Gone: 7 * day, Sent: 30 * day, Runs: 30 * day}
	s := startService(t, lib, st, &r, digest.WithClock(clock), digest.WithRetention(keep, day))
	ctx := context.Background()
	sub, err := s.Subscribe(ctx, digest.Subscription{GuildID: "g", ChannelID: "c", Schedule: "@every 1h", Count: 5})
	if err != nil {
		t.Fatal(err)
	}
	run := func(at time.Time, outcome string) {
		t.Helper()
		clock.Set(at)
		if got := waitRun(t, st, sub.ID, at); got.LastOutcome != outcome {
			t.Fatalf("run at %s: %q, want %q", at, got.LastOutcome, outcome)
		}
	}
	run(epoch().Add(time.Hour), "posted 3")

	// 40 days on, the prune that runs before the due run has deleted the
	// sent digest; its articles are still recorded, so nothing is new.
	run(epoch().Add(40*day), "nothing new")

	// One article leaves the library: the next prune notes it, and the one
	// after the grace forgets it.
	gone := filepath.Join(dir, filepath.FromSlash(arts[0].File))
	body, err := os.ReadFile(gone)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	run(epoch().Add(41*day), "nothing new")
	run(epoch().Add(48*day), "nothing new")

	// Back after the grace: posted again, alone.
	if err := os.WriteFile(gone, body, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	run(epoch().Add(48*day+time.Hour), "posted 1")
	posts := r.Posts()
	if len(posts) != 2 || len(posts[1].Articles) != 1 || posts[1].Articles[0].ID != arts[0].ID {
		t.Fatalf("posts %v, want the first digest and then only the article that came back", posts)
	}
	if n := len(posts[0].Articles); n != 3 {
		t.Errorf("first digest had %d articles, want 3", n)
	}
}

// TestRunDueWhileUpIsNotMissed: the missed-run grace applies to runs that
// fell due before the service started; with catch-up off (grace 0), a run
// falling due while the service is up is still made, even when the service
// looks at it late.
func TestRunDueWhileUpIsNotMissed(t *testing.T) {
	lib := briefstest.Library(briefstest.Articles(5, 2))
	st := openStore(t, filepath.Join(t.TempDir(), "nb.db"))
	clock := digesttest.NewClock(epoch())
	var r recorder
	s := startService(t, lib, st, &r, digest.WithClock(clock), digest.WithMissedGrace(0))
	sub, err := s.Subscribe(context.Background(), digest.Subscription{GuildID: "g", ChannelID: "c", Schedule: "@every 1h", Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(sub.NextRun.Add(time.Minute))
	if got := waitRun(t, st, sub.ID, sub.NextRun); got.LastOutcome != "posted 2" || len(r.Posts()) != 1 {
		t.Errorf("run due while up: %q, %d posts", got.LastOutcome, len(r.Posts()))
	}
}

// TestConsoleSubscriptionsAreNeverRun: a subscription made in the console
// (PreviewGuild) while a bot runs on the same database is stored but never
// scheduled, run or posted; one stored with a next run by an older build is
// unscheduled when it falls due, and a service starting later does not
// schedule either.
func TestConsoleSubscriptionsAreNeverRun(t *testing.T) {
	lib := briefstest.Library(briefstest.Articles(10, 4))
	path := filepath.Join(t.TempDir(), "nb.db")
	botStore, consoleStore := openStore(t, path), openStore(t, path)
	clock := digesttest.NewClock(epoch())
	var r recorder
	bot := startService(t, lib, botStore, &r, digest.WithClock(clock))
	console := digest.New(lib, consoleStore, digest.WithMinInterval(time.Second), digest.WithClock(clock)) // never started, as in the console
	ctx := context.Background()

	preview, err := console.Subscribe(ctx, digest.Subscription{GuildID: digest.PreviewGuild, ChannelID: "news", Schedule: "@every 1h", Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !preview.IsPreview() || !preview.NextRun.IsZero() {
		t.Fatalf("console subscription stored as %+v, want a preview without a next run", preview)
	}
	// As an older build stored it: scheduled.
	old, err := consoleStore.PutSubscription(ctx, digest.Subscription{GuildID: digest.PreviewGuild, ChannelID: "old",
		Schedule: "@every 1h", Timezone: "UTC", Count: 2, CreatedAt: epoch(), NextRun: epoch().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// A real subscription with the same schedule shows the runner looked.
	witness, err := bot.Subscribe(ctx, digest.Subscription{GuildID: "g", ChannelID: "w", Schedule: "@every 1h", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ {
		at := epoch().Add(time.Duration(run) * time.Hour)
		clock.Set(at)
		waitRun(t, botStore, witness.ID, at)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := botStore.SubscriptionByID(ctx, old.ID)
		if err == nil && s.NextRun.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the console subscription stored with a next run was never unscheduled: %+v, %v", s, err)
		}
		time.Sleep(2 * time.Millisecond)
	}

	startService(t, lib, openStore(t, path), &r, digest.WithClock(clock))
	for _, id := range []int64{preview.ID, old.ID} {
		s, err := botStore.SubscriptionByID(ctx, id)
		if err != nil || !s.NextRun.IsZero() || !s.LastRunAt.IsZero() || s.Paused != "" {
			t.Errorf("console subscription %d after two runs and a start: %+v, %v; want never scheduled nor run", id, s, err)
		}
	}
	for _, p := range r.Posts() {
		if p.ChannelID != "w" {
			t.Errorf("posted to %s: %+v", p.ChannelID, p)
		}
	}
	if len(r.Posts()) != 2 {
		t.Errorf("%d posts, want the witness's two", len(r.Posts()))
	}
}

// TestSameStoryFromTwoSourcesPostedOnce: a story carried by several
// sources is posted once per subscription: when both are there at the
// run, when a duplicate arrives from another source after the story was
// posted, and when an earlier-dated duplicate arrives and becomes the
// story's representative.
func TestSameStoryFromTwoSourcesPostedOnce(t *testing.T) {
	lede := "A magnitude 6.8 earthquake struck off the coast of northern Japan on Tuesday evening, the meteorological agency said, prompting a tsunami advisory for parts of the Pacific coastline and briefly halting bullet train services across Iwate and Miyagi."
	story := func(id, title string, at time.Time) briefs.Article {
		return briefs.Article{ID: id, Title: title, Date: at, Dated: true, Paragraphs: []string{lede}, Words: 40}
	}
	other := briefs.Article{ID: "budget", Title: "Council passes the budget", Date: epoch().Add(-3 * time.Hour), Dated: true,
		Paragraphs: []string{"The council passed its budget after a long debate about libraries, buses and the cost of street lighting."}}
	lib := briefs.New()
	lib.Replace("Reuters", []briefs.Article{story("quake-reuters", "Strong earthquake strikes off northern Japan", epoch().Add(-time.Hour)), other})
	lib.Replace("AP", []briefs.Article{story("quake-ap", "Strong Earthquake Strikes Off Northern Japan!", epoch().Add(-30*time.Minute))})

	st := openStore(t, filepath.Join(t.TempDir(), "nb.db"))
	clock := digesttest.NewClock(epoch())
	var r recorder
	s := startService(t, lib, st, &r, digest.WithClock(clock))
	sub, err := s.Subscribe(context.Background(), digest.Subscription{GuildID: "g", ChannelID: "c", Schedule: "@every 1h", Count: 5})
	if err != nil {
		t.Fatal(err)
	}
	run := func(n int) digest.Subscription {
		at := epoch().Add(time.Duration(n) * time.Hour)
		clock.Set(at)
		return waitRun(t, st, sub.ID, at)
	}
	if got := run(1); got.LastOutcome != "posted 2" {
		t.Fatalf("first run: %q, want the story once and the budget", got.LastOutcome)
	}
	// A later copy from a third source, after the story was posted.
	lib.Replace("Kyodo", []briefs.Article{story("quake-kyodo", "Quake strikes off northern Japan", epoch().Add(90*time.Minute))})
	if got := run(2); got.LastOutcome != "nothing new" {
		t.Errorf("a later duplicate: %q", got.LastOutcome)
	}
	// An earlier copy, which becomes the story's representative.
	lib.Replace("NHK", []briefs.Article{story("quake-nhk", "Strong earthquake strikes off northern Japan", epoch().Add(-2*time.Hour))})
	if got := lib.Latest(1, "quake"); len(got) != 1 || got[0].ID != "quake-nhk" {
		t.Fatalf("the earlier copy does not head the story: %+v", got)
	}
	if got := run(3); got.LastOutcome != "nothing new" {
		t.Errorf("an earlier duplicate: %q", got.LastOutcome)
	}
	var posted []string
	for _, p := range r.Posts() {
		for _, a := range p.Articles {
			posted = append(posted, a.ID)
		}
	}
	if slices.Sort(posted); !slices.Equal(posted, []string{"budget", "quake-reuters"}) {
		t.Errorf("posted %q, want the story once (its earliest then) and the budget", posted)
	}
}

// gate is a poster whose posts wait until the test lets them through, one
// release per post, so that the test sees how many are in flight.
type gate struct {
	recorder
	entered chan string
	release chan struct{}
}

func (g *gate) Post(ctx context.Context, p digest.Post) (digest.Delivered, error) {
	g.entered <- p.ChannelID
	select {
	case <-g.release:
	case <-ctx.Done():
		return digest.Delivered{}, ctx.Err()
	}
	return g.recorder.Post(ctx, p)
}

// TestMaxRunsBoundsClaims: with six subscriptions due at once and room for
// two runs, two are claimed and posting while the other four wait
// unclaimed (a process that dies then leaves two, not six, for another to
// read back); as posts end the rest follow, each posted once.
func TestMaxRunsBoundsClaims(t *testing.T) {
	ctx := context.Background()
	lib := briefstest.Library(briefstest.Articles(5, 2))
	st := openStore(t, filepath.Join(t.TempDir(), "nb.db"))
	clock := digesttest.NewClock(epoch())
	g := &gate{entered: make(chan string, 6), release: make(chan struct{})}
	s := startService(t, lib, st, g, digest.WithClock(clock), digest.WithMissedGrace(0), digest.WithMaxRuns(2))
	var subs []digest.Subscription
	for i := range 6 {
		sub, err := s.Subscribe(ctx, digest.Subscription{GuildID: "g", ChannelID: fmt.Sprint("c", i), Schedule: "@every 1h", Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
	}
	clock.Set(subs[0].NextRun.Add(time.Minute))
	<-g.entered
	<-g.entered
	claimed := func() int {
		n := 0
		for _, sub := range subs {
			got, err := st.SubscriptionByID(ctx, sub.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.NextRun.After(sub.NextRun) {
				n++
			}
		}
		return n
	}
	if n := claimed(); n != 2 {
		t.Fatalf("%d runs claimed with room for 2", n)
	}
	select {
	case c := <-g.entered:
		t.Fatalf("a third post (%s) started with room for two", c)
	default:
	}
	for range 6 {
		g.release <- struct{}{}
	}
	for _, sub := range subs {
		waitRun(t, st, sub.ID, sub.NextRun)
	}
	seen := map[string]int{}
	for _, p := range g.Posts() {
		seen[p.ChannelID]++
	}
	if len(seen) != 6 {
		t.Errorf("posted to %d channels, want 6: %v", len(seen), seen)
	}
	for c, n := range seen {
		if n != 1 {
			t.Errorf("%s got %d digests", c, n)
		}
	}
}
