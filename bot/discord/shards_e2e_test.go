package discord_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/command"
	"newsbrief/bot/digest/digesttest"
	"newsbrief/bot/discord"
	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
)

// guildOnShard returns a guild id that shard of count owns; n tells
// guilds of one shard apart.
func guildOnShard(n, shard, count int) string {
	return strconv.FormatUint(uint64(n*count+shard)<<22|1, 10)
}

// answeredBy is a /brief latest handler that says which bot answered and
// counts its calls.
type answeredBy struct {
	mu    sync.Mutex
	calls map[string]int // by guild ("" for DMs)
}

func (a *answeredBy) handler(bot string) command.Handler {
	return func(_ context.Context, req command.Request) (command.Reply, error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.calls[bot+" "+req.GuildID]++
		return command.Reply{Content: bot}, nil
	}
}

func (a *answeredBy) count(bot, guild string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[bot+" "+guild]
}

// countRequests counts the fake's requests of a route.
func countRequests(srv *discordtest.Server, route string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Route == route {
			n++
		}
	}
	return n
}

// TestTwoProcessesSplitTheShards runs two bots as two processes would, one
// on shard 0 of 2 and one on shard 1: each is told only of its guilds and
// answers exactly the interactions of its guilds, and DMs go to shard 0.
func TestTwoProcessesSplitTheShards(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	g0, g1 := guildOnShard(3, 0, 2), guildOnShard(3, 1, 2)
	srv.SetGuilds(g0, g1)
	// Two buckets, so that the two processes, which do not coordinate
	// their identifies, may start at once.
	srv.SetSessionStartLimit(discordtest.SessionStartLimit{Total: 1000, Remaining: 1000, ResetAfter: time.Hour, MaxConcurrency: 2})
	a := &answeredBy{calls: map[string]int{}}
	arts := briefstest.Articles(5, 3)
	h0 := start(t, setup{srv: srv, articles: arts, opts: []discord.Option{discord.WithShards(2, []int{0})},
		handlers: map[string]command.Handler{"brief latest": a.handler("bot0")}})
	h1 := start(t, setup{srv: srv, articles: arts, opts: []discord.Option{discord.WithShards(2, []int{1})},
		handlers: map[string]command.Handler{"brief latest": a.handler("bot1")}})
	ctx := ctxFor(t, 20*time.Second)
	if err := srv.WaitShardsReady(ctx, 2, 0, 1); err != nil {
		t.Fatal(err)
	}

	latest := func() *discordgo.Interaction {
		return &discordgo.Interaction{Data: discordgo.ApplicationCommandInteractionData{Name: "brief",
			Options: []*discordgo.ApplicationCommandInteractionDataOption{{Name: "latest", Type: discordgo.ApplicationCommandOptionSubCommand}}}}
	}
	inGuild := func(g string) func(*discordgo.Interaction) { return func(in *discordgo.Interaction) { in.GuildID = g } }
	asDM := func(in *discordgo.Interaction) {
		in.User = &discordgo.User{ID: discordtest.DefaultUserID, Username: "tester"}
	}
	for _, tc := range []struct {
		name, guild, bot string
		mod              func(*discordgo.Interaction)
	}{
		{"guild of shard 0", g0, "bot0", inGuild(g0)},
		{"guild of shard 1", g1, "bot1", inGuild(g1)},
		{"DM", "", "bot0", asDM},
	} {
		rep := h0.interact(latest(), tc.mod)
		if rep.Data.Content != tc.bot {
			t.Errorf("%s: answered by %q, want %s", tc.name, rep.Data.Content, tc.bot)
		}
		if len(rep.Rejected) != 0 {
			t.Errorf("%s: rejected answers %v", tc.name, rep.Rejected)
		}
	}
	for _, tc := range []struct {
		bot, guild string
		want       int
	}{{"bot0", g0, 1}, {"bot0", g1, 0}, {"bot0", "", 1}, {"bot1", g1, 1}, {"bot1", g0, 0}, {"bot1", "", 0}} {
		if n := a.count(tc.bot, tc.guild); n != tc.want {
			t.Errorf("%s handled %d interactions of guild %q, want %d", tc.bot, n, tc.guild, tc.want)
		}
	}

	// READY and GUILD_CREATE: each shard heard of its own guild only.
	for shard, want := range []string{g0, g1} {
		if got := srv.SentGuilds(shard, 2); len(got) != 1 || len(got[0]) != 1 || got[0][0] != want {
			t.Errorf("READY of shard %d listed %v, want [[%s]]", shard, got, want)
		}
	}
	waitFor(t, 10*time.Second, "GUILD_CREATE logged by both bots", func() bool {
		return strings.Contains(h0.logs.String(), "guild="+g0) && strings.Contains(h1.logs.String(), "guild="+g1)
	})
	if strings.Contains(h0.logs.String(), "guild="+g1) || strings.Contains(h1.logs.String(), "guild="+g0) {
		t.Error("a bot was told of a guild of the other's shard")
	}
	// Each process registers the commands once, on its first READY: wait
	// for both, then no shard of either may have added a third.
	waitFor(t, 10*time.Second, "both processes registered the commands", func() bool {
		return countRequests(srv, "PUT /applications/{app}/commands") >= 2
	})
	if n := countRequests(srv, "PUT /applications/{app}/commands"); n != 2 {
		t.Errorf("%d bulk overwrites of the commands by two processes, want 2", n)
	}
	if v := srv.IdentifyViolations(); len(v) != 0 {
		t.Errorf("identify pacing violated: %+v", v)
	}
}

// TestShardsIdentifyInBatches runs shards 0-3 in one process with
// max_concurrency 2: they identify in two batches of two, five seconds
// apart on the fake's clock (moved by the bot's identify wait instead of
// sleeping), with no bucket identifying twice within 5 s. The commands are
// registered once, and shutting down closes every session.
func TestShardsIdentifyInBatches(t *testing.T) {
	t.Parallel()
	clock := digesttest.NewClock(testEpoch())
	srv := discordtest.New(t, discordtest.WithClock(clock.Now))
	srv.SetSessionStartLimit(discordtest.SessionStartLimit{Total: 1000, Remaining: 1000, ResetAfter: time.Hour, MaxConcurrency: 2})
	var waits []time.Duration
	var mu sync.Mutex
	wait := func(_ context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		clock.Advance(d)
		return nil
	}
	h := start(t, setup{srv: srv, opts: []discord.Option{discord.WithShards(4, nil), discord.WithIdentifyWait(wait)}})
	if err := srv.WaitShardsReady(ctxFor(t, 10*time.Second), 4, 0, 1, 2, 3); err != nil {
		t.Fatal(err)
	}

	ids := srv.ShardIdentifies()
	if len(ids) != 4 {
		t.Fatalf("%d identifies, want 4: %+v", len(ids), ids)
	}
	at := map[int]time.Duration{}
	for _, id := range ids {
		if id.Count != 4 {
			t.Errorf("shard %d identified with count %d, want 4", id.Shard, id.Count)
		}
		at[id.Shard] = id.At.Sub(testEpoch())
	}
	if at[0] != 0 || at[1] != 0 || at[2] != 5*time.Second || at[3] != 5*time.Second {
		t.Errorf("identify times after start by shard: %v, want 0 and 1 at 0s, 2 and 3 at 5s", at)
	}
	if v := srv.IdentifyViolations(); len(v) != 0 {
		t.Errorf("identify pacing violated: %+v", v)
	}
	mu.Lock()
	if len(waits) != 1 || waits[0] != 5*time.Second {
		t.Errorf("identify waits %v, want one of 5s", waits)
	}
	mu.Unlock()
	waitFor(t, 10*time.Second, "the commands registered", func() bool {
		return countRequests(srv, "PUT /applications/{app}/commands") >= 1
	})
	h.stop()
	if n := countRequests(srv, "PUT /applications/{app}/commands"); n != 1 {
		t.Errorf("%d bulk overwrites of the commands for 4 shards, want 1", n)
	}
	if n := srv.GatewayConnections(); n != 0 {
		t.Errorf("%d gateway connections open after shutdown, want 0", n)
	}
}

// TestSessionStartLimitStopsBeforeConnecting: with fewer session starts
// left than shards to start, Run fails with an error naming them and never
// identifies.
func TestSessionStartLimitStopsBeforeConnecting(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	srv.SetSessionStartLimit(discordtest.SessionStartLimit{Total: 1000, Remaining: 1, ResetAfter: 90 * time.Minute, MaxConcurrency: 1})
	b := discord.New(command.New(briefs.New(), nil, nil), discord.WithAPIURL(srv.URL()), discord.WithShards(2, nil))
	err := b.Run(ctxFor(t, 10*time.Second), discordtest.Token, nil)
	var limit *discord.SessionStartLimitError
	if !errors.As(err, &limit) || limit.Remaining != 1 || limit.Needed != 2 || limit.ResetAfter != 90*time.Minute {
		t.Fatalf("Run = %v, want a SessionStartLimitError with 1 remaining, 2 needed, reset in 1h30m", err)
	}
	for _, want := range []string{"1 more session starts", "resets in 1h30m0s", "needs 2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if n := len(srv.Identifies()); n != 0 || srv.GatewayConnections() != 0 {
		t.Errorf("%d identifies and %d connections, want none", n, srv.GatewayConnections())
	}
}

// TestAutoShardCount takes the shard count from GET /gateway/bot.
func TestAutoShardCount(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	srv.SetRecommendedShards(3)
	srv.SetSessionStartLimit(discordtest.SessionStartLimit{Total: 1000, Remaining: 1000, ResetAfter: time.Hour, MaxConcurrency: 16})
	start(t, setup{srv: srv, opts: []discord.Option{discord.WithShards(0, nil)}})
	if err := srv.WaitShardsReady(ctxFor(t, 10*time.Second), 3, 0, 1, 2); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.ShardIdentifies()); n != 3 {
		t.Errorf("%d identifies, want 3", n)
	}

	// Shard ids beyond the recommended count are refused before connecting.
	b := discord.New(command.New(briefs.New(), nil, nil), discord.WithAPIURL(srv.URL()), discord.WithShards(0, []int{3}))
	err := b.Run(ctxFor(t, 10*time.Second), discordtest.Token, nil)
	if err == nil || !strings.Contains(err.Error(), "shard 3 is not one of the 3 shards") {
		t.Errorf("Run with shard 3 of an auto count of 3 = %v, want a clear error", err)
	}
}
