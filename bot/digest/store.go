package digest

import (
	"context"
	"time"
)

// Store is what the digest service needs from storage. The posted records
// it keeps are what make "at most once" hold across crashes, and the next
// runs and claims are what let several processes share one store, so it is
// never replaced by memory. Every method is a plain query or one
// transaction of conditional writes, so that a server database can
// implement it too. store/sqlite and store/postgres implement it;
// store/storetest is the contract suite every implementation runs.
type Store interface {
	// PutSubscription creates the subscription named sub.Name (see
	// Subscription.Named) in
	// sub.GuildID/sub.ChannelID, or replaces it if the channel already has
	// one of that name. Replacing keeps the ID, the posted records, the
	// history and the last run, updates Schedule, Timezone, Count, Topic,
	// Source, Exclude, the delivery options, CreatedBy, CreatedAt and
	// NextRun, and clears Paused: subscribing again (or editing) resumes. sub.ID, Paused, LastRunAt and LastOutcome
	// are ignored; a zero CreatedAt means now, a zero NextRun "not
	// scheduled". It returns the stored subscription.
	PutSubscription(ctx context.Context, sub Subscription) (Subscription, error)
	// DeleteSubscription deletes the channel's subscription of that name
	// with its digests, posted records and history, and reports whether
	// there was one.
	DeleteSubscription(ctx context.Context, guildID, channelID, name string) (bool, error)
	// Subscription returns the channel's subscription of that name, or an
	// error wrapping ErrNotFound.
	Subscription(ctx context.Context, guildID, channelID, name string) (Subscription, error)
	// SubscriptionByID returns the subscription with the id, or an error
	// wrapping ErrNotFound.
	SubscriptionByID(ctx context.Context, id int64) (Subscription, error)
	// Subscriptions lists the guild's subscriptions, or every guild's when
	// guildID is "", ordered by guild ID, channel ID and name (as text).
	Subscriptions(ctx context.Context, guildID string) ([]Subscription, error)
	// PostedIDs reports which of articleIDs are already recorded for the
	// subscription, sent or pending: the map holds only those, each true.
	PostedIDs(ctx context.Context, subID int64, articleIDs []string) (map[string]bool, error)
	// PostedOn reports when each of articleIDs recorded for the
	// subscription was put in a digest: the scheduled time of the run that
	// made it; zero when the digest was pruned. IDs not recorded are
	// absent.
	PostedOn(ctx context.Context, subID int64, articleIDs []string) (map[string]time.Time, error)
	// ClaimRun claims a run for this process, atomically: it moves the
	// subscription's next run from run.Due to run.Next (zero: none) only if
	// it is still run.Due, adds a claim unique per subscription and
	// run.ScheduledFor, and, when articleIDs is not empty, records a pending
	// digest of them (in posting order) with nonce and marks each article
	// posted for the subscription, before anything is sent. A run whose
	// subscription is gone, paused or no longer due at run.Due, or whose
	// scheduled time was claimed already, is an error wrapping
	// ErrRunClaimed; an article already recorded for the subscription one
	// wrapping ErrAlreadyPosted. Nothing is written then, except that a
	// scheduled time claimed already still moves the next run on (so a
	// subscription put back on a time that was made is not stuck there).
	// With no articles ("nothing new") the returned Digest is zero.
	//
	// Claiming is one conditional update and one insert, so processes
	// sharing a database never both run the same scheduled time.
	ClaimRun(ctx context.Context, run Run, nonce string, articleIDs []string) (Digest, error)
	// SetNextRun moves the subscription's next run from "from" to "to" only
	// if it is still "from" (zero means none), and reports whether it did.
	// The service uses it to schedule subscriptions stored without a next
	// run, and to skip runs missed beyond the grace period.
	SetNextRun(ctx context.Context, subID int64, from, to time.Time) (bool, error)
	// WakeInstant makes every instant subscription that waits for a change
	// (schedule Instant, active, no next run, not a console preview) due
	// at now, and reports how many it made due: one conditional update,
	// whatever the number of subscriptions, since it runs on every change
	// of the library.
	WakeInstant(ctx context.Context, now time.Time) (int64, error)
	// DueSubscriptions lists the active (not paused) subscriptions whose
	// next run is at or before now, earliest first.
	DueSubscriptions(ctx context.Context, now time.Time) ([]Subscription, error)
	// EarliestRun is the earliest next run of any active subscription, and
	// false when none has one.
	EarliestRun(ctx context.Context) (time.Time, bool, error)
	// Backlog counts the active subscriptions whose next run is at or
	// before now, the runs waiting to be made, and gives the earliest of
	// those next runs (zero when none waits). It is one aggregate query,
	// cheap enough for a metrics scrape, so a growing backlog (no process
	// claiming, or claims failing) is visible without listing rows.
	Backlog(ctx context.Context, now time.Time) (Backlog, error)
	// MarkSent marks the digest sent at the given time (now if zero); a
	// second call keeps the first time.
	MarkSent(ctx context.Context, digestID int64, at time.Time) error
	// CancelDigest deletes a pending digest and releases its articles; a
	// sent digest is refused with ErrDigestSent.
	CancelDigest(ctx context.Context, digestID int64) error
	// PendingDigests returns the digests recorded but not marked sent,
	// oldest first.
	PendingDigests(ctx context.Context) ([]Digest, error)
	// RecordRun records the outcome of a run as the subscription's last
	// (LastRunAt, LastOutcome) and adds it to its history, keeping the
	// newest HistoryLen. A zero rec.At means now.
	RecordRun(ctx context.Context, rec RunRecord) error
	// History returns the subscription's last n recorded runs, newest
	// first.
	History(ctx context.Context, subID int64, n int) ([]RunRecord, error)
	// Pause pauses the subscription with a non-empty reason.
	Pause(ctx context.Context, subID int64, reason string) error
	// Prune deletes what can no longer matter as of now (see Retention),
	// given every article ID now in the library, and says how much went.
	Prune(ctx context.Context, now time.Time, inLibrary []string, keep Retention) (Pruned, error)
}

// Backlog is what Store.Backlog reports: the due runs not yet made.
type Backlog struct {
	// Waiting is how many active subscriptions are due.
	Waiting int
	// Oldest is the earliest next run among them; zero when none waits.
	Oldest time.Time
}

// Run is one scheduled run of a subscription, as ClaimRun claims it.
type Run struct {
	SubscriptionID int64
	// Due is the subscription's stored next run: the claim succeeds only
	// while it is still that, which is what makes it a compare-and-set.
	Due time.Time
	// ScheduledFor is the run being made: Due itself, or the latest time
	// the schedule fired since Due when runs were missed.
	ScheduledFor time.Time
	// Next is the subscription's next run after this one; zero when the
	// schedule never fires again.
	Next time.Time
}

// Retention says what Prune keeps. A zero duration keeps that kind of
// record forever.
type Retention struct {
	// Gone: a posted record of an article that has been out of the library
	// for at least this long is deleted, once its digest was sent. Records
	// of articles in the library are kept forever, so an article still in
	// the library is never posted twice to a subscription; one that left
	// and came back after Gone may be posted again. Each Prune marks
	// records of absent articles gone (from now) and unmarks those of
	// articles back in the library.
	Gone time.Duration
	// Sent: digests marked sent longer ago are deleted (their articles
	// stay recorded as posted).
	Sent time.Duration
	// Runs: run claims scheduled longer ago are deleted. Only the
	// subscription's next run guards against a rerun, so any retention
	// longer than a schedule's period is safe.
	Runs time.Duration
}

// Pruned counts what Prune deleted.
type Pruned struct {
	Posted, Digests, Runs int64
}
