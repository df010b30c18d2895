package discord_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/command"
	"newsbrief/bot/digest"
	"newsbrief/bot/digest/digesttest"
	"newsbrief/bot/discord"
	"newsbrief/bot/discord/discordtest"
	"newsbrief/bot/discord/internal/testparallel"
	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/folder"
	"newsbrief/briefs/summarize"
	"newsbrief/internal/lifecycle"
	"newsbrief/store/postgres"
	"newsbrief/store/postgres/pgtest"
	"newsbrief/store/sqlite"
)

// harness is the real bot, with real discordgo, connected to the fake
// Discord server, over a real article folder and a real SQLite file.
type harness struct {
	t       *testing.T
	srv     *discordtest.Server
	lib     *briefs.Library
	src     *folder.Source
	dir     string
	dbPath  string
	st      testStore
	digests *digest.Service
	// clock is what the digest service goes by: the tests move it.
	clock  *digesttest.Clock
	cancel context.CancelFunc
	done   chan error
	logs   *syncBuffer
}

// syncBuffer collects the bot's logs from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type setup struct {
	articles []briefs.Article
	guild    string
	opts     []discord.Option
	// handlers are extra command handlers, for tests of failing, panicking
	// and slow handlers.
	handlers   map[string]command.Handler
	digestOpts []digest.Option
	srvOpts    []discordtest.Option
	srv        *discordtest.Server
	dir        string
	dbPath     string
	// databaseURL, when set, runs the bot on this PostgreSQL database
	// instead of a SQLite file (see eachDatabase).
	databaseURL string
	// clock is the digest service's; a fresh one at testEpoch when nil.
	clock  *digesttest.Clock
	noWait bool
	// lookups lets /digest look channels up through the bot, as the
	// program wires it: delivery options are checked against the
	// channel's kind and a forum's tags are offered.
	lookups bool
}

// testEpoch is where the digest tests' clocks start: a Monday morning.
func testEpoch() time.Time { return time.Date(2030, 1, 7, 8, 0, 0, 0, time.UTC) }

func ctxFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// start runs a bot and its digest runner until the test ends (or h.stop).
func start(t *testing.T, s setup) *harness {
	t.Helper()
	h := &harness{t: t, srv: s.srv, dir: s.dir, dbPath: s.dbPath, clock: s.clock}
	if h.clock == nil {
		h.clock = digesttest.NewClock(testEpoch())
	}
	if h.srv == nil {
		h.srv = discordtest.New(t, s.srvOpts...)
	}
	if h.dir == "" {
		h.dir = t.TempDir()
		arts := s.articles
		if arts == nil {
			arts = briefstest.Articles(30, 7)
		}
		if err := folder.Write(h.dir, arts); err != nil {
			t.Fatal(err)
		}
	}
	if h.dbPath == "" {
		h.dbPath = filepath.Join(t.TempDir(), "newsbrief.db")
	}
	lib := briefs.New()
	src, err := folder.Load(lib, h.dir)
	if err != nil {
		t.Fatal(err)
	}
	h.lib, h.src = lib, src
	var st testStore
	if s.databaseURL != "" {
		st, err = postgres.Open(context.Background(), s.databaseURL)
	} else {
		st, err = sqlite.Open(context.Background(), h.dbPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	h.st = st
	dopts := append([]digest.Option{digest.WithMinInterval(time.Second), digest.WithMissedGrace(24 * time.Hour), digest.WithClock(h.clock)}, s.digestOpts...)
	h.logs = &syncBuffer{}
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.digests = digest.New(lib, st, append(dopts, digest.WithLogger(log))...)
	opts := append([]discord.Option{discord.WithAPIURL(h.srv.URL()), discord.WithGuild(s.guild), discord.WithLogger(log),
		discord.WithPostBackoff(10 * time.Millisecond)}, s.opts...)
	var b *discord.Bot
	var copts []command.Option
	if s.lookups {
		copts = append(copts, command.WithChannels(channelLookup(func(ctx context.Context, id string) (digest.Channel, error) { return b.Channel(ctx, id) })))
	}
	router := command.New(lib, h.digests, log, copts...)
	for path, hd := range s.handlers {
		router.Handle(path, hd)
	}
	b = discord.New(router, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	// As the program runs them: the digest runner posts through the bot,
	// so it starts once the bot is connected, and stops first.
	var g lifecycle.Group
	g.Add("gateway", func(ctx context.Context, started func()) error { return b.Run(ctx, discordtest.Token, started) })
	g.Add("digest runner", lifecycle.StartStop(func(ctx context.Context) error { return h.digests.Start(ctx, b.Poster()) }, h.digests.Stop))
	go func() { h.done <- g.Run(ctx) }()
	t.Cleanup(h.stop)
	if !s.noWait {
		wctx := ctxFor(t, 10*time.Second)
		if err := h.srv.WaitReady(wctx); err != nil {
			t.Fatalf("bot never became ready: %v", err)
		}
		if _, err := h.srv.WaitCommands(wctx, s.guild); err != nil {
			t.Fatalf("commands never registered: %v", err)
		}
		<-h.digests.Started()
	}
	return h
}

// channelLookup is a function as command.Channels.
type channelLookup func(ctx context.Context, id string) (digest.Channel, error)

func (f channelLookup) Channel(ctx context.Context, id string) (digest.Channel, error) {
	return f(ctx, id)
}

// stop shuts the bot and the digest runner down as SIGTERM would and waits
// for them.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run returned %v after shutdown", err)
		}
	case <-time.After(15 * time.Second):
		h.t.Error("Run did not return after shutdown")
	}
	h.st.Close()
	h.checkLogs()
}

// checkLogs asserts what every run's logs must show, and never show.
func (h *harness) checkLogs() {
	logs := h.logs.String()
	if strings.Contains(logs, discordtest.Token) {
		h.t.Error("the token appears in the logs")
	}
	for _, want := range []string{"msg=connecting", "msg=ready", "guilds=1", "msg=\"commands registered\"", "msg=\"shut down\""} {
		if !strings.Contains(logs, want) {
			h.t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

func (h *harness) interact(in *discordgo.Interaction, mods ...func(*discordgo.Interaction)) *discordtest.Reply {
	h.t.Helper()
	for _, m := range mods {
		m(in)
	}
	rep, err := h.srv.Interact(ctxFor(h.t, 10*time.Second), in)
	if err != nil {
		h.t.Fatalf("interaction not answered: %v", err)
	}
	return rep
}

func isEphemeral(r *discordtest.Reply) bool {
	return r.Data.Flags&discordgo.MessageFlagsEphemeral != 0
}

func mustNoMentions(t *testing.T, raw json.RawMessage) {
	t.Helper()
	var body struct {
		AllowedMentions *struct {
			Parse []string `json:"parse"`
		} `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	if body.AllowedMentions == nil || body.AllowedMentions.Parse == nil || len(body.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed_mentions is not {\"parse\": []}: %s", raw)
	}
	if !strings.Contains(string(raw), `"allowed_mentions":{"parse":[]`) {
		t.Errorf("allowed_mentions.parse not sent as an empty list: %s", raw)
	}
}

func TestCommandsRegisteredGuildAndGlobal(t *testing.T) {
	t.Parallel()
	h := start(t, setup{guild: discordtest.DefaultGuildID})
	cmds := h.srv.Commands(discordtest.DefaultGuildID)
	names := map[string]*discordgo.ApplicationCommand{}
	for _, c := range cmds {
		names[c.Name] = c
	}
	if names["brief"] == nil || names["digest"] == nil || len(cmds) != 2 {
		t.Fatalf("guild commands = %v", cmds)
	}
	if len(h.srv.Commands("")) != 0 {
		t.Error("commands registered globally although a guild was set")
	}
	d := names["digest"]
	if d.DefaultMemberPermissions == nil || *d.DefaultMemberPermissions != discordgo.PermissionManageChannels {
		t.Errorf("digest default_member_permissions = %v", d.DefaultMemberPermissions)
	}
	if d.Contexts == nil || len(*d.Contexts) != 1 || (*d.Contexts)[0] != discordgo.InteractionContextGuild {
		t.Error("digest is not limited to servers")
	}
	ids := h.srv.Identifies()
	var identify struct {
		Intents int `json:"intents"`
	}
	if len(ids) == 0 || json.Unmarshal(ids[0], &identify) != nil || identify.Intents != int(discordgo.IntentsGuilds) {
		t.Errorf("identify intents = %d, want guilds only (%d)", identify.Intents, discordgo.IntentsGuilds)
	}

	g := start(t, setup{})
	if len(g.srv.Commands("")) != 2 {
		t.Errorf("global commands = %v", g.srv.Commands(""))
	}
}

func TestBriefLatest(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	rep := h.interact(discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("count", 3))))
	if rep.Type != discordgo.InteractionResponseChannelMessageWithSource || isEphemeral(rep) {
		t.Fatalf("reply type %d flags %d", rep.Type, rep.Data.Flags)
	}
	if len(rep.Data.Embeds) != 3 {
		t.Fatalf("%d embeds, want 3", len(rep.Data.Embeds))
	}
	want := h.lib.Latest(3, "")
	for i, e := range rep.Data.Embeds {
		if e.Title != want[i].Title {
			t.Errorf("embed %d title %q, want %q (newest first)", i, e.Title, want[i].Title)
		}
		if e.Description == "" || !strings.Contains(e.Footer.Text, h.src.Origin()+" · "+path.Base(want[i].File)) {
			t.Errorf("embed %d: description %q footer %q", i, e.Description, e.Footer.Text)
		}
		if len(e.Fields) == 0 || !strings.Contains(e.Fields[0].Value, fmt.Sprintf("<t:%d:D>", want[i].Date.Unix())) {
			t.Errorf("embed %d lacks the date as a Discord timestamp: %+v", i, e.Fields)
		}
	}
	mustNoMentions(t, rep.Raw)

	// Default count, and a topic.
	rep = h.interact(discordtest.Command("brief", discordtest.Sub("latest")))
	if len(rep.Data.Embeds) != 5 {
		t.Errorf("default count: %d embeds, want 5", len(rep.Data.Embeds))
	}
	topic := ""
	for _, w := range strings.Fields(strings.ToLower(want[0].Title)) {
		if len(w) > len(topic) {
			topic = w
		}
	}
	rep = h.interact(discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("topic", topic))))
	if isEphemeral(rep) || len(rep.Data.Embeds) == 0 {
		t.Errorf("topic %q: %+v", topic, rep.Data)
	}

	// Out of range (Discord enforces min/max, but a client can send anything).
	for _, n := range []int{0, 11, -3} {
		rep = h.interact(discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("count", n))))
		if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, "between 1 and 10") {
			t.Errorf("count %d: reply %q ephemeral=%v", n, rep.Data.Content, isEphemeral(rep))
		}
	}
	rep = h.interact(discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("topic", "zzqxv nothing matches"))))
	if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, "No article matches") {
		t.Errorf("unmatched topic: %q", rep.Data.Content)
	}
}

func TestBriefReadAndAutocomplete(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	// An empty query offers the newest articles, at most 25, names within 100.
	rep := h.interact(discordtest.Autocomplete("brief", discordtest.Sub("read", discordtest.Focused("article", ""))))
	if rep.Type != discordgo.InteractionApplicationCommandAutocompleteResult {
		t.Fatalf("autocomplete reply type %d", rep.Type)
	}
	if len(rep.Data.Choices) != 25 {
		t.Fatalf("%d choices, want 25", len(rep.Data.Choices))
	}
	newest := h.lib.Latest(1, "")[0]
	if rep.Data.Choices[0].Value != newest.ID {
		t.Errorf("first choice %v, want the newest article %s", rep.Data.Choices[0].Value, newest.ID)
	}
	for _, c := range rep.Data.Choices {
		if len([]rune(c.Name)) > 100 {
			t.Errorf("choice name %d characters", len([]rune(c.Name)))
		}
	}
	// Typing part of a title finds it first.
	target := h.lib.All()[7]
	prefix := target.Title[:12]
	rep = h.interact(discordtest.Autocomplete("brief", discordtest.Sub("read", discordtest.Focused("article", strings.ToUpper(prefix)))))
	if len(rep.Data.Choices) == 0 || !strings.HasPrefix(strings.ToLower(rep.Data.Choices[0].Name), strings.ToLower(prefix)) {
		t.Errorf("completion of %q: %+v", prefix, rep.Data.Choices)
	}

	// Reading by ID, at each length.
	for _, tc := range []struct {
		length string
		max    int
	}{{"short", 1}, {"standard", 3}, {"long", 5}} {
		rep = h.interact(discordtest.Command("brief", discordtest.Sub("read", discordtest.Opt("article", target.ID), discordtest.Opt("length", tc.length))))
		if len(rep.Data.Embeds) != 1 || rep.Data.Embeds[0].Title != target.Title {
			t.Fatalf("read %s: %+v", target.ID, rep.Data)
		}
		e := rep.Data.Embeds[0]
		want := summarize.Summarize(target.Text(), summarize.Length{Sentences: tc.max})
		if e.Description != strings.Join(want.Sentences, " ") {
			t.Errorf("%s summary = %q, want %q", tc.length, e.Description, strings.Join(want.Sentences, " "))
		}
		var fields []string
		for _, f := range e.Fields {
			fields = append(fields, f.Name)
		}
		if got := strings.Join(fields, ","); got != "Published,Keywords,Reading time" {
			t.Errorf("fields = %s", got)
		}
		mustNoMentions(t, rep.Raw)
	}
	// A value that is no ID is read as a title.
	rep = h.interact(discordtest.Command("brief", discordtest.Sub("read", discordtest.Opt("article", target.Title))))
	if len(rep.Data.Embeds) != 1 || rep.Data.Embeds[0].Title != target.Title {
		t.Errorf("read by title: %+v", rep.Data)
	}
	rep = h.interact(discordtest.Command("brief", discordtest.Sub("read", discordtest.Opt("article", "qqqq-no-such-thing-zzzz"))))
	if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, "No article matches") {
		t.Errorf("unknown article: %q ephemeral=%v", rep.Data.Content, isEphemeral(rep))
	}
	rep = h.interact(discordtest.Command("brief", discordtest.Sub("read", discordtest.Opt("article", target.ID), discordtest.Opt("length", "epic"))))
	if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, "short, standard or long") {
		t.Errorf("bad length: %q", rep.Data.Content)
	}
}

func TestBriefSearchRanked(t *testing.T) {
	t.Parallel()
	arts := briefstest.Articles(20, 3)
	arts[4].Title = "Volcano erupts near coastal town"
	arts[4].Paragraphs = append(arts[4].Paragraphs, "The volcano sent ash over the town. Volcano experts said the volcano may erupt again.")
	arts[9].Paragraphs = append(arts[9].Paragraphs, "A museum opened an exhibit about a volcano.")
	h := start(t, setup{articles: arts})
	rep := h.interact(discordtest.Command("brief", discordtest.Sub("search", discordtest.Opt("query", "volcano"))))
	if len(rep.Data.Embeds) != 2 {
		t.Fatalf("%d results, want 2: %+v", len(rep.Data.Embeds), rep.Data)
	}
	if !strings.Contains(rep.Data.Embeds[0].Title, "Volcano erupts") || !strings.HasPrefix(rep.Data.Embeds[0].Title, "1. ") {
		t.Errorf("best match first: %q", rep.Data.Embeds[0].Title)
	}
	if !strings.Contains(strings.ToLower(rep.Data.Embeds[1].Description), "volcano") {
		t.Errorf("snippet without the term: %q", rep.Data.Embeds[1].Description)
	}
	mustNoMentions(t, rep.Raw)
	for _, q := range []string{"", "   "} {
		rep = h.interact(discordtest.Command("brief", discordtest.Sub("search", discordtest.Opt("query", q))))
		if !isEphemeral(rep) {
			t.Errorf("empty query %q answered publicly: %q", q, rep.Data.Content)
		}
	}
}

func TestMentionsInArticlesPingNobody(t *testing.T) {
	t.Parallel()
	arts := briefstest.Articles(3, 5)
	arts[0].Title = "@everyone Breaking <@&123456789012345678> news"
	arts[0].Date = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	arts[0].Paragraphs = []string{"@everyone and @here should not be pinged by <@123456789012345678>. This is a second sentence."}
	h := start(t, setup{articles: arts})
	rep := h.interact(discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("count", 1))))
	if !strings.Contains(string(rep.Raw), "@everyone") {
		t.Fatalf("the article text did not reach the reply: %s", rep.Raw)
	}
	mustNoMentions(t, rep.Raw)
}

func TestFailingAndPanickingHandlersStillAnswer(t *testing.T) {
	t.Parallel()
	release, releaseFail := make(chan struct{}), make(chan struct{})
	h := start(t, setup{handlers: map[string]command.Handler{
		"boom": func(context.Context, command.Request) (command.Reply, error) { panic("kaboom") },
		"fail": func(context.Context, command.Request) (command.Reply, error) {
			return command.Reply{}, errors.New("disk on fire")
		},
		"slow": func(context.Context, command.Request) (command.Reply, error) {
			<-release
			return command.Reply{Content: "done slowly"}, nil
		},
		"slowfail": func(context.Context, command.Request) (command.Reply, error) {
			<-releaseFail
			return command.Reply{}, command.Userf("that went wrong")
		},
	}, opts: []discord.Option{discord.WithDeferAfter(50 * time.Millisecond)}})
	for _, name := range []string{"boom", "fail"} {
		rep := h.interact(discordtest.Command(name))
		if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, "went wrong") {
			t.Errorf("%s: reply %q ephemeral=%v", name, rep.Data.Content, isEphemeral(rep))
		}
		if strings.Contains(rep.Data.Content, "kaboom") || strings.Contains(rep.Data.Content, "disk on fire") {
			t.Errorf("%s: internal error shown to the user: %q", name, rep.Data.Content)
		}
	}
	// A slow handler is deferred, then the original response is edited.
	go releaseAfterDefer(h.srv, release, 1)
	rep := h.interact(discordtest.Command("slow"))
	if !rep.Deferred || rep.Data.Content != "done slowly" {
		t.Errorf("slow: deferred=%v content=%q", rep.Deferred, rep.Data.Content)
	}
	mustNoMentions(t, rep.Raw)
	// A slow failure must not show publicly: the public acknowledgement is
	// replaced by an ephemeral followup.
	go releaseAfterDefer(h.srv, releaseFail, 2)
	rep = h.interact(discordtest.Command("slowfail"))
	if !rep.Deferred || !isEphemeral(rep) || rep.Data.Content != "that went wrong" {
		t.Errorf("slow failure: deferred=%v ephemeral=%v content=%q", rep.Deferred, isEphemeral(rep), rep.Data.Content)
	}
	// And the bot is still alive.
	rep = h.interact(discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("count", 1))))
	if len(rep.Data.Embeds) != 1 {
		t.Errorf("after failures: %+v", rep.Data)
	}
}

// releaseAfterDefer closes release once the fake has seen n deferred
// acknowledgements, so a slow handler finishes only after the bot deferred.
func releaseAfterDefer(srv *discordtest.Server, release chan struct{}, n int) {
	for {
		seen := 0
		for _, r := range srv.Requests() {
			if strings.HasSuffix(r.Path, "/callback") && strings.Contains(string(r.Body), `"type":5`) {
				seen++
			}
		}
		if seen >= n {
			close(release)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReconnectAfterDroppedWebsocket(t *testing.T) {
	t.Parallel()
	// A long heartbeat: with a heartbeat due during the drop, discordgo
	// v0.29.0's reader and heartbeat goroutines both reconnect, racing on
	// its own fields (a discordgo bug the race detector reports).
	h := start(t, setup{srvOpts: []discordtest.Option{discordtest.WithHeartbeatInterval(time.Minute)}})
	// And the first heartbeat, which discordgo sends on connecting, already
	// sent: see DropConnections.
	if err := h.srv.WaitHeartbeats(ctxFor(t, 10*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	h.srv.DropConnections()
	rep := h.interact(discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("count", 2))))
	if len(rep.Data.Embeds) != 2 {
		t.Fatalf("after a drop: %+v", rep.Data)
	}
	if h.srv.Resumes() == 0 && len(h.srv.Identifies()) < 2 {
		t.Error("the bot answered without reconnecting?")
	}
}

func TestRateLimitedReplyIsRetried(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.srv.FailNext("POST", "/interactions/", 429, 1)
	rep := h.interact(discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("count", 1))))
	if len(rep.Data.Embeds) != 1 {
		t.Fatalf("after a 429: %+v", rep.Data)
	}
	if h.srv.Count429() != 1 {
		t.Errorf("Count429 = %d, want 1 (the injected one)", h.srv.Count429())
	}
	// A 500 is retried by the bot itself.
	h.srv.FailNext("POST", "/interactions/", 500, 1)
	rep = h.interact(discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("count", 1))))
	if len(rep.Data.Embeds) != 1 {
		t.Fatalf("after a 500: %+v", rep.Data)
	}
}

func TestRejectedTokenIsAClearError(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	lib := briefstest.Library(briefstest.Articles(2, 1))
	err := discord.New(command.New(lib, nil, nil), discord.WithAPIURL(srv.URL())).Run(ctxFor(t, 10*time.Second), "wrong-token", nil)
	if !errors.Is(err, discord.ErrTokenRejected) {
		t.Fatalf("Run with a wrong token = %v", err)
	}
	if strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("error shows the token: %v", err)
	}
}

func TestShutdownFinishesInFlightInteractions(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	release := make(chan struct{})
	h := start(t, setup{handlers: map[string]command.Handler{
		"work": func(context.Context, command.Request) (command.Reply, error) {
			close(started)
			<-release
			return command.Reply{Content: "finished"}, nil
		},
	}, opts: []discord.Option{discord.WithDeferAfter(time.Minute)}})
	got := make(chan *discordtest.Reply, 1)
	go func() {
		rep, err := h.srv.Interact(ctxFor(t, 20*time.Second), discordtest.Command("work"))
		if err != nil {
			t.Error(err)
		}
		got <- rep
	}()
	<-started
	h.cancel() // SIGTERM
	h.cancel = nil
	select {
	case <-h.done:
		t.Fatal("Run returned while an interaction was in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if rep := <-got; rep == nil || rep.Data.Content != "finished" {
		t.Errorf("in-flight interaction: %+v", rep)
	}
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return")
	}
	h.st.Close()
	h.checkLogs()
	if n := h.srv.GatewayConnections(); n != 0 {
		t.Errorf("%d gateway connections still open after shutdown", n)
	}
}

// TestMain runs up to 8 tests at once (unless -parallel says otherwise):
// the end-to-end tests mostly wait, see testparallel.
func TestMain(m *testing.M) {
	testparallel.Widen(8)
	os.Exit(m.Run())
}

// testStore is what the harness needs of a store: either backend.
type testStore interface {
	digest.Store
	Close() error
}

// eachDatabase runs test on a SQLite file ("" for the URL) and, when
// the test database is set (pgtest), on a PostgreSQL schema of its own.
func eachDatabase(t *testing.T, test func(t *testing.T, databaseURL string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, "") })
	t.Run("postgres", func(t *testing.T) { test(t, pgtest.NewSchema(t)) })
}
