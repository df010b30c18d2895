package command

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
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
	// Channels looks channels up; nil (the console) takes every delivery
	// option as given and offers no tags.
	Channels Channels
}

// Channels looks a channel up on the platform: its kind and a forum's
// tags. The Discord adapter gives it.
type Channels interface {
	Channel(ctx context.Context, id string) (digest.Channel, error)
}

// Register adds the /digest handlers to r.
func (h DigestHandlers) Register(r *Router) {
	r.Handle("digest subscribe", h.subscribe)
	r.HandleAutocomplete("digest subscribe", h.complete)
	r.Handle("digest edit", h.edit)
	r.HandleAutocomplete("digest edit", h.complete)
	r.Handle("digest unsubscribe", h.unsubscribe)
	r.HandleAutocomplete("digest unsubscribe", h.complete)
	r.Handle("digest list", h.list)
	r.Handle("digest preview", h.preview)
	r.HandleAutocomplete("digest preview", h.complete)
	r.Handle("digest history", h.history)
	r.HandleAutocomplete("digest history", h.complete)
	r.Handle("digest resume", h.resume)
	r.HandleAutocomplete("digest resume", h.complete)
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
	sub := digest.Subscription{
		GuildID: req.GuildID, ChannelID: channel, Name: strings.TrimSpace(req.String("name")),
		Schedule: req.String("schedule"), Timezone: zone,
		Count: count, Topic: topic, Source: source, CreatedBy: req.UserID,
	}
	if err := h.delivery(ctx, req, &sub); err != nil {
		return Reply{}, err
	}
	return h.save(ctx, sub, false, mentionWarning(req, sub))
}

// delivery reads the options of what a digest keeps out and how it is
// delivered into sub (those given; the others stay), and checks them
// against the channel's kind when the channel can be looked up.
func (h DigestHandlers) delivery(ctx context.Context, req Request, sub *digest.Subscription) error {
	if _, ok := req.Options["name"]; ok {
		name := strings.TrimSpace(req.String("name"))
		if len(name) > digest.MaxNameLen || strings.ContainsAny(name, "\n`") {
			return Userf("A digest's name is at most %d characters, on one line.", digest.MaxNameLen)
		}
	}
	if v, ok := req.Options["exclude"]; ok {
		ex, err := digest.ParseExclude(fmt.Sprint(v))
		if err != nil {
			return Userf("exclude: %v. Give words or \"quoted phrases\", e.g. opinion, \"sponsored content\".", err)
		}
		sub.Exclude = ex.String()
	}
	if v, ok := req.Bool("thread"); ok {
		sub.Thread = v
	}
	if v, ok := req.Bool("publish"); ok {
		sub.Publish = v
	}
	if _, ok := req.Options["tag"]; ok {
		sub.Tag = strings.TrimSpace(req.String("tag"))
	}
	if _, ok := req.Options["mention"]; ok {
		sub.Mention = strings.TrimSpace(req.String("mention"))
		if sub.Mention == sub.GuildID { // the @everyone role: @here, not everyone
			sub.Mention = digest.MentionHere
		}
	}
	if h.Channels == nil {
		return nil
	}
	ch, err := h.Channels.Channel(ctx, sub.ChannelID)
	if err != nil {
		return Userf("I cannot see <#%s> (%v): check that the bot can view it.", sub.ChannelID, err)
	}
	switch {
	case sub.Tag != "" && !ch.Kind.Posts():
		return Userf("tag is for forum and media channels; <#%s> is a %s.", sub.ChannelID, ch.Kind)
	case sub.Tag != "" && !slices.ContainsFunc(ch.Tags, func(t string) bool { return strings.EqualFold(t, sub.Tag) }):
		return Userf("<#%s> has no tag %q. Its tags: %s.", sub.ChannelID, sub.Tag, strings.Join(ch.Tags, ", "))
	case sub.Thread && (ch.Kind.Posts() || ch.Kind == digest.KindThread):
		return Userf("thread starts a thread from each digest in a text or announcement channel; <#%s> is a %s.", sub.ChannelID, ch.Kind)
	case sub.Publish && ch.Kind != digest.KindAnnouncement:
		return Userf("publish crossposts to the servers that follow an announcement channel; <#%s> is a %s.", sub.ChannelID, ch.Kind)
	}
	return nil
}

// save stores sub and confirms it in words: a new or replaced
// subscription, or an edited one.
//
// warn, when set, is said after the delivery: a mention that will not ping.
func (h DigestHandlers) save(ctx context.Context, sub digest.Subscription, edited bool, warn string) (Reply, error) {
	stored, err := h.Service.Subscribe(ctx, sub)
	if err != nil {
		return Reply{}, subscribeError(err, sub.Timezone)
	}
	sub = stored
	channel, count, source, topic := sub.ChannelID, sub.Count, sub.Source, sub.Topic
	var b strings.Builder
	if edited {
		fmt.Fprintf(&b, "Edited the digest **%s** of <#%s> (what it posted stays posted): up to %d new %s", EscapeMarkdown(sub.Name), channel, count, plural(count, "article", "articles"))
	} else {
		fmt.Fprintf(&b, "Subscribed <#%s> to the digest **%s**: up to %d new %s", channel, EscapeMarkdown(sub.Name), count, plural(count, "article", "articles"))
	}
	if source != "" {
		fmt.Fprintf(&b, " from %s", source)
	}
	if topic != "" {
		fmt.Fprintf(&b, " about %q", topic)
	}
	if sub.Exclude != "" {
		fmt.Fprintf(&b, ", leaving out %s", EscapeMarkdown(sub.Exclude))
	}
	fmt.Fprintf(&b, ", %s (%s).", describeSchedule(sub.Schedule), sub.Timezone)
	if d := describeDelivery(sub); d != "" {
		b.WriteString("\n" + d)
	}
	if warn != "" {
		b.WriteString("\n⚠ " + warn)
	}
	if digest.IsInstant(sub.Schedule) {
		b.WriteString("\nEach new story is posted within one poll of its feed (or one change of the articles folder); stories that arrive together come in one message.")
	} else {
		b.WriteString("\nNext runs:")
		for _, t := range h.Service.NextRuns(sub, sub.CreatedAt, 3) {
			fmt.Fprintf(&b, "\n• %s (%s)", Timestamp(t, 'F'), Timestamp(t, 'R'))
		}
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
		return "paused: " + EscapeMarkdown(s.Paused) + " (/digest resume takes it up again; /digest history says why)"
	case s.IsPreview():
		return "never: made in the console, a preview"
	case digest.IsInstant(s.Schedule):
		return "with the next new story"
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

// mentionWarning says when a digest's mention will not ping: Discord
// pings @here, and a role that is not mentionable, only for a bot with
// Mention Everyone in the channel. What the bot may do is known for the
// channel the command is used in (Discord sends it along), and what the
// role allows from the option; when either is unknown it says what is
// needed rather than guessing.
func mentionWarning(req Request, sub digest.Subscription) string {
	if sub.Mention == "" {
		return ""
	}
	canPingAll := req.BotPermissions&PermissionMentionEveryone != 0 && req.ChannelID == sub.ChannelID
	if canPingAll {
		return ""
	}
	if sub.Mention == digest.MentionHere {
		return "@here pings only if the bot has Mention Everyone in that channel; without it Discord sends the digest without the ping, and /digest history says so."
	}
	role, known := req.Roles[sub.Mention]
	switch {
	case known && role.Mentionable:
		return ""
	case known:
		return fmt.Sprintf("The role %s is not mentionable: it is pinged only if the bot has Mention Everyone in that channel (or make the role mentionable in Server Settings > Roles).", EscapeMarkdown(role.Name))
	}
	return ""
}

// describeDelivery says how a subscription's digests are delivered, ""
// for plain messages.
func describeDelivery(sub digest.Subscription) string {
	var parts []string
	if sub.Thread {
		parts = append(parts, "each digest starts a thread")
	}
	if sub.Tag != "" {
		parts = append(parts, "forum posts tagged "+EscapeMarkdown(sub.Tag))
	}
	if sub.Publish {
		parts = append(parts, "published to following servers (at most 10 an hour)")
	}
	switch sub.Mention {
	case "":
	case digest.MentionHere:
		parts = append(parts, "pings @here (the bot needs Mention Everyone)")
	default:
		parts = append(parts, fmt.Sprintf("pings <@&%s> (if the role is not mentionable, the bot needs Mention Everyone)", sub.Mention))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Delivery: " + strings.Join(parts, "; ") + "."
}

func (h DigestHandlers) complete(ctx context.Context, req Request) (Reply, error) {
	switch req.Focused {
	case "timezone":
		return Reply{Choices: completeZones(req.String("timezone"), MaxChoices)}, nil
	case "source":
		return Reply{Choices: completeSources(h.Sources, req.String("source"))}, nil
	case "name":
		return Reply{Choices: h.completeNames(ctx, req)}, nil
	case "tag":
		return Reply{Choices: h.completeTags(ctx, req)}, nil
	}
	return Reply{}, nil
}

// completeNames offers the names of the channel's digests (the channel
// option's, or this channel's) that contain what is typed.
func (h DigestHandlers) completeNames(ctx context.Context, req Request) []Choice {
	if req.GuildID == "" {
		return nil
	}
	subs, err := h.Service.InChannel(ctx, req.GuildID, h.channelOf(req))
	if err != nil {
		return nil
	}
	q := strings.ToLower(strings.TrimSpace(req.String("name")))
	var out []Choice
	for _, s := range subs {
		if strings.Contains(strings.ToLower(s.Name), q) && len(out) < MaxChoices {
			out = append(out, Choice{Name: s.Name, Value: s.Name})
		}
	}
	return out
}

// completeTags offers the forum's tags that contain what is typed.
func (h DigestHandlers) completeTags(ctx context.Context, req Request) []Choice {
	if h.Channels == nil {
		return nil
	}
	ch, err := h.Channels.Channel(ctx, h.channelOf(req))
	if err != nil {
		return nil
	}
	q := strings.ToLower(strings.TrimSpace(req.String("tag")))
	var out []Choice
	for _, t := range ch.Tags {
		if strings.Contains(strings.ToLower(t), q) && len(out) < MaxChoices {
			out = append(out, Choice{Name: t, Value: t})
		}
	}
	return out
}

// channelOf is the channel a request is about: its channel option, or
// the channel it was typed in.
func (h DigestHandlers) channelOf(req Request) string {
	if c := strings.TrimSpace(req.String("channel")); c != "" {
		return c
	}
	return req.ChannelID
}

// find is the subscription a request names, or a refusal in words.
func (h DigestHandlers) find(ctx context.Context, req Request) (digest.Subscription, error) {
	channel, name := h.channelOf(req), strings.TrimSpace(req.String("name"))
	sub, err := h.Service.Find(ctx, req.GuildID, channel, name)
	switch {
	case errors.Is(err, digest.ErrNameNeeded):
		return sub, Userf("<#%s> has several digests: say which with the name option %s.", channel, strings.TrimPrefix(err.Error(), digest.ErrNameNeeded.Error()+" "))
	case errors.Is(err, digest.ErrNotFound) && name != "":
		return sub, Userf("<#%s> has no digest named %q. /digest list shows this server's.", channel, name)
	case errors.Is(err, digest.ErrNotFound):
		return sub, Userf("<#%s> has no digest subscription. /digest list shows this server's.", channel)
	}
	return sub, err
}

// edit changes the options given of an existing subscription; what it
// posted stays posted.
func (h DigestHandlers) edit(ctx context.Context, req Request) (Reply, error) {
	if err := requireGuild(req); err != nil {
		return Reply{}, err
	}
	sub, err := h.find(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	if _, ok := req.Options["schedule"]; ok {
		sub.Schedule = req.String("schedule")
	}
	if _, ok := req.Options["timezone"]; ok {
		sub.Timezone = strings.TrimSpace(req.String("timezone"))
	}
	if _, ok := req.Options["count"]; ok {
		if sub.Count, err = req.IntIn("count", DefaultCount, MinCount, MaxCount); err != nil {
			return Reply{}, err
		}
	}
	if _, ok := req.Options["topic"]; ok {
		sub.Topic = strings.TrimSpace(req.String("topic"))
	}
	if _, ok := req.Options["source"]; ok {
		if sub.Source, err = resolveSource(h.Sources, req.String("source")); err != nil {
			return Reply{}, err
		}
	}
	name := sub.Name
	opts := req
	opts.Options = maps.Clone(req.Options)
	delete(opts.Options, "name") // the name picks the subscription here
	if err := h.delivery(ctx, opts, &sub); err != nil {
		return Reply{}, err
	}
	sub.Name, sub.CreatedBy, sub.CreatedAt = name, req.UserID, time.Time{}
	return h.save(ctx, sub, true, mentionWarning(req, sub))
}

func (h DigestHandlers) unsubscribe(ctx context.Context, req Request) (Reply, error) {
	if err := requireGuild(req); err != nil {
		return Reply{}, err
	}
	sub, err := h.find(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	if err := h.Service.Unsubscribe(ctx, req.GuildID, sub.ChannelID, sub.Name); err != nil {
		return Reply{}, err
	}
	return Reply{Content: fmt.Sprintf("Unsubscribed <#%s> from the digest **%s**: it posts no more.", sub.ChannelID, EscapeMarkdown(sub.Name)), Ephemeral: true}, nil
}

// resume takes a paused subscription up again.
func (h DigestHandlers) resume(ctx context.Context, req Request) (Reply, error) {
	if err := requireGuild(req); err != nil {
		return Reply{}, err
	}
	sub, err := h.find(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	was := sub.Paused
	if sub, err = h.Service.Resume(ctx, req.GuildID, sub.ChannelID, sub.Name); err != nil {
		return Reply{}, err
	}
	if was == "" {
		return Reply{Content: fmt.Sprintf("The digest **%s** in <#%s> was not paused; it runs as scheduled.", EscapeMarkdown(sub.Name), sub.ChannelID), Ephemeral: true}, nil
	}
	return Reply{Content: fmt.Sprintf("Resumed the digest **%s** in <#%s> (it was paused: %s). Runs it missed are made if they are recent enough.",
		EscapeMarkdown(sub.Name), sub.ChannelID, EscapeMarkdown(was)), Ephemeral: true}, nil
}

// historyLen is how many runs /digest history shows.
const historyLen = 20

// history shows a subscription's last runs, newest first, each with its
// outcome and why.
func (h DigestHandlers) history(ctx context.Context, req Request) (Reply, error) {
	if err := requireGuild(req); err != nil {
		return Reply{}, err
	}
	sub, err := h.find(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	runs, err := h.Service.History(ctx, sub, historyLen)
	if err != nil {
		return Reply{}, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The digest **%s** in <#%s>", EscapeMarkdown(sub.Name), sub.ChannelID)
	if sub.Paused != "" {
		fmt.Fprintf(&b, " is paused (%s): /digest resume takes it up again", EscapeMarkdown(sub.Paused))
	}
	if len(runs) == 0 {
		b.WriteString(" has not run yet.")
		return Reply{Content: b.String(), Ephemeral: true}, nil
	}
	fmt.Fprintf(&b, ", its last %d %s, newest first:", len(runs), plural(len(runs), "run", "runs"))
	for _, r := range runs {
		outcome := r.Outcome
		if outcome == "nothing new" && r.Detail == "" {
			outcome = "nothing new since the last run"
		}
		line := fmt.Sprintf("\n• %s: %s", Timestamp(r.ScheduledFor, 'f'), EscapeMarkdown(outcome))
		if r.URL != "" {
			line += " (" + r.URL + ")"
		}
		if r.Detail != "" {
			// The detail may name a channel (<#id>), which escaping
			// would show as text.
			line += ": " + escapedChannel.ReplaceAllString(EscapeMarkdown(r.Detail), "<#$1>")
		}
		if b.Len()+len(line) > maxContent {
			break
		}
		b.WriteString(line)
	}
	return Reply{Content: b.String(), Ephemeral: true}, nil
}

// escapedChannel is a channel mention as EscapeMarkdown leaves it.
var escapedChannel = regexp.MustCompile(`\\<#([0-9]+)\\>`)

// maxContent keeps a reply's text within Discord's 2000 characters.
const maxContent = 1900

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
		card := Card{Description: fmt.Sprintf("<#%s>: the digest **%s**, %s", s.ChannelID, EscapeMarkdown(s.Name), describeSchedule(s.Schedule))}
		if d := describeDelivery(s); d != "" {
			card.Description += "\n" + d
		}
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
			{Name: "Excludes", Value: cmp.Or(EscapeMarkdown(s.Exclude), "(nothing)"), Inline: true},
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
	name := strings.TrimSpace(req.String("name"))
	p, err := h.Service.Preview(ctx, req.GuildID, h.channelOf(req), name, DefaultCount)
	if errors.Is(err, digest.ErrNameNeeded) || errors.Is(err, digest.ErrNotFound) {
		_, err = h.find(ctx, req) // the same refusal, in words
	}
	if err != nil {
		return Reply{}, err
	}
	note := "This channel has no subscription; this is the default digest."
	if p.Subscribed {
		note = fmt.Sprintf("Preview of the next digest **%s** (nothing was posted):", EscapeMarkdown(p.Name))
	}
	note += leftOut(p.Left)
	if len(p.Articles) == 0 {
		return Reply{Content: note + "\nNothing new to post.", Ephemeral: true}, nil
	}
	rep := DigestReply(p.Articles, p.Topic)
	rep.Content = note + "\n" + rep.Content
	rep.Ephemeral = true
	if p.Subscribed {
		if sub, err := h.find(ctx, req); err == nil {
			rep.Delivery = h.deliveryOf(ctx, sub) // what the console shows
		}
	}
	return rep, nil
}

// maxLeftShown bounds the stories a preview lists as left out.
const maxLeftShown = 5

// leftOut lists the newer stories a digest leaves out, each with why.
func leftOut(left []digest.Left) string {
	if len(left) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nLeft out (%d):", len(left))
	for i, l := range left {
		if i == maxLeftShown {
			fmt.Fprintf(&b, "\n• and %d more", len(left)-i)
			break
		}
		fmt.Fprintf(&b, "\n• %s: %s", EscapeMarkdown(truncateTitle(l.Article.Title)), EscapeMarkdown(l.Reason))
	}
	return b.String()
}

// truncateTitle cuts a title to 80 characters for a list line.
func truncateTitle(t string) string {
	if r := []rune(t); len(r) > 80 {
		return string(r[:79]) + "…"
	}
	return t
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
	case digest.Instant:
		return "as soon as new stories arrive"
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
