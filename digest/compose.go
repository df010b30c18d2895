package digest

import "newsbrief/briefs"

// Compose picks a digest's articles: the newest count articles matching
// topic ("" for all) that posted does not report as already sent. posted
// may be nil. The scheduler, /digest preview and the command line's digest
// all use it, so what a preview shows is what would be posted.
func Compose(lib *briefs.Library, count int, topic string, posted func(ids []string) (map[string]bool, error)) ([]briefs.Article, error) {
	return ComposeFrom(lib, count, topic, "", posted)
}

// ComposeFrom is Compose over the articles of one source ("" for all), as
// FromSource matches it: a subscription's digest.
func ComposeFrom(lib *briefs.Library, count int, topic, source string, posted func(ids []string) (map[string]bool, error)) ([]briefs.Article, error) {
	if posted == nil {
		return LatestFrom(lib, count, topic, source), nil
	}
	// Look further back than count, since the newest may be posted already;
	// widen until enough are found or the library is exhausted.
	for window := count * 4; ; window *= 4 {
		candidates := LatestFrom(lib, window, topic, source)
		ids := make([]string, len(candidates))
		for i, a := range candidates {
			ids[i] = a.ID
		}
		seen, err := posted(ids)
		if err != nil {
			return nil, err
		}
		var out []briefs.Article
		for _, a := range candidates {
			if !seen[a.ID] {
				out = append(out, a)
				if len(out) == count {
					return out, nil
				}
			}
		}
		if len(candidates) < window {
			return out, nil
		}
	}
}
