package discord

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"newsbrief/bot/digest"
)

// TestPostForumWithTag: a digest to a forum is one post named after it,
// tagged by name (in any case), its first part the starter message and the
// other parts in it; the link is the post's.
func TestPostForumWithTag(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	p := f.poster()
	d := newPost(forumCh, longArticles(10, 3))
	d.Tag = "sport"
	got := mustPost(t, p, d)

	threads := f.srv.Threads(forumCh)
	if len(threads) != 1 {
		t.Fatalf("%d forum posts, want 1", len(threads))
	}
	th := threads[0]
	if th.Name != d.Name || !slices.Equal(th.AppliedTags, []string{f.tags[1].ID}) {
		t.Errorf("post %q tagged %v, want %q tagged Sport (%s)", th.Name, th.AppliedTags, d.Name, f.tags[1].ID)
	}
	msgs := f.srv.Messages(th.ID)
	if len(msgs) != 2 || msgs[0].ID != th.ID || !slices.Equal(partsOf(t, msgs), []string{"1", "2"}) {
		t.Errorf("post holds %d messages (parts %v), want the starter (part 1) and part 2", len(msgs), partsOf(t, msgs))
	}
	if want := "https://discord.com/channels/" + guild + "/" + th.ID; got.URL != want || len(got.Notes) != 0 {
		t.Errorf("delivered %+v, want link %s and no notes", got, want)
	}
	if !strings.HasPrefix(msgs[0].Content, "News digest: 10 new articles") {
		t.Errorf("starter content %q", msgs[0].Content)
	}

	// A name too long is cut to Discord's 100 characters; an unknown tag
	// leaves the post untagged, with a note.
	d = newPost(forumCh, longArticles(1, 4))
	d.Name, d.Tag = strings.Repeat("Breaking ", 20), "Weather"
	got = mustPost(t, p, d)
	threads = f.srv.Threads(forumCh)
	if n := utf8.RuneCountInString(threads[len(threads)-1].Name); len(threads) != 2 || n > maxThreadName || n < maxThreadName-10 || len(threads[1].AppliedTags) != 0 {
		t.Fatalf("second post %+v, want a name cut to 100 characters and no tag", threads[len(threads)-1])
	}
	if len(got.Notes) != 1 || !strings.Contains(got.Notes[0], `"Weather"`) || !strings.Contains(got.Notes[0], "#news-forum") {
		t.Errorf("notes %q, want one about the missing tag", got.Notes)
	}
	// One lookup of the forum for both digests and the unknown tag's retry.
	if n := countRequests(f.srv, 0, "GET", "/channels/"+forumCh); n != 2 {
		t.Errorf("%d lookups of the forum, want 2 (the first, and a fresh one for the unknown tag)", n)
	}
}

// TestPostForumAnswerLost: Discord makes the post but its answer is lost;
// the poster looks before trying again, finds it, and continues in it.
func TestPostForumAnswerLost(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	f.srv.DropResponseAfterCreate(forumCh)
	d := newPost(forumCh, longArticles(10, 5))
	got := mustPost(t, f.poster(), d)
	threads := f.srv.Threads(forumCh)
	if len(threads) != 1 {
		t.Fatalf("%d forum posts, want 1", len(threads))
	}
	if msgs := f.srv.Messages(threads[0].ID); !slices.Equal(partsOf(t, msgs), []string{"1", "2"}) {
		t.Errorf("post holds parts %v, want 1 and 2", partsOf(t, msgs))
	}
	if n := countRequests(f.srv, 0, "POST", "/channels/"+forumCh+"/threads"); n != 1 {
		t.Errorf("%d creations, want 1", n)
	}
	if got.URL != "https://discord.com/channels/"+guild+"/"+threads[0].ID {
		t.Errorf("link %q", got.URL)
	}
}

// TestPostForumFoundAfterCrash: the post was made, then the bot died before
// it knew (here: the answer lost, and the look for it failing too) and
// before the second part. A new poster posting the pending digest finds
// the post, among the active posts or, archived since, the archived ones,
// and only adds the second part: one post in the end.
func TestPostForumFoundAfterCrash(t *testing.T) {
	t.Parallel()
	for _, archived := range []bool{false, true} {
		t.Run(map[bool]string{false: "active", true: "archived"}[archived], func(t *testing.T) {
			t.Parallel()
			f := newDeliveryFixture(t)
			d := newPost(forumCh, longArticles(10, 6))
			recorded := time.Now()
			f.srv.DropResponseAfterCreate(forumCh)
			f.srv.FailNext("GET", "/guilds/"+guild+"/threads/active", 500, postAttempts)
			if _, err := f.poster().Post(ctxFor(t, 30*time.Second), d); err == nil {
				t.Fatal("the post succeeded without knowing its post")
			}
			threads := f.srv.Threads(forumCh)
			if len(threads) != 1 || len(f.srv.Messages(threads[0].ID)) != 1 {
				t.Fatalf("after the crash: %+v, want one post with its starter message only", threads)
			}
			if archived {
				f.srv.ArchiveThread(threads[0].ID)
			}
			f.srv.ExpireNonces()

			d.PendingSince = recorded
			mark := len(f.srv.Requests())
			got := mustPost(t, f.poster(), d)
			threads = f.srv.Threads(forumCh)
			if len(threads) != 1 {
				t.Fatalf("%d forum posts after the restart, want 1", len(threads))
			}
			if msgs := f.srv.Messages(threads[0].ID); !slices.Equal(partsOf(t, msgs), []string{"1", "2"}) {
				t.Errorf("post holds parts %v, want 1 and 2 once each", partsOf(t, msgs))
			}
			if n := countRequests(f.srv, mark, "POST", "/channels/"+forumCh+"/threads"); n != 0 {
				t.Errorf("%d creations after the restart, want none", n)
			}
			if n := countRequests(f.srv, mark, "GET", "/channels/"+forumCh+"/threads/archived/public"); archived && n == 0 {
				t.Error("the archived posts were not read")
			}
			if got.URL != "https://discord.com/channels/"+guild+"/"+threads[0].ID {
				t.Errorf("link %q", got.URL)
			}
			if !strings.Contains(f.logs.String(), "found a pending digest's forum post") {
				t.Errorf("logs do not say the post was found:\n%s", f.logs.String())
			}
		})
	}
}

// TestPostForumPendingNotThere: a pending digest whose post Discord never
// made (every creation failed) is posted once, even with other posts of
// the bot in the forum, active and archived.
func TestPostForumPendingNotThere(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	p := f.poster()
	other := mustPost(t, p, newPost(forumCh, longArticles(2, 7)))
	mustPost(t, p, newPost(forumCh, longArticles(2, 8)))
	f.srv.ArchiveThread(strings.TrimPrefix(other.URL, "https://discord.com/channels/"+guild+"/"))

	d := newPost(forumCh, longArticles(3, 9))
	d.PendingSince = time.Now()
	f.srv.FailNext("POST", "/channels/"+forumCh+"/threads", 400, 1)
	if _, err := p.Post(ctxFor(t, 30*time.Second), d); err == nil {
		t.Fatal("a refused creation succeeded")
	}
	mustPost(t, f.poster(), d)
	if n := len(f.srv.Threads(forumCh)); n != 3 {
		t.Errorf("%d posts, want 3 (two others and the digest once)", n)
	}
}

// TestPostForumGone: a forum deleted since pauses the subscription.
func TestPostForumGone(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	f.srv.DeleteChannel(forumCh)
	_, err := f.poster().Post(ctxFor(t, 30*time.Second), newPost(forumCh, longArticles(1, 1)))
	if !errors.Is(err, digest.ErrChannelUnavailable) || !strings.Contains(err.Error(), "404") {
		t.Errorf("post to a deleted forum: %v, want ErrChannelUnavailable with 404", err)
	}
	// A plain digest is posted without a lookup: the one request is the
	// post, refused, and nothing is retried (retrying 404s counts toward
	// Discord's ban for invalid requests).
	if n := countRequests(f.srv, 0, "GET", "/channels/"+forumCh) + countRequests(f.srv, 0, "POST", "/channels/"+forumCh+"/messages"); n != 1 {
		t.Errorf("%d requests, want the one post", n)
	}
}

// TestPostPlainDigestLooksNothingUp: a digest with no delivery options is
// posted to a text channel with no lookup, and to a forum by finding out
// from Discord's refusal (50008) that it is one: one lookup, one forum
// post, no message.
func TestPostPlainDigestLooksNothingUp(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	ctx := ctxFor(t, 30*time.Second)
	const text = "300000000000000901"
	if _, err := f.poster().Post(ctx, newPost(text, longArticles(2, 3))); err != nil {
		t.Fatal(err)
	}
	if n := countRequests(f.srv, 0, "GET", "/channels/"+text); n != 0 {
		t.Errorf("%d lookups of a text channel for a plain digest, want none", n)
	}
	if _, err := f.poster().Post(ctx, newPost(forumCh, longArticles(2, 4))); err != nil {
		t.Fatal(err)
	}
	if n := countRequests(f.srv, 0, "GET", "/channels/"+forumCh); n != 1 {
		t.Errorf("%d lookups of the forum, want 1 after its refusal", n)
	}
	if threads := f.srv.Threads(forumCh); len(threads) != 1 {
		t.Errorf("%d forum posts, want 1", len(threads))
	}
}
