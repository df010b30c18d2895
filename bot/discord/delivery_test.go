package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/digest"
	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
)

// These tests deliver digests through the poster, with the real discordgo
// client and the bot's own REST transports, to the fake Discord: forum
// posts, threads, crossposts and mentions, and each found again after a
// crash instead of made twice.

const (
	textCh  = "300000000000000061"
	newsCh  = "300000000000000062"
	forumCh = "300000000000000063"
	guild   = discordtest.DefaultGuildID
)

// logBuffer is a log the poster writes and a test reads.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// deliveryFixture is a fake Discord with a text, an announcement and a
// forum channel (tags World and Sport), and a poster started on it as Run
// starts one.
type deliveryFixture struct {
	t    *testing.T
	srv  *discordtest.Server
	tags []discordgo.ForumTag
	logs *logBuffer
}

func newDeliveryFixture(t *testing.T, opts ...discordtest.Option) *deliveryFixture {
	t.Helper()
	srv := discordtest.New(t, append([]discordtest.Option{discordtest.WithGlobalRateLimit(100000)}, opts...)...)
	for _, ch := range []string{textCh, newsCh, forumCh} {
		srv.AddChannel(guild, ch)
	}
	srv.SetChannelName(forumCh, "news-forum")
	srv.SetChannelType(newsCh, discordgo.ChannelTypeGuildNews)
	srv.SetChannelType(forumCh, discordgo.ChannelTypeGuildForum)
	return &deliveryFixture{t: t, srv: srv, tags: srv.SetForumTags(forumCh, "World", "Sport"), logs: &logBuffer{}}
}

// poster is a new poster, as a (re)started bot makes: nothing cached.
func (f *deliveryFixture) poster() *poster {
	f.t.Helper()
	b := New(nil, WithAPIURL(f.srv.URL()), WithRequestRate(1000))
	client, err := b.restClient()
	if err != nil {
		f.t.Fatal(err)
	}
	s, err := b.session(discordtest.Token, client)
	if err != nil {
		f.t.Fatal(err)
	}
	s.State.User = &discordgo.User{ID: discordtest.BotUserID} // as READY sets it
	return newPoster(s, slog.New(slog.NewTextHandler(f.logs, nil)), time.Millisecond)
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

var nonces struct {
	sync.Mutex
	n int
}

// newPost is a digest of arts to channel, with a nonce of its own.
func newPost(channel string, arts []briefs.Article) digest.Post {
	nonces.Lock()
	nonces.n++
	n := nonces.n
	nonces.Unlock()
	return digest.Post{GuildID: guild, ChannelID: channel, Nonce: fmt.Sprintf("test-%d", n), Articles: arts,
		Name: "News, 6 December 2026"}
}

// longArticles are n articles long enough that a digest of 10 takes two
// messages.
func longArticles(n int, seed int64) []briefs.Article {
	arts := briefstest.Articles(n, seed)
	for i := range arts {
		arts[i].Paragraphs = []string{"Lead " + strings.Repeat(fmt.Sprintf("word%d ", i), 130) + "ends here."}
	}
	return arts
}

func mustPost(t *testing.T, p *poster, d digest.Post) digest.Delivered {
	t.Helper()
	got, err := p.Post(ctxFor(t, 30*time.Second), d)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	return got
}

// partsOf lists the digest marker's part ("1/2", or "1" alone) of each message.
func partsOf(t *testing.T, msgs []discordtest.Message) []string {
	t.Helper()
	var out []string
	for _, m := range msgs {
		_, part, ok := parseMarker(m.Embeds[len(m.Embeds)-1].Footer.Text)
		if !ok {
			t.Fatalf("message %s has no marker", m.ID)
		}
		out = append(out, fmt.Sprint(part))
	}
	return out
}

// allowedMentionsOf is the allowed_mentions a message was created with,
// as sent: a message's own, or a forum post's starter message's.
func allowedMentionsOf(t *testing.T, m discordtest.Message) string {
	t.Helper()
	var body struct {
		AllowedMentions json.RawMessage `json:"allowed_mentions"`
		Message         *struct {
			AllowedMentions json.RawMessage `json:"allowed_mentions"`
		} `json:"message"`
	}
	if err := json.Unmarshal(m.Raw, &body); err != nil {
		t.Fatal(err)
	}
	if body.Message != nil {
		return string(body.Message.AllowedMentions)
	}
	return string(body.AllowedMentions)
}

func countRequests(srv *discordtest.Server, from int, method, prefix string) int {
	n := 0
	for _, r := range srv.Requests()[from:] {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}
