package discord

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/digest"
)

// channelTTL is how long the poster trusts what it learnt of a channel: a
// channel's type rarely changes, but a forum's tags do, and a lookup costs
// a request per digest otherwise.
const channelTTL = 10 * time.Minute

// channelInfo is a channel as the poster needs it: digest.Channel, and a
// forum's tags with their IDs.
type channelInfo struct {
	digest.Channel
	tags []discordgo.ForumTag
}

type cachedChannel struct {
	info channelInfo
	at   time.Time
}

// channel looks channel id up (GET /channels/{id}), or takes it from the
// cache unless fresh is set or it is older than channelTTL. A channel
// that is gone or hidden from the bot (404, 403) is a
// *digest.UnavailableError; other failures are retried like a post.
func (p *poster) channel(ctx context.Context, id string, fresh bool) (channelInfo, error) {
	p.mu.Lock()
	c, ok := p.channels[id]
	p.mu.Unlock()
	if ok && !fresh && time.Since(c.at) < channelTTL {
		return c.info, nil
	}
	var ch *discordgo.Channel
	err := p.retry(ctx, id, "channel lookup", func() error {
		var err error
		ch, err = p.session.Channel(id, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		return err
	})
	if err != nil {
		return channelInfo{}, unavailableOr(err, "look up channel "+id)
	}
	kind, err := kindOf(ch)
	if err != nil {
		return channelInfo{}, err
	}
	info := channelInfo{Channel: digest.Channel{ID: ch.ID, GuildID: ch.GuildID, Name: ch.Name, Kind: kind}, tags: ch.AvailableTags}
	for _, t := range ch.AvailableTags {
		info.Tags = append(info.Tags, t.Name)
	}
	p.mu.Lock()
	p.channels[id] = cachedChannel{info: info, at: time.Now()}
	p.mu.Unlock()
	return info, nil
}

// cached is what the poster knows of channel id, when it looked it up
// within channelTTL.
func (p *poster) cached(id string) (channelInfo, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.channels[id]
	if !ok || time.Since(c.at) >= channelTTL {
		return channelInfo{}, false
	}
	return c.info, true
}

// kindOf is the kind of a Discord channel a digest can go to. Voice and
// stage channels have a text chat, which takes messages; a category or a
// directory takes none.
func kindOf(ch *discordgo.Channel) (digest.ChannelKind, error) {
	switch ch.Type {
	case discordgo.ChannelTypeGuildNews:
		return digest.KindAnnouncement, nil
	case discordgo.ChannelTypeGuildForum:
		return digest.KindForum, nil
	case discordgo.ChannelTypeGuildMedia:
		return digest.KindMedia, nil
	case discordgo.ChannelTypeGuildNewsThread, discordgo.ChannelTypeGuildPublicThread, discordgo.ChannelTypeGuildPrivateThread:
		return digest.KindThread, nil
	case discordgo.ChannelTypeGuildCategory, discordgo.ChannelTypeGuildDirectory:
		return 0, fmt.Errorf("channel %s is a category or directory: nothing can be posted there", ch.ID)
	default:
		return digest.KindText, nil
	}
}

// tagID finds a forum tag by name, exactly or else ignoring case, and
// looks the forum up again once when the tag is not among those cached
// (it may be new). "" when the forum has no such tag.
func (p *poster) tagID(ctx context.Context, ch *channelInfo, name string) (string, error) {
	find := func() string {
		for _, t := range ch.tags {
			if t.Name == name {
				return t.ID
			}
		}
		for _, t := range ch.tags {
			if strings.EqualFold(t.Name, name) {
				return t.ID
			}
		}
		return ""
	}
	if id := find(); id != "" {
		return id, nil
	}
	fresh, err := p.channel(ctx, ch.ID, true)
	if err != nil {
		return "", err
	}
	guild := ch.GuildID
	*ch = fresh
	if ch.GuildID == "" {
		ch.GuildID = guild
	}
	return find(), nil
}

// channelName is how a note names a channel: #name, or its ID.
func channelName(ch channelInfo) string {
	if ch.Name != "" {
		return "#" + ch.Name
	}
	return "channel " + ch.ID
}

// Channel looks a channel up for a command: its kind (what a digest there
// becomes) and a forum's tag names, from Discord (not the cache), through
// the bot's REST session. It fails before Run has started the bot; a
// channel gone or hidden from the bot is a *digest.UnavailableError.
func (b *Bot) Channel(ctx context.Context, id string) (digest.Channel, error) {
	b.mu.Lock()
	post := b.post
	b.mu.Unlock()
	if post == nil {
		return digest.Channel{}, errNotStarted
	}
	info, err := post.channel(ctx, id, true)
	return info.Channel, err
}
