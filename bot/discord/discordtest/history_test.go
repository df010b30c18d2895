package discordtest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// TestChannelMessagesNewestFirst reads back posts through discordgo's
// ChannelMessages: newest first for every query, IDs that are snowflakes of
// the creation time (so after=SnowflakeAt(t) finds what was posted from t
// on), and the fields a read-back needs.
func TestChannelMessagesNewestFirst(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clk := newTestClock(start)
	srv := New(t, WithClock(clk.Now))
	dg := newSession(t, srv, "Bot "+Token)

	var ids []string // oldest first
	var times []time.Time
	for i := range 5 {
		times = append(times, clk.Now())
		id, _, err := postWithNonce(dg, testChannel, fmt.Sprintf("post %d", i), fmt.Sprintf("n%d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		clk.Advance(time.Minute)
	}
	// Another channel's messages never show.
	if _, err := dg.ChannelMessageSend(testChannel+"9", "elsewhere"); err != nil {
		t.Fatal(err)
	}

	read := func(limit int, before, after, around string) []string {
		t.Helper()
		msgs, err := dg.ChannelMessages(testChannel, limit, before, after, around)
		if err != nil {
			t.Fatalf("ChannelMessages(%d, %q, %q, %q): %v", limit, before, after, around, err)
		}
		out := make([]string, len(msgs))
		for i, m := range msgs {
			out[i] = m.ID
		}
		return out
	}
	want := func(idx ...int) []string {
		out := make([]string, len(idx))
		for i, j := range idx {
			out[i] = ids[j]
		}
		return out
	}
	check := func(name string, got, want []string) {
		t.Helper()
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}

	msgs, err := dg.ChannelMessages(testChannel, 0, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 5 {
		t.Fatalf("got %d messages, want 5", len(msgs))
	}
	for i, m := range msgs {
		j := 4 - i
		if m.ID != ids[j] || m.ChannelID != testChannel || m.Content != fmt.Sprintf("post %d", j) {
			t.Fatalf("message %d = %+v, want post %d", i, m, j)
		}
		if len(m.Embeds) != 1 || m.Embeds[0].Footer == nil || m.Embeds[0].Footer.Text != fmt.Sprintf("digest n%d", j) {
			t.Fatalf("message %d embeds = %+v", i, m.Embeds)
		}
		if m.Author == nil || m.Author.ID != BotUserID || !m.Author.Bot {
			t.Fatalf("message %d author = %+v", i, m.Author)
		}
		if !m.Timestamp.Equal(times[j]) {
			t.Fatalf("message %d timestamp = %v, want %v", i, m.Timestamp, times[j])
		}
		if at, err := discordgo.SnowflakeTimestamp(m.ID); err != nil || !at.Equal(times[j]) {
			t.Fatalf("message %d id time = %v, %v; want %v", i, at, err, times[j])
		}
	}

	check("limit 2", read(2, "", "", ""), want(4, 3))
	check("before 3", read(2, ids[3], "", ""), want(2, 1))
	check("before 1", read(10, ids[1], "", ""), want(0))
	check("after 1 (the page right after it)", read(2, "", ids[1], ""), want(3, 2))
	check("after newest", read(10, "", ids[4], ""), want())
	check("after the time of post 2", read(0, "", SnowflakeAt(times[2]), ""), want(4, 3, 2))
	check("before the time of post 2", read(0, SnowflakeAt(times[2]), "", ""), want(1, 0))
	check("around 2", read(3, "", "", ids[2]), want(3, 2, 1))
	check("around newest", read(3, "", "", ids[4]), want(4, 3, 2))

	// Deleted messages are gone from the history.
	if err := dg.ChannelMessageDelete(testChannel, ids[3]); err != nil {
		t.Fatal(err)
	}
	check("after delete", read(0, "", "", ""), want(4, 2, 1, 0))
}

// TestChannelMessagesHaveNoNonce: Discord returns the nonce to the post
// that created the message only, never when messages are read, so a
// read-back must recognise its posts by their content.
func TestChannelMessagesHaveNoNonce(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)
	id, nonce, err := postWithNonce(dg, testChannel, "daily", "digest-42")
	if err != nil || nonce != "digest-42" {
		t.Fatalf("post: nonce %q, %v", nonce, err)
	}
	for _, ep := range []string{discordgo.EndpointChannelMessages(testChannel), discordgo.EndpointChannelMessage(testChannel, id)} {
		b, err := dg.RequestWithBucketID("GET", ep, nil, ep)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), id) || strings.Contains(string(b), "nonce") {
			t.Fatalf("GET %s = %s", ep, b)
		}
	}
	if m := srv.Messages(testChannel); len(m) != 1 || m[0].Nonce != "digest-42" {
		t.Fatalf("stored = %+v", m)
	}
}

// TestChannelMessagesShowInteractionReplies: an interaction's public
// answer is a message of the channel too; an ephemeral one is not.
func TestChannelMessagesShowInteractionReplies(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := openSession(t, srv, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		var flags discordgo.MessageFlags
		if i.ApplicationCommandData().Name == "secret" {
			flags = discordgo.MessageFlagsEphemeral
		}
		_ = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "reply to " + i.ApplicationCommandData().Name, Flags: flags},
		})
	})
	if _, err := dg.ChannelMessageSend(testChannel, "digest"); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t, 5*time.Second)
	for _, name := range []string{"brief", "secret"} {
		in := Command(name)
		in.ChannelID = testChannel
		if _, err := srv.Interact(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := dg.ChannelMessages(testChannel, 0, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].Content != "reply to brief" || msgs[1].Content != "digest" {
		t.Fatalf("history = %+v", msgs)
	}
}

func TestChannelMessagesRefused(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)

	// Without Read Message History the bot may post but not read.
	srv.ForbidReadHistory("1")
	if _, err := dg.ChannelMessageSend("1", "posted"); err != nil {
		t.Fatalf("post with reads forbidden: %v", err)
	}
	_, err := dg.ChannelMessages("1", 10, "", "", "")
	if re := restErr(t, err); re.Response.StatusCode != 403 || re.Message.Code != 50001 || re.Message.Message != "Missing Access" {
		t.Fatalf("read forbidden: %v", err)
	}
	srv.AllowReadHistory("1")
	if msgs, err := dg.ChannelMessages("1", 10, "", "", ""); err != nil || len(msgs) != 1 {
		t.Fatalf("read allowed again: %+v, %v", msgs, err)
	}

	// A forbidden or deleted channel answers like POST does.
	srv.ForbidChannel("2")
	srv.DeleteChannel("3")
	_, err = dg.ChannelMessages("2", 10, "", "", "")
	if re := restErr(t, err); re.Response.StatusCode != 403 || re.Message.Code != 50001 {
		t.Fatalf("forbidden channel: %v", err)
	}
	_, err = dg.ChannelMessages("3", 10, "", "", "")
	if re := restErr(t, err); re.Response.StatusCode != 404 || re.Message.Code != 10003 || re.Message.Message != "Unknown Channel" {
		t.Fatalf("deleted channel: %v", err)
	}

	// Invalid queries are 400 Invalid Form Body.
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "before=abc", "after=1&before=2", "around=1&after=2"} {
		req, _ := http.NewRequest("GET", srv.URL()+"/channels/"+testChannel+"/messages?"+q, nil)
		req.Header.Set("Authorization", "Bot "+Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(body), "50035") {
			t.Errorf("%s: %d %s", q, resp.StatusCode, body)
		}
	}
	if _, err := dg.ChannelMessages(testChannel, 100, "", "", ""); err != nil {
		t.Fatalf("limit 100: %v", err)
	}
}
