package digest

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"newsbrief/briefs"
	"newsbrief/briefs/summarize"
)

// Compose picks a digest's articles: the newest count stories matching
// topic ("" for all) that posted does not report as already sent, each as
// its representative (see briefs.Library.Story). posted may be nil.
func Compose(lib *briefs.Library, count int, topic string, posted func(ids []string) (map[string]bool, error)) ([]briefs.Article, error) {
	return ComposeFrom(lib, count, topic, "", posted)
}

// ComposeFrom is Compose over the stories of one source ("" for all), as
// briefs.Query's Source selects them.
func ComposeFrom(lib *briefs.Library, count int, topic, source string, posted func(ids []string) (map[string]bool, error)) ([]briefs.Article, error) {
	sel, err := Select(context.Background(), lib, Criteria{Count: count, Topic: topic, Source: source}, posted)
	return sel.Articles, err
}

// Criteria is what a digest selects: a subscription's count, topic,
// source and exclusions.
type Criteria struct {
	Count   int
	Topic   string
	Source  string
	Exclude Exclusion
	// Since, when set, keeps only stories that arrived after it (see
	// briefs.Article.Arrived): an instant digest's new stories.
	Since time.Time
}

// CriteriaOf is sub's selection.
func CriteriaOf(sub Subscription) Criteria {
	ex, _ := ParseExclude(sub.Exclude) // checked when subscribed
	return Criteria{Count: sub.Count, Topic: sub.Topic, Source: sub.Source, Exclude: ex}
}

// Selection is a digest's articles, and the newer stories it left out
// with the reason for each.
type Selection struct {
	Articles []briefs.Article
	// Left are the stories newer than the last article chosen that were
	// left out, newest first.
	Left []Left
	// Excluded counts the stories of Left left out by the exclusions.
	Excluded int
}

// Left is a story left out of a digest, and why, in words: `excluded by
// "opinion"`, "already posted", "already posted from another source".
type Left struct {
	Article briefs.Article
	Reason  string
	// Posted is the ID of the story's article that was posted, when that
	// is why it was left out.
	Posted string
}

// Select picks a digest's articles: the newest c.Count stories matching
// c.Topic and c.Source that posted does not report as already sent and
// that c.Exclude does not keep out, each as its representative (see
// briefs.Library.Story). posted may be nil. The scheduler and /digest
// preview both use it, so what a preview shows is what would be posted.
//
// A story is posted once per subscription however many sources carry it:
// it is skipped when posted reports any of its articles, so a duplicate
// that arrives from another source after the story was posted, or an
// earlier one that becomes the story's representative, is not posted
// again. Only the representative's ID is recorded, which keeps the Store
// as it is; the price is that a story whose posted article leaves the
// library while a duplicate stays may be posted again, as any article
// never posted may.
//
// Exclusions match a story's title and its brief (the summary a digest
// shows), for which the bodies of the candidates are read.
func Select(ctx context.Context, lib *briefs.Library, c Criteria, posted func(ids []string) (map[string]bool, error)) (Selection, error) {
	q := briefs.Query{Count: c.Count, Topic: c.Topic, Source: c.Source}
	if posted == nil && c.Exclude.Empty() && c.Since.IsZero() {
		return Selection{Articles: lib.LatestOf(q)}, nil
	}
	// Look further back than count, since the newest may be posted or
	// excluded; widen until enough are found or the library is exhausted.
	for window := c.Count * 4; ; window *= 4 {
		q.Count = window
		candidates := lib.LatestOf(q)
		stories := make([][]string, len(candidates))
		var ids []string
		for i, a := range candidates {
			stories[i] = lib.Story(a.ID)
			if stories[i] == nil { // replaced since Latest
				stories[i] = []string{a.ID}
			}
			ids = append(ids, stories[i]...)
		}
		seen := map[string]bool{}
		if posted != nil {
			var err error
			if seen, err = posted(ids); err != nil {
				return Selection{}, err
			}
		}
		var sel Selection
	next:
		for i, a := range candidates {
			if !c.Since.IsZero() {
				if a.Date.Before(c.Since.Add(-arrivalLag)) {
					return sel, nil // newest first: the rest are dated earlier still
				}
				if !arrived(a).After(c.Since) {
					continue
				}
			}
			for _, id := range stories[i] {
				if seen[id] {
					reason := "already posted"
					if id != a.ID {
						reason = "already posted from another source"
					}
					sel.Left = append(sel.Left, Left{Article: a, Reason: reason, Posted: id})
					continue next
				}
			}
			term, full, ok := c.Exclude.Match(lib, ctx, a)
			if ok {
				sel.Left = append(sel.Left, Left{Article: a, Reason: fmt.Sprintf("excluded by %q", term)})
				sel.Excluded++
				continue
			}
			sel.Articles = append(sel.Articles, full)
			if len(sel.Articles) == c.Count {
				return sel, nil
			}
		}
		if len(candidates) < window {
			return sel, nil
		}
	}
}

// arrivalLag is how long before its arrival an article may be dated and
// still be found as new: a file dated only by its day arrives later that
// day, a feed item is fetched a while after it was published. Candidates
// are read newest-dated first, and the reading stops this far before
// Since.
const arrivalLag = 48 * time.Hour

// arrived is when a reached its source, its Date when that is unknown.
func arrived(a briefs.Article) time.Time {
	if a.Arrived.IsZero() {
		return a.Date
	}
	return a.Arrived
}

// Exclusion is a subscription's exclude option: words and quoted phrases,
// any of which keeps a story out.
type Exclusion struct {
	terms [][]string // each a phrase of lower-case words
	text  []string   // each as given, for reasons
}

// MaxExcludeLen bounds an exclude option, in bytes.
const MaxExcludeLen = 300

// ParseExclude reads an exclude option: words and "quoted phrases",
// separated by spaces or commas (`opinion, "sponsored content" quiz`).
// Matching ignores case and punctuation and takes whole words only:
// "war" keeps out "war ends" but not "warning".
func ParseExclude(s string) (Exclusion, error) {
	var ex Exclusion
	if len(s) > MaxExcludeLen {
		return ex, fmt.Errorf("exclude is %d characters; at most %d", len(s), MaxExcludeLen)
	}
	rest := s
	for {
		rest = strings.TrimLeft(rest, " ,\t")
		if rest == "" {
			return ex, nil
		}
		var term string
		if rest[0] == '"' {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return ex, fmt.Errorf("exclude %q: a quotation is not closed", s)
			}
			term, rest = rest[1:1+end], rest[2+end:]
		} else {
			end := strings.IndexAny(rest, " ,\t")
			if end < 0 {
				end = len(rest)
			}
			term, rest = rest[:end], rest[end:]
		}
		if words := matchWords(term); len(words) > 0 {
			ex.terms = append(ex.terms, words)
			ex.text = append(ex.text, strings.Join(words, " "))
		}
	}
}

// Empty reports whether nothing is excluded.
func (e Exclusion) Empty() bool { return len(e.terms) == 0 }

// String is the exclusions as ParseExclude reads them back.
func (e Exclusion) String() string {
	out := make([]string, len(e.text))
	for i, t := range e.text {
		if strings.Contains(t, " ") {
			t = `"` + t + `"`
		}
		out[i] = t
	}
	return strings.Join(out, " ")
}

// Match reports the first exclusion found in a's title or brief, and
// returns a with its body when it read it for the brief (or as it was
// given), so that a digest posts it without reading it again.
func (e Exclusion) Match(lib *briefs.Library, ctx context.Context, a briefs.Article) (term string, full briefs.Article, excluded bool) {
	if e.Empty() {
		return "", a, false
	}
	if t, ok := e.matchText(a.Title); ok {
		return t, a, true
	}
	full, err := lib.Full(ctx, a)
	if err != nil {
		return "", a, false // its card shows the title alone, which passed
	}
	t, ok := e.matchText(strings.Join(summarize.Summarize(full.Text(), summarize.Short).Sentences, " "))
	return t, full, ok
}

func (e Exclusion) matchText(s string) (string, bool) {
	words := matchWords(s)
	for i, term := range e.terms {
		for j := 0; j+len(term) <= len(words); j++ {
			if equalWords(words[j:j+len(term)], term) {
				return e.text[i], true
			}
		}
	}
	return "", false
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// matchWords is s in lower-case words, punctuation dropped.
func matchWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}
