// Package digest is newsbrief's scheduled digests, without Discord: the
// subscriptions channel admins create and the digests recorded for them,
// schedules, the service that subscribes, lists, previews and posts what is
// due, and the interfaces it needs from the outside: a Store that remembers
// what was posted and a Poster that delivers a digest to a channel.
//
// The types live here rather than in a storage package so that the stores
// (store/sqlstore, and the SQLite and PostgreSQL backends over it) import
// this package for them, and the service never imports a store.
package digest

import (
	"errors"
	"fmt"
	"time"
)

// Errors a Store returns, wrapped with what failed and the input it failed
// on; test for them with errors.Is.
var (
	// ErrNotFound: the subscription or digest does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyPosted: ClaimRun was given an article that is already
	// recorded (sent or pending) for the subscription.
	ErrAlreadyPosted = errors.New("article already posted to this subscription")
	// ErrDigestSent: CancelDigest was asked to cancel a digest that was
	// already marked sent.
	ErrDigestSent = errors.New("digest already sent")
	// ErrRunClaimed: ClaimRun lost the run, to another process or an
	// earlier claim, or the subscription was rescheduled meanwhile.
	ErrRunClaimed = errors.New("run already claimed")
)

// MaxNonceLen is Discord's limit on a message nonce (25 characters); stores
// count bytes, which is stricter for non-ASCII nonces.
const MaxNonceLen = 25

// Subscription is one channel's digest subscription.
type Subscription struct {
	ID        int64
	GuildID   string
	ChannelID string
	// Schedule is as the user gave it (cron expression or descriptor).
	Schedule string
	// Timezone is an IANA name.
	Timezone  string
	Count     int
	Topic     string
	CreatedBy string // user id
	CreatedAt time.Time
	// Paused is the reason the subscription is paused, "" when active, e.g.
	// "403 Missing Access".
	Paused string
	// LastRunAt is the scheduled time of the last run, zero if never run.
	LastRunAt time.Time
	// LastOutcome is "posted 3", "nothing new", "failed: ...", "" if never run.
	LastOutcome string
	// NextRun is when the subscription runs next, zero when it is not
	// scheduled (its schedule never fires again, or it was stored before
	// next runs were: the service schedules those at start).
	NextRun time.Time
	// Source is the origin (the articles folder's name or a feed's name)
	// the digest draws from, as the subscriber picked it; "" for every
	// source. See briefs.Query for how it matches.
	Source string
}

// Check says why sub cannot be stored, or nil: it needs a guild, a
// channel and a count of at least one. Stores call it before they write.
func (sub Subscription) Check() error {
	switch {
	case sub.GuildID == "":
		return errors.New("empty guild id")
	case sub.ChannelID == "":
		return errors.New("empty channel id")
	case sub.Count < 1:
		return fmt.Errorf("count %d, must be at least 1", sub.Count)
	}
	return nil
}

// PreviewGuild is the guild of the console's subscriptions (its user is
// in a channel named "console"): they are previews, stored so that
// /digest list and /digest preview show them, and never scheduled, run or
// posted, by any process on the database.
const PreviewGuild = "console"

// IsPreview reports whether the subscription is a preview (PreviewGuild).
func (s Subscription) IsPreview() bool { return s.GuildID == PreviewGuild }

// Digest is one message's worth of articles recorded for a subscription.
type Digest struct {
	ID             int64
	SubscriptionID int64
	// ChannelID is the subscription's channel when the digest was begun.
	ChannelID string
	// Nonce is the Discord message nonce, at most MaxNonceLen bytes.
	Nonce string
	// ArticleIDs are in posting order.
	ArticleIDs   []string
	ScheduledFor time.Time
	CreatedAt    time.Time
	// SentAt is zero while the digest is pending.
	SentAt time.Time
}
