package discord

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// RESTRequest is one REST request the bot made, as a RESTObserver hears it.
type RESTRequest struct {
	// Method is the HTTP method.
	Method string
	// Route is the request's path below the API base with every ID and
	// token replaced by a placeholder (/channels/{id}/messages), so that
	// metrics labelled with it stay few.
	Route string
	// Status is the HTTP status, or 0 when no response came (a network
	// error, a timeout, a shutdown while waiting for the global limit).
	Status int
	// Global is true for a 429 of Discord's global limit, as opposed to a
	// route's own bucket.
	Global bool
	// Duration is from the request leaving the global-limit queue to its
	// response's headers.
	Duration time.Duration
}

// RESTObserver hears every REST request the bot makes, discordgo's own
// retries included, for metrics. It is called on the requesting goroutine,
// so it must be quick and safe for concurrent use. Declared here, small, so
// that discord needs no metrics library.
type RESTObserver interface {
	ObserveREST(RESTRequest)
}

// WithRESTObserver tells o about every REST request; none without it.
func WithRESTObserver(o RESTObserver) Option { return func(b *Bot) { b.restObserver = o } }

// observeTransport tells an observer about each request it carries. It
// sits inside the global-limit transport (the wait is not the request's)
// and outside the base-URL rewrite (routes are discordgo's, whatever the
// base URL).
type observeTransport struct {
	prefix string // the path of discordgo's API base, ending in "/"
	obs    RESTObserver
	next   http.RoundTripper
}

func newObserveTransport(obs RESTObserver, next http.RoundTripper) http.RoundTripper {
	if obs == nil {
		return next
	}
	prefix := "/api/"
	if u, err := url.Parse(discordgo.EndpointAPI); err == nil {
		prefix = u.Path
	}
	return &observeTransport{prefix: prefix, obs: obs, next: next}
}

func (t *observeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	r := RESTRequest{Method: req.Method, Route: Route(strings.TrimPrefix(req.URL.Path, strings.TrimSuffix(t.prefix, "/"))),
		Duration: time.Since(start)}
	if err == nil {
		r.Status = resp.StatusCode
		r.Global = resp.StatusCode == http.StatusTooManyRequests &&
			(resp.Header.Get("X-RateLimit-Global") == "true" || resp.Header.Get("X-RateLimit-Scope") == "global")
	}
	t.obs.ObserveREST(r)
	return resp, err
}

// Route turns a REST path below the API base into its route template:
// numeric segments (snowflakes) become {id}, and any other segment that is
// not a plain lowercase word (an interaction or webhook token, an emoji)
// becomes {token}. /channels/123/messages/456 is
// /channels/{id}/messages/{id}; /webhooks/789/aW50ZXJh.../messages/@original
// is /webhooks/{id}/{token}/messages/@original. Labels built from it are
// bounded by the API's routes, never by the data.
func Route(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		switch {
		case s == "":
		case isDigits(s):
			segs[i] = "{id}"
		case !isRouteWord(s):
			segs[i] = "{token}"
		}
	}
	return "/" + strings.Join(segs, "/")
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// isRouteWord reports a fixed path segment of Discord's API: lowercase
// letters, '-' and '_', optionally after '@' (@me, @original), and short.
func isRouteWord(s string) bool {
	s = strings.TrimPrefix(s, "@")
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '-' && r != '_' {
			return false
		}
	}
	return true
}
