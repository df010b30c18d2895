package briefs

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// docRef is an article of a snapshot: its segment's index and its place
// there.
type docRef struct{ seg, doc int32 }

// snapshot is one complete, immutable state of the library. Articles are
// numbered by position in story order: stories newest first (by their
// representative's date, then title, then ID), each story's representative
// then its other articles newest first. A story is the run of positions
// from its head to the next one's.
type snapshot struct {
	segs []*segment
	// pos[i][d] is the position of article d of segment i, or -1 when it is
	// not in the library (replaced, or shadowed by another with its ID).
	pos [][]int32
	// base[i] numbers segment i's first article among all segments'.
	base []int32
	// live[i] counts segment i's articles in the library: the segment's
	// own count changes with later Replaces, this one does not.
	live []int
	// member[base[i]+d] is set for article d of segment i when it is in a
	// story and not its head.
	member []bool
	// norm[base[i]+d] is BM25's length part, k1*(1-b+b*len/avglen), of
	// article d of segment i.
	norm  []float32
	order []docRef
	story []int32 // per position: its story
	heads []int32 // per story: its representative's position
	// members lists the positions of articles that are not their story's
	// representative; origins names, per story of more than one article,
	// its articles' origins, sorted, each once: kept per story, not per
	// article, so that a story carried by k sources costs k names, not k².
	members []int32
	origins map[int32][]string
	counts  map[string]int
	avgLen  float64

	// bodies is the library's: it reads the bodies the snapshot's
	// articles were indexed from, for snippets, when it keeps none.
	bodies Bodies

	scratch sync.Pool // *searchScratch
	bitmaps sync.Pool // *[]uint64 with a bit per position
	query   queryData
}

// searchScratch is a dense score accumulator reused across queries.
type searchScratch struct {
	scores  []float64 // by base[segment]+article
	touched []int32   // base[segment]+article of the scored articles
	cands   []scoredDoc
}

func (s *snapshot) ref(p int32) *Article {
	r := s.order[p]
	return &s.segs[r.seg].arts[r.doc]
}

// article returns the article at position p with its Also.
func (s *snapshot) article(p int32) Article {
	a := *s.ref(p)
	if o, ok := s.origins[s.story[p]]; ok {
		a.Also = others(o, a.Origin)
	}
	return a
}

// others returns origins without own, nil when that leaves none.
func others(origins []string, own string) []string {
	var out []string
	for i, o := range origins {
		if o == own {
			if len(origins) > 1 {
				out = append(slices.Clip(origins[:i]), origins[i+1:]...)
			}
			return out
		}
	}
	return slices.Clone(origins)
}

// posOf returns the position of the article numbered g (base[i]+d).
func (s *snapshot) posOf(g int32) int32 {
	i := sortSearch(len(s.segs), func(i int) bool { return s.base[i+1] > g })
	return s.pos[i][g-s.base[i]]
}

// storyEnd is the position after story st's last article.
func (s *snapshot) storyEnd(st int32) int32 {
	if int(st)+1 < len(s.heads) {
		return s.heads[st+1]
	}
	return int32(len(s.order))
}

func (s *snapshot) find(id string) (int32, bool) {
	for i, seg := range s.segs {
		if d, ok := seg.byID.find(id, seg.arts); ok {
			if p := s.pos[i][d]; p >= 0 {
				return p, true
			}
		}
	}
	return -1, false
}

// bitmap returns a cleared bitmap with a bit per position; put it back
// cleared.
func (s *snapshot) bitmap() *[]uint64 {
	if b, ok := s.bitmaps.Get().(*[]uint64); ok {
		return b
	}
	b := make([]uint64, (len(s.order)+63)/64)
	return &b
}

// cmpArticles orders articles newest first, then by title, then by ID:
// the order of segments, and of stories by their representatives.
func cmpArticles(a, b *Article) int {
	if c := b.Date.Compare(a.Date); c != 0 {
		return c
	}
	if c := strings.Compare(a.Title, b.Title); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// queryTerm is one query term found in the snapshot: its postings in each
// segment that has it.
type queryTerm struct {
	term  string
	idf   float64
	lists []segPostings
}

type segPostings struct {
	seg  int32
	post postingList
}

// lookup returns the query's terms that some article in the library has,
// with BM25's idf over the articles in the library.
func (s *snapshot) lookup(query string) []queryTerm {
	var qts []queryTerm
	for _, qt := range s.termLists(query) {
		df := 0
		for _, l := range qt.lists {
			df += s.liveHolding(int(l.seg), l.post)
		}
		if df > 0 {
			qt.idf = bm25IDF(len(s.order), df)
			qts = append(qts, qt)
		}
	}
	return qts
}

// termLists returns the query's terms that some segment has, with their
// postings, without idf: lookup without counting the articles.
func (s *snapshot) termLists(query string) []queryTerm {
	var qts []queryTerm
	for _, t := range queryTerms(query) {
		qt := queryTerm{term: t}
		for i, seg := range s.segs {
			if post := seg.index.postings(t); post.n > 0 {
				qt.lists = append(qt.lists, segPostings{int32(i), post})
			}
		}
		if len(qt.lists) > 0 {
			qts = append(qts, qt)
		}
	}
	return qts
}

// search returns the best n stories for query, best first, each as its
// best-scoring article.
func (s *snapshot) search(query string, n int) []Hit {
	if n == 0 || strings.TrimSpace(query) == "" {
		return nil
	}
	qts := s.lookup(query)
	if len(qts) == 0 {
		return nil
	}
	if s.pruneSearch(qts, n) {
		return s.hits(s.searchTop(qts, n), qts)
	}
	return s.hits(s.searchAll(qts, n), qts)
}

// hits makes the hits of the scored stories top, best first, each with a
// snippet around the query terms qts.
func (s *snapshot) hits(top []scoredDoc, qts []queryTerm) []Hit {
	terms := make([]string, len(qts))
	weights := make([]float64, len(qts))
	for i, qt := range qts {
		terms[i], weights[i] = qt.term, qt.idf
	}
	hits := make([]Hit, len(top))
	for i, c := range top {
		hits[i] = Hit{Article: s.article(c.doc), Score: c.score}
		hits[i].Snippet = s.snippet(i, hits[i].Article, terms, weights)
	}
	return hits
}

// searchAll returns the best n stories (all when n < 0) for the query's
// terms, best first, each as {position of its best article, score}, by
// scoring every posting: what searchTop answers without doing so.
func (s *snapshot) searchAll(qts []queryTerm, n int) []scoredDoc {
	// Scores accumulate by segment and article (base[i]+d), which the
	// postings visit in order; only the candidates are then placed in
	// story order.
	sc, ok := s.scratch.Get().(*searchScratch)
	if !ok {
		sc = &searchScratch{scores: make([]float64, s.base[len(s.segs)])}
	}
	scores, touched := sc.scores, sc.touched[:0]
	for _, qt := range qts {
		w := qt.idf * (bm25K1 + 1)
		for _, l := range qt.lists {
			lo, hi := s.base[l.seg], s.base[l.seg+1]
			pos, norm, segScores := s.pos[l.seg], s.norm[lo:hi], scores[lo:hi]
			allLive := s.live[l.seg] == len(pos)
			it := postingIter{p: l.post.p}
			for d, n, ok := it.next(); ok; d, n, ok = it.next() {
				if !allLive && pos[d] < 0 {
					continue
				}
				if segScores[d] == 0 {
					touched = append(touched, lo+int32(d))
				}
				tf := float64(n)
				segScores[d] += w * tf / (tf + float64(norm[d]))
			}
		}
	}
	// A story scores as its best article, and is shown by it (best says
	// which member beat the head); ties go to the newer story.
	var best map[int32]int32
	if len(s.members) > 0 {
		for _, g := range touched {
			if !s.member[g] {
				continue
			}
			r := s.order[s.heads[s.story[s.posOf(g)]]]
			h := s.base[r.seg] + r.doc
			if scores[g] > scores[h] {
				if scores[h] == 0 {
					touched = append(touched, h)
				}
				scores[h] = scores[g]
				if best == nil {
					best = map[int32]int32{}
				}
				best[h] = g
			}
		}
	}
	cands := sc.cands[:0]
	for _, g := range touched {
		if len(s.members) == 0 || !s.member[g] {
			cands = append(cands, scoredDoc{g, scores[g]})
		}
	}
	top := topHits(cands, n, func(a, b int32) bool { return s.posOf(a) < s.posOf(b) })
	for i := range top {
		g := top[i].doc
		if m, ok := best[g]; ok {
			g = m
		}
		top[i].doc = s.posOf(g)
	}
	for _, g := range touched {
		scores[g] = 0
	}
	sc.touched, sc.cands = touched[:0], cands[:0]
	s.scratch.Put(sc)
	return top
}

// snippetHits is how many of a search's hits get a snippet when bodies are
// read again: a search for everything (n < 0) does not read every body.
const snippetHits = 25

// snippetWait bounds reading one body again for a snippet.
const snippetWait = 2 * time.Second

// snippet is makeSnippet for a, the i-th hit, whose body is read again when
// the library keeps none; an unreadable body gives no snippet.
func (s *snapshot) snippet(i int, a Article, terms []string, weights []float64) string {
	if len(a.Paragraphs) == 0 && s.bodies != nil {
		if i >= snippetHits {
			return ""
		}
		// Search takes no context: a snippet is worth little time.
		ctx, cancel := context.WithTimeout(context.Background(), snippetWait)
		paras, err := s.bodies.Body(ctx, a)
		cancel()
		if err != nil {
			return ""
		}
		a.Paragraphs = paras
	}
	return makeSnippet(&a, terms, weights)
}

// latestTopic returns the newest n stories (all if n < 0) with an article
// holding any of the topic's search terms.
//
// A postings list is in its segment's order, newest first, and a story
// comes no earlier than its articles' dates say (its representative is its
// earliest article). So once n stories are found, a list can stop at its
// first article older than the n-th story's representative.
func (s *snapshot) latestTopic(topic string, n int) []int32 {
	if n == 0 {
		return nil
	}
	qts := s.termLists(topic)
	if len(qts) == 0 {
		return nil
	}
	k := newPicker(s, n)
	for _, qt := range qts {
		for _, l := range qt.lists {
			pos, arts := s.pos[l.seg], s.segs[l.seg].arts
			it := postingIter{p: l.post.p}
			for d, _, ok := it.next(); ok; d, _, ok = it.next() {
				p := pos[d]
				if p < 0 {
					continue
				}
				if k.full() {
					if arts[d].Date.Before(k.cut) {
						break
					}
					if p >= k.end {
						continue
					}
				}
				k.offer(s.story[p], p)
			}
		}
	}
	picks := k.picks()
	if len(picks) == 0 {
		return nil
	}
	stories := make([]int32, len(picks))
	for i, pk := range picks {
		stories[i] = pk.st
	}
	return stories
}

// complete returns the positions of up to n articles (all matches when
// n < 0), at most one per story, whose title matches query: title prefix
// first, then word prefixes, then substrings, each group newest first.
//
// Each group is the first stories (in story order) not taken by an earlier
// group with an article that matches, each as its first matching
// position. Sorted lists find the prefixes when they are few; otherwise,
// and for substrings, each segment's titles are scanned newest first by
// their signatures (see segCompleter) until older ones cannot make the
// group (see storyPicker).
func (s *snapshot) complete(query string, n int) []int32 {
	q := lowerTitle(query)
	if q == "" || n == 0 || len(s.order) == 0 {
		return nil
	}
	// The stories taken: a few, looked through, or a bitmap of all for
	// many.
	var out, few []int32
	var taken []uint64
	if n > 0 && n <= 64 {
		out, few = make([]int32, 0, n), make([]int32, 0, n)
	} else {
		tp := s.bitmap()
		taken = *tp
		defer func() {
			for _, p := range out {
				st := s.story[p]
				taken[st>>6] &^= 1 << (st & 63)
			}
			s.bitmaps.Put(tp)
		}()
	}
	isTaken := func(st int32) bool {
		if taken == nil {
			return slices.Contains(few, st)
		}
		return taken[st>>6]&(1<<(st&63)) != 0
	}
	// group finds one group's stories with find and takes them.
	k := newPicker(s, n)
	group := func(find func(k *storyPicker)) {
		if n >= 0 {
			if k.limit, k.e = n-len(out), k.e[:0]; k.limit == 0 {
				return
			}
		} else {
			clear(k.all)
		}
		find(k)
		for _, pk := range k.picks() {
			if taken == nil {
				few = append(few, pk.st)
			} else {
				taken[pk.st>>6] |= 1 << (pk.st & 63)
			}
			out = append(out, pk.p)
		}
	}
	// Every match, whatever its group, holds the query's words (the query
	// itself when it has none), so a segment none of whose titles has
	// their signature bits has no match to look up. A few of the bits
	// tell most segments apart, and each costs a bitmap read per segment.
	qw := titleWords(q)
	var needBuf, sigBuf [sigQueryMax]int
	need := sigQuery(needBuf[:], q)
	if len(qw) > 0 {
		need = sigQuery(needBuf[:], qw...)
	}
	need = need[:min(len(need), 8)]
	var skipBuf [256]bool
	skip := skipBuf[:0]
	if len(s.segs) > len(skipBuf) {
		skip = make([]bool, 0, len(s.segs))
	}
	for i := range s.segs {
		skip = append(skip, !s.mayHold(i, need))
	}
	// offer gives k article d of segment i, unless it or its story is out.
	offer := func(k *storyPicker, i int, d int32) {
		if p := s.pos[i][d]; p >= 0 && !k.after(p) {
			if st := s.story[p]; !isTaken(st) {
				k.offer(st, p)
			}
		}
	}

	group(func(k *storyPicker) {
		isPrefix := func(t string) bool { return strings.HasPrefix(t, q) }
		var sig []int
		for i, seg := range s.segs {
			if skip[i] || k.full() && seg.arts[0].Date.Before(k.cut) {
				continue
			}
			c := &seg.complete
			if lo, hi, ok := c.titleRange(q, rangeScanMax); ok && hi-lo <= rangeScanMax {
				for _, d := range c.byTitle[lo:hi] {
					offer(k, i, d)
				}
				continue
			}
			if sig == nil {
				sig = sigQuery(sigBuf[:], q)
			}
			s.scanTitles(i, sig, k, isTaken, isPrefix)
		}
	})

	if len(qw) > 0 {
		// Look up the longest (most selective) word; check the others.
		slices.SortStableFunc(qw, func(a, b string) int { return len(b) - len(a) })
		others := func(t string) bool {
			for _, w := range qw[1:] {
				if !hasWordPrefix(t, w) {
					return false
				}
			}
			return true
		}
		group(func(k *storyPicker) {
			isMatch := func(t string) bool { return hasWordPrefixIndexed(t, qw[0]) && others(t) }
			var sig []int
			for i, seg := range s.segs {
				if skip[i] || k.full() && seg.arts[0].Date.Before(k.cut) {
					continue
				}
				c := &seg.complete
				if lo, hi, ok := c.wordRange(qw[0], rangeScanMax); ok && hi-lo <= rangeScanMax {
					for _, e := range c.byWord[lo:hi] {
						d := int32(e >> 16)
						if others(c.title(d)) {
							offer(k, i, d)
						}
					}
					continue
				}
				if sig == nil {
					sig = sigQuery(sigBuf[:], qw...)
				}
				s.scanTitles(i, sig, k, isTaken, isMatch)
			}
		})
	}

	group(func(k *storyPicker) {
		sig := sigQuery(sigBuf[:], q)
		isSub := func(t string) bool { return strings.Contains(t, q) }
		for i := range s.segs {
			if !skip[i] {
				s.scanTitles(i, sig, k, isTaken, isSub)
			}
		}
	})
	if len(out) == 0 {
		return nil
	}
	return out
}
