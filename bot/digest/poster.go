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
	Post(ctx context.Context, p Post) error
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
