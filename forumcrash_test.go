package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/digest"
	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/folder"
	"newsbrief/store/postgres"
	"newsbrief/store/postgres/pgtest"
	"newsbrief/store/sqlite"
)

// crashStore is a database as the crash test reads it beside the binary.
type crashStore interface {
	digest.Store
	Close() error
}

// TestKilledAfterDiscordCreatedTheForumPost is the forum post's crash: the
// real binary is SIGKILLed after Discord made the digest's forum post but
// before the bot heard of it, so the digest is not marked sent, and is
// started again on the same database. A forum post takes no nonce, so
// only the read-back keeps it from being made twice: after the restart
// there must be exactly one post, with every part of the digest, tagged
// as asked. Run on SQLite, and on PostgreSQL when NEWSBRIEF_TEST_POSTGRES
// is set.
func TestKilledAfterDiscordCreatedTheForumPost(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		db := filepath.Join(dir, "data", "nb.db")
		st, err := sqlite.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		killedAfterForumPost(t, dir, db, st)
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.NewSchema(t)
		dir := t.TempDir()
		st, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		killedAfterForumPost(t, dir, filepath.Join(dir, "unused.db"), st, "DATABASE_URL="+url)
	})
}

func killedAfterForumPost(t *testing.T, dir, db string, st crashStore, env ...string) {
	const forum = "300000000000000097"
	t.Cleanup(func() { st.Close() })
	srv := discordtest.New(t)
	srv.SetChannelType(forum, discordgo.ChannelTypeGuildForum)
	srv.SetChannelName(forum, "news-forum")
	tags := srv.SetForumTags(forum, "Politics", "Science")
	// Ten articles with long summaries: a digest of two messages, the
	// forum post's starter and one more in the post.
	arts := briefstest.Articles(10, 13)
	for i := range arts {
		arts[i].Paragraphs = []string{"Lead " + strings.Repeat(fmt.Sprintf("word%d ", i), 130) + "ends here."}
	}
	if err := folder.Write(filepath.Join(dir, "articles"), arts); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// An hourly digest made two hours ago that never ran: the bot posts
	// the missed run as soon as it starts.
	sub, err := st.PutSubscription(ctx, digest.Subscription{GuildID: discordtest.DefaultGuildID, ChannelID: forum,
		Schedule: "0 * * * *", Timezone: "UTC", Count: 10, Tag: "Science", CreatedBy: "1", CreatedAt: time.Now().Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}

	// The answer to the forum post is lost, and while the first process
	// lives it cannot look for the post either (every listing of the
	// guild's active threads fails): it never learns that the post was
	// made, so the digest stays pending whenever the kill lands.
	srv.DropResponseAfterCreate(forum)
	activeThreads := "/guilds/" + discordtest.DefaultGuildID + "/threads/active"
	srv.FailNext("GET", activeThreads, 500, 1000)
	var logs1 bytes.Buffer
	bot := startBinary(t, srv, dir, db, &logs1, env...)
	killNow := func() {
		_ = bot.Process.Signal(syscall.SIGKILL)
		_ = bot.Wait()
	}
	if _, err := srv.WaitThreads(ctx, forum, 1); err != nil {
		killNow()
		t.Fatalf("the bot never made its forum post: %v\n%s", err, logs1.String())
	}
	// The kill lands once the bot, its answer lost, is looking for the
	// post: after Discord made it, before the digest could be marked sent.
	looking := func() bool {
		for _, r := range srv.Requests() {
			if r.Method == "GET" && r.Path == activeThreads {
				return true
			}
		}
		return false
	}
	poll(t, ctx, "the bot to look for the post whose answer it lost", func() string { killNow(); return logs1.String() }, looking)
	killNow()
	if ws, ok := bot.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the bot was not killed: %v\n%s", bot.ProcessState, logs1.String())
	}
	pending, err := st.PendingDigests(ctx)
	if err != nil || len(pending) != 1 {
		t.Fatalf("after the kill: pending %v, %v; want the one digest\n%s", pending, err, logs1.String())
	}
	posts := srv.Threads(forum)
	if len(posts) != 1 || len(srv.Messages(posts[0].ID)) != 1 {
		t.Fatalf("before the restart: %d posts, want 1 holding only its starter message", len(posts))
	}

	srv.ClearFailures()
	mark := len(srv.Requests())
	all := restartUntilSent(t, ctx, srv, dir, db, st, sub.ID, &logs1, func() bool { return len(srv.Threads(forum)) > 1 }, env...)

	posts = srv.Threads(forum)
	if len(posts) != 1 {
		t.Fatalf("%d forum posts, want exactly 1\n%s", len(posts), all)
	}
	post := posts[0]
	for _, r := range srv.Requests()[mark:] {
		if r.Method == "POST" && r.Path == "/channels/"+forum+"/threads" {
			t.Errorf("the restarted bot made a forum post again")
		}
	}
	s, err := st.SubscriptionByID(ctx, sub.ID)
	if err != nil || s.LastOutcome != "posted 10" || s.Paused != "" {
		t.Fatalf("subscription: outcome %q, paused %q, %v\n%s", s.LastOutcome, s.Paused, err, all)
	}
	if want := "News, " + s.LastRunAt.UTC().Format("2 January 2006"); post.Name != want {
		t.Errorf("post named %q, want %q", post.Name, want)
	}
	if !slices.Equal(post.AppliedTags, []string{tags[1].ID}) {
		t.Errorf("post tags %v, want Science's", post.AppliedTags)
	}
	// All parts, each once: the starter and the second message, every
	// article once.
	msgs := srv.Messages(post.ID)
	if len(msgs) != 2 || msgs[0].ID != post.ID {
		t.Fatalf("the post holds %d messages, want its 2 parts\n%s", len(msgs), all)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		for _, e := range m.Embeds {
			var id string
			if e.Footer != nil {
				if m := articleInFooter.FindStringSubmatch(e.Footer.Text); m != nil {
					id = m[1]
				}
			}
			if id == "" || seen[id] {
				t.Errorf("embed %q: article ID %q missing or posted twice", e.Title, id)
			}
			seen[id] = true
		}
	}
	if len(seen) != len(arts) {
		t.Errorf("%d articles in the post, want all %d", len(seen), len(arts))
	}
	runs, err := st.History(ctx, sub.ID, 1)
	link := "https://discord.com/channels/" + discordtest.DefaultGuildID + "/" + post.ID
	if err != nil || len(runs) != 1 || runs[0].Outcome != "posted 10" || runs[0].URL != link {
		t.Errorf("history %+v, %v; want posted 10 with the link %s", runs, err, link)
	}
	if !strings.Contains(all, "found a pending digest's forum post") {
		t.Errorf("the restarted bot does not log finding the post:\n%s", all)
	}
}
