package briefs

import (
	"cmp"
	"errors"
	"iter"
	"runtime"
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
// origins, in which the same story from several origins is one story (see
// dedup.go). Every method is safe for concurrent use: readers work on an
// immutable snapshot that Replace swaps atomically, so a reader never sees
// a source half-loaded.
//
// Articles live in segments (see segment), each indexed on its own when it
// is added, so that replacing a feed of a hundred items in a library of a
// hundred thousand indexes a hundred; the snapshot only puts the segments'
// articles in order, which is linear and cheap.
type Library struct {
	mu sync.Mutex // serializes Replace so snapshots are swapped in order
	// Guarded by mu:
	segs []*segment
	// nextUID numbers articles as segments are built, which ReplaceSeq
	// does outside mu.
	nextUID atomic.Uint64
	// edges holds the near-duplicate pairs among the articles in the
	// library, both ways, by uid; where says where each article with an
	// edge is.
	edges map[uint64][]uint64
	where map[uint64]segDoc

	snap atomic.Pointer[snapshot]
	// version counts the snapshots swapped in (see Version).
	version atomic.Uint64
	// changed is closed, and replaced, when a snapshot is swapped in
	// (see Changed).
	changedMu sync.Mutex
	changed   chan struct{}

	// bodies, when set, reads bodies again: the library keeps none.
	bodies Bodies

	// held, while Hold is in effect, gathers what the Replaces since
	// left for its release: the articles that came, and those whose
	// story lost an article. Guarded by mu.
	held *heldWork
}

// heldWork is what a held library's Replaces leave for the release.
type heldWork struct {
	installs      int
	born, orphans []segDoc
	// revived says an article came back while the library was held: it
	// may be in born twice, once from when it first came.
	revived bool
}

// segDoc is an article of a segment, for the library's bookkeeping.
type segDoc struct {
	seg *segment
	doc int32
}

// New returns an empty library, for sources to fill with Replace.
func New(opts ...Option) *Library {
	l := &Library{edges: map[uint64][]uint64{}, where: map[uint64]segDoc{}}
	for _, o := range opts {
		o(l)
	}
	l.snap.Store(&snapshot{bodies: l.bodies})
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
	return l.replace(map[string][]Article{origin: arts})
}

// ReplaceAll is Replace for several origins at once, with one snapshot
// swapped in at the end: what a source of many origins (the feeds) does at
// start, where one Replace per origin would put the library in order once
// per origin. It returns the articles it left out for their IDs.
func (l *Library) ReplaceAll(origins map[string][]Article) (dropped []Article) {
	batch := make(map[string][]Article, len(origins))
	for o, arts := range origins {
		batch[o] = adopt(o, slices.Clone(arts))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.replace(batch)
}

// adopt sets every article's Origin to origin and gives an ID to those
// without one, in place.
func adopt(origin string, arts []Article) []Article {
	for i := range arts {
		a := &arts[i]
		a.Origin = origin
		a.Also = nil // the library's to set
		if a.ID == "" {
			a.ID = NewID(origin+"#"+strconv.Itoa(i), a.Title)
		}
	}
	return arts
}

// replace makes each origin of batch hold exactly its articles (already
// adopted) and swaps in the new snapshot. It returns the articles of the
// batch left out for their IDs. The caller holds mu.
func (l *Library) replace(batch map[string][]Article) (dropped []Article) {
	origins := make([]string, 0, len(batch))
	total := 0
	for o, arts := range batch {
		origins = append(origins, o)
		total += len(arts)
	}
	slices.Sort(origins)

	// Within an origin, the first article given keeps its ID. The batch's
	// slices are the library's own (see adopt), so one origin's is used
	// as it is rather than copied.
	var fresh []Article
	if len(origins) == 1 {
		fresh = batch[origins[0]][:0]
	} else {
		fresh = make([]Article, 0, total)
	}
	seen := make(map[string]struct{}, total)
	for _, o := range origins {
		clear(seen)
		for _, a := range batch[o] {
			if _, dup := seen[a.ID]; dup {
				dropped = append(dropped, a)
				continue
			}
			seen[a.ID] = struct{}{}
			fresh = append(fresh, a)
		}
	}
	clear(fresh[len(fresh):cap(fresh)])
	fresh = slices.Clip(fresh)
	seen = nil

	// The new articles, sorted, in segments built in parallel. A
	// segment holds an ID once (byID), so the articles whose ID another
	// origin of the batch gave too go to segments of their own, where
	// install shadows all but the holder.
	// Articles taken from an index cache go to the segments it kept
	// (see claims), the others are indexed.
	fresh, clashing := splitClashes(fresh)
	var taken claims
	fresh = taken.divert(fresh)
	sortArticles(fresh)
	added := l.newSegments(fresh)
	fresh = nil
	var shared []string
	for _, c := range clashing {
		for i := range c {
			shared = append(shared, c[i].ID)
		}
		c = taken.divert(c)
		sortArticles(c)
		added = append(added, l.newSegments(c)...)
	}
	adopted := l.adoptAll(&taken)
	signBatch(added, adopted)
	return append(dropped, l.install(origins, append(added, adopted...), shared)...)
}

// splitClashes keeps in arts the first article with each ID and returns
// the others in runs where each ID is once: the second articles with an
// ID, then the third.
func splitClashes(arts []Article) (first []Article, more [][]Article) {
	n := make(map[string]int, len(arts))
	first = arts[:0]
	for _, a := range arts {
		k := n[a.ID]
		n[a.ID] = k + 1
		if k == 0 {
			first = append(first, a)
			continue
		}
		for len(more) < k {
			more = append(more, nil)
		}
		more[k-1] = append(more[k-1], a)
	}
	clear(arts[len(first):])
	return first, more
}

// install makes the articles of the added segments (built, signed, not yet
// in the library) the whole of origins' articles, sorted, and swaps in the
// new snapshot. shared lists the IDs that two origins of the batch both
// gave (within an origin, the first given has kept it), which the caller
// found as it split them into segments of their own. It returns the added
// articles left out because an article of an origin sorting earlier holds
// their ID. The caller holds mu.
func (l *Library) install(origins []string, added []*segment, shared []string) (dropped []Article) {
	prev := l.snap.Load()
	died, ids := l.removeOrigins(origins)
	old := l.segs
	l.segs = append(l.segs, added...)
	ids = append(ids, heldBefore(old, added)...)
	ids = append(ids, shared...)
	shadowed, revived := l.settleIDs(ids, added)
	died = append(died, shadowed...)
	for _, s := range added {
		for d := range s.arts {
			if s.shadowed[d] {
				dropped = append(dropped, s.arts[d])
			}
		}
	}

	// Near-duplicates: the edges of the articles that left go, those of
	// the articles that came are found.
	orphans := l.dropEdges(died)
	n := len(revived)
	for _, s := range added {
		n += len(s.arts)
	}
	born := append(make([]segDoc, 0, n), revived...)
	for _, s := range added {
		for d := range s.arts {
			if s.live(int32(d)) {
				born = append(born, segDoc{s, int32(d)})
			}
		}
	}
	if l.held != nil {
		l.held.installs++
		l.held.revived = l.held.revived || len(revived) > 0
		l.held.born = append(l.held.born, born...)
		l.held.orphans = append(l.held.orphans, orphans...)
		return dropped
	}
	l.settle(prev, born, orphans)
	return dropped
}

// settle finds the edges of the articles that came (born) and of those
// whose story lost an article (orphans), compacts the segments and swaps
// in the new snapshot. The caller holds mu.
func (l *Library) settle(prev *snapshot, born, orphans []segDoc) {
	l.findEdges(append(slices.Clip(born), orphans...))
	l.dropLinks()

	moved := l.compact()
	l.snap.Store(l.assemble(prev, moved, born))
	l.version.Add(1)
	l.changedMu.Lock()
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
	l.changedMu.Unlock()
}

// Hold defers the grouping of stories and the new snapshot of every
// Replace until release is called; readers see the library as it was
// before Hold until then. A start that loads several sources (the
// articles folder, the feeds) holds the library while it loads them, so
// that the stories of a million articles are grouped once, not once per
// source, and, when every article came from an index cache unchanged, as
// the cache kept them. Calling release again does nothing.
func (l *Library) Hold() (release func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held != nil {
		return func() {} // the outer Hold releases
	}
	l.held = &heldWork{}
	prev := l.snap.Load()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			h := l.held
			l.held = nil
			if h.installs == 0 {
				return // nothing changed: no new snapshot
			}
			// An article that came may have left again before the
			// release, and one may have lost two of its story.
			gone := func(x segDoc) bool { return !x.seg.live(x.doc) }
			orphans := uniqueDocs(slices.DeleteFunc(h.orphans, gone))
			born := slices.DeleteFunc(h.born, gone)
			if h.revived {
				born = uniqueDocs(born)
			}
			l.settle(prev, born, orphans)
		})
	}
}

// uniqueDocs drops from xs every article already in it, keeping the
// first of each in place.
func uniqueDocs(xs []segDoc) []segDoc {
	if len(xs) < 2 {
		return xs
	}
	seen := make(map[segDoc]bool, len(xs))
	return slices.DeleteFunc(xs, func(x segDoc) bool {
		dup := seen[x]
		seen[x] = true
		return dup
	})
}

// removeOrigins marks every article of origins (sorted) removed. It
// returns those that were in the library (died) and their IDs, whose
// holder may change. The caller holds mu.
func (l *Library) removeOrigins(origins []string) (died []segDoc, ids []string) {
	inBatch := func(o string) bool { _, ok := slices.BinarySearch(origins, o); return ok }
	for _, s := range l.segs {
		has := false
		for _, o := range origins {
			if s.origins[o] > 0 {
				has = true
				break
			}
		}
		if !has {
			continue
		}
		for d := range s.arts {
			d := int32(d)
			if s.removed[d] || !inBatch(s.arts[d].Origin) {
				continue
			}
			if s.live(d) {
				died = append(died, segDoc{s, d})
				ids = append(ids, s.arts[d].ID)
			}
			s.setRemoved(d)
		}
	}
	return died, ids
}

// settleIDs gives each of ids (that came, or whose holder left) to its
// holder whose origin sorts first and shadows the others. It returns the
// articles of older segments that it shadowed (they leave the library)
// and those it brought back (revived). The caller holds mu.
func (l *Library) settleIDs(ids []string, added []*segment) (shadowed, revived []segDoc) {
	isNew := func(s *segment) bool { return slices.Contains(added, s) }
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var holders []segDoc
	for _, id := range ids {
		holders = holders[:0]
		for _, s := range l.segs {
			if d, ok := s.byID.find(id, s.arts); ok && !s.removed[d] {
				holders = append(holders, segDoc{s, d})
			}
		}
		if len(holders) == 0 {
			continue
		}
		win := holders[0]
		for _, h := range holders[1:] {
			if h.seg.arts[h.doc].Origin < win.seg.arts[win.doc].Origin {
				win = h
			}
		}
		for _, h := range holders {
			shadow := h != win
			if h.seg.shadowed[h.doc] == shadow {
				continue
			}
			if shadow && !isNew(h.seg) {
				shadowed = append(shadowed, h)
			} else if !shadow && !isNew(h.seg) {
				revived = append(revived, h)
			}
			h.seg.setShadowed(h.doc, shadow)
		}
	}
	return shadowed, revived
}

// heldBefore returns the IDs of the added articles that an article of the
// old segments, not removed, holds too. It looks each added ID up in every
// old segment when few came, and otherwise each old article up among the
// added IDs: a start of a million articles from two sources would
// otherwise look each of the second's up in every segment of the first.
func heldBefore(old, added []*segment) []string {
	nAdded, nOld := 0, 0
	for _, s := range added {
		nAdded += len(s.arts)
	}
	for _, s := range old {
		nOld += len(s.arts)
	}
	var ids []string
	if nAdded*len(old) <= nAdded+nOld {
		for _, a := range addedArticles(added) {
			for _, s := range old {
				if d, ok := s.byID.find(a.ID, s.arts); ok && !s.removed[d] {
					ids = append(ids, a.ID)
					break
				}
			}
		}
		return ids
	}
	came := make(map[string]struct{}, nAdded)
	for _, a := range addedArticles(added) {
		came[a.ID] = struct{}{}
	}
	for _, s := range old {
		for d := range s.arts {
			if id := s.arts[d].ID; !s.removed[d] {
				if _, ok := came[id]; ok {
					ids = append(ids, id)
					delete(came, id) // once is enough
				}
			}
		}
	}
	return ids
}

// addedArticles yields the articles of segments, for install.
func addedArticles(segs []*segment) iter.Seq2[int, *Article] {
	return func(yield func(int, *Article) bool) {
		i := 0
		for _, s := range segs {
			for d := range s.arts {
				if !yield(i, &s.arts[d]) {
					return
				}
				i++
			}
		}
	}
}

// newSegments assigns uids to the sorted articles and indexes them in
// segments of at most segmentMax, on all cores.
func (l *Library) newSegments(arts []Article) []*segment {
	if len(arts) == 0 {
		return nil
	}
	// As many segments as cores, or a multiple, so that none waits for
	// the last.
	workers := runtime.GOMAXPROCS(0)
	n := (len(arts) + segmentMax - 1) / segmentMax
	if n > 1 {
		n = (n + workers - 1) / workers * workers
	}
	segs := make([]*segment, n)
	uids := make([]uint64, len(arts))
	first := l.nextUID.Add(uint64(len(arts))) - uint64(len(arts))
	for i := range uids {
		uids[i] = first + uint64(i)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			var sc segScratch
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				lo, hi := i*len(arts)/n, (i+1)*len(arts)/n
				segs[i] = newSegment(arts[lo:hi:hi], uids[lo:hi:hi], &sc)
				l.dropBodies(segs[i].arts)
			}
		})
	}
	wg.Wait()
	return segs
}

// Merging: segments under segmentMax/2 articles are small, and in tiers
// by size (each mergeFactor times the one before, from tierBase); when a
// tier holds mergeFactor segments they are merged into one of the next
// tier. So an article is merged about twice before its segment is large,
// and a library has at most mergeFactor-1 small segments per tier for
// queries to look through.
const (
	mergeFactor = 8
	tierBase    = 256
)

func tier(n int) int {
	t := 0
	for n >= tierBase {
		n /= mergeFactor
		t++
	}
	return t
}

// merged says where a merged segment's articles went: the segment they are
// in now and each one's place there (-1 for those removed).
type merged struct {
	to  *segment
	doc []int32
}

// compact drops segments whose articles all left, re-indexes those mostly
// removed, and merges small ones tier by tier. It returns where the
// articles of the segments it merged went.
func (l *Library) compact() map[*segment]merged {
	moved := map[*segment]merged{}
	var keep, small []*segment
	for _, s := range l.segs {
		kept := len(s.arts) - s.nRemoved
		switch {
		case kept == 0:
			moved[s] = merged{}
		case s.nRemoved > kept:
			// Mostly removed: re-indexed alone.
			m := l.merge([]*segment{s}, moved)
			if len(m.arts) >= segmentMax/2 {
				keep = append(keep, m)
			} else {
				small = append(small, m)
			}
		case kept < segmentMax/2:
			small = append(small, s)
		default:
			keep = append(keep, s)
		}
	}
	for {
		tiers := map[int][]*segment{}
		var full []*segment
		for _, s := range small {
			t := tier(len(s.arts) - s.nRemoved)
			tiers[t] = append(tiers[t], s)
			if len(tiers[t]) == mergeFactor {
				full = tiers[t]
			}
		}
		if full == nil {
			break
		}
		m := l.merge(full, moved)
		small = slices.DeleteFunc(small, func(s *segment) bool { return slices.Contains(full, s) })
		if len(m.arts) >= segmentMax/2 {
			keep = append(keep, m)
		} else {
			small = append(small, m)
		}
	}
	l.segs = append(keep, small...)
	return moved
}

// merge makes one segment of the articles still held by parts, reusing
// their indexes rather than reading the articles again, and notes in moved
// where they went.
func (l *Library) merge(parts []*segment, moved map[*segment]merged) *segment {
	var src []segDoc
	for _, s := range parts {
		for d := range s.arts {
			if !s.removed[d] {
				src = append(src, segDoc{s, int32(d)})
			}
		}
	}
	slices.SortFunc(src, func(a, b segDoc) int { return cmpArticles(&a.seg.arts[a.doc], &b.seg.arts[b.doc]) })
	for _, s := range parts {
		doc := make([]int32, len(s.arts))
		for i := range doc {
			doc[i] = -1
		}
		moved[s] = merged{doc: doc}
	}
	for i, x := range src {
		moved[x.seg].doc[x.doc] = int32(i)
	}
	m := mergeSegments(parts, src, moved)
	for _, s := range parts {
		mv := moved[s]
		mv.to = m
		moved[s] = mv
	}
	for i, x := range src {
		if x.seg.shadowed[x.doc] {
			m.setShadowed(int32(i), true)
		}
		if _, ok := l.edges[m.uid[i]]; ok {
			l.where[m.uid[i]] = segDoc{m, int32(i)}
		}
	}
	return m
}

// Version changes whenever the library's articles may have: a writer of
// an index cache compares it to the one it last wrote at.
func (l *Library) Version() uint64 { return l.version.Load() }

// Changed returns a channel closed when the library's articles next
// change (a snapshot is swapped in): what instant digests wait for. A
// change between reading Version and calling Changed is missed, so a
// waiter reads Changed first, then looks at the library.
func (l *Library) Changed() <-chan struct{} {
	l.changedMu.Lock()
	defer l.changedMu.Unlock()
	if l.changed == nil {
		l.changed = make(chan struct{})
	}
	return l.changed
}

// Len returns the number of articles.
func (l *Library) Len() int { return len(l.snap.Load().order) }

// Count returns the number of articles from origin.
func (l *Library) Count(origin string) int { return l.snap.Load().counts[origin] }

// All returns every article: each story's representative then the other
// articles of its story, stories newest first (then by title, then ID).
func (l *Library) All() []Article {
	s := l.snap.Load()
	out := make([]Article, len(s.order))
	for p := range s.order {
		out[p] = s.article(int32(p))
	}
	return out
}

// Get returns the article with the given ID, also one that is not its
// story's representative (its Also then names the story's other origins).
func (l *Library) Get(id string) (Article, bool) {
	s := l.snap.Load()
	if p, ok := s.find(id); ok {
		return s.article(p), true
	}
	return Article{}, false
}

// Story returns the IDs of every article of the story the article with
// the given ID belongs to: its representative first, then the others
// newest first; just id for an article that is its own story, nil for an
// unknown ID. Digests use it to post a story once, however many origins
// carry it.
func (l *Library) Story(id string) []string {
	s := l.snap.Load()
	p, ok := s.find(id)
	if !ok {
		return nil
	}
	st := s.story[p]
	lo, hi := s.heads[st], s.storyEnd(st)
	out := make([]string, 0, hi-lo)
	for q := lo; q < hi; q++ {
		out = append(out, s.ref(q).ID)
	}
	return out
}

// Latest returns the n newest stories (all when n < 0), each as its
// representative. A non-empty topic keeps only the stories with an article
// that matches its search terms, as Search would.
func (l *Library) Latest(n int, topic string) []Article {
	s := l.snap.Load()
	if n == 0 {
		return nil
	}
	if strings.TrimSpace(topic) == "" {
		stories := len(s.heads)
		if n < 0 || n > stories {
			n = stories
		}
		if n == 0 {
			return nil
		}
		out := make([]Article, n)
		for i := range out {
			out[i] = s.article(s.heads[i])
		}
		return out
	}
	return s.pick(s.latestTopic(topic, n))
}

// Complete returns up to n stories (all matches when n < 0) with an
// article whose title matches query, for autocomplete; each as the
// article whose title matched. Matching ignores case; titles starting with
// the query come first, then titles with words starting with every query
// word, then titles merely containing the query, each group newest first.
// An empty query gives the n newest stories.
func (l *Library) Complete(query string, n int) []Article {
	if strings.TrimSpace(query) == "" {
		return l.Latest(n, "")
	}
	s := l.snap.Load()
	docs := s.complete(query, n)
	if len(docs) == 0 {
		return nil
	}
	out := make([]Article, len(docs))
	for i, p := range docs {
		out[i] = s.article(p)
	}
	return out
}

// Search ranks the stories against query with BM25 over title and body
// (a story scores as its best article) and returns the best n (all matches
// when n < 0), best first, ties newest first, each as the article that
// scored best (its Also names the story's other origins). A query with no
// searchable words gives nil.
func (l *Library) Search(query string, n int) []Hit {
	return l.snap.Load().search(query, n)
}

// pick returns the representatives of the given stories.
func (s *snapshot) pick(stories []int32) []Article {
	if len(stories) == 0 {
		return nil
	}
	out := make([]Article, len(stories))
	for i, st := range stories {
		out[i] = s.article(s.heads[st])
	}
	return out
}

// sortArticles sorts arts newest first, then by title, then by ID (see
// cmpArticles). It sorts a permutation by
// date (ties by pointer compare) and then moves the articles in place:
// sorting the articles themselves would copy them at every swap.
func sortArticles(arts []Article) {
	if len(arts) < 2 {
		return
	}
	type key struct {
		date int64
		i    int32
	}
	keys := make([]key, len(arts))
	for i := range arts {
		keys[i] = key{arts[i].Date.UnixNano(), int32(i)}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.date != b.date {
			return cmp.Compare(b.date, a.date)
		}
		return cmpArticles(&arts[a.i], &arts[b.i])
	})
	// Apply the permutation: position k takes article keys[k].i.
	perm := make([]int32, len(arts))
	for k := range keys {
		perm[k] = keys[k].i
	}
	keys = nil
	for k := range perm {
		if perm[k] < 0 {
			continue
		}
		tmp := arts[k]
		j := k
		for {
			src := perm[j]
			perm[j] = -1
			if int(src) == k {
				arts[j] = tmp
				break
			}
			arts[j] = arts[src]
			j = int(src)
		}
	}
}

// earlier orders a story's articles for its representative: earliest
// date first, then by origin, then by ID.
func earlier(a, b *Article) int {
	if c := a.Date.Compare(b.Date); c != 0 {
		return c
	}
	if c := strings.Compare(a.Origin, b.Origin); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
