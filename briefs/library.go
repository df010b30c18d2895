package briefs

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// ErrDuplicateID is why an article is left out when another one already
// has its ID: IDs are how commands and digests name articles, so two
// articles may not share one.
var ErrDuplicateID = errors.New("duplicate article ID")

// Hit is one search result.
type Hit struct {
	Article Article
	Score   float64
	// Snippet is a short passage of the body around the best match.
	Snippet string
}

// Library is an indexed, searchable set of articles from any number of
// origins. Every method is safe for concurrent use: readers work on an
// immutable snapshot that Replace swaps atomically, so a reader never sees
// a source half-loaded.
type Library struct {
	mu sync.Mutex // serializes Replace so snapshots are swapped in order
	// origins holds each origin's articles as last given to Replace, for
	// the next rebuild. Guarded by mu.
	origins map[string][]Article
	snap    atomic.Pointer[snapshot]
}

// snapshot is one complete, immutable state of the library.
type snapshot struct {
	articles []Article // newest first
	byID     map[string]int
	counts   map[string]int // articles per origin
	index    *searchIndex
	complete *completer
}

// New returns an empty library, for sources to fill with Replace.
func New() *Library {
	l := &Library{origins: map[string][]Article{}}
	l.snap.Store(newSnapshot(nil))
	return l
}

// FromArticles builds a library of the given articles, each under its own
// Origin, as if every origin had been given to Replace: for tests and tools
// that have their articles in memory.
func FromArticles(articles []Article) *Library {
	l := New()
	for _, a := range articles {
		l.origins[a.Origin] = append(l.origins[a.Origin], a)
	}
	for origin, arts := range l.origins {
		adopt(origin, arts)
	}
	s, _ := l.build("")
	l.snap.Store(s)
	return l
}

// Replace makes articles the whole of origin's articles and swaps in a
// new snapshot at once; other origins' articles stay as they are. An empty
// articles removes the origin. The library keeps its own copy, with each
// article's Origin set to origin and an ID given to articles without one.
//
// IDs are unique in the library: of two articles with one ID it keeps the
// one whose origin sorts first, and within an origin the first given.
// Replace returns the articles of this origin it left out for that reason;
// sources should report them, as they report files they could not read.
func (l *Library) Replace(origin string, articles []Article) (dropped []Article) {
	arts := adopt(origin, slices.Clone(articles))
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(arts) == 0 {
		delete(l.origins, origin)
	} else {
		l.origins[origin] = arts
	}
	s, dropped := l.build(origin)
	l.snap.Store(s)
	return dropped
}

// adopt sets every article's Origin to origin and gives an ID to those
// without one, in place.
func adopt(origin string, arts []Article) []Article {
	for i := range arts {
		a := &arts[i]
		a.Origin = origin
		if a.ID == "" {
			a.ID = NewID(origin+"#"+strconv.Itoa(i), a.Title)
		}
	}
	return arts
}

// build merges every origin's articles, origins in name order, into a new
// snapshot, leaving out articles whose ID an earlier one has; it returns
// those of origin it left out. The caller holds mu (or owns l alone).
func (l *Library) build(origin string) (s *snapshot, dropped []Article) {
	names := make([]string, 0, len(l.origins))
	total := 0
	for name, arts := range l.origins {
		names = append(names, name)
		total += len(arts)
	}
	slices.Sort(names)
	arts := make([]Article, 0, total)
	seen := make(map[string]struct{}, total)
	for _, name := range names {
		for _, a := range l.origins[name] {
			if _, dup := seen[a.ID]; dup {
				if name == origin {
					dropped = append(dropped, a)
				}
				continue
			}
			seen[a.ID] = struct{}{}
			arts = append(arts, a)
		}
	}
	return newSnapshot(arts), dropped
}

// Len returns the number of articles.
func (l *Library) Len() int { return len(l.snap.Load().articles) }

// Count returns the number of articles from origin.
func (l *Library) Count(origin string) int { return l.snap.Load().counts[origin] }

// All returns every article, newest first (then by title, then ID). The
// slice is shared: callers must not modify it.
func (l *Library) All() []Article {
	a := l.snap.Load().articles
	return a[:len(a):len(a)]
}

// Get returns the article with the given ID.
func (l *Library) Get(id string) (Article, bool) {
	s := l.snap.Load()
	i, ok := s.byID[id]
	if !ok {
		return Article{}, false
	}
	return s.articles[i], true
}

// Latest returns the n newest articles (all when n < 0). A non-empty topic
// keeps only the articles that match its search terms, as Search would.
func (l *Library) Latest(n int, topic string) []Article {
	s := l.snap.Load()
	if n == 0 {
		return nil
	}
	if strings.TrimSpace(topic) == "" {
		if n < 0 || n > len(s.articles) {
			n = len(s.articles)
		}
		return slices.Clone(s.articles[:n])
	}
	return s.pick(s.latestTopic(topic, n))
}

// Complete returns up to n articles (all matches when n < 0) whose title
// matches query, for autocomplete. Matching ignores case; titles starting
// with the query come first, then titles with words starting with every
// query word, then titles merely containing the query, each group newest
// first. An empty query gives the n newest articles.
func (l *Library) Complete(query string, n int) []Article {
	if strings.TrimSpace(query) == "" {
		return l.Latest(n, "")
	}
	s := l.snap.Load()
	return s.pick(s.complete.complete(query, n))
}

// Search ranks the articles against query with BM25 over title and body and
// returns the best n (all matches when n < 0), best first, ties newest
// first. A query with no searchable words gives nil.
func (l *Library) Search(query string, n int) []Hit {
	return l.snap.Load().search(query, n)
}

func (s *snapshot) pick(docs []int32) []Article {
	if len(docs) == 0 {
		return nil
	}
	out := make([]Article, len(docs))
	for i, d := range docs {
		out[i] = s.articles[d]
	}
	return out
}

// newSnapshot sorts the articles and builds every index over them.
func newSnapshot(arts []Article) *snapshot {
	slices.SortFunc(arts, compareArticles)
	s := &snapshot{articles: arts, byID: make(map[string]int, len(arts)), counts: map[string]int{}}
	for i, a := range arts {
		s.byID[a.ID] = i
		s.counts[a.Origin]++
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.complete = buildCompleter(arts) })
	s.index = buildIndex(arts)
	wg.Wait()
	return s
}

// compareArticles orders newest first, then by title, then by ID.
func compareArticles(a, b Article) int {
	if c := b.Date.Compare(a.Date); c != 0 {
		return c
	}
	if c := strings.Compare(a.Title, b.Title); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
