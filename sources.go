package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"newsbrief/bot/command"
	"newsbrief/briefs"
	"newsbrief/briefs/feed"
	"newsbrief/briefs/folder"
	"newsbrief/config"
	"newsbrief/internal/lifecycle"
)

// bodies reads the library's article bodies back from their sources, since
// the library keeps none (briefs.WithBodies): an article file from the
// folder, a feed item from the database. Its sources are set before the
// library is loaded, and not changed after.
type bodies struct {
	folder *folder.Source
	feeds  *feed.Source // nil without a feeds file
}

func (b *bodies) Body(ctx context.Context, a briefs.Article) ([]string, error) {
	switch {
	case a.File != "":
		return b.folder.Body(ctx, a)
	case b.feeds != nil:
		return b.feeds.Body(ctx, a)
	}
	return nil, fmt.Errorf("no source reads back %s of %q", a.ID, a.Origin)
}

// sources tells the commands about the articles folder and the feeds:
// what /brief sources shows and the names the source option takes. Feeds
// count from the moment they are configured, before their first fetch.
type sources struct {
	lib    *briefs.Library
	folder *folder.Source
	feeds  *feed.Source // nil without a feeds file
}

func (s sources) Names() []string {
	names := []string{s.folder.Origin()}
	if s.feeds != nil {
		for _, f := range s.feeds.Feeds() {
			names = append(names, f.Name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func (s sources) Status() []command.SourceStatus {
	out := []command.SourceStatus{{
		Name:     s.folder.Origin(),
		Kind:     command.SourceFolder,
		Articles: s.lib.Count(s.folder.Origin()),
	}}
	if s.feeds == nil {
		return out
	}
	for _, f := range s.feeds.Status() {
		capped := 0
		if f.AtCap() {
			capped = f.MaxItems
		}
		out = append(out, command.SourceStatus{
			Name:        f.Name,
			Kind:        command.SourceFeed,
			URL:         f.URL,
			Articles:    f.Articles,
			LastSuccess: f.LastSuccess,
			LastError:   f.LastError,
			NextTry:     f.NextTry,
			Cap:         capped,
			LeftOut:     f.LeftOut,
		})
	}
	return out
}

// addSources adds what keeps the library current to the run group: the
// articles folder's watcher and, with feeds, their poller, the feeds
// file's watcher and the pruning of old items. A watcher that cannot
// watch is logged and ends; the bot runs on without it.
func (d *data) addSources(g *lifecycle.Group, cfg config.Config, log *slog.Logger) {
	g.Add("articles folder", lifecycle.Func(func(ctx context.Context) error {
		if err := d.folder.Watch(ctx); err != nil {
			log.Warn("watching the articles folder failed: reload needs a restart", slog.Any("err", err))
		}
		return nil
	}))
	if d.feeds == nil {
		return
	}
	g.Add("feed poller", lifecycle.Func(d.feeds.Run))
	g.Add("feeds file", lifecycle.Func(func(ctx context.Context) error {
		if err := d.feeds.WatchList(ctx, cfg.FeedsFile); err != nil {
			log.Warn("watching the feeds file failed: changes need a restart", slog.Any("err", err))
		}
		return nil
	}))
	g.Add("feed pruning", lifecycle.Func(func(ctx context.Context) error {
		d.feeds.KeepPruned(ctx, cfg.FeedRetention, feedPruneEvery)
		return nil
	}))
}
