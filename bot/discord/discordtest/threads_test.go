package discordtest

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

const (
	forumChannel = "300000000000000050"
	newsChannel  = "300000000000000051"
)

// TestChannelTypes: GET /channels/{id} tells a channel's type, guild and
// name, a forum's tags, and a thread's parent.
func TestChannelTypes(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)
	srv.AddChannel(DefaultGuildID, forumChannel)
	srv.SetChannelType(forumChannel, discordgo.ChannelTypeGuildForum)
	srv.SetChannelName(forumChannel, "news-forum")
	tags := srv.SetForumTags(forumChannel, "World", "Sport")

	ch, err := dg.Channel(forumChannel)
	if err != nil || ch.Type != discordgo.ChannelTypeGuildForum || ch.GuildID != DefaultGuildID || ch.Name != "news-forum" {
		t.Fatalf("forum = %+v, %v", ch, err)
	}
	if len(ch.AvailableTags) != 2 || ch.AvailableTags[0] != tags[0] || ch.AvailableTags[1].Name != "Sport" || tags[0].ID == "" {
		t.Errorf("tags = %+v, want %+v", ch.AvailableTags, tags)
	}
	if ch, err := dg.Channel(testChannel); err != nil || ch.Type != discordgo.ChannelTypeGuildText || ch.GuildID != DefaultGuildID {
		t.Errorf("undeclared channel = %+v, %v; want a text channel of the default guild", ch, err)
	}
	srv.SetChannelType(newsChannel, discordgo.ChannelTypeGuildNews)
	if ch, err := dg.Channel(newsChannel); err != nil || ch.Type != discordgo.ChannelTypeGuildNews {
		t.Errorf("announcement channel = %+v, %v", ch, err)
	}
	// Messages cannot go to a forum itself.
	_, err = dg.ChannelMessageSend(forumChannel, "hello")
	if re := restErr(t, err); re.Response.StatusCode != http.StatusBadRequest || re.Message.Code != 50008 {
		t.Errorf("message to a forum: %v", err)
	}
}

// TestForumPost: a forum post is a thread whose starter message has the
// thread's ID; its tags must be the forum's; more messages go into it.
func TestForumPost(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)
	srv.SetChannelType(forumChannel, discordgo.ChannelTypeGuildForum)
	tags := srv.SetForumTags(forumChannel, "World", "Sport")

	th, err := dg.ForumThreadStartComplex(forumChannel, &discordgo.ThreadStart{Name: "News, 6 December", AppliedTags: []string{tags[1].ID}},
		&discordgo.MessageSend{Content: "first", AllowedMentions: &discordgo.MessageAllowedMentions{}})
	if err != nil {
		t.Fatal(err)
	}
	if th.Type != discordgo.ChannelTypeGuildPublicThread || th.ParentID != forumChannel || th.Name != "News, 6 December" ||
		!slices.Equal(th.AppliedTags, []string{tags[1].ID}) || th.OwnerID != BotUserID {
		t.Errorf("post = %+v", th)
	}
	starter, err := dg.ChannelMessage(th.ID, th.ID)
	if err != nil || starter.Content != "first" || starter.ChannelID != th.ID {
		t.Fatalf("starter = %+v, %v", starter, err)
	}
	if _, err := dg.ChannelMessageSend(th.ID, "second"); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages(th.ID)
	if len(msgs) != 2 || msgs[0].ID != th.ID || msgs[1].Content != "second" {
		t.Errorf("thread messages = %+v", msgs)
	}
	got, err := srv.WaitThreads(testContext(t, 5*time.Second), forumChannel, 1)
	if err != nil || len(got) != 1 || got[0].ID != th.ID || got[0].Name != th.Name || got[0].ParentID != forumChannel {
		t.Errorf("WaitThreads = %+v, %v", got, err)
	}

	// An unknown tag, a name too long and no message are refused.
	bad := []struct {
		start discordgo.ThreadStart
		msg   *discordgo.MessageSend
	}{
		{discordgo.ThreadStart{Name: "x", AppliedTags: []string{"1"}}, &discordgo.MessageSend{Content: "x"}},
		{discordgo.ThreadStart{Name: string(make([]byte, MaxThreadName+1))}, &discordgo.MessageSend{Content: "x"}},
		{discordgo.ThreadStart{Name: "x"}, &discordgo.MessageSend{}},
	}
	for i, b := range bad {
		_, err := dg.ForumThreadStartComplex(forumChannel, &b.start, b.msg)
		if re := restErr(t, err); re.Response.StatusCode != http.StatusBadRequest {
			t.Errorf("bad post %d: %v", i, err)
		}
	}
	if n := len(srv.Threads(forumChannel)); n != 1 {
		t.Errorf("%d posts after refused ones, want 1", n)
	}
}

// TestForumPostAnswerDropped: DropResponseAfterCreate on a forum loses the
// answer to the post's creation, which happened.
func TestForumPostAnswerDropped(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)
	srv.SetChannelType(forumChannel, discordgo.ChannelTypeGuildForum)
	srv.DropResponseAfterCreate(forumChannel)
	_, err := dg.ForumThreadStart(forumChannel, "lost", 0, "body")
	var re *discordgo.RESTError
	if err == nil || errors.As(err, &re) {
		t.Fatalf("dropped post: %v, want a network error", err)
	}
	threads := srv.Threads(forumChannel)
	if len(threads) != 1 || len(srv.Messages(threads[0].ID)) != 1 {
		t.Fatalf("threads = %+v, want the post created", threads)
	}
}

// TestMessageThread: a thread started from a message has its ID, shows on
// the message, and only one can be started from it.
func TestMessageThread(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)
	srv.SetChannelType(newsChannel, discordgo.ChannelTypeGuildNews)
	for _, tc := range []struct {
		channel string
		want    discordgo.ChannelType
	}{{testChannel, discordgo.ChannelTypeGuildPublicThread}, {newsChannel, discordgo.ChannelTypeGuildNewsThread}} {
		m, err := dg.ChannelMessageSend(tc.channel, "digest")
		if err != nil {
			t.Fatal(err)
		}
		th, err := dg.MessageThreadStart(tc.channel, m.ID, "Digest", 1440)
		if err != nil || th.ID != m.ID || th.ParentID != tc.channel || th.Type != tc.want || th.Name != "Digest" {
			t.Fatalf("thread = %+v, %v", th, err)
		}
		got, err := dg.ChannelMessage(tc.channel, m.ID)
		if err != nil || got.Thread == nil || got.Thread.ID != m.ID || got.Flags&discordgo.MessageFlagsHasThread == 0 {
			t.Errorf("message after the thread = %+v, %v", got, err)
		}
		_, err = dg.MessageThreadStart(tc.channel, m.ID, "Again", 1440)
		if re := restErr(t, err); re.Message.Code != 160004 {
			t.Errorf("second thread: %v", err)
		}
		if _, err := dg.ChannelMessageSend(th.ID, "inside"); err != nil {
			t.Fatal(err)
		}
		if msgs := srv.Messages(th.ID); len(msgs) != 1 || msgs[0].Content != "inside" {
			t.Errorf("thread messages = %+v", msgs)
		}
	}
	_, err := dg.MessageThreadStart(testChannel, "1", "x", 60)
	if re := restErr(t, err); re.Response.StatusCode != http.StatusNotFound {
		t.Errorf("thread from an unknown message: %v", err)
	}

	// The answer to a thread's start can be lost too.
	m, err := dg.ChannelMessageSend(testChannel, "digest")
	if err != nil {
		t.Fatal(err)
	}
	srv.DropResponseAfterCreate(testChannel)
	if _, err := dg.MessageThreadStart(testChannel, m.ID, "Lost", 60); err == nil {
		t.Fatal("dropped thread start answered")
	}
	if got := srv.Messages(testChannel); got[len(got)-1].ThreadID != m.ID {
		t.Errorf("the dropped thread start made no thread: %+v", got[len(got)-1])
	}
}

// TestThreadLists: active threads of a guild, and a channel's archived
// public threads, most recently archived first, paged by before.
func TestThreadLists(t *testing.T) {
	t.Parallel()
	clock := newTestClock(time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC))
	srv := New(t, WithClock(clock.Now))
	dg := newSession(t, srv, "Bot "+Token)
	srv.SetChannelType(forumChannel, discordgo.ChannelTypeGuildForum)
	var ids []string
	for i := range 5 {
		th, err := dg.ForumThreadStart(forumChannel, "post", 0, "body")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, th.ID)
		clock.Advance(time.Minute)
		if i < 3 {
			srv.ArchiveThread(th.ID)
		}
	}
	active, err := dg.GuildThreadsActive(DefaultGuildID)
	if err != nil || len(active.Threads) != 2 {
		t.Fatalf("active = %+v, %v", active, err)
	}
	for _, th := range active.Threads {
		if th.ParentID != forumChannel || th.ThreadMetadata == nil || th.ThreadMetadata.Archived {
			t.Errorf("active thread %+v", th)
		}
	}
	if other, err := dg.GuildThreadsActive("200000000000000009"); err != nil || len(other.Threads) != 0 {
		t.Errorf("another guild's active threads = %+v, %v", other, err)
	}

	page, err := dg.ThreadsArchived(forumChannel, nil, 2)
	if err != nil || len(page.Threads) != 2 || !page.HasMore || page.Threads[0].ID != ids[2] || page.Threads[1].ID != ids[1] {
		t.Fatalf("archived page 1 = %+v, %v", page, err)
	}
	before := page.Threads[1].ThreadMetadata.ArchiveTimestamp
	page, err = dg.ThreadsArchived(forumChannel, &before, 2)
	if err != nil || len(page.Threads) != 1 || page.HasMore || page.Threads[0].ID != ids[0] {
		t.Fatalf("archived page 2 = %+v, %v", page, err)
	}

	// A message to an archived thread unarchives it.
	if _, err := dg.ChannelMessageSend(ids[0], "bump"); err != nil {
		t.Fatal(err)
	}
	if active, err := dg.GuildThreadsActive(DefaultGuildID); err != nil || len(active.Threads) != 3 {
		t.Errorf("active after the bump = %d, %v", len(active.Threads), err)
	}
	// Archived threads need Read Message History.
	srv.ForbidReadHistory(forumChannel)
	_, err = dg.ThreadsArchived(forumChannel, nil, 2)
	if re := restErr(t, err); re.Response.StatusCode != http.StatusForbidden {
		t.Errorf("archived threads without history: %v", err)
	}
}
