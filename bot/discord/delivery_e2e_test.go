package discord_test

// End-to-end tests of issue 17's delivery kinds: each goes through the
// slash commands and the digest service to the real discordgo client and
// the fake Discord, and reads back what /digest history says of it.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/command"
	"newsbrief/bot/digest"
	"newsbrief/bot/digest/digesttest"
	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
)

// named returns the channel's stored subscription of that name.
func (h *harness) named(ctx context.Context, channel, name string) digest.Subscription {
	h.t.Helper()
	sub, err := h.st.Subscription(ctx, discordtest.DefaultGuildID, channel, name)
	if err != nil {
		h.t.Fatal(err)
	}
	return sub
}

// history is /digest history's answer for the channel (and the options
// given, such as a name).
func history(h *harness, channel string, extra ...*discordgo.ApplicationCommandInteractionDataOption) *discordtest.Reply {
	h.t.Helper()
	opts := append([]*discordgo.ApplicationCommandInteractionDataOption{channelOpt(channel)}, extra...)
	return h.interact(discordtest.Command("digest", discordtest.Sub("history", opts...)))
}

// newestRun is the first run line of a /digest history answer.
func newestRun(t *testing.T, rep *discordtest.Reply) string {
	t.Helper()
	lines := strings.Split(rep.Data.Content, "\n• ")
	if len(lines) < 2 {
		t.Fatalf("history lists no run: %q", rep.Data.Content)
	}
	return strings.SplitN(lines[1], "\n", 2)[0]
}

// allowedMentionsOf is a message's allowed_mentions exactly as the bot sent it.
func allowedMentionsOf(t *testing.T, m discordtest.Message) string {
	t.Helper()
	var body struct {
		AllowedMentions json.RawMessage `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(m.Raw, &body); err != nil {
		t.Fatal(err)
	}
	return string(body.AllowedMentions)
}

// longArticles are n articles whose summaries are long enough that ten of
// them make a digest of two messages.
func longArticles(n int, seed int64) []briefs.Article {
	arts := briefstest.Articles(n, seed)
	for i := range arts {
		arts[i].Paragraphs = []string{"Lead " + strings.Repeat(fmt.Sprintf("word%d ", i), 130) + "ends here."}
	}
	return arts
}

// runName is the name of a digest's forum post or thread for a run at at
// (UTC): "News, 7 January 2030".
func runName(at time.Time) string { return "News, " + at.UTC().Format("2 January 2006") }

// TestDigestForumPostEndToEnd: /digest subscribe of a forum with
// tag:Science (offered from the forum's tags; one it lacks is refused)
// makes, at the run, one forum post named after the digest, tagged
// Science, whose starter message is the digest; /digest history says
// "posted 3" with a link to the post.
func TestDigestForumPostEndToEnd(t *testing.T) { eachDatabase(t, testDigestForumPostEndToEnd) }

func testDigestForumPostEndToEnd(t *testing.T, databaseURL string) {
	t.Parallel()
	const forum = "300000000000000151"
	h := start(t, setup{databaseURL: databaseURL, lookups: true})
	h.srv.SetChannelType(forum, discordgo.ChannelTypeGuildForum)
	h.srv.SetChannelName(forum, "news-forum")
	tags := h.srv.SetForumTags(forum, "Politics", "Science")
	ctx := ctxFor(t, 30*time.Second)

	rep := h.interact(discordtest.Autocomplete("digest", discordtest.Sub("subscribe", channelOpt(forum),
		discordtest.Opt("schedule", "@every 1h"), discordtest.Focused("tag", "sci"))))
	if len(rep.Data.Choices) != 1 || rep.Data.Choices[0].Value != "Science" {
		t.Errorf("tag completion: %+v", rep.Data.Choices)
	}
	rep = subscribe(h, forum, "@every 1h", discordtest.Opt("tag", "Weather"))
	if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, `has no tag "Weather"`) || !strings.Contains(rep.Data.Content, "Politics, Science") {
		t.Errorf("a tag the forum lacks: %q", rep.Data.Content)
	}
	rep = subscribe(h, forum, "@every 1h", discordtest.Opt("count", 3), discordtest.Opt("tag", "Science"))
	if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, "forum posts tagged Science") {
		t.Fatalf("subscribe: %q", rep.Data.Content)
	}

	sub := h.runNext(ctx, forum)
	posts := h.srv.Threads(forum)
	if len(posts) != 1 {
		t.Fatalf("%d forum posts, want 1", len(posts))
	}
	post := posts[0]
	if want := runName(sub.NextRun); post.Name != want || post.Name != "News, 7 January 2030" {
		t.Errorf("post named %q, want %q", post.Name, want)
	}
	if !slices.Equal(post.AppliedTags, []string{tags[1].ID}) {
		t.Errorf("post tags %v, want Science's %s", post.AppliedTags, tags[1].ID)
	}
	if post.Type != discordgo.ChannelTypeGuildPublicThread || post.ParentID != forum {
		t.Errorf("post type %d parent %s", post.Type, post.ParentID)
	}
	if n := len(h.srv.Messages(forum)); n != 0 {
		t.Errorf("%d messages in the forum itself", n)
	}
	msgs := h.srv.Messages(post.ID)
	if len(msgs) != 1 || msgs[0].ID != post.ID {
		t.Fatalf("post %s holds %d messages, want its starter message only", post.ID, len(msgs))
	}
	want := h.lib.Latest(3, "")
	if got := postedIDs(t, msgs); len(got) != 3 || got[0] != want[0].ID || got[2] != want[2].ID {
		t.Errorf("the post holds %v, want the 3 newest", got)
	}
	if !strings.HasPrefix(msgs[0].Content, "News digest: 3 new articles") {
		t.Errorf("starter message content %q", msgs[0].Content)
	}

	hist := history(h, forum)
	link := "https://discord.com/channels/" + discordtest.DefaultGuildID + "/" + post.ID
	if line := newestRun(t, hist); !isEphemeral(hist) || !strings.Contains(line, "posted 3 ("+link+")") {
		t.Errorf("history's newest run %q, want posted 3 with the link %s", line, link)
	}
}

// TestDigestThreadEndToEnd: thread:true on a text channel starts one
// thread, named after the digest, from the digest's first message, and
// the digest's second message goes into it.
func TestDigestThreadEndToEnd(t *testing.T) { eachDatabase(t, testDigestThreadEndToEnd) }

func testDigestThreadEndToEnd(t *testing.T, databaseURL string) {
	t.Parallel()
	const text, forum = "300000000000000152", "300000000000000153"
	h := start(t, setup{databaseURL: databaseURL, lookups: true, articles: longArticles(12, 31)})
	h.srv.SetChannelType(forum, discordgo.ChannelTypeGuildForum)
	ctx := ctxFor(t, 30*time.Second)
	if rep := subscribe(h, forum, "@every 1h", discordtest.Opt("thread", true)); !strings.Contains(rep.Data.Content, "thread starts a thread") {
		t.Errorf("thread:true on a forum: %q", rep.Data.Content)
	}
	rep := subscribe(h, text, "@every 1h", discordtest.Opt("count", 10), discordtest.Opt("thread", true))
	if !strings.Contains(rep.Data.Content, "each digest starts a thread") {
		t.Fatalf("subscribe: %q", rep.Data.Content)
	}
	sub := h.runNext(ctx, text)
	msgs := h.srv.Messages(text)
	threads := h.srv.Threads(text)
	if len(msgs) != 1 || len(threads) != 1 {
		t.Fatalf("%d messages and %d threads in the channel, want 1 each", len(msgs), len(threads))
	}
	th := threads[0]
	if th.ID != msgs[0].ID || msgs[0].ThreadID != th.ID || th.Name != runName(sub.NextRun) || th.Type != discordgo.ChannelTypeGuildPublicThread {
		t.Errorf("thread %+v from message %s (thread %q), want one named %q from the digest's message", th, msgs[0].ID, msgs[0].ThreadID, runName(sub.NextRun))
	}
	inThread := h.srv.Messages(th.ID)
	if len(inThread) != 1 || inThread[0].Nonce != msgs[0].Nonce+"-1" {
		t.Fatalf("%d messages in the thread, want the digest's second part", len(inThread))
	}
	ids := postedIDs(t, append(msgs, inThread...))
	if len(ids) != 10 {
		t.Errorf("%d articles across the message and the thread, want 10", len(ids))
	}
	noDuplicates(t, ids)
	link := "https://discord.com/channels/" + discordtest.DefaultGuildID + "/" + text + "/" + msgs[0].ID
	if line := newestRun(t, history(h, text)); !strings.Contains(line, "posted 10 ("+link+")") {
		t.Errorf("history's newest run %q, want posted 10 with the link %s", line, link)
	}
}

// TestDigestPublishEndToEnd: publish:true on an announcement channel
// crossposts each digest; the eleventh within an hour of the fake's clock
// (Discord allows 10 a channel) is posted unpublished and the history
// says so. publish on a text channel is refused.
func TestDigestPublishEndToEnd(t *testing.T) { eachDatabase(t, testDigestPublishEndToEnd) }

func testDigestPublishEndToEnd(t *testing.T, databaseURL string) {
	t.Parallel()
	const news, text = "300000000000000154", "300000000000000155"
	clock := digesttest.NewClock(testEpoch())
	h := start(t, setup{databaseURL: databaseURL, lookups: true, clock: clock, srvOpts: []discordtest.Option{discordtest.WithClock(clock.Now)}})
	h.srv.SetChannelType(news, discordgo.ChannelTypeGuildNews)
	ctx := ctxFor(t, 60*time.Second)
	if rep := subscribe(h, text, "@every 1m", discordtest.Opt("publish", true)); !strings.Contains(rep.Data.Content, "publish crossposts") || !strings.Contains(rep.Data.Content, "is a text channel") {
		t.Errorf("publish:true on a text channel: %q", rep.Data.Content)
	}
	rep := subscribe(h, news, "@every 1m", discordtest.Opt("count", 1), discordtest.Opt("publish", true))
	if !strings.Contains(rep.Data.Content, "published to following servers") {
		t.Fatalf("subscribe: %q", rep.Data.Content)
	}
	for i := 1; i <= discordtest.CrosspostsPerHour; i++ {
		h.runNext(ctx, news)
		msgs := h.srv.Messages(news)
		if len(msgs) != i || msgs[i-1].Flags&discordgo.MessageFlagsCrossPosted == 0 {
			t.Fatalf("run %d: %d messages, the last published: %v", i, len(msgs), len(msgs) > 0 && msgs[len(msgs)-1].Flags&discordgo.MessageFlagsCrossPosted != 0)
		}
		if line := newestRun(t, history(h, news)); strings.Contains(line, "unpublished") {
			t.Errorf("run %d: %q", i, line)
		}
	}
	if span := h.clock.Now().Sub(testEpoch()); span >= time.Hour {
		t.Fatalf("the ten runs took %v of the fake's clock, want them within an hour", span)
	}
	h.runNext(ctx, news)
	msgs := h.srv.Messages(news)
	last := msgs[len(msgs)-1]
	if len(msgs) != discordtest.CrosspostsPerHour+1 || last.Flags&discordgo.MessageFlagsCrossPosted != 0 {
		t.Fatalf("%d messages, the last published %v; want 11, the last unpublished", len(msgs), last.Flags&discordgo.MessageFlagsCrossPosted != 0)
	}
	line := newestRun(t, history(h, news))
	link := "https://discord.com/channels/" + discordtest.DefaultGuildID + "/" + news + "/" + last.ID
	if !strings.Contains(line, "posted 1 ("+link+")") || !strings.Contains(line, "posted unpublished") || !strings.Contains(line, "10 crossposts an hour are used up") {
		t.Errorf("history's newest run %q, want posted 1 with the link and that it went out unpublished", line)
	}
}

// TestDigestMentionEndToEnd: the mention option is a role option; a
// mentionable role is pinged, with allowed_mentions naming exactly it; an
// unmentionable one is not (the bot lacks Mention Everyone) and the
// history says so and what to do; the @everyone role means @here. With
// Mention Everyone, both are pinged and the history notes nothing.
func TestDigestMentionEndToEnd(t *testing.T) { eachDatabase(t, testDigestMentionEndToEnd) }

func testDigestMentionEndToEnd(t *testing.T, databaseURL string) {
	t.Parallel()
	const chOK, chMuted, chHere = "300000000000000156", "300000000000000157", "300000000000000158"
	const roleOK, roleMuted = "500000000000000001", "500000000000000002"
	h := start(t, setup{databaseURL: databaseURL, lookups: true})
	h.srv.AddRole(discordtest.DefaultGuildID, roleOK, true)
	h.srv.AddRole(discordtest.DefaultGuildID, roleMuted, false)
	ctx := ctxFor(t, 30*time.Second)
	role := func(id string) *discordgo.ApplicationCommandInteractionDataOption {
		return discordtest.TypedOpt("mention", discordgo.ApplicationCommandOptionRole, id)
	}
	for ch, r := range map[string]string{chOK: roleOK, chMuted: roleMuted} {
		if rep := subscribe(h, ch, "@every 1h", discordtest.Opt("count", 2), role(r)); !strings.Contains(rep.Data.Content, "pings <@&"+r+">") {
			t.Errorf("subscribe with role %s: %q", r, rep.Data.Content)
		}
	}
	if rep := subscribe(h, chHere, "@every 1h", discordtest.Opt("count", 2), role(discordtest.DefaultGuildID)); !strings.Contains(rep.Data.Content, "pings @here") {
		t.Errorf("subscribe with the @everyone role: %q", rep.Data.Content)
	}
	if s := h.subscription(ctx, chHere); s.Mention != digest.MentionHere {
		t.Errorf("the @everyone role stored as %q, want @here", s.Mention)
	}

	// runAll runs the three at their common next run and returns each
	// channel's newest message.
	runAll := func() map[string]discordtest.Message {
		t.Helper()
		sub := h.runNext(ctx, chOK)
		for _, ch := range []string{chMuted, chHere} {
			h.waitRun(ctx, h.subscription(ctx, ch).ID, sub.NextRun)
		}
		out := map[string]discordtest.Message{}
		for _, ch := range []string{chOK, chMuted, chHere} {
			msgs := h.srv.Messages(ch)
			if len(msgs) == 0 {
				t.Fatalf("nothing posted to %s", ch)
			}
			out[ch] = msgs[len(msgs)-1]
		}
		return out
	}
	got := runAll()
	for ch, r := range map[string]string{chOK: roleOK, chMuted: roleMuted} {
		m := got[ch]
		if !strings.HasPrefix(m.Content, "<@&"+r+"> News digest: 2 new articles") {
			t.Errorf("%s: content %q, want the role mention first", ch, m.Content)
		}
		if am := allowedMentionsOf(t, m); am != `{"parse":[],"roles":["`+r+`"]}` {
			t.Errorf("%s: allowed_mentions %s, want exactly the role", ch, am)
		}
	}
	if m := got[chOK]; !slices.Equal(m.MentionRoles, []string{roleOK}) {
		t.Errorf("mentionable role: pinged %v", m.MentionRoles)
	}
	if m := got[chMuted]; len(m.MentionRoles) != 0 {
		t.Errorf("unmentionable role pinged without Mention Everyone: %v", m.MentionRoles)
	}
	here := got[chHere]
	if !strings.HasPrefix(here.Content, "@here News digest") || here.MentionEveryone {
		t.Errorf("@here: content %q, pinged %v; want it first, not pinged without Mention Everyone", here.Content, here.MentionEveryone)
	}
	if am := allowedMentionsOf(t, here); am != `{"parse":["everyone"]}` {
		t.Errorf("@here: allowed_mentions %s", am)
	}
	if line := newestRun(t, history(h, chOK)); !strings.Contains(line, "posted 2") || strings.Contains(line, "not pinged") {
		t.Errorf("mentionable role's history: %q", line)
	}
	if line := newestRun(t, history(h, chMuted)); !strings.Contains(line, "posted 2") ||
		!strings.Contains(line, "the role was not pinged: it is not mentionable and the bot lacks Mention Everyone") {
		t.Errorf("unmentionable role's history: %q", line)
	}
	if line := newestRun(t, history(h, chHere)); !strings.Contains(line, "@here was not pinged: the bot lacks Mention Everyone") {
		t.Errorf("@here's history: %q", line)
	}

	h.srv.SetMentionEveryone(true)
	got = runAll()
	if m := got[chMuted]; !slices.Equal(m.MentionRoles, []string{roleMuted}) {
		t.Errorf("with Mention Everyone the unmentionable role is pinged: %v", m.MentionRoles)
	}
	if !got[chHere].MentionEveryone {
		t.Error("with Mention Everyone @here is pinged")
	}
	for _, ch := range []string{chOK, chMuted, chHere} {
		if line := newestRun(t, history(h, ch)); strings.Contains(line, "not pinged") {
			t.Errorf("%s's history with Mention Everyone: %q", ch, line)
		}
	}
}

// TestDigestTwoNamedDigestsOneChannel: a channel's two named digests run
// on their own schedules and keep their own records (the morning digest
// posts a story the breaking one posted); without a name, unsubscribe and
// history are refused privately, naming both.
func TestDigestTwoNamedDigestsOneChannel(t *testing.T) {
	eachDatabase(t, testDigestTwoNamedDigestsOneChannel)
}

func testDigestTwoNamedDigestsOneChannel(t *testing.T, databaseURL string) {
	t.Parallel()
	const ch = "300000000000000159"
	h := start(t, setup{databaseURL: databaseURL})
	ctx := ctxFor(t, 30*time.Second)
	subscribe(h, ch, "@every 2h", discordtest.Opt("name", "morning"), discordtest.Opt("count", 2))
	subscribe(h, ch, "@every 1h", discordtest.Opt("name", "breaking"), discordtest.Opt("count", 1))
	morning, breaking := h.named(ctx, ch, "morning"), h.named(ctx, ch, "breaking")
	latest := h.lib.Latest(3, "")

	// In an hour only breaking runs.
	h.clock.Set(breaking.NextRun)
	h.waitRun(ctx, breaking.ID, breaking.NextRun)
	msgs := h.srv.Messages(ch)
	if ids := postedIDs(t, msgs); len(msgs) != 1 || len(ids) != 1 || ids[0] != latest[0].ID {
		t.Fatalf("after an hour: %d messages with %v, want breaking's one with the newest", len(msgs), ids)
	}
	if s := h.named(ctx, ch, "morning"); !s.LastRunAt.IsZero() {
		t.Errorf("morning ran at %v", s.LastRunAt)
	}
	// In two, both, each from its own records.
	h.clock.Set(morning.NextRun)
	h.waitRun(ctx, morning.ID, morning.NextRun)
	h.waitRun(ctx, breaking.ID, morning.NextRun)
	msgs = h.srv.Messages(ch)
	if len(msgs) != 3 {
		t.Fatalf("%d messages after two hours, want 3", len(msgs))
	}
	var sizes []int
	for _, m := range msgs[1:] {
		sizes = append(sizes, len(m.Embeds))
		ids := postedIDs(t, []discordtest.Message{m})
		switch len(ids) {
		case 2:
			if ids[0] != latest[0].ID || ids[1] != latest[1].ID {
				t.Errorf("morning posted %v, want the two newest", ids)
			}
		case 1:
			if ids[0] != latest[1].ID {
				t.Errorf("breaking's second run posted %v, want the next newest", ids)
			}
		}
	}
	if slices.Sort(sizes); !slices.Equal(sizes, []int{1, 2}) {
		t.Errorf("the two-hour run posted digests of %v articles, want one of 1 and one of 2", sizes)
	}

	for _, sub := range []string{"unsubscribe", "history"} {
		rep := h.interact(discordtest.Command("digest", discordtest.Sub(sub, channelOpt(ch))))
		if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, "has several digests") || !strings.Contains(rep.Data.Content, "(breaking, morning)") {
			t.Errorf("/digest %s without a name: %q", sub, rep.Data.Content)
		}
	}
	if len(h.srv.Messages(ch)) != 3 {
		t.Error("a refused command posted")
	}
	rep := h.interact(discordtest.Command("digest", discordtest.Sub("unsubscribe", channelOpt(ch), discordtest.Opt("name", "breaking"))))
	if !strings.Contains(rep.Data.Content, "Unsubscribed <#"+ch+"> from the digest **breaking**") {
		t.Errorf("unsubscribe breaking: %q", rep.Data.Content)
	}
	// One left: no name needed now.
	if line := newestRun(t, history(h, ch)); !strings.Contains(line, "posted 2") {
		t.Errorf("morning's history: %q", line)
	}
}

// TestDigestExcludeEndToEnd: exclude keeps a story out of the digest;
// /digest preview lists it as left out, "excluded by" the word, and the
// history counts it.
func TestDigestExcludeEndToEnd(t *testing.T) { eachDatabase(t, testDigestExcludeEndToEnd) }

func testDigestExcludeEndToEnd(t *testing.T, databaseURL string) {
	t.Parallel()
	const ch = "300000000000000160"
	h := start(t, setup{databaseURL: databaseURL})
	ctx := ctxFor(t, 30*time.Second)
	newest := h.lib.Latest(1, "")[0]
	word := ""
	for _, w := range strings.FieldsFunc(strings.ToLower(newest.Title), func(r rune) bool { return r < 'a' || r > 'z' }) {
		if len(w) > len(word) {
			word = w
		}
	}
	rep := subscribe(h, ch, "@every 1h", discordtest.Opt("count", 3), discordtest.Opt("exclude", word))
	if !strings.Contains(rep.Data.Content, "leaving out "+word) {
		t.Fatalf("subscribe: %q", rep.Data.Content)
	}
	pv := h.interact(discordtest.Command("digest", discordtest.Sub("preview", channelOpt(ch))))
	want := "• " + command.EscapeMarkdown(newest.Title) + ": excluded by " + command.EscapeMarkdown(fmt.Sprintf("%q", word))
	if !isEphemeral(pv) || !strings.Contains(pv.Data.Content, "Left out (") || !strings.Contains(pv.Data.Content, want) {
		t.Errorf("preview does not list %q: %q", want, pv.Data.Content)
	}
	for _, e := range pv.Data.Embeds {
		if e.Title == newest.Title {
			t.Errorf("the preview shows the excluded story")
		}
	}
	h.runNext(ctx, ch)
	ids := postedIDs(t, h.srv.Messages(ch))
	if len(ids) != 3 || slices.Contains(ids, newest.ID) {
		t.Errorf("posted %v: want 3 articles without the excluded %s", ids, newest.ID)
	}
	if line := newestRun(t, history(h, ch)); !strings.Contains(line, "posted 3") || !strings.Contains(line, "left out by exclude") {
		t.Errorf("history: %q", line)
	}
}

// TestDigestPausedExplainsAndResumes: a channel where the bot lacks Send
// Messages pauses its digest; /digest history says why with Discord's
// error (403 Missing Permissions, 50013) and what to do (/digest resume);
// once the permission is back, /digest resume makes it post again.
func TestDigestPausedExplainsAndResumes(t *testing.T) {
	eachDatabase(t, testDigestPausedExplainsAndResumes)
}

func testDigestPausedExplainsAndResumes(t *testing.T, databaseURL string) {
	t.Parallel()
	const ch = "300000000000000161"
	h := start(t, setup{databaseURL: databaseURL, lookups: true})
	ctx := ctxFor(t, 30*time.Second)
	subscribe(h, ch, "@every 1h", discordtest.Opt("count", 2))
	h.srv.ForbidSend(ch)
	h.runNext(ctx, ch)
	if n := len(h.srv.Messages(ch)); n != 0 {
		t.Fatalf("%d messages in a channel the bot may not post in", n)
	}
	const reason = "403 Missing Permissions (50013)"
	if s := h.subscription(ctx, ch); s.Paused != reason {
		t.Errorf("paused %q, want %q", s.Paused, reason)
	}
	hist := history(h, ch)
	line := newestRun(t, hist)
	// The channel is a mention Discord shows as a link, not escaped text.
	for _, want := range []string{"paused: Discord refused the post in <#" + ch + "> (" + reason + "): give the bot the permissions it needs there", "then /digest resume digest"} {
		if !strings.Contains(line, want) {
			t.Errorf("history's newest run %q lacks %q", line, want)
		}
	}
	if !strings.Contains(hist.Data.Content, "is paused ("+reason+"): /digest resume takes it up again") {
		t.Errorf("history does not say it is paused: %q", hist.Data.Content)
	}

	h.srv.AllowSend(ch)
	rep := h.interact(discordtest.Command("digest", discordtest.Sub("resume", channelOpt(ch))))
	if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, "Resumed the digest **digest** in <#"+ch+"> (it was paused: "+reason+")") {
		t.Fatalf("resume: %q", rep.Data.Content)
	}
	h.runNext(ctx, ch)
	if ids := postedIDs(t, h.srv.Messages(ch)); len(ids) != 2 {
		t.Fatalf("after resuming: %d articles posted, want 2", len(ids))
	}
	hist = history(h, ch)
	if line := newestRun(t, hist); !strings.Contains(line, "posted 2") || strings.Contains(hist.Data.Content, "is paused") {
		t.Errorf("history after resuming: %q", hist.Data.Content)
	}
}

// TestDigestInstantEndToEnd: /digest subscribe schedule:instant posts
// nothing of the articles already there; each story that arrives later is
// posted with the library's change, not the clock; the same story carried
// later by another source is not posted again; /digest history lists the
// posts.
func TestDigestInstantEndToEnd(t *testing.T) { eachDatabase(t, testDigestInstantEndToEnd) }

func testDigestInstantEndToEnd(t *testing.T, databaseURL string) {
	t.Parallel()
	const ch = "300000000000000170"
	h := start(t, setup{databaseURL: databaseURL})
	ctx := ctxFor(t, 30*time.Second)
	rep := subscribe(h, ch, "instant", discordtest.Opt("count", 2))
	if !strings.Contains(rep.Data.Content, "as soon as new stories arrive") {
		t.Fatalf("subscribe: %q", rep.Data.Content)
	}
	arrive := func(origin string, arts ...briefs.Article) {
		for i := range arts {
			arts[i].Date = testEpoch().Add(time.Duration(i+1) * time.Minute)
			arts[i].Origin = origin
		}
		h.lib.Replace(origin, arts)
	}
	fresh := longArticles(3, 77)
	arrive("wire", fresh[0])
	msgs, err := h.srv.WaitMessages(ctx, ch, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ids := postedIDs(t, msgs); !slices.Equal(ids, []string{fresh[0].ID}) {
		t.Fatalf("first instant post: %v, want only the new story %s", ids, fresh[0].ID)
	}
	// The story again from another source, then two new ones: one post of
	// the two, never the copy.
	cp := fresh[0]
	cp.ID = "copy-" + cp.ID
	arrive("agency", cp)
	arrive("wire", fresh[0], fresh[1], fresh[2])
	msgs, err = h.srv.WaitMessages(ctx, ch, 2)
	if err != nil {
		t.Fatal(err)
	}
	ids := postedIDs(t, msgs)
	if len(ids) != 3 || slices.Contains(ids, cp.ID) || !slices.Contains(ids, fresh[1].ID) || !slices.Contains(ids, fresh[2].ID) {
		t.Errorf("posted %v: want %s, then %s and %s, and never the copy", ids, fresh[0].ID, fresh[1].ID, fresh[2].ID)
	}
	sub := h.subscription(ctx, ch)
	waitFor(t, 10*time.Second, "the second post's record", func() bool {
		runs, _ := h.digests.History(ctx, sub, 20)
		return len(runs) == 2
	})
	if line := newestRun(t, history(h, ch)); !strings.Contains(line, "posted 2") {
		t.Errorf("history: %q", line)
	}
}
