package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"newsbrief/bot/command"
	"newsbrief/bot/digest"
	"newsbrief/bot/discord"
	"newsbrief/briefs/feed"
	"newsbrief/metrics"
)

type fakeBacklog struct {
	b   digest.Backlog
	now time.Time
	err error
}

func (f fakeBacklog) Backlog(context.Context) (digest.Backlog, error) { return f.b, f.err }
func (f fakeBacklog) Now() time.Time                                  { return f.now }

type fakeShards []discord.ShardState

func (f fakeShards) Shards() []discord.ShardState { return f }

type pinger func(context.Context) error

func (p pinger) Ping(ctx context.Context) error { return p(ctx) }

func serveOnce(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

// TestMiddlewareCountsOutcomes: every request is counted by command, kind
// and outcome, and timed; a user error is not a failure.
func TestMiddlewareCountsOutcomes(t *testing.T) {
	m := metrics.New()
	r := command.NewRouter(m.Middleware())
	r.Handle("brief read", func(_ context.Context, req command.Request) (command.Reply, error) {
		switch req.Options["article"] {
		case "missing":
			return command.Reply{}, command.Userf("No such article.")
		case "broken":
			return command.Reply{}, errors.New("database gone")
		}
		return command.Reply{Content: "ok"}, nil
	})
	r.HandleAutocomplete("brief read", func(context.Context, command.Request) (command.Reply, error) {
		return command.Reply{}, nil
	})
	for _, req := range []command.Request{
		{Path: "brief read", Options: map[string]any{"article": "a"}},
		{Path: "brief read", Options: map[string]any{"article": "b"}},
		{Path: "brief read", Options: map[string]any{"article": "missing"}},
		{Path: "brief read", Options: map[string]any{"article": "broken"}},
		{Path: "brief read", Autocomplete: true},
		{Path: "nope"}, // unknown: never reaches a handler, not counted
	} {
		r.Serve(context.Background(), req)
	}
	body := gather(t, m)
	for series, want := range map[string]float64{
		`newsbrief_interactions_total{command="brief read",kind="command",outcome="ok"}`:         2,
		`newsbrief_interactions_total{command="brief read",kind="command",outcome="user_error"}`: 1,
		`newsbrief_interactions_total{command="brief read",kind="command",outcome="error"}`:      1,
		`newsbrief_interactions_total{command="brief read",kind="autocomplete",outcome="ok"}`:    1,
		`newsbrief_interaction_duration_seconds_count{command="brief read",kind="command"}`:      4,
	} {
		if got, ok := value(body, series); !ok || got != want {
			t.Errorf("%s = %v (present: %v), want %v", series, got, ok, want)
		}
	}
	if strings.Contains(body, `command="nope"`) {
		t.Error("an unknown command got a series")
	}
}

// TestObservers: REST requests by route and status with 429s by scope,
// digest outcomes, folder reloads and feed fetches.
func TestObservers(t *testing.T) {
	m := metrics.New()
	route := "/channels/{id}/messages"
	m.ObserveREST(discord.RESTRequest{Method: "POST", Route: route, Status: 200})
	m.ObserveREST(discord.RESTRequest{Method: "POST", Route: route, Status: 429})
	m.ObserveREST(discord.RESTRequest{Method: "POST", Route: route, Status: 429, Global: true})
	m.ObserveREST(discord.RESTRequest{Method: "POST", Route: route, Status: 0})
	m.DigestPosted(digest.Posted, 4)
	m.DigestPosted(digest.Failed, 4)
	m.DigestPosted(digest.Paused, 2)
	m.DigestPosted(digest.Posted, 1)
	m.FolderReloaded(nil)
	m.FolderReloaded(errors.New("gone"))
	m.FeedFetched("bbc", feed.FetchOK)
	m.FeedFetched("bbc", feed.FetchNotModified)
	m.FeedFetched("npr", feed.FetchError)
	body := gather(t, m)
	for series, want := range map[string]float64{
		`newsbrief_discord_rest_requests_total{method="POST",route="/channels/{id}/messages",status="200"}`: 1,
		`newsbrief_discord_rest_requests_total{method="POST",route="/channels/{id}/messages",status="429"}`: 2,
		`newsbrief_discord_rest_requests_total{method="POST",route="/channels/{id}/messages",status="0"}`:   1,
		`newsbrief_discord_rate_limited_total{route="/channels/{id}/messages",scope="route"}`:               1,
		`newsbrief_discord_rate_limited_total{route="/channels/{id}/messages",scope="global"}`:              1,
		`newsbrief_digests_total{outcome="posted"}`:                                                         2,
		`newsbrief_digests_total{outcome="failed"}`:                                                         1,
		`newsbrief_digests_total{outcome="paused"}`:                                                         1,
		`newsbrief_digest_articles_posted_total`:                                                            5,
		`newsbrief_folder_reloads_total{outcome="ok"}`:                                                      1,
		`newsbrief_folder_reloads_total{outcome="error"}`:                                                   1,
		`newsbrief_feed_fetches_total{feed="bbc",outcome="ok"}`:                                             1,
		`newsbrief_feed_fetches_total{feed="bbc",outcome="not_modified"}`:                                   1,
		`newsbrief_feed_fetches_total{feed="npr",outcome="error"}`:                                          1,
	} {
		if got, ok := value(body, series); !ok || got != want {
			t.Errorf("%s = %v (present: %v), want %v", series, got, ok, want)
		}
	}
}

// TestWatch: the series read at scrape time, and a backlog query that
// fails leaves its series out without failing the scrape.
func TestWatch(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	m := metrics.New()
	n := 7
	m.Watch(func() int { return n }, fakeBacklog{b: digest.Backlog{Waiting: 3, Oldest: now.Add(-90 * time.Second)}, now: now},
		fakeShards{{ID: 0, Connected: true, Latency: 40 * time.Millisecond}, {ID: 1}})
	body := gather(t, m)
	for series, want := range map[string]float64{
		`newsbrief_library_articles`:                      7,
		`newsbrief_digest_runs_waiting`:                   3,
		`newsbrief_digest_oldest_waiting_run_age_seconds`: 90,
		`newsbrief_gateway_connected{shard="0"}`:          1,
		`newsbrief_gateway_connected{shard="1"}`:          0,
		`newsbrief_gateway_latency_seconds{shard="0"}`:    0.04,
	} {
		if got, ok := value(body, series); !ok || got != want {
			t.Errorf("%s = %v (present: %v), want %v", series, got, ok, want)
		}
	}
	if n = 8; !strings.Contains(gather(t, m), "\nnewsbrief_library_articles 8\n") {
		t.Error("the library gauge is not read at scrape time")
	}

	broken := metrics.New()
	broken.Watch(nil, fakeBacklog{err: errors.New("database is closed")}, nil)
	code, body := serveOnce(t, broken.Handler(metrics.Readiness{}, nil), "/metrics")
	if code != http.StatusOK || !strings.Contains(body, `newsbrief_digests_total{outcome="posted"} 0`) {
		t.Errorf("scrape with a failing backlog query = %d:\n%s", code, body)
	}
	if strings.Contains(body, "newsbrief_digest_runs_waiting ") {
		t.Error("a failed backlog query still reported a value")
	}
}

// TestReadiness: 200 only with every shard connected and the database
// answering in time; 503 with the reason otherwise; /healthz always 200.
func TestReadiness(t *testing.T) {
	ok := pinger(func(context.Context) error { return nil })
	slow := pinger(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	for _, tc := range []struct {
		name   string
		ready  metrics.Readiness
		code   int
		reason string
	}{
		{"ready", metrics.Readiness{Shards: fakeShards{{ID: 0, Connected: true}}, DB: ok}, 200, "ok"},
		{"no shard yet", metrics.Readiness{Shards: fakeShards{}, DB: ok}, 503, "gateway: not connected yet"},
		{"a shard down", metrics.Readiness{Shards: fakeShards{{ID: 0, Connected: true}, {ID: 1}}, DB: ok}, 503, "shard 1 not connected"},
		{"database down", metrics.Readiness{Shards: fakeShards{{ID: 0, Connected: true}},
			DB: pinger(func(context.Context) error { return errors.New("store: ping x.db: sql: database is closed") })}, 503, "database: store: ping x.db"},
		{"database slow", metrics.Readiness{Shards: fakeShards{{ID: 0, Connected: true}}, DB: slow, PingTimeout: 20 * time.Millisecond}, 503, "context deadline exceeded"},
	} {
		h := metrics.New().Handler(tc.ready, nil)
		code, body := serveOnce(t, h, "/readyz")
		if code != tc.code || !strings.Contains(body, tc.reason) {
			t.Errorf("%s: /readyz = %d %q, want %d containing %q", tc.name, code, body, tc.code, tc.reason)
		}
		if code, body := serveOnce(t, h, "/healthz"); code != 200 || body != "ok\n" {
			t.Errorf("%s: /healthz = %d %q", tc.name, code, body)
		}
	}
}

// TestListenBadAddress: a listen failure is returned, naming the address.
func TestListenBadAddress(t *testing.T) {
	_, err := metrics.Listen("127.0.0.1:99999", http.NotFoundHandler(), nil)
	if err == nil || !strings.Contains(err.Error(), "METRICS_ADDR 127.0.0.1:99999") {
		t.Fatalf("Listen on a bad port = %v", err)
	}
}

// gather scrapes m through its handler, as Prometheus would.
func gather(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	code, body := serveOnce(t, m.Handler(metrics.Readiness{}, nil), "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d:\n%s", code, body)
	}
	return body
}
