package digest

import (
	"context"
	"time"
)

// Store is what the digest service needs from storage. The posted records
// it keeps are what make "at most once" hold across crashes, so it is never
// replaced by memory. store/sqlite implements it; store/storetest is the
// contract suite every implementation runs.
type Store interface {
	// PutSubscription creates the subscription of sub.GuildID/sub.ChannelID,
	// or replaces it if the channel already has one. Replacing keeps the ID,
	// the posted history and the last run, updates Schedule, Timezone,
	// Count, Topic, CreatedBy and CreatedAt, and clears Paused: subscribing
	// again resumes. sub.ID, Paused, LastRunAt and LastOutcome are ignored;
	// a zero CreatedAt means now. It returns the stored subscription.
	PutSubscription(ctx context.Context, sub Subscription) (Subscription, error)
	// DeleteSubscription deletes the channel's subscription with its
	// digests and posted records, and reports whether there was one.
	DeleteSubscription(ctx context.Context, guildID, channelID string) (bool, error)
	// Subscription returns the channel's subscription, or an error wrapping
	// ErrNotFound.
	Subscription(ctx context.Context, guildID, channelID string) (Subscription, error)
	// SubscriptionByID returns the subscription with the id, or an error
	// wrapping ErrNotFound.
	SubscriptionByID(ctx context.Context, id int64) (Subscription, error)
	// Subscriptions lists the guild's subscriptions, or every guild's when
	// guildID is "", ordered by guild ID then channel ID (as text).
	Subscriptions(ctx context.Context, guildID string) ([]Subscription, error)
	// PostedIDs reports which of articleIDs are already recorded for the
	// subscription, sent or pending: the map holds only those, each true.
	PostedIDs(ctx context.Context, subID int64, articleIDs []string) (map[string]bool, error)
	// BeginDigest records a pending digest of articleIDs (in posting order)
	// and marks each article posted for the subscription, atomically, before
	// anything is sent. An article already recorded for the subscription
	// fails it with an error wrapping ErrAlreadyPosted, and nothing is
	// written.
	BeginDigest(ctx context.Context, subID int64, nonce string, articleIDs []string, scheduledFor time.Time) (Digest, error)
	// MarkSent marks the digest sent at the given time (now if zero); a
	// second call keeps the first time.
	MarkSent(ctx context.Context, digestID int64, at time.Time) error
	// CancelDigest deletes a pending digest and releases its articles; a
	// sent digest is refused with ErrDigestSent.
	CancelDigest(ctx context.Context, digestID int64) error
	// PendingDigests returns the digests recorded but not marked sent,
	// oldest first.
	PendingDigests(ctx context.Context) ([]Digest, error)
	// RecordRun records the outcome of the run scheduled for scheduledFor.
	RecordRun(ctx context.Context, subID int64, scheduledFor time.Time, outcome string) error
	// Pause pauses the subscription with a non-empty reason.
	Pause(ctx context.Context, subID int64, reason string) error
}
