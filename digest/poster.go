package digest

import (
	"context"
	"errors"

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
}

// Poster delivers digests. Discord's lives in package discord.
type Poster interface {
	// Post sends p, retrying what is worth retrying. When the channel is
	// gone or forbids the bot it returns an error wrapping
	// ErrChannelUnavailable (an *UnavailableError gives the reason), and the
	// service pauses the subscription instead of retrying: retrying those
	// counts toward Discord's ban for invalid requests.
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
