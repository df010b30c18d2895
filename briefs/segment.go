package briefs

import (
	"cmp"
	"encoding/binary"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"newsbrief/internal/prefault"
)

// segment is an immutable, indexed run of articles: what one Replace
// added, or several earlier segments merged. A library is a handful of
// segments, so that replacing one origin indexes only that origin's
// articles instead of all of them (see Library.Replace), and a large
// origin is cut into segments of at most segmentMax articles so that they
// are built in parallel with little memory in flight.
//
// Only arts, byID, index, complete and dup are read by queries. The rest
// is the library's bookkeeping, changed only under Library.mu.
type segment struct {
	arts     []Article // newest first (cmpArticles)
	byID     idIndex
	index    segIndex
	complete segCompleter
	dup      dupIndex
	uid      []uint64 // per article, stable across merges (edges use it)
	// links holds, per article taken from an index cache, the story the
	// cache kept it in (see cachedPairs), until the library next groups
	// its stories; nil when no article came from a cache.
	links []storyLink

	// removed marks articles whose origin was replaced since; shadowed
	// those whose ID an article of an origin sorting earlier holds. An
	// article is in the library when neither is set.
	removed  []bool
	shadowed []bool
	nRemoved int
	origins  map[string]int // articles not removed, per origin
	liveBy   map[string]int // articles in the library, per origin
	liveLen  int64          // the BM25 lengths of the articles in the library
	nIn      int            // articles in the library
}

// segmentMax bounds the articles of a segment built at once: large enough
// that 100,000 articles make a few segments, small enough that building
// one holds little memory besides its result.
const segmentMax = 16384

// newSegment indexes arts, which must be sorted by cmpArticles, with sc
// (nil for none) as buildSegIndex's scratch. Its near-duplicate index
// holds only the articles' bigram sets, boilerplate included, for
// signBatch to finish.
func newSegment(arts []Article, uid []uint64, sc *segScratch) *segment {
	s := bareSegment(arts, uid)
	s.index, s.dup = buildSegIndex(arts, sc)
	s.complete = buildSegCompleter(arts)
	s.liveLen = s.index.sumLen
	return s
}

// mergeSegments makes one segment of the articles src (sorted) of parts;
// moved[part].doc maps a part's articles to their place in it.
func mergeSegments(parts []*segment, src []segDoc, moved map[*segment]merged) *segment {
	arts := make([]Article, len(src))
	uid := make([]uint64, len(src))
	for i, x := range src {
		arts[i], uid[i] = x.seg.arts[x.doc], x.seg.uid[x.doc]
	}
	s := bareSegment(arts, uid)
	s.index = mergeSegIndex(parts, src, moved)
	s.dup = mergeDupIndex(src)
	s.complete = buildSegCompleter(arts)
	s.liveLen = s.index.sumLen
	return s
}

// bareSegment is a segment of arts without its indexes.
func bareSegment(arts []Article, uid []uint64) *segment {
	s := &segment{
		arts:     arts,
		byID:     newIDIndex(arts),
		uid:      uid,
		removed:  make([]bool, len(arts)),
		shadowed: make([]bool, len(arts)),
		origins:  map[string]int{},
		nIn:      len(arts),
	}
	for i := range arts {
		s.origins[arts[i].Origin]++
	}
	s.liveBy = maps.Clone(s.origins)
	return s
}

// idIndex finds a segment's articles by ID: a 32-bit hash of each ID
// with the article's number, sorted. Eight bytes an article, where a map
// of the IDs took sixty and most of making a segment's bookkeeping; a
// lookup is a binary search, the article itself confirming its ID.
type idIndex []uint64

// idHash is FNV-1a of id, folded to 32 bits.
func idHash(id string) uint32 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return uint32(h>>32) ^ uint32(h)
}

func newIDIndex(arts []Article) idIndex {
	x := make(idIndex, len(arts))
	for i := range arts {
		x[i] = uint64(idHash(arts[i].ID))<<32 | uint64(i)
	}
	slices.Sort(x)
	return x
}

// find returns the number of the article of arts (the segment's) with id.
func (x idIndex) find(id string, arts []Article) (int32, bool) {
	h := uint64(idHash(id)) << 32
	i, _ := slices.BinarySearch(x, h)
	for ; i < len(x) && x[i]>>32 == h>>32; i++ {
		if d := int32(uint32(x[i])); arts[d].ID == id {
			return d, true
		}
	}
	return -1, false
}

// nLive counts the segment's articles in the library.
func (s *segment) nLive() int { return s.nIn }

// live reports whether article d is in the library.
func (s *segment) live(d int32) bool { return !s.removed[d] && !s.shadowed[d] }

// setRemoved marks article d removed: its origin was replaced.
func (s *segment) setRemoved(d int32) {
	if s.removed[d] {
		return
	}
	s.leave(d)
	s.removed[d] = true
	s.nRemoved++
	s.origins[s.arts[d].Origin]--
}

// setShadowed marks article d shadowed or not: another origin holds its ID.
func (s *segment) setShadowed(d int32, v bool) {
	if s.shadowed[d] == v {
		return
	}
	if v {
		s.leave(d)
		s.shadowed[d] = true
		return
	}
	s.shadowed[d] = false
	if s.live(d) {
		s.liveBy[s.arts[d].Origin]++
		s.liveLen += int64(s.index.docLen[d])
		s.nIn++
	}
}

// leave updates the counts for article d leaving the library, if it is in.
func (s *segment) leave(d int32) {
	if s.live(d) {
		s.liveBy[s.arts[d].Origin]--
		s.liveLen -= int64(s.index.docLen[d])
		s.nIn--
	}
}

// segIndex is the BM25 index of one segment. Postings are compact: each
// term's list is in document order, each entry a uvarint of the gap from
// the previous document shifted left by 8, or'd with the term frequency
// (capped at 255); most entries take two bytes.
//
// A list longer than postBlockSize is also cut into blocks (see
// postBlock), which let a top-k search skip postings without decoding
// them and bound the score of those it skips.
type segIndex struct {
	terms  map[string]int32
	off    []uint32 // term t's postings are post[off[t]:off[t+1]]
	n      []uint32 // term t's number of postings
	post   []byte
	docLen []int32
	sumLen int64
	blkOff []uint32 // term t's blocks are blocks[blkOff[t]:blkOff[t+1]]
	blocks []postBlock
	// impactAvg is the average document length the blocks' impacts
	// assume: the segment's own.
	impactAvg float64
}

// postBlockSize is the postings of a block: small enough that a block's
// best impact says something about most of its postings (the bound is
// what lets a search skip them), large enough that blocks cost an eighth
// of what the postings do.
const postBlockSize = 32

// postBlock is postBlockSize consecutive postings of one term's list (the
// last block may hold fewer): where it ends, so that a search can step
// over it, and the best BM25 impact of its postings, so that it can tell
// whether anything in it could make the top.
type postBlock struct {
	last uint32 // the block's last document
	size uint16 // its postings' bytes (at most 4 each)
	// impact is the block's largest tf/(tf+norm) at the segment's
	// average length (impactAvg), times 65535, rounded up.
	impact uint16
}

// postingList is one term's postings in one segment, with their blocks
// (none for a short list).
type postingList struct {
	p      []byte
	n      int
	blocks []postBlock
}

// postings returns the postings of a term; empty when the segment lacks it.
func (ix *segIndex) postings(term string) postingList {
	t, ok := ix.terms[term]
	if !ok {
		return postingList{}
	}
	return postingList{ix.post[ix.off[t]:ix.off[t+1]], int(ix.n[t]), ix.blocks[ix.blkOff[t]:ix.blkOff[t+1]]}
}

// postingIter reads a postings list.
type postingIter struct {
	p   []byte
	doc uint32
}

// next returns the next posting's document and term frequency. The
// common two-byte entry is decoded here, small enough to inline; the rest
// in slow.
func (it *postingIter) next() (doc, tf uint32, ok bool) {
	if p := it.p; len(p) >= 2 && p[0] >= 0x80 && p[1] < 0x80 {
		v := uint32(p[0]&0x7F) | uint32(p[1])<<7
		it.p = p[2:]
		it.doc += v >> 8
		return it.doc, v & 255, true
	}
	return it.slow()
}

func (it *postingIter) slow() (doc, tf uint32, ok bool) {
	if len(it.p) == 0 {
		return 0, 0, false
	}
	var v uint64
	var shift uint
	for i, c := range it.p {
		v |= uint64(c&0x7F) << shift
		if c < 0x80 {
			it.p = it.p[i+1:]
			break
		}
		shift += 7
	}
	it.doc += uint32(v >> 8)
	return it.doc, uint32(v & 255), true
}

// encodePostings turns sorted doc<<8|tf entries, grouped by term (term t's
// at flat[off[t]:off[t+1]]), into the index's postings and their blocks.
// ix.docLen must be set: the blocks' impacts need each document's length.
// buf, when not nil, is scratch to encode in, kept for the next call.
func (ix *segIndex) encodePostings(flat []uint32, off []uint32, buf *[]byte) {
	terms := len(off) - 1
	ix.off = make([]uint32, terms+1)
	ix.n = make([]uint32, terms)
	ix.blkOff = make([]uint32, terms+1)
	ix.impactAvg = 1
	if len(ix.docLen) > 0 && ix.sumLen > 0 {
		ix.impactAvg = float64(ix.sumLen) / float64(len(ix.docLen))
	}
	norm := make([]float64, len(ix.docLen))
	for d, l := range ix.docLen {
		norm[d] = bm25K1 * (1 - bm25B + bm25B*float64(l)/ix.impactAvg)
	}
	// Two bytes an entry is the common case; the rest grows once or twice.
	var post []byte
	if buf != nil && cap(*buf) >= 2*len(flat)+len(flat)/4 {
		post = (*buf)[:0]
	} else {
		post = prefault.Slice[byte](2*len(flat) + len(flat)/4)[:0]
	}
	var blocks []postBlock
	for t := range terms {
		list := flat[off[t]:off[t+1]]
		blocked := len(list) > postBlockSize
		prev, start, best := uint32(0), len(post), 0.0
		for k, e := range list {
			post = binary.AppendUvarint(post, uint64(e>>8-prev)<<8|uint64(e&255))
			prev = e >> 8
			if !blocked {
				continue
			}
			tf := float64(e & 255)
			best = max(best, tf/(tf+norm[prev]))
			if (k+1)%postBlockSize == 0 || k == len(list)-1 {
				blocks = append(blocks, postBlock{last: prev, size: uint16(len(post) - start), impact: quantImpact(best)})
				start, best = len(post), 0
			}
		}
		ix.off[t+1] = uint32(len(post))
		ix.n[t] = uint32(len(list))
		ix.blkOff[t+1] = uint32(len(blocks))
	}
	ix.post = prefault.Clone(post) // exactly sized: it stays
	if buf != nil {
		*buf = post[:0]
	}
	ix.blocks = prefault.Clone(blocks)
}

// quantImpact stores an impact (in [0, 1)) in 16 bits, rounded up: a
// bound stays a bound.
func quantImpact(x float64) uint16 {
	return uint16(min(math.Ceil(x*65535), 65535))
}

// wordInfo is what tokenizing knows of a lowercased word: its term (-1
// for a stopword) and its hash for bigrams.
type wordInfo struct {
	term int32
	hash uint64
}

// wordTable maps lowercased words to their wordInfo while a segment is
// tokenized: open addressing on the word's FNV-1a hash (which bigrams need
// anyway; never 0, which marks empty slots: see scanWords), the words'
// bytes in one arena. A Go map would hash each word a second time and
// allocate a string per word; tokenizing is most of building a library.
type wordTable struct {
	slots []wordSlot
	arena []byte
	n     int
}

type wordSlot struct {
	fnv  uint64 // 0: empty
	off  uint32
	size uint32
	info wordInfo
}

// find returns the slot of w (with hash h), and whether it holds w.
func (t *wordTable) find(w []byte, h uint64) (*wordSlot, bool) {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.fnv == 0 {
			return s, false
		}
		if s.fnv == h && string(t.arena[s.off:s.off+s.size]) == string(w) {
			return s, true
		}
	}
}

// insert adds w, which find did not find, and returns its slot.
func (t *wordTable) insert(w []byte, h uint64, info wordInfo) {
	if 2*(t.n+1) > len(t.slots) {
		old := t.slots
		t.slots = make([]wordSlot, max(2*len(old), 1024))
		mask := uint64(len(t.slots) - 1)
		for _, s := range old {
			if s.fnv != 0 {
				i := s.fnv & mask
				for t.slots[i].fnv != 0 {
					i = (i + 1) & mask
				}
				t.slots[i] = s
			}
		}
	}
	s, _ := t.find(w, h)
	*s = wordSlot{fnv: h, off: uint32(len(t.arena)), size: uint32(len(w)), info: info}
	t.arena = append(t.arena, w...)
	t.n++
}

// buildSegIndex tokenizes arts once, for the search index and for the
// bigram sets of near-duplicate detection (content words of the title and
// the first dupLeadWords words of the body). Each document's (term, tf)
// pairs go to a buffer of fixed-size blocks (so that it never grows by
// copying), which a counting sort by term turns into the postings. The
// blocks and the rest of what it needs only while it runs are sc's, when
// not nil (see segScratch).
func buildSegIndex(arts []Article, sc *segScratch) (segIndex, dupIndex) {
	if sc == nil {
		sc = new(segScratch)
	}
	ix := segIndex{terms: map[string]int32{}, docLen: make([]int32, len(arts))}
	dup := dupIndex{off: make([]uint32, len(arts)+1)}
	if cap(sc.set) < len(arts)*48 {
		sc.set = prefault.Slice[uint32](len(arts) * 48)
	}
	dup.set = sc.set[:0]
	// words holds each lowercased word seen, so that normalizeTerm runs
	// once per distinct word.
	words := wordTable{slots: make([]wordSlot, 1024)}
	var counts []uint32 // postings per term
	var tf []int32      // the current document's count per term
	var touched []int32
	var blocks [][]uint32 // term, doc<<8|tf, term, …
	var buf []byte
	var length, weight int32
	var lead int // words of the body seen, for bigrams
	var prev uint64
	var havePrev bool
	var set []uint32
	add := func(w []byte, h uint64, _, _ int) {
		var info wordInfo
		if slot, ok := words.find(w, h); ok {
			info = slot.info
		} else {
			info = wordInfo{term: -1}
			if t := normalizeTerm(w); t != nil {
				info.hash = mix64(h)
				if info.term, ok = ix.terms[string(t)]; !ok {
					info.term = int32(len(counts))
					ix.terms[string(t)] = info.term
					counts = append(counts, 0)
					tf = append(tf, 0)
				}
			}
			words.insert(w, h, info)
		}
		if weight == 1 {
			lead++
		}
		if info.term < 0 {
			return
		}
		if lead <= dupLeadWords {
			if havePrev {
				set = append(set, bigramHash(prev, info.hash))
			}
			prev, havePrev = info.hash, true
		}
		id := info.term
		if tf[id] == 0 {
			touched = append(touched, id)
		}
		tf[id] += weight
		length += weight
	}
	for d := range arts {
		a := &arts[d]
		length, touched = 0, touched[:0]
		lead, havePrev, set = 0, false, set[:0]
		weight = titleWeight
		buf = scanWords(a.Title, buf, add)
		weight = 1
		for _, p := range a.Paragraphs {
			buf = scanWords(p, buf, add)
		}
		for _, id := range touched {
			if len(blocks) == 0 || len(blocks[len(blocks)-1]) == postBufBlock {
				blocks = append(blocks, sc.block())
			}
			last := &blocks[len(blocks)-1]
			*last = append(*last, uint32(id), uint32(d)<<8|uint32(min(tf[id], 255)))
			counts[id]++
			tf[id] = 0
		}
		ix.docLen[d] = length
		ix.sumLen += int64(length)
		slices.Sort(set)
		dup.set = append(dup.set, slices.Compact(set)...)
		dup.off[d+1] = uint32(len(dup.set))
	}
	sc.set = dup.set[:0]
	dup.set = prefault.Clone(dup.set) // exactly sized: it stays as long as the segment
	off := make([]uint32, len(counts)+1)
	for t, c := range counts {
		off[t+1] = off[t] + c
	}
	if n := int(off[len(counts)]); cap(sc.flat) < n {
		sc.flat = prefault.Slice[uint32](n)
	}
	flat := sc.flat[:off[len(counts)]]
	fill := counts // reused as each term's next slot
	copy(fill, off[:len(counts)])
	for i, b := range blocks {
		for k := 0; k < len(b); k += 2 {
			t := b[k]
			flat[fill[t]] = b[k+1]
			fill[t]++
		}
		sc.spare = append(sc.spare, b[:0])
		blocks[i] = nil
	}
	ix.encodePostings(flat, off, &sc.post)
	return ix, dup
}

// segScratch is the memory buildSegIndex uses only while it runs: the
// blocks of (term, posting) pairs, their postings sorted by term, then
// encoded, and the bigram sets, before they are copied at their size. A
// start builds a hundred segments, each with some 20 MB of it (at 8,192
// articles), which the collector would otherwise have to take back, at
// GOGC=35 a collection every few segments: each core that builds
// segments one after another keeps one segScratch for all of them, and
// lets it go with the last.
type segScratch struct {
	spare [][]uint32 // blocks of postBufBlock entries
	flat  []uint32
	post  []byte // encodePostings'
	set   []uint32
}

// postBufBlock is the size of a block of (term, posting) pairs.
const postBufBlock = 1 << 16

// block returns an empty block of postBufBlock entries.
func (sc *segScratch) block() []uint32 {
	if n := len(sc.spare); n > 0 {
		b := sc.spare[n-1]
		sc.spare = sc.spare[:n-1]
		return b
	}
	return prefault.Slice[uint32](postBufBlock)[:0]
}

// mergeSegIndex is buildSegIndex of a merged segment, from its parts'
// postings renumbered: much cheaper than reading the articles again.
func mergeSegIndex(parts []*segment, src []segDoc, moved map[*segment]merged) segIndex {
	ix := segIndex{terms: map[string]int32{}, docLen: make([]int32, len(src))}
	for i, x := range src {
		ix.docLen[i] = x.seg.index.docLen[x.doc]
		ix.sumLen += int64(ix.docLen[i])
	}
	// Number the terms and count their kept postings.
	ids := make([][]int32, len(parts)) // a part's term to the merged one
	var counts []uint32
	for k, p := range parts {
		ids[k] = make([]int32, len(p.index.n))
		doc := moved[p].doc
		for term, t := range p.index.terms {
			id, ok := ix.terms[term]
			if !ok {
				id = int32(len(counts))
				ix.terms[term] = id
				counts = append(counts, 0)
			}
			ids[k][t] = id
			it := postingIter{p: p.index.post[p.index.off[t]:p.index.off[t+1]]}
			for d, _, ok := it.next(); ok; d, _, ok = it.next() {
				if doc[d] >= 0 {
					counts[id]++
				}
			}
		}
	}
	off := make([]uint32, len(counts)+1)
	for t, c := range counts {
		off[t+1] = off[t] + c
	}
	flat := make([]uint32, off[len(counts)])
	fill := slices.Clone(off[:len(counts)])
	for k, p := range parts {
		doc := moved[p].doc
		for t, id := range ids[k] {
			it := postingIter{p: p.index.post[p.index.off[t]:p.index.off[t+1]]}
			for d, tf, ok := it.next(); ok; d, tf, ok = it.next() {
				if nd := doc[d]; nd >= 0 {
					flat[fill[id]] = uint32(nd)<<8 | tf
					fill[id]++
				}
			}
		}
	}
	// One part's postings stay in order when its articles do.
	inOrder := len(parts) == 1
	if inOrder {
		last := int32(-1)
		for _, nd := range moved[parts[0]].doc {
			if nd >= 0 {
				inOrder = inOrder && nd > last
				last = nd
			}
		}
	}
	if !inOrder {
		for t := range counts {
			slices.Sort(flat[off[t]:off[t+1]])
		}
	}
	ix.encodePostings(flat, off, nil)
	return ix
}

// segCompleter is the title completion data of one segment:
//   - title prefixes by binary search in the titles sorted by text;
//   - word prefixes by binary search in every title word start, sorted by
//     the title's text from there;
//   - substrings (and prefixes too common for the lists above) by
//     candidates from a 256-bit signature of the bytes and byte pairs
//     each title holds, checked against the title.
//
// The signatures are stored bit-sliced: one bitmap over the documents per
// signature bit. A query reads only the bitmaps of its own bits, a few
// bytes per 64 titles each, and finds its candidates in document order
// (newest first), so that it can stop once older titles cannot make its
// answer; reading every title's signature instead costs 32 bytes per
// title, 32 MB for a million.
//
// Titles are lowercased into one string, so that a title costs its bytes
// and an offset rather than a string of its own.
type segCompleter struct {
	lower   string
	off     []uint32 // title d is lower[off[d]:off[d+1]]
	words   int      // uint64 words of a bitmap: one bit per document
	sigBits []uint64 // bit b of the signatures is sigBits[b*words:(b+1)*words]
	byTitle []int32  // documents sorted by title
	byWord  []uint32 // doc<<16 | offset of a word start in its title (at most segmentMax·mergeFactor/2 documents, titles cut at 64 KiB), sorted by the text from there
	// titleKeys and wordKeys sample byTitle and byWord (see keySample),
	// so that a lookup compares few texts: a library of a million
	// articles is a hundred segments, each looked up in.
	titleKeys, wordKeys []uint64
}

// titleStep and wordStep are how many entries of byTitle and byWord a
// key sample stands for: a title lookup, the one every completion makes,
// compares about log2(titleStep) titles; byWord is eight times as long,
// and looked up only when titles starting with the query are few.
const (
	titleStep = 8
	wordStep  = 32
)

// keySample returns the textPrefix of every step-th of n sorted texts.
func keySample(n, step int, text func(i int) string) []uint64 {
	keys := make([]uint64, (n+step-1)/step)
	for j := range keys {
		keys[j] = textPrefix(text(j * step))
	}
	return keys
}

// sampledRange returns the bounds of the texts starting with p among n
// sorted texts of which keys samples every step-th: the samples bound
// where those texts can be, and only that stretch is searched by its
// texts. A text before p has
// a textPrefix no greater than p's, one starting with p has it between
// p's and p's followed by 0xFF bytes, one after them no less than that.
// When the samples alone show that more than most texts start with p
// (p is shorter than 8 bytes, so a sample in that interval starts with
// it), it returns !ok without searching: the caller looks elsewhere.
func sampledRange(n, step int, text func(i int) string, keys []uint64, p string, most int) (lo, hi int, ok bool) {
	low := textPrefix(p)
	high := low
	for i := len(p); i < 8; i++ {
		high |= 0xFF << (8 * (7 - i))
	}
	a := sortSearch(len(keys), func(j int) bool { return keys[j] >= low })
	b := sortSearch(len(keys), func(j int) bool { return keys[j] > high })
	if len(p) < 8 && (b-1-a)*step+1 > most {
		return 0, 0, false
	}
	from, to := max(0, (a-1)*step+1), min(n, b*step)
	lo = from + sortSearch(to-from, func(i int) bool { return text(from+i) >= p })
	if lo == to || !strings.HasPrefix(text(lo), p) {
		return lo, lo, true
	}
	hi = lo + 1 + sortSearch(to-lo-1, func(i int) bool { return !strings.HasPrefix(text(lo+1+i), p) })
	return lo, hi, true
}

// titleRange returns the bounds of the titles, in byTitle, starting with
// p; !ok when there are more than most (see sampledRange).
func (c *segCompleter) titleRange(p string, most int) (lo, hi int, ok bool) {
	return sampledRange(len(c.byTitle), titleStep, func(i int) string { return c.title(c.byTitle[i]) }, c.titleKeys, p, most)
}

// wordRange returns the bounds of the entries of byWord whose text starts
// with p; !ok when there are more than most (see sampledRange).
func (c *segCompleter) wordRange(p string, most int) (lo, hi int, ok bool) {
	return sampledRange(len(c.byWord), wordStep, func(i int) string { return c.fromWord(c.byWord[i]) }, c.wordKeys, p, most)
}

// sigBitmap returns the bitmap of signature bit b: which titles have it.
func (c *segCompleter) sigBitmap(b int) []uint64 { return c.sigBits[b*c.words : (b+1)*c.words] }

func (c *segCompleter) title(d int32) string { return c.lower[c.off[d]:c.off[d+1]] }

// fromWord returns the text of a byWord entry.
func (c *segCompleter) fromWord(e uint32) string {
	d := int32(e >> 16)
	return c.lower[c.off[d]+e&0xFFFF : c.off[d+1]]
}

func buildSegCompleter(arts []Article) segCompleter {
	n := len(arts)
	words := (n + 63) / 64
	c := segCompleter{off: make([]uint32, n+1), words: words, sigBits: prefault.Slice[uint64](256 * words), byTitle: make([]int32, n)}
	// Lowercased once into a slice, then copied into an exactly sized
	// string (a Builder would keep its spare capacity).
	var buf []byte
	for d := range arts {
		buf = append(buf, lowerTitle(arts[d].Title)...)
		c.off[d+1] = uint32(len(buf))
	}
	c.lower = string(buf)
	// About a word for every six bytes of the titles: grown a doubling at
	// a time, the list was an eighth of building the completion.
	c.byWord = make([]uint32, 0, len(buf)/6+16)
	for d := range n {
		t := c.title(int32(d))
		sig := signature(t)
		for k, w := range sig {
			for w != 0 {
				b := k<<6 | bits.TrailingZeros64(w)
				w &= w - 1
				c.sigBits[b*words+d>>6] |= 1 << (d & 63)
			}
		}
		c.byTitle[d] = int32(d)
		inWord := false
		for i, r := range t {
			if i > 0xFFFF {
				break
			}
			alnum := unicode.IsLetter(r) || unicode.IsDigit(r)
			if alnum && !inWord {
				c.byWord = append(c.byWord, uint32(d)<<16|uint32(i))
			}
			inWord = alnum
		}
	}
	c.byWord = prefault.Clone(c.byWord) // exactly sized: it stays
	sortByText(c.byTitle, func(d int32) string { return c.title(d) })
	sortByText(c.byWord, c.fromWord)
	c.titleKeys = keySample(len(c.byTitle), titleStep, func(i int) string { return c.title(c.byTitle[i]) })
	c.wordKeys = keySample(len(c.byWord), wordStep, func(i int) string { return c.fromWord(c.byWord[i]) })
	return c
}

// sortByText sorts items by their texts, items with one text by number.
// A segment's titles and title words are tens of thousands of texts to
// sort: they are sorted eight bytes at a time, as numbers, a byte at a
// time (no comparisons), and the texts that share those eight bytes by
// the next eight, and so on (see sortTexts).
func sortByText[T int32 | uint32](items []T, text func(T) string) {
	ks := make([]textKey[T], len(items))
	for i, it := range items {
		ks[i] = textKey[T]{textPrefix(text(it)), it}
	}
	if byItem := func(a, b textKey[T]) int { return cmp.Compare(a.item, b.item) }; !slices.IsSortedFunc(ks, byItem) {
		slices.SortFunc(ks, byItem)
	}
	sortTexts(ks, make([]textKey[T], len(ks)), text, 0)
	for i, k := range ks {
		items[i] = k.item
	}
}

// textKey is an item with eight bytes of its text.
type textKey[T int32 | uint32] struct {
	prefix uint64
	item   T
}

// sortTexts sorts ks, in the order of their items and whose texts agree on
// their first at bytes, by the eight bytes after those (their prefix), and
// then each run that agrees on them by the eight after, with tmp (as long
// as ks) for scratch. A small run is compared whole.
func sortTexts[T int32 | uint32](ks, tmp []textKey[T], text func(T) string, at int) {
	rest := func(k textKey[T]) string {
		if t := text(k.item); len(t) > at {
			return t[at:]
		}
		return ""
	}
	if len(ks) < 32 {
		slices.SortFunc(ks, func(a, b textKey[T]) int {
			return cmp.Or(strings.Compare(rest(a), rest(b)), cmp.Compare(a.item, b.item))
		})
		return
	}
	// A stable sort by prefix, a byte at a time: items of one prefix
	// stay in their order.
	var counts [8][256]int
	for _, k := range ks {
		for d := range counts {
			counts[d][byte(k.prefix>>(8*d))]++
		}
	}
	src, dst := ks, tmp[:len(ks)]
	for d := range counts {
		c := &counts[d]
		if c[byte(src[0].prefix>>(8*d))] == len(src) {
			continue
		}
		next := 0
		for i, n := range c {
			c[i] = next
			next += n
		}
		for _, k := range src {
			b := byte(k.prefix >> (8 * d))
			dst[c[b]] = k
			c[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &ks[0] {
		copy(ks, src)
	}
	for i := 0; i < len(ks); {
		j := i + 1
		for j < len(ks) && ks[j].prefix == ks[i].prefix {
			j++
		}
		if j-i > 1 {
			run := ks[i:j]
			longer := false
			for r := range run {
				t := rest(run[r])
				longer = longer || len(t) > 8
				if len(t) > 8 {
					run[r].prefix = textPrefix(t[8:])
				} else {
					run[r].prefix = 0
				}
			}
			if longer {
				sortTexts(run, tmp, text, at+8)
			} else {
				// Every text of the run ends within these eight bytes,
				// which they share but for the zeros that pad the
				// shorter: shorter first, one text in item order.
				slices.SortStableFunc(run, func(a, b textKey[T]) int { return cmp.Compare(len(rest(a)), len(rest(b))) })
			}
		}
		i = j
	}
}

// textPrefix is s's first eight bytes, big-endian, zero-padded: ordered as
// strings.Compare orders s, except that prefixes may tie.
func textPrefix(s string) uint64 {
	var p uint64
	for i := range 8 {
		p <<= 8
		if i < len(s) {
			p |= uint64(s[i])
		}
	}
	return p
}

// hasWordPrefix reports whether a word of the lowercased title t (a run of
// letters and digits) starts with w, itself letters and digits.
func hasWordPrefix(t, w string) bool {
	for i := 0; ; {
		j := strings.Index(t[i:], w)
		if j < 0 {
			return false
		}
		j += i
		if j == 0 || !isWordRuneBefore(t, j) {
			return true
		}
		i = j + 1
	}
}

// isWordRuneBefore reports whether the rune ending at byte i of t is a
// letter or digit.
func isWordRuneBefore(t string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(t[:i])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}
