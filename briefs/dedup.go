package briefs

import (
	"cmp"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
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
	dupWindow    = 72 * time.Hour
	dupBands     = 16
	// dupMinShingles: an article with fewer bigrams (a bare headline of
	// three words) is too short to call anything its duplicate.
	dupMinShingles = 4
	dupCommonShare = 0.01
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
	// bands[b] lists article numbers, which fit 16 bits: a segment holds
	// at most segmentMax articles, or mergeFactor small ones merged.
	bands [dupBands][]uint16
}

// setOf returns article d's bigram set.
func (ix *dupIndex) setOf(d int32) []uint32 { return ix.set[ix.off[d]:ix.off[d+1]] }

// signBatch finishes the near-duplicate indexes of segments made of
// articles given at once (see newSegment): it leaves out the batch's
// boilerplate bigrams, found with a count-min sketch of each bigram's
// articles (a count is never too low, and rarely much too high at four
// slots per bigram), then signs the articles and sorts the bands, a
// segment per core.
func signBatch(segs []*segment) {
	n, total := 0, 0
	for _, s := range segs {
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
	for _, s := range segs {
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
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(segs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(segs) {
					return
				}
				ix := &segs[i].dup
				m := len(ix.off) - 1
				ix.sig, ix.day = make([]dupSig, m), make([]int32, m)
				kept := ix.set[:0] // filtered in place
				start := uint32(0)
				for d := range m {
					from := len(kept)
					for _, h := range ix.set[start:ix.off[d+1]] {
						if !isCommon(h) {
							kept = append(kept, h)
						}
					}
					start = ix.off[d+1]
					ix.off[d+1] = uint32(len(kept))
					ix.day[d] = dayOf(segs[i].arts[d].Date)
					ix.sig[d], _ = minhash(kept[from:])
				}
				ix.set = slices.Clone(kept) // exactly sized: it stays
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
	for i, x := range src {
		p := &x.seg.dup
		ix.sig[i], ix.day[i] = p.sig[x.doc], p.day[x.doc]
		ix.set = append(ix.set, p.setOf(x.doc)...)
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
			slices.Sort(keys)
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

// sameStory is the verdict on a candidate pair: dates within dupWindow and
// bigram sets at least dupThreshold alike.
func sameStory(a, b *Article, sa, sb []uint32) bool {
	dt := a.Date.Sub(b.Date)
	if dt < 0 {
		dt = -dt
	}
	return dt <= dupWindow && jaccard(sa, sb) >= dupThreshold
}

// dropEdges forgets the near-duplicate pairs of articles that left the
// library. The caller holds mu.
func (l *Library) dropEdges(died []segDoc) {
	for _, sd := range died {
		u := sd.seg.uid[sd.doc]
		for _, v := range l.edges[u] {
			rest := slices.DeleteFunc(l.edges[v], func(x uint64) bool { return x == u })
			if len(rest) == 0 {
				delete(l.edges, v)
				delete(l.where, v)
			} else {
				l.edges[v] = rest
			}
		}
		delete(l.edges, u)
		delete(l.where, u)
	}
}

// dupPair is a pair of articles found to be one story: x is one that came
// into the library.
type dupPair struct {
	x, y segDoc
	ux   uint64 // the uids, for sorting out pairs found in several bands
	uy   uint64
}

// findEdges finds the near-duplicates of the articles that came into the
// library, among all its articles, and adds them to the edges. The bands
// are joined on all cores: each band's born articles, sorted by minimum and
// day, are merged against every segment's list for that band. The caller
// holds mu.
func (l *Library) findEdges(born []segDoc) {
	if len(born) == 0 {
		return
	}
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
	// Each band on its own core: candidates are verified as they are
	// found (a merge of two short sorted lists), so that only the pairs
	// found to be one story are kept; a pair agreeing on several bands is
	// verified once per band, which costs less than remembering it.
	// Two segments all of whose articles are born are joined once, the
	// earlier in l.segs against the later.
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
						bornT := isBorn[T]
						joinBand(b, S, xs, bornS, T, func(x, y int32) {
							if !T.live(y) || T == S && x == y {
								return
							}
							ux, uy := S.uid[x], T.uid[y]
							if bornT != nil && bornT[y] && uy > ux && (T == S || !allBornS || nBorn[T] != T.nLive()) {
								return // found from y's side
							}
							if sameStory(&S.arts[x], &T.arts[y], S.dup.setOf(x), T.dup.setOf(y)) {
								pairs = append(pairs, dupPair{segDoc{S, x}, segDoc{T, y}, ux, uy})
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
	slices.SortFunc(pairs, func(a, b dupPair) int {
		if a.ux != b.ux {
			return cmp.Compare(a.ux, b.ux)
		}
		return cmp.Compare(a.uy, b.uy)
	})
	pairs = slices.CompactFunc(pairs, func(a, b dupPair) bool { return a.ux == b.ux && a.uy == b.uy })
	for _, p := range pairs {
		l.edges[p.ux] = append(l.edges[p.ux], p.uy)
		l.edges[p.uy] = append(l.edges[p.uy], p.ux)
		l.where[p.ux], l.where[p.uy] = p.x, p.y
	}
}

// cmp orders two articles of the index by band b's minimum, then by day.
func (ix *dupIndex) cmp(b int, x, y int32) int {
	if c := cmp.Compare(ix.sig[x][b], ix.sig[y][b]); c != 0 {
		return c
	}
	return cmp.Compare(ix.day[x], ix.day[y])
}

// joinBand calls fn(x, y) for every article x of xs (articles of S sorted
// by band b's minimum and day; only those marked in bornS) and every
// article y of T agreeing with x on band b and dated within windowDays of
// it. xs and T's list are in the same order, so one pass over both does,
// galloping over T's list where xs is sparse.
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
		for k := j; k < len(tl); k++ {
			y := int32(tl[k])
			if tsig[y][b] != v || tday[y] > day+windowDays {
				break
			}
			fn(x, y)
		}
	}
}
