package main

import (
	"slices"

	"newsbrief/briefs"
	"newsbrief/briefs/feed"
	"newsbrief/briefs/folder"
	"newsbrief/command"
)

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
		out = append(out, command.SourceStatus{
			Name:        f.Name,
			Kind:        command.SourceFeed,
			URL:         f.URL,
			Articles:    f.Articles,
			LastSuccess: f.LastSuccess,
			LastError:   f.LastError,
			NextTry:     f.NextTry,
		})
	}
	return out
}
