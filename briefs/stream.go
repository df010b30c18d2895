package briefs

import (
	"cmp"
	"hash/maphash"
	"iter"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"newsbrief/internal/prefault"
)

// streamChunk is how many articles ReplaceSeq gathers before it indexes
// them as one segment: enough for the segment not to count as small (so
// compact leaves it alone), few enough that the bodies in flight, one
// chunk per core and the one being gathered, are a few tens of megabytes.
const streamChunk = segmentMax / 2

// ReplaceSeq is ReplaceAll for sources too large to hold in memory at
// once: a folder of a hundred thousand files, the stored items of hundreds
// of feeds. It takes the articles one at a time from arts, each with its
// Origin set to one of origins, and indexes them in segments as they come,
// on every core, so that a library made WithBodies holds only the bodies
// of the articles being indexed. When arts is done, origins hold exactly
// the articles given, swapped in at once as ReplaceAll does.
//
// Within an origin the first article given keeps its ID, as in Replace;
// an article whose Origin is not among origins is left out. Both are
// returned in dropped, with the articles left out because an origin
// sorting earlier holds their ID.
func (l *Library) ReplaceSeq(origins []string, arts iter.Seq[Article]) (dropped []Article) {
	origins = slices.Compact(slices.Sorted(slices.Values(origins)))
	index := make(map[string]int32, len(origins))
	for i, o := range origins {
		index[o] = int32(i)
	}
	given := make([]int, len(origins)) // articles given per origin, for IDs

	work := make(chan []Article)
	var (
		mu   sync.Mutex
		segs []*segment
		wg   sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			var sc segScratch // this core's, for all its segments
			for chunk := range work {
				sortArticles(chunk)
				first := l.nextUID.Add(uint64(len(chunk))) - uint64(len(chunk))
				uids := make([]uint64, len(chunk))
				for i := range uids {
					uids[i] = first + uint64(i)
				}
				seg := newSegment(chunk, uids, &sc)
				l.dropBodies(seg.arts)
				mu.Lock()
				segs = append(segs, seg)
				mu.Unlock()
			}
		})
	}
	// An ID given by two origins goes to segments of its own, as in
	// replace: a segment holds an ID once. Such clashes are rare, and
	// kept with their bodies until the end. first holds each ID with the
	// origin that gave it first: one record for a million articles, where
	// a set per origin and a count per ID would be two.
	first := newIDFirsts()
	var (
		clashing []Article
		shared   []string
		again    map[string]struct{} // origin number "\x00" ID of the clashing
		// taken gathers the articles taken from an index cache, for
		// the segments it kept (see claims).
		taken claims
	)
	chunk := prefault.Slice[Article](streamChunk)[:0]
	for a := range arts {
		oi, ok := index[a.Origin]
		if !ok {
			dropped = append(dropped, a)
			continue
		}
		a.Also = nil // the library's to set
		if a.ID == "" {
			a.ID = NewID(a.Origin+"#"+strconv.Itoa(given[oi]), a.Title)
		}
		given[oi]++
		f, had := first.add(a.ID, oi)
		if !had {
			if a.tok != nil {
				taken.add(a)
				continue
			}
			chunk = append(chunk, a)
			if len(chunk) == streamChunk {
				work <- chunk
				chunk = prefault.Slice[Article](streamChunk)[:0]
			}
			continue
		}
		if f == oi {
			dropped = append(dropped, a) // within an origin, the first keeps it
			continue
		}
		key := strconv.Itoa(int(oi)) + "\x00" + a.ID
		if _, dup := again[key]; dup {
			dropped = append(dropped, a)
			continue
		}
		if again == nil {
			again = map[string]struct{}{}
		}
		again[key] = struct{}{}
		shared = append(shared, a.ID)
		if a.tok != nil {
			taken.add(a)
			continue
		}
		clashing = append(clashing, a)
	}
	if len(chunk) > 0 {
		work <- slices.Clip(chunk)
	}
	first, again = idFirsts{}, nil
	if len(clashing) > 0 {
		one, more := splitClashes(clashing)
		for _, c := range append([][]Article{one}, more...) {
			work <- c
		}
	}
	close(work)
	wg.Wait()

	// Segments in the order their articles were numbered, so that a
	// library built twice from the same articles is the same.
	adopted := l.adoptAll(&taken)
	signBatch(segs, adopted)
	segs = append(segs, adopted...)
	slices.SortFunc(segs, func(a, b *segment) int { return cmp.Compare(a.uid[0], b.uid[0]) })
	l.mu.Lock()
	defer l.mu.Unlock()
	return append(dropped, l.install(origins, segs, shared)...)
}

// idFirsts is ReplaceSeq's record of each ID given, with the origin that
// gave it first. It finds an ID by a 64-bit hash of it: a million IDs in
// a map by the IDs themselves took 0.3-0.8 s of rehashing as it grew, by
// their hashes a third of that. Each hash keeps where its ID is, so that
// an ID whose hash an earlier, different ID took (one pair in 2^64) is
// told apart, and kept by itself in exact.
type idFirsts struct {
	hash   func(string) uint64
	byHash map[uint64]uint64 // origin<<32 | place of the ID in ids
	// ids holds the IDs in blocks of idBlock, so that a million are
	// never copied as one slice grows.
	ids   [][]string
	n     int
	exact map[string]int32
}

const idBlock = 1 << 14

func newIDFirsts() idFirsts {
	seed := maphash.MakeSeed()
	return idFirsts{hash: func(id string) uint64 { return maphash.String(seed, id) }, byHash: map[uint64]uint64{}}
}

// add records id as given by origin, unless it was given before, and
// returns the origin that gave it first and whether that was before.
func (f *idFirsts) add(id string, origin int32) (first int32, had bool) {
	h := f.hash(id)
	v, ok := f.byHash[h]
	switch {
	case !ok:
		if f.n%idBlock == 0 {
			f.ids = append(f.ids, make([]string, 0, idBlock))
		}
		f.ids[f.n/idBlock] = append(f.ids[f.n/idBlock], id)
		f.byHash[h] = uint64(origin)<<32 | uint64(f.n)
		f.n++
		return origin, false
	case f.ids[uint32(v)/idBlock][uint32(v)%idBlock] == id:
		return int32(v >> 32), true
	}
	if o, ok := f.exact[id]; ok {
		return o, true
	}
	if f.exact == nil {
		f.exact = map[string]int32{}
	}
	f.exact[id] = origin
	return origin, false
}
