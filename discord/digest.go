package discord

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/robfig/cron/v3"

	"newsbrief/briefs"
	"newsbrief/config"
	"newsbrief/digest"
)

// Digest defaults.
const (
	DefaultMinInterval = time.Hour
	DefaultMissedGrace = 24 * time.Hour
)

// Digests owns /digest and the scheduler that posts subscriptions' digests.
type Digests struct {
	lib   *briefs.Library
	store digest.Store
	log   *slog.Logger

	minInterval time.Duration
	loc         *time.Location
	grace       time.Duration
	poster      *poster

	cron    *cron.Cron
	mu      sync.Mutex
	entries map[int64]cron.EntryID
	running map[int64]bool
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
	started chan struct{} // closed when Start has finished
}

// DigestOption configures Digests.
type DigestOption func(*Digests)

// WithMinInterval sets the shortest allowed gap between two runs.
func WithMinInterval(d time.Duration) DigestOption { return func(g *Digests) { g.minInterval = d } }

// WithTimezone sets the zone used when a subscription names none.
func WithTimezone(loc *time.Location) DigestOption { return func(g *Digests) { g.loc = loc } }

// WithMissedGrace sets how old a missed run may be and still post at start.
func WithMissedGrace(d time.Duration) DigestOption { return func(g *Digests) { g.grace = d } }

// WithPostBackoff sets the wait before a failed post's first retry
// (doubled after each of the five attempts); default half a second.
func WithPostBackoff(d time.Duration) DigestOption { return func(g *Digests) { g.poster.backoff = d } }

// WithDigestLogger sets the logger.
func WithDigestLogger(l *slog.Logger) DigestOption { return func(g *Digests) { g.log = l } }

// NewDigests builds the digest service over lib and st.
func NewDigests(lib *briefs.Library, st digest.Store, opts ...DigestOption) *Digests {
	d := &Digests{
		lib: lib, store: st,
		minInterval: DefaultMinInterval, loc: time.UTC, grace: DefaultMissedGrace,
		poster:  &poster{backoff: firstBackoff},
		entries: map[int64]cron.EntryID{}, running: map[int64]bool{},
	}
	for _, o := range opts {
		o(d)
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.poster.log = d.log
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.started = make(chan struct{})
	d.cron = cron.New(cron.WithLocation(time.UTC))
	return d
}

// Start loads every subscription into the scheduler, finishes digests that
// were recorded but not confirmed sent (a crash between posting and marking),
// posts the latest missed run of each subscription within the grace period,
// and starts the clock. Posting uses s.
func (d *Digests) Start(ctx context.Context, s *discordgo.Session) error {
	d.poster.session = s
	pending, err := d.store.PendingDigests(ctx)
	if err != nil {
		return fmt.Errorf("digests: load pending digests: %w", err)
	}
	for _, p := range pending {
		d.finishPending(d.ctx, p)
	}
	subs, err := d.store.Subscriptions(ctx, "")
	if err != nil {
		return fmt.Errorf("digests: load subscriptions: %w", err)
	}
	now := time.Now()
	for _, sub := range subs {
		sched, err := d.schedule(sub, now)
		if err != nil {
			// Stored schedules were valid when made; a tighter minimum
			// since then still runs them rather than silently dropping.
			d.log.Warn("stored schedule refused; running it anyway", slog.Int64("subscription", sub.ID), slog.Any("err", err))
			if sched, err = scheduleParser.Parse(sub.Schedule); err != nil {
				continue
			}
		}
		d.add(sub.ID, sched)
		if sub.Paused != "" {
			continue
		}
		base := sub.LastRunAt
		if base.IsZero() {
			base = sub.CreatedAt
		}
		if missed, ok := latestMissed(sched, base, now); ok && now.Sub(missed) <= d.grace {
			d.log.Info("posting missed digest", slog.Int64("subscription", sub.ID), slog.Time("missed", missed))
			d.launch(sub.ID, missed)
		}
	}
	d.cron.Start()
	close(d.started)
	d.log.Info("digest scheduler started", slog.Int("subscriptions", len(subs)), slog.Int("pending", len(pending)))
	return nil
}

// Stop stops the clock and waits for digests being posted.
func (d *Digests) Stop() {
	<-d.cron.Stop().Done()
	// Cancelling under mu orders every launch's wg.Add before the Wait:
	// a launch either ran before this or sees the context cancelled.
	d.mu.Lock()
	d.cancel()
	d.mu.Unlock()
	d.wg.Wait()
}

// schedule parses a subscription's schedule in its zone.
func (d *Digests) schedule(sub digest.Subscription, now time.Time) (cron.Schedule, error) {
	loc, err := d.location(sub.Timezone)
	if err != nil {
		return nil, err
	}
	return ParseSchedule(sub.Schedule, loc, d.minInterval, now)
}

func (d *Digests) location(name string) (*time.Location, error) {
	if name == "" {
		return d.loc, nil
	}
	return loadZone(name)
}

// add puts (or replaces) a subscription's cron entry.
func (d *Digests) add(id int64, sched cron.Schedule) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.entries[id]; ok {
		d.cron.Remove(old)
	}
	d.entries[id] = d.cron.Schedule(sched, cron.FuncJob(func() { d.launch(id, time.Now()) }))
}

func (d *Digests) remove(id int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.entries[id]; ok {
		d.cron.Remove(old)
		delete(d.entries, id)
	}
}

// nextRun is the subscription's next scheduled time after now, or zero.
func (d *Digests) nextRun(sub digest.Subscription, now time.Time) time.Time {
	loc, err := d.location(sub.Timezone)
	if err != nil {
		return time.Time{}
	}
	sched, err := scheduleParser.Parse(sub.Schedule)
	if err != nil {
		return time.Time{}
	}
	if s, ok := sched.(*cron.SpecSchedule); ok {
		s.Location = loc
	}
	return sched.Next(now)
}

// launch runs one subscription's digest in the background, unless one is
// already running for it (a slow post never overlaps the next tick).
func (d *Digests) launch(id int64, scheduledFor time.Time) {
	d.mu.Lock()
	if d.running[id] || d.ctx.Err() != nil {
		d.mu.Unlock()
		d.log.Warn("digest still running; skipping this run", slog.Int64("subscription", id))
		return
	}
	d.running[id] = true
	d.wg.Add(1)
	d.mu.Unlock()
	go func() {
		defer func() {
			if p := recover(); p != nil {
				d.log.Error("digest run panicked", slog.Int64("subscription", id), slog.Any("panic", p))
			}
			d.mu.Lock()
			delete(d.running, id)
			d.mu.Unlock()
			d.wg.Done()
		}()
		d.RunOnce(d.ctx, id, scheduledFor)
	}()
}

// RunOnce posts one digest for subscription id now: first any of its
// digests left pending (a post that failed after its retries), then the
// newest articles it has not had.
func (d *Digests) RunOnce(ctx context.Context, id int64, scheduledFor time.Time) {
	log := d.log.With(slog.Int64("subscription", id))
	sub, err := d.store.SubscriptionByID(ctx, id)
	if errors.Is(err, digest.ErrNotFound) {
		d.remove(id)
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
	pending, err := d.store.PendingDigests(ctx)
	if err != nil {
		log.Error("digest: load pending digests", slog.Any("err", err))
		return
	}
	for _, p := range pending {
		if p.SubscriptionID == id {
			d.finishPending(ctx, p)
		}
	}
	articles, err := ComposeDigest(d.lib, sub.Count, sub.Topic, func(ids []string) (map[string]bool, error) {
		return d.store.PostedIDs(ctx, sub.ID, ids)
	})
	if err != nil {
		log.Error("digest: compose", slog.Any("err", err))
		return
	}
	if len(articles) == 0 {
		d.recordRun(ctx, sub.ID, scheduledFor, "nothing new")
		return
	}
	ids := make([]string, len(articles))
	for i, a := range articles {
		ids[i] = a.ID
	}
	dg, err := d.store.BeginDigest(ctx, sub.ID, newNonce(), ids, scheduledFor)
	if err != nil {
		log.Error("digest: record before posting", slog.Any("err", err))
		return
	}
	d.post(ctx, sub, dg, articles, scheduledFor)
}

// finishPending re-posts a digest recorded but not confirmed sent, with
// its original nonce, so Discord drops it if the first post did land.
func (d *Digests) finishPending(ctx context.Context, dg digest.Digest) {
	sub, err := d.store.SubscriptionByID(ctx, dg.SubscriptionID)
	if err != nil {
		d.log.Error("digest: pending digest without subscription", slog.Int64("digest", dg.ID), slog.Any("err", err))
		return
	}
	var articles []briefs.Article
	for _, id := range dg.ArticleIDs {
		if a, ok := d.lib.Get(id); ok {
			articles = append(articles, a)
		}
	}
	if len(articles) == 0 {
		// The articles are gone from the library; nothing to send.
		if err := d.store.CancelDigest(ctx, dg.ID); err != nil {
			d.log.Error("digest: cancel", slog.Int64("digest", dg.ID), slog.Any("err", err))
		}
		return
	}
	d.log.Info("finishing digest recorded before a restart", slog.Int64("digest", dg.ID), slog.String("nonce", dg.Nonce))
	d.post(ctx, sub, dg, articles, dg.ScheduledFor)
}

// post sends a recorded digest and records the outcome: sent, paused (the
// channel is gone or forbidden: the articles are released for later), or
// left pending for the next run after repeated transient failures.
func (d *Digests) post(ctx context.Context, sub digest.Subscription, dg digest.Digest, articles []briefs.Article, scheduledFor time.Time) {
	log := d.log.With(slog.Int64("subscription", sub.ID), slog.String("channel", sub.ChannelID), slog.Int64("digest", dg.ID))
	heading := DigestHeading(len(articles), sub.Topic)
	err := d.poster.post(ctx, sub.ChannelID, dg.Nonce, heading, DigestCards(articles))
	var perm *permanentError
	switch {
	case err == nil:
		if err := d.store.MarkSent(ctx, dg.ID, time.Now()); err != nil {
			log.Error("digest: mark sent", slog.Any("err", err))
		}
		d.recordRun(ctx, sub.ID, scheduledFor, fmt.Sprintf("posted %d", len(articles)))
		log.Info("digest posted", slog.Int("articles", len(articles)))
	case errors.As(err, &perm):
		log.Warn("digest: pausing subscription", slog.String("reason", perm.reason))
		if err := d.store.CancelDigest(ctx, dg.ID); err != nil {
			log.Error("digest: cancel", slog.Any("err", err))
		}
		if err := d.store.Pause(ctx, sub.ID, perm.reason); err != nil {
			log.Error("digest: pause", slog.Any("err", err))
		}
		d.recordRun(ctx, sub.ID, scheduledFor, "failed: "+perm.reason)
	default:
		log.Error("digest: post failed; will retry at the next run", slog.Any("err", err))
		d.recordRun(ctx, sub.ID, scheduledFor, "failed: "+shortError(err))
	}
}

func (d *Digests) recordRun(ctx context.Context, id int64, at time.Time, outcome string) {
	if err := d.store.RecordRun(ctx, id, at, outcome); err != nil {
		d.log.Error("digest: record run", slog.Int64("subscription", id), slog.Any("err", err))
	}
}

// newNonce makes a 20-character nonce; message parts append "-N", staying
// within Discord's 25.
func newNonce() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func shortError(err error) string { return truncate(err.Error(), 200) }

// loadZone loads an IANA zone, as a UserError when it is unknown.
func loadZone(name string) (*time.Location, error) {
	loc, err := config.LoadLocation(name)
	if err != nil {
		return nil, Userf("Unknown time zone %q. Use an IANA name such as Europe/Berlin, America/New_York or UTC.", name)
	}
	return loc, nil
}

// completeZones offers zone names containing the query, prefix matches first.
func completeZones(query string, n int) []Choice {
	q := strings.ToLower(strings.TrimSpace(query))
	var prefix, sub []string
	for _, z := range zoneNames {
		lz := strings.ToLower(z)
		switch {
		case q == "" || strings.HasPrefix(lz, q) || strings.Contains(lz, "/"+q):
			prefix = append(prefix, z)
		case strings.Contains(lz, q) || strings.Contains(strings.ReplaceAll(lz, "_", " "), q):
			sub = append(sub, z)
		}
	}
	sort.Strings(prefix)
	all := append(prefix, sub...)
	if len(all) > n {
		all = all[:n]
	}
	out := make([]Choice, len(all))
	for i, z := range all {
		out[i] = Choice{Name: z, Value: z}
	}
	return out
}
