package digest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"newsbrief/briefs"
)

// Subscribe creates or replaces the subscription named sub.Name (an empty
// one gets DefaultName) of sub.GuildID and sub.ChannelID and schedules
// it; a preview (PreviewGuild) is stored but never scheduled. An empty
// Timezone means the service's default zone. An exclude option that does
// not parse is an error. A schedule that does not parse, never fires or runs too
// often is a *ScheduleError; an unknown zone wraps ErrUnknownZone. It
// returns the stored subscription.
func (s *Service) Subscribe(ctx context.Context, sub Subscription) (Subscription, error) {
	loc := s.loc
	if sub.Timezone != "" {
		var err error
		if loc, err = LoadZone(sub.Timezone); err != nil {
			return Subscription{}, err
		}
	} else {
		sub.Timezone = s.loc.String()
	}
	sub.Schedule = strings.Join(strings.Fields(sub.Schedule), " ")
	if IsInstant(sub.Schedule) {
		sub.Schedule = Instant
	}
	if sub.Name == "" {
		sub.Name = DefaultName(sub.Source, sub.Topic)
	}
	if _, err := ParseExclude(sub.Exclude); err != nil {
		return Subscription{}, err
	}
	if sub.CreatedAt.IsZero() {
		sub.CreatedAt = s.clock.Now()
	}
	sched, err := ParseSchedule(sub.Schedule, loc, s.minInterval, sub.CreatedAt)
	if err != nil {
		return Subscription{}, err
	}
	sub.NextRun = sched.Next(sub.CreatedAt)
	if sub.IsPreview() {
		// Never scheduled: no runner finds it due.
		sub.NextRun = time.Time{}
	}
	stored, err := s.store.PutSubscription(ctx, sub)
	if err != nil {
		return Subscription{}, fmt.Errorf("subscribe channel %s: %w", sub.ChannelID, err)
	}
	s.poke()
	return stored, nil
}

// Unsubscribe deletes the channel's subscription of that name, which
// stops its runs; without a name, the channel's only subscription. A
// channel without it is an error wrapping ErrNotFound, an empty name in a
// channel of several one wrapping ErrNameNeeded.
func (s *Service) Unsubscribe(ctx context.Context, guildID, channelID, name string) error {
	sub, err := s.Find(ctx, guildID, channelID, name)
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	ok, err := s.store.DeleteSubscription(ctx, guildID, channelID, sub.Name)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("unsubscribe guild=%s channel=%s name=%q: %w", guildID, channelID, sub.Name, ErrNotFound)
	}
	s.poke()
	return nil
}

// ErrNameNeeded: a channel has several subscriptions and the request did
// not say which.
var ErrNameNeeded = errors.New("the channel has several digests: name one")

// Find returns the channel's subscription of that name; without a name,
// the channel's only one (an error wrapping ErrNameNeeded when it has
// several, ErrNotFound when none).
func (s *Service) Find(ctx context.Context, guildID, channelID, name string) (Subscription, error) {
	if name != "" {
		return s.store.Subscription(ctx, guildID, channelID, name)
	}
	subs, err := s.InChannel(ctx, guildID, channelID)
	switch {
	case err != nil:
		return Subscription{}, err
	case len(subs) == 0:
		return Subscription{}, fmt.Errorf("channel %s: %w", channelID, ErrNotFound)
	case len(subs) > 1:
		names := make([]string, len(subs))
		for i, sub := range subs {
			names[i] = sub.Name
		}
		return Subscription{}, fmt.Errorf("%w (%s)", ErrNameNeeded, strings.Join(names, ", "))
	}
	return subs[0], nil
}

// InChannel lists the channel's subscriptions, by name.
func (s *Service) InChannel(ctx context.Context, guildID, channelID string) ([]Subscription, error) {
	all, err := s.store.Subscriptions(ctx, guildID)
	if err != nil {
		return nil, err
	}
	var out []Subscription
	for _, sub := range all {
		if sub.ChannelID == channelID {
			out = append(out, sub)
		}
	}
	return out, nil
}

// Resume takes a paused subscription up again where it stopped: the runs
// it missed meanwhile follow the missed-run grace, as after a restart.
func (s *Service) Resume(ctx context.Context, guildID, channelID, name string) (Subscription, error) {
	sub, err := s.Find(ctx, guildID, channelID, name)
	if err != nil {
		return Subscription{}, fmt.Errorf("resume: %w", err)
	}
	stored, err := s.store.PutSubscription(ctx, sub) // clears Paused, keeps NextRun
	if err != nil {
		return Subscription{}, fmt.Errorf("resume %q: %w", sub.Name, err)
	}
	s.poke()
	return stored, nil
}

// History returns the subscription's last n runs, newest first.
func (s *Service) History(ctx context.Context, sub Subscription, n int) ([]RunRecord, error) {
	return s.store.History(ctx, sub.ID, n)
}

// List returns the guild's subscriptions.
func (s *Service) List(ctx context.Context, guildID string) ([]Subscription, error) {
	return s.store.Subscriptions(ctx, guildID)
}

// Preview is what a channel's next digest would post now.
type Preview struct {
	// Subscribed is false when the channel has no subscription: the
	// articles are then the default digest's.
	Subscribed bool
	Name       string
	Topic      string
	Source     string
	Articles   []briefs.Article
	// Left are the newer stories left out, each with why.
	Left []Left
}

// Preview composes the next digest of the channel's subscription of that
// name (or its only one), posting nothing. Without a subscription it is
// the newest defaultCount articles.
func (s *Service) Preview(ctx context.Context, guildID, channelID, name string, defaultCount int) (Preview, error) {
	var p Preview
	c := Criteria{Count: defaultCount}
	var posted func([]string) (map[string]bool, error)
	sub, err := s.Find(ctx, guildID, channelID, name)
	switch {
	case err == nil:
		p.Subscribed, p.Name, p.Topic, p.Source = true, sub.Name, sub.Topic, sub.Source
		c = CriteriaOf(sub)
		if IsInstant(sub.Schedule) {
			c = s.instantCriteria(sub, s.clock.Now())
		}
		posted = func(ids []string) (map[string]bool, error) { return s.store.PostedIDs(ctx, sub.ID, ids) }
	case name != "" || !errors.Is(err, ErrNotFound):
		return Preview{}, err
	}
	sel, err := Select(ctx, s.lib, c, posted)
	if err != nil {
		return Preview{}, err
	}
	p.Articles, p.Left = sel.Articles, sel.Left
	if p.Subscribed {
		s.datePosted(ctx, sub, p.Left)
	}
	if err := s.lib.FullAll(ctx, p.Articles); err != nil {
		s.log.Warn("digest preview: an article's body could not be read", slog.Any("err", err))
	}
	return p, nil
}

// datePosted adds to each story left out because it was posted the day
// it was, in the subscription's zone: "already posted on 5 December".
func (s *Service) datePosted(ctx context.Context, sub Subscription, left []Left) {
	var ids []string
	for _, l := range left {
		if l.Posted != "" {
			ids = append(ids, l.Posted)
		}
	}
	if len(ids) == 0 {
		return
	}
	on, err := s.store.PostedOn(ctx, sub.ID, ids)
	if err != nil {
		s.log.Warn("digest preview: when stories were posted", slog.Any("err", err))
		return
	}
	loc := s.zoneOf(sub)
	for i, l := range left {
		if t := on[l.Posted]; !t.IsZero() {
			left[i].Reason += " on " + t.In(loc).Format("2 January")
		}
	}
}
