package discordtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// rewriteTransport sends discordgo's REST requests to the fake server.
type rewriteTransport struct {
	base string // fake REST base URL
	next http.RoundTripper
}

func (t rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	const prefix = "https://discord.com/api/v9"
	u := r.URL.String()
	if !strings.HasPrefix(u, prefix) {
		return nil, fmt.Errorf("test transport: unexpected URL %s", u)
	}
	nu, err := url.Parse(t.base + strings.TrimPrefix(u, prefix))
	if err != nil {
		return nil, err
	}
	r2 := r.Clone(r.Context())
	r2.URL = nu
	r2.Host = nu.Host
	return t.next.RoundTrip(r2)
}

// newSession returns a discordgo session wired to srv, not yet opened.
func newSession(t *testing.T, srv *Server, token string) *discordgo.Session {
	t.Helper()
	dg, err := discordgo.New(token)
	if err != nil {
		t.Fatal(err)
	}
	dg.Client = &http.Client{Transport: rewriteTransport{base: srv.URL(), next: http.DefaultTransport}, Timeout: 10 * time.Second}
	dg.LogLevel = -1 // silence discordgo's logging
	return dg
}

// openSession opens a session (handlers added before Open) and waits until
// the server has sent READY.
func openSession(t *testing.T, srv *Server, handlers ...any) *discordgo.Session {
	t.Helper()
	dg := newSession(t, srv, "Bot "+Token)
	for _, h := range handlers {
		dg.AddHandler(h)
	}
	if err := dg.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = dg.Close() })
	ctx := testContext(t, 5*time.Second)
	if err := srv.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	return dg
}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// restErr extracts a *discordgo.RESTError.
func restErr(t *testing.T, err error) *discordgo.RESTError {
	t.Helper()
	re, ok := err.(*discordgo.RESTError)
	if !ok {
		t.Fatalf("want *discordgo.RESTError, got %T: %v", err, err)
	}
	return re
}

func ptr[T any](v T) *T { return &v }

// testClock is a clock a test moves by hand (WithClock).
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock(start time.Time) *testClock { return &testClock{now: start} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// postWithNonce posts content to channel with nonce and enforce_nonce (which
// discordgo v0.29.0 cannot send) and returns the answer's ID and nonce.
func postWithNonce(dg *discordgo.Session, channel, content, nonce string) (id, gotNonce string, err error) {
	ep := discordgo.EndpointChannelMessages(channel)
	body := map[string]any{
		"content": content, "nonce": nonce, "enforce_nonce": true,
		"embeds": []*discordgo.MessageEmbed{{Title: content, Footer: &discordgo.MessageEmbedFooter{Text: "digest " + nonce}}},
	}
	b, err := dg.RequestWithBucketID("POST", ep, body, ep)
	if err != nil {
		return "", "", err
	}
	var m struct {
		ID    string `json:"id"`
		Nonce string `json:"nonce"`
	}
	err = json.Unmarshal(b, &m)
	return m.ID, m.Nonce, err
}
