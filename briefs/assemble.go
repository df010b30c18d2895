package briefs

import (
	"cmp"
	"math"
	"slices"
	"sync"

	"newsbrief/internal/prefault"
)

// headRef is a story's representative while a snapshot is assembled, with
// its group (-1 for an article alone in its story).
type headRef struct {
	ref   docRef
	group int32
}

// assembly is the state of one assemble: the snapshot being built, the
// previous one, and where the articles of merged segments went.
type assembly struct {
	s, prev *snapshot
	moved   map[*segment]merged
	index   map[*segment]int32 // a segment's place in s.segs
	// prevIndex is the place in s.segs of each of prev's segments that
	// stayed, -1 for those merged or dropped.
	prevIndex []int32
	// The uids of s's articles run from lo, span of them; dense says
	// that they are few enough beside the articles for arrays by uid
	// (as at a start, where they are numbered from 0 as articles came),
	// which stand for maps by uid.
	lo, span uint64
	dense    bool
	// grouped holds the articles in a story now, by uid.
	grouped uidIndex
	// memo is locate's memory of the segments it last looked up.
	memo [4]segMemo

	// framed is done when frame is: until then only frame's goroutine
	// touches what it makes.
	framed sync.WaitGroup
	// weighed is how many articles s.norm was computed for.
	weighed int
}

// assemble builds the snapshot of the library's segments. It keeps the
// previous snapshot's order of the stories that did not change (moved says
// where merged segments' articles went) and inserts the rest: the articles
// that came (born), and every story with near-duplicates, before or now.
// That is a pass over the articles and a sort of what changed, not a sort
// of everything. A start's hundreds of thousands of articles in stories
// are grouped through arrays by uid instead of maps (storiesDense), the
// sorts keep their keys beside what they sort, and the parts that do not
// wait for each other run on every core; the snapshot is exactly the one
// the maps and one core made. The caller holds mu.
func (l *Library) assemble(prev *snapshot, moved map[*segment]merged, born []segDoc) *snapshot {
	a := &assembly{
		s:     &snapshot{segs: slices.Clone(l.segs), counts: map[string]int{}, bodies: l.bodies},
		prev:  prev,
		moved: moved,
		index: make(map[*segment]int32, len(l.segs)),
	}
	for i, seg := range a.s.segs {
		a.index[seg] = int32(i)
	}
	a.prevIndex = make([]int32, len(prev.segs))
	for i, seg := range prev.segs {
		a.prevIndex[i] = -1
		if _, gone := moved[seg]; !gone {
			a.prevIndex[i] = a.index[seg]
		}
	}
	a.framed.Go(a.frame)
	a.uidSpan()
	groups, origins := a.stories(l.edges, l.where)
	heads := a.order(groups, born)
	a.framed.Wait()
	a.s.layOut(heads, groups, origins)
	if len(a.s.order) != a.weighed {
		a.s.weigh()
	}
	return a.s
}

// frame makes what depends on the snapshot's segments alone, while the
// stories are grouped and ordered: the numbering of the articles, their
// counts, their positions (none yet, every segment's cut from one array),
// and the BM25 lengths as weigh computes them when every article in the
// library has a position.
func (a *assembly) frame() {
	s := a.s
	s.base = make([]int32, len(s.segs)+1)
	s.pos = make([][]int32, len(s.segs))
	s.live = make([]int, 0, len(s.segs))
	in := 0
	for i, seg := range s.segs {
		s.base[i+1] = s.base[i] + int32(len(seg.arts))
		for o, n := range seg.liveBy {
			if n > 0 {
				s.counts[o] += n
			}
		}
		in += seg.nLive()
		s.live = append(s.live, seg.nLive())
	}
	pos := prefault.Slice[int32](int(s.base[len(s.segs)]))
	for p := range pos {
		pos[p] = -1
	}
	for i := range s.segs {
		s.pos[i] = pos[s.base[i]:s.base[i+1]:s.base[i+1]]
	}
	s.weighFor(in)
	a.weighed = in
}

// uidSpan finds the span of the articles' uids and whether it is dense:
// at most four times the articles and a million more, so that the arrays
// by uid take a few bytes an article.
func (a *assembly) uidSpan() {
	lo, hi, n := uint64(math.MaxUint64), uint64(0), 0
	for _, seg := range a.s.segs {
		for _, u := range seg.uid {
			lo, hi = min(lo, u), max(hi, u)
		}
		n += len(seg.uid)
	}
	if n > 0 && hi-lo < 4*uint64(n)+1<<20 {
		a.lo, a.span, a.dense = lo, hi-lo+1, true
	}
}

// uidIndex maps uids to numbers above 0 (0 for none): an array by uid from
// lo when the uids are dense, a map otherwise.
type uidIndex struct {
	lo    uint64
	array []int32
	m     map[uint64]int32
	n     int // uids set
}

// newUIDIndex is an empty uidIndex for a's uids, of about n of them.
func (a *assembly) newUIDIndex(n int) uidIndex {
	if a.dense {
		return uidIndex{lo: a.lo, array: prefault.Slice[int32](int(a.span))}
	}
	return uidIndex{m: make(map[uint64]int32, n)}
}

func (x *uidIndex) get(u uint64) int32 {
	if x.m != nil {
		return x.m[u]
	}
	if i := u - x.lo; i < uint64(len(x.array)) {
		return x.array[i]
	}
	return 0
}

// set maps u to v, above 0. A uid outside the array turns it into a map.
func (x *uidIndex) set(u uint64, v int32) {
	if x.m == nil {
		if i := u - x.lo; i < uint64(len(x.array)) {
			if x.array[i] == 0 {
				x.n++
			}
			x.array[i] = v
			return
		}
		x.m = make(map[uint64]int32, x.n+1)
		for i, w := range x.array {
			if w != 0 {
				x.m[x.lo+uint64(i)] = w
			}
		}
		x.array = nil
	}
	x.m[u] = v
	x.n = len(x.m)
}

// segMemo is what locate found of a segment: where its articles went if
// it was merged, or its place in the snapshot.
type segMemo struct {
	seg   *segment
	m     merged
	moved bool
	i     int32
	in    bool
}

// locate finds an article of the library's bookkeeping in the snapshot,
// following it through merges; false when it is not in the library. It
// looks a segment up once for a run of its articles, as the articles
// that came are.
func (a *assembly) locate(sd segDoc) (docRef, bool) {
	for k := 0; ; k++ {
		c := &a.memo[min(k, len(a.memo)-1)]
		if c.seg != sd.seg {
			c.seg = sd.seg
			c.m, c.moved = a.moved[sd.seg]
			c.i, c.in = a.index[sd.seg]
		}
		if !c.moved {
			return docRef{c.i, sd.doc}, c.in && sd.seg.live(sd.doc)
		}
		if c.m.to == nil || c.m.doc[sd.doc] < 0 {
			return docRef{}, false
		}
		sd = segDoc{c.m.to, c.m.doc[sd.doc]}
	}
}

// prevAt is locate for the previous snapshot's articles, without a map
// lookup per article for the segments that stayed.
func (a *assembly) prevAt(r docRef) (docRef, bool) {
	if i := a.prevIndex[r.seg]; i >= 0 {
		return docRef{i, r.doc}, a.s.segs[i].live(r.doc)
	}
	return a.locate(segDoc{a.prev.segs[r.seg], r.doc})
}

func (a *assembly) art(r docRef) *Article { return &a.s.segs[r.seg].arts[r.doc] }

// stories returns the stories with near-duplicates: the connected articles
// of the edges, each group's earliest first and the rest newest first,
// and the origins of each group's articles (storyOrigins). It notes the
// articles of every group in a.grouped.
func (a *assembly) stories(edges map[uint64][]uint64, where map[uint64]segDoc) (groups [][]docRef, origins [][]string) {
	members, off, ok := a.storiesDense(edges, where)
	if !ok {
		members, off = a.storiesMapped(edges, where)
	}
	groups = prefault.Slice[[]docRef](len(off) - 1)
	for g := range groups {
		groups[g] = members[off[g]:off[g+1]:off[g+1]]
	}
	origins = prefault.Slice[[]string](len(groups))
	a.sortStories(groups, origins, len(members))
	return groups, origins
}

// storiesDense finds the groups of the edges by a union-find over arrays
// by uid, when the uids are dense, and returns their articles, group by
// group, from off[g] to off[g+1]. A uid of the edges outside the
// articles' declines (false).
func (a *assembly) storiesDense(edges map[uint64][]uint64, where map[uint64]segDoc) (members []docRef, off []int32, ok bool) {
	if !a.dense {
		return nil, nil, false
	}
	// vert numbers the uids of the edges (+1, by uid), up is the
	// union-find of those numbers: a group's root is its least.
	vert := prefault.Slice[int32](int(a.span))
	up := prefault.Slice[int32](len(edges))[:0]
	for u, ws := range edges {
		x := u - a.lo
		if x >= a.span {
			return nil, nil, false
		}
		if vert[x] == 0 {
			up = append(up, int32(len(up)))
			vert[x] = int32(len(up))
		}
		rx := vert[x] - 1
		for rx != up[rx] {
			up[rx] = up[up[rx]]
			rx = up[rx]
		}
		for _, w := range ws {
			y := w - a.lo
			if y >= a.span {
				return nil, nil, false
			}
			if vert[y] == 0 {
				up = append(up, rx) // new: joined at once
				vert[y] = int32(len(up))
				continue
			}
			ry := vert[y] - 1
			for ry != up[ry] {
				up[ry] = up[up[ry]]
				ry = up[ry]
			}
			if rx < ry {
				up[ry] = rx
			} else if ry < rx {
				up[rx] = ry
				rx = ry
			}
		}
	}
	// Each number's parent is less than it or itself, so in increasing
	// order each finds its root in one step.
	for x := range up {
		up[x] = up[up[x]]
	}
	a.grouped = uidIndex{lo: a.lo, array: vert, n: len(up)}

	// Where the articles are, by number: seg -1 for those not in the
	// library.
	at := prefault.Slice[docRef](len(up))
	for x := range at {
		at[x].seg = -1
	}
	for u, sd := range where {
		if x := u - a.lo; x < a.span && vert[x] != 0 {
			if r, ok := a.locate(sd); ok {
				at[vert[x]-1] = r
			}
		}
	}
	// Groups numbered as their roots, counted, then filled.
	group := prefault.Slice[int32](len(up)) // per root: its group +1
	n := int32(0)
	for x, r := range up {
		if int32(x) == r {
			n++
			group[x] = n
		}
	}
	off = prefault.Slice[int32](int(n) + 2)
	for x, r := range up {
		if at[x].seg >= 0 {
			off[group[r]+1]++
		}
	}
	for g := 1; g < len(off); g++ {
		off[g] += off[g-1]
	}
	members = prefault.Slice[docRef](int(off[n+1]))
	for x, r := range up {
		if at[x].seg >= 0 {
			g := group[r]
			members[off[g]] = at[x]
			off[g]++
		}
	}
	return members, off[:n+1], true
}

// storiesMapped is storiesDense with maps by uid, walking each group from
// each of the edges' articles not yet in one.
func (a *assembly) storiesMapped(edges map[uint64][]uint64, where map[uint64]segDoc) (members []docRef, off []int32) {
	a.grouped = uidIndex{m: make(map[uint64]int32, len(edges))}
	groupOf := a.grouped.m
	off = []int32{0}
	var queue []uint64
	for u := range edges {
		if _, done := groupOf[u]; done {
			continue
		}
		g := int32(len(off))
		queue = append(queue[:0], u)
		groupOf[u] = g
		for len(queue) > 0 {
			v := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			if r, ok := a.locate(where[v]); ok {
				members = append(members, r)
			}
			for _, w := range edges[v] {
				if _, done := groupOf[w]; !done {
					groupOf[w] = g
					queue = append(queue, w)
				}
			}
		}
		off = append(off, int32(len(members)))
	}
	a.grouped.n = len(groupOf)
	return members, off
}

// memberKey is a story's article with its date, for sorting.
type memberKey struct {
	sec  int64
	nsec int32
	ref  docRef
}

func keyOf(art *Article, r docRef) memberKey {
	return memberKey{art.Date.Unix(), int32(art.Date.Nanosecond()), r}
}

// newer is cmpArticles by the keys: newest first, ties by the articles.
func (a *assembly) newer(x, y memberKey) int {
	if x.sec != y.sec {
		return cmp.Compare(y.sec, x.sec)
	}
	if x.nsec != y.nsec {
		return cmp.Compare(y.nsec, x.nsec)
	}
	return cmpArticles(a.art(x.ref), a.art(y.ref))
}

// sooner is earlier by the keys: earliest first, ties by the articles.
func (a *assembly) sooner(x, y memberKey) int {
	if x.sec != y.sec {
		return cmp.Compare(x.sec, y.sec)
	}
	if x.nsec != y.nsec {
		return cmp.Compare(x.nsec, y.nsec)
	}
	return earlier(a.art(x.ref), a.art(y.ref))
}

// sortStories puts each group's earliest article (earlier) first and the
// others newest first (cmpArticles), each by its date kept beside it, and
// names the origins of each group of articles in origins; the groups are
// shared among the cores when they hold many articles.
func (a *assembly) sortStories(groups [][]docRef, origins [][]string, articles int) {
	const chunk = 256
	sortChunk := func(c int, keys []memberKey) []memberKey {
		for g := c * chunk; g < min((c+1)*chunk, len(groups)); g++ {
			if m := groups[g]; len(m) > 0 {
				keys = a.sortStory(m, keys)
				origins[g] = storyOrigins(m, a.art)
			}
		}
		return keys
	}
	chunks := (len(groups) + chunk - 1) / chunk
	if articles < 1<<12 || chunks < 2 {
		var keys []memberKey
		for c := range chunks {
			keys = sortChunk(c, keys)
		}
		return
	}
	parallel(chunks, func(c int) { sortChunk(c, nil) })
}

// sortStory sorts one group's articles m, with keys as scratch, which it
// returns.
func (a *assembly) sortStory(m []docRef, keys []memberKey) []memberKey {
	if len(m) < 2 {
		return keys
	}
	keys = keys[:0]
	for _, r := range m {
		keys = append(keys, keyOf(a.art(r), r))
	}
	first := 0
	for i := 1; i < len(keys); i++ {
		if a.sooner(keys[i], keys[first]) < 0 {
			first = i
		}
	}
	keys[0], keys[first] = keys[first], keys[0]
	rest := keys[1:]
	if len(rest) <= 12 {
		for i := 1; i < len(rest); i++ {
			for j := i; j > 0 && a.newer(rest[j], rest[j-1]) < 0; j-- {
				rest[j], rest[j-1] = rest[j-1], rest[j]
			}
		}
	} else {
		slices.SortFunc(rest, a.newer)
	}
	for i := range keys {
		m[i] = keys[i].ref
	}
	return keys
}

// order returns every story's representative in story order: the previous
// snapshot's stories that did not change keep their order, and the rest
// (articles that came, stories grouped now or before) are sorted and
// merged in.
func (a *assembly) order(groups [][]docRef, born []segDoc) []headRef {
	s, prev := a.s, a.prev
	uidOf := func(r docRef) uint64 { return s.segs[r.seg].uid[r.doc] }
	// The articles of the previous snapshot's stories still in the
	// library, by uid (their place in prevGrouped +1).
	type uidRef struct {
		u uint64
		r docRef
	}
	var prevGrouped []uidRef
	var inPrev uidIndex
	if len(prev.origins) > 0 {
		inPrev = a.newUIDIndex(len(prev.order) - len(prev.heads) + len(prev.origins))
	}
	for st := range prev.origins {
		for p := prev.heads[st]; p < prev.storyEnd(st); p++ {
			r := prev.order[p]
			if nr, ok := a.prevAt(r); ok {
				u := prev.segs[r.seg].uid[r.doc]
				if k := inPrev.get(u); k > 0 {
					prevGrouped[k-1].r = nr
					continue
				}
				prevGrouped = append(prevGrouped, uidRef{u, nr})
				inPrev.set(u, int32(len(prevGrouped)))
			}
		}
	}

	// Stories whose head did not change keep their order.
	kept := prefault.Slice[docRef](len(prev.heads))[:0]
	grouped := a.grouped.n > 0 || len(prevGrouped) > 0
	for _, p := range prev.heads {
		r := prev.order[p]
		if grouped {
			u := prev.segs[r.seg].uid[r.doc]
			if a.grouped.get(u) != 0 || inPrev.get(u) != 0 {
				continue
			}
		}
		if nr, ok := a.prevAt(r); ok {
			kept = append(kept, nr)
		}
	}
	ins := prefault.Slice[headRef](len(born) + len(prevGrouped) + len(groups))[:0]
	for _, b := range born {
		if r, ok := a.locate(b); ok {
			if a.grouped.get(uidOf(r)) == 0 {
				ins = append(ins, headRef{r, -1})
			}
		}
	}
	for _, x := range prevGrouped {
		if a.grouped.get(x.u) == 0 {
			ins = append(ins, headRef{x.r, -1})
		}
	}
	for g, members := range groups {
		if len(members) > 0 {
			ins = append(ins, headRef{members[0], int32(g)})
		}
	}
	cmpHead := func(x, y headRef) int { return cmpArticles(a.art(x.ref), a.art(y.ref)) }
	if !slices.IsSortedFunc(ins, cmpHead) { // a batch's articles come in order
		sortHeads(ins, a.art)
	}
	heads := prefault.Slice[headRef](len(kept) + len(ins))[:0]
	i := 0
	for _, x := range ins {
		ax := a.art(x.ref)
		j := i + sortSearch(len(kept)-i, func(k int) bool { return cmpArticles(a.art(kept[i+k]), ax) > 0 })
		for _, r := range kept[i:j] {
			heads = append(heads, headRef{r, -1})
		}
		heads = append(heads, x)
		i = j
	}
	for _, r := range kept[i:] {
		heads = append(heads, headRef{r, -1})
	}
	return heads
}

// sortHeads sorts heads by their articles (cmpArticles). A start's are a
// million, in as many sorted runs as segments, then the heads of its
// stories: they sort by their dates and the first 16 bytes of their titles,
// kept beside them (only ties read the articles, scattered over the
// segments, again), the runs merged on every core (see sortHeadKeys).
func sortHeads(heads []headRef, art func(docRef) *Article) {
	ks := prefault.Slice[headKey](len(heads))
	fill := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			a := art(heads[i].ref)
			ks[i] = headKey{a.Date.Unix(), prefix16(a.Title), int32(a.Date.Nanosecond()), heads[i]}
		}
	}
	const piece = 1 << 13
	if pieces := (len(heads) + piece - 1) / piece; pieces > 1 {
		parallel(pieces, func(p int) { fill(p*piece, min((p+1)*piece, len(heads))) })
	} else {
		fill(0, len(heads))
	}
	sortHeadKeys(ks, art)
	for i := range ks {
		heads[i] = ks[i].h
	}
}

// headKey is a story's head with what sorts it: its date and the first 16
// bytes of its title (prefix16).
type headKey struct {
	sec   int64
	title [2]uint64
	nsec  int32
	h     headRef
}

// before says whether x's article comes before y's (cmpArticles).
func (x *headKey) before(y *headKey, art func(docRef) *Article) bool {
	if x.sec != y.sec {
		return x.sec > y.sec // newest first
	}
	return x.sameSecondBefore(y, art)
}

func (x *headKey) sameSecondBefore(y *headKey, art func(docRef) *Article) bool {
	if x.nsec != y.nsec {
		return x.nsec > y.nsec
	}
	if x.title[0] != y.title[0] {
		return x.title[0] < y.title[0]
	}
	if x.title[1] != y.title[1] {
		return x.title[1] < y.title[1]
	}
	return cmpArticles(art(x.h.ref), art(y.h.ref)) < 0
}

// prefix16 is the first 16 bytes of t, big-endian, zeros after its end:
// two strings whose prefixes differ compare as them.
func prefix16(t string) (p [2]uint64) {
	for k := range p {
		if len(t) >= 8 {
			p[k] = uint64(t[0])<<56 | uint64(t[1])<<48 | uint64(t[2])<<40 | uint64(t[3])<<32 |
				uint64(t[4])<<24 | uint64(t[5])<<16 | uint64(t[6])<<8 | uint64(t[7])
			t = t[8:]
			continue
		}
		for i := range 8 {
			p[k] <<= 8
			if i < len(t) {
				p[k] |= uint64(t[i])
			}
		}
		t = ""
	}
	return p
}

// sortHeadKeys sorts ks on every core. The runs already in order of at
// least runMin stand; the rest is cut in pieces that are sorted. Then the
// runs and pieces are merged in pairs, round after round, the pairs of a
// round shared among the cores.
func sortHeadKeys(ks []headKey, art func(docRef) *Article) {
	const (
		runMin   = 1 << 9
		pieceMax = 1 << 12
	)
	cmpKeys := func(x, y headKey) int {
		if x.before(&y, art) {
			return -1
		}
		if y.before(&x, art) {
			return 1
		}
		return 0
	}
	if len(ks) <= pieceMax {
		slices.SortFunc(ks, cmpKeys)
		return
	}
	// bounds are the runs and pieces: from bounds[k] to bounds[k+1].
	bounds := []int{0}
	var sortPieces []int   // the pieces to sort, by their k
	loose := 0             // where the keys not in a long run begin
	cut := func(end int) { // the loose keys up to end, in pieces
		for loose < end {
			next := min(loose+pieceMax, end)
			sortPieces = append(sortPieces, len(bounds)-1)
			bounds = append(bounds, next)
			loose = next
		}
	}
	for i := 0; i < len(ks); {
		j := i + 1
		for j < len(ks) && !ks[j].before(&ks[j-1], art) {
			j++
		}
		if j-i >= runMin {
			cut(i)
			bounds = append(bounds, j)
			loose = j
		}
		i = j
	}
	cut(len(ks))
	parallel(len(sortPieces), func(p int) {
		k := sortPieces[p]
		slices.SortFunc(ks[bounds[k]:bounds[k+1]], cmpKeys)
	})
	src, dst := ks, prefault.Slice[headKey](len(ks))
	for len(bounds) > 2 {
		runs := len(bounds) - 1
		parallel((runs+1)/2, func(p int) {
			lo := bounds[2*p]
			if 2*p+1 == runs { // the last, unpaired
				copy(dst[lo:], src[lo:])
				return
			}
			mid, hi := bounds[2*p+1], bounds[2*p+2]
			mergeHeadKeys(dst[lo:hi], src[lo:mid], src[mid:hi], art)
		})
		next := make([]int, 0, runs/2+2)
		for k := 0; k < runs; k += 2 {
			next = append(next, bounds[k])
		}
		bounds = append(next, len(ks))
		src, dst = dst, src
	}
	if &src[0] != &ks[0] {
		copy(ks, src)
	}
}

// mergeHeadKeys merges the sorted x and y into out.
func mergeHeadKeys(out, x, y []headKey, art func(docRef) *Article) {
	if len(x) > 0 && len(y) > 0 && !y[0].before(&x[len(x)-1], art) {
		copy(out, x)
		copy(out[len(x):], y)
		return
	}
	i, j, k := 0, 0, 0
	for i < len(x) && j < len(y) {
		if y[j].before(&x[i], art) {
			out[k] = y[j]
			j++
		} else {
			out[k] = x[i]
			i++
		}
		k++
	}
	k += copy(out[k:], x[i:])
	copy(out[k:], y[j:])
}

// layOut numbers the articles in story order: each story's representative
// then its other articles, with the positions, stories, members and
// origins that queries read, in the frame of numbers and positions
// (none yet) made by frame. Each story's place is counted first, then
// the stories are laid out on every core.
func (s *snapshot) layOut(heads []headRef, groups [][]docRef, origins [][]string) {
	// start[st] is story st's first position, before[st] the members
	// of the stories before it.
	start := prefault.Slice[int32](len(heads) + 1)
	before := prefault.Slice[int32](len(heads) + 1)
	stories := 0
	for st, h := range heads {
		n := int32(1)
		if h.group >= 0 {
			n = int32(len(groups[h.group]))
			stories++
		}
		start[st+1] = start[st] + n
		before[st+1] = before[st] + n - 1
	}
	total := start[len(heads)]
	s.order = prefault.Slice[docRef](int(total))
	s.story = prefault.Slice[int32](int(total))
	s.heads = start[:len(heads):len(heads)]
	s.members = prefault.Slice[int32](int(before[len(heads)]))
	s.member = prefault.Slice[bool](int(s.base[len(s.segs)]))
	const chunk = 1 << 13
	chunks := (len(heads) + chunk - 1) / chunk
	lay := func(c int) {
		for st := c * chunk; st < min((c+1)*chunk, len(heads)); st++ {
			h, p := heads[st], start[st]
			if h.group < 0 {
				s.order[p], s.story[p] = h.ref, int32(st)
				continue
			}
			m := s.members[before[st]:]
			for k, r := range groups[h.group] {
				s.order[p+int32(k)], s.story[p+int32(k)] = r, int32(st)
				if k > 0 {
					m[k-1] = p + int32(k)
					s.member[s.base[r.seg]+r.doc] = true
				}
			}
		}
	}
	if chunks < 2 {
		for c := range chunks {
			lay(c)
		}
	} else {
		parallel(chunks, lay)
	}
	// Positions in order, one after another: an article given twice (as
	// an article revived while the library was held may be) is at its
	// last.
	for p, r := range s.order {
		s.pos[r.seg][r.doc] = int32(p)
	}
	s.origins = make(map[int32][]string, stories)
	for st, h := range heads {
		if h.group >= 0 {
			s.origins[int32(st)] = origins[h.group]
		}
	}
}

// weigh computes BM25's length part of every article, from the average
// length of the articles in the library.
func (s *snapshot) weigh() { s.weighFor(len(s.order)) }

// weighFor is weigh for a library of n articles.
func (s *snapshot) weighFor(n int) {
	var sumLen int64
	for _, seg := range s.segs {
		sumLen += seg.liveLen
	}
	s.avgLen = 0
	if n > 0 {
		s.avgLen = float64(sumLen) / float64(n)
	}
	if s.avgLen == 0 {
		s.avgLen = 1
	}
	s.norm = prefault.Slice[float32](int(s.base[len(s.segs)]))
	for i, seg := range s.segs {
		for d, l := range seg.index.docLen {
			s.norm[s.base[i]+int32(d)] = float32(bm25K1 * (1 - bm25B + bm25B*float64(l)/s.avgLen))
		}
	}
}

// storyOrigins names the origins of a story's articles, sorted, each once.
func storyOrigins(run []docRef, art func(docRef) *Article) []string {
	out := make([]string, len(run))
	for i, r := range run {
		out[i] = art(r).Origin
	}
	slices.Sort(out)
	return slices.Clip(slices.Compact(out))
}
