package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/digest"
)

// Notes of a publish that did not happen.
const noteCrosspostsUsedUp = "posted unpublished: the channel's 10 crossposts an hour are used up"

// codeAlreadyCrossposted is Discord's error for a message published before.
const codeAlreadyCrossposted = 40033

// publish crossposts msg, a message of the digest in its announcement
// channel, when the digest asks for it and the message is not published
// yet (flag CROSSPOSTED): a message found again after a crash is
// published only if it was not. Discord allows 10 crossposts an hour a
// channel; its 429 (or an earlier one whose wait has not passed) leaves
// the message unpublished, with a note, and is not retried: waiting would
// hold the digest up to an hour. A 403 (a missing permission) is a note
// too: the digest is out, only not published. Server errors are retried;
// when they persist the error is returned and the digest stays pending,
// so the next attempt publishes what is not.
func (dl *delivery) publish(ctx context.Context, msg *discordgo.Message) error {
	if !dl.d.Publish || dl.ch.Kind != digest.KindAnnouncement || msg.ChannelID != dl.ch.ID ||
		msg.Flags&discordgo.MessageFlagsCrossPosted != 0 {
		return nil
	}
	p := dl.p
	p.mu.Lock()
	until := p.spent[dl.ch.ID]
	p.mu.Unlock()
	if p.now().Before(until) {
		dl.note(noteCrosspostsUsedUp)
		return nil
	}
	err := p.retry(ctx, dl.ch.ID, "crosspost", func() error {
		_, err := p.session.ChannelMessageCrosspost(dl.ch.ID, msg.ID, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		if limited, ok := errors.AsType[*discordgo.RateLimitError](err); ok {
			return hourlyLimit{limited}
		}
		return err
	})
	if limited, ok := errors.AsType[hourlyLimit](err); ok {
		p.mu.Lock()
		p.spent[dl.ch.ID] = p.now().Add(limited.RetryAfter)
		p.mu.Unlock()
		p.log.Warn("digest: the channel's crossposts of the hour are used up; posting unpublished",
			slog.String("channel", dl.ch.ID), slog.Duration("retry_after", limited.RetryAfter))
		dl.note(noteCrosspostsUsedUp)
		return nil
	}
	switch code, reason := restStatus(err); {
	case err == nil:
		msg.Flags |= discordgo.MessageFlagsCrossPosted
		return nil
	case code == http.StatusBadRequest && restCode(err) == codeAlreadyCrossposted:
		return nil
	case code == http.StatusForbidden:
		dl.note(fmt.Sprintf("posted unpublished: Discord refused to publish (%d %s)", code, reason))
		return nil
	}
	return fmt.Errorf("crosspost message %s in channel %s: %w", msg.ID, dl.ch.ID, err)
}

// hourlyLimit is a 429 on a crosspost: the channel's crossposts of the
// hour are used up, which retry must not wait for.
type hourlyLimit struct{ *discordgo.RateLimitError }

func (h hourlyLimit) Error() string {
	return "crossposts of the hour used up: " + h.RateLimitError.Error()
}

// restCode is Discord's error code of a REST error, 0 when none.
func restCode(err error) int {
	var rest *discordgo.RESTError
	if !errors.As(err, &rest) || rest.Message == nil {
		return 0
	}
	return rest.Message.Code
}
