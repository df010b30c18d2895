package feed

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Lease is a right one process at a time holds among those sharing a
// store (the shape of digest.Lease; store/sqlite and store/postgres make
// them). With one, of several processes sharing a database only the
// holder polls the feeds, so a publisher sees one reader, not one per
// process; the others serve what the holder stores.
type Lease interface {
	// Acquire takes the lease when it is free, or keeps it when this
	// holder has it, and reports whether it holds it now.
	Acquire(ctx context.Context) (bool, error)
	// Release gives it up.
	Release(ctx context.Context) error
}

// DefaultLeaseInterval is how often Run renews its lease, or tries to take
// it: feeds are polled again within about this long after their poller
// died and its lease was freed.
const DefaultLeaseInterval = time.Second

// WithLease makes Run poll only while it holds l, renewing it (or trying
// to take it) every interval (DefaultLeaseInterval when not positive).
// Without the lease Run follows the store instead: when a feed falls due,
// it reads the feed's stored state and, when the holder has polled it
// since, its stored items. FetchDue (the offline commands) ignores it.
func WithLease(l Lease, interval time.Duration) Option {
	return func(o *options) {
		o.lease, o.leaseEvery = l, interval
		if o.leaseEvery <= 0 {
			o.leaseEvery = DefaultLeaseInterval
		}
	}
}

// holdLease takes or renews the lease, and logs when holding it changes.
func (s *Source) holdLease(ctx context.Context, was bool) bool {
	if s.opts.lease == nil {
		return true
	}
	ok, err := s.opts.lease.Acquire(ctx)
	switch {
	case ctx.Err() != nil:
		return false
	case ok && !was:
		s.opts.logger.Info("took the feed poller lease: this process polls the feeds")
	case !ok && was:
		s.opts.logger.Warn("lost the feed poller lease: another process polls the feeds", slog.Any("err", err))
	}
	return ok
}

// releaseLease waits for the polls under way, then frees the lease for
// another process.
func (s *Source) releaseLease(wg *sync.WaitGroup) {
	wg.Wait()
	if s.opts.lease == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.opts.lease.Release(ctx); err != nil {
		s.opts.logger.Warn("releasing the feed poller lease", slog.Any("err", err))
	}
}

// follow is a standby's poll of a claimed feed: it reads what the lease
// holder stored of it. When its state changed (the holder polled it), the
// feed's stored items replace its articles in the library and the stored
// state becomes this process's, next try included, so it looks again when
// the holder polls next. When nothing changed yet (the holder polls at
// about the same moment), it looks again in two lease intervals. It
// writes nothing.
func (s *Source) follow(ctx context.Context, fr *feedRun) {
	s.mu.Lock()
	f, mine := fr.feed, fr.state
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		fr.running = false
		s.mu.Unlock()
	}()
	log := s.opts.logger.With(slog.String("feed", f.Name), slog.String("url", f.URL))
	st, err := s.st.FeedState(ctx, f.URL)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("reading the feed's stored state", slog.Any("err", err))
		}
		s.retryFollow(fr)
		return
	}
	st.URL = f.URL
	// Every poll of the holder moves LastSuccess, or Failures and
	// LastError; NextTry is left out, since retryFollow moves this
	// process's own.
	if st.LastSuccess.Equal(mine.LastSuccess) && st.Failures == mine.Failures && st.LastError == mine.LastError {
		s.retryFollow(fr)
		return
	}
	items, err := s.publish(ctx, fr, f.Name)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("reading the feed's stored items", slog.Any("err", err))
		}
		s.retryFollow(fr)
		return
	}
	s.mu.Lock()
	fr.state = st
	fr.known = newStoryIndex(items)
	fr.setKept(items)
	s.mu.Unlock()
	log.Debug("feed followed from the store", slog.Int("items", len(items)), slog.Time("next_try", st.NextTry))
}

// retryFollow makes a followed feed due again in two lease intervals, in
// this process's memory only.
func (s *Source) retryFollow(fr *feedRun) {
	s.mu.Lock()
	fr.state.NextTry = s.opts.clock.Now().Add(2 * s.opts.leaseEvery)
	s.mu.Unlock()
}
