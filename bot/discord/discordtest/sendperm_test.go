package discordtest

import (
	"net/http"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// TestForbidSend: without Send Messages the bot can look a channel up and
// read it, but posting, making a forum post and starting a thread answer
// 403 Missing Permissions (50013), until AllowSend.
func TestForbidSend(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)
	const text, forum = "300000000000000001", "300000000000000002"
	srv.SetChannelType(forum, discordgo.ChannelTypeGuildForum)
	m, err := dg.ChannelMessageSend(text, "before")
	if err != nil {
		t.Fatal(err)
	}
	srv.ForbidSend(text)
	srv.ForbidSend(forum)
	missingPermissions := func(what string, err error) {
		t.Helper()
		if re := restErr(t, err); re.Response.StatusCode != http.StatusForbidden || re.Message.Code != 50013 || re.Message.Message != "Missing Permissions" {
			t.Errorf("%s: %v, want 403 Missing Permissions (50013)", what, err)
		}
	}
	_, err = dg.ChannelMessageSend(text, "x")
	missingPermissions("message", err)
	_, err = dg.MessageThreadStart(text, m.ID, "t", 60)
	missingPermissions("thread from a message", err)
	_, err = dg.ForumThreadStart(forum, "post", 60, "x")
	missingPermissions("forum post", err)
	if _, err := dg.Channel(text); err != nil {
		t.Errorf("lookup: %v", err)
	}
	if _, err := dg.ChannelMessages(text, 10, "", "", ""); err != nil {
		t.Errorf("read: %v", err)
	}
	srv.AllowSend(text)
	if _, err := dg.ChannelMessageSend(text, "after"); err != nil {
		t.Errorf("after AllowSend: %v", err)
	}
	if n := len(srv.Messages(text)); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
	// ClearFailures drops what FailNext left.
	srv.FailNext("POST", "/channels/"+text+"/messages", 500, 10)
	srv.ClearFailures()
	if _, err := dg.ChannelMessageSend(text, "cleared"); err != nil {
		t.Errorf("after ClearFailures: %v", err)
	}
}
