package briefs

import (
	"cmp"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"newsbrief/internal/prefault"
)

// Near-duplicate detection: the same story from two sources (two feeds, a
// feed and a file) is one story.
//
// Two articles are the same story when the content-word bigrams of their
// title and opening (the first dupLeadWords words of the body) have a
// Jaccard similarity of at least dupThreshold, and their dates are at most
// dupWindow apart. Content words are words that are not search stopwords;
// a bigram is two content words in a row. Stopwords are left out because
// "of the" and "said on" are in every story and only blur the measure;
// bigrams rather than words because a follow-up on the same event shares
// the words (quake, Iwate, tsunami) but not the phrasing, and trigrams
// break on every light edit of a lede.
//
// A bigram in many of the articles a source gives at once (at least
// dupCommonShare of them, and dupCommonMin) is that source's boilerplate
// ("the post appeared first on", a template's fixed phrases) and is left
// out: it says nothing about which story an article tells, and as a
// minimum hash it would make every article of the source a candidate of
// every other.
//
// The threshold is set on data (see dedup_test.go, which prints it): among
// the 1,197 stories of the cnn-dev and bbc-dev evaluation sets, distinct
// stories reach at most 0.226 (two CNN pieces on the same affair), while
// the 21 pairs at 0.49 or more are duplicates the sets really hold (BBC
// articles present twice, verbatim or re-edited). Wire stories rewritten
// by a second outlet (a new headline, a lightly edited lede) score 0.27 to
// 0.36, the same item republished with another title case 0.93 to 1, a
// next-day follow-up 0.10 and next month's rate decision 0.18.
//
// Candidates come from MinHash with locality-sensitive hashing, so the
// work grows with the number of articles, not with its square: each
// article gets dupBands 32-bit minimum hashes of its bigrams, one per
// band; two articles with similarity J agree on each with probability J,
// and articles agreeing on one band within the date window are
// candidates. A pair at J=0.25 is found with probability 1-(0.75)^16 = 99%,
// at J=0.3 99.7%. Candidates are verified on the exact bigram sets, which
// each article keeps as 32-bit hashes (a few dozen per article): a false
// candidate costs a merge of two short sorted lists, whatever it shares.
const (
	dupLeadWords = 60
	dupThreshold = 0.25
	// dupCopy: two articles sharing this much of their whole sets,
	// boilerplate included, are copies of one text under two titles.
	dupCopy   = 0.5
	dupWindow = 72 * time.Hour
	dupBands  = 16
	// dupMinShingles: an article with fewer bigrams (a bare headline of
	// three words) is too short to call anything its duplicate.
	dupMinShingles = 4
	dupCommonShare = 0.01
	dupRareShare   = 0.001
	dupCommonMin   = 8
)

// dupSeeds are the multipliers of the minimum hashes (odd, so that each is
// a permutation of 64-bit values).
var dupSeeds = func() [dupBands]uint64 {
	var s [dupBands]uint64
	x := uint64(0x6e657773627269ef)
	for i := range s {
		x = mix64(x + 0x9E3779B97F4A7C15)
		s[i] = x | 1
	}
	return s
}()

// mix64 is the splitmix64 finalizer: a fast hash of a 64-bit value with
// every input bit reaching every output bit.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return x
}

// bigramHash is the 32-bit hash of two words in a row, given their 64-bit
// hashes (see wordTable).
func bigramHash(a, b uint64) uint32 { return uint32(mix64(a*0x9E3779B97F4A7C15+b) >> 32) }

// dupSig is an article's MinHash signature; all zero when it has too few
// bigrams to be grouped.
// Each band keeps 32 bits of its minimum: with 16, two unrelated articles
// of a hundred thousand agreed on a band often enough (one in 65,536) that
// verifying those false candidates was a fifth of building the library.
type dupSig [dupBands]uint32

// minhash computes the signature of a bigram set.
func minhash(set []uint32) (sig dupSig, ok bool) {
	if len(set) < dupMinShingles {
		return sig, false
	}
	var mins [dupBands]uint64
	for i := range mins {
		mins[i] = ^uint64(0)
	}
	for _, h32 := range set {
		h := mix64(uint64(h32))
		for i, a := range dupSeeds {
			if v := h * a; v < mins[i] {
				mins[i] = v
			}
		}
	}
	for i, m := range mins {
		// The top bits of a multiplicative hash are its best mixed; 0
		// is kept for "no signature".
		sig[i] = uint32(m>>32) | 1
	}
	return sig, true
}

// jaccard is |a∩b| / |a∪b| of two sorted sets.
func jaccard(a, b []uint32) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	in := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			in++
			i++
			j++
		}
	}
	return float64(in) / float64(len(a)+len(b)-in)
}

// alike measures two articles' bigram sets (of ix at d, of iy at e) in one
// merge: the Jaccard similarity of the whole sets, and of the sets without
// their boilerplate (a bigram shared by both counts when it is boilerplate
// of neither).
func alike(ix *dupIndex, d int32, iy *dupIndex, e int32) (whole, own float64) {
	i, iEnd := ix.off[d], ix.off[d+1]
	j, jEnd := iy.off[e], iy.off[e+1]
	if i == iEnd || j == jEnd {
		return 0, 0
	}
	in, inOwn := 0, 0
	na := int(iEnd-i) - ix.boilers(i, iEnd)
	nb := int(jEnd-j) - iy.boilers(j, jEnd)
	for i < iEnd && j < jEnd {
		switch a, b := ix.set[i], iy.set[j]; {
		case a < b:
			i++
		case a > b:
			j++
		default:
			in++
			if !ix.isBoiler(i) && !iy.isBoiler(j) {
				inOwn++
			}
			i++
			j++
		}
	}
	whole = float64(in) / float64(int(ix.off[d+1]-ix.off[d])+int(iy.off[e+1]-iy.off[e])-in)
	if u := na + nb - inOwn; u > 0 {
		own = float64(inOwn) / float64(u)
	}
	return whole, own
}

// dayOf numbers the day of t, for the date window of candidates.
func dayOf(t time.Time) int32 { return int32(t.Unix() / 86400) }

// windowDays is dupWindow in whole days, rounded up: candidates are looked
// up by day, and verified against dupWindow itself.
const windowDays = int32((dupWindow + 24*time.Hour - 1) / (24 * time.Hour))

// dupIndex is one segment's part of near-duplicate detection: each
// article's signature, day and bigram set, and per band the articles (with
// a signature) sorted by that band's minimum then by day, so that the
// articles agreeing on a band within a few days sit together.
type dupIndex struct {
	sig []dupSig
	day []int32
	set []uint32 // article d's bigrams are set[off[d]:off[d+1]], sorted
	off []uint32
	// boiler marks, a bit per entry of set, the bigrams that are
	// boilerplate of the batch the article came in (see signBatch).
	boiler []uint64
	// bands[b] lists article numbers, which fit 16 bits: a segment holds
	// at most segmentMax articles, or mergeFactor small ones merged.
	bands [dupBands][]uint16
}

// setOf returns article d's bigram set.
func (ix *dupIndex) setOf(d int32) []uint32 { return ix.set[ix.off[d]:ix.off[d+1]] }

// isBoiler tells whether set[k] is boilerplate of its article's batch.
func (ix *dupIndex) isBoiler(k uint32) bool { return ix.boiler[k/64]&(1<<(k%64)) != 0 }

// boilers counts the boilerplate bigrams among set[lo:hi].
func (ix *dupIndex) boilers(lo, hi uint32) int {
	n := 0
	for lo < hi {
		w := ix.boiler[lo/64] >> (lo % 64)
		if span := 64 - lo%64; hi-lo < span {
			w &= 1<<(hi-lo) - 1
			lo = hi
		} else {
			lo += span
		}
		n += bits.OnesCount64(w)
	}
	return n
}

// signBatch finishes the near-duplicate indexes of segments made of
// articles given at once (see newSegment): it marks the batch's
// boilerplate bigrams, found with a count-min sketch of each bigram's
// articles (a count is never too low, and rarely much too high at four
// slots per bigram), then signs the articles and sorts the bands, a
// segment per core.
//
// The articles of also (segments of the same batch taken from an index
// cache, signed when they were built) count towards the boilerplate, and
// are not signed again.
//
// An article is signed over the bigrams that are not boilerplate, unless
// those are fewer than half of its set: then it is a copy of a story that
// many articles of the batch carry (the wire story of a thousand feeds,
// whose every bigram is "common"), and it is signed over its whole set,
// so that its copies meet.
func signBatch(segs, also []*segment) {
	if len(segs) == 0 {
		return
	}
	batch := slices.Concat(segs, also)
	n, total := 0, 0
	for _, s := range batch {
		n += len(s.arts)
		total += len(s.dup.set)
	}
	size := 1024
	for size < 4*total && size < 1<<21 {
		size *= 2
	}
	var sketch [2][]uint16
	for r := range sketch {
		sketch[r] = make([]uint16, size)
	}
	slot := func(r int, h uint32) int { return int(uint32(mix64(uint64(h)+uint64(r)<<32)) & uint32(size-1)) }
	for _, s := range batch {
		for _, h := range s.dup.set {
			for r := range sketch {
				if c := &sketch[r][slot(r, h)]; *c < 65535 {
					*c++
				}
			}
		}
	}
	common := uint16(min(max(dupCommonMin, int(dupCommonShare*float64(n))), 65535))
	isCommon := func(h uint32) bool { return sketch[0][slot(0, h)] >= common && sketch[1][slot(1, h)] >= common }
	// A bigram in fewer than one in dupRareShare of a large batch's
	// articles is rare: a name, a place, a figure of one story. In a
	// library of a million, bigrams below the boilerplate share still
	// recur in thousands of articles ("police said"), and an article
	// signed over them lands in buckets with thousands of others, each a
	// candidate to check in vain; signed over its rare bigrams (when they
	// are half of what it keeps) it meets the articles of its story. A
	// small batch has no such bigrams: there rare is all but common.
	rareBelow := uint16(min(max(dupCommonMin, int(dupRareShare*float64(n))), 65535))
	isRare := func(h uint32) bool { return sketch[0][slot(0, h)] < rareBelow || sketch[1][slot(1, h)] < rareBelow }
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(segs)) {
		wg.Go(func() {
			var kept, rare []uint32
			for {
				i := int(next.Add(1) - 1)
				if i >= len(segs) {
					return
				}
				ix := &segs[i].dup
				m := len(ix.off) - 1
				ix.sig, ix.day = prefault.Slice[dupSig](m), make([]int32, m)
				ix.boiler = make([]uint64, (len(ix.set)+63)/64)
				for d := range m {
					kept, rare = kept[:0], rare[:0]
					for k := ix.off[d]; k < ix.off[d+1]; k++ {
						switch h := ix.set[k]; {
						case isCommon(h):
							ix.boiler[k/64] |= 1 << (k % 64)
						case isRare(h):
							rare = append(rare, h)
							kept = append(kept, h)
						default:
							kept = append(kept, h)
						}
					}
					ix.day[d] = dayOf(segs[i].arts[d].Date)
					switch set := ix.setOf(int32(d)); {
					case 2*len(kept) < len(set):
						ix.sig[d], _ = minhash(set)
					case 2*len(rare) >= len(kept) && len(rare) >= dupMinShingles:
						ix.sig[d], _ = minhash(rare)
					default:
						ix.sig[d], _ = minhash(kept)
					}
				}
				ix.sortBands()
			}
		})
	}
	wg.Wait()
}

// mergeDupIndex is buildDupIndex of a merged segment, from its parts' data:
// src[i] is the part and place of the merged segment's article i.
func mergeDupIndex(src []segDoc) dupIndex {
	n := len(src)
	ix := dupIndex{sig: make([]dupSig, n), day: make([]int32, n), off: make([]uint32, n+1)}
	total := 0
	for _, x := range src {
		total += len(x.seg.dup.setOf(x.doc))
	}
	ix.set = make([]uint32, 0, total)
	ix.boiler = make([]uint64, (total+63)/64)
	for i, x := range src {
		p := &x.seg.dup
		ix.sig[i], ix.day[i] = p.sig[x.doc], p.day[x.doc]
		at := uint32(len(ix.set))
		ix.set = append(ix.set, p.setOf(x.doc)...)
		for k := p.off[x.doc]; k < p.off[x.doc+1]; k++ {
			if p.isBoiler(k) {
				ix.boiler[at/64] |= 1 << (at % 64)
			}
			at++
		}
		ix.off[i+1] = uint32(len(ix.set))
	}
	ix.sortBands()
	return ix
}

func (ix *dupIndex) sortBands() {
	// Sorted as packed keys, minimum | day | article, which sorts several
	// times faster than through a comparison of looked-up fields. The day
	// takes 16 bits, counted from the segment's first: a segment whose
	// dates span more than 179 years sorts through the comparison.
	n := len(ix.sig)
	first, last := int32(0), int32(-1)
	for d := range n {
		if ix.sig[d][0] == 0 {
			continue
		}
		if last < first {
			first, last = ix.day[d], ix.day[d]
		}
		first, last = min(first, ix.day[d]), max(last, ix.day[d])
	}
	packed := int64(last)-int64(first) < 1<<16
	keys := make([]uint64, 0, n)
	var tmp []uint64
	var docs []int32
	for b := range ix.bands {
		var list []uint16
		if packed {
			keys = keys[:0]
			for d := range n {
				if v := ix.sig[d][b]; v != 0 {
					keys = append(keys, uint64(v)<<32|uint64(ix.day[d]-first)<<16|uint64(d))
				}
			}
			keys, tmp = radixSort(keys, tmp)
			list = make([]uint16, len(keys))
			for i, k := range keys {
				list[i] = uint16(k)
			}
		} else {
			docs = docs[:0]
			for d := range n {
				if ix.sig[d][b] != 0 {
					docs = append(docs, int32(d))
				}
			}
			slices.SortFunc(docs, func(x, y int32) int {
				if c := ix.cmp(b, x, y); c != 0 {
					return c
				}
				return cmp.Compare(x, y)
			})
			list = make([]uint16, len(docs))
			for i, d := range docs {
				list[i] = uint16(d)
			}
		}
		ix.bands[b] = list
	}
}

// sameStory is the verdict on a candidate pair (article d of segment S,
// e of T): dates within dupWindow, and bigram sets at least dupThreshold
// alike without boilerplate, or at least dupCopy alike whole (a copy of a
// story carried so widely that its every bigram is common).
func sameStory(S *segment, d int32, T *segment, e int32) bool {
	dt := S.arts[d].Date.Sub(T.arts[e].Date)
	if dt < 0 {
		dt = -dt
	}
	if dt > dupWindow {
		return false
	}
	whole, own := alike(&S.dup, d, &T.dup, e)
	return own >= dupThreshold || whole >= dupCopy
}

// dupBusyRun is the size past which a bucket is busy (see joinAll).
const dupBusyRun = 16

// agree counts the bands on which two signatures agree.
func agree(a, b *dupSig) int {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return n
}

// dupScan bounds the candidates an article that came with few others is
// checked against in one band and one segment (see joinBorn): the first
// dupScan articles agreeing with it on the band within the date window,
// earliest first. A story carried by thousands of sources puts every copy
// in one bucket of each band; checking a copy against a few of the others
// joins it to the story, where checking it against all of them would cost
// the square of the copies. A candidate missed in one band (a bucket
// shared with other stories) is met in another: each band is an
// independent chance.
const dupScan = 2

// dropEdges forgets the near-duplicate pairs of articles that left the
// library. It returns the articles that lost a pair but stay (orphans):
// their story may have hung together only through an article that left,
// so they look for their duplicates again. The caller holds mu.
func (l *Library) dropEdges(died []segDoc) (orphans []segDoc) {
	dead := make(map[uint64]struct{}, len(died))
	for _, sd := range died {
		if u := sd.seg.uid[sd.doc]; l.edges[u] != nil {
			dead[u] = struct{}{}
		}
	}
	if len(dead) == 0 {
		return nil
	}
	// Each survivor's list is filtered once, however many of its pairs
	// left: a story's earliest copy may be paired with thousands.
	touched := map[uint64]struct{}{}
	for u := range dead {
		for _, v := range l.edges[u] {
			if _, gone := dead[v]; !gone {
				touched[v] = struct{}{}
			}
		}
	}
	isDead := func(x uint64) bool { _, gone := dead[x]; return gone }
	for v := range touched {
		orphans = append(orphans, l.where[v])
		if rest := slices.DeleteFunc(l.edges[v], isDead); len(rest) > 0 {
			l.edges[v] = rest
		} else {
			delete(l.edges, v)
			delete(l.where, v)
		}
	}
	for u := range dead {
		delete(l.edges, u)
		delete(l.where, u)
	}
	slices.SortFunc(orphans, func(a, b segDoc) int { return cmp.Compare(a.seg.uid[a.doc], b.seg.uid[b.doc]) })
	return orphans
}

// dupPair is a pair of articles found to be one story: x is one that came
// into the library.
type dupPair struct {
	x, y segDoc
	ux   uint64 // the uids, for sorting out pairs found in several bands
	uy   uint64
}

// findEdges finds the near-duplicates of the articles that came into the
// library (born), among all its articles, and adds them to the edges. A
// few articles (a feed's poll) are looked up segment by segment; many (a
// start, a large source) in one pass over every article per band, which
// costs the same whatever the number of segments. The caller holds mu.
func (l *Library) findEdges(born []segDoc) {
	if len(born) == 0 {
		return
	}
	live := 0
	for _, s := range l.segs {
		live += s.nLive()
	}
	pairs, ok := l.cachedPairs(born, live)
	switch {
	case ok:
	case len(born)*len(l.segs) > live:
		pairs = l.joinAll(born)
	default:
		pairs = l.joinBorn(born)
	}
	if len(l.edges) == 0 && len(l.where) == 0 && len(pairs) > 1024 && l.edgesAtOnce(pairs) {
		return
	}
	for _, p := range pairs {
		l.edges[p.ux] = append(l.edges[p.ux], p.uy)
		l.edges[p.uy] = append(l.edges[p.uy], p.ux)
		l.where[p.ux], l.where[p.uy] = p.x, p.y
	}
}

// edgesAtOnce puts a start's pairs, up to a million, in the empty edge
// maps as the loop of findEdges would: the maps made at their size, and
// each article's list cut from one array, where appending pair by pair
// allocated a list per article and grew each story's first's a doubling
// at a time. It counts the articles by uid, numbered from 0 as articles
// came, and declines (false) when the uids run far past the pairs.
func (l *Library) edgesAtOnce(pairs []dupPair) bool {
	top := uint64(0)
	for _, p := range pairs {
		top = max(top, p.ux, p.uy)
	}
	if top/4 > uint64(len(pairs))+1<<20 {
		return false
	}
	// start[u+1] counts u's pairs, then start[u] is where its list
	// begins; fill is the next free place of each list.
	start := make([]int32, top+2)
	for _, p := range pairs {
		start[p.ux+1]++
		start[p.uy+1]++
	}
	n := 0
	for u := uint64(1); u < uint64(len(start)); u++ {
		if start[u] > 0 {
			n++
		}
		start[u] += start[u-1]
	}
	fill := slices.Clone(start[:top+1])
	all := make([]uint64, 2*len(pairs))
	l.edges = make(map[uint64][]uint64, n)
	l.where = make(map[uint64]segDoc, n)
	for _, p := range pairs {
		all[fill[p.ux]], all[fill[p.uy]] = p.uy, p.ux
		fill[p.ux]++
		fill[p.uy]++
		l.where[p.ux], l.where[p.uy] = p.x, p.y
	}
	for u := range top + 1 {
		if lo, hi := start[u], start[u+1]; hi > lo {
			l.edges[u] = all[lo:hi:hi]
		}
	}
	return true
}

// cachedPairs returns the stories of born as the index cache they came
// from kept them, each article joined to its story's first, when that
// tells the whole of them: every article of the library came now (live of
// them), all from one cache, which holds no other article. Then the
// library is the one the cache was written from, and its stories are
// grouped as they were then, not again; otherwise ok is false. The
// stories of a start of a million articles from its cache cost a pass
// over them instead of sixteen sorts and a million checks.
func (l *Library) cachedPairs(born []segDoc, live int) (pairs []dupPair, ok bool) {
	if len(born) != live || len(born) == 0 || len(l.edges) > 0 {
		return nil, false
	}
	var dict *cacheDict
	maxOrd := uint32(0)
	for _, x := range born {
		if x.seg.links == nil {
			return nil, false
		}
		k := x.seg.links[x.doc]
		if k.dict == nil || dict != nil && k.dict != dict {
			return nil, false
		}
		dict = k.dict
		maxOrd = max(maxOrd, k.ord)
	}
	if dict.entries != len(born) {
		return nil, false
	}
	at := make([]segDoc, maxOrd+1)
	for _, x := range born {
		k := x.seg.links[x.doc]
		if at[k.ord].seg != nil {
			return nil, false
		}
		at[k.ord] = x
	}
	joined := 0
	for _, x := range born {
		if k := x.seg.links[x.doc]; k.first != k.ord {
			joined++
		}
	}
	pairs = make([]dupPair, 0, joined)
	for _, x := range born {
		k := x.seg.links[x.doc]
		if k.first == k.ord {
			continue
		}
		y := at[k.first]
		if y.seg == nil {
			return nil, false
		}
		pairs = append(pairs, dupPair{x, y, x.seg.uid[x.doc], y.seg.uid[y.doc]})
	}
	return pairs, true
}

// dropLinks lets go of the segments' story links once stories are
// grouped: they tell a start's stories only.
func (l *Library) dropLinks() {
	for _, s := range l.segs {
		s.links = nil
	}
}

// joinAll finds the pairs of born articles in one pass per band over the
// library: the band's minima of every article, sorted, put the articles
// agreeing on it side by side. In each bucket, in day order, a born
// article is checked against its neighbours within the date window,
// unless a pair already found puts them in one story (a union-find of this
// pass) or they were found unlike in another band, so that a story of k
// copies costs about k checks, not k², and any article at most two a band.
// Only the pairs that join two stories are kept: a story's edges are a
// tree, at most one fewer than its articles. Bands are sorted ahead on the
// other cores and checked in order, each band's buckets on every core (see
// check), which makes the pairs the same from run to run and from one
// machine to another.
func (l *Library) joinAll(born []segDoc) []dupPair {
	segs := l.segs
	base := make([]int32, len(segs)+1)
	index := make(map[*segment]int32, len(segs))
	for i, s := range segs {
		base[i+1] = base[i] + int32(len(s.arts))
		index[s] = int32(i)
	}
	n := base[len(segs)]
	isBorn := make([]bool, n)
	for _, b := range born {
		isBorn[base[index[b.seg]]+b.doc] = true
	}
	at := func(g int32) segDoc {
		i := sortSearch(len(segs), func(i int) bool { return base[i+1] > g })
		return segDoc{segs[i], g - base[i]}
	}
	parent := make([]int32, n)
	for i := range parent {
		parent[i] = int32(i)
	}
	days := make([]int32, n)
	for i, s := range segs {
		copy(days[base[i]:], s.dup.day)
	}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}

	// A bucket's members sort as packed keys, day (its sign bit flipped,
	// so that unsigned order is the days' order) then number: several
	// times faster than through a comparison of the fields.
	type member struct{ day, g int32 }
	pack := func(day, g int32) uint64 { return uint64(uint32(day)^1<<31)<<32 | uint64(uint32(g)) }
	unpack := func(k uint64) member { return member{int32(uint32(k>>32) ^ 1<<31), int32(uint32(k))} }
	// root is find without shortening the paths: the band's checkers
	// read the union-find at once, and only apply writes it.
	root := func(x int32) int32 {
		for parent[x] != x {
			x = parent[x]
		}
		return x
	}
	// The pairs found, by number: an eighth of a dupPair, whose slice,
	// grown a doubling at a time, was 60 MB of a start of a million's
	// peak; they become dupPairs at the end, at their number.
	var found [][2]int32
	// apart remembers the pairs found unlike: two articles that agree on
	// one band often agree on others.
	apart := newPairMemo(n)
	// A checker goes through part of a band's buckets (see check) and
	// gives the pairs it checked, in order, each with its verdict.
	type verdict struct {
		x, y int32
		same bool
	}
	type checker struct {
		run    []member
		packed []uint64
		out    []verdict
	}
	scan := func(c *checker, keys []uint64) {
		c.out = c.out[:0]
		for i := 0; i < len(keys); {
			j := i + 1
			for j < len(keys) && keys[j]>>32 == keys[i]>>32 {
				j++
			}
			if j-i < 2 {
				i = j
				continue
			}
			// A busy bucket is a bigram many articles share: its
			// neighbours are checked only when they agree on another
			// band too, as articles of one story mostly do (two at
			// similarity 0.25 agree on 4 of 16 bands on average).
			busy := j-i > dupBusyRun
			c.packed = c.packed[:0]
			anyBorn := false
			for _, k := range keys[i:j] {
				g := int32(uint32(k))
				c.packed = append(c.packed, pack(days[g], g))
				anyBorn = anyBorn || isBorn[g]
			}
			i = j
			if !anyBorn {
				continue
			}
			slices.Sort(c.packed)
			run := c.run[:0]
			for _, k := range c.packed {
				run = append(run, unpack(k))
			}
			c.run = run
			for p, x := range run {
				if !isBorn[x.g] {
					continue
				}
				// x is checked against its neighbours in the bucket's day
				// order: the one before it, and the one after it when
				// that one did not come now (else it checks x itself).
				// Copies of one story, dated together, sit side by side
				// and join as a chain; an article that merely shares a
				// common bigram with the bucket costs one or two checks.
				for _, k := range [2]int{p - 1, p + 1} {
					if k < 0 || k >= len(run) || k > p && isBorn[run[k].g] {
						continue
					}
					if dd := run[k].day - x.day; dd < -windowDays || dd > windowDays {
						continue
					}
					y := run[k].g
					if root(x.g) == root(y) {
						continue
					}
					if apart.has(uint64(min(x.g, y))<<32 | uint64(max(x.g, y))) {
						continue
					}
					sx, sy := at(x.g), at(y)
					if busy && agree(&sx.seg.dup.sig[sx.doc], &sy.seg.dup.sig[sy.doc]) < 2 {
						continue
					}
					c.out = append(c.out, verdict{x.g, y, sameStory(sx.seg, sx.doc, sy.seg, sy.doc)})
				}
			}
		}
	}
	// check goes through a band's buckets on every core, each checker a
	// run of whole buckets, against the union-find and the memo as the
	// bands before left them; then applies the verdicts in the order one
	// checker would have found them. A pair two earlier verdicts of the
	// band already joined is checked in vain, but the pairs kept are
	// those of a check on one core: each pair comes once a band, a pair
	// is kept when its verdict is same and its stories are apart at its
	// turn, and a pair the memo holds is unlike.
	checkers := make([]checker, runtime.GOMAXPROCS(0))
	check := func(keys []uint64) {
		parts := make([][]uint64, len(checkers))
		lo := 0
		for w := range checkers {
			hi := len(keys) * (w + 1) / len(checkers)
			if hi < lo {
				hi = lo
			}
			for hi > 0 && hi < len(keys) && keys[hi]>>32 == keys[hi-1]>>32 {
				hi++
			}
			parts[w], lo = keys[lo:hi], hi
		}
		var wg sync.WaitGroup
		for w := 1; w < len(checkers); w++ {
			wg.Go(func() { scan(&checkers[w], parts[w]) })
		}
		scan(&checkers[0], parts[0])
		wg.Wait()
		for w := range checkers {
			for _, v := range checkers[w].out {
				if !v.same {
					apart.add(uint64(min(v.x, v.y))<<32 | uint64(max(v.x, v.y)))
					continue
				}
				if rx, ry := find(v.x), find(v.y); rx != ry {
					parent[rx] = ry
					found = append(found, [2]int32{v.x, v.y})
				}
			}
		}
	}

	// The bands are sorted on the other cores while this one checks the
	// band before, at most sorters+1 bands ahead, and checked in band
	// order. A band is claimed once its sorter holds a place ahead, so
	// the band the checker waits for always has one.
	sorters := max(1, min(runtime.GOMAXPROCS(0)-1, dupBands))
	sorted := make([]chan []uint64, dupBands)
	for b := range sorted {
		sorted[b] = make(chan []uint64, 1)
	}
	spare := make(chan []uint64, sorters+1)
	ahead := make(chan struct{}, sorters+1)
	var next atomic.Int64
	for range sorters {
		go func() {
			var tmp []uint64 // radixSort's other half
			for {
				ahead <- struct{}{}
				b := int(next.Add(1) - 1)
				if b >= dupBands {
					<-ahead
					return
				}
				var k []uint64
				select {
				case k = <-spare:
				default:
				}
				k = k[:0]
				for i, s := range segs {
					for _, d := range s.dup.bands[b] {
						if s.live(int32(d)) {
							k = append(k, uint64(s.dup.sig[d][b])<<32|uint64(base[i]+int32(d)))
						}
					}
				}
				k, tmp = radixSort(k, tmp)
				sorted[b] <- k
			}
		}()
	}
	for b := range dupBands {
		k := <-sorted[b]
		check(k)
		<-ahead
		select {
		case spare <- k:
		default:
		}
	}
	pairs := make([]dupPair, len(found))
	for i, f := range found {
		sx, sy := at(f[0]), at(f[1])
		pairs[i] = dupPair{sx, sy, sx.seg.uid[sx.doc], sy.seg.uid[sy.doc]}
	}
	return pairs
}

// radixSort sorts keys a byte at a time from the lowest, with tmp (grown
// to their number) for the other half, skipping the bytes all keys share:
// a band of a million keys in a few passes over them, where a comparison
// sort took 70 ms. It returns the sorted keys, in keys or in tmp, and the
// other slice.
func radixSort(keys, tmp []uint64) (sorted, other []uint64) {
	if len(keys) < 1024 {
		slices.Sort(keys)
		return keys, tmp
	}
	if cap(tmp) < len(keys) {
		tmp = make([]uint64, len(keys))
	}
	tmp = tmp[:len(keys)]
	var counts [8][256]int
	for _, k := range keys {
		for d := range counts {
			counts[d][byte(k>>(8*d))]++
		}
	}
	src, dst := keys, tmp
	for d := range counts {
		c := &counts[d]
		if c[byte(src[0]>>(8*d))] == len(src) {
			continue // one value of this byte: already in order
		}
		at := 0
		for i, n := range c {
			c[i] = at
			at += n
		}
		for _, k := range src {
			b := byte(k >> (8 * d))
			dst[c[b]] = k
			c[b]++
		}
		src, dst = dst, src
	}
	return src, dst
}

// pairMemo remembers pairs of articles (as a key that is never 0) in a
// table of fixed size, each key in a slot of its hash: a key that lands
// on a taken slot pushes the older one out. What it remembers it
// remembers exactly; what it forgot is only checked again. joinAll
// remembers the pairs it found unlike in one, so that their number,
// which grows with how many articles share buckets (15 MB of map at
// 300,000 generated articles), costs no memory at the end of a start,
// when the heap is largest.
type pairMemo []uint64

// newPairMemo returns a memo of about one slot per article, a power of
// two between 2^12 and 2^22 (32 MB).
func newPairMemo(articles int32) pairMemo {
	size := 1 << 12
	for size < int(articles) && size < 1<<22 {
		size <<= 1
	}
	return make(pairMemo, size)
}

func (m pairMemo) slot(key uint64) *uint64 { return &m[mix64(key)&uint64(len(m)-1)] }
func (m pairMemo) has(key uint64) bool     { return *m.slot(key) == key }
func (m pairMemo) add(key uint64)          { *m.slot(key) = key }

// joinBorn finds the pairs of a few born articles segment by segment:
// each band's born articles, sorted by minimum and day, are merged
// against every segment's list for that band, on all cores, and each is
// checked against the first dupScan articles of its bucket and window in
// each segment. Two segments all of whose articles are born are joined
// once, the earlier in l.segs against the later.
func (l *Library) joinBorn(born []segDoc) []dupPair {
	bornBy := map[*segment][]int32{}
	isBorn := map[*segment][]bool{}
	nBorn := map[*segment]int{}
	for _, b := range born {
		nBorn[b.seg]++
		if b.seg.dup.sig[b.doc][0] == 0 {
			continue // too short to have duplicates
		}
		bornBy[b.seg] = append(bornBy[b.seg], b.doc)
		m := isBorn[b.seg]
		if m == nil {
			m = make([]bool, len(b.seg.arts))
			isBorn[b.seg] = m
		}
		m[b.doc] = true
	}
	order := make(map[*segment]int, len(l.segs))
	for i, s := range l.segs {
		order[s] = i
	}
	workers := min(runtime.GOMAXPROCS(0), dupBands)
	found := make([][]dupPair, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var pairs []dupPair
			for b := w; b < dupBands; b += workers {
				for S, docs := range bornBy {
					var xs []int32
					if len(docs) < len(S.arts) {
						xs = slices.Clone(docs)
						slices.SortFunc(xs, func(x, y int32) int { return S.dup.cmp(b, x, y) })
					} else {
						xs = make([]int32, len(S.dup.bands[b]))
						for i, d := range S.dup.bands[b] {
							xs[i] = int32(d)
						}
					}
					bornS := isBorn[S]
					allBornS := nBorn[S] == S.nLive()
					for _, T := range l.segs {
						if T != S && allBornS && nBorn[T] == T.nLive() && order[T] < order[S] {
							continue // joined from T's side
						}
						joinBand(b, S, xs, bornS, T, func(x, y int32) {
							if sameStory(S, x, T, y) {
								pairs = append(pairs, dupPair{segDoc{S, x}, segDoc{T, y}, S.uid[x], T.uid[y]})
							}
						})
					}
				}
			}
			found[w] = pairs
		})
	}
	wg.Wait()
	pairs := slices.Concat(found...)
	for i, p := range pairs {
		if p.ux > p.uy {
			pairs[i] = dupPair{p.y, p.x, p.uy, p.ux}
		}
	}
	slices.SortFunc(pairs, func(a, b dupPair) int {
		if a.ux != b.ux {
			return cmp.Compare(a.ux, b.ux)
		}
		return cmp.Compare(a.uy, b.uy)
	})
	return slices.CompactFunc(pairs, func(a, b dupPair) bool { return a.ux == b.ux && a.uy == b.uy })
}

// cmp orders two articles of the index by band b's minimum, then by day.
func (ix *dupIndex) cmp(b int, x, y int32) int {
	if c := cmp.Compare(ix.sig[x][b], ix.sig[y][b]); c != 0 {
		return c
	}
	return cmp.Compare(ix.day[x], ix.day[y])
}

// joinBand calls fn(x, y) for every article x of xs (articles of S sorted
// by band b's minimum and day; only those marked in bornS) and the first
// dupScan articles y of T in the library agreeing with x on band b and
// dated within windowDays of it. xs and T's list are in the same order,
// so one pass over both does, galloping over T's list where xs is sparse.
func joinBand(b int, S *segment, xs []int32, bornS []bool, T *segment, fn func(x, y int32)) {
	tl := T.dup.bands[b]
	tsig, tday := T.dup.sig, T.dup.day
	j := 0
	for _, x := range xs {
		if !bornS[x] {
			continue
		}
		v, day := S.dup.sig[x][b], S.dup.day[x]
		less := func(k int) bool {
			y := int32(tl[k])
			s := tsig[y][b]
			return s < v || s == v && tday[y] < day-windowDays
		}
		if j < len(tl) && less(j) {
			lo, step := j, 1
			hi := lo + 1
			for hi < len(tl) && less(hi) {
				lo = hi
				step *= 2
				hi = lo + step
			}
			hi = min(hi, len(tl))
			j = lo + 1 + sortSearch(hi-lo-1, func(k int) bool { return !less(lo + 1 + k) })
		}
		taken := 0
		for k := j; k < len(tl) && taken < dupScan; k++ {
			y := int32(tl[k])
			if tsig[y][b] != v || tday[y] > day+windowDays {
				break
			}
			if T == S && x == y || !T.live(y) {
				continue
			}
			taken++
			fn(x, y)
		}
	}
}
