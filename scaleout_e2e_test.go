package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/folder"
	"newsbrief/store/postgres"
	"newsbrief/store/postgres/pgtest"
)

// syncBuffer is a bytes.Buffer a child process writes while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// articleInFooter finds an article ID in a digest embed's footer.
var articleInFooter = regexp.MustCompile(`· ([a-z0-9-]+-[0-9a-f]{6})`)

const tookPosterLease = "took the digest poster lease"

// articlesAndStore writes n generated articles (from seed) to the articles
// folder of a new directory for the processes to share, and opens the
// store at dbURL, closed when t ends.
func articlesAndStore(t *testing.T, ctx context.Context, dbURL string, n int, seed int64) (string, *postgres.Store) {
	t.Helper()
	dir := t.TempDir()
	if err := folder.Write(filepath.Join(dir, "articles"), briefstest.Articles(n, seed)); err != nil {
		t.Fatal(err)
	}
	st, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return dir, st
}

// TestTwoProcessesOnePostgres runs two newsbrief processes on one
// PostgreSQL schema and one fake Discord. Only the first, which holds the
// poster lease, posts; when it is SIGKILLed, the second takes the lease
// over within seconds and posts the next runs, and no article is posted
// twice.
func TestTwoProcessesOnePostgres(t *testing.T) {
	dbURL := pgtest.NewSchema(t)
	const channel = "300000000000000042"
	srv := discordtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir, st := articlesAndStore(t, ctx, dbURL, 12, 17)
	// Due now, then every 2 seconds, one article a run.
	if _, err := st.PutSubscription(ctx, digest.Subscription{GuildID: discordtest.DefaultGuildID, ChannelID: channel,
		Schedule: "@every 2s", Timezone: "UTC", Count: 1, CreatedBy: "1", NextRun: time.Now()}); err != nil {
		t.Fatal(err)
	}
	env := []string{"DATABASE_URL=" + dbURL, "DIGEST_MIN_INTERVAL=1s"}
	var logs1, logs2 syncBuffer
	// The logs are read while the processes run.
	bot1 := startBinary(t, srv, dir, filepath.Join(dir, "unused.db"), &logs1, env...)
	logs := func() string { return "first:\n" + logs1.String() + "second:\n" + logs2.String() }
	poll(t, ctx, "the first process to take the poster lease", logs, func() bool { return strings.Contains(logs1.String(), tookPosterLease) })
	bot2 := startBinary(t, srv, dir, filepath.Join(dir, "unused.db"), &logs2, env...)
	poll(t, ctx, "the second process to connect", logs, func() bool { return strings.Contains(logs2.String(), "commands registered") })
	poll(t, ctx, "two digests", logs, func() bool { return len(srv.Messages(channel)) >= 2 })
	if strings.Contains(logs2.String(), tookPosterLease) {
		t.Fatalf("both processes took the poster lease\n%s", logs())
	}

	if err := bot1.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = bot1.Wait()
	atKill := len(srv.Messages(channel))
	poll(t, ctx, "the second process to take the poster lease", logs, func() bool { return strings.Contains(logs2.String(), tookPosterLease) })
	takeover := time.Since(killed)
	poll(t, ctx, "two more digests from the second process", logs, func() bool { return len(srv.Messages(channel)) >= atKill+2 })
	firstAfter := time.Since(killed)
	// Nothing left pending: a digest the first process died posting was
	// finished by the second.
	poll(t, ctx, "no digest pending", logs, func() bool {
		p, err := st.PendingDigests(ctx)
		return err == nil && len(p) == 0
	})
	if err := bot2.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := bot2.Wait(); err != nil {
		t.Errorf("second process after SIGTERM: %v", err)
	}
	t.Logf("takeover %v after the SIGKILL; two more digests posted %v after it", takeover.Round(time.Millisecond), firstAfter.Round(time.Millisecond))
	if takeover > 5*time.Second {
		t.Errorf("the takeover took %v, want a few seconds at most", takeover)
	}
	seen := map[string]bool{}
	for _, m := range srv.Messages(channel) {
		for _, e := range m.Embeds {
			id := ""
			if e.Footer != nil {
				if m := articleInFooter.FindStringSubmatch(e.Footer.Text); m != nil {
					id = m[1]
				}
			}
			if id == "" {
				t.Fatalf("no article ID in the digest embed %+v", e)
			}
			if seen[id] {
				t.Errorf("article %s posted twice\n%s", id, logs())
			}
			seen[id] = true
		}
	}
}
