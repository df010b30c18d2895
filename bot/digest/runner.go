package digest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"newsbrief/briefs"
)

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
	s.mu.Lock()
	s.reads++
	read := s.reads
	s.mu.Unlock()
	due, err := s.store.DueSubscriptions(s.ctx, now)
	if err != nil {
		if s.ctx.Err() == nil {
			s.log.Error("digest: list due subscriptions", slog.Any("err", err))
		}
		return wakeAt
	}
	s.mu.Lock()
	s.queue, s.queuedAt, s.queueRead = due, now, read
	maps.DeleteFunc(s.ended, func(_ int64, at uint64) bool { return at < read }) // older than every queue from now on
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
// So is one whose run ended after the queue's read began: the read may
// hold it as it was before that run recorded itself (an instant digest
// would then take its last run's time for its next, which is claimed
// already), and the runner is poked to read it again.
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
		if at, ok := s.ended[sub.ID]; ok && at >= s.queueRead {
			s.poke()
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
		s.ended[sub.ID] = s.reads
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
	dg, ok := s.claim(ctx, log, Run{SubscriptionID: sub.ID, Due: sub.NextRun, ScheduledFor: at, Next: next}, articles)
	if !ok {
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

// stories is "1 story", "3 stories".
func stories(n int) string {
	if n == 1 {
		return "1 story"
	}
	return fmt.Sprintf("%d stories", n)
}

// claim claims run for this process with a digest of articles (none:
// nothing new), and reports whether it did; a refusal is logged.
func (s *Service) claim(ctx context.Context, log *slog.Logger, run Run, articles []briefs.Article) (Digest, bool) {
	ids := make([]string, len(articles))
	for i, a := range articles {
		ids[i] = a.ID
	}
	nonce := ""
	if len(ids) > 0 {
		nonce = newNonce()
	}
	dg, err := s.store.ClaimRun(ctx, run, nonce, ids)
	if errors.Is(err, ErrRunClaimed) {
		// Not ours to make. Whoever moved the next run, the poll sees
		// where it went; poking here could spin on a refusal.
		log.Debug("digest: run claimed elsewhere", slog.Time("scheduled", run.ScheduledFor), slog.Any("err", err))
		return Digest{}, false
	}
	if err != nil {
		log.Error("digest: claim run", slog.Time("scheduled", run.ScheduledFor), slog.Any("err", err))
		return Digest{}, false
	}
	return dg, true
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
		// The digest stays pending and goes out first at the next run: the
		// one the claim stored, read back (sub is as it was before it).
		rec.Outcome, rec.Detail = "failed", shortError(err)+"; it is posted again at the next run"
		if cur, lerr := s.store.SubscriptionByID(ctx, sub.ID); lerr == nil && cur.NextRun.After(s.clock.Now()) {
			rec.Detail = shortError(err) + "; retrying at " + cur.NextRun.In(s.zoneOf(sub)).Format("15:04 on 2 January")
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

// postName names the forum post or thread a digest of articles, run at
// at, starts (see PostName).
func (s *Service) postName(sub Subscription, articles []briefs.Article, at time.Time) string {
	return PostName(sub, articles, at, s.zoneOf(sub))
}

// PostName names the forum post or thread a digest starts: the story's
// title for an instant post of one story, otherwise "News, 6 December
// 2026" (the topic's words in place of News when there is a topic), on
// the day of the run at at in loc, the subscription's zone. The console
// shows a previewed digest's name with it.
func PostName(sub Subscription, articles []briefs.Article, at time.Time, loc *time.Location) string {
	if IsInstant(sub.Schedule) && len(articles) == 1 {
		return articles[0].Title
	}
	what := "News"
	if r, n := utf8.DecodeRuneInString(sub.Topic); n > 0 {
		what = string(unicode.ToUpper(r)) + sub.Topic[n:]
	}
	return what + ", " + at.In(loc).Format("2 January 2006")
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
