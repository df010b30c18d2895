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

	"newsbrief/bot/command"
	"newsbrief/bot/digest"
)

const (
	postAttempts = 5
	firstBackoff = 500 * time.Millisecond
	// historyPage is how many messages one read of a channel asks for:
	// Discord's largest page, so a read-back takes as few requests as can be.
	historyPage = 100
	// readBackSlack is how much earlier than a digest's record time its
	// read-back starts. The record time is the bot's clock and a message's
	// ID is Discord's; a bot clock running ahead would otherwise hide a
	// post made just after the record. Reading a few more messages costs
	// little: the marker tells the digest's own apart.
	readBackSlack = 10 * time.Minute
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

// Post renders d as a digest reply and sends it to its channel as one
// message, or several when Discord's limits force it; part i after the
// first carries nonce-i, and every part ends its last footer with the
// digest's marker (see digestMarker).
//
// A digest with PendingSince set may already be in the channel, whole or in
// part: Discord drops a repeated nonce only for "the past few minutes", and
// how long that is is not promised. So Post first reads the channel back
// (readBack) and sends only the parts that are not there, with their
// original nonces, which still cover a repeat within Discord's window.
// Parts are matched by number: a pending digest renders as it did the
// first time unless its articles changed in between. When Discord refuses
// the read (403, no Read Message History), Post sends every part again with
// its nonce and warns: a duplicate past the window is a smaller harm than a
// digest that never arrives.
func (p *poster) Post(ctx context.Context, d digest.Post) (digest.Delivered, error) {
	id := markerID(d.Nonce)
	parts := digestMessages(command.DigestReply(d.Articles, d.Topic), id)
	there := make([]bool, len(parts))
	if !d.PendingSince.IsZero() {
		found, err := p.readBack(ctx, d.ChannelID, id, d.PendingSince, len(parts))
		switch {
		case errors.Is(err, errHistoryForbidden):
			// Posting again keeps the digest from being lost; its
			// nonce still prevents a duplicate within Discord's window.
			p.log.Warn("digest: cannot read the channel back to see whether a pending digest went out (the bot needs Read Message History there); "+
				"posting it again with its nonce: if the first post landed more than a few minutes ago it shows twice",
				slog.String("channel", d.ChannelID), slog.String("digest", id), slog.Any("err", err))
		case err != nil:
			return digest.Delivered{}, err
		default:
			there = found
		}
		if n := count(there); n > 0 {
			p.log.Info("digest: found a pending digest in its channel; posting only what is missing",
				slog.String("channel", d.ChannelID), slog.String("digest", id), slog.Int("found", n), slog.Int("parts", len(parts)))
		}
	}
	for i, m := range parts {
		if there[i] {
			continue
		}
		body := messageBody{Content: m.content, Embeds: m.embeds, AllowedMentions: noMentions(), Nonce: d.Nonce, EnforceNonce: true}
		if i > 0 {
			body.Nonce = d.Nonce + "-" + strconv.Itoa(i)
		}
		if err := p.send(ctx, d.ChannelID, body); err != nil {
			return digest.Delivered{}, err
		}
	}
	return digest.Delivered{}, nil
}

func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// errHistoryForbidden: Discord refused to show the channel's messages (403),
// as it does when the bot lacks Read Message History there.
var errHistoryForbidden = errors.New("reading the channel's messages is forbidden")

// readBack looks for the digest whose marker ID is id among the bot's
// messages in channel created since the digest was recorded (less
// readBackSlack), and reports which of its total parts are there. It pages
// forward from that time (after=, oldest first) until it has seen every
// message or found every part. A 403 is an error wrapping
// errHistoryForbidden, a 404 a *digest.UnavailableError (the channel is
// gone); other failures are retried like a post, then returned, and the
// digest stays pending: not knowing is never taken for "not there".
func (p *poster) readBack(ctx context.Context, channel, id string, since time.Time, total int) ([]bool, error) {
	found := make([]bool, total)
	missing := total
	after := snowflakeAt(since.Add(-readBackSlack))
	self := p.selfID()
	for {
		var page []*discordgo.Message
		err := p.retry(ctx, channel, "read back", func() error {
			var err error
			page, err = p.session.ChannelMessages(channel, historyPage, "", strconv.FormatUint(after, 10), "",
				discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
			return err
		})
		if err != nil {
			switch code, reason := restStatus(err); code {
			case http.StatusForbidden:
				return nil, fmt.Errorf("read back channel %s: %s: %w", channel, reason, errHistoryForbidden)
			case http.StatusNotFound:
				return nil, &digest.UnavailableError{Reason: fmt.Sprintf("%d %s", code, reason)}
			}
			return nil, fmt.Errorf("read back channel %s after message %d: %w", channel, after, err)
		}
		next := after
		for _, m := range page {
			if n, err := strconv.ParseUint(m.ID, 10, 64); err == nil && n > next {
				next = n
			}
			// Only the bot's own messages count: another bot could
			// copy a footer.
			if self != "" && (m.Author == nil || m.Author.ID != self) {
				continue
			}
			for _, e := range m.Embeds {
				if e == nil || e.Footer == nil {
					continue
				}
				if mid, part, ok := parseMarker(e.Footer.Text); ok && mid == id && part <= total && !found[part-1] {
					found[part-1] = true
					missing--
				}
			}
		}
		if missing == 0 || len(page) < historyPage {
			return found, nil
		}
		if next == after {
			return nil, fmt.Errorf("read back channel %s: a full page after message %d held no newer message", channel, after)
		}
		after = next
	}
}

// selfID is the bot's user ID from the session's READY, "" if unknown.
func (p *poster) selfID() string {
	st := p.session.State
	if st == nil {
		return ""
	}
	st.RLock()
	defer st.RUnlock()
	if st.User == nil {
		return ""
	}
	return st.User.ID
}

// discordEpoch is where Discord's snowflake clock starts, 2015-01-01 UTC, in
// Unix milliseconds.
const discordEpoch = 1420070400000

// snowflakeAt is the smallest message ID Discord can give a message created
// at t's millisecond: after=snowflakeAt(t) reads the messages from t on.
func snowflakeAt(t time.Time) uint64 {
	ms := t.UnixMilli() - discordEpoch
	if ms < 0 {
		return 0
	}
	return uint64(ms) << 22
}

// send posts one message, retrying 429s and server errors with backoff.
func (p *poster) send(ctx context.Context, channel string, body messageBody) error {
	endpoint := discordgo.EndpointChannelMessages(channel)
	err := p.retry(ctx, channel, "post", func() error {
		_, err := p.session.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint,
			discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		return err
	})
	if err == nil {
		return nil
	}
	if code, reason := restStatus(err); code == http.StatusForbidden || code == http.StatusNotFound {
		// Retrying counts toward Discord's ban for invalid requests: the
		// service pauses the subscription instead.
		return &digest.UnavailableError{Reason: fmt.Sprintf("%d %s", code, reason)}
	}
	return fmt.Errorf("post to channel %s: %w", channel, err)
}

// retry calls call until it succeeds, up to postAttempts times, waiting
// with a doubling backoff after 429s (at least as long as Discord asks),
// server errors and network errors. Any other error is returned at once.
func (p *poster) retry(ctx context.Context, channel, what string, call func() error) error {
	backoff := p.backoff
	var err error
	for attempt := 1; attempt <= postAttempts; attempt++ {
		if err = call(); err == nil {
			return nil
		}
		var limited *discordgo.RateLimitError
		if errors.As(err, &limited) {
			// Wait as long as Discord asks, at least the backoff.
			if limited.RetryAfter > backoff {
				backoff = limited.RetryAfter
			}
		} else if code, _ := restStatus(err); code != 0 && code < 500 {
			return err
		}
		// Otherwise a server error or a network error: worth retrying.
		p.log.Warn("digest "+what+" failed; retrying", slog.String("channel", channel), slog.Int("attempt", attempt), slog.Duration("backoff", backoff), slog.Any("err", err))
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		backoff *= 2
	}
	return fmt.Errorf("%d attempts: %w", postAttempts, err)
}

// restStatus is the HTTP status of a REST error and Discord's message for
// it, or 0 when err carries no answer (a network error).
func restStatus(err error) (int, string) {
	var rest *discordgo.RESTError
	if !errors.As(err, &rest) || rest.Response == nil {
		return 0, ""
	}
	return rest.Response.StatusCode, restMessage(rest)
}

func restMessage(rest *discordgo.RESTError) string {
	if rest.Message != nil && rest.Message.Message != "" {
		return rest.Message.Message
	}
	return http.StatusText(rest.Response.StatusCode)
}
