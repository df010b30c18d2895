package bot

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
		return nil, fmt.Errorf("bot: API URL %q: want an http(s) base URL", base)
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
		return nil, fmt.Errorf("bot: rewrite %s %s: %w", req.Method, req.URL.Path, err)
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
// that leave in one second and arrive in the next.
const DefaultRequestRate = 46

// globalLimitTransport keeps every REST request of the bot (discordgo's own
// retries included) under a global rate by spacing them evenly: discordgo
// v0.29.0 keeps per-route buckets only, and on a global 429 every waiting
// request sleeps and retries at once. Requests leave in arrival order, each
// at least interval after the previous one actually left, so a goroutine
// that wakes late cannot bunch up with the next. Interaction responses are
// exempt, as Discord exempts them, so a burst of digests never delays a
// user's reply.
type globalLimitTransport struct {
	rt       http.RoundTripper
	interval time.Duration

	mu   sync.Mutex
	tail chan time.Time // receives the send time of the last request in line
}

func newGlobalLimitTransport(perSecond int, next http.RoundTripper) *globalLimitTransport {
	first := make(chan time.Time, 1)
	first <- time.Time{}
	return &globalLimitTransport{rt: next, interval: time.Second / time.Duration(max(perSecond, 1)), tail: first}
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
// leave; the next in line learns when it did.
func (t *globalLimitTransport) wait(req *http.Request) error {
	mine := make(chan time.Time, 1)
	t.mu.Lock()
	prev := t.tail
	t.tail = mine
	t.mu.Unlock()

	ctx := req.Context()
	var last time.Time
	select {
	case last = <-prev:
	case <-ctx.Done():
		// Keep the line moving for those behind.
		go func() { mine <- <-prev }()
		return fmt.Errorf("bot: %s %s: waiting for the global rate limit: %w", req.Method, req.URL.Path, ctx.Err())
	}
	if delay := time.Until(last.Add(t.interval)); delay > 0 {
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			mine <- last
			return fmt.Errorf("bot: %s %s: waiting for the global rate limit: %w", req.Method, req.URL.Path, ctx.Err())
		}
	}
	mine <- time.Now()
	return nil
}

// exemptFromGlobalLimit reports the interaction routes, which Discord does
// not count toward the global limit.
func exemptFromGlobalLimit(path string) bool {
	return strings.Contains(path, "/interactions/") || strings.Contains(path, "/webhooks/")
}
