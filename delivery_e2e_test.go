package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/folder"
	"newsbrief/store/postgres/pgtest"
)

// TestBinaryDeliversEveryKind runs the real binary against the fake
// Discord and sets up, through /digest as a server admin would, one digest
// of each kind: a forum post with a tag, a thread with a role's ping,
// published messages in an announcement channel, and an instant digest
// beside a scheduled one in one channel. Each is delivered as asked, a
// file dropped into the articles folder is posted by the instant digest
// at once, and /digest history links what was posted. On SQLite, and on
// PostgreSQL when NEWSBRIEF_TEST_POSTGRES is set.
func TestBinaryDeliversEveryKind(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		binaryDeliversEveryKind(t, dir, "DATABASE_PATH="+filepath.Join(dir, "data", "nb.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		binaryDeliversEveryKind(t, t.TempDir(), "DATABASE_URL="+pgtest.NewSchema(t))
	})
}

func binaryDeliversEveryKind(t *testing.T, dir, database string) {
	const (
		forum    = "300000000000000301"
		text     = "300000000000000302"
		announce = "300000000000000303"
		role     = "300000000000000399"
	)
	srv := discordtest.New(t)
	srv.SetChannelType(forum, discordgo.ChannelTypeGuildForum)
	tags := srv.SetForumTags(forum, "Politics", "Science")
	srv.SetChannelType(announce, discordgo.ChannelTypeGuildNews)
	srv.AddRole(discordtest.DefaultGuildID, role, true)
	articles := filepath.Join(dir, "articles")
	if err := folder.Write(articles, briefstest.Articles(12, 5)); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	bot := startBinary(t, srv, dir, filepath.Join(dir, "unused.db"), &logs, database, "DIGEST_MIN_INTERVAL=1s")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	fail := func() string {
		if bot.ProcessState == nil {
			_ = bot.Process.Signal(syscall.SIGKILL)
			_ = bot.Wait()
		}
		return logs.String()
	}
	if _, err := srv.WaitCommands(ctx, discordtest.DefaultGuildID); err != nil {
		t.Fatalf("no commands: %v\n%s", err, fail())
	}
	channel := func(id string) *discordgo.ApplicationCommandInteractionDataOption {
		return discordtest.TypedOpt("channel", discordgo.ApplicationCommandOptionChannel, id)
	}
	subscribe := func(want string, opts ...*discordgo.ApplicationCommandInteractionDataOption) {
		t.Helper()
		rep, err := srv.Interact(ctx, discordtest.Command("digest", discordtest.Sub("subscribe", opts...)))
		if err != nil || !strings.Contains(rep.Data.Content, want) {
			t.Fatalf("subscribe: %v %+v, want %q\n%s", err, rep, want, fail())
		}
	}
	subscribe("forum posts tagged Science", channel(forum), discordtest.Opt("schedule", "@every 2s"), discordtest.Opt("count", 2), discordtest.Opt("tag", "Science"))
	subscribe("each digest starts a thread", channel(text), discordtest.Opt("schedule", "@every 2s"), discordtest.Opt("count", 2),
		discordtest.Opt("thread", true), discordtest.TypedOpt("mention", discordgo.ApplicationCommandOptionRole, role))
	subscribe("published to following servers", channel(announce), discordtest.Opt("schedule", "@every 2s"), discordtest.Opt("count", 2), discordtest.Opt("publish", true))
	subscribe("as soon as new stories arrive", channel(text), discordtest.Opt("schedule", "instant"), discordtest.Opt("name", "breaking"))

	// The forum: a post named after the digest, tagged, holding it.
	posts, err := srv.WaitThreads(ctx, forum, 1)
	if err != nil {
		t.Fatalf("no forum post: %v\n%s", err, fail())
	}
	if p := posts[0]; !strings.HasPrefix(p.Name, "News, ") || !slices.Equal(p.AppliedTags, []string{tags[1].ID}) || len(srv.Messages(p.ID)) == 0 {
		t.Errorf("forum post %+v", p)
	}
	// The text channel: a message pinging the role, a thread from it.
	threads, err := srv.WaitThreads(ctx, text, 1)
	if err != nil {
		t.Fatalf("no thread: %v\n%s", err, fail())
	}
	first := srv.Messages(text)[0]
	if first.ThreadID != threads[0].ID || !strings.HasPrefix(first.Content, "<@&"+role+">") || !slices.Equal(first.MentionRoles, []string{role}) {
		t.Errorf("the thread's first message: %+v (thread %s)", first, threads[0].ID)
	}
	// The announcement channel: published.
	poll(t, ctx, "a published digest", fail, func() bool {
		msgs := srv.Messages(announce)
		return len(msgs) > 0 && msgs[0].Flags&discordgo.MessageFlagsCrossPosted != 0
	})

	// A file dropped into the folder: the instant digest posts it alone.
	fresh := briefs.Article{Title: "Harbour reopens after the storm", Date: time.Now(), Dated: true,
		Paragraphs: []string{"The harbour reopened on Monday after a week of repairs to the sea wall, the port authority said."}, File: "fresh/harbour.txt"}
	if err := folder.Write(articles, []briefs.Article{fresh}); err != nil {
		t.Fatal(err)
	}
	freshID := briefs.NewID("fresh/harbour.txt", fresh.Title)
	poll(t, ctx, "the instant digest of the new file", fail, func() bool {
		for _, m := range srv.Messages(text) {
			for _, e := range m.Embeds {
				if e.Footer != nil && strings.Contains(e.Footer.Text, freshID) && len(m.Embeds) == 1 {
					return true
				}
			}
		}
		return false
	})

	// The history links what was posted, once it is recorded (after the
	// post is confirmed).
	history := func(what, want string, opts ...*discordgo.ApplicationCommandInteractionDataOption) {
		t.Helper()
		var last string
		poll(t, ctx, what+" "+want, func() string { return last + "\n" + fail() }, func() bool {
			rep, err := srv.Interact(ctx, discordtest.Command("digest", discordtest.Sub("history", opts...)))
			if err != nil {
				return false
			}
			last = rep.Data.Content
			return strings.Contains(last, want)
		})
	}
	history("the forum's history to link a post:", "posted 2 (https://discord.com/channels/"+discordtest.DefaultGuildID+"/", channel(forum))
	history("the instant digest's history:", "posted 1 (", channel(text), discordtest.Opt("name", "breaking"))
	if err := bot.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := bot.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, logs.String())
	}
}
