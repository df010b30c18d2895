package digest_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/bot/digest/digesttest"
	"newsbrief/briefs"
)

// deliverer is a digest.Poster that answers with a link and notes, or
// with the error it is told to give.
type deliverer struct {
	mu    sync.Mutex
	posts []digest.Post
	fail  error
}

func (d *deliverer) Post(_ context.Context, p digest.Post) (digest.Delivered, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return digest.Delivered{}, d.fail
	}
	d.posts = append(d.posts, p)
	return digest.Delivered{URL: "https://discord.com/channels/g/" + p.ChannelID + "/1", Notes: []string{"posted unpublished: the channel's 10 crossposts an hour are used up"}}, nil
}

func (d *deliverer) Posts() []digest.Post {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.posts)
}

// TestChannelDigestsByName: a channel holds several digests, each posting
// its own selection with its own delivery options, and each run is in its
// history with the link and the poster's notes; exclude keeps stories out
// and says how many; a request without a name is refused when the
// channel has several.
func TestChannelDigestsByName(t *testing.T) {
	ctx := context.Background()
	lib := twoSources()
	st := openStore(t, filepath.Join(t.TempDir(), "nb.db"))
	clock := digesttest.NewClock(epoch())
	var p deliverer
	s := startService(t, lib, st, &p, digest.WithClock(clock))
	all, err := s.Subscribe(ctx, digest.Subscription{GuildID: "g", ChannelID: "c", Schedule: "@every 1h", Count: 3,
		Exclude: `Leeds "Storm budget"`, Mention: "42", Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	bbc, err := s.Subscribe(ctx, digest.Subscription{GuildID: "g", ChannelID: "c", Schedule: "@every 1h", Count: 2, Source: "BBC News",
		Thread: true})
	if err != nil {
		t.Fatal(err)
	}
	if all.Name != "digest" || bbc.Name != "bbc-news" {
		t.Fatalf("default names %q and %q", all.Name, bbc.Name)
	}
	if err := s.Unsubscribe(ctx, "g", "c", ""); !errors.Is(err, digest.ErrNameNeeded) || !strings.Contains(err.Error(), "bbc-news, digest") {
		t.Errorf("unsubscribe without a name in a channel of two: %v", err)
	}
	// The preview says what exclude keeps out, and why.
	pv, err := s.Preview(ctx, "g", "c", "digest", 5)
	if err != nil || len(pv.Articles) != 3 || len(pv.Left) == 0 {
		t.Fatalf("preview: %+v, %v", pv, err)
	}
	for _, l := range pv.Left {
		if !strings.HasPrefix(l.Reason, `excluded by "storm budget"`) && l.Reason != `excluded by "leeds"` {
			t.Errorf("left out %q: %q", l.Article.Title, l.Reason)
		}
	}

	t1 := epoch().Add(time.Hour)
	clock.Set(t1)
	waitRun(t, st, all.ID, t1)
	waitRun(t, st, bbc.ID, t1)
	posts := p.Posts()
	if len(posts) != 2 {
		t.Fatalf("%d posts, want one per digest", len(posts))
	}
	for _, post := range posts {
		switch len(post.Articles) {
		case 3: // all
			if post.Mention != "42" || !post.Publish || post.Thread || post.Name != "News, 7 January 2030" {
				t.Errorf("the digest's delivery: %+v", post)
			}
			for _, a := range post.Articles {
				if strings.Contains(a.Title, "Storm budget") || strings.Contains(a.Title, "Leeds") {
					t.Errorf("excluded story posted: %q", a.Title)
				}
			}
		case 2: // bbc
			if !post.Thread || post.Mention != "" {
				t.Errorf("bbc-news's delivery: %+v", post)
			}
		default:
			t.Errorf("a post of %d articles", len(post.Articles))
		}
	}
	// What was posted is left out of the next digest, dated.
	pv, err = s.Preview(ctx, "g", "c", "digest", 5)
	if err != nil || len(pv.Left) == 0 {
		t.Fatalf("preview after the run: %+v, %v", pv, err)
	}
	if !slices.ContainsFunc(pv.Left, func(l digest.Left) bool { return l.Reason == "already posted on 7 January" }) {
		t.Errorf("preview after the run leaves out %+v, want stories already posted on 7 January", pv.Left)
	}
	hist, err := s.History(ctx, all, 20)
	if err != nil || len(hist) != 1 {
		t.Fatalf("history: %+v, %v", hist, err)
	}
	h := hist[0]
	if h.Outcome != "posted 3" || h.URL != "https://discord.com/channels/g/c/1" || !h.ScheduledFor.Equal(t1) ||
		!strings.Contains(h.Detail, "posted unpublished") || !strings.Contains(h.Detail, "left out by exclude") {
		t.Errorf("history %+v", h)
	}

	// A refusal pauses one digest, says why and how to fix it, and resume
	// takes it up again.
	p.mu.Lock()
	p.fail = &digest.UnavailableError{Reason: "403 Missing Permissions (50013)"}
	p.mu.Unlock()
	t2 := t1.Add(time.Hour)
	clock.Set(t2)
	waitRun(t, st, bbc.ID, t2)
	got, _ := st.SubscriptionByID(ctx, bbc.ID)
	if got.Paused == "" {
		t.Fatal("not paused after a refusal")
	}
	hist, _ = s.History(ctx, got, 20)
	if len(hist) != 2 || hist[0].Outcome != "paused" || !strings.Contains(hist[0].Detail, "/digest resume bbc-news") ||
		!strings.Contains(hist[0].Detail, "50013") {
		t.Errorf("history after the refusal: %+v", hist)
	}
	if _, err := s.Resume(ctx, "g", "c", "bbc-news"); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.SubscriptionByID(ctx, bbc.ID); got.Paused != "" {
		t.Errorf("still paused after resume: %q", got.Paused)
	}
	if err := s.Unsubscribe(ctx, "g", "c", "bbc-news"); err != nil {
		t.Fatal(err)
	}
	if left, _ := s.InChannel(ctx, "g", "c"); len(left) != 1 || left[0].Name != "digest" {
		t.Errorf("after unsubscribing bbc-news: %+v", left)
	}
}

// TestExcludeReadsABodyOnce: a digest with exclusions reads a
// candidate's body to match its brief, and posts the articles it chose
// with those bodies: each posted article's body is read once, not again
// to post it.
func TestExcludeReadsABodyOnce(t *testing.T) {
	ctx := context.Background()
	held := twoSources() // holds the bodies the library below reads
	var mu sync.Mutex
	reads := map[string]int{}
	lib := twoSources(briefs.WithBodies(briefs.BodiesFunc(func(_ context.Context, a briefs.Article) ([]string, error) {
		mu.Lock()
		reads[a.ID]++
		mu.Unlock()
		full, _ := held.Get(a.ID)
		return full.Paragraphs, nil
	})))
	st := openStore(t, filepath.Join(t.TempDir(), "nb.db"))
	clock := digesttest.NewClock(epoch())
	var p deliverer
	s := startService(t, lib, st, &p, digest.WithClock(clock))
	sub, err := s.Subscribe(ctx, digest.Subscription{GuildID: "g", ChannelID: "c", Schedule: "@every 1h", Count: 3,
		Exclude: `Leeds "nothing of the kind"`})
	if err != nil {
		t.Fatal(err)
	}
	t1 := epoch().Add(time.Hour)
	clock.Set(t1)
	waitRun(t, st, sub.ID, t1)
	posts := p.Posts()
	if len(posts) != 1 || len(posts[0].Articles) != 3 {
		t.Fatalf("posts %+v, want one of 3 articles", posts)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, a := range posts[0].Articles {
		if len(a.Paragraphs) == 0 || reads[a.ID] != 1 {
			t.Errorf("%s posted with %d paragraphs, its body read %d times; want it with its body, read once", a.ID, len(a.Paragraphs), reads[a.ID])
		}
	}
}

// TestParseExclude: words and quoted phrases, whole words only, case and
// punctuation ignored; an open quotation is an error.
func TestParseExclude(t *testing.T) {
	ex, err := digest.ParseExclude(`Opinion, "Sponsored  content" quiz`)
	if err != nil || ex.String() != `opinion "sponsored content" quiz` {
		t.Fatalf("ParseExclude = %q, %v", ex.String(), err)
	}
	if _, err := digest.ParseExclude(`"open`); err == nil {
		t.Error("an open quotation was taken")
	}
	if _, err := digest.ParseExclude(strings.Repeat("x", digest.MaxExcludeLen+1)); err == nil {
		t.Error("an overlong exclude was taken")
	}
	if e, _ := digest.ParseExclude(""); !e.Empty() {
		t.Error("empty exclude is not empty")
	}
}

// TestFailedRunSaysWhenItRetries: a post that keeps failing is recorded
// as failed with the error and the time of the next run, when the digest
// left pending is posted first.
func TestFailedRunSaysWhenItRetries(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "nb.db"))
	clock := digesttest.NewClock(epoch())
	p := deliverer{fail: errors.New("Discord answered 500")}
	s := startService(t, twoSources(), st, &p, digest.WithClock(clock))
	sub, err := s.Subscribe(ctx, digest.Subscription{GuildID: "g", ChannelID: "c", Schedule: "@every 1h", Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	t1 := epoch().Add(time.Hour)
	clock.Set(t1)
	waitRun(t, st, sub.ID, t1)
	hist, err := s.History(ctx, sub, 1)
	if err != nil || len(hist) != 1 || hist[0].Outcome != "failed" ||
		hist[0].Detail != "Discord answered 500; retrying at 10:00 on 7 January" {
		t.Errorf("history %+v, %v", hist, err)
	}
}
