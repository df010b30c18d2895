package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults of the fetch limits; see WithTimeout and WithMaxBody.
const (
	DefaultTimeout = 20 * time.Second
	DefaultMaxBody = 5 << 20
	DefaultUA      = "newsbrief/1 (news feed reader; +https://github.com/newsbrief)"
	maxRedirects   = 5
	maxServerDelay = 24 * time.Hour // the most a max-age or Retry-After is honoured
	dialTimeout    = 10 * time.Second
	feedAccept     = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
	pageAccept     = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
)

// Errors of a fetch, wrapped with the URL so that errors.Is works.
var (
	// ErrForbiddenAddress: the address is loopback, private, link-local,
	// multicast or unspecified, and private addresses are not allowed.
	ErrForbiddenAddress = errors.New("address not allowed")
	// ErrTooLarge: the body is over the limit. A cut feed would parse into
	// a partial, wrong list of items, so it is an error, not a truncation.
	ErrTooLarge = errors.New("body too large")
	// ErrHTTPStatus: the server answered neither 200 nor 304.
	ErrHTTPStatus = errors.New("HTTP error")
	// ErrScheme: a redirect led to a scheme other than http or https.
	ErrScheme = errors.New("scheme not allowed")
	// ErrTooManyRedirects: more than 5 redirects.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrHostBackingOff: a request to the host timed out lately, and the
	// host is left alone until its backoff ends (see hosts).
	ErrHostBackingOff = errors.New("host backing off after a timeout")
)

// addrPolicy decides which addresses may be dialed. The check runs in the
// dialer's Control hook on the IP actually being connected to, after DNS
// resolution, for the first request and every redirect alike, so a name
// that resolves (or re-resolves: DNS rebinding) to a private address is
// refused however it was reached.
type addrPolicy struct {
	allowPrivate bool
	// publicForTest marks addresses (tests' local servers) as public, so
	// that tests can reach a first server on 127.0.0.1 and see a redirect
	// to another local one refused by the real check.
	publicForTest func(netip.AddrPort) bool
}

func (p addrPolicy) control(_ context.Context, network, address string, _ syscall.RawConn) error {
	if p.allowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot check %s address %q", ErrForbiddenAddress, network, address)
	}
	if p.publicForTest != nil && p.publicForTest(ap) {
		return nil
	}
	if why := nonPublic(ap.Addr()); why != "" {
		return fmt.Errorf("%w: %s is a %s address (private addresses are off)", ErrForbiddenAddress, ap.Addr(), why)
	}
	return nil
}

// specialPrefixes are ranges that are not on the public Internet but that
// netip's predicates do not cover.
var specialPrefixes = []struct {
	p   netip.Prefix
	why string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\""},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "protocol-assignment"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// nonPublic says why addr is not a public unicast address, or "" when it is.
func nonPublic(addr netip.Addr) string {
	addr = addr.Unmap()
	if nat64.Contains(addr) {
		// NAT64 embeds an IPv4 address in the last four bytes.
		b := addr.As16()
		addr = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	switch {
	case addr.IsLoopback():
		return "loopback"
	case addr.IsPrivate():
		return "private"
	case addr.IsLinkLocalUnicast():
		return "link-local"
	case addr.IsMulticast(), addr.IsLinkLocalMulticast(), addr.IsInterfaceLocalMulticast():
		return "multicast"
	case addr.IsUnspecified():
		return "unspecified"
	case addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast"
	}
	for _, s := range specialPrefixes {
		if s.p.Contains(addr) {
			return s.why
		}
	}
	return ""
}

// newTransport returns the transport every fetch goes through: the address
// check in its dialer, no proxy (a proxy would be the address checked, not
// the feed's), and bounded waits.
func newTransport(p addrPolicy, timeout time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second, ControlContext: p.control}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: timeout,
	}
}

// newClient wraps rt with the redirect rules and the overall timeout.
func newClient(rt http.RoundTripper, timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: rt,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("%w: more than %d, last to %s", ErrTooManyRedirects, maxRedirects, req.URL.Redacted())
			}
			if s := req.URL.Scheme; s != "http" && s != "https" {
				return fmt.Errorf("%w: redirect to %s", ErrScheme, req.URL.Redacted())
			}
			return nil
		},
	}
}

// hosts takes turns at each host: at most one request at a time goes to
// a host, however many feeds (and pages) it serves, which is polite to the
// server and keeps a slow host's delay to its own requests. A host that
// times out backs off as a whole: every request to it fails at once, with
// ErrHostBackingOff, until its backoff ends (the default poll interval,
// doubled for each timeout in a row, up to MaxBackoff), so that forty
// feeds on a host that never answers cost one timeout, not forty. Any
// answer, whatever its status, ends the backoff.
type hosts struct {
	now  func() time.Time
	base time.Duration // the first backoff; see backoff

	mu    sync.Mutex
	turns map[string]*hostTurn // the hosts someone holds or waits for
	down  map[string]hostDown  // the hosts that timed out and have not answered since
}

type hostTurn struct {
	ch    chan struct{} // holds a token while the host is in use
	users int           // holding or waiting
}

type hostDown struct {
	timeouts int // in a row
	until    time.Time
	why      string // the last timeout
}

// wait waits for host's turn and returns the func that gives it back. It
// fails at once, without waiting, when the host is backing off, and after
// the wait when the host timed out meanwhile (for another feed).
func (h *hosts) wait(ctx context.Context, host string) (func(), error) {
	if err := h.backingOff(host); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h.mu.Lock()
	if h.turns == nil {
		h.turns = map[string]*hostTurn{}
	}
	t := h.turns[host]
	if t == nil {
		t = &hostTurn{ch: make(chan struct{}, 1)}
		h.turns[host] = t
	}
	t.users++
	h.mu.Unlock()
	leave := func() {
		h.mu.Lock()
		t.users--
		if t.users == 0 {
			delete(h.turns, host) // forget hosts no one waits for
		}
		h.mu.Unlock()
	}
	select {
	case t.ch <- struct{}{}:
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
	release := func() { <-t.ch; leave() }
	if err := h.backingOff(host); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// backingOff says why host is not to be asked now, or nil.
func (h *hosts) backingOff(host string) error {
	h.mu.Lock()
	d, ok := h.down[host]
	h.mu.Unlock()
	if !ok || !h.now().Before(d.until) {
		return nil
	}
	return fmt.Errorf("%w: %s timed out %d %s in a row, not asked again before %s (last: %s)", ErrHostBackingOff,
		host, d.timeouts, plural(d.timeouts, "time", "times"), d.until.UTC().Format(time.RFC3339), d.why)
}

// until returns when host's backoff ends; the zero time when it has none.
func (h *hosts) until(host string) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down[host].until
}

// timedOut starts host's backoff, or lengthens it, after a request to it
// timed out with err.
func (h *hosts) timedOut(host string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down == nil {
		h.down = map[string]hostDown{}
	}
	d := h.down[host]
	d.timeouts++
	d.until = h.now().Add(backoff(h.base, d.timeouts))
	d.why = err.Error()
	h.down[host] = d
}

// answered ends host's backoff: it answered a request.
func (h *hosts) answered(host string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.down, host)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// hostOf returns the host (with its port, lower-cased) that u's requests
// take turns at.
func hostOf(u string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	return strings.ToLower(parsed.Host), nil
}

// isTimeout reports whether err is a request that ran out of time: the
// fetch timeout, the dial timeout, or the deadline of a poll.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// response is what one GET gave.
type response struct {
	Status       int
	Body         []byte
	ETag         string
	LastModified string
	ContentType  string
	// FinalURL is the URL after redirects.
	FinalURL *url.URL
	// MaxAge is Cache-Control's max-age (0 when absent); RetryAfter is
	// Retry-After as a delay from now (0 when absent or unparsable).
	MaxAge     time.Duration
	RetryAfter time.Duration
}

// getter performs the GETs of feeds and pages with the source's rules.
type getter struct {
	client *http.Client
	hosts  *hosts
	// slots bounds the requests under way (and the bodies in memory) at
	// once: see DefaultConcurrency.
	slots   chan struct{}
	timeout time.Duration // the client's, for charging hosts (see fetch)
	ua      string
	maxBody int64
	now     func() time.Time
}

// get waits for u's host's turn and a slot (see turn), then fetches u
// (see fetch).
func (g *getter) get(ctx context.Context, u, accept, etag, lastMod string) (*response, error) {
	host, err := hostOf(u)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	freeHost, freeSlot, err := g.turn(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer freeSlot()
	defer freeHost()
	return g.fetch(ctx, host, u, accept, etag, lastMod)
}

// turn waits for host's turn, and then for a fetch slot, and returns the
// funcs that give each back. The order matters: a request waiting for a
// busy host holds no slot, so a slow host cannot fill the slots while
// its requests queue; and the holder of a slot never waits for a host,
// so the two never wait on each other.
func (g *getter) turn(ctx context.Context, host string) (freeHost, freeSlot func(), err error) {
	freeHost, err = g.hosts.wait(ctx, host)
	if err != nil {
		return nil, nil, fmt.Errorf("waiting for the host: %w", err)
	}
	select {
	case g.slots <- struct{}{}:
		return freeHost, func() { <-g.slots }, nil
	case <-ctx.Done():
		freeHost()
		return nil, nil, fmt.Errorf("waiting for a fetch slot: %w", ctx.Err())
	}
}

// fetch GETs u, whose host's turn the caller holds, and tells hosts how it
// went: a timeout starts the host's backoff, an answer ends it. A request
// cut by its poll's deadline before it had half the fetch timeout does not
// hold its host back: the poll ran out of time, not the host.
func (g *getter) fetch(ctx context.Context, host, u, accept, etag, lastMod string) (*response, error) {
	charge := true
	if d, ok := ctx.Deadline(); ok && time.Until(d) < g.timeout/2 {
		charge = false
	}
	r, err := g.do(ctx, u, accept, etag, lastMod)
	switch {
	case err != nil && isTimeout(err):
		if charge {
			g.hosts.timedOut(host, err)
		}
	case r != nil:
		g.hosts.answered(host)
	}
	return r, err
}

// do fetches u. etag and lastMod make it conditional. A status other than
// 200 or 304 is returned with ErrHTTPStatus along with the response (for
// Retry-After). The body of a 200 is read whole, up to maxBody.
func (g *getter) do(ctx context.Context, u, accept, etag, lastMod string) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	req.Header.Set("User-Agent", g.ua)
	req.Header.Set("Accept", accept)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastMod != "" {
		req.Header.Set("If-Modified-Since", lastMod)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, unwrapURLError(err))
	}
	defer resp.Body.Close()
	r := &response{
		Status:       resp.StatusCode,
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		ContentType:  resp.Header.Get("Content-Type"),
		FinalURL:     resp.Request.URL,
		MaxAge:       maxAge(resp.Header.Get("Cache-Control")),
		RetryAfter:   retryAfter(resp.Header.Get("Retry-After"), g.now()),
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		return r, nil
	default:
		// Drain a little so the connection can be reused; never more.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		// The reason phrase is the server's to write: cleaned, it cannot
		// drive the terminal of whoever reads the error.
		return r, cleanErr(fmt.Errorf("GET %s: %w %s", u, ErrHTTPStatus, resp.Status))
	}
	if resp.ContentLength > g.maxBody {
		return r, fmt.Errorf("GET %s: %w: %d bytes, the limit is %d", u, ErrTooLarge, resp.ContentLength, g.maxBody)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, g.maxBody+1))
	if err != nil {
		return r, fmt.Errorf("GET %s: reading the body: %w", u, unwrapURLError(err))
	}
	if int64(len(body)) > g.maxBody {
		return r, fmt.Errorf("GET %s: %w: over %d bytes", u, ErrTooLarge, g.maxBody)
	}
	r.Body = body
	return r, nil
}

// unwrapURLError drops *url.Error's "Get \"...\":" prefix, since our own
// messages name the URL already, keeping the cause for errors.Is. The
// message is cleaned (cleanErr): it may quote the server, such as the
// names of its certificate.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return cleanErr(fmt.Errorf("timed out: %w", ue.Err))
		}
		return cleanErr(ue.Err)
	}
	return cleanErr(err)
}

// maxAge reads max-age from a Cache-Control header.
func maxAge(cc string) time.Duration {
	for _, part := range strings.Split(cc, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !strings.EqualFold(k, "max-age") {
			continue
		}
		n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64)
		if err != nil || n <= 0 {
			return 0
		}
		return min(time.Duration(n)*time.Second, maxServerDelay)
	}
	return 0
}

// retryAfter reads Retry-After, in seconds or as an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return min(time.Duration(n)*time.Second, maxServerDelay)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxServerDelay)
	}
	return 0
}
