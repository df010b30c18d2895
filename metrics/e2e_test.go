package metrics_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/command"
	"newsbrief/bot/digest"
	"newsbrief/bot/digest/digesttest"
	"newsbrief/bot/discord"
	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/folder"
	"newsbrief/internal/lifecycle"
	"newsbrief/metrics"
	"newsbrief/store/sqlite"
)

const digestChannel = "300000000000000077"

// TestEndToEnd runs the real bot (real discordgo) against the fake Discord
// with the metrics listener on 127.0.0.1, drives interactions and a digest
// post, and checks what a Prometheus scrape over HTTP sees, and what
// /healthz and /readyz answer before the gateway is connected, while it
// is, and once the database is closed.
func TestEndToEnd(t *testing.T) {
	srv := discordtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	dir := t.TempDir()
	if err := folder.Write(dir, briefstest.Articles(12, 3)); err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	lib := briefs.New()
	if _, err := folder.Load(lib, dir, folder.WithReloadObserver(m.FolderReloaded)); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "newsbrief.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := digesttest.NewClock(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	digests := digest.New(lib, st, digest.WithClock(clock), digest.WithMinInterval(time.Second), digest.WithObserver(m))
	router := command.New(lib, digests, nil, command.WithMiddleware(m.Middleware()))
	b := discord.New(router, discord.WithAPIURL(srv.URL()),
		discord.WithRESTObserver(m), discord.WithPostBackoff(10*time.Millisecond))
	m.Watch(lib.Len, digests, b)

	ms, err := metrics.Listen("127.0.0.1:0", m.Handler(metrics.Readiness{Shards: b, DB: st}, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	srvCtx, stopServing := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() { ms.Run(srvCtx); close(served) }()
	defer func() { stopServing(); <-served }()
	base := "http://" + ms.Addr().String()

	// Before the gateway: alive, not ready.
	expect(t, base+"/healthz", http.StatusOK, "ok")
	expect(t, base+"/readyz", http.StatusServiceUnavailable, "gateway: not connected yet")

	// The gateway, then the digest runner posting through it, as the
	// program runs them.
	var g lifecycle.Group
	g.Add("gateway", func(ctx context.Context, started func()) error { return b.Run(ctx, discordtest.Token, started) })
	g.Add("digest runner", lifecycle.StartStop(func(ctx context.Context) error { return digests.Start(ctx, b.Poster()) }, digests.Stop))
	botCtx, stopBot := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- g.Run(botCtx) }()
	defer func() {
		stopBot()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	if err := srv.WaitReady(ctx); err != nil {
		t.Fatalf("bot never became ready: %v", err)
	}
	if _, err := srv.WaitCommands(ctx, ""); err != nil {
		t.Fatalf("commands never registered: %v", err)
	}
	<-digests.Started()
	poll(t, ctx, "/readyz to answer 200", func() bool {
		code, _ := get(t, base+"/readyz")
		return code == http.StatusOK
	})

	interact(t, ctx, srv, discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("count", 2))))
	interact(t, ctx, srv, discordtest.Command("brief", discordtest.Sub("search", discordtest.Opt("query", "   "))))
	interact(t, ctx, srv, discordtest.Command("digest", discordtest.Sub("subscribe",
		discordtest.TypedOpt("channel", discordgo.ApplicationCommandOptionChannel, digestChannel),
		discordtest.Opt("schedule", "@every 1h"), discordtest.Opt("count", 3))))
	sub, err := st.Subscription(ctx, discordtest.DefaultGuildID, digestChannel, "digest")
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(sub.NextRun)
	if _, err := srv.WaitMessages(ctx, digestChannel, 1); err != nil {
		t.Fatalf("no digest posted: %v", err)
	}
	// The observer hears the post once it is recorded, just after Discord
	// took it: wait for the count, not for a time.
	var body string
	poll(t, ctx, "the digest counted as posted", func() bool {
		body = scrape(t, base)
		v, ok := value(body, `newsbrief_digests_total{outcome="posted"}`)
		return ok && v == 1
	})
	// A scrape is not one instant: its collectors run concurrently, so the
	// one that saw the digest counted may have read the REST counters
	// before the post's request was counted. A scrape begun after it sees
	// both, since the request is counted before the digest is.
	body = scrape(t, base)

	for series, want := range map[string]float64{
		`newsbrief_interactions_total{command="brief latest",kind="command",outcome="ok"}`:         1,
		`newsbrief_interactions_total{command="brief search",kind="command",outcome="user_error"}`: 1,
		`newsbrief_interactions_total{command="digest subscribe",kind="command",outcome="ok"}`:     1,
		`newsbrief_interaction_duration_seconds_count{command="brief latest",kind="command"}`:      1,
		`newsbrief_digests_total{outcome="failed"}`:                                                0,
		`newsbrief_digests_total{outcome="paused"}`:                                                0,
		`newsbrief_digest_articles_posted_total`:                                                   3,
		`newsbrief_library_articles`:                                                               12,
		`newsbrief_gateway_connected{shard="0"}`:                                                   1,
		`newsbrief_digest_runs_waiting`:                                                            0,
		`newsbrief_digest_oldest_waiting_run_age_seconds`:                                          0,
		`newsbrief_folder_reloads_total{outcome="error"}`:                                          0,
	} {
		if got, ok := value(body, series); !ok || got != want {
			t.Errorf("%s = %v (present: %v), want %v", series, got, ok, want)
		}
	}
	for _, series := range []string{
		`newsbrief_discord_rest_requests_total{method="POST",route="/channels/{id}/messages",status="200"}`,
		`newsbrief_discord_rest_requests_total{method="GET",route="/users/@me",status="200"}`,
		`newsbrief_discord_rest_requests_total{method="PUT",route="/applications/{id}/commands",status="200"}`,
	} {
		if got, ok := value(body, series); !ok || got < 1 {
			t.Errorf("%s = %v (present: %v), want at least 1\n%s", series, got, ok, grep(body, "rest_requests"))
		}
	}
	if !regexp.MustCompile(`(?m)^newsbrief_discord_rest_requests_total\{method="POST",route="/interactions/\{id\}/\{token\}/callback",status="20[04]"\} [1-9]`).MatchString(body) {
		t.Errorf("no interaction callbacks counted by their route template:\n%s", grep(body, "rest_requests"))
	}
	if _, ok := value(body, `newsbrief_gateway_latency_seconds{shard="0"}`); !ok {
		t.Error("no gateway latency for shard 0")
	}
	if !strings.Contains(body, "\ngo_goroutines ") || !strings.Contains(body, "\nprocess_start_time_seconds ") {
		t.Error("the Go and process collectors are missing")
	}
	// Bounded labels: no snowflake or token in a route.
	if ids := regexp.MustCompile(`route="[^"]*[0-9]{5,}[^"]*"`).FindAllString(body, -1); len(ids) > 0 {
		t.Errorf("routes carry raw IDs: %v", ids)
	}
	if strings.Contains(body, discordtest.Token) {
		t.Error("the token appears in the metrics")
	}

	// A database that no longer answers makes the process unready.
	st.Close()
	code, text := get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(text, "database") {
		t.Errorf("/readyz with the database closed: %d %q, want 503 naming the database", code, text)
	}
	expect(t, base+"/healthz", http.StatusOK, "ok")
}

func interact(t *testing.T, ctx context.Context, srv *discordtest.Server, in *discordgo.Interaction) {
	t.Helper()
	if _, err := srv.Interact(ctx, in); err != nil {
		t.Fatalf("interaction %s: %v", in.ApplicationCommandData().Name, err)
	}
}

// poll checks cond every few milliseconds until it holds or ctx ends.
func poll(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

func expect(t *testing.T, url string, code int, text string) {
	t.Helper()
	gotCode, got := get(t, url)
	if gotCode != code || !strings.Contains(got, text) {
		t.Errorf("GET %s = %d %q, want %d containing %q", url, gotCode, got, code, text)
	}
}

func scrape(t *testing.T, base string) string {
	t.Helper()
	code, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d:\n%s", code, body)
	}
	return body
}

func grep(body, s string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
