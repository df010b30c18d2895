package digest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/bot/digest/digesttest"
	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
)

// story is a test article of the wire, unlike every other story.
func story(id, origin string, n int, date time.Time) briefs.Article {
	body := fmt.Sprintf("Rescuers in %s reached the %s site on day %d after %s stalled the effort for hours.",
		places[n%12], subjects[n%12], n, subjects[(n+7)%12])
	return briefs.Article{ID: id, Title: fmt.Sprintf("Rescue in %s, day %d", places[n%12], n), Origin: origin,
		Date: date, Dated: true, Paragraphs: []string{body}, Words: len(strings.Fields(body))}
}

// waitPosts waits until the poster has n posts.
func waitPosts(t *testing.T, p *deliverer, n int) []digest.Post {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(p.Posts()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d posts, want %d", len(p.Posts()), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return p.Posts()
}

// TestInstantPostsEachNewStoryOnce: an instant digest posts nothing of
// what was there when it was made; a story arriving later is posted at
// once (the library's change, not the clock, runs it), alone under its
// title; a copy from another source is not posted again; stories that
// arrive together are posted together, a full count first and the rest
// right after; and a story that came while no bot ran is posted once at
// start.
func TestInstantPostsEachNewStoryOnce(t *testing.T) {
	ctx := context.Background()
	t0 := epoch()
	lib := briefstest.Library([]briefs.Article{story("old", "wire", 0, t0.Add(-time.Hour))})
	path := filepath.Join(t.TempDir(), "nb.db")
	st := openStore(t, path)
	clock := digesttest.NewClock(t0)
	var p deliverer
	s := digest.New(lib, st, digest.WithClock(clock), digest.WithMinInterval(time.Hour), digest.WithMissedGrace(24*time.Hour))
	if err := s.Start(ctx, &p); err != nil {
		t.Fatal(err)
	}
	sub, err := s.Subscribe(ctx, digest.Subscription{GuildID: "g", ChannelID: "c", Schedule: "Instant", Count: 2})
	if err != nil || sub.Schedule != digest.Instant || !sub.NextRun.IsZero() {
		t.Fatalf("subscribe instant: %+v, %v (DIGEST_MIN_INTERVAL does not apply)", sub, err)
	}

	lib.Replace("wire", []briefs.Article{story("old", "wire", 0, t0.Add(-time.Hour)), story("new1", "wire", 1, t0.Add(time.Minute))})
	posts := waitPosts(t, &p, 1)
	if len(posts[0].Articles) != 1 || posts[0].Articles[0].ID != "new1" || posts[0].Name != "Rescue in Bristol, day 1" {
		t.Fatalf("first instant post: %+v", posts[0])
	}
	// The same story from another source: not posted again.
	lib.Replace("agency", []briefs.Article{func() briefs.Article { a := story("copy1", "agency", 1, t0.Add(2*time.Minute)); return a }()})
	// Three new stories at once: two, then one.
	lib.Replace("wire", []briefs.Article{story("old", "wire", 0, t0.Add(-time.Hour)), story("new1", "wire", 1, t0.Add(time.Minute)),
		story("new2", "wire", 2, t0.Add(3*time.Minute)), story("new3", "wire", 3, t0.Add(4*time.Minute)), story("new4", "wire", 4, t0.Add(5*time.Minute))})
	posts = waitPosts(t, &p, 2)
	if len(posts[1].Articles) != 2 {
		t.Fatalf("second post: %d stories, want the full count of 2", len(posts[1].Articles))
	}
	clock.Set(t0.Add(time.Second)) // the rest is due a moment after
	posts = waitPosts(t, &p, 3)
	got := map[string]int{}
	for _, post := range posts {
		for _, a := range post.Articles {
			got[a.ID]++
		}
	}
	if len(got) != 4 || got["copy1"] != 0 || got["old"] != 0 {
		t.Errorf("posted %v, want new1-new4 once each", got)
	}
	// Each post is recorded once it is sent: wait for the third record
	// (a change that brought nothing is no run), so that nothing is left
	// pending when the service stops.
	deadline := time.Now().Add(10 * time.Second)
	for {
		hist, _ := s.History(ctx, sub, 20)
		if len(hist) == 3 {
			break
		}
		if len(hist) > 3 || time.Now().After(deadline) {
			t.Fatalf("history of %d runs, want one per post: %+v", len(hist), hist)
		}
		time.Sleep(2 * time.Millisecond)
	}
	s.Stop()

	// While no bot runs, a story arrives; the next start posts it once.
	lib.Replace("agency", []briefs.Article{story("copy1", "agency", 1, t0.Add(2*time.Minute)), story("late", "agency", 5, t0.Add(time.Hour))})
	clock.Set(t0.Add(2 * time.Hour))
	s2 := startService(t, lib, st, &p, digest.WithClock(clock))
	_ = s2
	posts = waitPosts(t, &p, 4)
	if last := posts[3]; len(last.Articles) != 1 || last.Articles[0].ID != "late" {
		t.Errorf("at start: %+v, want the story that came while down", last.Articles)
	}
}

// TestInstantGoesByArrival: an instant digest posts what arrived after it
// was made, whatever day the article is dated: a file dated only by its
// day (midnight, before the subscription) that arrives later is new; an
// article that arrived before the subscription is not, however it is
// dated.
func TestInstantGoesByArrival(t *testing.T) {
	ctx := context.Background()
	t0 := epoch() // 08:00
	lib := briefs.New()
	st := openStore(t, filepath.Join(t.TempDir(), "nb.db"))
	clock := digesttest.NewClock(t0)
	var p deliverer
	s := startService(t, lib, st, &p, digest.WithClock(clock))
	if _, err := s.Subscribe(ctx, digest.Subscription{GuildID: "g", ChannelID: "c", Schedule: digest.Instant, Count: 5}); err != nil {
		t.Fatal(err)
	}
	before := story("before", "folder", 1, t0.Add(time.Hour)) // dated later, arrived earlier
	before.Arrived = t0.Add(-time.Minute)
	dayFile := story("dayfile", "folder", 2, t0.Truncate(24*time.Hour)) // "Monday, January 7, 2030"
	dayFile.Arrived = t0.Add(time.Minute)
	lib.Replace("folder", []briefs.Article{before, dayFile})
	posts := waitPosts(t, &p, 1)
	if got := posts[0].Articles; len(got) != 1 || got[0].ID != "dayfile" {
		t.Errorf("posted %v, want only the file that arrived after the subscription", ids(got))
	}
}

// changeDuringRun is a store that, once armed, changes the library at the
// moment an instant run that found nothing goes back to waiting: the
// change comes after the run read the library, while the subscription is
// still due, which triggerInstant leaves as it is.
type changeDuringRun struct {
	digest.Store
	mu     sync.Mutex
	change func()
	// listed, while set, hears of the runner's next waking of instant
	// subscriptions: its look at them after the change.
	listed chan struct{}
}

func (c *changeDuringRun) WakeInstant(ctx context.Context, now time.Time) (int64, error) {
	n, err := c.Store.WakeInstant(ctx, now)
	c.mu.Lock()
	listed := c.listed
	c.listed = nil
	c.mu.Unlock()
	if listed != nil {
		close(listed)
	}
	return n, err
}

func (c *changeDuringRun) arm(change func()) {
	c.mu.Lock()
	c.change = change
	c.mu.Unlock()
}

func (c *changeDuringRun) SetNextRun(ctx context.Context, id int64, from, to time.Time) (bool, error) {
	c.mu.Lock()
	change := c.change
	if to.IsZero() {
		c.change = nil
	} else {
		change = nil
	}
	c.mu.Unlock()
	if change != nil {
		// The change, and the runner's look at the subscriptions it
		// wakes, before the run goes back to waiting.
		listed := make(chan struct{})
		c.mu.Lock()
		c.listed = listed
		c.mu.Unlock()
		change()
		select {
		case <-listed:
		case <-ctx.Done():
		}
	}
	return c.Store.SetNextRun(ctx, id, from, to)
}

// TestInstantChangeDuringRunIsNotLost: a story that arrives while an
// instant run is under way, after the run looked at the library, is
// posted all the same: the run sees the library changed and makes the
// subscription due again, rather than wait for a change that already came.
func TestInstantChangeDuringRunIsNotLost(t *testing.T) {
	ctx := context.Background()
	t0 := epoch()
	lib := briefstest.Library([]briefs.Article{story("old", "wire", 0, t0.Add(-time.Hour))})
	st := &changeDuringRun{Store: openStore(t, filepath.Join(t.TempDir(), "nb.db"))}
	clock := digesttest.NewClock(t0)
	var p deliverer
	s := digest.New(lib, st, digest.WithClock(clock), digest.WithMissedGrace(24*time.Hour))
	if err := s.Start(ctx, &p); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if _, err := s.Subscribe(ctx, digest.Subscription{GuildID: "g", ChannelID: "c", Schedule: digest.Instant, Count: 2}); err != nil {
		t.Fatal(err)
	}
	old := story("old", "wire", 0, t0.Add(-time.Hour))
	lib.Replace("wire", []briefs.Article{old, story("new1", "wire", 1, t0.Add(time.Minute))})
	waitPosts(t, &p, 1)
	// A copy of the posted story runs the digest, which finds nothing
	// new; as it goes back to waiting, a new story arrives.
	st.arm(func() {
		lib.Replace("wire", []briefs.Article{old, story("new1", "wire", 1, t0.Add(time.Minute)), story("new2", "wire", 2, t0.Add(3*time.Minute))})
	})
	lib.Replace("agency", []briefs.Article{story("copy1", "agency", 1, t0.Add(2*time.Minute))})
	posts := waitPosts(t, &p, 2)
	if len(posts[1].Articles) != 1 || posts[1].Articles[0].ID != "new2" {
		t.Fatalf("second post: %+v, want new2", posts[1].Articles)
	}
}
