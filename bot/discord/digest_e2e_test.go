package discord_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/digest"
	"newsbrief/bot/digest/digesttest"
	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/folder"
	"newsbrief/store/sqlite"
	"newsbrief/store/storetest"
)

const digestChannel = "300000000000000077"

func channelOpt(id string) *discordgo.ApplicationCommandInteractionDataOption {
	return discordtest.TypedOpt("channel", discordgo.ApplicationCommandOptionChannel, id)
}

func subscribe(h *harness, channel, schedule string, extra ...*discordgo.ApplicationCommandInteractionDataOption) *discordtest.Reply {
	h.t.Helper()
	opts := append([]*discordgo.ApplicationCommandInteractionDataOption{channelOpt(channel), discordtest.Opt("schedule", schedule)}, extra...)
	return h.interact(discordtest.Command("digest", discordtest.Sub("subscribe", opts...)))
}

var idInFooter = regexp.MustCompile(`· ([a-z0-9-]+-[0-9a-f]{6})`)

// postedIDs lists the article IDs of every embed posted to channel, in order.
func postedIDs(t *testing.T, msgs []discordtest.Message) []string {
	t.Helper()
	var ids []string
	for _, m := range msgs {
		for _, e := range m.Embeds {
			if e.Footer == nil {
				t.Fatalf("digest embed without footer: %+v", e)
			}
			m := idInFooter.FindStringSubmatch(e.Footer.Text)
			if m == nil {
				t.Fatalf("no article ID in footer %q", e.Footer.Text)
			}
			ids = append(ids, m[1])
		}
	}
	return ids
}

func noDuplicates(t *testing.T, ids []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("article %s posted twice to the subscription", id)
		}
		seen[id] = true
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// subscription returns the channel's stored subscription.
func (h *harness) subscription(ctx context.Context, channel string) digest.Subscription {
	h.t.Helper()
	sub, err := h.st.Subscription(ctx, discordtest.DefaultGuildID, channel, "digest")
	if err != nil {
		h.t.Fatal(err)
	}
	return sub
}

// runNext moves the clock to the channel's next run and waits until the
// run is recorded (posted, nothing new, or failed). It returns the
// subscription as it was before the run.
func (h *harness) runNext(ctx context.Context, channel string) digest.Subscription {
	h.t.Helper()
	sub := h.subscription(ctx, channel)
	if sub.NextRun.IsZero() {
		h.t.Fatalf("channel %s has no next run: %+v", channel, sub)
	}
	h.clock.Set(sub.NextRun)
	h.waitRun(ctx, sub.ID, sub.NextRun)
	return sub
}

// waitRun waits until the subscription's run scheduled for at is recorded.
func (h *harness) waitRun(ctx context.Context, id int64, at time.Time) {
	h.t.Helper()
	waitFor(h.t, 10*time.Second, fmt.Sprintf("subscription %d's run at %s", id, at.Format(time.RFC3339)), func() bool {
		s, err := h.st.SubscriptionByID(ctx, id)
		return err == nil && s.LastRunAt.Equal(at)
	})
}

func writeArticle(t *testing.T, dir, name, title string, date time.Time) {
	t.Helper()
	body := fmt.Sprintf("%s\n\n%s\nA fresh development was reported today. Officials said more details would follow.\n", date.Format("Monday, January 2, 2006"), title)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// witnessChannel's subscription shares the schedule of the one under test:
// once its run is recorded, the runner has looked at every subscription due
// at that time, which is how a test sees that nothing else was posted.
const witnessChannel = "300000000000000079"

func TestDigestPostsOnScheduleExactlyOnce(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	ctx := ctxFor(t, 30*time.Second)
	go h.src.Watch(ctx)

	rep := subscribe(h, digestChannel, "@every 1h", discordtest.Opt("count", 3))
	if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, "Subscribed <#"+digestChannel+">") || strings.Count(rep.Data.Content, "<t:") != 6 {
		t.Fatalf("subscribe reply: %q", rep.Data.Content)
	}
	if next := h.subscription(ctx, digestChannel).NextRun; !next.Equal(testEpoch().Add(time.Hour)) {
		t.Errorf("next run %v, want an hour after subscribing", next)
	}
	if n := len(h.srv.Messages(digestChannel)); n != 0 {
		t.Fatalf("%d digests before the first run", n)
	}
	h.runNext(ctx, digestChannel)
	msgs := h.srv.Messages(digestChannel)
	if len(msgs) != 1 {
		t.Fatalf("%d messages after the first run, want 1", len(msgs))
	}
	first := msgs[0]
	want := h.lib.Latest(3, "")
	got := postedIDs(t, msgs[:1])
	if len(got) != 3 || got[0] != want[0].ID || got[2] != want[2].ID {
		t.Errorf("first digest = %v, want the 3 newest %s, %s, %s", got, want[0].ID, want[1].ID, want[2].ID)
	}
	mustNoMentions(t, first.Raw)
	var body struct {
		Nonce        string `json:"nonce"`
		EnforceNonce bool   `json:"enforce_nonce"`
	}
	if json.Unmarshal(first.Raw, &body); body.Nonce == "" || !body.EnforceNonce || len(body.Nonce) > 25 {
		t.Errorf("digest posted without a usable nonce: %s", first.Raw)
	}

	// The next run posts the next-newest articles, never the same one twice.
	h.runNext(ctx, digestChannel)
	if n := len(h.srv.Messages(digestChannel)); n != 2 {
		t.Fatalf("%d messages after the second run, want 2", n)
	}
	// A new article file shows up in the following digest.
	writeArticle(t, h.dir, "fresh.txt", "Fresh Comet Sighted Over Harbour", time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC))
	waitFor(t, 20*time.Second, "the new article in the library", func() bool {
		return h.lib.Latest(1, "")[0].Title == "Fresh Comet Sighted Over Harbour"
	})
	h.runNext(ctx, digestChannel)
	msgs = h.srv.Messages(digestChannel)
	if len(msgs) != 3 || msgs[2].Embeds[0].Title != "Fresh Comet Sighted Over Harbour" {
		t.Errorf("third digest does not lead with the new article: %d messages", len(msgs))
	}
	noDuplicates(t, postedIDs(t, h.srv.Messages(digestChannel)))

	// Unsubscribe stops it: while a witness on the same schedule runs three
	// times, nothing more is posted.
	rep = h.interact(discordtest.Command("digest", discordtest.Sub("unsubscribe", channelOpt(digestChannel))))
	if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, "Unsubscribed") {
		t.Fatalf("unsubscribe: %q", rep.Data.Content)
	}
	subscribe(h, witnessChannel, "@every 1h")
	for range 3 {
		h.runNext(ctx, witnessChannel)
	}
	if n := len(h.srv.Messages(digestChannel)); n != 3 {
		t.Errorf("%d digests after unsubscribing, want the 3 from before", n)
	}
	h.interact(discordtest.Command("digest", discordtest.Sub("unsubscribe", channelOpt(witnessChannel))))
	rep = h.interact(discordtest.Command("digest", discordtest.Sub("list")))
	if !strings.Contains(rep.Data.Content, "no digest subscriptions") {
		t.Errorf("list after unsubscribe: %q", rep.Data.Content)
	}
}

func TestDigestNothingNewAndList(t *testing.T) {
	t.Parallel()
	h := start(t, setup{articles: briefstest.Articles(2, 9)})
	subscribe(h, digestChannel, "@every 1h", discordtest.Opt("count", 5), discordtest.Opt("timezone", "Europe/Berlin"))
	ctx := ctxFor(t, 20*time.Second)
	h.runNext(ctx, digestChannel)
	h.runNext(ctx, digestChannel)
	rep := h.interact(discordtest.Command("digest", discordtest.Sub("list")))
	if len(rep.Data.Embeds) != 1 {
		t.Fatalf("list: %+v", rep.Data)
	}
	fields := fieldsText(rep.Data.Embeds[0])
	for _, want := range []string{"nothing new", "@every 1h", "Europe/Berlin", "5", "(all)", "<t:"} {
		if !strings.Contains(fields, want) {
			t.Errorf("list lacks %q: %s", want, fields)
		}
	}
	if !isEphemeral(rep) {
		t.Error("list is public")
	}
	if got := len(h.srv.Messages(digestChannel)); got != 1 {
		t.Errorf("%d messages with only 2 articles; want 1 digest and then nothing", got)
	}
	// A run with nothing new is claimed like any other: the next run moved on.
	if sub := h.subscription(ctx, digestChannel); !sub.NextRun.Equal(testEpoch().Add(3 * time.Hour)) {
		t.Errorf("next run after nothing new: %v", sub.NextRun)
	}
	// Preview posts nothing and says there is nothing new.
	pv := h.interact(discordtest.Command("digest", discordtest.Sub("preview")), withChannel(digestChannel))
	if !isEphemeral(pv) || !strings.Contains(pv.Data.Content, "Nothing new") {
		t.Errorf("preview: %q", pv.Data.Content)
	}
}

// fieldsText renders an embed's fields as "name: value" lines.
func fieldsText(e *discordgo.MessageEmbed) string {
	var b strings.Builder
	for _, f := range e.Fields {
		b.WriteString(f.Name + ": " + f.Value + "\n")
	}
	return b.String()
}

func withChannel(id string) func(*discordgo.Interaction) {
	return func(in *discordgo.Interaction) { in.ChannelID = id }
}

func TestDigestPreviewPostsNothing(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	subscribe(h, digestChannel, "@daily", discordtest.Opt("count", 2), discordtest.Opt("topic", "market"))
	rep := h.interact(discordtest.Command("digest", discordtest.Sub("preview")), withChannel(digestChannel))
	if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, "Preview") {
		t.Fatalf("preview: %q", rep.Data.Content)
	}
	if len(rep.Data.Embeds) > 2 {
		t.Errorf("preview shows %d articles for count 2", len(rep.Data.Embeds))
	}
	if n := len(h.srv.Messages(digestChannel)); n != 0 {
		t.Errorf("preview posted %d messages", n)
	}
}

// TestDigestRestartCarriesOn: a run that falls due while the bot is down
// is posted once by the next bot on the same database, at start, and the
// schedule carries on from there without repeating an article.
func TestDigestRestartCarriesOn(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	dir := t.TempDir()
	if err := folder.Write(dir, briefstest.Articles(12, 4)); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "nb.db")
	h := start(t, setup{srv: srv, dir: dir, dbPath: db})
	subscribe(h, digestChannel, "@every 1h", discordtest.Opt("count", 2))
	ctx := ctxFor(t, 30*time.Second)
	h.runNext(ctx, digestChannel)
	h.runNext(ctx, digestChannel)
	due := h.subscription(ctx, digestChannel)
	h.stop()

	// Down while the next run falls due.
	h.clock.Set(due.NextRun.Add(10 * time.Minute))
	h2 := start(t, setup{srv: srv, dir: dir, dbPath: db, clock: h.clock})
	h2.waitRun(ctx, due.ID, due.NextRun)
	if n := len(srv.Messages(digestChannel)); n != 3 {
		t.Errorf("%d digests after the restart, want 3 (the run missed while down, once)", n)
	}
	h2.runNext(ctx, digestChannel)
	h2.stop()
	ids := postedIDs(t, srv.Messages(digestChannel))
	noDuplicates(t, ids)
	if n := len(srv.Messages(digestChannel)); n != 4 || len(ids) != 8 {
		t.Errorf("%d digests of %d articles, want 4 of 8", n, len(ids))
	}
}

// TestDigestTwoBotsOneDatabase runs bots as separate processes would: each
// with its own Discord connection (here, its own fake Discord, so a run
// posted by both would show as two messages), one SQLite file and one
// clock. Every run is posted by exactly one of them, and a subscription
// made through one bot is run by another that was already running.
func TestDigestTwoBotsOneDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := folder.Write(dir, briefstest.Articles(30, 5)); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "nb.db")
	clock := digesttest.NewClock(testEpoch())
	h1 := start(t, setup{dir: dir, dbPath: db, clock: clock})
	h2 := start(t, setup{dir: dir, dbPath: db, clock: clock})
	bots := []*harness{h1, h2}
	posts := func(channel string) (n int) {
		for _, h := range bots {
			n += len(h.srv.Messages(channel))
		}
		return n
	}
	ctx := ctxFor(t, 30*time.Second)
	const chX, chY, chZ, chW = "300000000000000101", "300000000000000102", "300000000000000103", "300000000000000104"
	subscribe(h1, chX, "@every 1h", discordtest.Opt("count", 1))
	subscribe(h2, chY, "@every 1h", discordtest.Opt("count", 1))
	x, y := h1.subscription(ctx, chX), h1.subscription(ctx, chY)
	for i := 1; i <= 4; i++ {
		next := h1.subscription(ctx, chX).NextRun
		clock.Set(next)
		h1.waitRun(ctx, x.ID, next)
		h1.waitRun(ctx, y.ID, next)
		if px, py := posts(chX), posts(chY); px != i || py != i {
			t.Fatalf("after %d runs: %d digests in X, %d in Y across both bots, want %d each", i, px, py, i)
		}
	}

	// Made through h1, run by h2 once h1 is gone: h2 saw it without a restart.
	subscribe(h1, chZ, "@every 1h", discordtest.Opt("count", 1))
	h1.stop()
	zRun := h2.runNext(ctx, chZ).NextRun
	if n := len(h2.srv.Messages(chZ)); n != 1 {
		t.Errorf("bot 2 posted %d digests for the subscription made through bot 1, want 1", n)
	}
	// X and Y run then too. Wait for them before a third bot starts: a
	// starting bot finishes every digest still pending, and one that bot 2
	// is posting at that moment would go out through both. On Discord the
	// second post carries the same nonce and is dropped; here each bot has
	// its own fake Discord, so it would count twice.
	h2.waitRun(ctx, x.ID, zRun)
	h2.waitRun(ctx, y.ID, zRun)
	// And the other way round, with a third bot started before it.
	h3 := start(t, setup{dir: dir, dbPath: db, clock: clock})
	bots = append(bots, h3)
	subscribe(h2, chW, "@every 1h", discordtest.Opt("count", 1))
	h2.stop()
	w := h3.runNext(ctx, chW)
	if n := len(h3.srv.Messages(chW)); n != 1 {
		t.Errorf("bot 3 posted %d digests for the subscription made through bot 2, want 1", n)
	}
	// X and Y ran at Z's and W's runs too, and Z at W's: count every run
	// once across the three bots.
	z := h3.subscription(ctx, chZ)
	for _, id := range []int64{x.ID, y.ID, z.ID} {
		h3.waitRun(ctx, id, w.NextRun)
	}
	for ch, want := range map[string]int{chX: 6, chY: 6, chZ: 2, chW: 1} {
		if n := posts(ch); n != want {
			t.Errorf("channel %s: %d digests across the bots, want %d", ch, n, want)
		}
		var ids []string
		for _, h := range bots {
			ids = append(ids, postedIDs(t, h.srv.Messages(ch))...)
		}
		noDuplicates(t, ids)
	}
}

// TestDigestCrashBetweenPostAndMark simulates a crash after Discord took the
// message but before the bot marked it sent: at start the bot posts it again
// with the same nonce, and Discord (the fake honours enforce_nonce) keeps one.
func TestDigestCrashBetweenPostAndMark(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	dir := t.TempDir()
	arts := briefstest.Articles(6, 2)
	if err := folder.Write(dir, arts); err != nil {
		t.Fatal(err)
	}
	lib := briefs.New()
	if _, err := folder.Load(lib, dir); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "nb.db")
	ctx := ctxFor(t, 30*time.Second)
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := st.PutSubscription(ctx, digest.Subscription{GuildID: discordtest.DefaultGuildID, ChannelID: digestChannel,
		Schedule: "@every 1h", Timezone: "UTC", Count: 2, CreatedBy: "1", CreatedAt: testEpoch(), NextRun: testEpoch().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	latest := lib.Latest(2, "")
	ids := []string{latest[0].ID, latest[1].ID}
	crashed, err := storetest.Begin(ctx, st, sub.ID, "crashnonce0000000001", ids, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The post that reached Discord before the crash.
	body, _ := json.Marshal(map[string]any{"content": "News digest: 2 new articles", "nonce": crashed.Nonce, "enforce_nonce": true,
		"embeds": []map[string]any{{"title": latest[0].Title}}})
	req, _ := http.NewRequest("POST", srv.URL()+"/channels/"+digestChannel+"/messages", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bot "+discordtest.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("pre-crash post: %v %v", err, resp)
	}
	resp.Body.Close()
	// A second digest recorded whose post never left (crash before posting).
	lost, err := storetest.Begin(ctx, st, sub.ID, "lostnonce00000000001", []string{lib.Latest(3, "")[2].ID}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	h := start(t, setup{srv: srv, dir: dir, dbPath: db})
	waitFor(t, 10*time.Second, "pending digests to be finished", func() bool {
		p, err := h.st.PendingDigests(ctx)
		return err == nil && len(p) == 0
	})
	msgs := srv.Messages(digestChannel)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2: the crashed digest once, the lost one once", len(msgs))
	}
	if msgs[0].Nonce != crashed.Nonce || msgs[1].Nonce != lost.Nonce {
		t.Errorf("nonces %q, %q", msgs[0].Nonce, msgs[1].Nonce)
	}
	posted, err := h.st.PostedIDs(ctx, sub.ID, ids)
	if err != nil || !posted[ids[0]] || !posted[ids[1]] {
		t.Errorf("posted = %v, %v", posted, err)
	}
}

func TestDigestForbiddenChannelPauses(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.srv.ForbidChannel(digestChannel)
	subscribe(h, digestChannel, "@every 1h")
	subscribe(h, witnessChannel, "@every 1h")
	ctx := ctxFor(t, 20*time.Second)
	h.runNext(ctx, digestChannel)
	sub := h.subscription(ctx, digestChannel)
	if !strings.Contains(sub.Paused, "403") {
		t.Errorf("pause reason %q", sub.Paused)
	}
	rep := h.interact(discordtest.Command("digest", discordtest.Sub("list")))
	if !strings.Contains(fieldsText(rep.Data.Embeds[0]), "paused: 403") {
		t.Errorf("list does not show the pause: %+v", rep.Data.Embeds[0].Fields)
	}
	// Paused means no retries: while the witness runs twice more, nothing is
	// asked of the forbidden channel. The one request is the poster's
	// lookup of the channel, which Discord refuses before any post.
	h.runNext(ctx, witnessChannel)
	h.runNext(ctx, witnessChannel)
	requests := 0
	for _, r := range h.srv.Requests() {
		if r.Path == "/channels/"+digestChannel || strings.HasPrefix(r.Path, "/channels/"+digestChannel+"/") {
			requests++
		}
	}
	if requests != 1 {
		t.Errorf("%d requests about a forbidden channel, want 1", requests)
	}
	// The articles of the failed digest were released, not kept as sent.
	if p, _ := h.st.PostedIDs(ctx, sub.ID, []string{h.lib.Latest(1, "")[0].ID}); len(p) != 0 {
		t.Errorf("articles of the failed digest still count as posted: %v", p)
	}
	// Subscribing again resumes.
	subscribe(h, digestChannel, "@every 1h")
	s, err := h.st.Subscription(ctx, discordtest.DefaultGuildID, digestChannel, "digest")
	if err != nil || s.Paused != "" || !s.NextRun.After(h.clock.Now()) {
		t.Errorf("after re-subscribing: paused=%q next=%v err=%v", s.Paused, s.NextRun, err)
	}
}

func TestDigestRateLimitedPostIsRetried(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.srv.FailNext("POST", "/channels/"+digestChannel+"/messages", 429, 1)
	h.srv.FailNext("POST", "/channels/"+digestChannel+"/messages", 500, 1)
	subscribe(h, digestChannel, "@every 1h")
	ctx := ctxFor(t, 20*time.Second)
	h.runNext(ctx, digestChannel)
	msgs := h.srv.Messages(digestChannel)
	if len(msgs) != 1 {
		t.Fatalf("%d messages after a 429 and a 500, want 1", len(msgs))
	}
	if h.srv.Count429() != 1 {
		t.Errorf("Count429 = %d", h.srv.Count429())
	}
	s, _ := h.st.Subscription(ctx, discordtest.DefaultGuildID, digestChannel, "digest")
	if s.LastOutcome != "posted 5" || s.Paused != "" {
		t.Errorf("outcome %q paused %q", s.LastOutcome, s.Paused)
	}
}

func TestDigestRefusesBadInput(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	cases := []struct {
		schedule string
		extra    []*discordgo.ApplicationCommandInteractionDataOption
		want     string
	}{
		{"every morning", nil, "not a schedule"},
		{"0 9 * *", nil, "not a schedule"},
		{"CRON_TZ=Europe/Berlin 0 9 * * *", nil, "timezone option"},
		{"TZ=", nil, "timezone option"},
		{"0 0 30 2 *", nil, "never fires"},
		{"0,0 9 * * *", nil, ""},
		{"0 9 * * *", []*discordgo.ApplicationCommandInteractionDataOption{discordtest.Opt("timezone", "Mars/Olympus")}, "Unknown time zone \"Mars/Olympus\""},
		{"0 9 * * *", []*discordgo.ApplicationCommandInteractionDataOption{discordtest.Opt("timezone", "Local")}, "Unknown time zone"},
		{"0 9 * * *", []*discordgo.ApplicationCommandInteractionDataOption{discordtest.Opt("count", 0)}, "between 1 and 10"},
	}
	for _, tc := range cases {
		rep := subscribe(h, digestChannel, tc.schedule, tc.extra...)
		if tc.want == "" {
			if !strings.Contains(rep.Data.Content, "Subscribed") {
				t.Errorf("%q refused: %q", tc.schedule, rep.Data.Content)
			}
			continue
		}
		if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, tc.want) {
			t.Errorf("%q: reply %q, want ephemeral containing %q", tc.schedule, rep.Data.Content, tc.want)
		}
	}
	// Too often for the configured minimum, judged on upcoming gaps.
	strict := start(t, setup{digestOpts: []digest.Option{digest.WithMinInterval(time.Hour)}})
	for _, spec := range []string{"*/5 * * * *", "0,1 9 * * *", "@every 30m", "@every 1s", "* * * * *"} {
		rep := subscribe(strict, digestChannel, spec)
		if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, "too often") || !strings.Contains(rep.Data.Content, "0 9 * * 1-5") {
			t.Errorf("%q at a 1h minimum: %q", spec, rep.Data.Content)
		}
	}
	// The bot still answers.
	rep := h.interact(discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("count", 1))))
	if len(rep.Data.Embeds) != 1 {
		t.Errorf("bot stopped answering: %+v", rep.Data)
	}
	// Timezone autocomplete.
	rep = h.interact(discordtest.Autocomplete("digest", discordtest.Sub("subscribe", channelOpt(digestChannel), discordtest.Opt("schedule", "x"), discordtest.Focused("timezone", "berl"))))
	if len(rep.Data.Choices) == 0 || rep.Data.Choices[0].Value != "Europe/Berlin" {
		t.Errorf("timezone completion: %+v", rep.Data.Choices)
	}
}

func TestDigestNeedsManageChannels(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	in := discordtest.Command("digest", discordtest.Sub("list"))
	in.Member = &discordgo.Member{User: &discordgo.User{ID: "400000000000000009"}, Permissions: discordgo.PermissionSendMessages}
	rep := h.interact(in)
	if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, "Manage Channels") {
		t.Errorf("member without Manage Channels: %q", rep.Data.Content)
	}
}

func TestDigestMissedRunPostsOnceAtStart(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	db := filepath.Join(t.TempDir(), "nb.db")
	ctx := ctxFor(t, 20*time.Second)
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	// Stored as a build before next runs were stored left them: the bot
	// schedules them at start from their last run.
	now := testEpoch()
	sub, err := st.PutSubscription(ctx, digest.Subscription{GuildID: discordtest.DefaultGuildID, ChannelID: digestChannel,
		Schedule: "0 * * * *", Timezone: "UTC", Count: 2, CreatedBy: "1", CreatedAt: now.Add(-48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// Last ran three hours ago: three hourly runs were missed.
	if err := st.RecordRun(ctx, digest.RunRecord{SubscriptionID: sub.ID, ScheduledFor: now.Add(-3 * time.Hour), Outcome: "posted 2"}); err != nil {
		t.Fatal(err)
	}
	// A yearly digest whose latest missed run (1 January) is beyond the
	// 24h grace period: not posted at start.
	other, _ := st.PutSubscription(ctx, digest.Subscription{GuildID: discordtest.DefaultGuildID, ChannelID: "300000000000000088",
		Schedule: "0 0 1 1 *", Timezone: "UTC", Count: 2, CreatedBy: "1", CreatedAt: now.Add(-3 * 365 * 24 * time.Hour)})
	_ = st.RecordRun(ctx, digest.RunRecord{SubscriptionID: other.ID, ScheduledFor: now.Add(-2 * 365 * 24 * time.Hour), Outcome: "posted 2"})
	st.Close()

	h := start(t, setup{srv: srv, dbPath: db})
	h.waitRun(ctx, sub.ID, now) // the latest missed run, on the hour
	waitFor(t, 5*time.Second, "the yearly digest's missed run to be skipped", func() bool {
		s, err := h.st.SubscriptionByID(ctx, other.ID)
		return err == nil && s.NextRun.After(now)
	})
	msgs := srv.Messages(digestChannel)
	if len(msgs) != 1 {
		t.Fatalf("%d catch-up digests, want exactly 1 (the latest missed run)", len(msgs))
	}
	if len(postedIDs(t, msgs)) != 2 {
		t.Errorf("missed digest: %d articles", len(postedIDs(t, msgs)))
	}
	if s := h.subscription(ctx, digestChannel); s.LastOutcome != "posted 2" || !s.NextRun.Equal(now.Add(time.Hour)) {
		t.Errorf("after catch-up: outcome %q, next run %v", s.LastOutcome, s.NextRun)
	}
	if n := len(srv.Messages("300000000000000088")); n != 0 {
		t.Errorf("a run missed long ago was posted (grace is 24h)")
	}
	if s, _ := h.st.SubscriptionByID(ctx, other.ID); !s.LastRunAt.Equal(now.Add(-2 * 365 * 24 * time.Hour)) {
		t.Errorf("a skipped run was recorded as run: %v", s.LastRunAt)
	}
}

// TestDigestFailedPostGoesOutNextRun: a post that fails past its retries
// stays recorded and pending; the next run sends it before anything newer.
func TestDigestFailedPostGoesOutNextRun(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	subscribe(h, digestChannel, "@every 1h", discordtest.Opt("count", 2))
	ctx := ctxFor(t, 60*time.Second)
	h.srv.FailNext("POST", "/channels/"+digestChannel+"/messages", 500, 5)
	h.runNext(ctx, digestChannel)
	if n := len(h.srv.Messages(digestChannel)); n != 0 {
		t.Fatalf("%d messages despite five 500s", n)
	}
	s, _ := h.st.Subscription(ctx, discordtest.DefaultGuildID, digestChannel, "digest")
	if !strings.HasPrefix(s.LastOutcome, "failed") || s.Paused != "" {
		t.Errorf("after repeated 500s: outcome %q paused %q", s.LastOutcome, s.Paused)
	}
	h.runNext(ctx, digestChannel)
	msgs := h.srv.Messages(digestChannel)
	if len(msgs) != 2 {
		t.Fatalf("%d messages on the next run, want 2 (the pending digest, then the next)", len(msgs))
	}
	ids := postedIDs(t, msgs)
	want := h.lib.Latest(4, "")
	if len(ids) != 4 || ids[0] != want[0].ID || ids[2] != want[2].ID {
		t.Errorf("posted %v, want the 2 newest then the next 2", ids)
	}
	noDuplicates(t, ids)
}

// TestDigestSplitsOnlyWhenLimitsForce: ten articles whose summaries are long
// sentences exceed Discord's 6,000 characters per message, so the digest goes
// out as two messages (the second with its own derived nonce); a small digest
// stays one message.
func TestDigestSplitsOnlyWhenLimitsForce(t *testing.T) {
	t.Parallel()
	arts := briefstest.Articles(10, 8)
	for i := range arts {
		long := strings.Repeat(fmt.Sprintf("word%d ", i), 130) // one 900-character sentence
		arts[i].Paragraphs = []string{"Lead " + long + "ends here."}
	}
	h := start(t, setup{articles: arts})
	subscribe(h, digestChannel, "@every 1h", discordtest.Opt("count", 10))
	ctx := ctxFor(t, 20*time.Second)
	h.runNext(ctx, digestChannel)
	msgs := h.srv.Messages(digestChannel)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	if msgs[1].Nonce != msgs[0].Nonce+"-1" {
		t.Errorf("nonces %q and %q", msgs[0].Nonce, msgs[1].Nonce)
	}
	ids := postedIDs(t, msgs)
	if len(ids) != 10 {
		t.Errorf("%d articles across the messages, want 10", len(ids))
	}
	noDuplicates(t, ids)
	for _, m := range msgs {
		mustNoMentions(t, m.Raw)
	}
}
