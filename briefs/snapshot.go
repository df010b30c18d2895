package briefs

import (
	"context"
	"math/bits"
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
		if d, ok := seg.byID[id]; ok {
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
	for _, t := range queryTerms(query) {
		qt := queryTerm{term: t}
		df := 0
		for i, seg := range s.segs {
			post := seg.index.postings(t)
			if post.n == 0 {
				continue
			}
			qt.lists = append(qt.lists, segPostings{int32(i), post})
			if s.live[i] == len(seg.arts) {
				df += post.n
				continue
			}
			pos := s.pos[i]
			it := postingIter{p: post.p}
			for d, _, ok := it.next(); ok; d, _, ok = it.next() {
				if pos[d] >= 0 {
					df++
				}
			}
		}
		if df > 0 {
			qt.idf = bm25IDF(len(s.order), df)
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
// A postings list is in its segment's order, newest first, in which the
// heads' stories come in story order and every other article's story (its
// head is older) comes no earlier than the heads before it. So once a list
// has given n heads, the rest of it (past the last head's date) holds no
// newer story, and the scan stops there.
func (s *snapshot) latestTopic(topic string, n int) []int32 {
	qts := s.lookup(topic)
	if len(qts) == 0 || n == 0 {
		return nil
	}
	var stories []int32
	for _, qt := range qts {
		for _, l := range qt.lists {
			pos, arts := s.pos[l.seg], s.segs[l.seg].arts
			heads := 0
			var last *Article
			it := postingIter{p: l.post.p}
			for d, _, ok := it.next(); ok; d, _, ok = it.next() {
				p := pos[d]
				if p < 0 {
					continue
				}
				if n > 0 && heads >= n && !arts[d].Date.Equal(last.Date) {
					break
				}
				st := s.story[p]
				stories = append(stories, st)
				if s.heads[st] == p {
					heads++
					last = &arts[d]
				}
			}
		}
	}
	slices.Sort(stories)
	stories = slices.Compact(stories)
	if n > 0 && len(stories) > n {
		stories = stories[:n]
	}
	return stories
}

// complete returns the positions of up to n articles (all matches when
// n < 0), at most one per story, whose title matches query: title prefix
// first, then word prefixes, then substrings, each group newest first.
func (s *snapshot) complete(query string, n int) []int32 {
	q := lowerTitle(query)
	if q == "" || n == 0 || len(s.order) == 0 {
		return nil
	}
	tp, mp := s.bitmap(), s.bitmap()
	taken, marks := *tp, *mp
	defer func() {
		clear(taken)
		s.bitmaps.Put(tp)
		s.bitmaps.Put(mp)
	}()
	var out []int32
	want := func() int {
		if n < 0 {
			return -1
		}
		return n - len(out)
	}
	isTaken := func(st int32) bool { return taken[st>>6]&(1<<(st&63)) != 0 }
	take := func(p int32) bool {
		st := s.story[p]
		if isTaken(st) {
			return false
		}
		taken[st>>6] |= 1 << (st & 63)
		out = append(out, p)
		return true
	}
	// collect takes the marked articles in story order, one per story.
	collect := func() {
		for w, word := range marks {
			for word != 0 && want() != 0 {
				take(int32(w<<6 + bits.TrailingZeros64(word)))
				word &= word - 1
			}
		}
		clear(marks)
	}

	for i, seg := range s.segs {
		c := &seg.complete
		lo, hi := prefixRange(len(c.byTitle), func(k int) string { return c.title(c.byTitle[k]) }, q)
		for _, d := range c.byTitle[lo:hi] {
			if p := s.pos[i][d]; p >= 0 {
				marks[p>>6] |= 1 << (p & 63)
			}
		}
	}
	collect()

	if qw := titleWords(q); len(qw) > 0 && want() != 0 {
		// Look up the longest (most selective) word; check the others.
		slices.SortStableFunc(qw, func(a, b string) int { return len(b) - len(a) })
		for i, seg := range s.segs {
			c := &seg.complete
			lo, hi := prefixRange(len(c.byWord), func(k int) string { return c.fromWord(c.byWord[k]) }, qw[0])
			for _, e := range c.byWord[lo:hi] {
				d := int32(e >> 16)
				p := s.pos[i][d]
				if p < 0 || isTaken(s.story[p]) {
					continue
				}
				t := c.title(d)
				ok := true
				for _, w := range qw[1:] {
					if !hasWordPrefix(t, w) {
						ok = false
						break
					}
				}
				if ok {
					marks[p>>6] |= 1 << (p & 63)
				}
			}
		}
		collect()
	}

	if left := want(); left != 0 {
		// Substrings: each segment is scanned newest first and stops once
		// it has enough heads (later ones come after them in story order);
		// articles that are not heads are checked apart, as they sit with
		// their (older) head.
		qs := signature(q)
		var found []int32
		match := func(c *segCompleter, d int32) bool {
			g := &c.sig[d]
			return g[0]&qs[0] == qs[0] && g[1]&qs[1] == qs[1] && g[2]&qs[2] == qs[2] && g[3]&qs[3] == qs[3] &&
				strings.Contains(c.title(d), q)
		}
		for i, seg := range s.segs {
			c := &seg.complete
			heads := 0
			pos := s.pos[i]
			q0, q1, q2, q3 := qs[0], qs[1], qs[2], qs[3] // locals: kept in registers
			sigs := c.sig
			for d := range sigs {
				g := &sigs[d]
				if g[0]&q0 != q0 || g[1]&q1 != q1 || g[2]&q2 != q2 || g[3]&q3 != q3 {
					continue
				}
				if !strings.Contains(c.title(int32(d)), q) {
					continue
				}
				p := pos[d]
				if p < 0 || isTaken(s.story[p]) {
					continue
				}
				found = append(found, p)
				if s.heads[s.story[p]] == p {
					if heads++; heads == left {
						break
					}
				}
			}
		}
		for _, p := range s.members {
			r := s.order[p]
			if !isTaken(s.story[p]) && match(&s.segs[r.seg].complete, r.doc) {
				found = append(found, p)
			}
		}
		slices.Sort(found)
		for _, p := range found {
			if want() == 0 {
				break
			}
			take(p)
		}
	}
	return out
}
