package discord_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"newsbrief/bot/command"
	"newsbrief/bot/digest"
	"newsbrief/bot/digest/digesttest"
	"newsbrief/bot/discord"
	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/folder"
	"newsbrief/internal/lifecycle"
	"newsbrief/store/sqlite"
)

// fanout subscribes n channels spread over guilds of at most 500 channels
// (Discord's cap), starts the real bot against the fake Discord enforcing
// the global limit of 50 requests per second, moves the digest clock to the
// minute every digest falls due in, and returns how long posting all of
// them took.
func fanout(tb testing.TB, n int) (*discordtest.Server, time.Duration) {
	srv := discordtest.New(tb)
	dir := tb.TempDir()
	if err := folder.Write(dir, briefstest.Articles(50, 11)); err != nil {
		tb.Fatal(err)
	}
	lib := briefs.New()
	if _, err := folder.Load(lib, dir); err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "nb.db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	clock := digesttest.NewClock(testEpoch()) // 08:00; every digest runs at 09:00
	for i := 0; i < n; i++ {
		guild := fmt.Sprintf("2000000000000%05d", i/500)
		channel := fmt.Sprintf("3000000000000%05d", i)
		srv.AddChannel(guild, channel)
		_, err := st.PutSubscription(ctx, digest.Subscription{GuildID: guild, ChannelID: channel,
			Schedule: "0 9 * * *", Timezone: "UTC", Count: 5, CreatedBy: "1", CreatedAt: clock.Now()})
		if err != nil {
			tb.Fatal(err)
		}
	}
	d := digest.New(lib, st, digest.WithClock(clock))
	b := discord.New(command.New(lib, d, nil), discord.WithAPIURL(srv.URL()))
	var g lifecycle.Group
	g.Add("gateway", func(ctx context.Context, started func()) error { return b.Run(ctx, discordtest.Token, started) })
	g.Add("digest runner", lifecycle.StartStop(func(ctx context.Context) error { return d.Start(ctx, b.Poster()) }, d.Stop))
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- g.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			tb.Error(err)
		}
	}()
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := srv.WaitReady(wctx); err != nil {
		tb.Fatal(err)
	}
	<-d.Started()
	start := time.Now()
	clock.Set(time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC))
	wctx, wcancel = context.WithTimeout(ctx, time.Duration(n)*time.Second)
	defer wcancel()
	for i := 0; i < n; i++ {
		if _, err := srv.WaitMessages(wctx, fmt.Sprintf("3000000000000%05d", i), 1); err != nil {
			tb.Fatalf("channel %d: %v", i, err)
		}
	}
	took := time.Since(start)
	for i := 0; i < n; i++ {
		if got := len(srv.Messages(fmt.Sprintf("3000000000000%05d", i))); got != 1 {
			tb.Fatalf("channel %d got %d digests, want 1", i, got)
		}
	}
	return srv, took
}

func TestDigestFanoutStaysUnderGlobalLimit(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("posts 120 digests at Discord's pace")
	}
	srv, took := fanout(t, 120)
	if srv.PeakAttemptRate() > 50 || srv.Count429() != 0 {
		t.Errorf("peak %d requests in a second (limit 50), %d rate limited", srv.PeakAttemptRate(), srv.Count429())
	}
	t.Logf("120 digests in %s, peak %d requests/s", took.Round(time.Millisecond), srv.PeakAttemptRate())
}

// BenchmarkDigestFanout1000 is the figure: 1,000 subscriptions in
// two guilds falling due in the same minute. Run with -benchtime=1x.
func BenchmarkDigestFanout1000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		srv, took := fanout(b, 1000)
		b.ReportMetric(took.Seconds(), "s-fanout")
		b.ReportMetric(float64(srv.PeakAttemptRate()), "peak-req/s")
		b.ReportMetric(float64(srv.Count429()), "429s")
	}
}
