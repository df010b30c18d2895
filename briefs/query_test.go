package briefs

import (
	"bytes"
	"context"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"newsbrief/internal/fakenews"
)

// The pruned queries (searchTop, complete's scans, latestTopic's early
// stop) must answer exactly as scoring and matching everything does. The
// references below are the straightforward versions: every posting
// scored, every title checked.

func noBodies() Bodies {
	return BodiesFunc(func(context.Context, Article) ([]string, error) { return nil, nil })
}

// carriedLibrary is n generated articles carried in a long tail, built as
// a start builds them (ReplaceSeq, no bodies kept): several segments,
// stories of many copies whose articles tie on score.
func carriedLibrary(n int, seed int64) (*Library, []string) {
	origins := make([]string, 600)
	for j := range origins {
		origins[j] = fmt.Sprintf("outlet-%04d", j)
	}
	l := New(WithBodies(noBodies()))
	l.ReplaceSeq(origins, carriedSeq(n, fakenews.CarriedLongTail, seed))
	return l, origins
}

// searchQueries is fixed queries and words of random titles, alone and in
// twos and threes.
func searchQueries(l *Library, rng *rand.Rand, random int) []string {
	qs := []string{"inflation", "central bank interest rates", "record", "climate", "election budget",
		"vaccine rollout hospitals", "courier", "courier staff", "the", "xyzzy", "record xyzzy", "new record crowds",
		"2021", "tuesday", "said", "percent", "million"}
	all := l.All()
	for range random {
		words := titleWords(lowerTitle(all[rng.IntN(len(all))].Title))
		var q []string
		for range 1 + rng.IntN(3) {
			q = append(q, words[rng.IntN(len(words))])
		}
		qs = append(qs, strings.Join(q, " "))
	}
	return qs
}

// completeQueries is fixed queries and prefixes, word prefixes and
// substrings of random titles.
func completeQueries(l *Library, rng *rand.Rand, random int) []string {
	qs := []string{"w", "wh", "the", "central ba", "xyzzy", "a", "e", "q", "z", "|", "courier", "the ka courier",
		"ers in", "what the", "why the budget", "  Central  BANK ", "ko", "é"}
	all := l.All()
	for range random {
		t := lowerTitle(all[rng.IntN(len(all))].Title)
		i := rng.IntN(len(t))
		j := min(len(t), i+1+rng.IntN(12))
		switch rng.IntN(3) {
		case 0:
			qs = append(qs, t[:j])
		case 1:
			qs = append(qs, t[i:j])
		default:
			words := titleWords(t)
			w := words[rng.IntN(len(words))]
			v := words[rng.IntN(len(words))]
			qs = append(qs, w+" "+v[:1+rng.IntN(len(v))])
		}
	}
	return qs
}

// checkQueries compares every kind of query with its reference.
func checkQueries(t *testing.T, l *Library, seed uint64) {
	t.Helper()
	s := l.snap.Load()
	rng := rand.New(rand.NewPCG(seed, 1))
	ns := []int{1, 2, 5, 10, 25, 100, 101, -1}
	if queryChecks > 1 {
		ns = []int{1, 5, 25, -1}
	}
	for _, q := range searchQueries(l, rng, 40/queryChecks) {
		for _, n := range ns {
			got, want := l.Search(q, n), refSearch(s, q, n)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Search(%q, %d):\n got %v\nwant %v", q, n, hitSummary(got), hitSummary(want))
			}
		}
		if qts := s.lookup(q); len(qts) > 0 {
			for _, n := range []int{1, 3, 5, 20, 100} {
				if got, want := s.searchTop(qts, n), s.searchAll(qts, n); !slices.Equal(got, want) {
					t.Fatalf("searchTop(%q, %d) = %v, searchAll %v", q, n, got, want)
				}
			}
		}
		for _, n := range []int{1, 5, 10, -1} {
			got, want := l.Latest(n, q), s.pick(refLatestTopic(s, q, n))
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Latest(%d, %q):\n got %s\nwant %s", n, q, ids(got), ids(want))
			}
		}
	}
	for _, q := range completeQueries(l, rng, 60/queryChecks) {
		for _, n := range ns {
			got, want := s.complete(q, n), refComplete(s, q, n)
			if !slices.Equal(got, want) {
				t.Fatalf("complete(%q, %d) = %v, want %v", q, n, got, want)
			}
		}
	}
}

func hitSummary(hits []Hit) string {
	var b strings.Builder
	for _, h := range hits {
		fmt.Fprintf(&b, "\n  %s %q %v", h.Article.ID, h.Article.Title, h.Score)
	}
	return b.String()
}

// TestQueriesMatchReference: in a library of generated syndicated stories
// (several segments, lists long enough for blocks, many copies tying), and
// again after origins are replaced (articles leave segments, small ones
// merge), every query answers as its reference.
func TestQueriesMatchReference(t *testing.T) {
	l, origins := carriedLibrary(20000/queryChecks*2, 3)
	if segs := len(l.snap.Load().segs); segs < 2 {
		t.Fatalf("%d segments, want several", segs)
	}
	checkQueries(t, l, 1)

	// Replace a few origins with part of what they held, add some anew
	// one by one (small segments that merge), and remove one.
	byO := byOrigin(l.All())
	for k, o := range origins[:12] {
		arts := byO[o]
		switch {
		case k%3 == 0:
			l.Replace(o, arts[:len(arts)/3])
		case k%3 == 1:
			l.Replace(o, nil)
		default:
			l.Replace(o, arts[len(arts)/2:])
		}
	}
	for i, a := range generateArticles(300/queryChecks, 9) {
		l.Replace(fmt.Sprintf("late-%02d", i%30), append(byO[fmt.Sprintf("late-%02d", i%30)], a))
		byO[fmt.Sprintf("late-%02d", i%30)] = append(byO[fmt.Sprintf("late-%02d", i%30)], a)
	}
	s := l.snap.Load()
	dead := 0
	for i := range s.segs {
		dead += len(s.deadDocs(i))
	}
	if dead == 0 {
		t.Fatal("no segment holds articles that left: the test does not test them")
	}
	checkQueries(t, l, 2)
}

// TestQueriesMatchReferenceUnique: a library of articles that each are a
// story (fromArticles, in segments of their own size).
func TestQueriesMatchReferenceUnique(t *testing.T) {
	checkQueries(t, fromArticles(generateArticles(6000/queryChecks, 21)), 3)
}

// TestQueriesConcurrently: queries share their snapshot's scratch memory
// and what it derives on first use; answered at once from several
// goroutines, while the library changes, each answers as it does alone.
func TestQueriesConcurrently(t *testing.T) {
	l, origins := carriedLibrary(4000/queryChecks*2, 12)
	l.Replace(origins[1], nil) // some articles leave: dead documents
	s := l.snap.Load()
	qs := []string{"inflation", "central bank interest rates", "record", "courier", "the", "w", "xyzzy"}
	type answer struct {
		hits []Hit
		done []int32
		top  []int32
	}
	want := make([]answer, len(qs))
	for i, q := range qs {
		want[i] = answer{refSearch(s, q, 5), refComplete(s, q, 25), refLatestTopic(s, q, 5)}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for r := range 20 {
				i := (g + r) % len(qs)
				got := answer{s.search(qs[i], 5), s.complete(qs[i], 25), s.latestTopic(qs[i], 5)}
				if !reflect.DeepEqual(got, want[i]) {
					t.Errorf("%q answered differently at once", qs[i])
					return
				}
			}
		})
	}
	wg.Go(func() { l.Replace(origins[2], nil) })
	wg.Wait()
}

// TestSearchTopTies: stories that all score the same; the top is the
// newest of them, however the blocks are laid out.
func TestSearchTopTies(t *testing.T) {
	var arts []Article
	rng := rand.New(rand.NewPCG(5, 5))
	syllables := strings.Fields("ka lo mer vin tar es dor ani bel cro fen gal hul is jun ket lin mor nes ov")
	word := func() string {
		var b strings.Builder
		for range 3 {
			b.WriteString(syllables[rng.IntN(len(syllables))])
		}
		return b.String()
	}
	for i := range 700 {
		var body []string
		for range 12 {
			body = append(body, word())
		}
		arts = append(arts, Article{
			ID:         fmt.Sprintf("tie-%04d", i),
			Title:      "Widget " + word() + " " + word(),
			Date:       time.Date(2024, 1, 1+i%40, 0, 0, 0, 0, time.UTC),
			Paragraphs: []string{strings.Join(body, " ") + "."},
			Origin:     fmt.Sprintf("o%d", i%7),
		})
	}
	l := fromArticles(arts)
	checkQueries(t, l, 4)
	hits := l.Search("widget", 5)
	if len(hits) != 5 || hits[0].Score != hits[4].Score {
		t.Fatalf("want five hits that tie, got %s", hitSummary(hits))
	}
}

// TestQueriesFromIndexCache: a library built from an index cache has the
// same blocks and title signatures as the one built from the text, and
// answers every query as the references do.
func TestQueriesFromIndexCache(t *testing.T) {
	l, origins := carriedLibrary(12000/queryChecks, 8)
	var buf bytes.Buffer
	// The cache keeps only articles with a stamp and a place.
	re := New(WithBodies(noBodies()))
	var withRef []Article
	for _, a := range l.All() {
		a.Ref, a.Stamp, a.Also = a.ID, "s", nil
		withRef = append(withRef, a)
	}
	re.ReplaceSeq(origins, slices.Values(withRef))
	if err := re.WriteIndexCache(&buf); err != nil {
		t.Fatal(err)
	}
	c, err := ReadIndexCache(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var cached []Article
	for _, a := range withRef {
		got, ok := c.Article(a.Origin, a.File, a.Ref, a.Stamp)
		if !ok {
			t.Fatalf("%s not in the cache", a.ID)
		}
		cached = append(cached, got)
	}
	again := New(WithBodies(noBodies()))
	again.ReplaceSeq(origins, slices.Values(cached))
	checkQueries(t, again, 5)
	checkBlocks(t, again)
	// The same indexes of each article (the cache holds the articles in
	// story order, so the segments are not cut alike).
	want, got := indexOf(re), indexOf(again)
	if len(want) != len(got) {
		t.Fatalf("%d articles indexed, want %d", len(got), len(want))
	}
	for id, w := range want {
		if g := got[id]; g != w {
			t.Fatalf("%s is indexed as %+v from the cache, %+v from its text", id, g, w)
		}
	}
}

// indexed is what a segment's indexes hold of one article: its length,
// its terms and their counts summed, and its title signature.
type indexed struct {
	length, terms, tf int32
	sig               [4]uint64
}

func indexOf(l *Library) map[string]indexed {
	out := map[string]indexed{}
	for _, seg := range l.snap.Load().segs {
		ix := &seg.index
		for d, a := range seg.arts {
			e := indexed{length: ix.docLen[d]}
			for b := range 256 {
				if seg.complete.sigBitmap(b)[d>>6]&(1<<(d&63)) != 0 {
					e.sig[b>>6] |= 1 << (b & 63)
				}
			}
			out[a.ID] = e
		}
		for t := range ix.n {
			it := postingIter{p: ix.post[ix.off[t]:ix.off[t+1]]}
			for d, tf, ok := it.next(); ok; d, tf, ok = it.next() {
				e := out[seg.arts[d].ID]
				e.terms++
				e.tf += int32(tf)
				out[seg.arts[d].ID] = e
			}
		}
	}
	return out
}

// TestPostBlocks: a list's blocks cover its postings in order, each
// postBlockSize of them, ending where they say, and each block's impact
// bounds the impact of every posting in it; the title signature bitmaps
// hold each title's signature.
func TestPostBlocks(t *testing.T) {
	l, _ := carriedLibrary(9000/queryChecks, 4)
	checkBlocks(t, l)
}

func checkBlocks(t *testing.T, l *Library) {
	t.Helper()
	for _, seg := range l.snap.Load().segs {
		ix := &seg.index
		for term := range ix.terms {
			post := ix.postings(term)
			if post.n <= postBlockSize {
				if len(post.blocks) != 0 {
					t.Fatalf("%q: a list of %d postings has blocks", term, post.n)
				}
				continue
			}
			if want := (post.n + postBlockSize - 1) / postBlockSize; len(post.blocks) != want {
				t.Fatalf("%q: %d blocks for %d postings", term, len(post.blocks), post.n)
			}
			it := postingIter{p: post.p}
			start := 0
			for b, blk := range post.blocks {
				for k := 0; k < postBlockSize && b*postBlockSize+k < post.n; k++ {
					d, tf, ok := it.next()
					if !ok {
						t.Fatalf("%q: the list ends in block %d", term, b)
					}
					x := float64(tf) / (float64(tf) + bm25K1*(1-bm25B+bm25B*float64(ix.docLen[d])/ix.impactAvg))
					if x > float64(blk.impact)/65535 {
						t.Fatalf("%q block %d: impact %v above the block's %v", term, b, x, float64(blk.impact)/65535)
					}
					if k == postBlockSize-1 || b*postBlockSize+k == post.n-1 {
						if d != blk.last {
							t.Fatalf("%q block %d ends at %d, says %d", term, b, d, blk.last)
						}
					}
				}
				used := len(post.p) - len(it.p)
				if used-start != int(blk.size) {
					t.Fatalf("%q block %d: %d bytes, says %d", term, b, used-start, blk.size)
				}
				start = used
			}
		}
		c := &seg.complete
		for d := range seg.arts {
			sig := signature(c.title(int32(d)))
			for b := range 256 {
				has := c.sigBitmap(b)[d>>6]&(1<<(d&63)) != 0
				if want := sig[b>>6]&(1<<(b&63)) != 0; has != want {
					t.Fatalf("title %d: signature bit %d is %v, want %v", d, b, has, want)
				}
			}
		}
	}
}

// TestSampledRange: the sampled lookup finds the same stretch of texts
// starting with p as a plain binary search, for prefixes shorter and
// longer than a sample's eight bytes, texts that tie on them, texts
// shorter than them, and prefixes before, among and after every text; it
// says a stretch is too long only when it is.
func TestSampledRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	alphabet := "ab z\xff"
	var texts []string
	for range 3000 {
		var b strings.Builder
		if rng.IntN(3) == 0 {
			b.WriteString("central bank ")
		}
		for range rng.IntN(14) {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		texts = append(texts, b.String())
	}
	slices.Sort(texts)
	for _, step := range []int{titleStep, wordStep} {
		checkSampledRange(t, texts, step, rng)
	}
}

func checkSampledRange(t *testing.T, texts []string, step int, rng *rand.Rand) {
	t.Helper()
	text := func(i int) string { return texts[i] }
	keys := keySample(len(texts), step, text)
	probes := []string{"", "a", "b", "zz", "\xff", "\xff\xff\xff\xff\xff\xff\xff\xff\xff", "central", "central ", "central b", "central bank a", "centrum", "0", "~"}
	for range 400 {
		x := texts[rng.IntN(len(texts))]
		probes = append(probes, x[:rng.IntN(len(x)+1)])
	}
	for _, p := range probes {
		lo, hi := prefixRange(len(texts), text, p)
		glo, ghi, ok := sampledRange(len(texts), step, text, keys, p, len(texts))
		if !ok || hi > lo && (glo != lo || ghi != hi) || hi == lo && ghi != glo {
			t.Fatalf("%q: sampledRange = %d, %d, %v; want %d, %d", p, glo, ghi, ok, lo, hi)
		}
		for _, most := range []int{0, 10, 100, 1000} {
			if _, _, ok := sampledRange(len(texts), step, text, keys, p, most); !ok && hi-lo <= most {
				t.Fatalf("%q: %d texts, said to be more than %d", p, hi-lo, most)
			}
		}
	}
}

// TestTermCursor: advancing to any target finds the first posting at or
// after it, whether the target is in the current block or blocks ahead.
func TestTermCursor(t *testing.T) {
	l, _ := carriedLibrary(9000/queryChecks*2, 6)
	seg := l.snap.Load().segs[0]
	rng := rand.New(rand.NewPCG(2, 2))
	for _, term := range []string{"record", "inflation", "courier", "climate"} {
		post := seg.index.postings(term)
		if len(post.blocks) < 3 {
			t.Fatalf("%q: %d blocks, want several", term, len(post.blocks))
		}
		var docs []uint32
		it := postingIter{p: post.p}
		for d, _, ok := it.next(); ok; d, _, ok = it.next() {
			docs = append(docs, d)
		}
		for range 50 {
			var c termCursor
			c.reset(post.p, post.blocks)
			target := uint32(0)
			for {
				target += uint32(rng.IntN(400))
				want, _ := slices.BinarySearch(docs, target)
				ok := c.advance(target)
				if want == len(docs) {
					if ok {
						t.Fatalf("%q: advance(%d) found %d past the end", term, target, c.doc)
					}
					break
				}
				if !ok || c.doc != docs[want] {
					t.Fatalf("%q: advance(%d) = %d %v, want %d", term, target, c.doc, ok, docs[want])
				}
				if rng.IntN(2) == 0 && c.next() {
					if want+1 >= len(docs) || c.doc != docs[want+1] {
						t.Fatalf("%q: next after %d = %d", term, docs[want], c.doc)
					}
					target = c.doc
				}
			}
		}
	}
}

// The references: search, lookup and complete as they were before
// pruning (complete's substrings by checking every title), latestTopic by
// every posting of the topic.

// refLookup is lookup counting each term's articles in the library from
// its postings.
func refLookup(s *snapshot, query string) []queryTerm {
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

// refSearch is search scoring every posting of the query's terms, looked
// up without the snapshot's dictionary.
func refSearch(s *snapshot, query string, n int) []Hit {
	if n == 0 || strings.TrimSpace(query) == "" {
		return nil
	}
	qts := refLookup(s, query)
	if len(qts) == 0 {
		return nil
	}
	// Scoring every posting is searchAll's; the terms, their lists and
	// weights are the reference's own (refLookup).
	return s.hits(s.searchAll(qts, n), qts)
}

// refLatestTopic is latestTopic from every story with an article holding
// a term of the topic.
func refLatestTopic(s *snapshot, topic string, n int) []int32 {
	qts := refLookup(s, topic)
	if len(qts) == 0 || n == 0 {
		return nil
	}
	var stories []int32
	for _, qt := range qts {
		for _, l := range qt.lists {
			pos := s.pos[l.seg]
			it := postingIter{p: l.post.p}
			for d, _, ok := it.next(); ok; d, _, ok = it.next() {
				if p := pos[d]; p >= 0 {
					stories = append(stories, s.story[p])
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

// refComplete is complete marking every match of each group.
func refComplete(s *snapshot, query string, n int) []int32 {
	q := lowerTitle(query)
	if q == "" || n == 0 || len(s.order) == 0 {
		return nil
	}
	taken := make([]uint64, (len(s.order)+63)/64)
	marks := make([]uint64, (len(s.order)+63)/64)
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

	if want() != 0 {
		// Substrings: every title.
		var found []int32
		for i, seg := range s.segs {
			for d := range seg.arts {
				if p := s.pos[i][d]; p >= 0 && !isTaken(s.story[p]) && strings.Contains(seg.complete.title(int32(d)), q) {
					found = append(found, p)
				}
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

// prefixRange returns the bounds of the entries of a sorted list whose key
// starts with p: the lookup sampledRange makes faster.
func prefixRange(n int, key func(i int) string, p string) (lo, hi int) {
	lo = sortSearch(n, func(i int) bool { return key(i) >= p })
	hi = lo + sortSearch(n-lo, func(i int) bool { return !strings.HasPrefix(key(lo+i), p) })
	return lo, hi
}

// TestSortByText: sortByText orders as sorting the texts themselves does,
// with texts that tie on their first eight bytes, are shorter than eight,
// or empty.
func TestSortByText(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	words := []string{"", "a", "gov", "government", "governments", "governor", "ab", "abc\x00", "abc", "abcdefgh", "abcdefgh\x00", "abcdefghijklmnopq", "abcdefghijklmnopr", "zzzzzzzzzz", "élan", "\xff"}
	for _, n := range []int{10, 100, 1000, 20000} {
		texts := make([]string, n)
		for i := range texts {
			texts[i] = words[rng.IntN(len(words))]
			if rng.IntN(2) == 0 {
				texts[i] += fmt.Sprint(rng.IntN(1000))
			}
		}
		items := make([]uint32, n)
		for i := range items {
			items[i] = uint32(i)
		}
		rng.Shuffle(n, func(i, j int) { items[i], items[j] = items[j], items[i] })
		sortByText(items, func(i uint32) string { return texts[i] })
		for i := 1; i < n; i++ {
			if a, b := texts[items[i-1]], texts[items[i]]; a > b || a == b && items[i-1] > items[i] {
				t.Fatalf("n=%d: %q (%d) before %q (%d)", n, a, items[i-1], b, items[i])
			}
		}
		seen := make([]bool, n)
		for _, it := range items {
			if seen[it] {
				t.Fatalf("n=%d: item %d twice", n, it)
			}
			seen[it] = true
		}
	}
}
