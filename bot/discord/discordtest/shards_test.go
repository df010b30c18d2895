package discordtest

import (
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// guildOnShard returns a guild id that shard of count owns; n tells
// guilds of one shard apart.
func guildOnShard(n, shard, count int) string {
	return strconv.FormatUint(uint64(n*count+shard)<<22|1, 10)
}

func TestShardOf(t *testing.T) {
	for _, tc := range []struct {
		guild string
		count int
		want  int
	}{
		{guildOnShard(7, 3, 4), 4, 3},
		{guildOnShard(7, 3, 4), 1, 0},
		{"", 4, 0},
		{"not-a-guild", 4, 0},
		{"197038439483310086", 2, 0}, // 197038439483310086 >> 22 = 46977624770
		{"197038439483310086", 5, 0},
		{"197038439487504390", 5, 1}, // one more in the time part
	} {
		if got := ShardOf(tc.guild, tc.count); got != tc.want {
			t.Errorf("ShardOf(%q, %d) = %d, want %d", tc.guild, tc.count, got, tc.want)
		}
	}
}

func TestGatewayBotAnswersShardsAndStartLimit(t *testing.T) {
	t.Parallel()
	srv := New(t)
	srv.SetRecommendedShards(3)
	srv.SetSessionStartLimit(SessionStartLimit{Total: 2000, Remaining: 7, ResetAfter: time.Hour, MaxConcurrency: 16})
	dg := newSession(t, srv, "Bot "+Token)
	gb, err := dg.GatewayBot()
	if err != nil {
		t.Fatal(err)
	}
	want := discordgo.SessionInformation{Total: 2000, Remaining: 7, ResetAfter: 3600000, MaxConcurrency: 16}
	if gb.Shards != 3 || gb.SessionStartLimit != want || gb.URL != srv.GatewayURL()+"/" {
		t.Errorf("GET /gateway/bot = %+v, want 3 shards and %+v", gb, want)
	}
}

// rawIdentify identifies on a new raw connection with shard (nil: none)
// and returns the first frame after it, or the close code.
func rawIdentify(t *testing.T, srv *Server, shard *[2]int) (rawFrame, int) {
	t.Helper()
	ws := rawDial(t, srv)
	d := map[string]any{"token": "Bot " + Token, "intents": discordgo.IntentsGuilds, "properties": map[string]string{}}
	if shard != nil {
		d["shard"] = shard
	}
	if err := ws.WriteJSON(map[string]any{"op": 2, "d": d}); err != nil {
		t.Fatal(err)
	}
	var f rawFrame
	err := ws.ReadJSON(&f)
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return f, ce.Code
	}
	if err != nil {
		t.Fatalf("read after identify: %v", err)
	}
	return f, 0
}

func TestIdentifyShardChecks(t *testing.T) {
	t.Parallel()
	srv := New(t)
	srv.SetGuilds(guildOnShard(1, 0, 2), guildOnShard(2, 0, 2), guildOnShard(3, 1, 2))
	for _, tc := range []struct {
		shard *[2]int
		want  int
	}{
		{&[2]int{2, 2}, CloseInvalidShard},
		{&[2]int{-1, 2}, CloseInvalidShard},
		{&[2]int{0, 0}, CloseInvalidShard},
		{&[2]int{1, 2}, 0},
	} {
		if _, code := rawIdentify(t, srv, tc.shard); code != tc.want {
			t.Errorf("identify with shard %v: close %d, want %d", *tc.shard, code, tc.want)
		}
	}

	// Two guilds per shard allowed: one shard of three guilds is too few,
	// and shard 0 of 2 holds two.
	srv.SetMaxGuildsPerShard(2)
	if _, code := rawIdentify(t, srv, nil); code != CloseShardingRequired {
		t.Errorf("unsharded identify over the guild limit: close %d, want %d", code, CloseShardingRequired)
	}
	if f, code := rawIdentify(t, srv, &[2]int{0, 2}); code != 0 || f.T != "READY" {
		t.Errorf("identify as shard 0 of 2: close %d, frame %s, want READY", code, f.T)
	}
	if got := len(srv.ShardIdentifies()); got != 2 {
		t.Errorf("%d identifies accepted, want 2", got)
	}
	if l := srv.SessionStartLimit(); l.Remaining != defaultStartLimit.Remaining-2 {
		t.Errorf("session starts remaining %d, want %d: each accepted identify takes one", l.Remaining, defaultStartLimit.Remaining-2)
	}
}

func TestIdentifyRefusedWithoutSessionStarts(t *testing.T) {
	t.Parallel()
	srv := New(t)
	srv.SetSessionStartLimit(SessionStartLimit{Total: 1000, Remaining: 1, ResetAfter: time.Hour, MaxConcurrency: 1})
	if _, code := rawIdentify(t, srv, nil); code != 0 {
		t.Fatalf("first identify closed with %d", code)
	}
	if _, code := rawIdentify(t, srv, nil); code != CloseAuthenticationFailed {
		t.Errorf("identify with no session starts left: close %d, want %d", code, CloseAuthenticationFailed)
	}
	if srv.SessionStartRefusals() != 1 || srv.SessionStartLimit().Remaining != 0 {
		t.Errorf("refusals %d, remaining %d; want 1 and 0", srv.SessionStartRefusals(), srv.SessionStartLimit().Remaining)
	}
}

func TestIdentifyPacingPerBucket(t *testing.T) {
	t.Parallel()
	clock := newTestClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := New(t, WithClock(clock.Now))
	srv.SetSessionStartLimit(SessionStartLimit{Total: 1000, Remaining: 1000, ResetAfter: time.Hour, MaxConcurrency: 2})
	identify := func(shard int) {
		t.Helper()
		if _, code := rawIdentify(t, srv, &[2]int{shard, 4}); code != 0 {
			t.Fatalf("identify shard %d closed with %d", shard, code)
		}
	}
	identify(0) // bucket 0
	identify(1) // bucket 1: no conflict
	clock.Advance(IdentifyInterval - time.Millisecond)
	identify(2) // bucket 0, too soon
	clock.Advance(IdentifyInterval)
	identify(3) // bucket 1, 10 s after shard 1

	v := srv.IdentifyViolations()
	if len(v) != 1 || v[0].Shard != 2 || v[0].Bucket != 0 {
		t.Errorf("violations = %+v, want shard 2 in bucket 0 only", v)
	}
	var shards []int
	for _, id := range srv.ShardIdentifies() {
		shards = append(shards, id.Shard)
	}
	if !slices.Equal(shards, []int{0, 1, 2, 3}) {
		t.Errorf("identified shards %v, want 0 1 2 3", shards)
	}
}

// TestShardsGetTheirGuildsAndInteractions runs two discordgo sessions as
// shards 0 and 1 of 2: each is told only of its guilds, and an interaction
// reaches only the session of its guild's shard (a DM, shard 0).
func TestShardsGetTheirGuildsAndInteractions(t *testing.T) {
	t.Parallel()
	// A long heartbeat keeps discordgo's heartbeat from failing on a
	// closed socket at cleanup and reconnecting (see DropConnections).
	srv := New(t, WithHeartbeatInterval(time.Minute))
	g0, g1 := guildOnShard(5, 0, 2), guildOnShard(5, 1, 2)
	srv.SetGuilds(g0, g1)

	var mu sync.Mutex
	answered := map[int][]string{}
	created := []chan string{make(chan string, 4), make(chan string, 4)}
	for shard := range 2 {
		dg := newSession(t, srv, "Bot "+Token)
		dg.ShardID, dg.ShardCount = shard, 2
		dg.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) { created[shard] <- g.ID })
		dg.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
			mu.Lock()
			answered[shard] = append(answered[shard], ic.GuildID)
			mu.Unlock()
			_ = s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Content: "shard " + strconv.Itoa(shard)},
			})
		})
		if err := dg.Open(); err != nil {
			t.Fatalf("open shard %d: %v", shard, err)
		}
		t.Cleanup(func() {
			dg.Lock()
			dg.ShouldReconnectOnError = false
			dg.Unlock()
			_ = dg.Close()
		})
	}
	ctx := testContext(t, 10*time.Second)
	if err := srv.WaitShardsReady(ctx, 2, 0, 1); err != nil {
		t.Fatal(err)
	}
	for shard, want := range map[int]string{0: g0, 1: g1} {
		if got := srv.SentGuilds(shard, 2); len(got) != 1 || !slices.Equal(got[0], []string{want}) {
			t.Errorf("READY of shard %d listed %v, want [%s]", shard, got, want)
		}
	}

	cases := []struct {
		name  string
		in    *discordgo.Interaction
		shard int
	}{
		{"guild of shard 0", &discordgo.Interaction{GuildID: g0, Data: discordgo.ApplicationCommandInteractionData{Name: "x"}}, 0},
		{"guild of shard 1", &discordgo.Interaction{GuildID: g1, Data: discordgo.ApplicationCommandInteractionData{Name: "x"}}, 1},
		{"DM", &discordgo.Interaction{User: &discordgo.User{ID: DefaultUserID}, Data: discordgo.ApplicationCommandInteractionData{Name: "x"}}, 0},
	}
	for _, tc := range cases {
		rep, err := srv.Interact(ctx, tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if want := "shard " + strconv.Itoa(tc.shard); rep.Data.Content != want {
			t.Errorf("%s answered by %q, want %q", tc.name, rep.Data.Content, want)
		}
	}
	mu.Lock()
	if !slices.Equal(answered[0], []string{g0, ""}) || !slices.Equal(answered[1], []string{g1}) {
		t.Errorf("interactions seen: shard 0 %v, shard 1 %v; want [%s \"\"] and [%s]", answered[0], answered[1], g0, g1)
	}
	mu.Unlock()
	for shard, want := range []string{g0, g1} {
		select {
		case g := <-created[shard]:
			if g != want {
				t.Errorf("shard %d got GUILD_CREATE for %s, want %s", shard, g, want)
			}
		case <-ctx.Done():
			t.Fatalf("shard %d got no GUILD_CREATE", shard)
		}
	}
	// The fake sends GUILD_CREATE right after READY, before the
	// interactions that have been answered: a second one would have been
	// queued by now. (discordgo runs handlers in goroutines, so this is a
	// best effort; SentGuilds above is exact.)
	for shard := range created {
		select {
		case g := <-created[shard]:
			t.Errorf("shard %d also got GUILD_CREATE for %s", shard, g)
		default:
		}
	}
}
