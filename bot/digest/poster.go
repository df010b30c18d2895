package digest

import (
	"context"
	"errors"
	"time"

	"newsbrief/briefs"
)

// Post is one digest on its way to a channel: what a Poster renders and
// sends. The service decides what goes out; how it looks is the poster's.
type Post struct {
	// GuildID is the subscription's guild, for links to what was posted.
	GuildID   string
	ChannelID string
	// Nonce is recorded with the digest before it is sent, so a repeated
	// post of the same digest carries the same nonce and the platform can
	// drop the repeat.
	Nonce string
	// Topic is the subscription's topic, "" for all articles.
	Topic string
	// Articles are in posting order, newest first.
	Articles []briefs.Article
	// PendingSince is when the digest was recorded, set when it is posted
	// again after an attempt that may have reached the channel, in whole
	// or in part (a restart after a crash, or a post that kept failing):
	// the Poster then looks for it there and sends only what is missing.
	// Zero for a first attempt.
	PendingSince time.Time

	// How it is delivered: the subscription's options.

	// Name names the forum post, or the thread, that the digest starts:
	// "News, 6 December 2026", or a one-story instant post's title.
	Name string
	// Thread starts a thread named Name from the digest's first message
	// (in a text or announcement channel); the digest's other messages go
	// into it. A channel that is itself a thread is posted into as any.
	Thread bool
	// Tag is the name of a forum tag that a forum post gets; "" for none.
	Tag string
	// Publish crossposts each message in an announcement channel, so that
	// the servers following it receive it.
	Publish bool
	// Mention opens each message: a role ID, or MentionHere; "" for none.
	// Only it may ping: article text never does.
	Mention string
}

// MentionHere is Post.Mention for @here.
const MentionHere = "here"

// Delivered is what a Poster reports of a digest it posted.
type Delivered struct {
	// URL links to the digest's first message, or its forum post or
	// thread; "" when unknown.
	URL string
	// Notes say what went otherwise than asked, in words a server admin
	// acts on, each alone: "posted unpublished: the channel's 10
	// crossposts an hour are used up", "the role was not pinged: it is not
	// mentionable and the bot lacks Mention Everyone".
	Notes []string
}

// Poster delivers digests. Discord's lives in package discord.
type Poster interface {
	// Post sends p, retrying what is worth retrying. When p.PendingSince
	// is set, Post first finds out what of p is already in the channel
	// (the platform's own de-duplication of a repeated nonce is only
	// short-lived) and sends only the rest, returning nil when it was all
	// there. When it cannot find out for now it returns an error and p
	// stays pending; when it can never find out (a permission is missing)
	// it may send p again rather than lose it, and documents it.
	//
	// When the channel is gone or forbids the bot, Post returns an error
	// wrapping ErrChannelUnavailable (an *UnavailableError gives the
	// reason), and the service pauses the subscription instead of
	// retrying: retrying those counts toward Discord's ban for invalid
	// requests.
	//
	// A forum post or a thread that p started before a crash is found
	// again in the same way (the channel's active and archived threads,
	// each starter message's marker) before anything is created again; a
	// crosspost is made only for a message not yet published.
	Post(ctx context.Context, p Post) (Delivered, error)
}

// ErrChannelUnavailable: the channel is gone or forbids the bot.
var ErrChannelUnavailable = errors.New("channel gone or forbidden")

// UnavailableError is how a Poster reports ErrChannelUnavailable with its
// reason, such as "403 Missing Access", which the service stores as the
// subscription's pause reason and /digest list shows.
type UnavailableError struct{ Reason string }

func (e *UnavailableError) Error() string { return ErrChannelUnavailable.Error() + ": " + e.Reason }

func (e *UnavailableError) Unwrap() error { return ErrChannelUnavailable }

// pauseReason is the reason to pause with for an error wrapping
// ErrChannelUnavailable.
func pauseReason(err error) string {
	if ue, ok := errors.AsType[*UnavailableError](err); ok {
		return ue.Reason
	}
	return err.Error()
}
