package briefs

import (
	"cmp"
	"slices"
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
}

// assemble builds the snapshot of the library's segments. It keeps the
// previous snapshot's order of the stories that did not change (moved says
// where merged segments' articles went) and inserts the rest: the articles
// that came (born), and every story with near-duplicates, before or now.
// That is a pass over the articles and a sort of what changed, not a sort
// of everything. The caller holds mu.
func (l *Library) assemble(prev *snapshot, moved map[*segment]merged, born []segDoc) *snapshot {
	a := &assembly{
		s:     &snapshot{segs: slices.Clone(l.segs), origins: map[int32][]string{}, counts: map[string]int{}, bodies: l.bodies},
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
	groups, groupOf := a.stories(l.edges, l.where)
	heads := a.order(groups, groupOf, born)
	a.s.layOut(heads, groups)
	a.s.weigh()
	return a.s
}

// locate finds an article of the library's bookkeeping in the snapshot,
// following it through merges; false when it is not in the library.
func (a *assembly) locate(sd segDoc) (docRef, bool) {
	for {
		m, ok := a.moved[sd.seg]
		if !ok {
			break
		}
		if m.to == nil || m.doc[sd.doc] < 0 {
			return docRef{}, false
		}
		sd = segDoc{m.to, m.doc[sd.doc]}
	}
	i, ok := a.index[sd.seg]
	return docRef{i, sd.doc}, ok && sd.seg.live(sd.doc)
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
// and each article's group by uid.
func (a *assembly) stories(edges map[uint64][]uint64, where map[uint64]segDoc) (groups [][]docRef, groupOf map[uint64]int32) {
	groupOf = make(map[uint64]int32, len(edges))
	var queue []uint64
	for u := range edges {
		if _, done := groupOf[u]; done {
			continue
		}
		g := int32(len(groups))
		var members []docRef
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
		slices.SortFunc(members, func(x, y docRef) int { return earlier(a.art(x), a.art(y)) })
		slices.SortFunc(members[1:], func(x, y docRef) int { return cmpArticles(a.art(x), a.art(y)) })
		groups = append(groups, members)
	}
	return groups, groupOf
}

// order returns every story's representative in story order: the previous
// snapshot's stories that did not change keep their order, and the rest
// (articles that came, stories grouped now or before) are sorted and
// merged in.
func (a *assembly) order(groups [][]docRef, groupOf map[uint64]int32, born []segDoc) []headRef {
	s, prev := a.s, a.prev
	uidOf := func(r docRef) uint64 { return s.segs[r.seg].uid[r.doc] }
	prevGrouped := map[uint64]docRef{}
	for st := range prev.origins {
		for p := prev.heads[st]; p < prev.storyEnd(st); p++ {
			r := prev.order[p]
			if nr, ok := a.prevAt(r); ok {
				prevGrouped[prev.segs[r.seg].uid[r.doc]] = nr
			}
		}
	}

	// Stories whose head did not change keep their order.
	kept := make([]docRef, 0, len(prev.heads))
	grouped := len(groupOf) > 0 || len(prevGrouped) > 0
	for _, p := range prev.heads {
		r := prev.order[p]
		if grouped {
			u := prev.segs[r.seg].uid[r.doc]
			if _, ok := groupOf[u]; ok {
				continue
			}
			if _, ok := prevGrouped[u]; ok {
				continue
			}
		}
		if nr, ok := a.prevAt(r); ok {
			kept = append(kept, nr)
		}
	}
	var ins []headRef
	for _, b := range born {
		if r, ok := a.locate(b); ok {
			if _, grouped := groupOf[uidOf(r)]; !grouped {
				ins = append(ins, headRef{r, -1})
			}
		}
	}
	for u, r := range prevGrouped {
		if _, grouped := groupOf[u]; !grouped {
			ins = append(ins, headRef{r, -1})
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
	heads := make([]headRef, 0, len(kept)+len(ins))
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
// million, in as many sorted runs as segments: they sort by their
// dates' seconds, kept beside them, and only ties read the articles,
// scattered over the segments, again.
func sortHeads(heads []headRef, art func(docRef) *Article) {
	type keyed struct {
		sec int64
		h   headRef
	}
	ks := make([]keyed, len(heads))
	for i, h := range heads {
		ks[i] = keyed{art(h.ref).Date.Unix(), h}
	}
	slices.SortFunc(ks, func(x, y keyed) int {
		if x.sec != y.sec {
			return cmp.Compare(y.sec, x.sec) // newest first
		}
		return cmpArticles(art(x.h.ref), art(y.h.ref))
	})
	for i := range ks {
		heads[i] = ks[i].h
	}
}

// layOut numbers the articles in story order: each story's representative
// then its other articles, with the positions, stories, members and
// origins that queries read, and the per-origin counts.
func (s *snapshot) layOut(heads []headRef, groups [][]docRef) {
	art := func(r docRef) *Article { return &s.segs[r.seg].arts[r.doc] }
	total := 0
	s.pos = make([][]int32, len(s.segs))
	s.base = make([]int32, len(s.segs)+1)
	for i, seg := range s.segs {
		s.base[i+1] = s.base[i] + int32(len(seg.arts))
		p := make([]int32, len(seg.arts))
		for d := range p {
			p[d] = -1
		}
		s.pos[i] = p
		for o, n := range seg.liveBy {
			if n > 0 {
				s.counts[o] += n
			}
		}
		total += seg.nLive()
		s.live = append(s.live, seg.nLive())
	}
	s.order = make([]docRef, 0, total)
	s.story = make([]int32, 0, total)
	s.heads = make([]int32, 0, len(heads))
	for st, h := range heads {
		s.heads = append(s.heads, int32(len(s.order)))
		run := []docRef{h.ref}
		if h.group >= 0 {
			run = groups[h.group]
		}
		for k, r := range run {
			p := int32(len(s.order))
			s.order = append(s.order, r)
			s.story = append(s.story, int32(st))
			s.pos[r.seg][r.doc] = p
			if k > 0 {
				s.members = append(s.members, p)
			}
		}
		if h.group >= 0 {
			s.origins[int32(st)] = storyOrigins(run, art)
		}
	}
	s.member = make([]bool, s.base[len(s.segs)])
	for _, p := range s.members {
		r := s.order[p]
		s.member[s.base[r.seg]+r.doc] = true
	}
}

// weigh computes BM25's length part of every article, from the average
// length of the articles in the library.
func (s *snapshot) weigh() {
	var sumLen int64
	for _, seg := range s.segs {
		sumLen += seg.liveLen
	}
	if len(s.order) > 0 {
		s.avgLen = float64(sumLen) / float64(len(s.order))
	}
	if s.avgLen == 0 {
		s.avgLen = 1
	}
	s.norm = make([]float32, s.base[len(s.segs)])
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
