package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
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
	// now is the clock that times Discord's wait for crossposts (spent).
	now func() time.Time

	mu sync.Mutex
	// channels caches what each channel is (channelTTL).
	channels map[string]cachedChannel
	// spent is, per announcement channel, until when its crossposts of
	// the hour are used up, as Discord's 429 said.
	spent map[string]time.Time
}

var _ digest.Poster = (*poster)(nil)

func newPoster(s *discordgo.Session, log *slog.Logger, backoff time.Duration) *poster {
	return &poster{session: s, log: log, backoff: backoff, now: time.Now,
		channels: map[string]cachedChannel{}, spent: map[string]time.Time{}}
}

// messageBody is a channel message with the nonce fields discordgo v0.29.0
// lacks. enforce_nonce makes Discord return the earlier message instead of
// posting again when the nonce was used in the channel recently.
type messageBody struct {
	Content         string                    `json:"content,omitempty"`
	Embeds          []*discordgo.MessageEmbed `json:"embeds"`
	AllowedMentions allowedMentions           `json:"allowed_mentions"`
	Nonce           string                    `json:"nonce,omitempty"`
	EnforceNonce    bool                      `json:"enforce_nonce,omitempty"`
}

// Post renders d as a digest reply and sends it to its channel as one
// message, or several when Discord's limits force it; part i after the
// first carries nonce-i, and every part ends its last footer with the
// digest's marker (see digestMarker). How it goes out depends on the
// channel (looked up once, then cached): a forum or media channel gets a
// forum post (forumPost), a text or announcement channel with d.Thread a
// first message and a thread from it (threaded), any other channel the
// messages themselves. Each message opens with d.Mention (see mention),
// and with d.Publish each message in an announcement channel is
// crossposted (publish).
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
// digest that never arrives. Forum posts and threads are found again the
// same way before anything is created (findPost, threaded).
//
// A channel is looked up only when how the digest goes out depends on it
// (a thread, a tag, publishing, or a pending digest, which is looked for
// where it would be): a plain digest is posted as messages, and only when
// Discord answers that the channel takes none (a forum: 50008) is it
// looked up and posted as a forum post. A bot with a thousand channels
// then spends no request a digest on lookups.
func (p *poster) Post(ctx context.Context, d digest.Post) (digest.Delivered, error) {
	looked := d.Thread || d.Tag != "" || d.Publish || !d.PendingSince.IsZero()
	var ch channelInfo
	var err error
	if cached, ok := p.cached(d.ChannelID); ok || looked {
		if ch, err = p.channel(ctx, d.ChannelID, false); err != nil {
			return digest.Delivered{}, err
		}
		looked = true
	} else {
		ch = cached
		ch.ID, ch.GuildID, ch.Kind = d.ChannelID, d.GuildID, digest.KindText
	}
	id := markerID(d.Nonce)
	dl := &delivery{p: p, d: d, ch: ch, id: id, mention: mentionOf(d.Mention),
		parts: digestMessages(command.DigestReply(d.Articles, d.Topic), id)}
	if dl.ch.GuildID == "" {
		dl.ch.GuildID = d.GuildID
	}
	if d.Publish && ch.Kind != digest.KindAnnouncement {
		dl.note("not published: only an announcement channel's messages can be published, and " + channelName(ch) + " is a " + ch.Kind.String())
	}
	if d.Tag != "" && !ch.Kind.Posts() {
		dl.note("the tag " + strconv.Quote(d.Tag) + " was not applied: only a forum post has tags, and " + channelName(ch) + " is a " + ch.Kind.String())
	}
	err = dl.deliver(ctx)
	if !looked && restCode(err) == codeNotTextChannel {
		// Not a channel of messages after all: nothing was created.
		if dl.ch, err = p.channel(ctx, d.ChannelID, true); err != nil {
			return digest.Delivered{}, err
		}
		if dl.ch.GuildID == "" {
			dl.ch.GuildID = d.GuildID
		}
		err = dl.deliver(ctx)
	}
	if err != nil {
		return digest.Delivered{}, err
	}
	return digest.Delivered{URL: dl.url, Notes: dl.notes}, nil
}

// codeNotTextChannel is Discord's answer to a message posted to a channel
// that takes none, such as a forum.
const codeNotTextChannel = 50008

// deliver sends the digest as its channel's kind asks.
func (dl *delivery) deliver(ctx context.Context) error {
	switch {
	case dl.ch.Kind.Posts():
		return dl.forumPost(ctx)
	case dl.d.Thread && (dl.ch.Kind == digest.KindText || dl.ch.Kind == digest.KindAnnouncement):
		return dl.threaded(ctx)
	default:
		return dl.messages(ctx)
	}
}

// delivery is one digest on its way: what Post works with and what it
// found out.
type delivery struct {
	p       *poster
	d       digest.Post
	ch      channelInfo
	id      string // the digest's marker ID
	parts   []digestMessage
	mention mention

	url   string
	notes []string
}

// note adds what went otherwise than asked, once.
func (dl *delivery) note(s string) {
	if !slices.Contains(dl.notes, s) {
		dl.notes = append(dl.notes, s)
	}
}

// link is the address of a message, or of a thread when message is "".
func (dl *delivery) link(channel, message string) string {
	u := "https://discord.com/channels/" + dl.ch.GuildID + "/" + channel
	if message != "" {
		u += "/" + message
	}
	return u
}

// pending reports whether the digest may already be out, in part.
func (dl *delivery) pending() bool { return !dl.d.PendingSince.IsZero() }

// body is part i as a message: its nonce (nonce-i after the first), the
// mention, and allowed mentions naming exactly it.
func (dl *delivery) body(i int) messageBody {
	m := dl.parts[i]
	body := messageBody{Content: dl.mention.open(m.content), Embeds: m.embeds, AllowedMentions: dl.mention.allowed(),
		Nonce: dl.d.Nonce, EnforceNonce: true}
	if i > 0 {
		body.Nonce = dl.d.Nonce + "-" + strconv.Itoa(i)
	}
	return body
}

// messages sends the digest's parts to the channel as messages, each
// published when asked; the parts already there (a pending digest) are
// not sent again, only published if they are not yet.
func (dl *delivery) messages(ctx context.Context) error {
	channel := dl.d.ChannelID
	found, err := dl.readBack(ctx, channel, wantParts(len(dl.parts), 0, len(dl.parts)))
	if err != nil {
		return err
	}
	for i := range dl.parts {
		if found[i] == nil {
			if found[i], err = dl.send(ctx, channel, i); err != nil {
				return err
			}
		}
		if err := dl.publish(ctx, found[i]); err != nil {
			return err
		}
	}
	dl.url = dl.link(channel, found[0].ID)
	return nil
}

// readBack returns the parts of the digest wanted that are already in
// channel, nil for the others (and for all when the digest is not
// pending). When Discord refuses the read it warns and returns none: the
// parts are sent again with their nonces rather than lost.
func (dl *delivery) readBack(ctx context.Context, channel string, want []bool) ([]*discordgo.Message, error) {
	if !dl.pending() {
		return make([]*discordgo.Message, len(dl.parts)), nil
	}
	found, err := dl.p.readBack(ctx, channel, dl.id, dl.d.PendingSince, want)
	switch {
	case errors.Is(err, errHistoryForbidden):
		// Posting again keeps the digest from being lost; its
		// nonce still prevents a duplicate within Discord's window.
		dl.p.log.Warn("digest: cannot read the channel back to see whether a pending digest went out (the bot needs Read Message History there); "+
			"posting it again with its nonce: if the first post landed more than a few minutes ago it shows twice",
			slog.String("channel", channel), slog.String("digest", dl.id), slog.Any("err", err))
		return make([]*discordgo.Message, len(dl.parts)), nil
	case err != nil:
		return nil, err
	}
	if n := countFound(found); n > 0 {
		dl.p.log.Info("digest: found a pending digest in its channel; posting only what is missing",
			slog.String("channel", channel), slog.String("digest", dl.id), slog.Int("found", n), slog.Int("parts", len(dl.parts)))
	}
	return found, nil
}

// send posts part i to channel (the digest's, or its thread) and notes a
// mention Discord did not make.
func (dl *delivery) send(ctx context.Context, channel string, i int) (*discordgo.Message, error) {
	m, err := dl.p.send(ctx, channel, dl.body(i))
	if ue, ok := errors.AsType[*digest.UnavailableError](err); ok && channel != dl.ch.ID {
		return nil, &digest.UnavailableError{Reason: ue.Reason + " (posting in a thread needs Send Messages in Threads)"}
	}
	if err != nil {
		return nil, err
	}
	dl.checkMention(m)
	return m, nil
}

// wantParts is the parts from..to-1 of total, for readBack.
func wantParts(total, from, to int) []bool {
	want := make([]bool, total)
	for i := from; i < to; i++ {
		want[i] = true
	}
	return want
}

func countFound(ms []*discordgo.Message) int {
	n := 0
	for _, m := range ms {
		if m != nil {
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
// readBackSlack), and returns the parts of it that want asks for which are
// there, nil for the others. It pages forward from that time (after=,
// oldest first) until it has seen every message or found every part
// wanted. A 403 is an error wrapping errHistoryForbidden, a 404 a
// *digest.UnavailableError (the channel is gone); other failures are
// retried like a post, then returned, and the digest stays pending: not
// knowing is never taken for "not there".
func (p *poster) readBack(ctx context.Context, channel, id string, since time.Time, want []bool) ([]*discordgo.Message, error) {
	total := len(want)
	found := make([]*discordgo.Message, total)
	missing := 0
	for _, w := range want {
		if w {
			missing++
		}
	}
	after := snowflakeAt(since.Add(-readBackSlack))
	self := p.selfID()
	for missing > 0 {
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
			if part, ok := markedPart(m, id, self); ok && part <= total && want[part-1] && found[part-1] == nil {
				found[part-1] = m
				missing--
			}
		}
		if len(page) < historyPage {
			break
		}
		if next == after {
			return nil, fmt.Errorf("read back channel %s: a full page after message %d held no newer message", channel, after)
		}
		after = next
	}
	return found, nil
}

// markedPart reads which part of digest id message m is, if it is the
// bot's (self; "" when unknown) and carries that digest's marker.
func markedPart(m *discordgo.Message, id, self string) (int, bool) {
	// Only the bot's own messages count: another bot could copy a footer.
	if self != "" && (m.Author == nil || m.Author.ID != self) {
		return 0, false
	}
	for _, e := range m.Embeds {
		if e == nil || e.Footer == nil {
			continue
		}
		if mid, part, ok := parseMarker(e.Footer.Text); ok && mid == id {
			return part, true
		}
	}
	return 0, false
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

// send posts one message, retrying 429s and server errors with backoff,
// and returns it as Discord created it.
func (p *poster) send(ctx context.Context, channel string, body messageBody) (*discordgo.Message, error) {
	endpoint := discordgo.EndpointChannelMessages(channel)
	var m *discordgo.Message
	err := p.retry(ctx, channel, "post", func() error {
		b, err := p.session.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint,
			discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		if err != nil {
			return err
		}
		return json.Unmarshal(b, &m)
	})
	if err == nil && m != nil {
		return m, nil
	}
	if err == nil {
		return nil, fmt.Errorf("post to channel %s: Discord answered no message", channel)
	}
	return nil, unavailableOr(err, "post to channel "+channel)
}

// unavailableOr is err as a *digest.UnavailableError when Discord answered
// 403 or 404, and otherwise err wrapped with what.
func unavailableOr(err error, what string) error {
	if code, reason := restStatus(err); code == http.StatusForbidden || code == http.StatusNotFound {
		// Retrying counts toward Discord's ban for invalid requests: the
		// service pauses the subscription instead.
		return &digest.UnavailableError{Reason: fmt.Sprintf("%d %s", code, reason)}
	}
	return fmt.Errorf("%s: %w", what, err)
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
		if _, ok := errors.AsType[hourlyLimit](err); ok {
			return err
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

// restMessage is Discord's message for a REST error with its error code,
// "Missing Permissions (50013)", which is what an admin looks up; the
// status text when Discord gave no message.
func restMessage(rest *discordgo.RESTError) string {
	if rest.Message != nil && rest.Message.Message != "" {
		if rest.Message.Code != 0 {
			return fmt.Sprintf("%s (%d)", rest.Message.Message, rest.Message.Code)
		}
		return rest.Message.Message
	}
	return http.StatusText(rest.Response.StatusCode)
}
