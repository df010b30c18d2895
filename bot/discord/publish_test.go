package discord

import (
	"slices"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/discord/discordtest"
)

func published(m discordtest.Message) bool { return m.Flags&discordgo.MessageFlagsCrossPosted != 0 }

// TestPostPublish: publish crossposts each message of a digest in an
// announcement channel; past the channel's 10 crossposts of the hour a
// digest is posted unpublished, with a note, and the poster asks no more
// until Discord's wait has passed.
func TestPostPublish(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	p := f.poster()
	d := newPost(newsCh, longArticles(10, 21))
	d.Publish = true
	if got := mustPost(t, p, d); len(got.Notes) != 0 {
		t.Errorf("notes %q", got.Notes)
	}
	msgs := f.srv.Messages(newsCh)
	if len(msgs) != 2 || !published(msgs[0]) || !published(msgs[1]) {
		t.Fatalf("messages %+v, want both parts published", msgs)
	}
	// Eight one-message digests use the hour's other crossposts.
	for i := range 8 {
		d := newPost(newsCh, longArticles(1, int64(30+i)))
		d.Publish = true
		if got := mustPost(t, p, d); len(got.Notes) != 0 {
			t.Fatalf("digest %d: notes %q", i, got.Notes)
		}
	}
	// The eleventh crosspost of the hour.
	d = newPost(newsCh, longArticles(1, 40))
	d.Publish = true
	got := mustPost(t, p, d)
	msgs = f.srv.Messages(newsCh)
	last := msgs[len(msgs)-1]
	if len(msgs) != 11 || published(last) {
		t.Errorf("%d messages, the last published %v; want 11, the last unpublished", len(msgs), published(last))
	}
	if !slices.Equal(got.Notes, []string{noteCrosspostsUsedUp}) {
		t.Errorf("notes %q, want %q", got.Notes, noteCrosspostsUsedUp)
	}
	if got.URL != "https://discord.com/channels/"+guild+"/"+newsCh+"/"+last.ID {
		t.Errorf("link %q", got.URL)
	}
	// The next is not even tried.
	mark := len(f.srv.Requests())
	d = newPost(newsCh, longArticles(1, 41))
	d.Publish = true
	if got := mustPost(t, p, d); !slices.Equal(got.Notes, []string{noteCrosspostsUsedUp}) {
		t.Errorf("notes %q", got.Notes)
	}
	if n := countRequests(f.srv, mark, "POST", "/channels/"+newsCh+"/messages/"); n != 0 {
		t.Errorf("%d crossposts tried within Discord's wait, want none", n)
	}
	if n := f.srv.Count429(); n != 1 {
		t.Errorf("%d answers 429, want 1", n)
	}
}

// TestPostPublishRetriedOnlyIfNotPublished: a digest whose crosspost kept
// failing stays pending; posted again, its message is published then, and
// a digest found published is not crossposted again.
func TestPostPublishRetriedOnlyIfNotPublished(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	d := newPost(newsCh, longArticles(10, 22))
	d.Publish = true
	recorded := time.Now()
	// The first part's crosspost fails five times.
	f.srv.FailNext("POST", "/channels/"+newsCh+"/messages/", 500, postAttempts)
	if _, err := f.poster().Post(ctxFor(t, 30*time.Second), d); err == nil {
		t.Fatal("a failed crosspost went unreported")
	}
	f.srv.ExpireNonces()
	d.PendingSince = recorded
	mark := len(f.srv.Requests())
	mustPost(t, f.poster(), d)
	msgs := f.srv.Messages(newsCh)
	if len(msgs) != 2 || !published(msgs[0]) || !published(msgs[1]) {
		t.Fatalf("%d messages, published %v %v; want 2, both published", len(msgs), published(msgs[0]), len(msgs) > 1 && published(msgs[1]))
	}
	if n := countRequests(f.srv, mark, "POST", "/channels/"+newsCh+"/messages/"); n != 2 {
		t.Errorf("%d crossposts, want 2", n)
	}
	// All there and published: nothing to do.
	mark = len(f.srv.Requests())
	mustPost(t, f.poster(), d)
	if n := countRequests(f.srv, mark, "POST", "/"); n != 0 {
		t.Errorf("%d posts or crossposts for a published digest, want none", n)
	}
}

// TestPostPublishElsewhere: publish asked of a text channel is a note.
func TestPostPublishElsewhere(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	d := newPost(textCh, longArticles(1, 23))
	d.Publish = true
	got := mustPost(t, f.poster(), d)
	if len(got.Notes) != 1 || published(f.srv.Messages(textCh)[0]) {
		t.Errorf("notes %q", got.Notes)
	}
}
