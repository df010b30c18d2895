package digest

import (
	"strings"

	"newsbrief/briefs"
)

// FromSource reports whether a carries the story of source: its origin is
// source, or source is one of the other origins the library grouped under
// it (Also), since a reader who picked a feed wants its stories even when
// another source had them first. Names match ignoring case, the way users
// type them; "" matches every article.
func FromSource(a briefs.Article, source string) bool {
	if source == "" || strings.EqualFold(a.Origin, source) {
		return true
	}
	for _, o := range a.Also {
		if strings.EqualFold(o, source) {
			return true
		}
	}
	return false
}

// LatestFrom is briefs.Library.Latest over the articles of one source (""
// for all, see FromSource): the n newest (all when n < 0) matching topic.
// It lives here, beside Compose, until the library filters by origin
// itself; /brief latest uses it too, so the command and the digest pick
// alike.
//
// Without a topic it walks the library's shared, newest-first slice and
// copies only what it keeps. With one it asks for widening windows of
// topic matches, so a source with recent stories costs about n of them.
func LatestFrom(lib *briefs.Library, n int, topic, source string) []briefs.Article {
	source = strings.TrimSpace(source)
	if source == "" || n == 0 {
		return lib.Latest(n, topic)
	}
	if strings.TrimSpace(topic) == "" {
		return keepFrom(lib.Latest(-1, ""), n, source)
	}
	for window := max(n, 1) * 4; ; window *= 4 {
		if n < 0 {
			window = -1
		}
		candidates := lib.Latest(window, topic)
		out := keepFrom(candidates, n, source)
		if n < 0 || len(out) == n || len(candidates) < window {
			return out
		}
	}
}

// keepFrom returns the first n (all when n < 0) of arts from source.
//
// It may walk the whole library, so it remembers the last origin it
// compared: articles of one origin share its string, and comparing two
// strings of different lengths, or one with itself, is cheaper than
// folding case.
func keepFrom(arts []briefs.Article, n int, source string) []briefs.Article {
	var out []briefs.Article
	lastOrigin, lastMatch := "", false
	for i := range arts {
		a := &arts[i]
		if a.Origin != lastOrigin || i == 0 {
			lastOrigin, lastMatch = a.Origin, strings.EqualFold(a.Origin, source)
		}
		if lastMatch || len(a.Also) > 0 && FromSource(*a, source) {
			out = append(out, *a)
			if len(out) == n {
				break
			}
		}
	}
	return out
}
