package briefs

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/maphash"
	"io"
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// An index cache keeps, for each article of a library, its fields and its
// place in the library's segments, and the segments themselves as they
// were built (see cacheseg.go). A restart hands the cache to its sources;
// a source whose file or item has not changed since (the same Stamp)
// takes the cached article instead of reading and parsing it, and the
// library adopts the cached segments instead of indexing the text.
// Start-up then reads and indexes only what changed, which is most of
// what starting a library of a hundred thousand articles costs.
//
// The cache is an optimization and never the truth: an article whose stamp
// differs, or which the cache lacks, is read from its source; a cache that
// is damaged, cut short or written by another version of the indexing
// rules is refused whole (ReadIndexCache), and the library is built from
// the sources; a segment block that fails its checks makes its articles
// misses. It suits a library made WithBodies, which keeps no bodies:
// cached articles come without one, as such a library holds them anyway.

// indexRules versions what a cache entry is derived by: tokenizing,
// normalizing terms, title weight, the near-duplicate bigrams and their
// boilerplate filter, the order of the title completion's texts. Change
// it with any of them, so that caches written under the old rules are
// refused rather than mixed with new ones. 3: titles and title words that
// read alike go by number in the completion's sorted lists.
const indexRules = 3

// cacheFormat versions the file layout itself. 2: an entry ends with its
// number and its story's (see storyLink). 3: the segments are kept, and
// an entry names its segment and place there instead of its terms.
const cacheFormat = 3

var cacheMagic = [4]byte{'N', 'B', 'I', 'X'}

// Block tags of the cache file.
const (
	tagEnd     = 0
	tagTerms   = 1
	tagEntry   = 2
	tagSegment = 3
)

// ErrBadIndexCache is wrapped by ReadIndexCache's errors for data that is
// not a cache it can use: damaged, cut short, or of other indexing rules.
var ErrBadIndexCache = errors.New("not a usable index cache")

// cacheDict is a cache's terms, numbered in the order it lists them: the
// one dictionary its articles' terms are numbers in. entries counts the
// cache's articles, for the library to tell whether a batch of articles
// is exactly the cache's (see cachedPairs).
type cacheDict struct {
	terms   []string
	entries int

	// zones holds the time zones of the cache's dates, by name and
	// offset: one of each, where a zone per article took a hundred
	// bytes of every article of a feed dated with an offset.
	zonesMu sync.RWMutex
	zones   map[string]map[int]*time.Location
}

// zone returns the zone named name at offset seconds east of UTC.
func (d *cacheDict) zone(name []byte, offset int) *time.Location {
	d.zonesMu.RLock()
	loc := d.zones[string(name)][offset]
	d.zonesMu.RUnlock()
	if loc != nil {
		return loc
	}
	d.zonesMu.Lock()
	defer d.zonesMu.Unlock()
	if d.zones == nil {
		d.zones = map[string]map[int]*time.Location{}
	}
	byOffset := d.zones[string(name)]
	if byOffset == nil {
		byOffset = map[int]*time.Location{}
		d.zones[string(name)] = byOffset
	}
	if loc = byOffset[offset]; loc == nil {
		loc = time.FixedZone(string(name), offset)
		byOffset[offset] = loc
	}
	return loc
}

// cachedTokens is where a cached article's indexing is, attached to an
// Article taken from an IndexCache for the library to adopt (see
// claims): its segment as the cache kept it, its place there, and its
// story.
type cachedTokens struct {
	seg   *cachedSeg
	doc   int32
	story storyLink
}

// storyLink is where the index cache kept an article: the entry's number
// among the cache's articles and that of the first of its story (itself
// when it is the first, or alone). With every article of a start taken
// from one cache, the stories are these, as they were grouped when the
// cache was written, and a start groups nothing (see cachedPairs).
type storyLink struct {
	dict       *cacheDict // nil: the article was not taken from a cache
	ord, first uint32
}

// IndexCache is a read index cache (see ReadIndexCache). Article is safe
// for concurrent use; Release lets go of its data once a start is done.
//
// It holds the cache's dictionary and where each entry is, not the
// entries: Article reads an entry when it is asked for it. At a million
// articles the file is over half a gigabyte, which a start would
// otherwise hold (and the garbage collector count twice) while it builds
// the library beside it.
type IndexCache struct {
	mu   sync.RWMutex
	src  io.ReaderAt
	dict *cacheDict
	// entries finds an entry by a hash of its key (see keyHash): its
	// place in src (see entrySpan). A million string keys would cost a
	// hundred megabytes and much of reading the cache; a hash costs
	// eight bytes, and the entry itself says whether it is the one asked
	// for. Keys whose hash another key took are in spill.
	seed    maphash.Seed
	entries map[uint64]uint64
	spill   map[string]uint64
	hits    atomic.Int64
	// segs are the cache's segments, read when first asked for.
	segs []*cachedSeg
}

// An entry's place in the file: its offset (from the size that starts
// it) in the high 40 bits, its length, size included, in the low 24. An
// entry too large for them is left out of the cache's index: its article
// is read from its source.
const spanBits = 24

func entrySpan(off, n int64) (uint64, bool) {
	if n >= 1<<spanBits || off >= 1<<(64-spanBits) {
		return 0, false
	}
	return uint64(off)<<spanBits | uint64(n), true
}

// keyHash hashes the key by which a source finds an article in the cache:
// its origin and its place there, the file or the item identity, laid
// out as an entry starts (see appendKey).
func (c *IndexCache) keyHash(origin, file, ref string) uint64 {
	var buf [256]byte
	return maphash.Bytes(c.seed, appendKey(buf[:0], origin, file, ref))
}

// appendKey lays out an entry's key as the entry does: each string's
// length, then its bytes.
func appendKey(b []byte, origin, file, ref string) []byte {
	for _, s := range [...]string{origin, file, ref} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// ReadIndexCache reads a cache written by WriteIndexCache from data (see
// OpenIndexCache).
func ReadIndexCache(data []byte) (*IndexCache, error) {
	return OpenIndexCache(bytes.NewReader(data), int64(len(data)))
}

// OpenIndexCache reads a cache written by WriteIndexCache, of size bytes,
// from src. It checks the whole of it (its checksum, its layout, its
// indexing rules) and refuses it with an error wrapping ErrBadIndexCache
// when anything is wrong; the caller then builds the library without it.
// The cache reads its articles from src as they are asked for, until
// Release, which closes src when it is an io.Closer.
func OpenIndexCache(src io.ReaderAt, size int64) (*IndexCache, error) {
	return openIndexCache(src, size, true)
}

// badCache is an error of ReadIndexCache: ErrBadIndexCache, and why.
func badCache(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadIndexCache}, args...)...)
}

// streamReader reads the cache's layout from a stream, counting its
// offset and remembering the first error.
type streamReader struct {
	r   *bufio.Reader
	off int64
	end int64
	err error
}

func (r *streamReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *streamReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	var v uint64
	for shift := uint(0); ; shift += 7 {
		c := r.byte()
		if r.err != nil || shift > 63 {
			r.fail(errCacheShort)
			return 0
		}
		v |= uint64(c&0x7F) << shift
		if c < 0x80 {
			return v
		}
	}
}

func (r *streamReader) byte() byte {
	if r.err != nil {
		return 0
	}
	c, err := r.r.ReadByte()
	if err != nil {
		r.fail(errCacheShort)
		return 0
	}
	r.off++
	return c
}

// bytes reads a length and that many bytes into buf, which it returns.
func (r *streamReader) bytes(buf []byte) []byte {
	n := r.uvarint()
	if r.err != nil {
		return buf[:0]
	}
	if r.off > r.end || n > uint64(r.end-r.off) {
		r.fail(errCacheShort)
		return buf[:0]
	}
	buf = slices.Grow(buf[:0], int(n))[:n]
	if _, err := io.ReadFull(r.r, buf); err != nil {
		r.fail(errCacheShort)
		return buf[:0]
	}
	r.off += int64(n)
	return buf
}

func (r *streamReader) skip(n int64) {
	if r.err != nil {
		return
	}
	if _, err := r.r.Discard(int(n)); err != nil {
		r.fail(errCacheShort)
		return
	}
	r.off += n
}

// openIndexCache is OpenIndexCache, checking the checksum when verify is
// set: the fuzz test leaves it out, so that its inputs need not carry a
// valid one.
func openIndexCache(src io.ReaderAt, size int64, verify bool) (c *IndexCache, err error) {
	bad := badCache
	if size < int64(len(cacheMagic))+4 {
		return nil, bad("no index cache header")
	}
	body := size - 4
	// The checksum is summed on a core of its own while the layout is
	// read on this one: at a million articles each is about half of a
	// start's first second, which nothing else can use.
	var summed chan bool
	if verify {
		summed = make(chan bool, 1)
		go func() { summed <- checksumOK(src, body) }()
	}
	in := io.NewSectionReader(src, 0, body)
	r := &streamReader{r: bufio.NewReaderSize(in, int(min(body, 1<<20))), end: body}
	defer func() {
		// A cache cut short or damaged is named so, whatever its
		// layout then looked like.
		if verify && !<-summed {
			c, err = nil, bad("checksum mismatch (damaged or cut short)")
		}
	}()
	var magic [4]byte
	for i := range magic {
		magic[i] = r.byte()
	}
	if r.err != nil || magic != cacheMagic {
		return nil, bad("no index cache header")
	}
	if f := r.uvarint(); f != cacheFormat {
		return nil, bad("format %d, want %d", f, cacheFormat)
	}
	if v := r.uvarint(); v != indexRules {
		return nil, bad("written under indexing rules %d, these are %d", v, indexRules)
	}
	c = &IndexCache{src: src, dict: &cacheDict{}, seed: maphash.MakeSeed(), entries: make(map[uint64]uint64, body/512)}
	var buf, key []byte
	for r.err == nil {
		switch tag := r.byte(); tag {
		case tagEnd:
			if r.err != nil {
				return nil, bad("%v", r.err)
			}
			if r.off != body {
				return nil, bad("%d bytes after the end", body-r.off)
			}
			c.dict.entries = len(c.entries) + len(c.spill)
			return c, nil
		case tagTerms:
			n := r.uvarint()
			if n > uint64(body) {
				return nil, bad("%d terms in a block", n)
			}
			for range n {
				buf = r.bytes(buf)
				c.dict.terms = append(c.dict.terms, string(buf))
			}
		case tagEntry:
			at := r.off
			n := r.uvarint()
			start := r.off
			if n > uint64(body-start) {
				return nil, bad("an entry of %d bytes runs past the end", n)
			}
			end := r.end
			r.end = start + int64(n)
			key = key[:0]
			for range 3 {
				buf = r.bytes(buf)
				key = binary.AppendUvarint(key, uint64(len(buf)))
				key = append(key, buf...)
			}
			r.end = end
			if r.err != nil {
				return nil, bad("an entry's key: %v", r.err)
			}
			r.skip(start + int64(n) - r.off)
			span, ok := entrySpan(at, r.off-at)
			if !ok {
				continue
			}
			h := maphash.Bytes(c.seed, key)
			if prev, ok := c.entries[h]; !ok || c.entryKey(prev) == string(key) {
				c.entries[h] = span // the last of one key's entries counts
			} else {
				if c.spill == nil {
					c.spill = map[string]uint64{}
				}
				c.spill[string(key)] = span
			}
		case tagSegment:
			n := r.uvarint()
			if n > uint64(body-r.off) {
				return nil, bad("a segment of %d bytes runs past the end", n)
			}
			c.segs = append(c.segs, &cachedSeg{num: len(c.segs), off: r.off, size: int64(n)})
			r.skip(int64(n))
		default:
			if r.err == nil {
				return nil, bad("unknown block %d at byte %d", tag, r.off-1)
			}
		}
	}
	return nil, bad("%v", r.err)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksumOK reports whether the body bytes of src, a cache, sum to the
// checksum that follows them.
func checksumOK(src io.ReaderAt, body int64) bool {
	crc := crc32.New(castagnoli)
	if _, err := io.CopyBuffer(crc, io.NewSectionReader(src, 0, body), make([]byte, min(body, 1<<20))); err != nil {
		return false
	}
	var sum [4]byte
	_, err := src.ReadAt(sum[:], body)
	return err == nil && binary.LittleEndian.Uint32(sum[:]) == crc.Sum32()
}

// entry reads the entry at span from src; nil when it cannot.
func (c *IndexCache) entry(span uint64) []byte {
	off, n := int64(span>>spanBits), int64(span&(1<<spanBits-1))
	buf := make([]byte, n)
	if _, err := c.src.ReadAt(buf, off); err != nil {
		return nil
	}
	return buf
}

// entryKey returns the key of the entry at span, laid out as appendKey
// does.
func (c *IndexCache) entryKey(span uint64) string {
	e := c.entry(span)
	r := cacheReader{p: e}
	r.uvarint()
	start := r.off
	r.bytes()
	r.bytes()
	r.bytes()
	if r.err != nil {
		return ""
	}
	return string(e[start:r.off])
}

// Len returns how many articles the cache holds.
func (c *IndexCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries) + len(c.spill)
}

// Hits returns how many articles Article has handed out.
func (c *IndexCache) Hits() int {
	if c == nil {
		return 0
	}
	return int(c.hits.Load())
}

// Release lets go of the cache's data: from then on Article finds nothing.
// A start releases its cache once its sources are loaded, so that the
// cache does not stay in memory beside the library built from it.
func (c *IndexCache) Release() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.src.(io.Closer); ok {
		cl.Close()
	}
	c.src, c.dict, c.entries, c.spill, c.segs = nil, nil, nil, nil, nil
}

// Article returns the cached article at file (an article file's path in
// its folder) or ref (a feed item's identity) of origin, when the cache
// holds it under stamp: the version of its source (see Article.Stamp).
// The article comes without a body, carrying its indexing for the library
// to use when the article is added. A nil cache finds nothing; so does an
// entry that turns out damaged.
func (c *IndexCache) Article(origin, file, ref, stamp string) (Article, bool) {
	if c == nil || stamp == "" {
		return Article{}, false
	}
	h := c.keyHash(origin, file, ref)
	c.mu.RLock()
	off, ok := c.entries[h]
	if c.spill != nil {
		var buf [256]byte
		if o, spilt := c.spill[string(appendKey(buf[:0], origin, file, ref))]; spilt {
			off, ok = o, true
		}
	}
	var a Article
	var seg uint64
	if ok {
		a, seg, ok = c.decodeAt(off, origin, file, ref, stamp)
	}
	segs := c.segs
	c.mu.RUnlock()
	if !ok || seg >= uint64(len(segs)) {
		return Article{}, false
	}
	cs := segs[seg]
	cs.load(c)
	// The sources ask for the articles about in the order they were
	// written: the next segment is read meanwhile.
	if seg+1 < uint64(len(segs)) && segs[seg+1].started.CompareAndSwap(false, true) {
		go segs[seg+1].load(c)
	}
	if !cs.ok || int(a.tok.doc) >= cs.n || !cs.give(a.tok.doc, int64(off>>spanBits)) {
		return Article{}, false
	}
	a.tok.seg = cs
	c.hits.Add(1)
	return a, true
}

// decodeAt decodes the entry at span (see decodeEntry). The caller holds
// c.mu.
func (c *IndexCache) decodeAt(span uint64, origin, file, ref, stamp string) (a Article, seg uint64, ok bool) {
	c.withBytes(int64(span>>spanBits), int64(span&(1<<spanBits-1)), func(b []byte) bool {
		a, seg, ok = decodeEntry(b, 0, c.dict, origin, file, ref, stamp)
		return ok
	})
	return a, seg, ok
}

// withBytes calls fn with the n bytes at off of the cache's source and
// returns what fn returns, false when they cannot be read. A source that
// lends its bytes (a mapped file, see Lender) lends them: no copy and no
// garbage, a million entries and megabytes of segments at a start; a
// fault reading them (the file cut short under the mapping) is false.
// The caller holds c.mu, and c.src is open.
func (c *IndexCache) withBytes(off, n int64, fn func(b []byte) bool) (ok bool) {
	if l, lends := c.src.(Lender); lends {
		if b, done, lent := l.Lend(off, n); lent {
			defer done()
			defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
			defer func() {
				if recover() != nil {
					ok = false
				}
			}()
			return fn(b)
		}
	}
	buf := make([]byte, n)
	if _, err := c.src.ReadAt(buf, off); err != nil {
		return false
	}
	return fn(buf)
}

// decodeEntry decodes the entry at off, if it is the entry of origin, file
// and ref and its stamp is stamp, checking every length so that no data
// can make indexing fail; it returns the number of the article's segment,
// its place there in a.tok. The article shares the strings it was asked
// with.
func decodeEntry(body []byte, off int, dict *cacheDict, origin, file, ref, stamp string) (_ Article, seg uint64, _ bool) {
	r := cacheReader{p: body, off: off}
	size := r.uvarint()
	if r.err != nil || size > uint64(len(body)-r.off) {
		return Article{}, 0, false
	}
	r.p = body[:r.off+int(size)]
	if string(r.bytes()) != origin || string(r.bytes()) != file || string(r.bytes()) != ref ||
		string(r.bytes()) != stamp || r.err != nil {
		return Article{}, 0, false
	}
	a := Article{Origin: origin, File: file, Ref: ref, Stamp: stamp}
	// The ID, title, address and picture share one allocation: a
	// million articles taken at a start are a million of them, not four.
	var fields [4][]byte
	var b strings.Builder
	for i := range fields {
		fields[i] = r.bytes()
	}
	b.Grow(len(fields[0]) + len(fields[1]) + len(fields[2]) + len(fields[3]))
	for _, f := range fields {
		b.Write(f)
	}
	all, at := b.String(), 0
	for i, f := range [...]*string{&a.ID, &a.Title, &a.URL, &a.Image} {
		*f = all[at : at+len(fields[i])]
		at += len(fields[i])
	}
	sec, nsec := int64(r.uvarint()), r.uvarint()
	zone, offset := r.bytes(), int64(r.uvarint())
	if nsec >= 1e9 || offset < -24*3600 || offset > 24*3600 {
		return Article{}, 0, false
	}
	a.Date = time.Unix(sec, int64(nsec))
	if string(zone) == "UTC" && offset == 0 {
		a.Date = a.Date.UTC()
	} else {
		a.Date = a.Date.In(dict.zone(zone, int(offset)))
	}
	a.Dated = r.byte() == 1
	a.Words = int(r.uvarint())
	seg, doc := r.uvarint(), r.uvarint()
	ord, gap := r.uvarint(), r.uvarint()
	if ord > math.MaxUint32 || gap > ord || doc >= 1<<16 {
		return Article{}, 0, false
	}
	if r.err != nil || r.off != len(r.p) || a.ID == "" {
		return Article{}, 0, false
	}
	a.tok = &cachedTokens{doc: int32(doc), story: storyLink{dict: dict, ord: uint32(ord), first: uint32(ord - gap)}}
	return a, seg, true
}

// cacheReader decodes the cache's layout, remembering the first error.
type cacheReader struct {
	p   []byte
	off int
	err error
}

var errCacheShort = errors.New("cut short")

func (r *cacheReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.p[r.off:])
	if n <= 0 {
		r.err = errCacheShort
		return 0
	}
	r.off += n
	return v
}

func (r *cacheReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.p) {
		r.err = errCacheShort
		return 0
	}
	r.off++
	return r.p[r.off-1]
}

func (r *cacheReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.p)-r.off) {
		r.err = errCacheShort
		return nil
	}
	b := r.p[r.off : r.off+int(n)]
	r.off += int(n)
	return b
}

// WriteIndexCache writes every article of the library that has a Stamp
// and a place in its source (File or Ref), with the segments that index
// them, for ReadIndexCache at the next start. It reads the
// library's current state and may run while the library is used and
// changed. It writes segment by segment, so it holds little besides the
// library.
func (l *Library) WriteIndexCache(w io.Writer) error {
	s := l.snap.Load()
	cw := &cacheWriter{w: bufio.NewWriterSize(w, 1<<16), crc: crc32.New(castagnoli), dict: map[string]uint32{}}
	cw.raw(cacheMagic[:])
	cw.uvarint(cacheFormat)
	cw.uvarint(indexRules)
	cw.flushBuf()
	cw.firstOfStory(s)
	for i, seg := range s.segs {
		cw.segment(seg, s.pos[i], s.story)
		if cw.err != nil {
			return cw.err
		}
	}
	cw.buf = append(cw.buf, tagEnd)
	cw.flushBuf()
	if cw.err != nil {
		return cw.err
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], cw.crc.Sum32())
	if _, err := cw.w.Write(sum[:]); err != nil {
		return err
	}
	return cw.w.Flush()
}

// cacheWriter writes the cache's layout: buf gathers a block, flushBuf
// adds it to the checksum and the output.
type cacheWriter struct {
	w    *bufio.Writer
	crc  hash.Hash32
	buf  []byte
	dict map[string]uint32
	err  error
	// ord numbers the entries as they are written; first is the number
	// of each story's first entry (see storyLink).
	ord   uint32
	first []uint32
	// segs counts the segment blocks written; block is the buffer of
	// the one being written.
	segs  uint64
	block []byte
}

// cached tells whether article d of a segment goes into the cache: it is
// in the library (pos[d] ≥ 0) and its source can find it again.
func cached(a *Article, pos int32) bool {
	return pos >= 0 && a.Stamp != "" && (a.File != "" || a.Ref != "")
}

// firstOfStory numbers the entries as segment will write them, and notes
// each story's first.
func (cw *cacheWriter) firstOfStory(s *snapshot) {
	const none = math.MaxUint32
	cw.first = make([]uint32, len(s.heads))
	for i := range cw.first {
		cw.first[i] = none
	}
	ord := uint32(0)
	for i, seg := range s.segs {
		for d := range seg.arts {
			if p := s.pos[i][d]; cached(&seg.arts[d], p) {
				if f := &cw.first[s.story[p]]; *f == none {
					*f = ord
				}
				ord++
			}
		}
	}
}

func (cw *cacheWriter) raw(b []byte)     { cw.buf = append(cw.buf, b...) }
func (cw *cacheWriter) uvarint(v uint64) { cw.buf = binary.AppendUvarint(cw.buf, v) }
func (cw *cacheWriter) str(s string) {
	cw.uvarint(uint64(len(s)))
	cw.buf = append(cw.buf, s...)
}

func (cw *cacheWriter) flushBuf() {
	cw.write(cw.buf)
	cw.buf = cw.buf[:0]
}

// write adds b to the checksum and the output.
func (cw *cacheWriter) write(b []byte) {
	if cw.err == nil {
		cw.crc.Write(b)
		_, cw.err = cw.w.Write(b)
	}
}

// segment writes the segment's articles in the library (pos ≥ 0) that
// have a stamp: first a block of the terms not written yet, then the
// segment's block, whole, then an entry per article naming its place
// there. A segment with none is left out.
func (cw *cacheWriter) segment(seg *segment, pos, story []int32) {
	n := len(seg.arts)
	keep := make([]bool, n)
	some := false
	for d := range n {
		keep[d] = cached(&seg.arts[d], pos[d])
		some = some || keep[d]
	}
	if !some {
		return
	}
	ix := &seg.index
	// The segment's terms by number, and their numbers in the cache.
	names := make([]string, len(ix.n))
	for term, t := range ix.terms {
		names[t] = term
	}
	global := make([]uint32, len(names))
	var fresh []string
	for t, name := range names {
		id, ok := cw.dict[name]
		if !ok {
			id = uint32(len(cw.dict))
			cw.dict[name] = id
			fresh = append(fresh, name)
		}
		global[t] = id
	}
	if len(fresh) > 0 {
		cw.buf = append(cw.buf, tagTerms)
		cw.uvarint(uint64(len(fresh)))
		for _, name := range fresh {
			cw.str(name)
		}
		cw.flushBuf()
	}
	block := cacheWriter{buf: cw.block[:0]}
	block.encodeSegment(seg, global)
	cw.block = block.buf
	cw.buf = append(cw.buf, tagSegment)
	cw.uvarint(uint64(len(block.buf)))
	cw.flushBuf()
	cw.write(block.buf)
	num := cw.segs
	cw.segs++

	var entry []byte
	for d := range n {
		if !keep[d] {
			continue
		}
		a := &seg.arts[d]
		e := cacheWriter{buf: entry[:0]}
		e.str(a.Origin)
		e.str(a.File)
		e.str(a.Ref)
		e.str(a.Stamp)
		e.str(a.ID)
		e.str(a.Title)
		e.str(a.URL)
		e.str(a.Image)
		zone, offset := a.Date.Zone()
		e.uvarint(uint64(a.Date.Unix()))
		e.uvarint(uint64(a.Date.Nanosecond()))
		e.str(zone)
		e.uvarint(uint64(int64(offset)))
		if a.Dated {
			e.buf = append(e.buf, 1)
		} else {
			e.buf = append(e.buf, 0)
		}
		e.uvarint(uint64(max(a.Words, 0)))
		e.uvarint(num)
		e.uvarint(uint64(d))
		e.uvarint(uint64(cw.ord))
		e.uvarint(uint64(cw.ord - cw.first[story[pos[d]]]))
		cw.ord++
		entry = e.buf
		cw.buf = append(cw.buf, tagEntry)
		cw.uvarint(uint64(len(entry)))
		cw.raw(entry)
		cw.flushBuf()
		if cw.err != nil {
			return
		}
	}
}
