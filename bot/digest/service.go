package digest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

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
	maxRuns  int
	wg       sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc
	wake     chan struct{} // buffered 1: look at the store again now
	started  chan struct{} // closed when Start has finished
	loopDone chan struct{} // closed when the runner has returned
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

// Subscribe creates or replaces the subscription named sub.Name (an empty
// one gets DefaultName) of sub.GuildID and sub.ChannelID and schedules
// it; a preview (PreviewGuild) is stored but never scheduled. An empty
// Timezone means the service's default zone. An exclude option that does
// not parse is an error. A schedule that does not parse, never fires or runs too
// often is a *ScheduleError; an unknown zone wraps ErrUnknownZone. It
// returns the stored subscription.
func (s *Service) Subscribe(ctx context.Context, sub Subscription) (Subscription, error) {
	loc := s.loc
	if sub.Timezone != "" {
		var err error
		if loc, err = LoadZone(sub.Timezone); err != nil {
			return Subscription{}, err
		}
	} else {
		sub.Timezone = s.loc.String()
	}
	sub.Schedule = strings.Join(strings.Fields(sub.Schedule), " ")
	if IsInstant(sub.Schedule) {
		sub.Schedule = Instant
	}
	if sub.Name == "" {
		sub.Name = DefaultName(sub.Source, sub.Topic)
	}
	if _, err := ParseExclude(sub.Exclude); err != nil {
		return Subscription{}, err
	}
	if sub.CreatedAt.IsZero() {
		sub.CreatedAt = s.clock.Now()
	}
	sched, err := ParseSchedule(sub.Schedule, loc, s.minInterval, sub.CreatedAt)
	if err != nil {
		return Subscription{}, err
	}
	sub.NextRun = sched.Next(sub.CreatedAt)
	if sub.IsPreview() {
		// Never scheduled: no runner finds it due.
		sub.NextRun = time.Time{}
	}
	stored, err := s.store.PutSubscription(ctx, sub)
	if err != nil {
		return Subscription{}, fmt.Errorf("subscribe channel %s: %w", sub.ChannelID, err)
	}
	s.poke()
	return stored, nil
}

// Unsubscribe deletes the channel's subscription of that name, which
// stops its runs; without a name, the channel's only subscription. A
// channel without it is an error wrapping ErrNotFound, an empty name in a
// channel of several one wrapping ErrNameNeeded.
func (s *Service) Unsubscribe(ctx context.Context, guildID, channelID, name string) error {
	sub, err := s.Find(ctx, guildID, channelID, name)
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	ok, err := s.store.DeleteSubscription(ctx, guildID, channelID, sub.Name)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("unsubscribe guild=%s channel=%s name=%q: %w", guildID, channelID, sub.Name, ErrNotFound)
	}
	s.poke()
	return nil
}

// ErrNameNeeded: a channel has several subscriptions and the request did
// not say which.
var ErrNameNeeded = errors.New("the channel has several digests: name one")

// Find returns the channel's subscription of that name; without a name,
// the channel's only one (an error wrapping ErrNameNeeded when it has
// several, ErrNotFound when none).
func (s *Service) Find(ctx context.Context, guildID, channelID, name string) (Subscription, error) {
	if name != "" {
		return s.store.Subscription(ctx, guildID, channelID, name)
	}
	subs, err := s.Channel(ctx, guildID, channelID)
	switch {
	case err != nil:
		return Subscription{}, err
	case len(subs) == 0:
		return Subscription{}, fmt.Errorf("channel %s: %w", channelID, ErrNotFound)
	case len(subs) > 1:
		names := make([]string, len(subs))
		for i, sub := range subs {
			names[i] = sub.Name
		}
		return Subscription{}, fmt.Errorf("%w (%s)", ErrNameNeeded, strings.Join(names, ", "))
	}
	return subs[0], nil
}

// Channel lists the channel's subscriptions, by name.
func (s *Service) Channel(ctx context.Context, guildID, channelID string) ([]Subscription, error) {
	all, err := s.store.Subscriptions(ctx, guildID)
	if err != nil {
		return nil, err
	}
	var out []Subscription
	for _, sub := range all {
		if sub.ChannelID == channelID {
			out = append(out, sub)
		}
	}
	return out, nil
}

// Resume takes a paused subscription up again where it stopped: the runs
// it missed meanwhile follow the missed-run grace, as after a restart.
func (s *Service) Resume(ctx context.Context, guildID, channelID, name string) (Subscription, error) {
	sub, err := s.Find(ctx, guildID, channelID, name)
	if err != nil {
		return Subscription{}, fmt.Errorf("resume: %w", err)
	}
	stored, err := s.store.PutSubscription(ctx, sub) // clears Paused, keeps NextRun
	if err != nil {
		return Subscription{}, fmt.Errorf("resume %q: %w", sub.Name, err)
	}
	s.poke()
	return stored, nil
}

// History returns the subscription's last n runs, newest first.
func (s *Service) History(ctx context.Context, sub Subscription, n int) ([]RunRecord, error) {
	return s.store.History(ctx, sub.ID, n)
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

// List returns the guild's subscriptions.
func (s *Service) List(ctx context.Context, guildID string) ([]Subscription, error) {
	return s.store.Subscriptions(ctx, guildID)
}

// Preview is what a channel's next digest would post now.
type Preview struct {
	// Subscribed is false when the channel has no subscription: the
	// articles are then the default digest's.
	Subscribed bool
	Name       string
	Topic      string
	Source     string
	Articles   []briefs.Article
	// Left are the newer stories left out, each with why.
	Left []Left
}

// Preview composes the next digest of the channel's subscription of that
// name (or its only one), posting nothing. Without a subscription it is
// the newest defaultCount articles.
func (s *Service) Preview(ctx context.Context, guildID, channelID, name string, defaultCount int) (Preview, error) {
	var p Preview
	c := Criteria{Count: defaultCount}
	var posted func([]string) (map[string]bool, error)
	sub, err := s.Find(ctx, guildID, channelID, name)
	switch {
	case err == nil:
		p.Subscribed, p.Name, p.Topic, p.Source = true, sub.Name, sub.Topic, sub.Source
		c = CriteriaOf(sub)
		if IsInstant(sub.Schedule) {
			c = s.instantCriteria(sub, s.clock.Now())
		}
		posted = func(ids []string) (map[string]bool, error) { return s.store.PostedIDs(ctx, sub.ID, ids) }
	case name != "" || !errors.Is(err, ErrNotFound):
		return Preview{}, err
	}
	sel, err := Select(ctx, s.lib, c, posted)
	if err != nil {
		return Preview{}, err
	}
	p.Articles, p.Left = sel.Articles, sel.Left
	if p.Subscribed {
		s.datePosted(ctx, sub, p.Left)
	}
	if err := s.lib.FullAll(ctx, p.Articles); err != nil {
		s.log.Warn("digest preview: an article's body could not be read", slog.Any("err", err))
	}
	return p, nil
}

// datePosted adds to each story left out because it was posted the day
// it was, in the subscription's zone: "already posted on 5 December".
func (s *Service) datePosted(ctx context.Context, sub Subscription, left []Left) {
	var ids []string
	for _, l := range left {
		if l.Posted != "" {
			ids = append(ids, l.Posted)
		}
	}
	if len(ids) == 0 {
		return
	}
	on, err := s.store.PostedOn(ctx, sub.ID, ids)
	if err != nil {
		s.log.Warn("digest preview: when stories were posted", slog.Any("err", err))
		return
	}
	loc := s.zoneOf(sub)
	for i, l := range left {
		if t := on[l.Posted]; !t.IsZero() {
			left[i].Reason += " on " + t.In(loc).Format("2 January")
		}
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

// loop is the runner: it starts every due run, then sleeps until the
// earliest next run, a poke, the next prune or the poll interval, whichever
// comes first. The poll is what shows it subscriptions made or changed by
// other processes, and bounds how far a wall clock that jumped (a machine
// that slept) can make it oversleep.
func (s *Service) loop() {
	defer close(s.loopDone)
	nextPrune := s.clock.Now().Add(s.pruneEvery)
	holding := false // the runner's own view of the lease
	changed := s.lib.Changed()
	instant := true // at start: stories that came while no bot ran
	for {
		now := s.clock.Now()
		if instant && s.Posting() {
			s.triggerInstant(now)
			instant = false
		}
		if !now.Before(nextPrune) {
			s.prune(s.ctx)
			nextPrune = now.Add(s.pruneEvery)
		}
		wakeAt := now.Add(s.poll)
		switch {
		case !s.Posting():
			// A lease merely not renewed yet stays "held": only a lease
			// lost and taken again means another holder was between.
			if s.heldUntil.Load() == 0 {
				holding = false
			}
		case s.lease != nil && !holding:
			holding = true
			s.finishAllPending()
			fallthrough
		default:
			wakeAt = s.runDue(now)
		}
		if nextPrune.Before(wakeAt) {
			wakeAt = nextPrune
		}
		select {
		case <-s.ctx.Done():
			return
		case <-s.wake:
		case <-changed:
			changed, instant = s.lib.Changed(), true
		case <-s.clock.At(wakeAt):
		}
	}
}

// runDue launches the run of every subscription due at now and returns when
// to look again: the earliest next run still ahead, or the poll interval
// from now when that is sooner. A run still in flight when its subscription
// is due again pokes the runner when it ends.
func (s *Service) runDue(now time.Time) time.Time {
	wakeAt := now.Add(s.poll)
	due, err := s.store.DueSubscriptions(s.ctx, now)
	if err != nil {
		if s.ctx.Err() == nil {
			s.log.Error("digest: list due subscriptions", slog.Any("err", err))
		}
		return wakeAt
	}
	s.mu.Lock()
	s.queue, s.queuedAt = due, now
	s.mu.Unlock()
	s.launchQueued()
	next, ok, err := s.store.EarliestRun(s.ctx)
	switch {
	case err != nil:
		if s.ctx.Err() == nil {
			s.log.Error("digest: earliest next run", slog.Any("err", err))
		}
	case ok && next.After(now) && next.Before(wakeAt):
		wakeAt = next
	}
	return wakeAt
}

// launchQueued starts the queued runs while fewer than maxRuns run. A
// subscription already running in this process is skipped: a slow post
// never overlaps the next run, which starts (poked) when the first ends.
func (s *Service) launchQueued() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.Posting() {
		s.queue = nil // another process posts now: it finds them due
		return
	}
	for len(s.queue) > 0 && len(s.running) < s.maxRuns && s.ctx.Err() == nil {
		sub := s.queue[0]
		s.queue = s.queue[1:]
		if s.running[sub.ID] {
			continue
		}
		s.running[sub.ID] = true
		s.wg.Add(1)
		go s.launched(sub, s.queuedAt)
	}
}

// launched makes one subscription's due run, then lets the next queued one
// start.
func (s *Service) launched(sub Subscription, now time.Time) {
	progressed := false
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("digest run panicked", slog.Int64("subscription", sub.ID), slog.Any("panic", p))
		}
		s.mu.Lock()
		delete(s.running, sub.ID)
		s.mu.Unlock()
		s.launchQueued()
		s.wg.Done()
		if progressed {
			s.poke()
		}
	}()
	progressed = s.run(s.ctx, sub, now)
}

// run makes the subscription's due run: it claims it, then posts its
// subscription's digests left pending (oldest first, with their own nonces),
// then the new one. A run due before the service started was missed while
// no process was running it: only the latest missed time is made, and only
// within the grace period. It reports whether the subscription's next run
// moved, so that the runner knows whether looking again at once is useful.
func (s *Service) run(ctx context.Context, sub Subscription, now time.Time) bool {
	log := s.log.With(slog.Int64("subscription", sub.ID))
	if sub.IsPreview() {
		// Made in the console by a build that scheduled it: unschedule it.
		log.Info("digest: unscheduling a console subscription: it is a preview, never posted", slog.String("channel", sub.ChannelID))
		ok, err := s.store.SetNextRun(ctx, sub.ID, sub.NextRun, time.Time{})
		if err != nil {
			log.Error("digest: unschedule console subscription", slog.Any("err", err))
		}
		return ok
	}
	if IsInstant(sub.Schedule) {
		return s.runInstant(ctx, sub, now)
	}
	sched, err := s.storedSchedule(sub)
	if err != nil {
		// Not scheduled again until subscribed again.
		log.Error("digest: stored schedule does not parse; unscheduling it", slog.Any("err", err))
		ok, err := s.store.SetNextRun(ctx, sub.ID, sub.NextRun, time.Time{})
		if err != nil {
			log.Error("digest: unschedule", slog.Any("err", err))
		}
		return ok
	}
	at := sub.NextRun
	if latest, ok := latestMissed(sched, at, now); ok {
		at = latest
	}
	next := sched.Next(at)
	if !next.After(now) {
		next = sched.Next(now)
	}
	missed := sub.NextRun.Before(s.startedAt)
	if missed && now.Sub(at) > s.grace {
		log.Info("digest: skipping a run missed beyond the grace period", slog.Time("missed", at), slog.Duration("grace", s.grace))
		ok, err := s.store.SetNextRun(ctx, sub.ID, sub.NextRun, next)
		if err != nil {
			log.Error("digest: skip missed run", slog.Any("err", err))
		}
		return ok
	}
	sel, err := Select(ctx, s.lib, CriteriaOf(sub), func(ids []string) (map[string]bool, error) {
		return s.store.PostedIDs(ctx, sub.ID, ids)
	})
	articles := sel.Articles
	if err != nil {
		log.Error("digest: compose", slog.Any("err", err))
		return false
	}
	ids := make([]string, len(articles))
	for i, a := range articles {
		ids[i] = a.ID
	}
	nonce := ""
	if len(ids) > 0 {
		nonce = newNonce()
	}
	dg, err := s.store.ClaimRun(ctx, Run{SubscriptionID: sub.ID, Due: sub.NextRun, ScheduledFor: at, Next: next}, nonce, ids)
	if errors.Is(err, ErrRunClaimed) {
		// Not ours to make. Whoever moved the next run, the poll sees
		// where it went; poking here could spin on a refusal.
		log.Debug("digest: run claimed elsewhere", slog.Time("scheduled", at), slog.Any("err", err))
		return false
	}
	if err != nil {
		log.Error("digest: claim run", slog.Time("scheduled", at), slog.Any("err", err))
		return false
	}
	if missed {
		log.Info("posting missed digest", slog.Time("missed", at))
	}
	s.finishPendingOf(ctx, sub.ID, dg.ID)
	if len(articles) == 0 {
		rec := RunRecord{SubscriptionID: sub.ID, ScheduledFor: at, Outcome: "nothing new"}
		if sel.Excluded > 0 {
			rec.Detail = fmt.Sprintf("%s left out by exclude", stories(sel.Excluded))
		}
		s.record(ctx, rec)
		return true
	}
	s.post(ctx, sub, dg, articles, at, time.Time{}, sel.Excluded)
	return true
}

// runInstant makes an instant subscription's run, due since the library
// changed (see triggerInstant): the stories dated after its creation (and
// within the missed-run grace, for stories that came while no bot ran)
// that it has not posted, up to its count. When it posted a full count
// more may wait, so it is due again at once; otherwise it waits for the
// next change. A run that finds nothing records nothing: an instant
// digest's history is what it posted, not every poll of every feed.
func (s *Service) runInstant(ctx context.Context, sub Subscription, now time.Time) bool {
	log := s.log.With(slog.Int64("subscription", sub.ID))
	c := s.instantCriteria(sub, now)
	sel, err := Select(ctx, s.lib, c, func(ids []string) (map[string]bool, error) {
		return s.store.PostedIDs(ctx, sub.ID, ids)
	})
	if err != nil {
		log.Error("digest: compose", slog.Any("err", err))
		return false
	}
	if len(sel.Articles) == 0 {
		ok, err := s.store.SetNextRun(ctx, sub.ID, sub.NextRun, time.Time{})
		if err != nil {
			log.Error("digest: instant: wait for the next change", slog.Any("err", err))
		}
		return ok
	}
	// A run is claimed once per scheduled time: two changes within one
	// tick of the clock are two runs at two times.
	at := sub.NextRun
	if !at.After(sub.LastRunAt) {
		at = sub.LastRunAt.Add(time.Millisecond)
	}
	var next time.Time
	if len(sel.Articles) == sub.Count {
		next = at.Add(time.Millisecond) // more may wait: due again at once
	}
	ids := make([]string, len(sel.Articles))
	for i, a := range sel.Articles {
		ids[i] = a.ID
	}
	dg, err := s.store.ClaimRun(ctx, Run{SubscriptionID: sub.ID, Due: sub.NextRun, ScheduledFor: at, Next: next}, newNonce(), ids)
	if errors.Is(err, ErrRunClaimed) {
		log.Debug("digest: instant run claimed elsewhere", slog.Time("scheduled", at), slog.Any("err", err))
		return false
	}
	if err != nil {
		log.Error("digest: claim instant run", slog.Time("scheduled", at), slog.Any("err", err))
		return false
	}
	s.finishPendingOf(ctx, sub.ID, dg.ID)
	s.post(ctx, sub, dg, sel.Articles, at, time.Time{}, sel.Excluded)
	return true
}

// instantCriteria is what an instant subscription selects at now.
func (s *Service) instantCriteria(sub Subscription, now time.Time) Criteria {
	c := CriteriaOf(sub)
	c.Since = sub.CreatedAt
	if s.grace > 0 {
		if g := now.Add(-s.grace); g.After(c.Since) {
			c.Since = g
		}
	}
	return c
}

// triggerInstant makes every active instant subscription that waits for
// a change due now: the library changed, or the service started (stories
// that came while no bot ran). Moving the next run from none to now is a
// compare-and-set, so processes that all see the change make one run.
func (s *Service) triggerInstant(now time.Time) {
	subs, err := s.store.Subscriptions(s.ctx, "")
	if err != nil {
		if s.ctx.Err() == nil {
			s.log.Error("digest: instant: list subscriptions", slog.Any("err", err))
		}
		return
	}
	for _, sub := range subs {
		if !IsInstant(sub.Schedule) || sub.Paused != "" || sub.IsPreview() || !sub.NextRun.IsZero() {
			continue
		}
		if _, err := s.store.SetNextRun(s.ctx, sub.ID, time.Time{}, now); err != nil && s.ctx.Err() == nil {
			s.log.Error("digest: instant: make due", slog.Int64("subscription", sub.ID), slog.Any("err", err))
		}
	}
}

// stories is "1 story", "3 stories".
func stories(n int) string {
	if n == 1 {
		return "1 story"
	}
	return fmt.Sprintf("%d stories", n)
}

// finishAllPending posts every digest left pending in the store, by any
// process, except those of subscriptions this one is running (their run
// finishes them first): the lease was just taken, so their claimer is
// gone, or lost the lease and no longer posts.
func (s *Service) finishAllPending() {
	pending, err := s.store.PendingDigests(s.ctx)
	if err != nil {
		if s.ctx.Err() == nil {
			s.log.Error("digest: load pending digests", slog.Any("err", err))
		}
		return
	}
	for _, dg := range pending {
		if !s.Posting() {
			return
		}
		s.mu.Lock()
		busy := s.running[dg.SubscriptionID] || s.ctx.Err() != nil
		s.mu.Unlock()
		if !busy {
			s.finishPending(s.ctx, dg)
		}
	}
}

// finishPendingOf posts the subscription's digests left pending by an
// earlier post that kept failing, except the digest just claimed, so they
// go out before anything newer.
func (s *Service) finishPendingOf(ctx context.Context, subID, except int64) {
	pending, err := s.store.PendingDigests(ctx)
	if err != nil {
		s.log.Error("digest: load pending digests", slog.Int64("subscription", subID), slog.Any("err", err))
		return
	}
	for _, p := range pending {
		if p.SubscriptionID == subID && p.ID != except {
			s.finishPending(ctx, p)
		}
	}
}

// prune deletes what can no longer matter (see Retention). An empty
// library keeps every posted record: it more likely means a missing or
// unmounted folder than every article deleted, and forgetting them would
// post the articles again when the folder is back.
func (s *Service) prune(ctx context.Context) {
	keep := s.keep
	var ids []string
	if s.lib.Len() == 0 {
		keep.Gone = 0
	} else {
		for _, a := range s.lib.All() {
			ids = append(ids, a.ID)
		}
	}
	n, err := s.store.Prune(ctx, s.clock.Now(), ids, keep)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("digest: prune", slog.Any("err", err))
		}
		return
	}
	s.log.Info("digest records pruned", slog.Int64("posted", n.Posted), slog.Int64("digests", n.Digests), slog.Int64("runs", n.Runs))
}

// finishPending re-posts a digest recorded but not confirmed sent, with
// its original nonce, so Discord drops it if the first post did land; past
// Discord's short nonce window the poster finds it by reading back.
func (s *Service) finishPending(ctx context.Context, dg Digest) {
	sub, err := s.store.SubscriptionByID(ctx, dg.SubscriptionID)
	if err != nil {
		s.log.Error("digest: pending digest without subscription", slog.Int64("digest", dg.ID), slog.Any("err", err))
		return
	}
	var articles []briefs.Article
	for _, id := range dg.ArticleIDs {
		if a, ok := s.lib.Get(id); ok {
			articles = append(articles, a)
		}
	}
	if len(articles) == 0 {
		// The articles are gone from the library; nothing to send.
		if err := s.store.CancelDigest(ctx, dg.ID); err != nil {
			s.log.Error("digest: cancel", slog.Int64("digest", dg.ID), slog.Any("err", err))
		}
		return
	}
	s.log.Info("finishing digest recorded before a restart", slog.Int64("digest", dg.ID), slog.String("nonce", dg.Nonce))
	s.post(ctx, sub, dg, articles, dg.ScheduledFor, dg.CreatedAt, 0)
}

// errNoPoster is a run before Start gave the service a poster.
var errNoPoster = errors.New("digest: not connected: Start has not run")

// post sends a recorded digest and records the outcome: sent, paused (the
// channel is gone or forbidden: the articles are released for later), or
// left pending for the next run after repeated transient failures.
// pendingSince is Post.PendingSince: zero on a digest's first attempt;
// excluded is how many stories the exclusions left out, for the history.
func (s *Service) post(ctx context.Context, sub Subscription, dg Digest, articles []briefs.Article, scheduledFor, pendingSince time.Time, excluded int) {
	log := s.log.With(slog.Int64("subscription", sub.ID), slog.String("channel", sub.ChannelID), slog.Int64("digest", dg.ID))
	if err := s.lib.FullAll(ctx, articles); err != nil {
		// Its card shows the title alone; the digest is not held back.
		log.Warn("digest: an article's body could not be read", slog.Any("err", err))
	}
	err := errNoPoster
	var done Delivered
	if s.poster != nil {
		done, err = s.poster.Post(ctx, Post{
			GuildID: sub.GuildID, ChannelID: sub.ChannelID, Nonce: dg.Nonce, Topic: sub.Topic,
			Articles: articles, PendingSince: pendingSince,
			Name: s.postName(sub, articles, scheduledFor), Thread: sub.Thread, Tag: sub.Tag, Publish: sub.Publish, Mention: sub.Mention,
		})
	}
	rec := RunRecord{SubscriptionID: sub.ID, ScheduledFor: scheduledFor}
	switch {
	case err == nil:
		if err := s.store.MarkSent(ctx, dg.ID, s.clock.Now()); err != nil {
			// In the channel, but not known to be: the digest stays
			// pending, and whoever finishes it reads the channel back
			// first, finds it there and marks it sent. It is logged and
			// counted as posted then, once, when it is recorded.
			log.Error("digest: posted, but recording it as sent failed: it stays pending, and is looked for in the channel before anything of it is posted again",
				slog.Int("articles", len(articles)), slog.Any("err", err))
			return
		}
		rec.Outcome, rec.URL = fmt.Sprintf("posted %d", len(articles)), done.URL
		details := done.Notes
		if excluded > 0 {
			details = append(details, stories(excluded)+" left out by exclude")
		}
		rec.Detail = strings.Join(details, "; ")
		s.record(ctx, rec)
		log.Info("digest posted", slog.Int("articles", len(articles)))
		s.observe(Posted, len(articles))
	case errors.Is(err, ErrChannelUnavailable):
		reason := pauseReason(err)
		log.Warn("digest: pausing subscription", slog.String("reason", reason))
		if err := s.store.CancelDigest(ctx, dg.ID); err != nil {
			log.Error("digest: cancel", slog.Any("err", err))
		}
		if err := s.store.Pause(ctx, sub.ID, reason); err != nil {
			log.Error("digest: pause", slog.Any("err", err))
		}
		rec.Outcome, rec.Detail = "paused", pausedDetail(reason, sub)
		s.record(ctx, rec)
		s.observe(Paused, len(articles))
	default:
		log.Error("digest: post failed; will retry at the next run", slog.Any("err", err))
		rec.Outcome, rec.Detail = "failed", shortError(err)+"; it is posted again at the next run"
		if next := sub.NextRun; !next.IsZero() && next.After(s.clock.Now()) {
			rec.Detail = shortError(err) + "; retrying at " + next.In(s.zoneOf(sub)).Format("15:04 on 2 January")
		}
		s.record(ctx, rec)
		s.observe(Failed, len(articles))
	}
}

func (s *Service) record(ctx context.Context, rec RunRecord) {
	if rec.At.IsZero() {
		rec.At = s.clock.Now()
	}
	if err := s.store.RecordRun(ctx, rec); err != nil {
		s.log.Error("digest: record run", slog.Int64("subscription", rec.SubscriptionID), slog.Any("err", err))
	}
}

// zoneOf is the subscription's zone, the service's default if it no
// longer loads.
func (s *Service) zoneOf(sub Subscription) *time.Location {
	if loc, err := s.location(sub.Timezone); err == nil {
		return loc
	}
	return s.loc
}

// postName names the forum post or thread a digest starts: the story's
// title for an instant post of one story, otherwise "News, 6 December
// 2026" (the topic's words in place of News when there is a topic), on
// the day of the run in the subscription's zone.
func (s *Service) postName(sub Subscription, articles []briefs.Article, at time.Time) string {
	if IsInstant(sub.Schedule) && len(articles) == 1 {
		return articles[0].Title
	}
	what := "News"
	if sub.Topic != "" {
		what = strings.ToUpper(sub.Topic[:1]) + sub.Topic[1:]
	}
	return what + ", " + at.In(s.zoneOf(sub)).Format("2 January 2006")
}

// pausedDetail says why a subscription was paused and what to do, from
// the poster's reason ("403 Missing Permissions (50013)").
func pausedDetail(reason string, sub Subscription) string {
	fix := fmt.Sprintf("give the bot the permissions it needs there (View Channel, Send Messages, Embed Links), then /digest resume %s", sub.Name)
	if strings.HasPrefix(reason, "404") {
		fix = "the channel is gone: unsubscribe, or subscribe another channel"
	}
	return fmt.Sprintf("Discord refused the post in <#%s> (%s): %s", sub.ChannelID, reason, fix)
}

// newNonce makes a 20-character nonce; message parts append "-N", staying
// within Discord's 25.
func newNonce() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// maxOutcomeError bounds the error text kept as a run's outcome, which
// /digest list shows.
const maxOutcomeError = 200

// shortError cuts an error's text to maxOutcomeError characters.
func shortError(err error) string {
	msg := err.Error()
	if utf8.RuneCountInString(msg) <= maxOutcomeError {
		return msg
	}
	return string([]rune(msg)[:maxOutcomeError-1]) + "…"
}
