package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/command"
	"newsbrief/digest"
)

const (
	postAttempts = 5
	firstBackoff = 500 * time.Millisecond
)

// poster sends digests to channels: it implements digest.Poster.
type poster struct {
	session *discordgo.Session
	log     *slog.Logger
	backoff time.Duration // before the first retry; doubled after each
}

var _ digest.Poster = (*poster)(nil)

// messageBody is a channel message with the nonce fields discordgo v0.29.0
// lacks. enforce_nonce makes Discord return the earlier message instead of
// posting again when the nonce was used in the channel recently.
type messageBody struct {
	Content         string                            `json:"content,omitempty"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Nonce           string                            `json:"nonce"`
	EnforceNonce    bool                              `json:"enforce_nonce"`
}

// Post renders p as a digest reply and sends it to its channel as one
// message, or several when Discord's limits force it; part i after the
// first carries nonce-i.
func (p *poster) Post(ctx context.Context, d digest.Post) error {
	rep := command.DigestReply(d.Articles, d.Topic)
	for i, embeds := range SplitEmbeds(Embeds(rep.Cards)) {
		body := messageBody{Embeds: embeds, AllowedMentions: noMentions(), Nonce: d.Nonce, EnforceNonce: true}
		if i == 0 {
			body.Content = command.Truncate(rep.Content, maxContent)
		} else {
			body.Nonce = d.Nonce + "-" + strconv.Itoa(i)
		}
		if err := p.send(ctx, d.ChannelID, body); err != nil {
			return err
		}
	}
	return nil
}

// send posts one message, retrying 429s and server errors with backoff.
func (p *poster) send(ctx context.Context, channel string, body messageBody) error {
	endpoint := discordgo.EndpointChannelMessages(channel)
	backoff := p.backoff
	var err error
	for attempt := 1; attempt <= postAttempts; attempt++ {
		_, err = p.session.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint,
			discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		if err == nil {
			return nil
		}
		var rest *discordgo.RESTError
		var limited *discordgo.RateLimitError
		switch {
		case errors.As(err, &limited):
			// Wait as long as Discord asks, at least the backoff.
			if limited.RetryAfter > backoff {
				backoff = limited.RetryAfter
			}
		case errors.As(err, &rest) && rest.Response != nil:
			switch code := rest.Response.StatusCode; {
			case code == http.StatusForbidden || code == http.StatusNotFound:
				// Retrying counts toward Discord's ban for invalid
				// requests: the service pauses the subscription instead.
				return &digest.UnavailableError{Reason: fmt.Sprintf("%d %s", code, restMessage(rest))}
			case code < 500:
				return fmt.Errorf("post to channel %s: %w", channel, err)
			}
		}
		// Otherwise a server error or a network error: worth retrying.
		p.log.Warn("digest post failed; retrying", slog.String("channel", channel), slog.Int("attempt", attempt), slog.Duration("backoff", backoff), slog.Any("err", err))
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		backoff *= 2
	}
	return fmt.Errorf("post to channel %s: %d attempts: %w", channel, postAttempts, err)
}

func restMessage(rest *discordgo.RESTError) string {
	if rest.Message != nil && rest.Message.Message != "" {
		return rest.Message.Message
	}
	return http.StatusText(rest.Response.StatusCode)
}
