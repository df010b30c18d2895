package feed

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"newsbrief/briefs"
)

// Defaults of the source's options.
const (
	// fallbackInterval is how often a feed without every= is polled when
	// the source was not told (WithInterval): the product's default is
	// config's FEED_POLL_INTERVAL, which the wiring always passes; this
	// is only for a source built without it, and errs on the polite side.
	fallbackInterval = time.Hour
	// MaxBackoff caps the wait after failures in a row: a feed that is down
	// for a day is still tried four times a day.
	MaxBackoff = 6 * time.Hour
	// DefaultJitter is the share of each wait added at random, so feeds
	// started together (and processes restarted together) drift apart
	// instead of hitting their servers in step.
	DefaultJitter = 0.1
	// DefaultMaxPages bounds the page fetches for full text in one poll of
	// one feed: a feed first seen with a hundred teasers should not take
	// minutes (pages of one host are fetched one at a time) before its
	// items show. Teasers beyond it keep their teaser text.
	DefaultMaxPages = 20
	// DefaultConcurrency bounds the feeds fetched at once. A feed takes a
	// slot only once its host's turn has come, and keeps it for at most
	// the fetch timeout (its pages included), so a slow host delays only
	// its own feeds; the bound keeps hundreds of feeds from holding
	// hundreds of 5 MiB bodies in memory at once.
	DefaultConcurrency = 16
)

// Clock is where the source reads the time and waits for it: poll
// intervals, backoff, Retry-After and retention go by it, so tests drive
// time instead of sleeping. It has the shape of digest.Clock, so one clock
// serves both.
type Clock interface {
	Now() time.Time
	// At returns a channel that receives once the clock reaches t, at once
	// when it already has.
	At(t time.Time) <-chan time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// At fires after time.Until(t).
func (SystemClock) At(t time.Time) <-chan time.Time { return time.NewTimer(time.Until(t)).C }

// Option configures a Source.
type Option func(*options)

type options struct {
	logger       *slog.Logger
	clock        Clock
	transport    http.RoundTripper
	allowPrivate bool
	publicAddr   func(netip.AddrPort) bool
	timeout      time.Duration
	maxBody      int64
	userAgent    string
	interval     time.Duration
	jitter       float64
	maxPages     int
	concurrency  int
	lease        Lease         // nil: Run polls without one
	leaseEvery   time.Duration // how often Run renews or tries the lease
	onFetch      func(feed string, outcome FetchOutcome)
	onCheck      func(CheckResult) // tests: a try of CheckAll is done
	cache        *briefs.IndexCache
	maxItems     int // 0: no cap
}

func defaultOptions() options {
	return options{
		logger:      slog.New(slog.DiscardHandler),
		clock:       SystemClock{},
		timeout:     DefaultTimeout,
		maxBody:     DefaultMaxBody,
		userAgent:   DefaultUA,
		interval:    fallbackInterval,
		jitter:      DefaultJitter,
		maxPages:    DefaultMaxPages,
		concurrency: DefaultConcurrency,
	}
}

// WithLogger sets where the source logs polls, failures and skipped items;
// the default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithClock sets the clock (SystemClock by default).
func WithClock(c Clock) Option {
	return func(o *options) {
		if c != nil {
			o.clock = c
		}
	}
}

// FetchOutcome is how one poll of a feed ended, as WithFetchObserver tells it.
type FetchOutcome string

// The outcomes of a poll.
const (
	FetchOK          FetchOutcome = "ok"           // 200: the feed was read
	FetchNotModified FetchOutcome = "not_modified" // 304: nothing changed
	FetchError       FetchOutcome = "error"        // any failure; the feed backs off
)

// WithFetchObserver calls f after every poll of a feed (a shutdown's
// cancelled poll aside) with the feed's name and the outcome: for metrics,
// which this package must not import. f must be quick and safe for
// concurrent use.
func WithFetchObserver(f func(feed string, outcome FetchOutcome)) Option {
	return func(o *options) { o.onFetch = f }
}

// WithTransport replaces the network under every fetch. The default
// transport refuses non-public addresses at dial time (see
// WithAllowPrivate); a transport given here is used as it is, so it takes
// over that check: for tests that fake the network, or a caller with its
// own egress rules. Redirect rules, timeout and body limit still apply.
func WithTransport(rt http.RoundTripper) Option {
	return func(o *options) { o.transport = rt }
}

// WithAllowPrivate lets feeds and pages be fetched from loopback, private
// and link-local addresses (FEEDS_ALLOW_PRIVATE=1): intranet feeds and
// tests. Off by default, so a feed (or a redirect, or a DNS answer) cannot
// make the bot probe the network it runs in.
func WithAllowPrivate(allow bool) Option {
	return func(o *options) { o.allowPrivate = allow }
}

// withPublicAddr marks addresses as public although they are not, for
// tests: a first server on 127.0.0.1 is reached while the real check still
// refuses every other local address.
func withPublicAddr(f func(netip.AddrPort) bool) Option {
	return func(o *options) { o.publicAddr = f }
}

// WithTimeout bounds each request, from dialing to the last byte of the
// body, and each poll, its teaser pages included (DefaultTimeout, 20 s).
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// WithMaxBody sets the largest body read (DefaultMaxBody, 5 MiB); a
// larger one fails the fetch with ErrTooLarge.
func WithMaxBody(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.maxBody = n
		}
	}
}

// WithUserAgent sets the User-Agent (DefaultUA, which names newsbrief so
// that publishers can tell who polls them).
func WithUserAgent(ua string) Option {
	return func(o *options) {
		if ua != "" {
			o.userAgent = ua
		}
	}
}

// WithInterval sets the poll interval of feeds without every=
// (FEED_POLL_INTERVAL, whose default config defines). Shorter than MinEvery
// is raised to it.
func WithInterval(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.interval = max(d, MinEvery)
		}
	}
}

// WithJitter sets the share of every wait added at random (DefaultJitter);
// 0 makes waits exact, for tests.
func WithJitter(f float64) Option {
	return func(o *options) {
		if f >= 0 {
			o.jitter = f
		}
	}
}

// WithMaxPages sets how many pages one poll of one feed may fetch for full
// text (DefaultMaxPages); 0 turns full-text fetching off.
func WithMaxPages(n int) Option {
	return func(o *options) {
		if n >= 0 {
			o.maxPages = n
		}
	}
}

// WithConcurrency sets how many feeds are fetched at once
// (DefaultConcurrency).
func WithConcurrency(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.concurrency = n
		}
	}
}

// WithMaxItems caps what a feed may keep (FEED_MAX_ITEMS): the store keeps
// its newest n items, by publication date (else fetch date), and drops the
// oldest as new ones come; and one poll adds at most n, the newest, so a
// feed that serves thousands of new items a poll costs no more than one
// that fills its cap. Not positive, or not given: no cap.
func WithMaxItems(n int) Option {
	return func(o *options) { o.maxItems = max(n, 0) }
}

// withCheckObserver calls f when a try of CheckAll is done, for tests.
func withCheckObserver(f func(CheckResult)) Option {
	return func(o *options) { o.onCheck = f }
}

// WithIndexCache makes Load take each stored item that c holds unchanged
// (see briefs.IndexCache) from c instead of making and indexing its
// article again. c is asked only while it holds something; its owner
// releases it once the start is done.
func WithIndexCache(c *briefs.IndexCache) Option {
	return func(o *options) { o.cache = c }
}
