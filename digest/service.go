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
	"time"
	"unicode/utf8"

	"github.com/robfig/cron/v3"

	"newsbrief/briefs"
)

// Defaults for the options.
const (
	DefaultMinInterval = time.Hour
	DefaultMissedGrace = 24 * time.Hour
)

// Service runs subscriptions: it subscribes, unsubscribes, lists and
// previews them for the command layer, and posts each one's digest when its
// schedule falls due. Build it with New; Start begins posting.
type Service struct {
	lib   *briefs.Library
	store Store
	log   *slog.Logger

	minInterval time.Duration
	loc         *time.Location
	grace       time.Duration
	poster      Poster // set by Start

	cron    *cron.Cron
	mu      sync.Mutex
	entries map[int64]cron.EntryID
	running map[int64]bool
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
	started chan struct{} // closed when Start has finished
}

// Option configures a Service.
type Option func(*Service)

// WithMinInterval sets the shortest allowed gap between two runs.
func WithMinInterval(d time.Duration) Option { return func(s *Service) { s.minInterval = d } }

// WithTimezone sets the zone used when a subscription names none.
func WithTimezone(loc *time.Location) Option { return func(s *Service) { s.loc = loc } }

// WithMissedGrace sets how old a missed run may be and still post at start.
func WithMissedGrace(d time.Duration) Option { return func(s *Service) { s.grace = d } }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// New builds the digest service over lib and st.
func New(lib *briefs.Library, st Store, opts ...Option) *Service {
	s := &Service{
		lib: lib, store: st,
		minInterval: DefaultMinInterval, loc: time.UTC, grace: DefaultMissedGrace,
		entries: map[int64]cron.EntryID{}, running: map[int64]bool{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.started = make(chan struct{})
	s.cron = cron.New(cron.WithLocation(time.UTC))
	return s
}

// Start loads every subscription into the scheduler, finishes digests that
// were recorded but not confirmed sent (a crash between posting and marking),
// posts the latest missed run of each subscription within the grace period,
// and starts the clock. Digests go out through p.
func (s *Service) Start(ctx context.Context, p Poster) error {
	s.poster = p
	pending, err := s.store.PendingDigests(ctx)
	if err != nil {
		return fmt.Errorf("digests: load pending digests: %w", err)
	}
	for _, dg := range pending {
		s.finishPending(s.ctx, dg)
	}
	subs, err := s.store.Subscriptions(ctx, "")
	if err != nil {
		return fmt.Errorf("digests: load subscriptions: %w", err)
	}
	now := time.Now()
	for _, sub := range subs {
		sched, err := s.schedule(sub, now)
		if err != nil {
			// Stored schedules were valid when made; a tighter minimum
			// since then still runs them rather than silently dropping.
			s.log.Warn("stored schedule refused; running it anyway", slog.Int64("subscription", sub.ID), slog.Any("err", err))
			if sched, err = scheduleParser.Parse(sub.Schedule); err != nil {
				continue
			}
		}
		s.add(sub.ID, sched)
		if sub.Paused != "" {
			continue
		}
		base := sub.LastRunAt
		if base.IsZero() {
			base = sub.CreatedAt
		}
		if missed, ok := latestMissed(sched, base, now); ok && now.Sub(missed) <= s.grace {
			s.log.Info("posting missed digest", slog.Int64("subscription", sub.ID), slog.Time("missed", missed))
			s.launch(sub.ID, missed)
		}
	}
	s.cron.Start()
	close(s.started)
	s.log.Info("digest scheduler started", slog.Int("subscriptions", len(subs)), slog.Int("pending", len(pending)))
	return nil
}

// Started is closed once Start has finished: from then on every loaded
// subscription is scheduled and RunOnce has a poster.
func (s *Service) Started() <-chan struct{} { return s.started }

// Stop stops the clock and waits for digests being posted.
func (s *Service) Stop() {
	<-s.cron.Stop().Done()
	// Cancelling under mu orders every launch's wg.Add before the Wait:
	// a launch either ran before this or sees the context cancelled.
	s.mu.Lock()
	s.cancel()
	s.mu.Unlock()
	s.wg.Wait()
}

// Subscribe creates or replaces the subscription of sub.GuildID and
// sub.ChannelID and schedules it. An empty Timezone means the service's
// default zone. A schedule that does not parse, never fires or runs too
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
	if sub.CreatedAt.IsZero() {
		sub.CreatedAt = time.Now()
	}
	sched, err := ParseSchedule(sub.Schedule, loc, s.minInterval, sub.CreatedAt)
	if err != nil {
		return Subscription{}, err
	}
	stored, err := s.store.PutSubscription(ctx, sub)
	if err != nil {
		return Subscription{}, fmt.Errorf("subscribe channel %s: %w", sub.ChannelID, err)
	}
	s.add(stored.ID, sched)
	return stored, nil
}

// Unsubscribe deletes the channel's subscription and stops its schedule;
// a channel without one is an error wrapping ErrNotFound.
func (s *Service) Unsubscribe(ctx context.Context, guildID, channelID string) error {
	sub, err := s.store.Subscription(ctx, guildID, channelID)
	if err != nil {
		return err
	}
	if _, err := s.store.DeleteSubscription(ctx, guildID, channelID); err != nil {
		return err
	}
	s.remove(sub.ID)
	return nil
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
	Topic      string
	Articles   []briefs.Article
}

// Preview composes the channel's next digest, posting nothing. Without a
// subscription it is the newest defaultCount articles.
func (s *Service) Preview(ctx context.Context, guildID, channelID string, defaultCount int) (Preview, error) {
	var p Preview
	count := defaultCount
	var posted func([]string) (map[string]bool, error)
	sub, err := s.store.Subscription(ctx, guildID, channelID)
	switch {
	case err == nil:
		p.Subscribed, p.Topic, count = true, sub.Topic, sub.Count
		posted = func(ids []string) (map[string]bool, error) { return s.store.PostedIDs(ctx, sub.ID, ids) }
	case !errors.Is(err, ErrNotFound):
		return Preview{}, err
	}
	if p.Articles, err = Compose(s.lib, count, p.Topic, posted); err != nil {
		return Preview{}, err
	}
	return p, nil
}

// schedule parses a subscription's schedule in its zone.
func (s *Service) schedule(sub Subscription, now time.Time) (cron.Schedule, error) {
	loc, err := s.location(sub.Timezone)
	if err != nil {
		return nil, err
	}
	return ParseSchedule(sub.Schedule, loc, s.minInterval, now)
}

func (s *Service) location(name string) (*time.Location, error) {
	if name == "" {
		return s.loc, nil
	}
	return LoadZone(name)
}

// add puts (or replaces) a subscription's cron entry.
func (s *Service) add(id int64, sched cron.Schedule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.entries[id]; ok {
		s.cron.Remove(old)
	}
	s.entries[id] = s.cron.Schedule(sched, cron.FuncJob(func() { s.launch(id, time.Now()) }))
}

func (s *Service) remove(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.entries[id]; ok {
		s.cron.Remove(old)
		delete(s.entries, id)
	}
}

// NextRuns lists the subscription's next n scheduled times after now, or
// none when its zone or schedule no longer parses.
func (s *Service) NextRuns(sub Subscription, now time.Time, n int) []time.Time {
	loc, err := s.location(sub.Timezone)
	if err != nil {
		return nil
	}
	sched, err := scheduleParser.Parse(sub.Schedule)
	if err != nil {
		return nil
	}
	if c, ok := sched.(*cron.SpecSchedule); ok {
		c.Location = loc
	}
	return nextRuns(sched, now, n)
}

// launch runs one subscription's digest in the background, unless one is
// already running for it (a slow post never overlaps the next tick).
func (s *Service) launch(id int64, scheduledFor time.Time) {
	s.mu.Lock()
	if s.running[id] || s.ctx.Err() != nil {
		s.mu.Unlock()
		s.log.Warn("digest still running; skipping this run", slog.Int64("subscription", id))
		return
	}
	s.running[id] = true
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("digest run panicked", slog.Int64("subscription", id), slog.Any("panic", p))
			}
			s.mu.Lock()
			delete(s.running, id)
			s.mu.Unlock()
			s.wg.Done()
		}()
		s.RunOnce(s.ctx, id, scheduledFor)
	}()
}

// RunOnce posts one digest for subscription id now: first any of its
// digests left pending (a post that failed after its retries), then the
// newest articles it has not had.
func (s *Service) RunOnce(ctx context.Context, id int64, scheduledFor time.Time) {
	log := s.log.With(slog.Int64("subscription", id))
	sub, err := s.store.SubscriptionByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		s.remove(id)
		return
	}
	if err != nil {
		log.Error("digest: load subscription", slog.Any("err", err))
		return
	}
	if sub.Paused != "" {
		return
	}
	// A digest left pending by a post that kept failing goes out first,
	// with its own nonce, before anything newer.
	pending, err := s.store.PendingDigests(ctx)
	if err != nil {
		log.Error("digest: load pending digests", slog.Any("err", err))
		return
	}
	for _, p := range pending {
		if p.SubscriptionID == id {
			s.finishPending(ctx, p)
		}
	}
	articles, err := Compose(s.lib, sub.Count, sub.Topic, func(ids []string) (map[string]bool, error) {
		return s.store.PostedIDs(ctx, sub.ID, ids)
	})
	if err != nil {
		log.Error("digest: compose", slog.Any("err", err))
		return
	}
	if len(articles) == 0 {
		s.recordRun(ctx, sub.ID, scheduledFor, "nothing new")
		return
	}
	ids := make([]string, len(articles))
	for i, a := range articles {
		ids[i] = a.ID
	}
	dg, err := s.store.BeginDigest(ctx, sub.ID, newNonce(), ids, scheduledFor)
	if err != nil {
		log.Error("digest: record before posting", slog.Any("err", err))
		return
	}
	s.post(ctx, sub, dg, articles, scheduledFor, time.Time{})
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
	s.post(ctx, sub, dg, articles, dg.ScheduledFor, dg.CreatedAt)
}

// errNoPoster is a run before Start gave the service a poster.
var errNoPoster = errors.New("digest: not connected: Start has not run")

// post sends a recorded digest and records the outcome: sent, paused (the
// channel is gone or forbidden: the articles are released for later), or
// left pending for the next run after repeated transient failures.
// pendingSince is Post.PendingSince: zero on a digest's first attempt.
func (s *Service) post(ctx context.Context, sub Subscription, dg Digest, articles []briefs.Article, scheduledFor, pendingSince time.Time) {
	log := s.log.With(slog.Int64("subscription", sub.ID), slog.String("channel", sub.ChannelID), slog.Int64("digest", dg.ID))
	err := errNoPoster
	if s.poster != nil {
		err = s.poster.Post(ctx, Post{ChannelID: sub.ChannelID, Nonce: dg.Nonce, Topic: sub.Topic, Articles: articles, PendingSince: pendingSince})
	}
	switch {
	case err == nil:
		if err := s.store.MarkSent(ctx, dg.ID, time.Now()); err != nil {
			log.Error("digest: mark sent", slog.Any("err", err))
		}
		s.recordRun(ctx, sub.ID, scheduledFor, fmt.Sprintf("posted %d", len(articles)))
		log.Info("digest posted", slog.Int("articles", len(articles)))
	case errors.Is(err, ErrChannelUnavailable):
		reason := pauseReason(err)
		log.Warn("digest: pausing subscription", slog.String("reason", reason))
		if err := s.store.CancelDigest(ctx, dg.ID); err != nil {
			log.Error("digest: cancel", slog.Any("err", err))
		}
		if err := s.store.Pause(ctx, sub.ID, reason); err != nil {
			log.Error("digest: pause", slog.Any("err", err))
		}
		s.recordRun(ctx, sub.ID, scheduledFor, "failed: "+reason)
	default:
		log.Error("digest: post failed; will retry at the next run", slog.Any("err", err))
		s.recordRun(ctx, sub.ID, scheduledFor, "failed: "+shortError(err))
	}
}

func (s *Service) recordRun(ctx context.Context, id int64, at time.Time, outcome string) {
	if err := s.store.RecordRun(ctx, id, at, outcome); err != nil {
		s.log.Error("digest: record run", slog.Int64("subscription", id), slog.Any("err", err))
	}
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
