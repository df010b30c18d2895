package discord

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// baseURLTransport sends discordgo's REST requests to another base URL (a
// REST proxy, or a local Discord-compatible server in tests). discordgo
// computes its endpoints from package variables at start-up; rewriting
// requests in the session's http.Client moves them without touching those
// globals, and the gateway follows because its URL comes from GET /gateway.
type baseURLTransport struct {
	from string // discordgo's API prefix, ending in "/"
	to   *url.URL
	next http.RoundTripper
}

func newBaseURLTransport(base string, next http.RoundTripper) (*baseURLTransport, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("discord: API URL %q: want an http(s) base URL", base)
	}
	if next == nil {
		next = http.DefaultTransport
	}
	return &baseURLTransport{from: discordgo.EndpointAPI, to: u, next: next}, nil
}

func (t *baseURLTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	orig := req.URL.String()
	if !strings.HasPrefix(orig, t.from) {
		return t.next.RoundTrip(req)
	}
	rest, err := url.Parse(orig[len(t.from):])
	if err != nil {
		return nil, fmt.Errorf("discord: rewrite %s %s: %w", req.Method, req.URL.Path, err)
	}
	r := req.Clone(req.Context())
	u := *t.to
	u.Path = t.to.Path + "/" + rest.Path
	u.RawPath = ""
	u.RawQuery = rest.RawQuery
	r.URL = &u
	r.Host = u.Host
	return t.next.RoundTrip(r)
}

// DefaultRequestRate is how many REST requests per second the bot allows
// itself, under Discord's global limit of 50: the margin absorbs requests
// that leave in one second and arrive in the next. On a busy 2-core
// machine, a process held off the processor for a moment sends what it
// had paced at once: 47 a second (a margin of 3) arrived as up to 55 in
// one second at the fake Discord; 45 leaves room for that.
const DefaultRequestRate = 45

// globalLimitTransport keeps every REST request of the bot (discordgo's own
// retries included) under a global limit: at most len(sent) requests leave in
// any second, and never two within 90% of the average gap of each other, so
// they flow evenly instead of in a burst at the start of each second (a burst
// arrives bunched: some requests are delayed on the way, and others are not).
// discordgo v0.29.0 keeps per-route buckets only, and on a global 429 every
// waiting request sleeps and retries at once, so the bot paces itself.
// Requests leave in arrival order; each waits for the one before it, and the
// limits apply to the times requests actually left, so a goroutine that wakes
// late never lets the next one bunch up with it. Interaction responses are
// exempt, as Discord exempts them, so a burst of digests never delays a
// user's reply.
type globalLimitTransport struct {
	rt     http.RoundTripper
	minGap time.Duration

	mu   sync.Mutex
	tail chan struct{} // closed when the last request in line has left

	// Only the request at the head of the line touches these.
	sent []time.Time // when the last len(sent) requests left, a ring
	i    int

	// left, when set (by tests), is told when each request leaves, in
	// order, while it is still at the head of the line.
	left func(time.Time)
}

func newGlobalLimitTransport(perSecond int, next http.RoundTripper) *globalLimitTransport {
	perSecond = max(perSecond, 1)
	first := make(chan struct{})
	close(first)
	return &globalLimitTransport{rt: next, minGap: time.Second * 9 / time.Duration(10*perSecond),
		tail: first, sent: make([]time.Time, perSecond)}
}

func (t *globalLimitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !exemptFromGlobalLimit(req.URL.Path) {
		if err := t.wait(req); err != nil {
			return nil, err
		}
	}
	return t.rt.RoundTrip(req)
}

// wait queues behind the previous request and returns once this one may
// leave.
func (t *globalLimitTransport) wait(req *http.Request) error {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("discord: %s %s: %w", req.Method, req.URL.Path, err)
	}
	mine := make(chan struct{})
	t.mu.Lock()
	prev := t.tail
	t.tail = mine
	t.mu.Unlock()

	select {
	case <-prev:
	case <-ctx.Done():
		// Keep the line moving for those behind.
		go func() { <-prev; close(mine) }()
		return fmt.Errorf("discord: %s %s: waiting for the global rate limit: %w", req.Method, req.URL.Path, ctx.Err())
	}
	defer close(mine)
	last := t.sent[(t.i+len(t.sent)-1)%len(t.sent)]
	at := last.Add(t.minGap)
	if oldest := t.sent[t.i]; !oldest.IsZero() && oldest.Add(time.Second).After(at) {
		at = oldest.Add(time.Second)
	}
	if delay := time.Until(at); delay > 0 {
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("discord: %s %s: waiting for the global rate limit: %w", req.Method, req.URL.Path, ctx.Err())
		}
	}
	now := time.Now()
	t.sent[t.i] = now
	t.i = (t.i + 1) % len(t.sent)
	if t.left != nil {
		t.left(now)
	}
	return nil
}

// exemptFromGlobalLimit reports the interaction routes, which Discord does
// not count toward the global limit.
func exemptFromGlobalLimit(path string) bool {
	return strings.Contains(path, "/interactions/") || strings.Contains(path, "/webhooks/")
}
