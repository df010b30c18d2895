package digest

import "newsbrief/briefs"

// Compose picks a digest's articles: the newest count stories matching
// topic ("" for all) that posted does not report as already sent, each as
// its representative (see briefs.Library.Story). posted may be nil. The
// scheduler and /digest preview both use it, so
// what a preview shows is what would be posted.
//
// A story is posted once per subscription however many sources carry it:
// it is skipped when posted reports any of its articles, so a duplicate
// that arrives from another source after the story was posted, or an
// earlier one that becomes the story's representative, is not posted
// again. Only the representative's ID is recorded, which keeps the Store
// as it is; the price is that a story whose posted article leaves the
// library while a duplicate stays may be posted again, as any article
// never posted may.
func Compose(lib *briefs.Library, count int, topic string, posted func(ids []string) (map[string]bool, error)) ([]briefs.Article, error) {
	return ComposeFrom(lib, count, topic, "", posted)
}

// ComposeFrom is Compose over the stories of one source ("" for all), as
// briefs.Query's Source selects them: a subscription's digest.
func ComposeFrom(lib *briefs.Library, count int, topic, source string, posted func(ids []string) (map[string]bool, error)) ([]briefs.Article, error) {
	if posted == nil {
		return lib.LatestOf(briefs.Query{Count: count, Topic: topic, Source: source}), nil
	}
	// Look further back than count, since the newest may be posted already;
	// widen until enough are found or the library is exhausted.
	for window := count * 4; ; window *= 4 {
		candidates := lib.LatestOf(briefs.Query{Count: window, Topic: topic, Source: source})
		stories := make([][]string, len(candidates))
		var ids []string
		for i, a := range candidates {
			stories[i] = lib.Story(a.ID)
			if stories[i] == nil { // replaced since Latest
				stories[i] = []string{a.ID}
			}
			ids = append(ids, stories[i]...)
		}
		seen, err := posted(ids)
		if err != nil {
			return nil, err
		}
		var out []briefs.Article
	next:
		for i, a := range candidates {
			for _, id := range stories[i] {
				if seen[id] {
					continue next
				}
			}
			out = append(out, a)
			if len(out) == count {
				return out, nil
			}
		}
		if len(candidates) < window {
			return out, nil
		}
	}
}
