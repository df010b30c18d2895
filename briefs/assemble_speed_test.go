package briefs

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"newsbrief/internal/fakenews"
)

// The assembly of a snapshot as it was before its arrays (refAssemble and
// the ref* functions below, kept word for word but for their names): the
// reference every assemble must match exactly.

type refAssembly struct {
	s, prev   *snapshot
	moved     map[*segment]merged
	index     map[*segment]int32
	prevIndex []int32
}

func refAssemble(l *Library, prev *snapshot, moved map[*segment]merged, born []segDoc) *snapshot {
	a := &refAssembly{
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
	refLayOut(a.s, heads, groups)
	refWeigh(a.s)
	return a.s
}

func (a *refAssembly) locate(sd segDoc) (docRef, bool) {
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

func (a *refAssembly) prevAt(r docRef) (docRef, bool) {
	if i := a.prevIndex[r.seg]; i >= 0 {
		return docRef{i, r.doc}, a.s.segs[i].live(r.doc)
	}
	return a.locate(segDoc{a.prev.segs[r.seg], r.doc})
}

func (a *refAssembly) art(r docRef) *Article { return &a.s.segs[r.seg].arts[r.doc] }

func (a *refAssembly) stories(edges map[uint64][]uint64, where map[uint64]segDoc) (groups [][]docRef, groupOf map[uint64]int32) {
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

func (a *refAssembly) order(groups [][]docRef, groupOf map[uint64]int32, born []segDoc) []headRef {
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
	if !slices.IsSortedFunc(ins, cmpHead) {
		refSortHeads(ins, a.art)
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

func refSortHeads(heads []headRef, art func(docRef) *Article) {
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
			return cmp.Compare(y.sec, x.sec)
		}
		return cmpArticles(art(x.h.ref), art(y.h.ref))
	})
	for i := range ks {
		heads[i] = ks[i].h
	}
}

func refLayOut(s *snapshot, heads []headRef, groups [][]docRef) {
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
			s.origins[int32(st)] = refStoryOrigins(run, art)
		}
	}
	s.member = make([]bool, s.base[len(s.segs)])
	for _, p := range s.members {
		r := s.order[p]
		s.member[s.base[r.seg]+r.doc] = true
	}
}

func refWeigh(s *snapshot) {
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

func refStoryOrigins(run []docRef, art func(docRef) *Article) []string {
	out := make([]string, len(run))
	for i, r := range run {
		out[i] = art(r).Origin
	}
	slices.Sort(out)
	return slices.Clip(slices.Compact(out))
}

// heldSettle does what a release of Hold does around do's Replaces, up
// to the assembly: it returns assemble's arguments, the library's edges
// found and its segments compacted, and leaves the snapshot to the
// caller (install it with swapIn).
func heldSettle(l *Library, do func()) (prev *snapshot, moved map[*segment]merged, born []segDoc) {
	l.mu.Lock()
	l.held = &heldWork{}
	prev = l.snap.Load()
	l.mu.Unlock()
	do()
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.held
	l.held = nil
	gone := func(x segDoc) bool { return !x.seg.live(x.doc) }
	orphans := slices.DeleteFunc(h.orphans, gone)
	if len(orphans) > 1 {
		seen := make(map[segDoc]bool, len(orphans))
		orphans = slices.DeleteFunc(orphans, func(x segDoc) bool {
			dup := seen[x]
			seen[x] = true
			return dup
		})
	}
	born = slices.DeleteFunc(h.born, gone)
	l.findEdges(append(slices.Clip(born), orphans...))
	l.dropLinks()
	moved = l.compact()
	return prev, moved, born
}

func swapIn(l *Library, s *snapshot) {
	l.snap.Store(s)
	l.version.Add(1)
}

// sameSnapshot fails unless got is want in everything queries read.
func sameSnapshot(t *testing.T, want, got *snapshot) {
	t.Helper()
	if !slices.Equal(want.segs, got.segs) {
		t.Fatal("segments differ")
	}
	if !slices.EqualFunc(want.pos, got.pos, slices.Equal) {
		t.Fatal("positions differ")
	}
	for _, c := range []struct {
		what string
		same bool
	}{
		{"base", slices.Equal(want.base, got.base)},
		{"live", slices.Equal(want.live, got.live)},
		{"member", slices.Equal(want.member, got.member)},
		{"norm", slices.Equal(want.norm, got.norm)},
		{"order", slices.Equal(want.order, got.order)},
		{"story", slices.Equal(want.story, got.story)},
		{"heads", slices.Equal(want.heads, got.heads)},
		{"members", slices.Equal(want.members, got.members)},
		{"origins", maps.EqualFunc(want.origins, got.origins, slices.Equal)},
		{"counts", maps.Equal(want.counts, got.counts)},
		{"avgLen", want.avgLen == got.avgLen},
		{"bodies", want.bodies == nil && got.bodies == nil || want.bodies != nil && got.bodies != nil},
	} {
		if !c.same {
			t.Fatalf("%s differ", c.what)
		}
	}
	for st := range want.origins {
		if cap(got.origins[st]) != len(got.origins[st]) {
			t.Fatalf("story %d's origins are not clipped", st)
		}
	}
}

// assembled tells what an assembleChecked had to go through.
type assembled struct {
	dense      bool // the stories were found by arrays
	moved      bool // segments were merged
	prevGroups bool // the previous snapshot had stories
	twice      bool // an article came twice (see TestAssembleAsBefore)
}

// assembleChecked settles do's Replaces as a release would, assembles
// the snapshot with assemble and with refAssemble and fails unless they
// are the same, then swaps it in.
func assembleChecked(t *testing.T, l *Library, do func()) assembled {
	t.Helper()
	prev, moved, born := heldSettle(l, do)
	return assembleBoth(t, l, prev, moved, born)
}

// assembleBoth assembles l's snapshot with assemble, twice, and with
// refAssemble, fails unless they are the same, and swaps it in.
func assembleBoth(t *testing.T, l *Library, prev *snapshot, moved map[*segment]merged, born []segDoc) assembled {
	t.Helper()
	want := refAssemble(l, prev, moved, born)
	got := l.assemble(prev, moved, born)
	sameSnapshot(t, want, got)
	again := l.assemble(prev, moved, born)
	sameSnapshot(t, want, again)
	swapIn(l, got)
	a := &assembly{s: &snapshot{segs: l.segs}, moved: moved, index: map[*segment]int32{}}
	for i, seg := range l.segs {
		a.index[seg] = int32(i)
	}
	a.uidSpan()
	_, _, dense := a.storiesDense(l.edges, l.where)
	live := 0
	for _, seg := range l.segs {
		live += seg.nLive()
	}
	return assembled{dense: dense, moved: len(moved) > 0, prevGroups: len(prev.origins) > 0, twice: len(got.order) > live}
}

// TestAssembleAsBefore: assemble makes the very snapshot the reference
// does, for starts of several shapes of syndication, for libraries that
// grow and shrink a Replace at a time, with IDs that clash between
// origins, and where the uids run far past the articles.
func TestAssembleAsBefore(t *testing.T) {
	for _, sh := range carriedShapes {
		t.Run("start/"+sh.name, func(t *testing.T) {
			feeds := byOrigin(generateCarried(12000, sh.shape, 7))
			l := New()
			assembleChecked(t, l, func() { l.ReplaceAll(feeds) })
			stories := len(l.snap.Load().heads)
			if sh.name != "k=1" && stories > 11000 {
				t.Errorf("%d stories of 12,000 articles: the shape has few", stories)
			}
		})
	}
	t.Run("start/k=1-30000", func(t *testing.T) {
		feeds := byOrigin(generateCarried(30000, fakenews.CarriedBy(1), 8))
		l := New()
		if !assembleChecked(t, l, func() { l.ReplaceAll(feeds) }).dense {
			t.Error("a start's uids are not dense")
		}
	})
	t.Run("start/stream", func(t *testing.T) {
		arts := generateCarried(40000, fakenews.CarriedLongTail, 3)
		origins := slices.Sorted(maps.Keys(byOrigin(arts)))
		l := New(WithBodies(BodiesFunc(func(context.Context, Article) ([]string, error) { return nil, nil })))
		assembleChecked(t, l, func() {
			l.ReplaceSeq(origins, slices.Values(arts[:25000]))
			l.ReplaceAll(byOrigin(arts[25000:]))
		})
	})
	for _, sparse := range []bool{false, true} {
		t.Run(fmt.Sprintf("grow/sparse=%v", sparse), func(t *testing.T) {
			testAssembleGrows(t, sparse)
		})
	}
}

func testAssembleGrows(t *testing.T, sparse bool) {
	arts := generateCarried(9000, fakenews.CarriedLongTail, 11)
	feeds := byOrigin(arts)
	origins := slices.Sorted(maps.Keys(feeds))
	l := New()
	var seen assembled
	steps := 0
	step := func(name string, do func()) {
		t.Helper()
		if sparse {
			l.nextUID.Add(1 << 26)
		}
		t.Run(name, func(t *testing.T) {
			got := assembleChecked(t, l, do)
			if got.dense == sparse && steps > 0 {
				t.Errorf("dense is %v", got.dense)
			}
			steps++
			seen.moved = seen.moved || got.moved
			seen.prevGroups = seen.prevGroups || got.prevGroups
			seen.twice = seen.twice || got.twice
		})
	}
	// Origins come one at a time, then in batches and in several
	// Replaces at once, so that small segments merge.
	for _, o := range origins[:20] {
		step("add-"+o, func() { l.Replace(o, feeds[o]) })
	}
	for lo := 20; lo < len(origins)-60; lo += 40 {
		batch := map[string][]Article{}
		for _, o := range origins[lo : lo+40] {
			batch[o] = feeds[o]
		}
		step(fmt.Sprintf("batch-%d", lo), func() { l.ReplaceAll(batch) })
	}
	step("last", func() {
		for _, o := range origins[len(origins)-60:] {
			l.Replace(o, feeds[o])
		}
	})
	// An origin loses articles, another all of its own, another takes a
	// third's IDs (shadowed while the third holds them).
	step("fewer", func() { l.Replace(origins[0], feeds[origins[0]][:len(feeds[origins[0]])/3]) })
	step("none", func() { l.Replace(origins[1], nil) })
	clash := slices.Clone(feeds[origins[2]])
	for i := range clash {
		clash[i].Title += " again"
	}
	step("clash", func() { l.Replace("zz-clash", clash) })
	step("unshadow", func() { l.Replace(origins[2], nil) })
	step("aa-clash", func() { l.Replace("aa-clash", clash[:len(clash)/2]) })
	// Polls: a few articles at a time, some already there.
	for i := range 4 {
		step(fmt.Sprintf("poll-%d", i), func() {
			o := origins[3+i]
			l.Replace(o, append(slices.Clone(feeds[o][1:]), arts[i*100:i*100+5]...))
		})
	}
	step("back", func() { l.Replace(origins[1], feeds[origins[1]]) })
	// While the library is held, an article alone in its story, and one
	// of a story, leave (shadowed by another origin's) and come back:
	// they come twice, as they stayed and as they came.
	z := Article{ID: "z-alone", Title: "An article of its own", Date: arts[0].Date,
		Paragraphs: []string{"Nothing else in the library reads like this paragraph about quinces and harbour cranes."}}
	step("z", func() { l.Replace("mm-z", []Article{z}) })
	grouped := l.snap.Load().ref(l.snap.Load().members[0])
	step("revive", func() {
		l.Replace("aa-z", []Article{z})
		l.Replace("aa-s", []Article{*grouped})
		l.Replace("aa-z", nil)
		l.Replace("aa-s", nil)
	})
	step("all-again", func() { l.ReplaceAll(feeds) })
	if !seen.moved || !seen.prevGroups || !seen.twice {
		t.Errorf("the steps went through %+v, not all of moved, prevGroups and twice", seen)
	}
}

// TestAssembleUnchanged: a library assembled again with nothing changed
// is the same, also when its edges join a story to a uid of no article in
// the library, among its articles' (one removed) or far from them (which
// takes the maps).
func TestAssembleUnchanged(t *testing.T) {
	feeds := byOrigin(generateCarried(5000, fakenews.CarriedBy(4), 9))
	l := New()
	assembleChecked(t, l, func() { l.ReplaceAll(feeds) })
	gone := slices.Sorted(maps.Keys(feeds))[1]
	assembleChecked(t, l, func() { l.Replace(gone, nil) })
	again := func() assembled {
		t.Helper()
		return assembleBoth(t, l, l.snap.Load(), map[*segment]merged{}, nil)
	}
	if !again().dense {
		t.Error("not dense")
	}
	s := l.snap.Load()
	inside := uint64(1 << 40)
	for _, seg := range s.segs {
		for d, u := range seg.uid {
			if !seg.live(int32(d)) {
				inside = min(inside, u)
			}
		}
	}
	if inside == 1<<40 {
		t.Fatal("no article removed")
	}
	r := s.order[s.members[0]]
	u := s.segs[r.seg].uid[r.doc]
	for _, w := range []uint64{inside, 1 << 40} {
		l.edges[u] = append(l.edges[u], w)
		l.edges[w] = append(l.edges[w], u)
		if got := again(); got.dense != (w == inside) {
			t.Errorf("uid %d in the edges: dense is %v", w, got.dense)
		}
	}
}

// TestSortHeadsRuns: sortHeads sorts as cmpArticles orders, whatever
// runs its heads come in, with dates and titles' beginnings alike.
func TestSortHeadsRuns(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	seg := &segment{}
	for i := range 60000 {
		d := base.Add(time.Duration(i%97) * time.Second).Add(time.Duration(i%3) * time.Millisecond)
		title := fmt.Sprintf("title %d", i%7)
		if i%5 == 0 {
			title = fmt.Sprintf("A title longer than sixteen bytes, %d", i%11)
		}
		seg.arts = append(seg.arts, Article{ID: fmt.Sprintf("a-%05d", (i*7919)%60000), Title: title, Date: d})
	}
	art := func(r docRef) *Article { return &seg.arts[r.doc] }
	cmpHeads := func(x, y headRef) int { return cmpArticles(art(x.ref), art(y.ref)) }
	sorted := make([]headRef, len(seg.arts))
	for d := range sorted {
		sorted[d] = headRef{docRef{0, int32(d)}, -1}
	}
	slices.SortFunc(sorted, cmpHeads)
	rng := rand.New(rand.NewPCG(3, 4))
	shapes := map[string]func(n int) []headRef{
		"random": func(n int) []headRef {
			hs := slices.Clone(sorted[:n])
			rng.Shuffle(n, func(i, j int) { hs[i], hs[j] = hs[j], hs[i] })
			return hs
		},
		"sorted":   func(n int) []headRef { return slices.Clone(sorted[:n]) },
		"reversed": func(n int) []headRef { hs := slices.Clone(sorted[:n]); slices.Reverse(hs); return hs },
		"runs+random": func(n int) []headRef {
			// Sorted runs of every length (as segments' heads come),
			// then the rest shuffled (as the stories' heads).
			perm := rng.Perm(n)
			var hs []headRef
			for len(perm) > n/4 {
				k := min(1+rng.IntN(3000), len(perm)-n/4)
				run := make([]headRef, k)
				for i, p := range perm[:k] {
					run[i] = sorted[p]
				}
				slices.SortFunc(run, cmpHeads)
				hs, perm = append(hs, run...), perm[k:]
			}
			for _, p := range perm {
				hs = append(hs, sorted[p])
			}
			return hs
		},
	}
	for name, shape := range shapes {
		for _, n := range []int{0, 1, 2, 100, 5000, 20000, 60000} {
			hs := shape(n)
			want := slices.Clone(hs)
			slices.SortFunc(want, cmpHeads)
			sortHeads(hs, art)
			if !slices.Equal(hs, want) {
				t.Errorf("%s, %d: not sorted as cmpArticles orders", name, n)
			}
		}
	}
}

// The library of BenchmarkAssemble, and assemble's arguments at its
// start, made once.
var (
	asmOnce  sync.Once
	asmLib   *Library
	asmPrev  *snapshot
	asmMoved map[*segment]merged
	asmBorn  []segDoc
)

// BenchmarkAssemble times assemble alone at the end of a start: 300,000
// articles carried in a long tail, loaded as a start loads them (held,
// streamed, keeping no bodies), the edges found and the segments
// compacted; each op assembles its snapshot again.
func BenchmarkAssemble(b *testing.B) {
	asmSetup()
	l := asmLib
	var s *snapshot
	for b.Loop() {
		s = l.assemble(asmPrev, asmMoved, asmBorn)
	}
	b.ReportMetric(float64(len(s.heads)), "stories")
	b.ReportMetric(float64(len(s.members)+len(s.origins)), "in-stories")
}

func asmSetup() {
	asmOnce.Do(func() {
		l := New(WithBodies(BodiesFunc(func(context.Context, Article) ([]string, error) { return nil, nil })))
		origins := make([]string, 5000)
		for j := range origins {
			origins[j] = fmt.Sprintf("outlet-%04d", j)
		}
		asmPrev, asmMoved, asmBorn = heldSettle(l, func() {
			l.ReplaceSeq(origins, carriedSeq(300000, fakenews.CarriedLongTail, 42))
		})
		asmLib = l
	})
}
