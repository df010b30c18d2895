package briefs

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"newsbrief/internal/fakenews"
)

// evalDir holds the evaluation sets, relative to this package.
var evalDir = filepath.Join("..", "..", "shared", "eval")

// readStories reads the *.txt files of dir in the evaluation format (line
// 1 the title, a blank line, then the body, a paragraph per line), each
// dated at date, named by its file.
func readStories(tb testing.TB, dir, prefix string, date time.Time) []Article {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		tb.Skipf("no stories in %s: %v", dir, err)
	}
	slices.Sort(files)
	var arts []Article
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		title, body, _ := strings.Cut(string(data), "\n")
		var paras []string
		for _, p := range strings.Split(body, "\n") {
			if p = strings.TrimSpace(p); p != "" {
				paras = append(paras, p)
			}
		}
		name := prefix + strings.TrimSuffix(filepath.Base(f), ".txt")
		arts = append(arts, Article{ID: name, Title: strings.TrimSpace(title), Date: date, Dated: true, Paragraphs: paras})
	}
	return arts
}

// bigramSets returns each article's bigram set as the library computes it
// when the articles are given at once (boilerplate of the batch left out).
func bigramSets(arts []Article) map[string][]uint32 {
	own, _ := bigramSetsBoth(arts)
	return own
}

// bigramSetsBoth returns each article's bigram set without and with the
// batch's boilerplate.
func bigramSetsBoth(arts []Article) (own, whole map[string][]uint32) {
	l := New()
	arts = slices.Clone(arts)
	sortArticles(arts)
	out := map[string][]uint32{}
	whole = map[string][]uint32{}
	segs := l.newSegments(arts)
	signBatch(segs, nil)
	for _, s := range segs {
		for d := range s.arts {
			whole[s.arts[d].ID] = s.dup.setOf(int32(d))
			var own []uint32
			for k := s.dup.off[d]; k < s.dup.off[d+1]; k++ {
				if !s.dup.isBoiler(k) {
					own = append(own, s.dup.set[k])
				}
			}
			out[s.arts[d].ID] = own
		}
	}
	return out, whole
}

// evalDuplicates are the pairs of the evaluation sets that are one story:
// BBC articles present twice, verbatim (13, the unmarked ones) or
// re-edited (the same facts and quotes, often a new headline). They are
// grouped, rightly; every other pair is two stories.
var evalDuplicates = [][2]string{
	{"bbc-business-254", "bbc-business-447"}, // News Corp eyes video games market (twice)
	{"bbc-business-286", "bbc-business-493"}, // China continues breakneck / rapid growth
	{"bbc-entertainment-003", "bbc-entertainment-272"},
	{"bbc-entertainment-074", "bbc-entertainment-088"},
	{"bbc-politics-004", "bbc-politics-330"}, // Labour chooses Manchester / Manchester wins Labour conference
	{"bbc-politics-021", "bbc-politics-356"},
	{"bbc-politics-069", "bbc-politics-311"},
	{"bbc-politics-088", "bbc-politics-337"},
	{"bbc-politics-125", "bbc-politics-286"}, // UKIP candidate suspended (in probe)
	{"bbc-politics-217", "bbc-politics-321"},
	{"bbc-politics-218", "bbc-politics-253"},
	{"bbc-sport-328", "bbc-sport-329"}, // Umaga ready for ("fearsome") Lions
	{"bbc-sport-385", "bbc-sport-387"}, // Lions blow to World Cup stars / winners
	{"bbc-sport-424", "bbc-sport-511"}, // Roddick into San Jose final / Roddick to face Saulnier in final: one match, rewritten
	{"bbc-tech-009", "bbc-tech-379"},
	{"bbc-tech-014", "bbc-tech-330"},
	{"bbc-tech-051", "bbc-tech-323"},
	{"bbc-tech-066", "bbc-tech-381"},
	{"bbc-tech-127", "bbc-tech-172"}, // Gadget show heralds MP3 season / Christmas
	{"bbc-tech-155", "bbc-tech-294"},
	{"bbc-tech-263", "bbc-tech-298"},
}

// TestDuplicateThreshold measures the similarity the library groups on
// (see dedup.go) over every pair of the 1,197 evaluation stories and over
// the fixture pairs of testdata/stories, prints the distribution, and
// holds the threshold to it: no two distinct evaluation stories reach it,
// every fixture duplicate does, no fixture follow-up does.
func TestDuplicateThreshold(t *testing.T) {
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	cnn := readStories(t, filepath.Join(evalDir, "cnn-dev", "articles"), "cnn-", day)
	bbc := readStories(t, filepath.Join(evalDir, "bbc-dev", "articles"), "bbc-", day)
	eval := append(cnn, bbc...)
	sets, whole := bigramSetsBoth(eval)
	known := map[[2]string]bool{}
	for _, p := range evalDuplicates {
		known[p] = true
	}
	var hist [20]int
	maxDistinct, maxPair := 0.0, [2]string{}
	maxWhole := 0.0
	var dups []float64
	pairs := 0
	for i := range eval {
		for j := i + 1; j < len(eval); j++ {
			a, b := eval[i].ID, eval[j].ID
			v := jaccard(sets[a], sets[b])
			pairs++
			if known[[2]string{a, b}] {
				dups = append(dups, v)
				continue
			}
			hist[min(int(v*20), 19)]++
			// Whole, boilerplate included: copies of a widely carried
			// story are told by dupCopy, which no two distinct
			// stories may reach either.
			if w := jaccard(whole[a], whole[b]); w > maxWhole {
				maxWhole = w
				if w >= dupCopy {
					t.Errorf("%s and %s are distinct stories at %.3f whole, at or over %.2f", a, b, w, dupCopy)
				}
			}
			if v > maxDistinct {
				maxDistinct, maxPair = v, [2]string{a, b}
			}
			if v >= dupThreshold {
				t.Errorf("%s and %s are distinct stories at %.3f, at or over the threshold %.2f", a, b, v, dupThreshold)
			}
		}
	}
	slices.Sort(dups)
	t.Logf("%d stories, %d pairs, threshold %.2f", len(eval), pairs, dupThreshold)
	t.Logf("distinct pairs by similarity (bins of 0.05): %v", hist)
	t.Logf("most similar distinct pair: %s / %s at %.3f (whole sets: at most %.3f)", maxPair[0], maxPair[1], maxDistinct, maxWhole)
	t.Logf("the %d duplicate pairs the sets hold: %s", len(dups), fmtFloats(dups))
	if len(dups) != len(evalDuplicates) {
		t.Errorf("found %d of the %d known duplicate pairs", len(dups), len(evalDuplicates))
	}
	for _, v := range dups {
		if v < dupThreshold {
			t.Errorf("a known duplicate pair is at %.3f, under the threshold", v)
		}
	}

	// The fixtures: a wire story and its rewrite by a second outlet, an
	// item republished with another title case and a line added, and
	// follow-ups that must stay apart.
	stories := readStories(t, filepath.Join("testdata", "stories"), "", day)
	fx := bigramSets(stories)
	for _, c := range fixturePairs {
		v := jaccard(fx[c.a], fx[c.b])
		t.Logf("fixture %-17s %-20s %.3f %s", c.a, c.b, v, c.kind)
		if same := v >= dupThreshold; same != (c.kind != "different") {
			t.Errorf("%s / %s at %.3f: want %s", c.a, c.b, v, c.kind)
		}
	}
	// A file copied is its own duplicate.
	if v := jaccard(fx["quake-wire"], fx["quake-wire"]); v != 1 {
		t.Errorf("a copy at %.3f", v)
	}
}

func fmtFloats(vs []float64) string {
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%.2f", v)
	}
	return b.String()
}

// fixturePairs are the pairs of testdata/stories and what they are.
var fixturePairs = []struct{ a, b, kind string }{
	{"quake-wire", "quake-rewrite", "rewrite"},
	{"results-wire", "results-rewrite", "rewrite"},
	{"wage-wire", "wage-rewrite", "rewrite"},
	{"final-wire", "final-rewrite", "rewrite"},
	{"lanes", "lanes-republished", "republished"},
	{"fire", "fire-republished", "republished"},
	{"quake-wire", "quake-followup", "different"},
	{"quake-rewrite", "quake-followup", "different"},
	{"rates-march", "rates-april", "different"},
}

// TestEvalDuplicatesGroup: the library finds the evaluation sets' own
// duplicates through its candidate search (not only by the measure), and
// groups nothing else.
func TestEvalDuplicatesGroup(t *testing.T) {
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	cnn := readStories(t, filepath.Join(evalDir, "cnn-dev", "articles"), "cnn-", day)
	bbc := readStories(t, filepath.Join(evalDir, "bbc-dev", "articles"), "bbc-", day)
	l := New()
	l.Replace("cnn", cnn)
	l.Replace("bbc", bbc)
	for _, p := range evalDuplicates {
		if !slices.Contains(l.Story(p[0]), p[1]) {
			t.Errorf("%s and %s are not one story: %v", p[0], p[1], l.Story(p[0]))
		}
	}
	if got, want := len(l.Latest(-1, "")), len(cnn)+len(bbc)-len(evalDuplicates); got != want {
		t.Errorf("%d stories, want %d", got, want)
	}
}

// fixture reads a story of testdata/stories as an article with the ID and
// date given.
func fixture(t *testing.T, name, id string, date time.Time) Article {
	t.Helper()
	for _, a := range readStories(t, filepath.Join("testdata", "stories"), "", date) {
		if a.ID == name {
			a.ID = id
			return a
		}
	}
	t.Fatalf("no fixture %s", name)
	return Article{}
}

func TestStoryAcrossOrigins(t *testing.T) {
	t0 := time.Date(2025, 5, 6, 9, 42, 0, 0, time.UTC)
	wire := fixture(t, "quake-wire", "w", t0)
	rewrite := fixture(t, "quake-rewrite", "r", t0.Add(2*time.Hour))
	follow := fixture(t, "quake-followup", "f", t0.Add(20*time.Hour))
	l := New()
	l.Replace("Reuters", []Article{wire, follow})
	l.Replace("AP", []Article{rewrite})

	latest := l.Latest(10, "")
	if got := ids(latest); got != "f,w" {
		t.Fatalf("Latest = %s, want the follow-up and the quake once", got)
	}
	if !slices.Equal(latest[1].Also, []string{"AP"}) || latest[0].Also != nil {
		t.Errorf("Also = %q, %q", latest[0].Also, latest[1].Also)
	}
	if a, ok := l.Get("r"); !ok || a.Title != rewrite.Title || !slices.Equal(a.Also, []string{"Reuters"}) {
		t.Errorf("Get(r) = %q %q, %v", a.Title, a.Also, ok)
	}
	if got := l.Story("r"); !slices.Equal(got, []string{"w", "r"}) {
		t.Errorf("Story(r) = %q", got)
	}
	if got := l.Story("f"); !slices.Equal(got, []string{"f"}) {
		t.Errorf("Story(f) = %q", got)
	}
	if l.Story("none") != nil {
		t.Error("Story of an unknown ID")
	}
	hits := l.Search("earthquake Iwate tsunami", 10)
	var got []string
	for _, h := range hits {
		got = append(got, h.Article.ID)
	}
	if slices.Sort(got); !slices.Equal(got, []string{"f", "w"}) {
		t.Errorf("Search = %q, want each story once", got)
	}
	if got := ids(l.Complete("magnitude 6.8", 5)); got != "r" {
		t.Errorf("Complete(magnitude 6.8) = %s, want the rewrite, whose title matches", got)
	}
	if got := ids(l.Latest(5, "shinkansen")); got != "w" {
		t.Errorf("Latest(shinkansen) = %s", got)
	}
	if l.Len() != 3 || l.Count("AP") != 1 || len(l.All()) != 3 {
		t.Errorf("Len %d, Count(AP) %d, All %d", l.Len(), l.Count("AP"), len(l.All()))
	}

	// An earlier copy from a third source becomes the story's head.
	early := fixture(t, "quake-wire", "e", t0.Add(-time.Hour))
	l.Replace("Kyodo", []Article{early})
	latest = l.Latest(10, "")
	if got := ids(latest); got != "f,e" || !slices.Equal(latest[1].Also, []string{"AP", "Reuters"}) {
		t.Errorf("with an earlier copy: Latest = %s, Also %q", got, latest[1].Also)
	}
	if got := l.Story("w"); !slices.Equal(got, []string{"e", "r", "w"}) {
		t.Errorf("Story(w) = %q", got)
	}

	// Sources leaving take their articles out of the story.
	l.Replace("Kyodo", nil)
	l.Replace("AP", nil)
	latest = l.Latest(10, "")
	if got := ids(latest); got != "f,w" || latest[1].Also != nil || len(l.Story("w")) != 1 {
		t.Errorf("alone again: Latest = %s, Also %q, Story %q", got, latest[1].Also, l.Story("w"))
	}
}

// TestDifferentStoriesApart: next month's decision on rates is another
// story, and so is the same text far apart in time.
func TestDifferentStoriesApart(t *testing.T) {
	t0 := time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC)
	l := New()
	l.Replace("desk", []Article{fixture(t, "rates-march", "m", t0)})
	l.Replace("wire", []Article{fixture(t, "rates-april", "a", t0.AddDate(0, 1, 0)), fixture(t, "rates-march", "m2", t0.AddDate(0, 0, 10))})
	if got := ids(l.Latest(10, "")); got != "a,m2,m" {
		t.Errorf("Latest = %s, want three stories", got)
	}
}

// TestFileAndFeedItem: an article file and a feed item of one story are
// one, headed by the earlier; a file copied into a second folder too.
func TestFileAndFeedItem(t *testing.T) {
	t0 := time.Date(2025, 6, 11, 0, 0, 0, 0, time.UTC)
	file := fixture(t, "lanes", "lanes-1a2b3c", t0)
	file.File = "lanes.txt"
	item := fixture(t, "lanes-republished", "item", t0.Add(15*time.Hour))
	item.URL, item.Image = "https://post.example/lanes", "https://post.example/lanes.jpg"
	l := New()
	l.Replace("Brackford Post", []Article{item})
	l.Replace("articles", []Article{file})
	latest := l.Latest(5, "")
	if len(latest) != 1 || latest[0].ID != file.ID || !slices.Equal(latest[0].Also, []string{"Brackford Post"}) {
		t.Fatalf("Latest = %s, Also %q", ids(latest), latest[0].Also)
	}
	if a, _ := l.Get("item"); a.URL != item.URL || a.Image != item.Image || !slices.Equal(a.Also, []string{"articles"}) {
		t.Errorf("Get(item) = %+v", a)
	}

	copied := file
	copied.ID = "lanes-9f8e7d"
	l.Replace("archive", []Article{copied})
	if got := l.Story(file.ID); len(got) != 3 || len(l.Latest(5, "")) != 1 {
		t.Errorf("a copied file: Story = %q", got)
	}
}

// TestStoriesWhileSegmentsMerge: many small Replaces (a feed poll each)
// merge segments; stories, IDs and counts stay right through it.
func TestStoriesWhileSegmentsMerge(t *testing.T) {
	t0 := time.Date(2025, 5, 6, 9, 42, 0, 0, time.UTC)
	gen := generateArticles(400, 9)
	l := New()
	l.Replace("Reuters", []Article{fixture(t, "quake-wire", "w", t0)})
	for i := range 40 {
		feed := fmt.Sprintf("feed-%02d", i)
		arts := slices.Clone(gen[i*10 : i*10+10])
		if i == 17 {
			arts = append(arts, fixture(t, "quake-rewrite", "r", t0.Add(time.Hour)))
		}
		l.Replace(feed, arts)
		l.Replace(feed, arts) // polled again: the same items
	}
	if got := l.Story("w"); !slices.Equal(got, []string{"w", "r"}) {
		t.Errorf("Story(w) = %q", got)
	}
	if l.Len() != 402 || len(l.Latest(-1, "")) != 401 || l.Count("feed-17") != 11 {
		t.Errorf("Len %d, stories %d, Count(feed-17) %d", l.Len(), len(l.Latest(-1, "")), l.Count("feed-17"))
	}
	if n := len(l.snap.Load().segs); n > 2*mergeFactor {
		t.Errorf("%d segments after 80 small replaces", n)
	}
	for _, a := range gen[:400] {
		if got, ok := l.Get(a.ID); !ok || got.Title != a.Title {
			t.Fatalf("Get(%s) = %q, %v", a.ID, got.Title, ok)
		}
	}
}

// A segment whose dates span more than the 16 bits of days its band keys
// pack (179 years) sorts its bands through the comparison instead, and
// still finds the same story twice in it.
func TestDuplicatesAcrossCenturiesOfDates(t *testing.T) {
	body := []string{"The harbour bridge reopened on Monday after three years of repairs, and traffic returned at once to the old crossing between the two halves of the city.",
		"Engineers said the new deck would last a century."}
	at := time.Date(1750, 3, 1, 9, 0, 0, 0, time.UTC)
	arts := []Article{
		{ID: "old-a", Origin: "a", Title: "Harbour bridge reopens after repairs", Date: at, Dated: true, Paragraphs: body},
		{ID: "old-b", Origin: "b", Title: "Harbour bridge reopens after years of repairs", Date: at.Add(time.Hour), Dated: true, Paragraphs: body},
		{ID: "new", Origin: "a", Title: "Budget vote delayed", Date: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Dated: true,
			Paragraphs: []string{"The vote on the budget was delayed by a week as talks between the parties went on late into the night."}},
	}
	l := fromArticles(arts)
	if got := l.Story("old-a"); len(got) != 2 {
		t.Errorf("story of old-a: %v, want it with old-b", got)
	}
	if got := l.Story("new"); len(got) != 1 {
		t.Errorf("story of new: %v, want it alone", got)
	}
}

// TestEdgesAtOnce: a start's pairs put in the edge maps at once make the
// maps pair by pair appending makes: each article's list in the same
// order, and where each article is.
func TestEdgesAtOnce(t *testing.T) {
	segs := []*segment{{}, {}}
	var pairs []dupPair
	for i := range 3000 {
		x, y := uint64(5*i+3), uint64(5*(i/7)) // stories of seven, joined to their first
		if i%11 == 0 {
			y = uint64(5*i + 1) // and some pairs of two
		}
		pairs = append(pairs, dupPair{segDoc{segs[0], int32(i)}, segDoc{segs[1], int32(i / 7)}, x, y})
	}
	want := New()
	for _, p := range pairs {
		want.edges[p.ux] = append(want.edges[p.ux], p.uy)
		want.edges[p.uy] = append(want.edges[p.uy], p.ux)
		want.where[p.ux], want.where[p.uy] = p.x, p.y
	}
	got := New()
	if !got.edgesAtOnce(pairs) {
		t.Fatal("declined")
	}
	if len(got.edges) != len(want.edges) || len(got.where) != len(want.where) {
		t.Fatalf("%d edges and %d places, want %d and %d", len(got.edges), len(got.where), len(want.edges), len(want.where))
	}
	for u, list := range want.edges {
		if !slices.Equal(got.edges[u], list) || got.where[u] != want.where[u] {
			t.Fatalf("uid %d: %v at %v, want %v at %v", u, got.edges[u], got.where[u], list, want.where[u])
		}
	}
	far := []dupPair{{ux: 1, uy: 1 << 40}}
	if New().edgesAtOnce(far) {
		t.Error("uids far past the pairs are counted in an array")
	}
}

// TestJoinAllOnEveryCore: a start's pairs, checked on several cores, are
// those one core finds, in its order: a long tail of stories with one
// carried thousands of times, over several segments, so that buckets are
// busy and bands split between checkers.
func TestJoinAllOnEveryCore(t *testing.T) {
	arts := generateCarried(12000, fakenews.CarriedLongTail, 5)
	arts = append(arts, generateCarried(6000, fakenews.CarriedOnce(3000), 9)...)
	l := New()
	l.ReplaceAll(byOrigin(arts))
	var born []segDoc
	for _, s := range l.segs {
		for d := range s.arts {
			if s.live(int32(d)) {
				born = append(born, segDoc{s, int32(d)})
			}
		}
	}
	if len(l.segs) < 2 {
		t.Fatalf("%d segments, want several", len(l.segs))
	}
	pairsOn := func(procs int) []dupPair {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		return l.joinAll(born)
	}
	one := pairsOn(1)
	if len(one) < 3000 {
		t.Fatalf("%d pairs on one core, want the carried stories' (over 3,000)", len(one))
	}
	// Each pair joins two stories: the pairs are a forest.
	parent := map[uint64]uint64{}
	find := func(u uint64) uint64 {
		for {
			p, ok := parent[u]
			if !ok {
				return u
			}
			u = p
		}
	}
	for _, p := range one {
		rx, ry := find(p.ux), find(p.uy)
		if rx == ry {
			t.Fatalf("pair %d-%d joins articles already one story", p.ux, p.uy)
		}
		parent[rx] = ry
	}
	for _, procs := range []int{2, 3, 8} {
		got := pairsOn(procs)
		if !slices.EqualFunc(got, one, func(a, b dupPair) bool { return a.ux == b.ux && a.uy == b.uy }) {
			t.Fatalf("on %d cores: %d pairs differing from the %d of one core", procs, len(got), len(one))
		}
	}
}

// TestRadixSort: radixSort sorts as slices.Sort, small and large, with
// bytes all keys share and with scratch of any size.
func TestRadixSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 5, 1023, 1024, 5000, 100000} {
		for _, mask := range []uint64{^uint64(0), 0xffff_ffff_0000_ffff, 0x0000_00ff_000f_ffff, 0} {
			keys := make([]uint64, n)
			for i := range keys {
				keys[i] = rng.Uint64() & mask
			}
			want := slices.Sorted(slices.Values(keys))
			got, other := radixSort(keys, make([]uint64, n/2))
			if !slices.Equal(got, want) {
				t.Fatalf("%d keys under %x: not sorted", n, mask)
			}
			if n >= 1024 && len(other) != n {
				t.Fatalf("%d keys: the other half holds %d", n, len(other))
			}
		}
	}
}
