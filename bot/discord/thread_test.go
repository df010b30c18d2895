package discord

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/digest"
)

// TestPostThread: thread:true posts the digest's first message to the
// channel and starts one thread from it, named after the digest, with the
// other parts inside; the link is the first message's.
func TestPostThread(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	d := newPost(textCh, longArticles(10, 11))
	d.Thread = true
	got := mustPost(t, f.poster(), d)

	msgs := f.srv.Messages(textCh)
	if len(msgs) != 1 || !slices.Equal(partsOf(t, msgs), []string{"1"}) {
		t.Fatalf("channel holds parts %v, want the first only", partsOf(t, msgs))
	}
	threads := f.srv.Threads(textCh)
	if len(threads) != 1 || threads[0].ID != msgs[0].ID || threads[0].Name != d.Name || threads[0].Type != discordgo.ChannelTypeGuildPublicThread {
		t.Fatalf("threads %+v, want one named %q from the first message", threads, d.Name)
	}
	if in := f.srv.Messages(threads[0].ID); !slices.Equal(partsOf(t, in), []string{"2"}) || in[0].Nonce != d.Nonce+"-1" {
		t.Errorf("thread holds parts %v, want part 2 with its nonce", partsOf(t, in))
	}
	if want := "https://discord.com/channels/" + guild + "/" + textCh + "/" + msgs[0].ID; got.URL != want || len(got.Notes) != 0 {
		t.Errorf("delivered %+v, want link %s", got, want)
	}

	// The same digest again, pending past the nonce window (the bot did
	// not hear that it went out): found, message, thread and parts, and
	// nothing is sent.
	f.srv.ExpireNonces()
	d.PendingSince = time.Now().Add(-time.Minute)
	mark := len(f.srv.Requests())
	if again := mustPost(t, f.poster(), d); again.URL != got.URL {
		t.Errorf("link %q the second time, want %q", again.URL, got.URL)
	}
	if n := countRequests(f.srv, mark, "POST", "/"); n != 0 {
		t.Errorf("%d posts for a digest already out, want none", n)
	}
}

// TestPostThreadStartFailed: the first message went out but starting its
// thread kept failing. The pending digest finds the message and starts the
// thread from it: one message, one thread.
func TestPostThreadStartFailed(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	d := newPost(newsCh, longArticles(10, 12))
	d.Thread = true
	recorded := time.Now()
	f.srv.FailNext("POST", "/channels/"+newsCh+"/messages/", 500, postAttempts)
	if _, err := f.poster().Post(ctxFor(t, 30*time.Second), d); err == nil {
		t.Fatal("the post succeeded without its thread")
	}
	if n := len(f.srv.Threads(newsCh)); n != 0 {
		t.Fatalf("%d threads after the failures", n)
	}
	f.srv.ExpireNonces()
	d.PendingSince = recorded
	mustPost(t, f.poster(), d)
	msgs := f.srv.Messages(newsCh)
	threads := f.srv.Threads(newsCh)
	if len(msgs) != 1 || len(threads) != 1 || threads[0].ID != msgs[0].ID || threads[0].Type != discordgo.ChannelTypeGuildNewsThread {
		t.Fatalf("%d messages and threads %+v, want one message and its thread", len(msgs), threads)
	}
	if in := f.srv.Messages(threads[0].ID); !slices.Equal(partsOf(t, in), []string{"2"}) {
		t.Errorf("thread holds parts %v, want 2", partsOf(t, in))
	}
}

// TestPostThreadAnswerLost: the thread was started but the answer lost;
// the retry hears that the message has its thread (160004) and goes on.
func TestPostThreadAnswerLost(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	d := newPost(textCh, longArticles(10, 13))
	d.Thread = true
	// The first create in the channel is the message, whose retry the
	// nonce covers; the second is the thread.
	f.srv.DropResponseAfterCreate(textCh)
	f.srv.DropResponseAfterCreate(textCh)
	mustPost(t, f.poster(), d)
	msgs := f.srv.Messages(textCh)
	threads := f.srv.Threads(textCh)
	if len(msgs) != 1 || len(threads) != 1 {
		t.Fatalf("%d messages, %d threads; want 1 and 1", len(msgs), len(threads))
	}
	if in := f.srv.Messages(threads[0].ID); !slices.Equal(partsOf(t, in), []string{"2"}) {
		t.Errorf("thread holds parts %v, want 2", partsOf(t, in))
	}
}

// TestPostThreadForbidden: without Create Public Threads the subscription
// pauses, saying so.
func TestPostThreadForbidden(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	d := newPost(textCh, longArticles(1, 14))
	d.Thread = true
	f.srv.FailNext("POST", "/channels/"+textCh+"/messages/", 403, 1)
	_, err := f.poster().Post(ctxFor(t, 30*time.Second), d)
	if ue, ok := errors.AsType[*digest.UnavailableError](err); !ok || !strings.Contains(ue.Reason, "Create Public Threads") {
		t.Errorf("post without the permission to start threads: %v", err)
	}
}
