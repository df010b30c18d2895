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
	"strings"
	"time"
	"unicode"
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

// Subscription is one of a channel's digest subscriptions.
type Subscription struct {
	ID        int64
	GuildID   string
	ChannelID string
	// Name tells a channel's subscriptions apart: unique in the channel.
	// DefaultName gives one from the source and topic.
	Name string
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
	// Exclude keeps a story out when its title or summary holds one of its
	// words or quoted phrases (see ParseExclude).
	Exclude string

	// How its digests are delivered (see Post).
	Thread  bool
	Tag     string
	Publish bool
	Mention string
}

// DefaultName is the name a subscription gets when its subscriber gives
// none: its source and topic as words joined by hyphens ("bbc-climate"),
// or "digest" for everything.
func DefaultName(source, topic string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(strings.ToLower(source+" "+topic), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if b.Len()+len(w) > MaxNameLen {
			break
		}
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteString(w)
	}
	if b.Len() == 0 {
		return "digest"
	}
	return b.String()
}

// Named is sub with its name, DefaultName when it has none: what a Store
// stores.
func (sub Subscription) Named() Subscription {
	if sub.Name == "" {
		sub.Name = DefaultName(sub.Source, sub.Topic)
	}
	return sub
}

// MaxNameLen bounds a subscription's name, in bytes.
const MaxNameLen = 40

// Check says why sub cannot be stored, or nil: it needs a guild, a
// channel, a count of at least one and a name of at most MaxNameLen bytes
// (an empty one is stored as DefaultName, see Named). Stores call it before they write.
func (sub Subscription) Check() error {
	switch {
	case sub.GuildID == "":
		return errors.New("empty guild id")
	case sub.ChannelID == "":
		return errors.New("empty channel id")
	case len(sub.Name) > MaxNameLen:
		return fmt.Errorf("name %q longer than %d bytes", sub.Name, MaxNameLen)
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

// RunRecord is one line of a subscription's history: a run made, or a
// digest finished later, with what came of it and why.
type RunRecord struct {
	SubscriptionID int64
	// ScheduledFor is the run's scheduled time.
	ScheduledFor time.Time
	// At is when the outcome was known.
	At time.Time
	// Outcome is short: "posted 5", "nothing new", "paused", "failed".
	Outcome string
	// Detail says why, in words a server admin acts on; "" when the
	// outcome says it all.
	Detail string
	// URL links to what was posted, "" when nothing was.
	URL string
}

// HistoryLen is how many runs a store keeps of each subscription's
// history; older ones are deleted as new ones are recorded.
const HistoryLen = 100
