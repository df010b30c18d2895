package feed

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	"newsbrief/briefs"
	"newsbrief/briefs/feed/feedstore"
)

// Source keeps a library's feed items up to date: it loads what the Store
// holds, polls each feed when it is due, stores the new items and hands
// each feed's kept items to the library under the feed's name. Its methods
// are safe for concurrent use; FetchDue and Run may overlap, and a feed is
// never fetched twice at once.
type Source struct {
	lib  *briefs.Library
	st   feedstore.Store
	opts options
	get  *getter
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
	state   feedstore.State
	loaded  bool
	running bool
	// known holds the stored items' identities, links and title keys: a
	// cache that spares fetching pages of items the Store would refuse.
	known *storyIndex
	// kept is how many items the store keeps of the feed, and oldest the
	// oldest of them (see newer), as last read: a feed at its cap
	// (WithMaxItems) takes only items newer than that.
	kept   int
	oldest itemAge
	// skipped holds the items of the feed's document that the cap left
	// out, so that the next poll passes them over quietly instead of
	// weighing them again; leftOut is how many the last poll left out.
	// Only the feed's own poll (one at a time) uses skipped.
	skipped *storyIndex
	leftOut int
}

// itemAge is what orders items for the cap: see newer.
type itemAge struct {
	date     time.Time
	identity string
}

func ageOf(it *feedstore.Item) itemAge {
	d := it.Published
	if d.IsZero() {
		d = it.Fetched
	}
	return itemAge{date: d, identity: it.Identity}
}

// newer orders items as the cap keeps them, and as the stores trim them
// (see Store.SaveItems): by date (the publication date, else when the
// item was fetched, as its article is dated), then by identity so that
// the order is total. It is positive when a is the newer.
func newer(a, b itemAge) int {
	if c := a.date.Compare(b.date); c != 0 {
		return c
	}
	return strings.Compare(a.identity, b.identity)
}

// setKept notes the feed's stored items, read from the store. Called
// under Source.mu.
func (fr *feedRun) setKept(items []feedstore.Item) {
	fr.kept, fr.oldest = len(items), itemAge{}
	for i := range items {
		if a := ageOf(&items[i]); i == 0 || newer(a, fr.oldest) < 0 {
			fr.oldest = a
		}
	}
}

// New returns a source of the feeds, filing their items in lib under each
// feed's name and storing them in st. It does no I/O until Load, FetchDue
// or Run. Check needs neither lib nor st.
func New(lib *briefs.Library, st feedstore.Store, feeds []Feed, opts ...Option) *Source {
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
			hosts:   &hosts{now: o.clock.Now, base: o.interval},
			slots:   make(chan struct{}, o.concurrency),
			timeout: o.timeout,
			ua:      o.userAgent,
			maxBody: o.maxBody,
			now:     o.clock.Now,
		},
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
		for l := range s.loadAhead(ctx, pending) {
			fr := l.fr
			if l.err != nil {
				errs = append(errs, l.err)
				continue
			}
			s.mu.Lock()
			if !fr.running { // a poll under way has the newer state
				fr.state = l.state
			}
			fr.known = l.known
			fr.setKept(l.items)
			s.mu.Unlock()
			done = append(done, fr)
			for _, a := range l.arts {
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

// feedLoad is what Load reads of one feed.
type feedLoad struct {
	fr    *feedRun
	state feedstore.State
	items []feedstore.Item
	arts  []briefs.Article
	known *storyIndex
	err   error
}

// loadAhead reads the feeds' states and stored items for Load and yields
// them in order, reading a few feeds ahead on every core: at start, five
// thousand feeds' reads one after another would keep the library's
// indexing waiting.
func (s *Source) loadAhead(ctx context.Context, pending []*feedRun) iter.Seq[feedLoad] {
	return func(yield func(feedLoad) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ahead := 2 * runtime.GOMAXPROCS(0)
		out := make([]chan feedLoad, len(pending))
		for i := range out {
			out[i] = make(chan feedLoad, 1)
		}
		slots := make(chan struct{}, ahead)
		go func() {
			for i, fr := range pending {
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					return
				}
				go func() { out[i] <- s.loadFeed(ctx, fr) }()
			}
		}()
		for i := range pending {
			l := <-out[i]
			<-slots
			if !yield(l) {
				return
			}
		}
	}
}

// loadFeed reads one feed's state and stored items for Load.
func (s *Source) loadFeed(ctx context.Context, fr *feedRun) feedLoad {
	s.mu.Lock()
	f := fr.feed
	s.mu.Unlock()
	l := feedLoad{fr: fr}
	st, err := s.st.FeedState(ctx, f.URL)
	if err != nil {
		l.err = fmt.Errorf("load feed %s (%s): state: %w", f.Name, f.URL, err)
		return l
	}
	st.URL = f.URL
	l.state = st
	l.items, l.arts, err = s.loadItems(ctx, f.Name)
	if err != nil {
		l.err = fmt.Errorf("load feed %s (%s): stored items: %w", f.Name, f.URL, err)
		return l
	}
	l.known = newStoryIndex(l.items)
	return l
}

// loadItems reads the stored items of the feed name for Load, and makes
// their articles: from the index cache where it holds them (under the
// item's stamp), else from the item. When the cache holds anything and
// the store can, the items are read by their keys alone
// (feedstore.ItemKeys), and read again whole only when the cache lacks
// one.
func (s *Source) loadItems(ctx context.Context, name string) ([]feedstore.Item, []briefs.Article, error) {
	cache := s.opts.cache
	keyed, byKeys := s.st.(feedstore.ItemKeys)
	byKeys = byKeys && cache.Len() > 0
	var items []feedstore.Item
	var err error
	if byKeys {
		items, err = keyed.ItemKeys(ctx, name)
	} else {
		items, err = s.st.Items(ctx, name)
	}
	if err != nil {
		return nil, nil, err
	}
	arts := make([]briefs.Article, len(items))
	var missed []int
	for i := range items {
		it := &items[i]
		stamp := itemStamp(it)
		a, ok := cache.Article(it.Origin, "", it.Identity, stamp)
		switch {
		case ok:
			arts[i] = a
		case byKeys:
			missed = append(missed, i)
		default:
			arts[i] = stampedArticle(*it, stamp)
		}
	}
	if len(missed) == 0 {
		return items, arts, nil
	}
	full, err := s.st.Items(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	byIdentity := make(map[string]int, len(full))
	for i := range full {
		byIdentity[full[i].Identity] = i
	}
	for _, i := range missed {
		// An item deleted between the two reads is left out here, as
		// it would be from a load a moment later.
		if k, ok := byIdentity[items[i].Identity]; ok {
			arts[i] = Article(full[k])
		}
	}
	arts = slices.DeleteFunc(arts, func(a briefs.Article) bool { return a.ID == "" })
	return items, arts, nil
}

// Body reads the text of a, an item of one of the source's feeds, back
// from the store: the source's half of a library that keeps no bodies
// (briefs.WithBodies).
func (s *Source) Body(ctx context.Context, a briefs.Article) ([]string, error) {
	text, err := s.st.ItemText(ctx, a.Origin, a.Ref)
	if err != nil {
		return nil, err
	}
	return Article(feedstore.Item{Title: a.Title, Text: text}).Paragraphs, nil
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
func articles(items []feedstore.Item) []briefs.Article {
	arts := make([]briefs.Article, len(items))
	for i, it := range items {
		arts[i] = Article(it)
	}
	return arts
}

// publish reads the stored items of the feed and makes them the feed's
// articles in the library, unless the feed was removed meanwhile.
func (s *Source) publish(ctx context.Context, fr *feedRun, name string) ([]feedstore.Item, error) {
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
func Article(it feedstore.Item) briefs.Article { return stampedArticle(it, itemStamp(&it)) }

// stampedArticle is Article with the item's stamp (itemStamp) already
// made.
func stampedArticle(it feedstore.Item, stamp string) briefs.Article {
	a := briefs.Article{
		ID:     briefs.NewID(it.Origin+"\n"+it.Identity, it.Title),
		Title:  it.Title,
		Origin: it.Origin,
		URL:    it.URL,
		Image:  it.Image,
		Ref:    it.Identity,
		Stamp:  stamp,
		// Fetched is the first fetch's: a known item is not saved again.
		Arrived: it.Fetched,
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
// makes an item's article differently, or itemStamp stamps it so, so that
// items cached under the old rules are read again. i3: an item is stamped
// by its keys alone.
const itemRules = "i3"

// itemStamp is a stored item's Stamp: a hash of its origin, identity,
// publication date and fetch date, which feedstore.ItemKeys lists. A
// stored item is never updated (see feedstore.Store.SaveItems), so the
// article made of it is the one made when it was stored; an item deleted
// (pruned, cut by a feed's cap) and stored again has the Fetched of its
// new storing, and another stamp. So a start whose index cache holds the
// items reads neither their texts nor their titles.
func itemStamp(it *feedstore.Item) string {
	h := xxhash.New()
	for _, s := range [...]string{it.Origin, it.Identity} {
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
			fr = &feedRun{feed: f, state: feedstore.State{URL: f.URL}}
		case fr.feed.URL != f.URL:
			// Same name, new address: the items stay (they are the name's),
			// the state is the new URL's, read by Load.
			fr = &feedRun{feed: f, state: feedstore.State{URL: f.URL}}
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
	// Kept is how many items the store keeps of the feed, and MaxItems
	// how many it may keep (WithMaxItems; 0: no cap): a feed at its cap
	// drops its oldest items as new ones come. LeftOut is how many items
	// of its last poll the cap left out (new items beyond the cap, or
	// older than everything it keeps).
	Kept     int
	MaxItems int
	LeftOut  int
}

// AtCap reports whether the feed keeps as many items as it may.
func (f FeedStatus) AtCap() bool { return f.MaxItems > 0 && f.Kept >= f.MaxItems }

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
			Kept:        fr.kept,
			MaxItems:    s.opts.maxItems,
			LeftOut:     fr.leftOut,
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

// Prune deletes the items fetched more than retention ago (FEED_RETENTION),
// and those beyond each feed's cap (WithMaxItems: a cap lowered since, or
// items stored before there was one), from the store and from the
// library, and returns how many it deleted.
func (s *Source) Prune(ctx context.Context, retention time.Duration) (int64, error) {
	n, err := s.st.PruneItems(ctx, s.opts.clock.Now().Add(-retention), s.opts.maxItems)
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
		fr.setKept(items)
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
// it finds and updates the library, and returns when all are done. The
// error joins the failures, each naming its feed; the feeds that worked
// are stored whatever it says.
func (s *Source) FetchDue(ctx context.Context) error {
	_, err := s.FetchDueWithin(ctx, 0)
	return err
}

// FetchDueWithin is FetchDue for the offline commands (check, digest,
// console), which answer from what the feeds have now: it waits at most
// wait in all (by the source's clock; no bound when not positive; they
// give about one fetch timeout, see Timeout), then cuts the polls still
// under way and returns those feeds as pending. A pending feed records
// nothing: it is still due, and tried again next time.
func (s *Source) FetchDueWithin(ctx context.Context, wait time.Duration) (pending []Feed, err error) {
	loadErr := s.Load(ctx)
	due, _ := s.claimDue(s.opts.clock.Now())
	feeds := make([]Feed, len(due))
	s.mu.Lock()
	for i, fr := range due {
		feeds[i] = fr.feed
	}
	s.mu.Unlock()
	errs := make([]error, len(due))
	s.within(ctx, wait, len(due), func(ctx context.Context, i int) { errs[i] = s.poll(ctx, due[i]) })
	for i, err := range errs {
		if errors.Is(err, errUnfinished) {
			pending = append(pending, feeds[i])
			errs[i] = nil
		}
	}
	return pending, errors.Join(append([]error{loadErr}, errs...)...)
}

// Timeout is the fetch timeout (WithTimeout): how long one poll may take
// once it has its host's turn and a fetch slot, and what the offline
// commands wait for the feeds in all.
func (s *Source) Timeout() time.Duration { return s.opts.timeout }

// errUnfinished marks a poll or a check cut short by its context (the
// process stopping, or an offline command done waiting): not the feed's
// failure, and nothing is recorded of it.
var errUnfinished = errors.New("not finished")

// within runs job(ctx, i) for i from 0 to n-1, each in its own goroutine,
// and returns when all are done, or when wait has passed by the source's
// clock (no bound when not positive) or ctx is done: then it cancels the
// jobs' context and returns once they have ended, which jobs do at once
// when cancelled.
func (s *Source) within(ctx context.Context, wait time.Duration, n int, job func(ctx context.Context, i int)) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var timeUp <-chan time.Time
	if wait > 0 {
		timeUp = s.opts.clock.At(s.opts.clock.Now().Add(wait))
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { job(ctx, i) })
	}
	all := make(chan struct{})
	go func() { wg.Wait(); close(all) }()
	select {
	case <-all:
		return
	case <-timeUp:
	case <-ctx.Done():
	}
	cancel()
	<-all
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

// poll fetches one claimed feed once and records the outcome. A poll cut
// short by ctx records nothing and returns an error wrapping
// errUnfinished.
func (s *Source) poll(ctx context.Context, fr *feedRun) error {
	s.mu.Lock()
	f, st, before := fr.feed, fr.state, fr.kept
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		fr.running = false
		s.mu.Unlock()
	}()
	log := s.opts.logger.With(slog.String("feed", f.Name), slog.String("url", f.URL))
	start := s.opts.clock.Now()
	res, err := s.fetch(ctx, fr, f, st, log)
	if (err != nil || res.late > 0) && ctx.Err() != nil {
		// Stopping: not the feed's failure; try again next time.
		return fmt.Errorf("feed %s (%s): %w (%w)", f.Name, f.URL, errUnfinished, ctx.Err())
	}
	now := s.opts.clock.Now()
	every := s.interval(f)
	resp := res.resp
	switch {
	case err != nil:
		st.Failures++
		st.LastError = err.Error()
		wait := backoff(every, st.Failures)
		if resp != nil && (resp.Status == http.StatusTooManyRequests || resp.Status == http.StatusServiceUnavailable) {
			wait = max(wait, resp.RetryAfter)
		}
		st.NextTry = now.Add(s.jitter(wait))
		// A host that timed out backs off as a whole: none of its feeds
		// is tried before it may be asked again.
		if host, herr := hostOf(f.URL); herr == nil {
			if until := s.get.hosts.until(host); until.After(st.NextTry) {
				st.NextTry = until
			}
		}
		log.Warn("feed fetch failed", slog.String("reason", st.LastError), slog.Int("failures", st.Failures),
			slog.Time("next_try", st.NextTry))
	case res.late > 0:
		// The feed answered and its items are stored, teasers where their
		// pages came too late; but the poll ran into its deadline, so it
		// is no plain success: it backs off like a failure, and a feed
		// whose pages never answer holds a fetch slot ever less often.
		st.ETag, st.LastModified = resp.ETag, resp.LastModified
		st.Failures++
		st.LastError = fmt.Sprintf("%d teaser %s not fetched within the fetch timeout (%s): %v",
			res.late, plural(res.late, "page", "pages"), s.opts.timeout, res.lateErr)
		st.NextTry = now.Add(s.jitter(backoff(every, st.Failures)))
		log.Warn("feed fetched, but its teaser pages timed out", slog.String("reason", st.LastError), slog.Int("new", res.added),
			slog.Int("failures", st.Failures), slog.Time("next_try", st.NextTry))
	default:
		if resp.Status == http.StatusOK {
			st.ETag, st.LastModified = resp.ETag, resp.LastModified
		} else {
			// A 304 may send fresher validators; keep the old ones if not.
			st.ETag = cmpOr(resp.ETag, st.ETag)
			st.LastModified = cmpOr(resp.LastModified, st.LastModified)
		}
		st.LastSuccess, st.LastError, st.Failures = now, "", 0
		st.NextTry = now.Add(s.jitter(max(every, resp.MaxAge)))
		log.Info("feed fetched", slog.Int("status", resp.Status), slog.Int("new", res.added),
			slog.Duration("took", now.Sub(start)), slog.Time("next_try", st.NextTry))
	}
	s.logCap(log, fr, before, res)
	// The outcome is recorded even when ctx ends meanwhile: the poll is
	// done, and without its validators the next would fetch it all again.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stateSaveTimeout)
	if serr := s.st.SaveFeedState(sctx, st); serr != nil {
		log.Error("saving feed state", slog.String("reason", serr.Error()))
	}
	cancel()
	s.mu.Lock()
	fr.state = st
	s.mu.Unlock()
	if s.opts.onFetch != nil {
		s.opts.onFetch(f.Name, fetchOutcome(resp, err, res.late))
	}
	if err != nil {
		return fmt.Errorf("feed %s: %w", f.Name, err)
	}
	if res.late > 0 {
		return fmt.Errorf("feed %s: %s", f.Name, st.LastError)
	}
	return nil
}

// stateSaveTimeout bounds the save of a poll's outcome once the poll's own
// context has ended.
const stateSaveTimeout = 5 * time.Second

// logCap says when a poll met the feed's cap: it left new items out, or
// the feed has just filled up, so that from now on its oldest items make
// way for new ones.
func (s *Source) logCap(log *slog.Logger, fr *feedRun, before int, res pollResult) {
	keep := s.opts.maxItems
	if keep <= 0 {
		return
	}
	s.mu.Lock()
	after := fr.kept
	s.mu.Unlock()
	switch {
	case res.leftOut > 0:
		log.Warn("feed over its item cap: the newest kept, the rest left out", slog.Int("max_items", keep),
			slog.Int("left_out", res.leftOut), slog.Int("new", res.added), slog.Int("pushed_out", res.pushedOut))
	case before < keep && after >= keep:
		log.Warn("feed reached its item cap: from now on its oldest items make way for new ones", slog.Int("max_items", keep),
			slog.Int("pushed_out", res.pushedOut))
	case res.pushedOut > 0:
		log.Debug("feed at its item cap: oldest items dropped", slog.Int("max_items", keep), slog.Int("pushed_out", res.pushedOut))
	}
}

// fetchOutcome names a poll's outcome for the fetch observer; a poll whose
// pages timed out is an error, since it backs off.
func fetchOutcome(resp *response, err error, late int) FetchOutcome {
	switch {
	case err != nil, late > 0:
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

// pollResult is what one poll's fetch did.
type pollResult struct {
	resp  *response // nil when no answer came
	added int       // new items stored
	// late counts the teaser pages that did not come within the poll's
	// deadline; lateErr is the first of them.
	late    int
	lateErr error
	// leftOut counts the new items the cap left out, and pushedOut the
	// stored items that made way for new ones.
	leftOut, pushedOut int
}

// fetch waits for the feed's host's turn, then for a fetch slot (see
// getter.turn), so that feeds queued behind a slow host hold no slot while
// they wait. From the slot on, the feed and its teaser pages share one
// deadline, the fetch timeout. It GETs the feed (conditionally), parses
// it, keeps the new items the cap allows, fetches full texts of new
// teasers (each page waiting for its own host's turn and a slot), stores
// the items and updates the library.
func (s *Source) fetch(ctx context.Context, fr *feedRun, f Feed, st feedstore.State, log *slog.Logger) (pollResult, error) {
	var res pollResult
	host, err := hostOf(f.URL)
	if err != nil {
		return res, fmt.Errorf("GET %s: %w", f.URL, err)
	}
	freeHost, freeSlot, err := s.get.turn(ctx, host)
	if err != nil {
		return res, fmt.Errorf("GET %s: %w", f.URL, err)
	}
	pctx, cancel := context.WithTimeout(ctx, s.opts.timeout)
	defer cancel()
	resp, err := s.get.fetch(pctx, host, f.URL, feedAccept, st.ETag, st.LastModified)
	freeHost() // the host's next feed need not wait for this one's pages
	res.resp = resp
	var items []feedstore.Item
	if err == nil && resp.Status == http.StatusOK {
		var skipped []error
		items, skipped, err = ParseItems(f, resp.Body, s.opts.clock.Now())
		for _, e := range skipped {
			log.Warn("feed item skipped, the others kept", slog.Any("reason", e))
		}
	}
	freeSlot() // the body is read and parsed
	if err != nil || resp.Status == http.StatusNotModified {
		return res, err
	}
	// Only items the store will take are worth a page fetch; the store
	// still decides, by the same rule.
	s.mu.Lock()
	known, skipped, before, oldest := fr.known, fr.skipped, fr.kept, fr.oldest
	s.mu.Unlock()
	if known == nil {
		known = newStoryIndex(nil)
	}
	batch := newStoryIndex(nil)
	stillSkipped := newStoryIndex(nil)
	fresh := items[:0]
	for i := range items {
		it := &items[i]
		switch {
		case known.has(it) || batch.has(it):
			continue
		case skipped != nil && skipped.has(it):
			stillSkipped.add(it)
			continue
		}
		batch.add(it)
		fresh = append(fresh, *it)
	}
	fresh, out := s.capItems(fresh, before, oldest)
	for i := range out {
		stillSkipped.add(&out[i])
	}
	res.leftOut = len(out)
	s.mu.Lock()
	fr.skipped, fr.leftOut = stillSkipped, res.leftOut
	s.mu.Unlock()
	if len(fresh) == 0 {
		return res, nil
	}
	pages := 0
	for i := range fresh {
		it := &fresh[i]
		if pages >= s.opts.maxPages || !isTeaser(it.Text) || it.URL == "" {
			continue
		}
		pages++
		if pctx.Err() != nil { // the poll's time is up: the rest keep their teasers
			res.late++
			res.lateErr = cmp.Or(res.lateErr, error(fmt.Errorf("page of %q: %w", it.Title, pctx.Err())))
			continue
		}
		if err := s.fullText(pctx, it); err != nil {
			if isTimeout(err) {
				res.late++
				res.lateErr = cmp.Or(res.lateErr, err)
			}
			log.Info("full text not fetched, the teaser stays", slog.String("item", it.URL), slog.String("reason", err.Error()))
		}
	}
	added, err := s.st.SaveItems(ctx, fresh, s.opts.maxItems)
	if err != nil {
		// The validators are not updated on failure, so the next poll
		// gets the items again instead of a 304.
		return res, fmt.Errorf("store items: %w", err)
	}
	res.added = len(added)
	if len(added) > 0 || (s.opts.maxItems > 0 && before > s.opts.maxItems) {
		all, err := s.publish(ctx, fr, f.Name)
		if err != nil {
			return res, err
		}
		res.pushedOut = max(0, before+len(added)-len(all))
		// A new item the store did not keep (its cap's cut) is passed
		// over next time, like those the source left out.
		stored := newStoryIndex(all)
		for i := range fresh {
			if !stored.has(&fresh[i]) {
				stillSkipped.add(&fresh[i])
			}
		}
		s.mu.Lock()
		fr.known = stored
		fr.setKept(all)
		s.mu.Unlock()
		return res, nil
	}
	// All refused: remember them so that the next poll does not fetch
	// their pages again. known is this feed's own index, updated under mu.
	s.mu.Lock()
	for i := range fresh {
		known.add(&fresh[i])
	}
	fr.known = known
	s.mu.Unlock()
	return res, nil
}

// capItems splits a poll's new items into those the feed's cap keeps (in
// the feed's order) and those it leaves out: when the feed keeps as many
// as it may (kept of them, the oldest oldest), an item no newer than its
// oldest would be dropped at once; and of the rest, one poll adds at most
// the cap, the newest. Without a cap, it keeps everything.
func (s *Source) capItems(fresh []feedstore.Item, kept int, oldest itemAge) (in, out []feedstore.Item) {
	keep := s.opts.maxItems
	if keep <= 0 {
		return fresh, nil
	}
	in = fresh[:0:0]
	for _, it := range fresh {
		if kept >= keep && newer(ageOf(&it), oldest) <= 0 {
			out = append(out, it)
			continue
		}
		in = append(in, it)
	}
	if len(in) <= keep {
		return in, out
	}
	order := make([]int, len(in))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return newer(ageOf(&in[b]), ageOf(&in[a])) })
	drop := make([]bool, len(in))
	for _, i := range order[keep:] {
		drop[i] = true
	}
	kepts := in[:0:0]
	for i, it := range in {
		if drop[i] {
			out = append(out, it)
		} else {
			kepts = append(kepts, it)
		}
	}
	return kepts, out
}

// CheckResult is what one try of a feed gave, for `newsbrief check`.
type CheckResult struct {
	Feed   Feed
	Status int // the HTTP status; 0 when no answer came
	Items  int // items parsed
	// Skipped are the items that could not be read, each with why; the
	// others are in Items.
	Skipped []error
	Err     error
	Took    time.Duration
	// Pending: the try was not done within CheckAll's wait, and was
	// cut (Err is nil).
	Pending bool
}

// Check tries f once, unconditionally, without storing anything or
// fetching pages, and reports what it got: CheckAll of one feed, without a
// bound.
func (s *Source) Check(ctx context.Context, f Feed) CheckResult {
	return s.CheckAll(ctx, []Feed{f}, 0)[0]
}

// CheckAll tries every feed once, concurrently and under the rules of
// polling (one request at a time per host, the host's turn before a fetch
// slot, the fetch timeout, a host that timed out left alone), without
// storing anything or fetching pages, and returns the results in the
// order of feeds. It waits at most wait in all (by the source's clock; no
// bound when not positive): the tries not done by then are cut and
// reported Pending.
func (s *Source) CheckAll(ctx context.Context, feeds []Feed, wait time.Duration) []CheckResult {
	out := make([]CheckResult, len(feeds))
	s.within(ctx, wait, len(feeds), func(ctx context.Context, i int) {
		out[i] = s.check(ctx, feeds[i])
		if s.opts.onCheck != nil {
			s.opts.onCheck(out[i])
		}
	})
	return out
}

// check is one try of CheckAll.
func (s *Source) check(ctx context.Context, f Feed) CheckResult {
	start := time.Now()
	r := CheckResult{Feed: f}
	resp, err := s.tryFeed(ctx, f)
	if err != nil && ctx.Err() != nil {
		return CheckResult{Feed: f, Pending: true}
	}
	if resp != nil {
		r.Status = resp.Status
	}
	if err == nil {
		var items []feedstore.Item
		items, r.Skipped, err = ParseItems(f, resp.Body, s.opts.clock.Now())
		r.Items = len(items)
	}
	r.Err = err
	r.Took = time.Since(start)
	return r
}

// tryFeed GETs f unconditionally: its host's turn first, then a fetch
// slot, then the fetch timeout.
func (s *Source) tryFeed(ctx context.Context, f Feed) (*response, error) {
	host, err := hostOf(f.URL)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", f.URL, err)
	}
	freeHost, freeSlot, err := s.get.turn(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", f.URL, err)
	}
	defer freeSlot()
	defer freeHost()
	ctx, cancel := context.WithTimeout(ctx, s.opts.timeout)
	defer cancel()
	return s.get.fetch(ctx, host, f.URL, feedAccept, "", "")
}
