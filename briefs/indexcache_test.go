package briefs

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// cacheFixture is the evaluation sets' articles under two origins, each
// with a place in its source (File) and a stamp, and the bodies a
// library made WithBodies reads back.
func cacheFixture(t testing.TB) (map[string][]Article, Bodies) {
	t.Helper()
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, time.FixedZone("EST", -5*3600))
	origins := map[string][]Article{
		"cnn": readStories(t, filepath.Join(evalDir, "cnn-dev", "articles"), "cnn-", day),
		"bbc": readStories(t, filepath.Join(evalDir, "bbc-dev", "articles"), "bbc-", day),
	}
	bodies := map[string][]string{}
	for o, arts := range origins {
		for i := range arts {
			a := &arts[i]
			a.Origin, a.File, a.Stamp = o, a.ID+".txt", fmt.Sprintf("v1:%d", i)
			if i%3 == 0 {
				a.File, a.Ref, a.URL, a.Image = "", "guid-"+a.ID, "https://example.com/"+a.ID, "https://example.com/"+a.ID+".jpg"
			}
			a.Dated = i%2 == 0
			bodies[a.ID] = a.Paragraphs
		}
	}
	return origins, BodiesFunc(func(_ context.Context, a Article) ([]string, error) {
		p, ok := bodies[a.ID]
		if !ok {
			return nil, errors.New("no body")
		}
		return p, nil
	})
}

// seqOf yields the articles of every origin, in a fixed order.
func seqOf(origins map[string][]Article) func(func(Article) bool) {
	return func(yield func(Article) bool) {
		for _, o := range []string{"bbc", "cnn"} {
			for _, a := range origins[o] {
				if !yield(a) {
					return
				}
			}
		}
	}
}

// TestIndexCacheRebuildsTheSameLibrary: a library built from the cache,
// without reading a single body, answers exactly as the one built from the
// text did: the same stories (near-duplicates grouped alike), the same
// search hits with the same scores, the same completions and fields.
func TestIndexCacheRebuildsTheSameLibrary(t *testing.T) {
	origins, bodies := cacheFixture(t)
	fresh := New(WithBodies(bodies))
	fresh.ReplaceSeq([]string{"bbc", "cnn"}, seqOf(origins))
	c := cacheOf(t, fresh)
	if c.Len() != fresh.Len() {
		t.Fatalf("the cache holds %d articles, the library %d", c.Len(), fresh.Len())
	}
	cached := map[string][]Article{}
	for o, arts := range origins {
		for _, a := range arts {
			got, ok := c.Article(a.Origin, a.File, a.Ref, a.Stamp)
			if !ok {
				t.Fatalf("%s (%s) not in the cache", a.ID, o)
			}
			if got.Paragraphs != nil || got.tok == nil {
				t.Fatalf("%s: a cached article comes with its indexing and no body", a.ID)
			}
			cached[o] = append(cached[o], got)
		}
	}
	if c.Hits() != fresh.Len() {
		t.Errorf("Hits = %d, want %d", c.Hits(), fresh.Len())
	}
	indexing := true
	again := New(WithBodies(BodiesFunc(func(ctx context.Context, a Article) ([]string, error) {
		if indexing {
			t.Error("the library built from the cache read a body while indexing")
		}
		return bodies.Body(ctx, a) // for search snippets
	})))
	again.ReplaceSeq([]string{"bbc", "cnn"}, seqOf(cached))
	indexing = false
	sameLibrary(t, fresh, again)

	// Through Replace too, and mixed with articles indexed from their text.
	mixed := New(WithBodies(bodies))
	mixed.Replace("cnn", cached["cnn"])
	mixed.Replace("bbc", origins["bbc"])
	sameLibrary(t, fresh, mixed)
}

// cacheOf writes l's index cache and reads it back.
func cacheOf(t *testing.T, l *Library) *IndexCache {
	t.Helper()
	var buf bytes.Buffer
	if err := l.WriteIndexCache(&buf); err != nil {
		t.Fatal(err)
	}
	c, err := ReadIndexCache(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sameLibrary(t *testing.T, want, got *Library) {
	t.Helper()
	w, g := want.All(), got.All()
	if len(w) != len(g) {
		t.Fatalf("%d articles, want %d", len(g), len(w))
	}
	for i := range w {
		a, b := w[i], g[i]
		if a.ID != b.ID || a.Title != b.Title || !a.Date.Equal(b.Date) || a.Date.String() != b.Date.String() ||
			a.Dated != b.Dated || a.Words != b.Words || a.Origin != b.Origin || a.File != b.File || a.Ref != b.Ref ||
			a.URL != b.URL || a.Image != b.Image || a.Stamp != b.Stamp || !slices.Equal(a.Also, b.Also) {
			t.Fatalf("article %d:\n got %+v\nwant %+v", i, b, a)
		}
	}
	if ids(want.Latest(-1, "")) != ids(got.Latest(-1, "")) {
		t.Error("the stories differ")
	}
	for _, p := range evalDuplicates {
		if !slices.Equal(want.Story(p[0]), got.Story(p[0])) {
			t.Errorf("Story(%s) = %q, want %q", p[0], got.Story(p[0]), want.Story(p[0]))
		}
	}
	for _, q := range []string{"police", "the government said on Tuesday", "football match", "storm flooding homes", "zzzz"} {
		hw, hg := want.Search(q, 20), got.Search(q, 20)
		if len(hw) != len(hg) {
			t.Fatalf("Search(%q): %d hits, want %d", q, len(hg), len(hw))
		}
		for i := range hw {
			if hw[i].Article.ID != hg[i].Article.ID || hw[i].Score != hg[i].Score {
				t.Errorf("Search(%q) hit %d: %s %v, want %s %v", q, i, hg[i].Article.ID, hg[i].Score, hw[i].Article.ID, hw[i].Score)
			}
		}
		if ids(want.Latest(10, q)) != ids(got.Latest(10, q)) {
			t.Errorf("Latest(10, %q) differs", q)
		}
	}
	for _, q := range []string{"the", "man", "poli"} {
		if ids(want.Complete(q, 25)) != ids(got.Complete(q, 25)) {
			t.Errorf("Complete(%q) differs", q)
		}
	}
}

// TestIndexCacheMisses: a changed stamp, another place, a released cache
// and a nil one find nothing; an article without a stamp or a place is not
// written.
func TestIndexCacheMisses(t *testing.T) {
	a := Article{ID: "a-1", Title: "Storm closes the harbour", Paragraphs: []string{"The harbour closed on Monday as the storm came in."},
		Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Origin: "news", File: "a.txt", Stamp: "10:20"}
	b := Article{ID: "b-1", Title: "No stamp", Paragraphs: []string{"Never cached."}, Date: a.Date, Origin: "news", File: "b.txt"}
	l := New(WithBodies(BodiesFunc(func(context.Context, Article) ([]string, error) { return nil, nil })))
	l.Replace("news", []Article{a, b})
	c := cacheOf(t, l)
	if c.Len() != 1 {
		t.Errorf("Len = %d, want 1 (the article without a stamp is left out)", c.Len())
	}
	if _, ok := c.Article("news", "a.txt", "", "10:20"); !ok {
		t.Error("the article is not found under its stamp")
	}
	for _, k := range [][4]string{{"news", "a.txt", "", "10:21"}, {"news", "b.txt", "", ""}, {"other", "a.txt", "", "10:20"}, {"news", "", "a.txt", "10:20"}} {
		if _, ok := c.Article(k[0], k[1], k[2], k[3]); ok {
			t.Errorf("found %q", k)
		}
	}
	c.Release()
	if _, ok := c.Article("news", "a.txt", "", "10:20"); ok || c.Len() != 0 {
		t.Error("a released cache still finds articles")
	}
	var none *IndexCache
	if _, ok := none.Article("news", "a.txt", "", "10:20"); ok || none.Len() != 0 || none.Hits() != 0 {
		t.Error("a nil cache finds articles")
	}
	none.Release()
}

// TestIndexCacheRefusesDamage: a cache cut short, with a byte changed, of
// other indexing rules, or not a cache at all is refused whole.
func TestIndexCacheRefusesDamage(t *testing.T) {
	origins, bodies := cacheFixture(t)
	l := New(WithBodies(bodies))
	l.ReplaceSeq([]string{"bbc", "cnn"}, seqOf(origins))
	var buf bytes.Buffer
	if err := l.WriteIndexCache(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x10
	rules := bytes.Clone(good[:len(good)-4])
	rules[5] = indexRules + 1 // format 1 is one byte, the rules the next
	rules = appendChecksum(rules)
	for name, data := range map[string][]byte{
		"empty": nil, "cut short": good[:len(good)/2], "a byte changed": flipped,
		"other rules": rules, "not a cache": []byte("hello, this is not an index cache file"),
	} {
		_, err := ReadIndexCache(data)
		if !errors.Is(err, ErrBadIndexCache) {
			t.Errorf("%s: err = %v, want ErrBadIndexCache", name, err)
		}
	}
	if _, err := ReadIndexCache(rules); err == nil || !strings.Contains(err.Error(), "rules") {
		t.Errorf("other rules: %v, want it named", err)
	}
}

func appendChecksum(body []byte) []byte {
	return binary.LittleEndian.AppendUint32(body, crc32.Checksum(body, castagnoli))
}

// FuzzReadIndexCache: no data, however damaged, makes reading the cache,
// taking its articles or indexing them fail; the checksum is left out of
// the way so that the fuzzer reaches the layout.
func FuzzReadIndexCache(f *testing.F) {
	a := Article{ID: "a-1", Title: "Storm closes the harbour", Paragraphs: []string{"The harbour closed on Monday as the storm came in from the west."},
		Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Origin: "news", File: "a.txt", Stamp: "10:20"}
	b := a
	b.ID, b.File, b.Ref, b.Stamp, b.Title = "b-1", "", "guid-b", "x", "Harbour storm: ferries stop"
	l := New(WithBodies(BodiesFunc(func(context.Context, Article) ([]string, error) { return nil, nil })))
	l.Replace("news", []Article{a, b})
	var buf bytes.Buffer
	if err := l.WriteIndexCache(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("NBIX\x01\x01\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := openIndexCache(bytes.NewReader(data), int64(len(data)), false)
		if err != nil {
			return
		}
		var arts []Article
		for _, span := range append(slices.Collect(maps.Values(c.entries)), slices.Collect(maps.Values(c.spill))...) {
			r := cacheReader{p: c.entry(span)}
			r.uvarint()
			origin, file, ref, stamp := string(r.bytes()), string(r.bytes()), string(r.bytes()), string(r.bytes())
			if a, ok := c.Article(origin, file, ref, stamp); ok {
				arts = append(arts, a)
			}
		}
		lib := New(WithBodies(BodiesFunc(func(context.Context, Article) ([]string, error) { return nil, nil })))
		lib.ReplaceSeq([]string{"news", "other"}, slices.Values(arts))
		lib.Search("storm harbour", 5)
		lib.Latest(5, "")
		lib.Complete("ha", 5)
	})
}

// TestIndexCacheAdoptsSegments: a start whose articles all come back
// adopts the segments the cache kept as they are (the same postings, not
// built again); one some of whose articles changed gives the others a
// segment of their own, and either library answers as one built from the
// text.
func TestIndexCacheAdoptsSegments(t *testing.T) {
	origins, bodies := cacheFixture(t)
	fresh := New(WithBodies(bodies))
	fresh.ReplaceSeq([]string{"bbc", "cnn"}, seqOf(origins))
	c := cacheOf(t, fresh)
	if len(c.segs) == 0 {
		t.Fatal("the cache kept no segment")
	}
	take := func(skip func(Article) bool) map[string][]Article { return takeCached(t, c, origins, skip) }
	all := take(func(Article) bool { return false })
	zones := map[*time.Location]bool{}
	for _, arts := range all {
		for _, a := range arts {
			zones[a.Date.Location()] = true
		}
	}
	if len(zones) != 1 {
		t.Errorf("the articles dated in one zone have %d zones, want one shared", len(zones))
	}
	again := New(WithBodies(bodies))
	again.ReplaceSeq([]string{"bbc", "cnn"}, seqOf(all))
	kept := map[*byte]bool{}
	for _, cs := range c.segs {
		kept[&cs.index.post[0]] = true
	}
	for _, s := range again.segs {
		if !kept[&s.index.post[0]] {
			t.Errorf("a segment of %d articles was built again, not adopted", len(s.arts))
		}
	}
	sameLibrary(t, fresh, again)

	// Every tenth cnn article changed: read from its text.
	changed := func(a Article) bool { return a.Origin == "cnn" && strings.HasSuffix(a.Stamp, "0") }
	part := take(changed)
	for _, a := range origins["cnn"] {
		if changed(a) {
			part["cnn"] = append(part["cnn"], a)
		}
	}
	mixed := New(WithBodies(bodies))
	mixed.ReplaceSeq([]string{"bbc", "cnn"}, seqOf(part))
	sameLibrary(t, fresh, mixed)

	// And some gone: as a library built from the text without them.
	gone := func(a Article) bool { return a.Origin == "bbc" && strings.HasSuffix(a.Stamp, "3") }
	less := map[string][]Article{}
	for o, arts := range origins {
		less[o] = slices.DeleteFunc(slices.Clone(arts), gone)
	}
	want := New(WithBodies(bodies))
	want.ReplaceSeq([]string{"bbc", "cnn"}, seqOf(less))
	fewer := New(WithBodies(bodies))
	fewer.ReplaceSeq([]string{"bbc", "cnn"}, seqOf(take(gone)))
	if fewer.Len() != want.Len() || fewer.Len() >= fresh.Len() {
		t.Fatalf("%d articles, want %d", fewer.Len(), want.Len())
	}
	for _, q := range []string{"police", "football match", "storm flooding homes"} {
		hw, hg := want.Search(q, 20), fewer.Search(q, 20)
		if ids(articlesOf(hw)) != ids(articlesOf(hg)) {
			t.Errorf("Search(%q) differs from a library built without the articles gone", q)
		}
	}
}

// takeCached takes every article of origins but those skip names from c,
// by origin, failing when c lacks one.
func takeCached(t *testing.T, c *IndexCache, origins map[string][]Article, skip func(Article) bool) map[string][]Article {
	t.Helper()
	out := map[string][]Article{}
	for o, arts := range origins {
		for _, a := range arts {
			if skip(a) {
				continue
			}
			got, ok := c.Article(a.Origin, a.File, a.Ref, a.Stamp)
			if !ok {
				t.Fatalf("%s not in the cache", a.ID)
			}
			out[o] = append(out[o], got)
		}
	}
	return out
}

func articlesOf(hits []Hit) []Article {
	out := make([]Article, len(hits))
	for i, h := range hits {
		out[i] = h.Article
	}
	return out
}

// TestCachedSegmentChecks: a segment block that is cut short, or whose
// offsets, postings, title words or bands point outside the segment, is
// refused (its articles are then read from their sources), where the
// block as written is taken.
func TestCachedSegmentChecks(t *testing.T) {
	origins, bodies := cacheFixture(t)
	l := New(WithBodies(bodies))
	l.Replace("cnn", origins["cnn"])
	seg := l.segs[0]
	dict := &cacheDict{}
	global := make([]uint32, len(seg.index.n))
	for term, tn := range seg.index.terms {
		global[tn] = uint32(len(dict.terms))
		dict.terms = append(dict.terms, term)
	}
	encode := func(s *segment) []byte {
		cw := cacheWriter{}
		cw.encodeSegment(s, global)
		return cw.buf
	}
	good := encode(seg)
	var cs cachedSeg
	if !cs.decode(good, dict) {
		t.Fatal("the block as written is refused")
	}
	if cs.n != len(seg.arts) || cs.index.sumLen != seg.index.sumLen || !slices.Equal(cs.index.post, seg.index.post) {
		t.Error("the block decodes to another segment")
	}
	if (&cachedSeg{}).decode(good, &cacheDict{terms: dict.terms[:len(dict.terms)-1]}) {
		t.Error("a term the dictionary lacks is taken")
	}
	bad := map[string]func(s *segment){
		"postings past their end": func(s *segment) {
			s.index.off = slices.Clone(s.index.off)
			s.index.off[1] = uint32(len(s.index.post) + 1)
		},
		"a posting past the last article": func(s *segment) {
			s.index.post = binary.AppendUvarint(slices.Clone(s.index.post), uint64(len(s.arts))<<8|1)
			s.index.off = slices.Clone(s.index.off)
			s.index.off[len(s.index.off)-1] = uint32(len(s.index.post))
			s.index.n = slices.Clone(s.index.n)
			s.index.n[len(s.index.n)-1]++
		},
		"a title word past its title": func(s *segment) {
			s.complete.byWord = slices.Clone(s.complete.byWord)
			s.complete.byWord[0] |= 0xFFFF
		},
		"a band naming no article": func(s *segment) {
			s.dup.bands[3] = append(slices.Clone(s.dup.bands[3]), uint16(len(s.arts)))
		},
		"bigrams past the set": func(s *segment) { s.dup.off = slices.Clone(s.dup.off); s.dup.off[2] = uint32(len(s.dup.set) + 5) },
		"a length below zero":  func(s *segment) { s.index.docLen = slices.Clone(s.index.docLen); s.index.docLen[0] = -1 },
	}
	for name, spoil := range bad {
		s := *seg
		spoil(&s)
		if (&cachedSeg{}).decode(encode(&s), dict) {
			t.Errorf("%s: taken", name)
		}
	}
	for _, n := range []int{0, 1, len(good) / 2, len(good) - 1} {
		if (&cachedSeg{}).decode(good[:n], dict) {
			t.Errorf("the block cut at %d bytes of %d is taken", n, len(good))
		}
	}
}
