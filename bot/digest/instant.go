package digest

import (
	"context"
	"log/slog"
	"time"
)

// runInstant makes an instant subscription's run, due since the library
// changed (see triggerInstant): the stories dated after its creation (and
// within the missed-run grace, for stories that came while no bot ran)
// that it has not posted, up to its count. When it posted a full count
// more may wait, so it is due again at once; otherwise it waits for the
// next change. A run that finds nothing records nothing: an instant
// digest's history is what it posted, not every poll of every feed.
func (s *Service) runInstant(ctx context.Context, sub Subscription, now time.Time) bool {
	log := s.log.With(slog.Int64("subscription", sub.ID))
	// A change while this run is under way finds the subscription due
	// already, and triggerInstant leaves it; but the run may have read
	// the library before the change, and then makes it wait for the
	// next one. So a run that sees the library changed since it began
	// makes the subscription due again.
	seen := s.lib.Version()
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
		return s.dueIfChanged(ctx, log, sub.ID, seen) || ok
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
	dg, ok := s.claim(ctx, log, Run{SubscriptionID: sub.ID, Due: sub.NextRun, ScheduledFor: at, Next: next}, sel.Articles)
	if !ok {
		return false
	}
	s.finishPendingOf(ctx, sub.ID, dg.ID)
	s.post(ctx, sub, dg, sel.Articles, at, time.Time{}, sel.Excluded)
	s.dueIfChanged(ctx, log, sub.ID, seen)
	return true
}

// dueIfChanged makes an instant subscription that waits for a change due
// now when the library changed since version seen, and reports whether it
// did. It moves the next run from none, as triggerInstant does, so that a
// run already due is left as it is.
func (s *Service) dueIfChanged(ctx context.Context, log *slog.Logger, subID int64, seen uint64) bool {
	if s.lib.Version() == seen {
		return false
	}
	ok, err := s.store.SetNextRun(ctx, subID, time.Time{}, s.clock.Now())
	if err != nil && ctx.Err() == nil {
		log.Error("digest: instant: make due after a change", slog.Any("err", err))
	}
	return ok
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
// that came while no bot ran). It is one conditional update of the store
// (Store.WakeInstant), so processes that all see the change make one run,
// and a change costs the same however many subscriptions there are.
func (s *Service) triggerInstant(now time.Time) {
	if _, err := s.store.WakeInstant(s.ctx, now); err != nil && s.ctx.Err() == nil {
		s.log.Error("digest: instant: make due", slog.Any("err", err))
	}
}
