package discord

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/digest"
)

// codeThreadExists is Discord's error for a second thread from a message.
const codeThreadExists = 160004

// threadArchiveMinutes is how long a digest's thread stays active without
// a message: a day, Discord's default.
const threadArchiveMinutes = 1440

// threaded delivers the digest as a first message in the channel (published
// when asked) and a thread named after the digest started from it, which
// gets the other parts. A pending digest's first message is looked for in
// the channel first and, when found, the thread already hanging off it
// (whose ID is the message's), and its parts in it: only what is missing
// is sent or started.
func (dl *delivery) threaded(ctx context.Context) error {
	channel := dl.d.ChannelID
	found, err := dl.readBack(ctx, channel, wantParts(len(dl.parts), 0, 1))
	if err != nil {
		return err
	}
	first := found[0]
	if first == nil {
		if first, err = dl.send(ctx, channel, 0); err != nil {
			return err
		}
	}
	if err := dl.publish(ctx, first); err != nil {
		return err
	}
	dl.url = dl.link(channel, first.ID)
	thread, existed, err := dl.startThread(ctx, first)
	if err != nil {
		return err
	}
	inThread := make([]*discordgo.Message, len(dl.parts))
	if existed && len(dl.parts) > 1 {
		if inThread, err = dl.readBack(ctx, thread, wantParts(len(dl.parts), 1, len(dl.parts))); err != nil {
			return err
		}
	}
	for i := 1; i < len(dl.parts); i++ {
		if inThread[i] == nil {
			if _, err := dl.send(ctx, thread, i); err != nil {
				return err
			}
		}
	}
	return nil
}

// startThread starts the digest's thread from its first message msg and
// returns the thread's ID (the message's), and whether it was there
// already: msg shows a thread, or Discord answers that one was started
// (160004), which also makes a retry after a lost answer safe. A 403 (no
// Create Public Threads) pauses the subscription like a channel the bot
// cannot post to.
func (dl *delivery) startThread(ctx context.Context, msg *discordgo.Message) (string, bool, error) {
	if msg.Thread != nil || msg.Flags&discordgo.MessageFlagsHasThread != 0 {
		return msg.ID, true, nil
	}
	body := map[string]any{"name": threadName(dl.d.Name), "auto_archive_duration": threadArchiveMinutes}
	endpoint := discordgo.EndpointChannelMessageThread(msg.ChannelID, msg.ID)
	err := dl.p.retry(ctx, msg.ChannelID, "start a thread", func() error {
		_, err := dl.p.session.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint,
			discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		return err
	})
	switch code, reason := restStatus(err); {
	case err == nil:
		return msg.ID, false, nil
	case code == http.StatusBadRequest && restCode(err) == codeThreadExists:
		dl.p.log.Info("digest: the thread of a pending digest's first message was started already",
			slog.String("channel", msg.ChannelID), slog.String("thread", msg.ID))
		return msg.ID, true, nil
	case code == http.StatusForbidden:
		return "", false, &digest.UnavailableError{Reason: fmt.Sprintf("%d %s (starting a thread needs Create Public Threads)", code, reason)}
	default:
		return "", false, unavailableOr(err, "start a thread from message "+msg.ID)
	}
}
