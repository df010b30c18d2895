package briefs

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Queries in a library of a million articles: a search must not score
// every posting of its terms, nor autocomplete read every title. Search
// keeps the best k stories as it goes and skips the blocks of postings
// (see postBlock) whose best possible score cannot reach them;
// autocomplete and a topic's latest stories look at articles newest first
// and stop when older ones cannot make the answer. Both give exactly what
// scoring and matching everything gives (searchAll, and the tests'
// references).

// queryData is what queries derive from a snapshot the first time they
// need it; a snapshot never changes, so neither does it.
type queryData struct {
	once sync.Once
	// dead lists, per segment, its articles that are not in the library,
	// in order; nil for a segment whose articles all are.
	dead [][]int32
	// spare is searchTop's working memory between searches. Not a
	// sync.Pool: a pool is emptied by every collection, and a search
	// right after one would allocate it again; searches at the same time
	// allocate their own.
	spare atomic.Pointer[topScratch]
}

// deadDocs returns the articles of segment i that are not in the library.
func (s *snapshot) deadDocs(i int) []int32 {
	s.query.once.Do(func() {
		s.query.dead = make([][]int32, len(s.segs))
		for i, seg := range s.segs {
			if s.live[i] == len(seg.arts) {
				continue
			}
			var dead []int32
			for d, p := range s.pos[i] {
				if p < 0 {
					dead = append(dead, int32(d))
				}
			}
			s.query.dead[i] = dead
		}
	})
	return s.query.dead[i]
}

// liveHolding counts the articles of segment i in the library that hold
// the term of post: all of them but the few dead ones it holds, found by
// skipping to each, or by reading the list when many are dead.
func (s *snapshot) liveHolding(i int, post postingList) int {
	if s.live[i] == len(s.segs[i].arts) {
		return post.n
	}
	dead := s.deadDocs(i)
	if len(post.blocks) == 0 || len(dead) > len(post.blocks) {
		pos, n := s.pos[i], 0
		it := postingIter{p: post.p}
		for d, _, ok := it.next(); ok; d, _, ok = it.next() {
			if pos[d] >= 0 {
				n++
			}
		}
		return n
	}
	var c termCursor
	c.reset(post.p, post.blocks)
	n := post.n
	for _, d := range dead {
		if !c.advance(uint32(d)) {
			break
		}
		if c.doc == uint32(d) {
			n--
		}
	}
	return n
}

// termCursor walks one term's postings in one segment, block by block:
// shallow steps over blocks by their last documents without decoding
// them, advance decodes only the block that holds its target.
type termCursor struct {
	qi     int     // the term's place among the query's terms
	w      float64 // the term's BM25 weight, idf·(k1+1)
	scale  float64 // a block's bound is scale·impact
	post   []byte
	blocks []postBlock
	one    [1]postBlock // the block of a list too short to have any

	bi      int // the current block
	start   int // where block bi starts in post
	it      postingIter
	doc, tf uint32 // the current posting, unless stale
	stale   bool   // bi moved past the decoded posting
	done    bool
	bound   float64 // the current block's bound, for the window being scored
}

// reset starts the cursor at the beginning of a list with its blocks.
func (c *termCursor) reset(post []byte, blocks []postBlock) {
	c.post, c.blocks = post, blocks
	c.bi, c.start, c.stale, c.done = 0, 0, true, len(post) == 0 || len(blocks) == 0
}

// shallow moves to the first block whose last document is at least
// target, without decoding; false when there is none.
func (c *termCursor) shallow(target uint32) bool {
	if c.done {
		return false
	}
	for c.blocks[c.bi].last < target {
		c.start += int(c.blocks[c.bi].size)
		c.bi++
		c.stale = true
		if c.bi == len(c.blocks) {
			c.done = true
			return false
		}
	}
	return true
}

// advance moves to the first posting at or after target; false when there
// is none.
func (c *termCursor) advance(target uint32) bool {
	if !c.shallow(target) {
		return false
	}
	if c.stale {
		prev := uint32(0)
		if c.bi > 0 {
			prev = c.blocks[c.bi-1].last
		}
		c.it = postingIter{p: c.post[c.start:], doc: prev}
		c.doc, c.tf, _ = c.it.next()
		c.stale = false
	}
	for c.doc < target { // block bi ends at or after target
		c.next()
	}
	return true
}

// next moves to the next posting; false at the end of the list.
func (c *termCursor) next() bool {
	d, tf, ok := c.it.next()
	if !ok {
		c.done = true
		return false
	}
	if d > c.blocks[c.bi].last {
		c.start += int(c.blocks[c.bi].size)
		c.bi++
	}
	c.doc, c.tf = d, tf
	return true
}

// boundSlack keeps bounds above the scores they bound despite rounding: a
// block's impact is rounded up to 1/65535, but the norms a score is
// computed with are float32, and sums of bounds and of scores are rounded
// in different orders. Pruning compares a bound with the threshold times
// pruneSlack for the same reason. Being generous only costs a few more
// postings scored.
const (
	boundSlack = 1 + 1e-6
	pruneSlack = 1 - 1e-9
)

// searchTopMax is the largest n searchTop answers; more (or all) are
// searchAll's, which scores everything anyway.
const searchTopMax = 100

// scoreAllMax is the most postings of a query of several terms that
// searchAll scores rather than searchTop, in a library of at most
// scoreAllDocs articles: so few are scored at once, their scores in
// memory that stays in cache, faster than searchTop walks its windows,
// which in a small library cut little. In a larger library searchAll's
// scores are megabytes, to be allocated again after a collection. A
// query of one term always goes to searchTop, which skips whole blocks of
// it.
const (
	scoreAllMax  = 8192
	scoreAllDocs = 1 << 16
)

// pruneSearch reports whether searchTop answers a search for the n best
// with the terms qts.
func (s *snapshot) pruneSearch(qts []queryTerm, n int) bool {
	if n <= 0 || n > searchTopMax {
		return false
	}
	if len(qts) == 1 || s.base[len(s.segs)] > scoreAllDocs {
		return true
	}
	postings := 0
	for _, qt := range qts {
		for _, l := range qt.lists {
			postings += l.post.n
		}
	}
	return postings > scoreAllMax
}

// topStory is one of the best stories so far of a search.
type topStory struct {
	score float64 // its best article's
	st    int32   // the story
	head  int32   // its representative's position
	shown int32   // the position of the article shown: its best
	key   uint64  // when searchAll first touches the article shown (see searchTop)
}

// storyTop is the best k stories so far, best first: higher score first,
// ties to the newer story, as topHits orders them.
type storyTop struct {
	k int
	e []topStory
}

// threshold is the score a story must reach to make the top; -Inf while
// there are fewer than k.
func (t *storyTop) threshold() float64 {
	if len(t.e) < t.k {
		return math.Inf(-1)
	}
	return t.e[t.k-1].score
}

// offer is an article at position p of story st (whose head is at head)
// scoring score; key orders the articles of a story that tie, as searchAll
// meets them.
func (t *storyTop) offer(score float64, st, head, p int32, key uint64) {
	if len(t.e) == t.k && score < t.e[t.k-1].score {
		return
	}
	for j := range t.e {
		e := &t.e[j]
		if e.st != st {
			continue
		}
		// A story scores as its best article and is shown by it; the
		// representative wins a tie, then the article met first.
		switch {
		case score > e.score:
			e.score, e.shown, e.key = score, p, key
			for ; j > 0 && better(t.e[j].score, t.e[j].head, &t.e[j-1]); j-- {
				t.e[j], t.e[j-1] = t.e[j-1], t.e[j]
			}
		case score == e.score && e.shown != e.head && (p == head || key < e.key):
			e.shown, e.key = p, key
		}
		return
	}
	j := len(t.e)
	for j > 0 && better(score, head, &t.e[j-1]) {
		j--
	}
	if j == t.k {
		return
	}
	if len(t.e) < t.k {
		t.e = append(t.e, topStory{})
	}
	copy(t.e[j+1:], t.e[j:])
	t.e[j] = topStory{score: score, st: st, head: head, shown: p, key: key}
}

// better reports whether a story scoring score with its head at head ranks
// before e.
func better(score float64, head int32, e *topStory) bool {
	return score > e.score || score == e.score && head < e.head
}

// searchTop returns the best k stories for the query's terms, best first,
// each as {position of its best article, score}: what searchAll returns,
// without scoring what cannot make the top.
//
// Each segment's documents are cut into windows where the first of the
// terms' current blocks ends; a window is bounded by its blocks' bounds
// added up, and skipped when that is below the k-th story's score (the
// threshold). First the best-bounded windows of all segments are scored
// (seedWindows of them), so that the threshold starts near its final
// value; then each segment is read in order, its cursors only moving
// forward, skipping the windows that cannot make the top and those
// already scored. In a window, the terms whose bounds together stay under
// the threshold are not essential (MaxScore): only documents with an
// essential term are looked at, and a document is dropped as soon as what
// it has plus what its other terms could add falls short. A score is
// always summed in query order, as searchAll sums it, so that it is the
// same to the last bit.
//
// A story's score is its best article's, and it is shown by that article:
// its representative on a tie, otherwise the tied article searchAll meets
// first, the one touched first (the first query term it holds, then its
// segment, then its place there). An article is skipped only when it
// cannot reach the threshold, which a story of the final top beats, so
// every article that could be a top story's best is scored.
func (s *snapshot) searchTop(qts []queryTerm, k int) []scoredDoc {
	sc := s.query.spare.Swap(nil)
	if sc == nil {
		sc = &topScratch{segCurs: make([][]*termCursor, len(s.segs))}
	}
	defer func() {
		clear(sc.curs)
		for i := range sc.segCurs {
			sc.segCurs[i] = sc.segCurs[i][:0]
		}
		sc.curs, sc.seeds = sc.curs[:0], sc.seeds[:0]
		s.query.spare.Store(sc)
	}()
	nq := len(qts)
	ws := make([]float64, nq)
	total := 0
	for qi, qt := range qts {
		ws[qi] = qt.idf * (bm25K1 + 1)
		total += len(qt.lists)
	}
	sc.curs = slices.Grow(sc.curs, total)[:total]
	next := 0
	for qi, qt := range qts {
		for _, l := range qt.lists {
			c := &sc.curs[next]
			next++
			c.qi, c.w = qi, ws[qi]
			ix := &s.segs[l.seg].index
			if len(l.post.blocks) > 0 {
				c.reset(l.post.p, l.post.blocks)
			} else {
				c.one[0] = shortBlock(ix, l.post.p)
				c.reset(l.post.p, c.one[:])
			}
			c.scale = c.w * max(1, s.avgLen/ix.impactAvg) * boundSlack / 65535
			sc.segCurs[l.seg] = append(sc.segCurs[l.seg], c)
		}
	}
	top := &storyTop{k: k}
	var tfs [maxQueryTerms]uint32

	// The best windows first.
	for i, cs := range sc.segCurs {
		if len(cs) > 0 {
			sc.keepBest(int32(i), cs)
		}
	}
	seeds := sc.seeds
	slices.SortFunc(seeds, func(a, b topWindow) int { return cmp.Compare(b.bound, a.bound) })
	for j, w := range seeds {
		if w.bound < top.threshold()*pruneSlack {
			seeds = seeds[:j]
			break
		}
		cs := sc.segCurs[w.seg]
		for _, c := range cs {
			c.reset(c.post, c.blocks)
		}
		s.scoreRange(w.seg, cs, w.first, w.last, ws, &tfs, top)
	}

	// Then every segment in order.
	slices.SortFunc(seeds, func(a, b topWindow) int {
		if a.seg != b.seg {
			return cmp.Compare(a.seg, b.seg)
		}
		return cmp.Compare(a.first, b.first)
	})
	for i, cs := range sc.segCurs {
		if len(cs) == 0 {
			continue
		}
		for _, c := range cs {
			c.reset(c.post, c.blocks)
		}
		n := 0
		for n < len(seeds) && seeds[n].seg == int32(i) {
			n++
		}
		s.searchSegment(int32(i), cs, seeds[:n], ws, &tfs, top)
		seeds = seeds[n:]
	}
	out := make([]scoredDoc, len(top.e))
	for j, e := range top.e {
		out[j] = scoredDoc{e.shown, e.score}
	}
	return out
}

// seedWindows is how many of the best-bounded windows searchTop scores
// before reading the segments in order: enough for a top of 25 to be
// found in them, few enough to be a small part of a search.
const seedWindows = 32

// topScratch is searchTop's working memory, kept (see queryData).
type topScratch struct {
	curs    []termCursor
	segCurs [][]*termCursor // by segment
	seeds   []topWindow     // a min-heap by bound while it is filled
}

// topWindow is documents first to last of segment seg, in which each of
// the segment's query terms has at most one block; bound bounds any
// document's score there.
type topWindow struct {
	bound       float64
	seg         int32
	first, last uint32
}

// keepBest walks the windows of segment i, for the cursors cs of its
// terms, reading only their blocks, and keeps in seeds the seedWindows
// best-bounded windows so far.
func (sc *topScratch) keepBest(i int32, cs []*termCursor) {
	keep := func(w topWindow) {
		h := sc.seeds
		if len(h) == seedWindows {
			if w.bound <= h[0].bound {
				return
			}
			h[0] = w
		} else {
			h = append(h, w)
			for j := len(h) - 1; j > 0; {
				p := (j - 1) / 2
				if h[p].bound <= h[j].bound {
					break
				}
				h[p], h[j] = h[j], h[p]
				j = p
			}
			sc.seeds = h
			return
		}
		for j := 0; ; { // sift the new root down
			m := j
			if l := 2*j + 1; l < len(h) && h[l].bound < h[m].bound {
				m = l
			}
			if r := 2*j + 2; r < len(h) && h[r].bound < h[m].bound {
				m = r
			}
			if m == j {
				return
			}
			h[j], h[m] = h[m], h[j]
			j = m
		}
	}
	if len(cs) == 1 { // a window per block
		c := cs[0]
		first := uint32(0)
		for _, b := range c.blocks {
			if w := (topWindow{bound: c.scale * float64(b.impact), seg: i, first: first, last: b.last}); len(sc.seeds) < seedWindows || w.bound > sc.seeds[0].bound {
				keep(w)
			}
			first = b.last + 1
		}
		return
	}
	// The walk's state per cursor, side by side.
	type walk struct {
		blocks []postBlock
		bi     int
		scale  float64
	}
	var walks [maxQueryTerms]walk
	for j, c := range cs {
		walks[j] = walk{blocks: c.blocks, scale: c.scale}
	}
	ws := walks[:len(cs)]
	target := uint32(0)
	for {
		end := uint32(math.MaxUint32)
		bound := 0.0
		for j := range ws {
			if w := &ws[j]; w.bi < len(w.blocks) {
				end = min(end, w.blocks[w.bi].last)
				bound += w.scale * float64(w.blocks[w.bi].impact)
			}
		}
		if end == math.MaxUint32 {
			return
		}
		if len(sc.seeds) < seedWindows || bound > sc.seeds[0].bound {
			keep(topWindow{bound: bound, seg: i, first: target, last: end})
		}
		target = end + 1
		for j := range ws {
			if w := &ws[j]; w.bi < len(w.blocks) && w.blocks[w.bi].last < target {
				w.bi++
			}
		}
	}
}

// shortBlock is the one block of a list too short to have blocks stored:
// the same bound encodePostings would have stored.
func shortBlock(ix *segIndex, post []byte) postBlock {
	b := postBlock{size: uint16(min(len(post), math.MaxUint16))}
	best := 0.0
	it := postingIter{p: post}
	for d, tf, ok := it.next(); ok; d, tf, ok = it.next() {
		b.last = d
		t := float64(tf)
		best = max(best, t/(t+bm25K1*(1-bm25B+bm25B*float64(ix.docLen[d])/ix.impactAvg)))
	}
	b.impact = quantImpact(best)
	return b
}

// searchSegment offers top the articles of segment i that could make it,
// window by window (see searchTop), but for the windows seeds, scored
// already; cs are the cursors of the segment's query terms, at their
// lists' starts.
func (s *snapshot) searchSegment(i int32, cs []*termCursor, seeds []topWindow, ws []float64, tfs *[maxQueryTerms]uint32, top *storyTop) {
	target := uint32(0)
	for {
		end := uint32(math.MaxUint32)
		bound := 0.0
		for _, c := range cs {
			if c.shallow(target) {
				end = min(end, c.blocks[c.bi].last)
				bound += c.scale * float64(c.blocks[c.bi].impact)
			}
		}
		if end == math.MaxUint32 {
			return // every list is done
		}
		for len(seeds) > 0 && seeds[0].first < target {
			seeds = seeds[1:]
		}
		if bound >= top.threshold()*pruneSlack && (len(seeds) == 0 || seeds[0].first != target) {
			s.scoreRange(i, cs, target, end, ws, tfs, top)
		}
		target = end + 1
	}
}

// scoreRange offers top the documents first to last of segment i that
// could make it (see searchTop): a window, in which each cursor of cs is
// at most at its first document, in the block that holds it if any.
func (s *snapshot) scoreRange(i int32, cs []*termCursor, first, last uint32, ws []float64, tfs *[maxQueryTerms]uint32, top *storyTop) {
	pos := s.pos[i]
	allLive := s.live[i] == len(pos)
	norm := s.norm[s.base[i]:s.base[i+1]]
	var order [maxQueryTerms]*termCursor
	var prefix [maxQueryTerms + 1]float64
	n := 0
	for _, c := range cs {
		if !c.shallow(first) {
			continue
		}
		c.bound = c.scale * float64(c.blocks[c.bi].impact)
		k := n
		for ; k > 0 && order[k-1].bound > c.bound; k-- {
			order[k] = order[k-1]
		}
		order[k] = c
		n++
	}
	// The weakest terms, whose bounds add up to less than the threshold,
	// cannot make a story alone: they are not essential.
	thr := top.threshold() * pruneSlack
	e := 0
	for e < n && prefix[e]+order[e].bound < thr {
		prefix[e+1] = prefix[e] + order[e].bound
		e++
	}
	rest, ess := order[:e], order[e:n]
	for _, c := range ess {
		c.advance(first)
	}
	if len(ess) == 1 { // the common case, without looking for the least document
		c := ess[0]
		for !c.done && c.doc <= last {
			if d := c.doc; allLive || pos[d] >= 0 {
				nd := float64(norm[d])
				tf := float64(c.tf)
				if c.w*tf/(tf+nd)+prefix[e] >= thr {
					s.scoreDoc(i, d, nd, cs, rest, ess, prefix[:e+1], ws, tfs, top)
					thr = top.threshold() * pruneSlack
				}
			}
			c.next()
		}
		return
	}
	for {
		d := uint32(math.MaxUint32)
		for _, c := range ess {
			if !c.done && c.doc < d {
				d = c.doc
			}
		}
		if d > last {
			return
		}
		if allLive || pos[d] >= 0 {
			nd := float64(norm[d])
			partial := 0.0
			for _, c := range ess {
				if !c.done && c.doc == d {
					tf := float64(c.tf)
					partial += c.w * tf / (tf + nd)
				}
			}
			if partial+prefix[e] >= thr {
				s.scoreDoc(i, d, nd, cs, rest, ess, prefix[:e+1], ws, tfs, top)
				thr = top.threshold() * pruneSlack
			}
		}
		for _, c := range ess {
			if !c.done && c.doc == d {
				c.next()
			}
		}
	}
}

// scoreDoc scores document d of segment i, which an essential term holds,
// and offers it to top, unless its other terms show it cannot make it.
// prefix[j] bounds what rest[:j] can add.
func (s *snapshot) scoreDoc(i int32, d uint32, norm float64, cs, rest, ess []*termCursor, prefix []float64, ws []float64, tfs *[maxQueryTerms]uint32, top *storyTop) {
	thr := top.threshold() * pruneSlack
	partial := 0.0
	for _, c := range ess {
		if !c.done && c.doc == d {
			tf := float64(c.tf)
			partial += c.w * tf / (tf + norm)
			tfs[c.qi] = c.tf
		}
	}
	full := true
	for j := len(rest) - 1; j >= 0; j-- {
		c := rest[j]
		if c.advance(d) && c.doc == d {
			tf := float64(c.tf)
			partial += c.w * tf / (tf + norm)
			tfs[c.qi] = c.tf
		}
		if partial+prefix[j] < thr {
			full = false
			break
		}
	}
	if full {
		// The score as searchAll sums it: term by term, in query order.
		score, first := 0.0, -1
		for qi, w := range ws {
			if n := tfs[qi]; n > 0 {
				tf := float64(n)
				score += w * tf / (tf + norm)
				if first < 0 {
					first = qi
				}
			}
		}
		p := s.pos[i][d]
		st := s.story[p]
		top.offer(score, st, s.heads[st], p, uint64(first)<<56|uint64(i)<<32|uint64(d))
	}
	for _, c := range cs {
		tfs[c.qi] = 0
	}
}

// storyPicker keeps the first limit stories (in story order, all when
// limit < 0) among those offered, each with the first position offered
// for it. Once it has limit stories, an article dated before cut cannot
// change them: its story's representative is no newer than it, so that
// story comes after the last one kept. Articles offered newest first can
// stop there. Nor can an article at end or after, in a later story:
// stories are laid out in order, so that is known without looking its
// story up.
type storyPicker struct {
	s     *snapshot
	limit int
	e     []pick // by story
	all   map[int32]int32
	cut   time.Time
	end   int32
}

type pick struct{ st, p int32 }

func newPicker(s *snapshot, limit int) *storyPicker {
	k := &storyPicker{s: s, limit: limit}
	if limit < 0 {
		k.all = map[int32]int32{}
	} else {
		k.e = make([]pick, 0, min(limit, 64))
	}
	return k
}

// full reports whether the picker has its limit of stories.
func (k *storyPicker) full() bool { return k.limit >= 0 && len(k.e) >= k.limit }

// after reports whether the article at position p is in a story after
// those the picker keeps, when it has all it needs.
func (k *storyPicker) after(p int32) bool { return k.full() && p >= k.end }

// offer is the article at position p, of story st.
func (k *storyPicker) offer(st, p int32) {
	if k.limit < 0 {
		if q, ok := k.all[st]; !ok || p < q {
			k.all[st] = p
		}
		return
	}
	if k.full() && st > k.e[len(k.e)-1].st {
		return // the common case once full: a later story
	}
	j, found := slices.BinarySearchFunc(k.e, st, func(x pick, st int32) int { return int(x.st - st) })
	if found {
		k.e[j].p = min(k.e[j].p, p)
		return
	}
	if k.full() {
		if j == len(k.e) {
			return
		}
		k.e = k.e[:len(k.e)-1]
	}
	k.e = slices.Insert(k.e, j, pick{st, p})
	if k.full() {
		last := k.e[len(k.e)-1].st
		k.cut, k.end = k.s.ref(k.s.heads[last]).Date, k.s.storyEnd(last)
	}
}

// picks returns the stories kept, in story order.
func (k *storyPicker) picks() []pick {
	if k.limit < 0 {
		k.e = k.e[:0]
		for st, p := range k.all {
			k.e = append(k.e, pick{st, p})
		}
		slices.SortFunc(k.e, func(a, b pick) int { return int(a.st - b.st) })
	}
	return k.e
}

// sigQuery returns, in out's memory, the signature bits that every title
// holding all of strs as substrings has (see signature), byte pairs
// first: they are the rarer. At most sigQueryMax are used; fewer only let
// more candidates through to be checked.
func sigQuery(out []int, strs ...string) []int {
	var seen [4]uint64
	out = out[:0]
	add := func(b uint32) {
		if len(out) < sigQueryMax && seen[b>>6]&(1<<(b&63)) == 0 {
			seen[b>>6] |= 1 << (b & 63)
			out = append(out, int(b))
		}
	}
	for _, s := range strs {
		for i := 1; i < len(s); i++ {
			add((uint32(s[i-1])<<8 | uint32(s[i])) * 0x85EBCA6B >> 24)
		}
	}
	for _, s := range strs {
		for i := range len(s) {
			add(uint32(s[i]) * 0x9E3779B1 >> 24)
		}
	}
	return out
}

// sigQueryMax bounds the bitmaps a title scan reads for each 64 titles.
const sigQueryMax = 16

// scanTitles offers k, newest first, the articles of segment i in the
// library whose title has the signature bits sig and matches, skipping
// taken stories, until older articles cannot change what k keeps.
func (s *snapshot) scanTitles(i int, sig []int, k *storyPicker, taken func(st int32) bool, match func(title string) bool) {
	seg := s.segs[i]
	c := &seg.complete
	pos, arts := s.pos[i], seg.arts
	var bitmaps [sigQueryMax][]uint64
	maps := bitmaps[:len(sig)]
	for j, b := range sig {
		maps[j] = c.sigBitmap(b)
	}
	for w := range c.words {
		if k.full() && arts[w<<6].Date.Before(k.cut) {
			return
		}
		m := ^uint64(0)
		for _, bm := range maps {
			if m &= bm[w]; m == 0 {
				break
			}
		}
		for m != 0 {
			d := w<<6 | bits.TrailingZeros64(m)
			m &= m - 1
			p := pos[d]
			if p < 0 || k.after(p) {
				continue
			}
			st := s.story[p]
			if taken(st) || !match(c.title(int32(d))) {
				continue
			}
			if k.full() && arts[d].Date.Before(k.cut) {
				return
			}
			k.offer(st, p)
		}
	}
}

// mayHold reports whether a title of segment i has the signature bits
// sig: when none has, no title holds the strings they are of, and the
// segment needs no lookup. Its bitmaps are read in order until a title
// has them all, which for a query that matches anything is at once.
func (s *snapshot) mayHold(i int, sig []int) bool {
	c := &s.segs[i].complete
	var bitmaps [sigQueryMax][]uint64
	maps := bitmaps[:len(sig)]
	for j, b := range sig {
		maps[j] = c.sigBitmap(b)
	}
	for w := range c.words {
		m := ^uint64(0)
		for _, bm := range maps {
			if m &= bm[w]; m == 0 {
				break
			}
		}
		if m != 0 {
			return true
		}
	}
	return false
}

// rangeScanMax is the most entries of a sorted title list that a prefix
// lookup reads one by one; more matches are found by scanTitles, which can
// stop at the newest.
const rangeScanMax = 512

// hasWordPrefixIndexed is hasWordPrefix as byWord answers it: only words
// starting in a title's first 64 KiB count.
func hasWordPrefixIndexed(t, w string) bool {
	return hasWordPrefix(t[:min(len(t), 0xFFFF+len(w))], w)
}
