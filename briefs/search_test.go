package briefs

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func libDay(d int) time.Time { return time.Date(2023, 11, d, 0, 0, 0, 0, time.UTC) }

func TestScanTerms(t *testing.T) {
	var got []string
	s := "The Élections in São Paulo: voters' turnout, 2023's news & buses!"
	scanTerms(s, nil, func(term []byte, start, end int) {
		got = append(got, string(term)+"@"+s[start:end])
	})
	want := []string{"élection@Élections", "são@São", "paulo@Paulo", "voter@voters", "turnout@turnout",
		"2023@2023", "news@news", "buse@buses"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if q := queryTerms("the and of"); q != nil {
		t.Errorf("stopword query gave %q", q)
	}
}

func TestSearchRanking(t *testing.T) {
	filler := strings.Repeat("Officials discussed many other matters at length during the meeting. ", 3)
	l := fromArticles([]Article{
		{ID: "once", Title: "Council meeting", Date: libDay(5), Paragraphs: []string{filler + "The flood was mentioned once."}},
		{ID: "title", Title: "Flood defences fail", Date: libDay(1), Paragraphs: []string{"The flood hit the town. Flood water rose. The flood receded.", filler}},
		{ID: "none", Title: "Weather", Date: libDay(6), Paragraphs: []string{"Sunny all week."}},
	})
	hits := l.Search("flood", 10)
	if len(hits) != 2 || hits[0].Article.ID != "title" || hits[1].Article.ID != "once" {
		t.Fatalf("hits %v", hitIDs(hits))
	}
	if !(hits[0].Score > hits[1].Score && hits[1].Score > 0) {
		t.Errorf("scores %v %v", hits[0].Score, hits[1].Score)
	}
	for _, h := range hits {
		if !strings.Contains(strings.ToLower(h.Snippet), "flood") {
			t.Errorf("snippet %q lacks the query term", h.Snippet)
		}
	}
	if got := l.Search("the of and", 10); got != nil {
		t.Errorf("all-stopword query gave %v", hitIDs(got))
	}
	if got := l.Search("   ", 10); got != nil {
		t.Errorf("empty query gave %v", hitIDs(got))
	}
	if got := l.Search("zebra", 10); len(got) != 0 {
		t.Errorf("unknown term gave %v", hitIDs(got))
	}
	if got := l.Search("flood", 1); len(got) != 1 || got[0].Article.ID != "title" {
		t.Errorf("n=1 gave %v", hitIDs(got))
	}
}

func TestSearchLengthNormalization(t *testing.T) {
	long := "The vaccine was discussed. " + strings.Repeat("Many unrelated words fill this long report about other matters. ", 30)
	l := fromArticles([]Article{
		{ID: "long", Title: "Health report", Date: libDay(2), Paragraphs: []string{long}},
		{ID: "short", Title: "Health brief", Date: libDay(1), Paragraphs: []string{"The vaccine was discussed."}},
		{ID: "tie1", Title: "Other news", Date: libDay(3), Paragraphs: []string{"Nothing here."}},
	})
	hits := l.Search("vaccine", 10)
	if len(hits) != 2 || hits[0].Article.ID != "short" {
		t.Fatalf("hits %v: the short article should win", hitIDs(hits))
	}
}

func TestSearchTiesNewestFirst(t *testing.T) {
	body := []string{"Storm warning for the coast."}
	l := fromArticles([]Article{
		{ID: "old", Title: "Storm", Date: libDay(1), Paragraphs: body},
		{ID: "new", Title: "Storm", Date: libDay(9), Paragraphs: body},
		{ID: "mid", Title: "Storm", Date: libDay(5), Paragraphs: body},
	})
	if got := hitIDs(l.Search("storm coast", 10)); !slices.Equal(got, []string{"new", "mid", "old"}) {
		t.Errorf("got %v", got)
	}
	if got := hitIDs(l.Search("storm", 2)); !slices.Equal(got, []string{"new", "mid"}) {
		t.Errorf("top 2: got %v", got)
	}
}

func TestSearchMultiTermAndTopK(t *testing.T) {
	l := fromArticles(generateArticles(2000, 3))
	all := l.Search("central bank inflation", -1)
	if len(all) < 20 {
		t.Fatalf("only %d hits", len(all))
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.Score < b.Score || a.Score == b.Score && a.Article.Date.Before(b.Article.Date) {
			t.Fatalf("hits %d and %d out of order", i-1, i)
		}
	}
	for _, k := range []int{1, 5, 17} {
		top := l.Search("central bank inflation", k)
		if got, want := hitIDs(top), hitIDs(all[:k]); !slices.Equal(got, want) {
			t.Errorf("top %d %v, want %v", k, got, want)
		}
	}
	for _, h := range all[:50] {
		if n := utf8.RuneCountInString(h.Snippet); n == 0 || n > snippetMax {
			t.Errorf("snippet of %d characters: %q", n, h.Snippet)
		}
		low := strings.ToLower(h.Snippet)
		if !strings.Contains(low, "central") && !strings.Contains(low, "bank") && !strings.Contains(low, "inflation") {
			t.Errorf("snippet %q lacks every query term", h.Snippet)
		}
	}
}

func TestSnippetLongSentence(t *testing.T) {
	words := strings.Repeat("lorem ipsum dolor sit amet ", 40)
	p := words + "the turbine exploded " + words + "end."
	a := Article{ID: "x", Title: "Report", Paragraphs: []string{"Intro sentence here.", p}}
	s := makeSnippet(&a, []string{"turbine"}, []float64{1})
	if !strings.Contains(s, "turbine") {
		t.Errorf("snippet %q lacks the term", s)
	}
	if !strings.HasPrefix(s, "…") || !strings.HasSuffix(s, "…") {
		t.Errorf("snippet %q should show both cuts", s)
	}
	if n := utf8.RuneCountInString(s); n > snippetMax {
		t.Errorf("snippet has %d characters", n)
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(s, "…"), "…")
	if !strings.Contains(p, inner) || !strings.HasPrefix(p[strings.Index(p, inner)-1:], " ") {
		t.Errorf("snippet %q not cut on a word boundary", s)
	}
	if after := p[strings.Index(p, inner)+len(inner):]; after != "" && after[0] != ' ' {
		t.Errorf("snippet %q ends mid-word", s)
	}

	// Short sentences are extended with the following ones while they fit.
	b := Article{Title: "T", Paragraphs: []string{"First one. The turbine stopped. Then it restarted. " + strings.Repeat("More text follows here. ", 20)}}
	s = makeSnippet(&b, []string{"turbine"}, []float64{1})
	if !strings.HasPrefix(s, "The turbine stopped. Then it restarted.") || utf8.RuneCountInString(s) > snippetMax {
		t.Errorf("snippet %q", s)
	}
	// Without a match in the body the lead is used.
	s = makeSnippet(&b, []string{"zebra"}, []float64{1})
	if !strings.HasPrefix(s, "First one.") {
		t.Errorf("lead snippet %q", s)
	}
}

func TestSnippetPrefersAllTerms(t *testing.T) {
	a := Article{Title: "T", Paragraphs: []string{
		"The river rose overnight. Elsewhere, the bridge was busy.",
		"Engineers said the river could damage the bridge by morning.",
	}}
	s := makeSnippet(&a, []string{"river", "bridge"}, []float64{1, 1})
	if !strings.HasPrefix(s, "Engineers said") {
		t.Errorf("snippet %q should be the sentence with both terms", s)
	}
}

func TestComplete(t *testing.T) {
	l := fromArticles([]Article{
		{ID: "sub", Title: "Minister resigns over reelection", Date: libDay(9), Paragraphs: []string{"x"}},
		{ID: "word-old", Title: "Snap Election called", Date: libDay(1), Paragraphs: []string{"x"}},
		{ID: "prefix", Title: "Election results delayed", Date: libDay(2), Paragraphs: []string{"x"}},
		{ID: "word-new", Title: "Early ELECTIONS loom", Date: libDay(5), Paragraphs: []string{"x"}},
		{ID: "infix", Title: "Re-elections and preelection polls", Date: libDay(8), Paragraphs: []string{"x"}},
		{ID: "none", Title: "Weather", Date: libDay(10), Paragraphs: []string{"x"}},
	})
	ids := func(as []Article) []string {
		var s []string
		for _, a := range as {
			s = append(s, a.ID)
		}
		return s
	}
	for _, tc := range []struct {
		q    string
		n    int
		want []string
	}{
		// "infix" has the word "elections" after "re-": a word prefix.
		{"elect", 10, []string{"prefix", "infix", "word-new", "word-old", "sub"}},
		{"ELECT", 2, []string{"prefix", "infix"}},
		{"  election   results ", 10, []string{"prefix"}},
		{"snap elec", 10, []string{"word-old"}},
		{"elec snap", 10, []string{"word-old"}},
		{"ection", 10, []string{"sub", "infix", "word-new", "prefix", "word-old"}},
		{"", 3, []string{"none", "sub", "infix"}},
		{"zzz", 10, nil},
		{"elect", 0, nil},
	} {
		if got := ids(l.Complete(tc.q, tc.n)); !slices.Equal(got, tc.want) {
			t.Errorf("Complete(%q, %d) = %v, want %v", tc.q, tc.n, got, tc.want)
		}
	}
}

func TestCompleteGenerated(t *testing.T) {
	l := fromArticles(generateArticles(3000, 5))
	for _, q := range []string{"w", "wh", "the", "bank", "central bank", "vacc", "ro", "what the"} {
		got := l.Complete(q, 25)
		// Reference: rank every title by brute force.
		type r struct {
			rank int
			i    int
		}
		var want []r
		for i, a := range l.All() {
			if k := refRank(a.Title, q); k >= 0 {
				want = append(want, r{k, i})
			}
		}
		slices.SortStableFunc(want, func(a, b r) int { return a.rank - b.rank })
		if len(want) > 25 {
			want = want[:25]
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d results, want %d", q, len(got), len(want))
		}
		for i := range want {
			if got[i].ID != l.All()[want[i].i].ID {
				t.Fatalf("%q: result %d is %q, want %q", q, i, got[i].Title, l.All()[want[i].i].Title)
			}
		}
	}
}

// refRank is a slow, obvious version of the completion ranking.
func refRank(title, q string) int {
	t := strings.ToLower(title)
	q = strings.Join(strings.Fields(strings.ToLower(q)), " ")
	switch {
	case strings.HasPrefix(t, q):
		return 0
	case allWordPrefix(titleWords(t), titleWords(q)):
		return 1
	case strings.Contains(t, q):
		return 2
	}
	return -1
}

func allWordPrefix(tw, qw []string) bool {
	if len(qw) == 0 {
		return false
	}
	for _, q := range qw {
		if !slices.ContainsFunc(tw, func(w string) bool { return strings.HasPrefix(w, q) }) {
			return false
		}
	}
	return true
}

func hitIDs(hits []Hit) []string {
	var s []string
	for _, h := range hits {
		s = append(s, h.Article.ID)
	}
	return s
}

// scanWordsByRune is scanWords as it was first written, a rune at a time:
// the reference the fast path must agree with.
func scanWordsByRune(s string, fn func(word []byte, start, end int)) {
	var buf []byte
	start := -1
	for i, r := range s { // an invalid byte is utf8.RuneError: no letter
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		} else if start >= 0 {
			fn(buf, start, i)
			buf, start = buf[:0], -1
		}
	}
	if start >= 0 {
		fn(buf, start, len(s))
	}
}

type scannedWord struct {
	w          string
	start, end int
}

func scanAll(s string, scan func(string, func([]byte, int, int))) []scannedWord {
	var out []scannedWord
	scan(s, func(w []byte, start, end int) { out = append(out, scannedWord{string(w), start, end}) })
	return out
}

// fnv1a is FNV-1a of w with its low bit set, the hash scanWords gives.
func fnv1a(w []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range w {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h | 1
}

// FuzzScanWords: scanWords gives the words and spans of the rune-by-rune
// reference, each with its fnv1a hash.
func FuzzScanWords(f *testing.F) {
	for _, s := range []string{"", "Hello, World!", "café ÉCOLE naïve", "U.S. 3.5% x2", "Straße İstanbul ΣΟΦΙΑ", "a\xffb", "日本語のテキスト", "  MiXeD123case  ", "abcé", "éabc def", "abc\xe2\x80\x94def", "word"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var hashOK = true
		got := scanAll(s, func(s string, fn func([]byte, int, int)) {
			scanWords(s, nil, func(w []byte, h uint64, start, end int) {
				hashOK = hashOK && h == fnv1a(w)
				fn(w, start, end)
			})
		})
		want := scanAll(s, scanWordsByRune)
		if !slices.Equal(got, want) {
			t.Fatalf("scanWords(%q) = %v, want %v", s, got, want)
		}
		if !hashOK {
			t.Fatalf("scanWords(%q): a word's hash is not its FNV-1a", s)
		}
	})
}
