package briefs

import (
	"slices"
	"strings"
)

// Query selects stories for LatestOf: the newest Count of them (all when
// Count < 0) matching Topic ("" for all; its search terms, as Latest
// takes them) and carried by Source ("" for all).
type Query struct {
	Count int
	Topic string
	// Source names an origin, ignoring case, as users type it. A story
	// is the source's when any of its articles comes from it, not only its
	// representative: a reader who picked a feed wants its stories even
	// when another source had them first. A name matches whole ("BBC" is
	// not "BBC News").
	Source string
}

// LatestOf returns the stories q selects, newest first, each as its
// representative: what /brief latest shows and a digest picks from, so
// that both pick alike.
//
// It walks the snapshot's stories in order and compares origins by the
// strings the library holds, found once per query, so a source whose
// stories are old costs a pass over the story list and no more; with a
// topic it asks for widening windows of topic matches, so a source with
// recent stories costs about Count of them.
func (l *Library) LatestOf(q Query) []Article {
	source := strings.TrimSpace(q.Source)
	if source == "" || q.Count == 0 {
		return l.Latest(q.Count, q.Topic)
	}
	s := l.snap.Load()
	var names []string // the library's origins that are source
	for o := range s.counts {
		if strings.EqualFold(o, source) {
			names = append(names, o)
		}
	}
	if len(names) == 0 {
		return nil
	}
	carries := func(st int32) bool {
		if origins, ok := s.origins[st]; ok {
			for _, o := range origins {
				if slices.Contains(names, o) {
					return true
				}
			}
			return false
		}
		return slices.Contains(names, s.ref(s.heads[st]).Origin)
	}
	n := q.Count
	if strings.TrimSpace(q.Topic) == "" {
		var stories []int32
		for st := range int32(len(s.heads)) {
			if carries(st) {
				stories = append(stories, st)
				if len(stories) == n {
					break
				}
			}
		}
		return s.pick(stories)
	}
	for window := max(n, 1) * 4; ; window *= 4 {
		if n < 0 {
			window = -1
		}
		candidates := s.latestTopic(q.Topic, window)
		var stories []int32
		for _, st := range candidates {
			if carries(st) {
				stories = append(stories, st)
				if len(stories) == n {
					break
				}
			}
		}
		if n < 0 || len(stories) == n || len(candidates) < window {
			return s.pick(stories)
		}
	}
}
