package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/folder"
	"newsbrief/store/sqlite"
)

// startBinary runs the real main in a child process against the fake
// Discord, with the articles in dir/articles, the database at db and the
// extra environment variables env (DATABASE_URL, unless env sets it, is
// empty: SQLite at db). The child's logs go to stderr, to be read once it
// has exited unless stderr is safe for concurrent use.
func startBinary(t *testing.T, srv *discordtest.Server, dir, db string, stderr io.Writer, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NEWSBRIEF_RUN_MAIN=1",
		"DISCORD_TOKEN="+discordtest.Token, "DISCORD_API_URL="+srv.URL(), "DISCORD_GUILD_ID="+discordtest.DefaultGuildID,
		"BRIEFS_DIR=articles", "DATABASE_PATH="+db, "DATABASE_URL=", "LOG_LEVEL=info")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

// poll calls cond every 20 ms until it holds, failing the test with what
// and the logs when ctx ends first.
func poll(t *testing.T, ctx context.Context, what string, logs func() string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s\n%s", what, logs())
		case <-tick.C:
		}
	}
}

// TestKilledAfterDiscordCreatedTheDigest is the crash that Discord's nonce
// cannot cover: the real binary is SIGKILLed after Discord created its
// digest but before it heard back, and is started again on the same
// database after Discord's nonce window has passed. The restarted bot must
// find the digest in the channel and mark it sent, posting nothing twice and
// losing nothing.
func TestKilledAfterDiscordCreatedTheDigest(t *testing.T) {
	const channel = "300000000000000099"
	srv := discordtest.New(t)
	dir := t.TempDir()
	arts := briefstest.Articles(3, 11)
	if err := folder.Write(filepath.Join(dir, "articles"), arts); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "data", "nb.db")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// An hourly digest made two hours ago that never ran: the bot posts
	// the missed run as soon as it starts.
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := st.PutSubscription(ctx, digest.Subscription{GuildID: discordtest.DefaultGuildID, ChannelID: channel,
		Schedule: "0 * * * *", Timezone: "UTC", Count: 5, CreatedBy: "1", CreatedAt: time.Now().Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// Every answer to a post in the channel is lost: the first attempt is
	// created, and each retry (the same nonce, within the window) finds
	// it, so the bot never hears back before it is killed, whatever the
	// timing.
	for range 5 {
		srv.DropResponseAfterCreate(channel)
	}
	var logs1 bytes.Buffer
	bot := startBinary(t, srv, dir, db, &logs1)
	if _, err := srv.WaitMessages(ctx, channel, 1); err != nil {
		_ = bot.Process.Kill()
		_ = bot.Wait()
		t.Fatalf("the bot never posted its digest: %v\n%s", err, logs1.String())
	}
	if err := bot.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = bot.Wait()
	if ws, ok := bot.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the bot was not killed: %v\n%s", bot.ProcessState, logs1.String())
	}

	st, err = sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pending, err := st.PendingDigests(ctx)
	if err != nil || len(pending) != 1 {
		t.Fatalf("after the kill: pending %v, %v; want the one digest\n%s", pending, err, logs1.String())
	}
	if n := len(srv.Messages(channel)); n != 1 {
		t.Fatalf("%d messages before the restart, want 1", n)
	}

	// Discord forgets the nonce: posting the digest again now would show it
	// twice.
	srv.ExpireNonces()
	mark := len(srv.Requests())
	all := restartUntilSent(t, ctx, srv, dir, db, st, sub.ID, &logs1, func() bool { return len(srv.Messages(channel)) > 1 })

	msgs := srv.Messages(channel)
	if len(msgs) != 1 {
		t.Fatalf("%d digest messages in the channel, want exactly 1\n%s", len(msgs), all)
	}
	for _, r := range srv.Requests()[mark:] {
		if r.Method == "POST" && strings.HasPrefix(r.Path, "/channels/"+channel+"/") {
			t.Errorf("the restarted bot posted to the channel: %s %s", r.Method, r.Path)
		}
	}
	// Nothing lost: the one message holds every article, and they are
	// recorded as posted in a sent digest.
	var titles []string
	for _, e := range msgs[0].Embeds {
		titles = append(titles, e.Title)
	}
	for _, a := range arts {
		if !strings.Contains(strings.Join(titles, "\n"), a.Title) {
			t.Errorf("article %q missing from the digest %q", a.Title, titles)
		}
	}
	if pending, err := st.PendingDigests(ctx); err != nil || len(pending) != 0 {
		t.Errorf("still pending: %v, %v", pending, err)
	}
	s, err := st.SubscriptionByID(ctx, sub.ID)
	if err != nil || s.LastOutcome != "posted 3" || s.Paused != "" {
		t.Errorf("subscription: outcome %q, paused %q, %v", s.LastOutcome, s.Paused, err)
	}
	if !strings.Contains(all, "found a pending digest in its channel") {
		t.Errorf("the restarted bot does not log finding the digest:\n%s", all)
	}
}

// restartUntilSent starts the binary again on the same database after a
// first run that left a digest pending (its log in first), waits until no
// digest is pending (or twice() sees the digest posted twice, for the
// caller to report) and the subscription's run is recorded, which comes
// after, then stops it with SIGTERM. It returns both runs' logs.
func restartUntilSent(t *testing.T, ctx context.Context, srv *discordtest.Server, dir, db string, st digest.Store, subID int64,
	first *bytes.Buffer, twice func() bool, env ...string) string {
	t.Helper()
	var second bytes.Buffer
	bot := startBinary(t, srv, dir, db, &second, env...)
	// second is read only after the bot has exited.
	stopped := func() string {
		if bot.ProcessState == nil {
			_ = bot.Process.Signal(syscall.SIGKILL)
			_ = bot.Wait()
		}
		return "first run:\n" + first.String() + "second run:\n" + second.String()
	}
	poll(t, ctx, "the pending digest to be marked sent", stopped, func() bool {
		p, err := st.PendingDigests(ctx)
		return (err == nil && len(p) == 0) || twice()
	})
	poll(t, ctx, "the run to be recorded", stopped, func() bool {
		s, err := st.SubscriptionByID(ctx, subID)
		return err == nil && s.LastOutcome != ""
	})
	if err := bot.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := bot.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	return stopped()
}
