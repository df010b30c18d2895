package bot

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

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
