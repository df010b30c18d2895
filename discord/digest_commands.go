package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"newsbrief/digest"
)

func (d *Digests) register(r *Router) {
	r.Handle("digest subscribe", d.subscribe)
	r.HandleAutocomplete("digest subscribe", d.completeTimezone)
	r.Handle("digest unsubscribe", d.unsubscribe)
	r.Handle("digest list", d.list)
	r.Handle("digest preview", d.preview)
}

func requireGuild(req Request) error {
	if req.GuildID == "" {
		return Userf("Digests belong to a server's channels: use /digest in a server.")
	}
	return nil
}

func (d *Digests) subscribe(ctx context.Context, req Request) (Reply, error) {
	if err := requireGuild(req); err != nil {
		return Reply{}, err
	}
	channel := strings.TrimSpace(req.String("channel"))
	if channel == "" {
		return Reply{}, Userf("Pick the channel the digest goes to.")
	}
	count, err := req.IntIn("count", defaultCount, minCount, maxCount)
	if err != nil {
		return Reply{}, err
	}
	zone := strings.TrimSpace(req.String("timezone"))
	loc := d.loc
	if zone != "" {
		if loc, err = loadZone(zone); err != nil {
			return Reply{}, err
		}
	} else {
		zone = d.loc.String()
	}
	spec := strings.Join(strings.Fields(req.String("schedule")), " ")
	now := time.Now()
	sched, err := ParseSchedule(spec, loc, d.minInterval, now)
	if err != nil {
		return Reply{}, err
	}
	topic := strings.TrimSpace(req.String("topic"))
	sub, err := d.store.PutSubscription(ctx, digest.Subscription{
		GuildID: req.GuildID, ChannelID: channel, Schedule: spec, Timezone: zone,
		Count: count, Topic: topic, CreatedBy: req.UserID, CreatedAt: now,
	})
	if err != nil {
		return Reply{}, fmt.Errorf("subscribe channel %s: %w", channel, err)
	}
	d.add(sub.ID, sched)

	var b strings.Builder
	fmt.Fprintf(&b, "Subscribed <#%s> to a digest of up to %d new %s", channel, count, plural(count, "article", "articles"))
	if topic != "" {
		fmt.Fprintf(&b, " about %q", topic)
	}
	fmt.Fprintf(&b, ", %s (%s).\nNext runs:", describeSchedule(spec), zone)
	for _, t := range nextRuns(sched, now, 3) {
		fmt.Fprintf(&b, "\n• %s (%s)", discordTime(t, 'F'), discordTime(t, 'R'))
	}
	return Reply{Content: b.String(), Ephemeral: true}, nil
}

func (d *Digests) completeTimezone(_ context.Context, req Request) (Reply, error) {
	if req.Focused != "timezone" {
		return Reply{}, nil
	}
	return Reply{Choices: completeZones(req.String("timezone"), maxChoices)}, nil
}

func (d *Digests) unsubscribe(ctx context.Context, req Request) (Reply, error) {
	if err := requireGuild(req); err != nil {
		return Reply{}, err
	}
	channel := strings.TrimSpace(req.String("channel"))
	sub, err := d.store.Subscription(ctx, req.GuildID, channel)
	if errors.Is(err, digest.ErrNotFound) {
		return Reply{}, Userf("<#%s> has no digest subscription. /digest list shows this server's.", channel)
	}
	if err != nil {
		return Reply{}, err
	}
	if _, err := d.store.DeleteSubscription(ctx, req.GuildID, channel); err != nil {
		return Reply{}, err
	}
	d.remove(sub.ID)
	return Reply{Content: fmt.Sprintf("Unsubscribed <#%s>: no more digests will be posted there.", channel), Ephemeral: true}, nil
}

func (d *Digests) list(ctx context.Context, req Request) (Reply, error) {
	if err := requireGuild(req); err != nil {
		return Reply{}, err
	}
	subs, err := d.store.Subscriptions(ctx, req.GuildID)
	if err != nil {
		return Reply{}, err
	}
	if len(subs) == 0 {
		return Reply{Content: "This server has no digest subscriptions. Create one with /digest subscribe.", Ephemeral: true}, nil
	}
	rep := Reply{Content: fmt.Sprintf("%d digest %s in this server:", len(subs), plural(len(subs), "subscription", "subscriptions")), Ephemeral: true}
	for _, s := range subs {
		// Embed titles cannot show a channel mention; the description can.
		card := Card{Description: fmt.Sprintf("<#%s>: a digest %s", s.ChannelID, describeSchedule(s.Schedule))}
		topic := s.Topic
		if topic == "" {
			topic = "(all)"
		}
		next := "-"
		if s.Paused != "" {
			next = "paused: " + s.Paused + " (subscribe again to resume)"
		} else if t := d.nextRun(s, time.Now()); !t.IsZero() {
			next = discordTime(t, 'F')
		}
		last := "never"
		if !s.LastRunAt.IsZero() {
			last = discordTime(s.LastRunAt, 'f') + ": " + s.LastOutcome
		}
		card.Fields = []Field{
			{Name: "Schedule", Value: "`" + s.Schedule + "`", Inline: true},
			{Name: "Time zone", Value: s.Timezone, Inline: true},
			{Name: "Count", Value: fmt.Sprint(s.Count), Inline: true},
			{Name: "Topic", Value: topic, Inline: true},
			{Name: "Next run", Value: next},
			{Name: "Last run", Value: last},
		}
		rep.Cards = append(rep.Cards, card)
	}
	return rep, nil
}

// preview shows what this channel's next digest would post, posting
// nothing. Without a subscription it shows the default digest.
func (d *Digests) preview(ctx context.Context, req Request) (Reply, error) {
	if err := requireGuild(req); err != nil {
		return Reply{}, err
	}
	count, topic, note := defaultCount, "", "This channel has no subscription; this is the default digest."
	var posted func([]string) (map[string]bool, error)
	sub, err := d.store.Subscription(ctx, req.GuildID, req.ChannelID)
	switch {
	case err == nil:
		count, topic, note = sub.Count, sub.Topic, "Preview of this channel's next digest (nothing was posted):"
		posted = func(ids []string) (map[string]bool, error) { return d.store.PostedIDs(ctx, sub.ID, ids) }
	case !errors.Is(err, digest.ErrNotFound):
		return Reply{}, err
	}
	articles, err := ComposeDigest(d.lib, count, topic, posted)
	if err != nil {
		return Reply{}, err
	}
	if len(articles) == 0 {
		return Reply{Content: note + "\nNothing new to post.", Ephemeral: true}, nil
	}
	return Reply{Content: note + "\n" + DigestHeading(len(articles), topic), Cards: DigestCards(articles), Ephemeral: true}, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
