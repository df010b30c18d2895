package command

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/briefs"
	"newsbrief/briefs/summarize"
)

// DigestHandlers answers /digest over the digest service: they read the
// options, word the service's answers and refusals for users, and leave
// scheduling and storage to the service.
type DigestHandlers struct {
	Service *digest.Service
	// Sources names the sources a subscription may pick; nil takes any
	// name as typed.
	Sources Sources
}

// Register adds the /digest handlers to r.
func (h DigestHandlers) Register(r *Router) {
	r.Handle("digest subscribe", h.subscribe)
	r.HandleAutocomplete("digest subscribe", h.complete)
	r.Handle("digest unsubscribe", h.unsubscribe)
	r.Handle("digest list", h.list)
	r.Handle("digest preview", h.preview)
}

func requireGuild(req Request) error {
	if req.GuildID == "" {
		return Userf("Digests belong to a server's channels: use /digest in a server.")
	}
	return nil
}

func (h DigestHandlers) subscribe(ctx context.Context, req Request) (Reply, error) {
	if err := requireGuild(req); err != nil {
		return Reply{}, err
	}
	channel := strings.TrimSpace(req.String("channel"))
	if channel == "" {
		return Reply{}, Userf("Pick the channel the digest goes to.")
	}
	count, err := req.IntIn("count", DefaultCount, MinCount, MaxCount)
	if err != nil {
		return Reply{}, err
	}
	zone := strings.TrimSpace(req.String("timezone"))
	topic := strings.TrimSpace(req.String("topic"))
	source, err := resolveSource(h.Sources, req.String("source"))
	if err != nil {
		return Reply{}, err
	}
	sub, err := h.Service.Subscribe(ctx, digest.Subscription{
		GuildID: req.GuildID, ChannelID: channel, Schedule: req.String("schedule"), Timezone: zone,
		Count: count, Topic: topic, Source: source, CreatedBy: req.UserID,
	})
	if err != nil {
		return Reply{}, subscribeError(err, zone)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Subscribed <#%s> to a digest of up to %d new %s", channel, count, plural(count, "article", "articles"))
	if source != "" {
		fmt.Fprintf(&b, " from %s", source)
	}
	if topic != "" {
		fmt.Fprintf(&b, " about %q", topic)
	}
	fmt.Fprintf(&b, ", %s (%s).\nNext runs:", describeSchedule(sub.Schedule), sub.Timezone)
	for _, t := range h.Service.NextRuns(sub, sub.CreatedAt, 3) {
		fmt.Fprintf(&b, "\n• %s (%s)", Timestamp(t, 'F'), Timestamp(t, 'R'))
	}
	if sub.IsPreview() {
		b.WriteString("\n" + previewNote)
	}
	return Reply{Content: b.String(), Ephemeral: true}, nil
}

// previewNote tells the console's user what becomes of its subscriptions.
const previewNote = "This is the console: the subscription is only a preview, never posted (a bot running on the same database skips it too)."

// nextRun is the list's "Next run": the stored next run, which is what the
// runners go by, or when there is none (a subscription the runner has not
// scheduled yet) the schedule's next time after now.
func (h DigestHandlers) nextRun(s digest.Subscription, now time.Time) string {
	switch {
	case s.Paused != "":
		return "paused: " + EscapeMarkdown(s.Paused) + " (subscribe again to resume)"
	case s.IsPreview():
		return "never: made in the console, a preview"
	case !s.NextRun.IsZero():
		return Timestamp(s.NextRun, 'F')
	}
	if t := h.Service.NextRuns(s, now, 1); len(t) > 0 {
		return Timestamp(t[0], 'F')
	}
	return "-"
}

// scheduleExample is shown whenever a schedule is refused.
const scheduleExample = "Examples: `0 9 * * 1-5` (9:00 on weekdays), `30 7 * * *`, `@daily`, `@weekly`, `@every 6h`."

// subscribeError words the service's refusals for users; other errors pass
// through to be logged.
func subscribeError(err error, zone string) error {
	if errors.Is(err, digest.ErrUnknownZone) {
		return Userf("Unknown time zone %q. Use an IANA name such as Europe/Berlin, America/New_York or UTC.", zone)
	}
	var se *digest.ScheduleError
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case errors.Is(se, digest.ErrScheduleEmpty):
		return Userf("Give a schedule. %s", scheduleExample)
	case errors.Is(se, digest.ErrScheduleZone):
		return Userf("Leave the time zone out of the schedule and use the timezone option instead. %s", scheduleExample)
	case errors.Is(se, digest.ErrScheduleNever):
		return Userf("%q never fires (no such date). %s", se.Spec, scheduleExample)
	case errors.Is(se, digest.ErrScheduleEvery):
		return Userf("%q: @every takes whole seconds, 1s or more (%s would run every %s). %s",
			se.Spec, se.Every, se.Runs, scheduleExample)
	case errors.Is(se, digest.ErrScheduleTooOften):
		return Userf("%q runs too often: %s apart at %s, and digests may run at most once every %s. %s",
			se.Spec, se.Gap, se.At.Format("Mon 15:04"), se.MinGap, scheduleExample)
	case se.Cause != nil:
		return Userf("%q is not a schedule I can read (%v). %s", se.Spec, se.Cause, scheduleExample)
	default:
		return Userf("%q is not a schedule I can read. %s", se.Spec, scheduleExample)
	}
}

func (h DigestHandlers) complete(_ context.Context, req Request) (Reply, error) {
	switch req.Focused {
	case "timezone":
		return Reply{Choices: completeZones(req.String("timezone"), MaxChoices)}, nil
	case "source":
		return Reply{Choices: completeSources(h.Sources, req.String("source"))}, nil
	}
	return Reply{}, nil
}

func (h DigestHandlers) unsubscribe(ctx context.Context, req Request) (Reply, error) {
	if err := requireGuild(req); err != nil {
		return Reply{}, err
	}
	channel := strings.TrimSpace(req.String("channel"))
	err := h.Service.Unsubscribe(ctx, req.GuildID, channel)
	if errors.Is(err, digest.ErrNotFound) {
		return Reply{}, Userf("<#%s> has no digest subscription. /digest list shows this server's.", channel)
	}
	if err != nil {
		return Reply{}, err
	}
	return Reply{Content: fmt.Sprintf("Unsubscribed <#%s>: no more digests will be posted there.", channel), Ephemeral: true}, nil
}

func (h DigestHandlers) list(ctx context.Context, req Request) (Reply, error) {
	if err := requireGuild(req); err != nil {
		return Reply{}, err
	}
	subs, err := h.Service.List(ctx, req.GuildID)
	if err != nil {
		return Reply{}, err
	}
	if len(subs) == 0 {
		return Reply{Content: "This server has no digest subscriptions. Create one with /digest subscribe.", Ephemeral: true}, nil
	}
	rep := Reply{Content: fmt.Sprintf("%d digest %s in this server:", len(subs), plural(len(subs), "subscription", "subscriptions")), Ephemeral: true}
	now := time.Now()
	for _, s := range subs {
		// Embed titles cannot show a channel mention; the description can.
		card := Card{Description: fmt.Sprintf("<#%s>: a digest %s", s.ChannelID, describeSchedule(s.Schedule))}
		topic, source := EscapeMarkdown(s.Topic), EscapeMarkdown(s.Source)
		if topic == "" {
			topic = "(all)"
		}
		if source == "" {
			source = "(all)"
		}
		next := h.nextRun(s, now)
		last := "never"
		if !s.LastRunAt.IsZero() {
			last = Timestamp(s.LastRunAt, 'f') + ": " + EscapeMarkdown(s.LastOutcome)
		}
		card.Fields = []Field{
			{Name: "Schedule", Value: scheduleField(s.Schedule), Inline: true},
			{Name: "Time zone", Value: s.Timezone, Inline: true},
			{Name: "Count", Value: fmt.Sprint(s.Count), Inline: true},
			{Name: "Topic", Value: topic, Inline: true},
			{Name: "Source", Value: source, Inline: true},
			{Name: "Next run", Value: next},
			{Name: "Last run", Value: last},
		}
		rep.Cards = append(rep.Cards, card)
	}
	return rep, nil
}

// preview shows what this channel's next digest would post, posting
// nothing. Without a subscription it shows the default digest.
func (h DigestHandlers) preview(ctx context.Context, req Request) (Reply, error) {
	if err := requireGuild(req); err != nil {
		return Reply{}, err
	}
	p, err := h.Service.Preview(ctx, req.GuildID, req.ChannelID, DefaultCount)
	if err != nil {
		return Reply{}, err
	}
	note := "This channel has no subscription; this is the default digest."
	if p.Subscribed {
		note = "Preview of this channel's next digest (nothing was posted):"
	}
	if len(p.Articles) == 0 {
		return Reply{Content: note + "\nNothing new to post.", Ephemeral: true}, nil
	}
	rep := DigestReply(p.Articles, p.Topic)
	rep.Content = note + "\n" + rep.Content
	rep.Ephemeral = true
	return rep, nil
}

// DigestReply is a digest as a reply: a heading and each article with its
// short summary. The poster, /digest preview and the command line's digest
// all show digests through it.
func DigestReply(articles []briefs.Article, topic string) Reply {
	cards := make([]Card, 0, len(articles))
	for _, a := range articles {
		cards = append(cards, articleCard(a, summarize.Summarize(a.Text(), summarize.Short)))
	}
	return Reply{Content: digestHeading(len(articles), topic), Cards: cards}
}

// digestHeading is the line above a digest's articles. It is posted to
// the channel, so the topic, typed by whoever subscribed, is escaped
// (EscapeMarkdown) like an article's words.
func digestHeading(n int, topic string) string {
	what := "articles"
	if n == 1 {
		what = "article"
	}
	if topic != "" {
		return fmt.Sprintf("News digest: %d new %s about %s", n, what, EscapeMarkdown(strconv.Quote(topic)))
	}
	return fmt.Sprintf("News digest: %d new %s", n, what)
}

// zones.go, the names completeZones offers, is rebuilt from the Go
// toolchain's zone database, so that it follows the tzdata the binary
// embeds.
//go:generate go run ./internal/zonesgen -o zones.go

// completeZones offers zone names containing the query, prefix matches first.
func completeZones(query string, n int) []Choice {
	q := strings.ToLower(strings.TrimSpace(query))
	var prefix, sub []string
	for _, z := range zoneNames {
		lz := strings.ToLower(z)
		switch {
		case q == "" || strings.HasPrefix(lz, q) || strings.Contains(lz, "/"+q):
			prefix = append(prefix, z)
		case strings.Contains(lz, q) || strings.Contains(strings.ReplaceAll(lz, "_", " "), q):
			sub = append(sub, z)
		}
	}
	sort.Strings(prefix)
	all := append(prefix, sub...)
	if len(all) > n {
		all = all[:n]
	}
	out := make([]Choice, len(all))
	for i, z := range all {
		out[i] = Choice{Name: z, Value: z}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// scheduleField shows a schedule as stored and, when robfig/cron runs it at
// another pace (an @every stored before sub-second parts were refused),
// the pace it runs at.
func scheduleField(spec string) string {
	field := "`" + spec + "`"
	if written, runs, ok := digest.EveryDelay(spec); ok && written != runs {
		field += " (runs every " + runs.String() + ")"
	}
	return field
}

// describeSchedule says a schedule in words for confirmations and lists:
// the pace that runs, which for @every is the duration as written unless it
// was stored before ParseSchedule refused what robfig/cron rounds.
func describeSchedule(spec string) string {
	switch strings.ToLower(strings.TrimSpace(spec)) {
	case "@hourly":
		return "every hour"
	case "@daily", "@midnight":
		return "every day at midnight"
	case "@weekly":
		return "every Sunday at midnight"
	case "@monthly":
		return "on the first of every month at midnight"
	case "@yearly", "@annually":
		return "every 1 January at midnight"
	}
	if written, runs, ok := digest.EveryDelay(spec); ok {
		if written != runs {
			return "every " + runs.String()
		}
		rest, _ := strings.CutPrefix(strings.Join(strings.Fields(spec), " "), "@every ")
		return "every " + rest
	}
	return fmt.Sprintf("on the schedule `%s`", spec)
}
