package briefs

import (
	"encoding/binary"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"newsbrief/internal/prefault"
)

// An index cache keeps the library's segments as they were built (see
// segment): their postings, title completion data and near-duplicate
// index, which a start adopts as they are when every article of a
// segment comes back unchanged. Building them again from each article's
// cached terms was most of a cached start: at a million articles, 9 of
// 15 seconds. A segment some of whose articles do not come back (changed,
// deleted, or not in the library when the cache was written) gives its
// articles that do a segment of their own, made from its postings as a
// merge makes one (see adoptCached).

// cachedSeg is a segment as an index cache kept it, read and checked the
// first time one of its articles is taken (see IndexCache.Article).
type cachedSeg struct {
	// num is the segment's place among the cache's segments; its block
	// is the size bytes at off.
	num       int
	off, size int64

	once    sync.Once
	started atomic.Bool // a load has begun (see IndexCache.Article, which reads ahead)
	ok      bool        // read and checked
	n       int         // articles
	index   segIndex
	dup     dupIndex
	// complete is the segment's title completion data.
	complete segCompleter
	// given holds, per article, the entry it was handed out as (its
	// place in the file, plus one): an entry naming a place another
	// entry took (only a damaged cache has one) is a miss.
	given []atomic.Int64
}

// give tells whether article d may be handed out as the entry at off:
// it was not yet, or was as that entry.
func (cs *cachedSeg) give(d int32, off int64) bool {
	g := &cs.given[d]
	return g.CompareAndSwap(0, off+1) || g.Load() == off+1
}

// encodeSegment appends seg's indexes to cw.buf as a segment block's
// body: global numbers its terms in the cache's dictionary.
func (cw *cacheWriter) encodeSegment(seg *segment, global []uint32) {
	ix, c, d := &seg.index, &seg.complete, &seg.dup
	cw.uvarint(uint64(len(seg.arts)))
	cw.u32s(global)
	cw.u32s(ix.off)
	cw.u32s(ix.n)
	cw.uvarint(uint64(len(ix.post)))
	cw.raw(ix.post)
	cw.u32s(ix.blkOff)
	cw.uvarint(uint64(len(ix.blocks)))
	for _, b := range ix.blocks {
		cw.buf = binary.LittleEndian.AppendUint32(cw.buf, b.last)
		cw.buf = binary.LittleEndian.AppendUint16(cw.buf, b.size)
		cw.buf = binary.LittleEndian.AppendUint16(cw.buf, b.impact)
	}
	cw.i32s(ix.docLen)
	cw.str(c.lower)
	cw.u32s(c.off)
	cw.i32s(c.byTitle)
	cw.u32s(c.byWord)
	cw.u64s(c.sigBits)
	cw.u32s(d.set)
	cw.u32s(d.off)
	cw.u64s(d.boiler)
	cw.uvarint(uint64(len(d.sig)))
	for _, s := range d.sig {
		for _, v := range s {
			cw.buf = binary.LittleEndian.AppendUint32(cw.buf, v)
		}
	}
	cw.i32s(d.day)
	for _, list := range d.bands {
		cw.uvarint(uint64(len(list)))
		for _, v := range list {
			cw.buf = binary.LittleEndian.AppendUint16(cw.buf, v)
		}
	}
}

func (cw *cacheWriter) u32s(xs []uint32) { putArray(cw, xs) }
func (cw *cacheWriter) i32s(xs []int32)  { putArray(cw, xs) }
func (cw *cacheWriter) u64s(xs []uint64) { putArray(cw, xs) }

// putArray writes xs's length and its integers, little-endian (see
// fixedArray).
func putArray[T uint32 | int32 | uint64](cw *cacheWriter, xs []T) {
	cw.uvarint(uint64(len(xs)))
	for _, x := range xs {
		if unsafe.Sizeof(x) == 8 {
			cw.buf = binary.LittleEndian.AppendUint64(cw.buf, uint64(x))
		} else {
			cw.buf = binary.LittleEndian.AppendUint32(cw.buf, uint32(x))
		}
	}
}

// Lender is an index cache's source (see OpenIndexCache) that can lend
// its bytes without copying them: a file mapped into memory. Lend returns
// the n bytes at off, for reading until done is called; reading them
// may fault, should the file shrink meanwhile, which the cache survives
// (the segment is refused). A segment's block, megabytes, is decoded
// from the lent bytes: reading it into a buffer first cost a copy and a
// fault on every page of the buffer.
type Lender interface {
	Lend(off, n int64) (b []byte, done func(), ok bool)
}

// load reads the segment's block from c and checks it (see decode); a
// segment that fails stays !ok, and its articles are read from their
// sources.
func (cs *cachedSeg) load(c *IndexCache) {
	cs.started.Store(true)
	cs.once.Do(func() {
		c.mu.RLock()
		defer c.mu.RUnlock() // Release waits: the source stays open
		if c.src != nil {
			cs.ok = c.withBytes(cs.off, cs.size, func(b []byte) bool { return cs.decode(b, c.dict) })
		}
	})
}

// decode reads a segment block's body and checks everything a query or
// the library could trip on: every length and offset, every posting's
// document, every block's extent, every article number. What it cannot
// check (that postings are the articles' real terms) the checksum of the
// file vouches for.
func (cs *cachedSeg) decode(body []byte, dict *cacheDict) bool {
	r := cacheReader{p: body}
	n := r.uvarint()
	if r.err != nil || n == 0 || n > 1<<16 {
		return false
	}
	cs.n = int(n)
	global := r.u32s()
	terms := len(global)
	ix := segIndex{terms: make(map[string]int32, terms)}
	ix.off, ix.n = r.u32s(), r.u32s()
	post := r.bytes()
	ix.post = prefault.Slice[byte](len(post))
	copy(ix.post, post)
	ix.blkOff = r.u32s()
	nb := r.uvarint()
	if r.err != nil || nb > uint64(len(r.p)-r.off)/8 {
		return false
	}
	ix.blocks = prefault.Slice[postBlock](int(nb))
	for i := range ix.blocks {
		p := r.p[r.off+8*i:]
		ix.blocks[i] = postBlock{last: binary.LittleEndian.Uint32(p), size: binary.LittleEndian.Uint16(p[4:]), impact: binary.LittleEndian.Uint16(p[6:])}
	}
	r.off += 8 * int(nb)
	ix.docLen = r.i32s()
	c := segCompleter{words: (cs.n + 63) / 64}
	// The titles are copied once, into memory no one writes again.
	if lower := r.bytes(); len(lower) > 0 {
		b := prefault.Slice[byte](len(lower))
		copy(b, lower)
		c.lower = unsafe.String(&b[0], len(b))
	}
	c.off, c.byTitle, c.byWord, c.sigBits = r.u32s(), r.i32s(), r.u32s(), r.u64s()
	d := dupIndex{}
	d.set, d.off, d.boiler = r.u32s(), r.u32s(), r.u64s()
	ns := r.uvarint()
	if r.err != nil || ns != n || ns > uint64(len(r.p)-r.off)/(4*dupBands) {
		return false
	}
	d.sig = prefault.Slice[dupSig](int(ns))
	for i := range d.sig {
		for b := range dupBands {
			d.sig[i][b] = binary.LittleEndian.Uint32(r.p[r.off:])
			r.off += 4
		}
	}
	d.day = r.i32s()
	for b := range d.bands {
		m := r.uvarint()
		if r.err != nil || m > n || m > uint64(len(r.p)-r.off)/2 {
			return false
		}
		list := make([]uint16, m)
		for i := range list {
			if list[i] = binary.LittleEndian.Uint16(r.p[r.off:]); uint64(list[i]) >= n {
				return false
			}
			r.off += 2
		}
		d.bands[b] = list
	}
	if r.err != nil || r.off != len(r.p) {
		return false
	}

	// The postings: every list decodes to its count of entries, in
	// ascending documents below n, and its blocks cover it exactly.
	if len(ix.off) != terms+1 || len(ix.n) != terms || len(ix.blkOff) != terms+1 || len(ix.docLen) != cs.n ||
		!offsets(ix.off, len(ix.post)) || !offsets(ix.blkOff, len(ix.blocks)) {
		return false
	}
	for t, g := range global {
		if uint64(g) >= uint64(len(dict.terms)) {
			return false
		}
		if _, dup := ix.terms[dict.terms[g]]; dup {
			return false
		}
		ix.terms[dict.terms[g]] = int32(t)
		if !checkPostings(ix.post[ix.off[t]:ix.off[t+1]], int(ix.n[t]), ix.blocks[ix.blkOff[t]:ix.blkOff[t+1]], uint32(n)) {
			return false
		}
	}
	for _, l := range ix.docLen {
		if l < 0 {
			return false
		}
		ix.sumLen += int64(l)
	}
	ix.impactAvg = 1
	if ix.sumLen > 0 {
		ix.impactAvg = float64(ix.sumLen) / float64(cs.n)
	}

	// Titles: each within the lowercased text, every sorted entry an
	// article's, every word start within its title.
	if len(c.off) != cs.n+1 || !offsets(c.off, len(c.lower)) || len(c.byTitle) != cs.n || len(c.sigBits) != 256*c.words {
		return false
	}
	for _, t := range c.byTitle {
		if t < 0 || int(t) >= cs.n {
			return false
		}
	}
	for _, e := range c.byWord {
		doc := e >> 16
		if uint64(doc) >= n || c.off[doc]+e&0xFFFF > c.off[doc+1] {
			return false
		}
	}
	c.titleKeys = keySample(len(c.byTitle), titleStep, func(i int) string { return c.title(c.byTitle[i]) })
	c.wordKeys = keySample(len(c.byWord), wordStep, func(i int) string { return c.fromWord(c.byWord[i]) })

	// Near-duplicates: each article's bigrams within the set, a boiler
	// bit for each.
	if len(d.off) != cs.n+1 || !offsets(d.off, len(d.set)) || len(d.boiler) != (len(d.set)+63)/64 || len(d.day) != cs.n {
		return false
	}
	cs.index, cs.complete, cs.dup = ix, c, d
	cs.given = make([]atomic.Int64, cs.n)
	return true
}

// offsets tells whether off starts at 0, never falls and ends at end.
func offsets(off []uint32, end int) bool {
	if len(off) == 0 || off[0] != 0 || int(off[len(off)-1]) != end {
		return false
	}
	for i := 1; i < len(off); i++ {
		if off[i] < off[i-1] {
			return false
		}
	}
	return true
}

// checkPostings tells whether p is count postings (see segIndex) of
// ascending documents below docs, with term frequencies 1-255, cut into
// blocks as encodePostings cuts them (none for a short list).
func checkPostings(p []byte, count int, blocks []postBlock, docs uint32) bool {
	blocked := count > postBlockSize
	if !blocked && len(blocks) > 0 || blocked && len(blocks) != (count+postBlockSize-1)/postBlockSize {
		return false
	}
	prev, start := uint64(0), 0
	at := 0
	for k := range count {
		v, m := binary.Uvarint(p[at:])
		if m <= 0 || v&255 == 0 {
			return false
		}
		at += m
		gap := v >> 8
		if k > 0 && gap == 0 {
			return false
		}
		prev += gap
		if prev >= uint64(docs) {
			return false
		}
		if blocked && ((k+1)%postBlockSize == 0 || k == count-1) {
			b := blocks[k/postBlockSize]
			if uint64(b.last) != prev || int(b.size) != at-start {
				return false
			}
			start = at
		}
	}
	return at == len(p)
}

func (r *cacheReader) u32s() []uint32 { return fixedArray[uint32](r) }
func (r *cacheReader) i32s() []int32  { return fixedArray[int32](r) }
func (r *cacheReader) u64s() []uint64 { return fixedArray[uint64](r) }

// fixedArray reads a length and that many little-endian integers of T's
// size. On a little-endian machine (every one Go runs the bot on but
// s390x) that is one copy of the bytes; a segment's block is mostly such
// arrays, and decoding them one integer at a time was a fifth of reading
// the cache.
func fixedArray[T uint32 | int32 | uint64](r *cacheReader) []T {
	size := int(unsafe.Sizeof(T(0)))
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.p)-r.off)/uint64(size) {
		r.err = errCacheShort
		return nil
	}
	out := prefault.Slice[T](int(n))
	src := r.p[r.off : r.off+int(n)*size]
	r.off += len(src)
	if littleEndian && n > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), len(src)), src)
		return out
	}
	for i := range out {
		if size == 8 {
			out[i] = T(binary.LittleEndian.Uint64(src[8*i:]))
		} else {
			out[i] = T(binary.LittleEndian.Uint32(src[4*i:]))
		}
	}
	return out
}

// littleEndian tells whether this machine keeps integers as the cache
// does.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// claim gathers the articles one Replace took from one cached segment,
// each at its place there; a second article at a place (only a damaged
// cache gives one) starts another claim.
type claim struct {
	cs    *cachedSeg
	arts  []Article
	links []storyLink
	count int
}

// claims groups the cached articles of one Replace by the segment the
// cache kept them in.
type claims struct {
	by    map[*cachedSeg][]*claim
	order []*claim
}

// divert adds the articles of arts taken from a cache and returns the
// others, in arts' place.
func (c *claims) divert(arts []Article) []Article {
	out := arts[:0]
	for _, a := range arts {
		if a.tok != nil {
			c.add(a)
		} else {
			out = append(out, a)
		}
	}
	clear(arts[len(out):])
	return out
}

// add takes a, an article taken from a cache (a.tok set).
func (c *claims) add(a Article) {
	tk := a.tok
	a.tok = nil
	var cl *claim
	for _, x := range c.by[tk.seg] {
		if x.arts[tk.doc].ID == "" {
			cl = x
			break
		}
	}
	if cl == nil {
		if c.by == nil {
			c.by = map[*cachedSeg][]*claim{}
		}
		cl = &claim{cs: tk.seg, arts: prefault.Slice[Article](tk.seg.n), links: prefault.Slice[storyLink](tk.seg.n)}
		c.by[tk.seg] = append(c.by[tk.seg], cl)
		c.order = append(c.order, cl)
	}
	cl.arts[tk.doc], cl.links[tk.doc] = a, tk.story
	cl.count++
}

// adoptAll makes the library's segments of the claims (see adoptCached),
// in the order the cache kept them, on all cores.
func (l *Library) adoptAll(c *claims) []*segment {
	if len(c.order) == 0 {
		return nil
	}
	slices.SortStableFunc(c.order, func(a, b *claim) int { return a.cs.num - b.cs.num })
	out := make([]*segment, len(c.order))
	first := make([]uint64, len(c.order))
	for i, cl := range c.order {
		first[i] = l.nextUID.Add(uint64(cl.count)) - uint64(cl.count)
	}
	parallel(len(out), func(i int) { out[i] = adoptCached(c.order[i], first[i]) })
	return out
}

// adoptCached makes a segment of the articles cl took from a cached
// segment, numbered from first: the cached segment itself when it took
// every one, in order; else a segment of those it took, made from the
// cached one's indexes as a merge makes one.
func adoptCached(cl *claim, first uint64) *segment {
	cs := cl.cs
	sorted := true
	var src []segDoc
	whole := &segment{arts: cl.arts, uid: make([]uint64, cs.n), index: cs.index, dup: cs.dup}
	for d := range cl.arts {
		if cl.arts[d].ID == "" {
			continue
		}
		if k := len(src); k > 0 && cmpArticles(&cl.arts[src[k-1].doc], &cl.arts[d]) > 0 {
			sorted = false
		}
		src = append(src, segDoc{whole, int32(d)})
	}
	if !sorted {
		slices.SortFunc(src, func(a, b segDoc) int { return cmpArticles(&a.seg.arts[a.doc], &b.seg.arts[b.doc]) })
	}
	for i, x := range src {
		whole.uid[x.doc] = first + uint64(i)
	}
	if sorted && len(src) == cs.n {
		s := bareSegment(cl.arts, whole.uid)
		s.index, s.complete, s.dup = cs.index, cs.complete, cs.dup
		s.liveLen = s.index.sumLen
		s.links = cl.links
		return s
	}
	doc := make([]int32, cs.n)
	for i := range doc {
		doc[i] = -1
	}
	for i, x := range src {
		doc[x.doc] = int32(i)
	}
	moved := map[*segment]merged{whole: {doc: doc}}
	s := mergeSegments([]*segment{whole}, src, moved)
	s.links = make([]storyLink, len(src))
	for i, x := range src {
		s.links[i] = cl.links[x.doc]
	}
	return s
}

// parallel calls fn(i) for every i below n on all cores.
func parallel(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}
