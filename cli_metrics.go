package main

import (
	"context"
	"log/slog"

	"newsbrief/bot/command"
	"newsbrief/bot/digest"
	"newsbrief/bot/discord"
	"newsbrief/briefs"
	"newsbrief/briefs/feed"
	"newsbrief/briefs/folder"
	"newsbrief/config"
	"newsbrief/internal/lifecycle"
	"newsbrief/metrics"
)

// sourceHooks are extra options for the articles folder and the feeds.
type sourceHooks struct {
	folder []folder.Option
	feed   []feed.Option
}

// botMetrics wires the metrics into the bot when METRICS_ADDR is set. A nil
// *botMetrics (no METRICS_ADDR) adds nothing and listens nowhere, so
// runBot calls it the same either way.
type botMetrics struct{ m *metrics.Metrics }

func newBotMetrics(cfg config.Config) *botMetrics {
	if cfg.MetricsAddr == "" {
		return nil
	}
	return &botMetrics{m: metrics.New()}
}

func (bm *botMetrics) sourceHooks() sourceHooks {
	if bm == nil {
		return sourceHooks{}
	}
	return sourceHooks{folder: []folder.Option{folder.WithReloadObserver(bm.m.FolderReloaded)},
		feed: []feed.Option{feed.WithFetchObserver(bm.m.FeedFetched)}}
}

func (bm *botMetrics) digestOptions() []digest.Option {
	if bm == nil {
		return nil
	}
	return []digest.Option{digest.WithObserver(bm.m)}
}

func (bm *botMetrics) commandOptions() []command.Option {
	if bm == nil {
		return nil
	}
	return []command.Option{command.WithMiddleware(bm.m.Middleware())}
}

func (bm *botMetrics) botOptions() []discord.Option {
	if bm == nil {
		return nil
	}
	return []discord.Option{discord.WithRESTObserver(bm.m)}
}

// addServer adds the metrics listener to the run group, and registers the
// series read at scrape time. Its start listens on addr: a listen failure
// (a bad address, the port in use) fails the start. A standby
// (SHARD_IDS=none) has no shard to wait for: it is ready when the
// database answers.
func (bm *botMetrics) addServer(g *lifecycle.Group, addr string, standby bool, lib *briefs.Library, digests *digest.Service, b *discord.Bot, db metrics.Pinger, log *slog.Logger) {
	if bm == nil {
		return
	}
	bm.m.Watch(lib.Len, digests, b)
	ready := metrics.Readiness{Shards: b, DB: db}
	if standby {
		ready.Shards = nil
	}
	g.Add("metrics listener", func(ctx context.Context, started func()) error {
		s, err := metrics.Listen(addr, bm.m.Handler(ready, log), log)
		if err != nil {
			return err
		}
		log.Info("metrics listening", slog.String("addr", s.Addr().String()),
			slog.String("metrics", "http://"+s.Addr().String()+"/metrics"))
		started()
		s.Run(ctx)
		return nil
	})
}
