package digest

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"newsbrief/briefs"
)

// Defaults for the options.
const (
	// DefaultPollInterval bounds how long a subscription made or changed
	// by another process on the same database waits to be seen: a second,
	// so that a digest due at 9:00 made through another process goes out
	// at 9:00, for the cost of one indexed query a second.
	DefaultPollInterval = time.Second
	// DefaultPruneInterval is how often the service prunes records that
	// can no longer matter (also once at start).
	DefaultPruneInterval = 24 * time.Hour
	// DefaultRetention is how long gone articles' posted records, sent
	// digests and run claims are kept: long enough that an article removed
	// by mistake and restored within a month is not posted again.
	DefaultRetention = 30 * 24 * time.Hour
	// DefaultLeaseInterval is how often a service with a lease renews it,
	// or, standing by, tries to take it: a dead holder's digests resume
	// within about this long after its lease is free.
	DefaultLeaseInterval = time.Second
)

// Service runs subscriptions: it subscribes, unsubscribes, lists and
// previews them for the command layer, and posts each one's digest when its
// schedule falls due. Build it with New; Start begins posting.
//
// The database decides which runs happen: each subscription's next run is
// stored, and a run is made only by the process whose claim of it commits
// (Store.ClaimRun), so several processes may share one database, and a
// subscription made in one of them is run by whichever claims it.
//
// With a Lease (WithLease), only the process holding it claims runs and
// posts: the others serve the command layer and stand by. Whoever takes
// the lease first finishes every digest left pending in the store,
// whichever process claimed it, so a holder that died mid-post loses
// nothing (the Poster's read-back keeps that from posting it twice).
type Service struct {
	lib   *briefs.Library
	store Store
	log   *slog.Logger
	clock Clock

	minInterval time.Duration
	loc         *time.Location
	grace       time.Duration
	poll        time.Duration
	pruneEvery  time.Duration
	keep        Retention
	poster      Poster // set by Start
	observer    Observer
	startedAt   time.Time // set by Start: runs due before it were missed

	lease      Lease // nil: post without one
	leaseEvery time.Duration
	// heldUntil is when this process stops taking itself for the lease's
	// holder unless keepLease renews it (UnixNano; 0: not held). A holder
	// that cannot renew (a stalled store) so stops claiming runs on its
	// own, well before the lease could go to another (leaseValidity).
	heldUntil atomic.Int64
	leaseDone chan struct{} // closed when keepLease has returned

	mu      sync.Mutex
	running map[int64]bool
	// queue holds the subscriptions found due at queuedAt and not yet
	// launched: at most maxRuns run at once, so that a thousand digests
	// due in one minute are claimed as the poster gets to them, not all
	// at once (a process that dies then leaves few claimed and unposted).
	queue    []Subscription
	queuedAt time.Time
	// reads numbers the runner's reads of the due subscriptions, and
	// queueRead is the read the queue came from. ended holds, for a
	// subscription whose run ended since an earlier read began, the
	// number of the last read begun when it ended: a queued entry read
	// before then is the subscription as it was before that run
	// recorded itself (see launchQueued).
	reads, queueRead uint64
	ended            map[int64]uint64
	maxRuns          int
	wg               sync.WaitGroup
	ctx              context.Context
	cancel           context.CancelFunc
	wake             chan struct{} // buffered 1: look at the store again now
	started          chan struct{} // closed when Start has finished
	loopDone         chan struct{} // closed when the runner has returned
}

// Option configures a Service.
type Option func(*Service)

// WithMinInterval sets the shortest allowed gap between two runs; none
// without it. (The program's default, DIGEST_MIN_INTERVAL, is config's.)
func WithMinInterval(d time.Duration) Option { return func(s *Service) { s.minInterval = d } }

// WithTimezone sets the zone used when a subscription names none; UTC
// without it.
func WithTimezone(loc *time.Location) Option { return func(s *Service) { s.loc = loc } }

// WithMissedGrace sets how old a missed run may be and still post at
// start; without it, missed runs are not caught up.
func WithMissedGrace(d time.Duration) Option { return func(s *Service) { s.grace = d } }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithClock sets the clock schedules run by; the default is the wall clock.
func WithClock(c Clock) Option { return func(s *Service) { s.clock = c } }

// defaultMaxRuns is how many runs a service makes at once by default: far
// more than the posts Discord's global limit lets through in the time a
// run takes to claim and compose, so that the limit, not the service, sets
// the pace.
const defaultMaxRuns = 32

// WithMaxRuns sets how many runs the service makes at once (at least 1;
// default 32). The others wait, claimed by nobody, until a run ends.
func WithMaxRuns(n int) Option {
	return func(s *Service) {
		if n >= 1 {
			s.maxRuns = n
		}
	}
}

// WithPollInterval sets how often the runner looks at the store for
// subscriptions other processes made or changed; default
// DefaultPollInterval.
func WithPollInterval(d time.Duration) Option { return func(s *Service) { s.poll = d } }

// WithRetention sets what pruning keeps, and how often it runs (at start,
// then every interval by the service's clock); defaults DefaultRetention
// for each kind and DefaultPruneInterval.
func WithRetention(keep Retention, interval time.Duration) Option {
	return func(s *Service) { s.keep, s.pruneEvery = keep, interval }
}

// WithLease makes the service claim runs and post only while it holds l,
// trying to take it, or renewing it, every interval by the service's clock
// (DefaultLeaseInterval when not positive). Stop releases it.
func WithLease(l Lease, interval time.Duration) Option {
	return func(s *Service) { s.lease, s.leaseEvery = l, interval }
}

// Outcome is how a digest post ended, as an Observer hears it.
type Outcome string

// The outcomes of a post.
const (
	// Posted: Discord took every message of the digest, and it is
	// recorded as sent. A post whose record failed is told once it is
	// recorded, when it is found in the channel (see Poster): so each
	// digest is told once however often its post is tried.
	Posted Outcome = "posted"
	// Failed: the post failed for now (a server error, the network, too
	// many 429s); the digest stays pending for the next run.
	Failed Outcome = "failed"
	// Paused: the channel is gone or forbids the bot; the subscription is
	// paused until someone subscribes again.
	Paused Outcome = "paused"
)

// Observer hears the outcome of every digest post, for metrics. It is
// called on the posting goroutine, so it must be quick and safe for
// concurrent use. Declared here so that digest needs no metrics library.
type Observer interface {
	DigestPosted(outcome Outcome, articles int)
}

// WithObserver tells o the outcome of every post; none without it.
func WithObserver(o Observer) Option { return func(s *Service) { s.observer = o } }

// Backlog reports the due runs waiting to be made as of the service's
// clock: how many, and the earliest. A backlog that keeps growing or an
// oldest run that keeps ageing means no process is claiming runs.
func (s *Service) Backlog(ctx context.Context) (Backlog, error) {
	return s.store.Backlog(ctx, s.clock.Now())
}

// Now is the time by the service's clock, for ages computed against it.
func (s *Service) Now() time.Time { return s.clock.Now() }

// observe tells the observer, if any, how a post ended.
func (s *Service) observe(o Outcome, articles int) {
	if s.observer != nil {
		s.observer.DigestPosted(o, articles)
	}
}

// New builds the digest service over lib and st.
func New(lib *briefs.Library, st Store, opts ...Option) *Service {
	s := &Service{
		lib: lib, store: st, clock: SystemClock{},
		loc:  time.UTC,
		poll: DefaultPollInterval, pruneEvery: DefaultPruneInterval,
		keep:    Retention{Gone: DefaultRetention, Sent: DefaultRetention, Runs: DefaultRetention},
		running: map[int64]bool{},
		ended:   map[int64]uint64{},
		maxRuns: defaultMaxRuns,
	}
	for _, o := range opts {
		o(s)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.poll <= 0 {
		s.poll = DefaultPollInterval
	}
	if s.pruneEvery <= 0 {
		s.pruneEvery = DefaultPruneInterval
	}
	if s.leaseEvery <= 0 {
		s.leaseEvery = DefaultLeaseInterval
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wake = make(chan struct{}, 1)
	s.started = make(chan struct{})
	s.loopDone = make(chan struct{})
	s.leaseDone = make(chan struct{})
	return s
}

// Start finishes digests that were recorded but not confirmed sent (a crash
// between posting and marking), schedules subscriptions stored without a
// next run (from their last run, or their creation; never previews),
// prunes, and starts the runner, whose first look posts the latest missed
// run of each subscription within the grace period. Digests go out
// through p. With a lease, the pending digests are finished, and runs
// made, only once the lease is taken.
func (s *Service) Start(ctx context.Context, p Poster) error {
	s.poster = p
	s.startedAt = s.clock.Now()
	var pending []Digest
	if s.lease == nil {
		var err error
		if pending, err = s.store.PendingDigests(ctx); err != nil {
			return fmt.Errorf("digests: load pending digests: %w", err)
		}
		for _, dg := range pending {
			s.finishPending(s.ctx, dg)
		}
	}
	subs, err := s.store.Subscriptions(ctx, "")
	if err != nil {
		return fmt.Errorf("digests: load subscriptions: %w", err)
	}
	for _, sub := range subs {
		if sub.NextRun.IsZero() && sub.Paused == "" && !sub.IsPreview() && !IsInstant(sub.Schedule) {
			s.scheduleStored(ctx, sub)
		}
	}
	s.prune(ctx)
	if s.lease != nil {
		go s.keepLease()
	} else {
		close(s.leaseDone)
	}
	go s.loop()
	close(s.started)
	s.log.Info("digest scheduler started", slog.Int("subscriptions", len(subs)), slog.Int("pending", len(pending)))
	return nil
}

// scheduleStored gives a subscription stored without a next run (by a
// build before next runs were stored) the first run after its last one, or
// after its creation, so catch-up treats it as it did before.
func (s *Service) scheduleStored(ctx context.Context, sub Subscription) {
	sched, err := s.storedSchedule(sub)
	if err != nil {
		s.log.Warn("digest: stored schedule does not parse; not scheduling it", slog.Int64("subscription", sub.ID), slog.Any("err", err))
		return
	}
	base := sub.LastRunAt
	if base.IsZero() {
		base = sub.CreatedAt
	}
	if _, err := s.store.SetNextRun(ctx, sub.ID, time.Time{}, sched.Next(base)); err != nil {
		s.log.Error("digest: schedule stored subscription", slog.Int64("subscription", sub.ID), slog.Any("err", err))
	}
}

// Started is closed once Start has finished: from then on every loaded
// subscription is scheduled and the runner is looking at the store.
func (s *Service) Started() <-chan struct{} { return s.started }

// Stop stops the runner and waits for digests being posted.
func (s *Service) Stop() {
	// Cancelling under mu orders every launch's wg.Add before the Wait:
	// a launch either ran before this or sees the context cancelled.
	s.mu.Lock()
	s.cancel()
	s.mu.Unlock()
	select {
	case <-s.started:
		<-s.loopDone
		<-s.leaseDone
	default:
	}
	s.wg.Wait()
	// Only now, with nothing of ours in flight, may another process take
	// over.
	if s.lease != nil && s.heldUntil.Swap(0) != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.lease.Release(ctx); err != nil {
			s.log.Warn("digest: release the poster lease; it frees itself when the connection closes or its time runs out", slog.Any("err", err))
		}
	}
}

// leaseValidity is how many lease intervals a successful Acquire lets the
// service post for: a few renewals may fail or come late, and it is still
// well under a lease's lifetime without renewal (sqlite.DefaultLeaseTTL is
// five intervals).
const leaseValidity = 3

// keepLease takes the lease, or renews it, every leaseEvery until the
// service stops, and pokes the runner when it may post again.
func (s *Service) keepLease() {
	defer close(s.leaseDone)
	failing := false // the last Acquire failed
	for {
		at := s.clock.Now()
		ok, err := s.lease.Acquire(s.ctx)
		if s.ctx.Err() != nil {
			return
		}
		until := int64(0)
		if ok {
			until = at.Add(leaseValidity * s.leaseEvery).UnixNano()
		}
		stale := !s.Posting()
		s.logLease(ok, s.heldUntil.Swap(until) != 0, failing, err)
		failing = err != nil
		if ok && stale {
			s.poke()
		}
		select {
		case <-s.ctx.Done():
			return
		case <-s.clock.At(s.clock.Now().Add(s.leaseEvery)):
		}
	}
}

// logLease says what became of the poster lease at one try: ok and err are
// what Acquire answered, held whether this process held it before, failing
// whether the try before failed too. An error means the database did not
// answer, which is no sign that another process holds the lease (while the
// database is down none can take it): the log says which happened, once
// when it happens, and once when the database answers again.
func (s *Service) logLease(ok, held, failing bool, err error) {
	switch {
	case ok && !held:
		s.log.Info("took the digest poster lease: this process claims runs and posts digests")
	case held && err != nil:
		s.log.Warn("lost the digest poster lease: it could not be renewed, the database is unreachable; "+
			"no digest is posted from here until it answers and the lease is taken again", slog.Any("err", err))
	case held && !ok:
		s.log.Warn("lost the digest poster lease: another process holds it and posts digests now")
	case err != nil && !failing:
		s.log.Warn("cannot try for the digest poster lease: the database is unreachable; "+
			"this process stands by until it answers", slog.Any("err", err))
	case err != nil:
		s.log.Debug("digest: poster lease: the database is still unreachable", slog.Any("err", err))
	case failing && !ok:
		s.log.Info("digest poster lease: the database answers again; another process holds the lease")
	}
}

// Posting reports whether this service claims runs and posts now: it has
// no lease, or it holds it and renewed it lately.
func (s *Service) Posting() bool {
	return s.lease == nil || s.clock.Now().UnixNano() < s.heldUntil.Load()
}

// poke makes the runner look at the store now rather than at its next
// wake-up: this process changed a subscription, or finished a run whose
// subscription may be due again.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// location loads a subscription's zone; "" is the service's default zone,
// so that subscriptions made without one follow DEFAULT_TIMEZONE.
func (s *Service) location(name string) (*time.Location, error) {
	if name == "" {
		return s.loc, nil
	}
	return LoadZone(name)
}

// storedSchedule parses a stored subscription's schedule in its zone,
// without the minimum-interval check: it was valid when made, and a tighter
// minimum since then still runs it rather than silently dropping it.
func (s *Service) storedSchedule(sub Subscription) (cron.Schedule, error) {
	loc, err := s.location(sub.Timezone)
	if err != nil {
		return nil, err
	}
	return ParseSchedule(sub.Schedule, loc, 0, s.clock.Now())
}

// NextRuns lists the subscription's next n scheduled times after now, or
// none when its zone or schedule no longer parses.
func (s *Service) NextRuns(sub Subscription, now time.Time, n int) []time.Time {
	sched, err := s.storedSchedule(sub)
	if err != nil {
		return nil
	}
	return nextRuns(sched, now, n)
}

// zoneOf is the subscription's zone, the service's default if it no
// longer loads.
func (s *Service) zoneOf(sub Subscription) *time.Location {
	if loc, err := s.location(sub.Timezone); err == nil {
		return loc
	}
	return s.loc
}
