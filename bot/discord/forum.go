package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/command"
)

const (
	// maxThreadName is Discord's longest thread (and forum post) name.
	maxThreadName = 100
	// defaultThreadName names a post or thread whose digest has no name.
	defaultThreadName = "News digest"
)

// threadName is a digest's name as a thread's: cut to Discord's limit.
func threadName(name string) string {
	if name == "" {
		return defaultThreadName
	}
	return command.Truncate(name, maxThreadName)
}

// forumPostBody is POST /channels/{forum}/threads: a forum post and its
// starter message (which takes no nonce: a post is found again by its
// marker, see findPost).
type forumPostBody struct {
	Name        string      `json:"name"`
	AppliedTags []string    `json:"applied_tags,omitempty"`
	Message     messageBody `json:"message"`
}

// forumPost delivers the digest as a forum post: a thread named after the
// digest whose starter message is the first part, the other parts posted
// into it. A pending digest's post is looked for first (findPost) and,
// when found, gets only the parts it lacks.
func (dl *delivery) forumPost(ctx context.Context) error {
	var thread string
	if dl.pending() {
		th, starter, err := dl.findPost(ctx, dl.d.PendingSince)
		if err != nil {
			return err
		}
		if th != "" {
			dl.p.log.Info("digest: found a pending digest's forum post; posting only what is missing",
				slog.String("channel", dl.ch.ID), slog.String("post", th), slog.String("digest", dl.id))
			dl.checkMention(starter)
		}
		thread = th
	}
	found := make([]*discordgo.Message, len(dl.parts))
	if thread == "" {
		th, err := dl.createPost(ctx)
		if err != nil {
			return err
		}
		thread = th
	} else if len(dl.parts) > 1 {
		var err error
		if found, err = dl.readBack(ctx, thread, wantParts(len(dl.parts), 1, len(dl.parts))); err != nil {
			return err
		}
	}
	dl.url = dl.link(thread, "")
	for i := 1; i < len(dl.parts); i++ {
		if found[i] == nil {
			if _, err := dl.send(ctx, thread, i); err != nil {
				return err
			}
		}
	}
	return nil
}

// createPost makes the forum post, with the tag asked for when the forum
// has it (else without, and a note), and returns its ID. A post's
// creation takes no nonce, so an attempt whose answer is lost (a network
// error or a server error) may have made it: before trying again,
// createPost looks for it (findPost) and takes it when it is there.
func (dl *delivery) createPost(ctx context.Context) (string, error) {
	p := dl.p
	body := forumPostBody{Name: threadName(dl.d.Name), Message: dl.body(0)}
	body.Message.Nonce, body.Message.EnforceNonce = "", false
	if dl.d.Tag != "" {
		id, err := p.tagID(ctx, &dl.ch, dl.d.Tag)
		if err != nil {
			return "", err
		}
		if id == "" {
			dl.note(fmt.Sprintf("posted without the tag %q: %s has no such tag", dl.d.Tag, channelName(dl.ch)))
		} else {
			body.AppliedTags = []string{id}
		}
	}
	endpoint := discordgo.EndpointChannelThreads(dl.ch.ID)
	since := time.Now()
	backoff := p.backoff
	for attempt := 1; ; attempt++ {
		b, err := p.session.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint,
			discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		if err == nil {
			var post struct {
				ID      string             `json:"id"`
				Message *discordgo.Message `json:"message"`
			}
			if err := json.Unmarshal(b, &post); err != nil || post.ID == "" {
				return "", fmt.Errorf("forum post in channel %s: Discord's answer holds no post: %v", dl.ch.ID, err)
			}
			dl.checkMention(post.Message)
			return post.ID, nil
		}
		code, _ := restStatus(err)
		limited, isLimited := errors.AsType[*discordgo.RateLimitError](err)
		switch {
		case isLimited:
			backoff = max(backoff, limited.RetryAfter)
		case code != 0 && code < 500:
			return "", unavailableOr(err, "forum post in channel "+dl.ch.ID)
		default:
			// Made or not: look before making it again.
			th, starter, ferr := dl.findPost(ctx, since)
			if ferr != nil {
				return "", fmt.Errorf("forum post in channel %s: %w; looking for it: %w", dl.ch.ID, err, ferr)
			}
			if th != "" {
				p.log.Info("digest: a forum post whose answer was lost was made; continuing in it",
					slog.String("channel", dl.ch.ID), slog.String("post", th), slog.Any("err", err))
				dl.checkMention(starter)
				return th, nil
			}
		}
		if attempt == postAttempts {
			return "", fmt.Errorf("forum post in channel %s: %d attempts: %w", dl.ch.ID, postAttempts, err)
		}
		p.log.Warn("digest forum post failed; retrying", slog.String("channel", dl.ch.ID), slog.Int("attempt", attempt),
			slog.Duration("backoff", backoff), slog.Any("err", err))
		if err := waitTimer(ctx, backoff); err != nil {
			return "", err
		}
		backoff *= 2
	}
}

// findPost looks for the digest's forum post made since (less
// readBackSlack): among the guild's active threads of the forum, then the
// forum's archived ones, the bot's threads whose ID (a snowflake) is that
// recent, the one whose starter message carries the digest's marker as
// its first part. It returns the post's ID and starter message, "" when
// there is none. When Discord refuses to list the archived posts (the bot
// lacks Read Message History) it warns and reports none, and the digest
// is posted again rather than lost.
func (dl *delivery) findPost(ctx context.Context, since time.Time) (string, *discordgo.Message, error) {
	th, starter, err := dl.lookForPost(ctx, since)
	if errors.Is(err, errHistoryForbidden) {
		dl.p.log.Warn("digest: cannot read the forum's posts back to see whether a pending digest went out (the bot needs Read Message History there); "+
			"posting it again: if it was posted already it shows twice",
			slog.String("channel", dl.ch.ID), slog.String("digest", dl.id), slog.Any("err", err))
		return "", nil, nil
	}
	return th, starter, err
}

// lookForPost is findPost, a refused read an error wrapping
// errHistoryForbidden.
func (dl *delivery) lookForPost(ctx context.Context, since time.Time) (string, *discordgo.Message, error) {
	p := dl.p
	from := since.Add(-readBackSlack)
	cutoff := snowflakeAt(from)
	self := p.selfID()
	ours := func(th *discordgo.Channel) bool {
		n, err := strconv.ParseUint(th.ID, 10, 64)
		return err == nil && n >= cutoff && th.ParentID == dl.ch.ID && (self == "" || th.OwnerID == "" || th.OwnerID == self)
	}
	var active *discordgo.ThreadsList
	err := p.retry(ctx, dl.ch.ID, "list active threads", func() error {
		var err error
		active, err = p.session.GuildThreadsActive(dl.ch.GuildID, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		return err
	})
	if err != nil {
		return "", nil, unavailableOr(err, "list the active threads of guild "+dl.ch.GuildID)
	}
	if th, starter, err := dl.starterOf(ctx, active.Threads, ours); th != "" || err != nil {
		return th, starter, err
	}
	var before string
	for {
		page, err := dl.archivedPosts(ctx, before)
		if err != nil {
			return "", nil, err
		}
		if th, starter, err := dl.starterOf(ctx, page.Threads, ours); th != "" || err != nil {
			return th, starter, err
		}
		if !page.HasMore || len(page.Threads) == 0 {
			return "", nil, nil
		}
		last := page.Threads[len(page.Threads)-1].ThreadMetadata
		// Archived before the digest was made: so were the rest.
		if last == nil || last.ArchiveTimestamp.Before(from) {
			return "", nil, nil
		}
		before = last.ArchiveTimestamp.Format(time.RFC3339Nano)
	}
}

// archivedPosts reads a page of the forum's archived public threads,
// archived before before ("" for the most recent). discordgo's own call
// sends before to the second, which would skip posts archived within
// the second of a page's last.
func (dl *delivery) archivedPosts(ctx context.Context, before string) (*discordgo.ThreadsList, error) {
	endpoint := discordgo.EndpointChannelPublicArchivedThreads(dl.ch.ID)
	q := url.Values{"limit": {strconv.Itoa(historyPage)}}
	if before != "" {
		q.Set("before", before)
	}
	var page *discordgo.ThreadsList
	err := dl.p.retry(ctx, dl.ch.ID, "list archived threads", func() error {
		b, err := dl.p.session.RequestWithBucketID(http.MethodGet, endpoint+"?"+q.Encode(), nil, endpoint,
			discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		if err != nil {
			return err
		}
		return json.Unmarshal(b, &page)
	})
	if code, reason := restStatus(err); code == http.StatusForbidden {
		return nil, fmt.Errorf("archived threads of channel %s: %s: %w", dl.ch.ID, reason, errHistoryForbidden)
	}
	if err != nil {
		return nil, unavailableOr(err, "list the archived threads of channel "+dl.ch.ID)
	}
	return page, nil
}

// starterOf returns the first of threads that keep accepts whose starter
// message (the one with the thread's ID) is the bot's first part of the
// digest, with that message; "" when none is.
func (dl *delivery) starterOf(ctx context.Context, threads []*discordgo.Channel, keep func(*discordgo.Channel) bool) (string, *discordgo.Message, error) {
	self := dl.p.selfID()
	for _, th := range threads {
		if th == nil || !keep(th) {
			continue
		}
		var m *discordgo.Message
		err := dl.p.retry(ctx, th.ID, "read a post's starter message", func() error {
			var err error
			m, err = dl.p.session.ChannelMessage(th.ID, th.ID, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
			return err
		})
		switch code, reason := restStatus(err); {
		case code == http.StatusNotFound:
			continue // its starter message was deleted
		case code == http.StatusForbidden:
			return "", nil, fmt.Errorf("read post %s: %s: %w", th.ID, reason, errHistoryForbidden)
		case err != nil:
			return "", nil, fmt.Errorf("read post %s's starter message: %w", th.ID, err)
		}
		if part, ok := markedPart(m, dl.id, self); ok && part == 1 {
			return th.ID, m, nil
		}
	}
	return "", nil, nil
}
