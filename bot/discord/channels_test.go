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

// TestBotChannel: a command looks a channel up through the bot: its kind
// and a forum's tag names, fresh from Discord each time.
func TestBotChannel(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	b := New(nil)
	ctx := ctxFor(t, 30*time.Second)
	if _, err := b.Channel(ctx, forumCh); !errors.Is(err, errNotStarted) {
		t.Errorf("before Run: %v", err)
	}
	b.post = f.poster() // as Run does
	const mediaCh, categoryCh, hiddenCh, goneCh = "300000000000000071", "300000000000000072", "300000000000000073", "300000000000000074"
	f.srv.SetChannelType(mediaCh, discordgo.ChannelTypeGuildMedia)
	f.srv.SetChannelType(categoryCh, discordgo.ChannelTypeGuildCategory)
	f.srv.ForbidChannel(hiddenCh)
	f.srv.DeleteChannel(goneCh)
	post := mustPost(t, b.post, newPost(forumCh, longArticles(1, 61)))
	thread := post.URL[strings.LastIndex(post.URL, "/")+1:]

	ch, err := b.Channel(ctx, forumCh)
	if err != nil || ch.Kind != digest.KindForum || ch.ID != forumCh || ch.GuildID != guild || ch.Name != "news-forum" ||
		!slices.Equal(ch.Tags, []string{"World", "Sport"}) {
		t.Errorf("forum = %+v, %v", ch, err)
	}
	for id, want := range map[string]digest.ChannelKind{textCh: digest.KindText, newsCh: digest.KindAnnouncement,
		mediaCh: digest.KindMedia, thread: digest.KindThread} {
		if ch, err := b.Channel(ctx, id); err != nil || ch.Kind != want {
			t.Errorf("channel %s = %+v, %v; want a %s", id, ch, err, want)
		}
	}
	if _, err := b.Channel(ctx, categoryCh); err == nil || !strings.Contains(err.Error(), "category") {
		t.Errorf("category: %v", err)
	}
	for id, code := range map[string]string{hiddenCh: "403", goneCh: "404"} {
		_, err := b.Channel(ctx, id)
		if ue, ok := errors.AsType[*digest.UnavailableError](err); !ok || !strings.HasPrefix(ue.Reason, code) {
			t.Errorf("channel %s: %v, want unavailable with %s", id, err, code)
		}
	}
	// Tags changed since: the lookup sees them.
	f.srv.SetForumTags(forumCh, "Climate")
	if ch, err := b.Channel(ctx, forumCh); err != nil || !slices.Equal(ch.Tags, []string{"Climate"}) {
		t.Errorf("forum after a tag change = %+v, %v", ch, err)
	}
}
