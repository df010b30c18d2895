package feed

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	"newsbrief/briefs"
)

// Source keeps a library's feed items up to date: it loads what the Store
// holds, polls each feed when it is due, stores the new items and hands
// each feed's kept items to the library under the feed's name. Its methods
// are safe for concurrent use; FetchDue and Run may overlap, and a feed is
// never fetched twice at once.
type Source struct {
	lib  *briefs.Library
	st   Store
	opts options
	get  *getter
	sem  chan struct{} // bounds the feeds fetched at once
	wake chan struct{} // tells Run that something changed

	mu    sync.Mutex
	feeds map[string]*feedRun // by name
	order []string            // names in file order

	// replace serializes the library updates of the source, and the check
	// (under mu) that the feed is still there, so a feed removed while it
	// was being fetched is not put back.
	replace sync.Mutex
}

// feedRun is the poller's memory of one feed. Guarded by Source.mu.
type feedRun struct {
	feed    Feed
	state   State
	loaded  bool
	running bool
	// known holds the stored items' identities, links and title keys: a
	// cache that spares fetching pages of items the Store would refuse.
	known *storyIndex
}

// New returns a source of the feeds, filing their items in lib under each
// feed's name and storing them in st. It does no I/O until Load, FetchDue
// or Run. Check needs neither lib nor st.
func New(lib *briefs.Library, st Store, feeds []Feed, opts ...Option) *Source {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	rt := o.transport
	if rt == nil {
		rt = newTransport(addrPolicy{allowPrivate: o.allowPrivate, publicForTest: o.publicAddr}, o.timeout)
	}
	s := &Source{
		lib:  lib,
		st:   st,
		opts: o,
		get: &getter{
			client:  newClient(rt, o.timeout),
			locks:   &hostLocks{},
			ua:      o.userAgent,
			maxBody: o.maxBody,
			now:     o.clock.Now,
		},
		sem:   make(chan struct{}, o.concurrency),
		wake:  make(chan struct{}, 1),
		feeds: map[string]*feedRun{},
	}
	s.setFeeds(feeds)
	return s
}

// Feeds returns the feeds, in file order.
func (s *Source) Feeds() []Feed {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Feed, len(s.order))
	for i, name := range s.order {
		out[i] = s.feeds[name].feed
	}
	return out
}

// Load reads each feed's stored items and state, and puts the items in the
// library, so that a restart shows them at once and fetches nothing twice
// (the state keeps the next try and the validators for conditional GETs).
// Feeds loaded already are skipped; FetchDue and Run call it first. An
// error names the feed; the other feeds are loaded all the same.
func (s *Source) Load(ctx context.Context) error {
	var (
		errs []error
		done []*feedRun
	)
	pending := s.toLoad()
	names := make([]string, len(pending))
	s.mu.Lock()
	for i, fr := range pending {
		names[i] = fr.feed.Name
	}
	s.mu.Unlock()
	// One snapshot for every feed: at start, hundreds of feeds each
	// replacing its origin alone would rebuild the library hundreds of
	// times. The items are read a feed at a time and handed to the
	// library as they come (briefs.Library.ReplaceSeq), so that a library
	// that keeps no bodies never holds every feed's text at once.
	s.replace.Lock()
	dropped := s.lib.ReplaceSeq(names, func(yield func(briefs.Article) bool) {
		for _, fr := range pending {
			s.mu.Lock()
			f := fr.feed
			s.mu.Unlock()
			st, err := s.st.FeedState(ctx, f.URL)
			if err != nil {
				errs = append(errs, fmt.Errorf("load feed %s (%s): state: %w", f.Name, f.URL, err))
				continue
			}
			st.URL = f.URL
			items, err := s.st.Items(ctx, f.Name)
			if err != nil {
				errs = append(errs, fmt.Errorf("load feed %s (%s): stored items: %w", f.Name, f.URL, err))
				continue
			}
			known := newStoryIndex(items)
			s.mu.Lock()
			if !fr.running { // a poll under way has the newer state
				fr.state = st
			}
			fr.known = known
			s.mu.Unlock()
			done = append(done, fr)
			for _, it := range items {
				stamp := itemStamp(it)
				a, ok := s.opts.cache.Article(it.Origin, "", it.Identity, stamp)
				if !ok {
					a = stampedArticle(it, stamp)
				}
				if !yield(a) {
					return
				}
			}
		}
	})
	for _, a := range dropped {
		s.opts.logger.Warn("feed item left out", slog.String("feed", a.Origin), slog.String("id", a.ID),
			slog.String("reason", "another source has its ID"))
	}
	s.mu.Lock()
	var removed []string
	for _, fr := range done {
		if s.feeds[fr.feed.Name] != fr { // removed meanwhile
			removed = append(removed, fr.feed.Name)
			continue
		}
		fr.loaded = true
	}
	s.mu.Unlock()
	for _, name := range removed {
		s.lib.Replace(name, nil)
	}
	s.replace.Unlock()
	return errors.Join(errs...)
}

// Body reads the text of a, an item of one of the source's feeds, back
// from the store: the source's half of a library that keeps no bodies
// (briefs.WithBodies).
func (s *Source) Body(ctx context.Context, a briefs.Article) ([]string, error) {
	text, err := s.st.ItemText(ctx, a.Origin, a.Ref)
	if err != nil {
		return nil, err
	}
	return Article(Item{Title: a.Title, Text: text}).Paragraphs, nil
}

func (s *Source) toLoad() []*feedRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*feedRun
	for _, name := range s.order {
		if fr := s.feeds[name]; !fr.loaded {
			out = append(out, fr)
		}
	}
	return out
}

// articles makes library articles of stored items.
func articles(items []Item) []briefs.Article {
	arts := make([]briefs.Article, len(items))
	for i, it := range items {
		arts[i] = Article(it)
	}
	return arts
}

// publish reads the stored items of the feed and makes them the feed's
// articles in the library, unless the feed was removed meanwhile.
func (s *Source) publish(ctx context.Context, fr *feedRun, name string) ([]Item, error) {
	items, err := s.st.Items(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("stored items: %w", err)
	}
	arts := articles(items)
	s.replace.Lock()
	defer s.replace.Unlock()
	s.mu.Lock()
	current := s.feeds[name] == fr
	s.mu.Unlock()
	if !current {
		return items, nil
	}
	for _, a := range s.lib.Replace(name, arts) {
		s.opts.logger.Warn("feed item left out", slog.String("feed", name), slog.String("id", a.ID),
			slog.String("reason", "another source has its ID"))
	}
	return items, nil
}

// Article makes a library article of a stored item. Its ID hashes the
// item's origin with its identity: stable across restarts (digests record
// IDs) and unique even when two feeds carry one story under one GUID, so
// the library keeps both (grouping them is the library's business). An
// item without a date is dated when it was fetched, and marked undated.
func Article(it Item) briefs.Article { return stampedArticle(it, itemStamp(it)) }

// stampedArticle is Article with the item's stamp (itemStamp) already
// made.
func stampedArticle(it Item, stamp string) briefs.Article {
	a := briefs.Article{
		ID:     briefs.NewID(it.Origin+"\n"+it.Identity, it.Title),
		Title:  it.Title,
		Origin: it.Origin,
		URL:    it.URL,
		Image:  it.Image,
		Ref:    it.Identity,
		Stamp:  stamp,
	}
	if !it.Published.IsZero() {
		a.Date, a.Dated = it.Published, true
	} else {
		a.Date = it.Fetched
	}
	if it.Text != "" {
		a.Paragraphs = strings.Split(it.Text, "\n\n")
	} else {
		// A link post has only its title: the title is then its body, so
		// that summaries and search have something to work on.
		a.Paragraphs = []string{it.Title}
	}
	a.Words = countWords(a.Paragraphs)
	return a
}

// itemRules versions Article for index caches: change it when Article
// makes an item's article differently, so that items cached under the old
// rules are read again.
const itemRules = "i1"

// itemStamp is a stored item's Stamp: a hash of every field its article
// is made from. An item stored again with other text or another date has
// another stamp, and is indexed again.
func itemStamp(it Item) string {
	h := xxhash.New()
	for _, s := range [...]string{it.Origin, it.Identity, it.Title, it.Text, it.URL, it.Image} {
		h.WriteString(s)
		h.Write([]byte{0})
	}
	var buf [64]byte
	for _, t := range [...]time.Time{it.Published, it.Fetched} {
		zone, offset := t.Zone()
		b := binary.AppendVarint(buf[:0], t.Unix())
		b = binary.AppendVarint(b, int64(t.Nanosecond()))
		b = binary.AppendVarint(b, int64(offset))
		b = append(append(b, zone...), 0)
		h.Write(b)
	}
	return itemRules + ":" + strconv.FormatUint(h.Sum64(), 16)
}

// SetFeeds applies a changed feeds file without a restart: new feeds are
// loaded and polled, removed feeds leave the library (their stored items
// stay until retention, should they come back), and a kept feed keeps its
// state and items; a feed whose URL changed starts from that URL's state.
// A watcher of the file belongs to the caller (the wiring watches
// FEEDS_FILE and calls this with ParseList's feeds).
func (s *Source) SetFeeds(ctx context.Context, feeds []Feed) error {
	removed := s.setFeeds(feeds)
	s.replace.Lock()
	for _, name := range removed {
		s.lib.Replace(name, nil)
	}
	s.replace.Unlock()
	err := s.Load(ctx)
	s.signal()
	return err
}

// setFeeds swaps the feed list and returns the names that left it.
func (s *Source) setFeeds(feeds []Feed) (removed []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := make(map[string]*feedRun, len(feeds))
	order := make([]string, 0, len(feeds))
	for _, f := range feeds {
		if _, dup := next[f.Name]; dup {
			continue // ParseList reports these; the first is kept
		}
		fr := s.feeds[f.Name]
		switch {
		case fr == nil:
			fr = &feedRun{feed: f, state: State{URL: f.URL}}
		case fr.feed.URL != f.URL:
			// Same name, new address: the items stay (they are the name's),
			// the state is the new URL's, read by Load.
			fr = &feedRun{feed: f, state: State{URL: f.URL}}
		default:
			fr.feed = f
			// A shorter interval takes effect now, not after the wait the
			// old one set; a failing feed keeps its backoff.
			if next := fr.state.LastSuccess.Add(s.interval(f)); fr.state.Failures == 0 && !fr.state.LastSuccess.IsZero() && next.Before(fr.state.NextTry) {
				fr.state.NextTry = next
			}
		}
		next[f.Name] = fr
		order = append(order, f.Name)
	}
	for name := range s.feeds {
		if _, kept := next[name]; !kept {
			removed = append(removed, name)
		}
	}
	slices.Sort(removed)
	s.feeds, s.order = next, order
	return removed
}

// signal wakes Run without blocking.
func (s *Source) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// FeedStatus is what /brief sources shows of a feed.
type FeedStatus struct {
	Name     string
	URL      string
	Every    time.Duration // the interval in force (the default when the line has none)
	Articles int           // in the library
	// LastSuccess is the last 200 or 304; LastError the last failure,
	// empty once the feed works again; NextTry when it is fetched next.
	LastSuccess time.Time
	LastError   string
	Failures    int
	NextTry     time.Time
}

// Status returns every feed's status, in file order.
func (s *Source) Status() []FeedStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]FeedStatus, 0, len(s.order))
	for _, name := range s.order {
		fr := s.feeds[name]
		out = append(out, FeedStatus{
			Name:        name,
			URL:         fr.feed.URL,
			Every:       s.interval(fr.feed),
			Articles:    s.lib.Count(name),
			LastSuccess: fr.state.LastSuccess,
			LastError:   fr.state.LastError,
			Failures:    fr.state.Failures,
			NextTry:     fr.state.NextTry,
		})
	}
	return out
}

func (s *Source) interval(f Feed) time.Duration {
	if f.Every > 0 {
		return f.Every
	}
	return s.opts.interval
}

// Prune deletes the items fetched more than retention ago (FEED_RETENTION)
// from the store and from the library, and returns how many it deleted.
func (s *Source) Prune(ctx context.Context, retention time.Duration) (int64, error) {
	n, err := s.st.PruneItems(ctx, s.opts.clock.Now().Add(-retention))
	if err != nil {
		return 0, fmt.Errorf("prune feed items older than %s: %w", retention, err)
	}
	if n == 0 {
		return 0, nil
	}
	s.mu.Lock()
	runs := make(map[string]*feedRun, len(s.feeds))
	for name, fr := range s.feeds {
		runs[name] = fr
	}
	s.mu.Unlock()
	var errs []error
	for name, fr := range runs {
		items, err := s.publish(ctx, fr, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("prune feed %s: %w", name, err))
			continue
		}
		s.mu.Lock()
		fr.known = newStoryIndex(items)
		s.mu.Unlock()
	}
	return n, errors.Join(errs...)
}

// claimDue marks the feeds due at now as running and returns them, with
// the earliest next try of the others (zero when there is none).
func (s *Source) claimDue(now time.Time) (due []*feedRun, next time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range s.order {
		fr := s.feeds[name]
		if fr.running || !fr.loaded {
			continue
		}
		if !fr.state.NextTry.After(now) {
			fr.running = true
			due = append(due, fr)
		} else if next.IsZero() || fr.state.NextTry.Before(next) {
			next = fr.state.NextTry
		}
	}
	return due, next
}

// FetchDue fetches every feed that is due once, concurrently, stores what
// it finds and updates the library, and returns when all are done: for the
// offline commands (check, digest, console), which answer from what the
// feeds have now. The error joins the failures, each naming its feed; the
// feeds that worked are stored whatever it says.
func (s *Source) FetchDue(ctx context.Context) error {
	loadErr := s.Load(ctx)
	due, _ := s.claimDue(s.opts.clock.Now())
	errs := make([]error, len(due))
	var wg sync.WaitGroup
	for i, fr := range due {
		wg.Go(func() { errs[i] = s.poll(ctx, fr) })
	}
	wg.Wait()
	return errors.Join(append([]error{loadErr}, errs...)...)
}

// Run polls every feed when it is due until ctx is done, each feed in its
// own goroutine so that a slow or failing feed never delays another, and
// waits for the fetches under way before it returns. Feeds added by
// SetFeeds are picked up at once.
//
// With a lease (WithLease), Run polls only while it holds it, and
// otherwise follows the holder through the store (see follow).
func (s *Source) Run(ctx context.Context) error {
	if err := s.Load(ctx); err != nil {
		s.opts.logger.Error("loading feeds", slog.String("reason", err.Error()))
	}
	var wg sync.WaitGroup
	defer s.releaseLease(&wg)
	held := false
	for {
		now := s.opts.clock.Now()
		held = s.holdLease(ctx, held)
		due, next := s.claimDue(now)
		following := s.opts.lease != nil && !held
		for _, fr := range due {
			wg.Go(func() {
				if following {
					s.follow(ctx, fr)
				} else {
					s.poll(ctx, fr)
				}
				s.signal() // its next try may be the earliest now
			})
		}
		if s.opts.lease != nil {
			if at := now.Add(s.opts.leaseEvery); next.IsZero() || at.Before(next) {
				next = at
			}
		}
		var at <-chan time.Time
		if !next.IsZero() {
			at = s.opts.clock.At(next)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-at:
		case <-s.wake:
			// A feed failed to load earlier? Try again on every change.
			if err := s.Load(ctx); err != nil && ctx.Err() == nil {
				s.opts.logger.Error("loading feeds", slog.String("reason", err.Error()))
			}
		}
	}
}

// poll fetches one claimed feed once and records the outcome.
func (s *Source) poll(ctx context.Context, fr *feedRun) error {
	s.mu.Lock()
	f, st := fr.feed, fr.state
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		fr.running = false
		s.mu.Unlock()
	}()
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-ctx.Done():
		return ctx.Err()
	}
	log := s.opts.logger.With(slog.String("feed", f.Name), slog.String("url", f.URL))
	start := s.opts.clock.Now()
	added, resp, err := s.fetch(ctx, fr, f, st, log)
	if err != nil && ctx.Err() != nil {
		// Shutting down: not the feed's failure; try again next time.
		return fmt.Errorf("feed %s (%s): %w", f.Name, f.URL, ctx.Err())
	}
	now := s.opts.clock.Now()
	every := s.interval(f)
	if err != nil {
		st.Failures++
		st.LastError = err.Error()
		wait := backoff(every, st.Failures)
		if resp != nil && (resp.Status == http.StatusTooManyRequests || resp.Status == http.StatusServiceUnavailable) {
			wait = max(wait, resp.RetryAfter)
		}
		st.NextTry = now.Add(s.jitter(wait))
		log.Warn("feed fetch failed", slog.String("reason", st.LastError), slog.Int("failures", st.Failures),
			slog.Time("next_try", st.NextTry))
	} else {
		if resp.Status == http.StatusOK {
			st.ETag, st.LastModified = resp.ETag, resp.LastModified
		} else {
			// A 304 may send fresher validators; keep the old ones if not.
			st.ETag = cmpOr(resp.ETag, st.ETag)
			st.LastModified = cmpOr(resp.LastModified, st.LastModified)
		}
		st.LastSuccess, st.LastError, st.Failures = now, "", 0
		st.NextTry = now.Add(s.jitter(max(every, resp.MaxAge)))
		log.Info("feed fetched", slog.Int("status", resp.Status), slog.Int("new", added),
			slog.Duration("took", now.Sub(start)), slog.Time("next_try", st.NextTry))
	}
	if serr := s.st.SaveFeedState(ctx, st); serr != nil {
		log.Error("saving feed state", slog.String("reason", serr.Error()))
	}
	s.mu.Lock()
	fr.state = st
	s.mu.Unlock()
	if s.opts.onFetch != nil {
		s.opts.onFetch(f.Name, fetchOutcome(resp, err))
	}
	if err != nil {
		return fmt.Errorf("feed %s: %w", f.Name, err)
	}
	return nil
}

// fetchOutcome names a poll's outcome for the fetch observer.
func fetchOutcome(resp *response, err error) FetchOutcome {
	switch {
	case err != nil:
		return FetchError
	case resp.Status == http.StatusNotModified:
		return FetchNotModified
	}
	return FetchOK
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// backoff is the wait after failures in a row: the interval, doubled for
// every failure after the first, capped at MaxBackoff. The first retry
// comes no sooner than a normal poll would, which is the polite minimum.
func backoff(every time.Duration, failures int) time.Duration {
	d := every
	for i := 1; i < failures && d < MaxBackoff; i++ {
		d *= 2
	}
	return min(d, MaxBackoff)
}

// jitter adds up to the jitter share of d, never less than d: a server's
// max-age or Retry-After is a minimum.
func (s *Source) jitter(d time.Duration) time.Duration {
	if s.opts.jitter <= 0 || d <= 0 {
		return d
	}
	return d + time.Duration(rand.Float64()*s.opts.jitter*float64(d))
}

// fetch GETs the feed (conditionally), parses it, fetches full texts of
// new teasers, stores the new items and updates the library. It returns
// how many items were new, and the response for the caller's timing.
func (s *Source) fetch(ctx context.Context, fr *feedRun, f Feed, st State, log *slog.Logger) (int, *response, error) {
	resp, err := s.get.get(ctx, f.URL, feedAccept, st.ETag, st.LastModified)
	if err != nil {
		return 0, resp, err
	}
	if resp.Status == http.StatusNotModified {
		return 0, resp, nil
	}
	items, err := ParseFeed(f, resp.Body, s.opts.clock.Now())
	if err != nil {
		return 0, resp, err
	}
	// Only items the store will take are worth a page fetch; the store
	// still decides, by the same rule.
	s.mu.Lock()
	known := fr.known
	s.mu.Unlock()
	if known == nil {
		known = newStoryIndex(nil)
	}
	batch := newStoryIndex(nil)
	fresh := items[:0]
	for i := range items {
		it := &items[i]
		if known.has(it) || batch.has(it) {
			continue
		}
		batch.add(it)
		fresh = append(fresh, *it)
	}
	if len(fresh) == 0 {
		return 0, resp, nil
	}
	pages := 0
	for i := range fresh {
		it := &fresh[i]
		if pages >= s.opts.maxPages || !isTeaser(it.Text) || it.URL == "" {
			continue
		}
		pages++
		if err := s.fullText(ctx, it); err != nil {
			log.Info("full text not fetched, the teaser stays", slog.String("item", it.URL), slog.String("reason", err.Error()))
		}
	}
	added, err := s.st.SaveItems(ctx, fresh)
	if err != nil {
		// The validators are not updated on failure, so the next poll
		// gets the items again instead of a 304.
		return 0, resp, fmt.Errorf("store items: %w", err)
	}
	if len(added) > 0 {
		all, err := s.publish(ctx, fr, f.Name)
		if err != nil {
			return len(added), resp, err
		}
		s.mu.Lock()
		fr.known = newStoryIndex(all)
		s.mu.Unlock()
		return len(added), resp, nil
	}
	// All refused: remember them so that the next poll does not fetch
	// their pages again. known is this feed's own index, updated under mu.
	s.mu.Lock()
	for i := range fresh {
		known.add(&fresh[i])
	}
	fr.known = known
	s.mu.Unlock()
	return 0, resp, nil
}

// CheckResult is what one try of a feed gave, for `newsbrief check`.
type CheckResult struct {
	Feed   Feed
	Status int // the HTTP status; 0 when no answer came
	Items  int // items parsed
	Err    error
	Took   time.Duration
}

// Check tries f once, unconditionally, without storing anything or
// fetching pages, and reports what it got.
func (s *Source) Check(ctx context.Context, f Feed) CheckResult {
	start := time.Now()
	r := CheckResult{Feed: f}
	resp, err := s.get.get(ctx, f.URL, feedAccept, "", "")
	if resp != nil {
		r.Status = resp.Status
	}
	if err == nil {
		var items []Item
		items, err = ParseFeed(f, resp.Body, s.opts.clock.Now())
		r.Items = len(items)
	}
	r.Err = err
	r.Took = time.Since(start)
	return r
}
