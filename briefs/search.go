package briefs

import (
	"newsbrief/summarize"

	"math"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// BM25 parameters and the weight of a title occurrence relative to one in
// the body.
const (
	bm25K1      = 1.2
	bm25B       = 0.75
	titleWeight = 3
	// snippetMax is the longest snippet, in characters, ellipses included.
	snippetMax = 200
	// maxQueryTerms bounds the distinct terms of one query (a bit mask
	// tracks them while choosing a snippet).
	maxQueryTerms = 32
)

// searchStopwords are dropped from documents and queries: they match nearly
// every article and only blur the ranking.
var searchStopwords = func() map[string]struct{} {
	words := strings.Fields(`a about above after again against all also am an and any
	are as at be because been before being below between both but by can could did
	do does doing down during each few for from further had has have having he her
	here hers herself him himself his how i if in into is it its itself just me more
	most my myself no nor not now of off on once only or other our ours ourselves out
	over own said same says she should so some such than that the their theirs them
	themselves then there these they this those through to too under until up very
	was we were what when where which while who whom why will with would you your
	yours yourself yourselves s t d ll re ve m`)
	m := make(map[string]struct{}, len(words))
	for _, w := range words {
		m[w] = struct{}{}
	}
	return m
}()

// keepFinalS lists words whose final "s" is not a plural ending worth
// stripping (or whose stripped form would collide with a common word).
var keepFinalS = map[string]struct{}{"news": {}, "always": {}, "perhaps": {}, "series": {}, "species": {}}

// scanTerms calls fn with every search term of s, in order, together with the
// byte span [start, end) of the word in s. A term is a maximal run of letters
// and digits, lowercased, a trailing plural "s" stripped, stopwords dropped.
// The slice passed to fn is only valid during the call; buf is scratch space,
// returned for reuse.
func scanTerms(s string, buf []byte, fn func(term []byte, start, end int)) []byte {
	return scanWords(s, buf, func(w []byte, start, end int) {
		if t := normalizeTerm(w); t != nil {
			fn(t, start, end)
		}
	})
}

// scanWords is scanTerms before normalizeTerm: every maximal run of letters
// and digits, lowercased.
func scanWords(s string, buf []byte, fn func(word []byte, start, end int)) []byte {
	buf = buf[:0]
	start := -1
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
				if start < 0 {
					start = i
				}
				buf = append(buf, c)
			case 'A' <= c && c <= 'Z':
				if start < 0 {
					start = i
				}
				buf = append(buf, c+('a'-'A'))
			default:
				if start >= 0 {
					fn(buf, start, i)
					buf, start = buf[:0], -1
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		} else if start >= 0 {
			fn(buf, start, i)
			buf, start = buf[:0], -1
		}
		i += size
	}
	if start >= 0 {
		fn(buf, start, len(s))
	}
	return buf
}

// normalizeTerm strips a plural "s" from a lowercased word and returns nil
// for stopwords.
func normalizeTerm(t []byte) []byte {
	if _, stop := searchStopwords[string(t)]; stop {
		return nil
	}
	if n := len(t); n >= 4 && t[n-1] == 's' {
		switch t[n-2] {
		case 's', 'u', 'i', '\'':
		default:
			if _, keep := keepFinalS[string(t)]; !keep {
				t = t[:n-1]
			}
		}
	}
	return t
}

// queryTerms returns the distinct search terms of q in order of appearance.
func queryTerms(q string) []string {
	var terms []string
	scanTerms(q, nil, func(t []byte, _, _ int) {
		if len(terms) < maxQueryTerms && !slices.Contains(terms, string(t)) {
			terms = append(terms, string(t))
		}
	})
	return terms
}

// bm25Posting says that a document holds a term tf times (title occurrences
// count titleWeight times).
type bm25Posting struct {
	doc, tf int32
}

// searchIndex is the BM25 index of one snapshot. Documents are numbered by
// their position in the snapshot's newest-first order, and every postings
// list is sorted by document, so the first entries are the newest articles.
type searchIndex struct {
	termIDs  map[string]int32
	postings [][]bm25Posting
	// norm[d] is k1*(1-b+b*len(d)/avglen), the length part of BM25's
	// denominator, precomputed per document.
	norm    []float32
	scratch sync.Pool // *searchScratch
}

// searchScratch is a dense score accumulator reused across queries.
type searchScratch struct {
	scores  []float64
	touched []int32
}

// buildIndex tokenizes the articles in parallel and assembles the postings.
func buildIndex(arts []Article) *searchIndex {
	n := len(arts)
	ix := &searchIndex{termIDs: map[string]int32{}}
	ix.scratch.New = func() any { return &searchScratch{scores: make([]float64, n)} }
	if n == 0 {
		return ix
	}
	workers := min(runtime.GOMAXPROCS(0), n)
	// docTerms[d] holds (local term, tf) pairs in the numbering of the
	// worker owner[d]; vocab[w] lists worker w's local terms.
	docTerms := make([][]int32, n)
	owner := make([]int32, n)
	docLen := make([]int32, n)
	vocab := make([][]string, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			// ids maps each lowercased word seen to its local term ID, or
			// to -1 for stopwords, so normalizeTerm runs once per word.
			ids := map[string]int32{}
			terms := map[string]int32{}
			var words []string
			var counts []int32
			var touched []int32
			var buf []byte
			var length, weight int32
			add := func(w []byte, _, _ int) {
				id, ok := ids[string(w)]
				if !ok {
					id = -1
					if t := normalizeTerm(w); t != nil {
						if id, ok = terms[string(t)]; !ok {
							id = int32(len(words))
							s := string(t)
							terms[s] = id
							words = append(words, s)
							counts = append(counts, 0)
						}
					}
					ids[string(w)] = id
				}
				if id < 0 {
					return
				}
				if counts[id] == 0 {
					touched = append(touched, id)
				}
				counts[id] += weight
				length += weight
			}
			for {
				d := int(next.Add(1) - 1)
				if d >= n {
					break
				}
				a := &arts[d]
				length, touched = 0, touched[:0]
				weight = titleWeight
				buf = scanWords(a.Title, buf, add)
				weight = 1
				for _, p := range a.Paragraphs {
					buf = scanWords(p, buf, add)
				}
				pairs := make([]int32, 0, 2*len(touched))
				for _, id := range touched {
					pairs = append(pairs, id, counts[id])
					counts[id] = 0
				}
				docTerms[d], owner[d], docLen[d] = pairs, int32(w), length
			}
			vocab[w] = words
		})
	}
	wg.Wait()

	// Give every term a global ID and count its documents.
	toGlobal := make([][]int32, workers)
	for w, words := range vocab {
		m := make([]int32, len(words))
		for i, t := range words {
			id, ok := ix.termIDs[t]
			if !ok {
				id = int32(len(ix.termIDs))
				ix.termIDs[t] = id
			}
			m[i] = id
		}
		toGlobal[w] = m
	}
	df := make([]int32, len(ix.termIDs))
	total := 0
	for d, pairs := range docTerms {
		m := toGlobal[owner[d]]
		for i := 0; i < len(pairs); i += 2 {
			df[m[pairs[i]]]++
		}
		total += len(pairs) / 2
	}
	// One backing array for all postings lists.
	backing := make([]bm25Posting, total)
	ix.postings = make([][]bm25Posting, len(df))
	off := 0
	for id, c := range df {
		ix.postings[id] = backing[off : off : off+int(c)]
		off += int(c)
	}
	var sum float64
	for d, pairs := range docTerms {
		m := toGlobal[owner[d]]
		for i := 0; i < len(pairs); i += 2 {
			id := m[pairs[i]]
			ix.postings[id] = append(ix.postings[id], bm25Posting{doc: int32(d), tf: pairs[i+1]})
		}
		sum += float64(docLen[d])
	}
	avg := sum / float64(n)
	if avg == 0 {
		avg = 1
	}
	ix.norm = make([]float32, n)
	for d, l := range docLen {
		ix.norm[d] = float32(bm25K1 * (1 - bm25B + bm25B*float64(l)/avg))
	}
	return ix
}

// bm25IDF is BM25's inverse document frequency in the form that stays positive
// even for terms in most documents.
func bm25IDF(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// queryTerm is one query term found in the index.
type queryTerm struct {
	term string
	idf  float64
	post []bm25Posting
}

func (ix *searchIndex) lookup(query string, n int) []queryTerm {
	var qts []queryTerm
	for _, t := range queryTerms(query) {
		if id, ok := ix.termIDs[t]; ok {
			p := ix.postings[id]
			qts = append(qts, queryTerm{term: t, idf: bm25IDF(n, len(p)), post: p})
		}
	}
	return qts
}

// scoredDoc is a candidate document and its score.
type scoredDoc struct {
	doc   int32
	score float64
}

// betterHit orders results: higher score first, then newer (lower doc number).
func betterHit(a, b scoredDoc) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.doc < b.doc
}

// search returns the best n documents for query, best first.
func (s *snapshot) search(query string, n int) []Hit {
	if n == 0 || strings.TrimSpace(query) == "" {
		return nil
	}
	ix := s.index
	qts := ix.lookup(query, len(s.articles))
	if len(qts) == 0 {
		return nil
	}
	sc := ix.scratch.Get().(*searchScratch)
	scores, touched := sc.scores, sc.touched[:0]
	for _, qt := range qts {
		w := qt.idf * (bm25K1 + 1)
		for _, p := range qt.post {
			if scores[p.doc] == 0 {
				touched = append(touched, p.doc)
			}
			tf := float64(p.tf)
			scores[p.doc] += w * tf / (tf + float64(ix.norm[p.doc]))
		}
	}
	top := topHits(scores, touched, n)
	for _, d := range touched {
		scores[d] = 0
	}
	sc.touched = touched[:0]
	ix.scratch.Put(sc)

	terms := make([]string, len(qts))
	weights := make([]float64, len(qts))
	for i, qt := range qts {
		terms[i], weights[i] = qt.term, qt.idf
	}
	hits := make([]Hit, len(top))
	for i, c := range top {
		a := s.articles[c.doc]
		hits[i] = Hit{Article: a, Score: c.score, Snippet: makeSnippet(&a, terms, weights)}
	}
	return hits
}

// topHits picks the best k of the touched documents (all if k < 0), best first.
func topHits(scores []float64, touched []int32, k int) []scoredDoc {
	if k < 0 || k >= len(touched) {
		out := make([]scoredDoc, len(touched))
		for i, d := range touched {
			out[i] = scoredDoc{d, scores[d]}
		}
		slices.SortFunc(out, func(a, b scoredDoc) int {
			if betterHit(a, b) {
				return -1
			}
			return 1
		})
		return out
	}
	// h is a heap with the worst kept candidate at the root.
	h := make([]scoredDoc, 0, k)
	down := func(i int) {
		for {
			w := i
			if l := 2*i + 1; l < len(h) && betterHit(h[w], h[l]) {
				w = l
			}
			if r := 2*i + 2; r < len(h) && betterHit(h[w], h[r]) {
				w = r
			}
			if w == i {
				return
			}
			h[i], h[w] = h[w], h[i]
			i = w
		}
	}
	for _, d := range touched {
		c := scoredDoc{d, scores[d]}
		if len(h) < k {
			h = append(h, c)
			for i := len(h) - 1; i > 0; {
				p := (i - 1) / 2
				if !betterHit(h[p], h[i]) {
					break
				}
				h[i], h[p] = h[p], h[i]
				i = p
			}
			continue
		}
		if betterHit(c, h[0]) {
			h[0] = c
			down(0)
		}
	}
	// Pop worst-first into the tail to get best-first order.
	out := make([]scoredDoc, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = h[0]
		h[0] = h[len(h)-1]
		h = h[:len(h)-1]
		down(0)
	}
	return out
}

// latestTopic returns the newest n documents (all if n < 0) holding any of
// the topic's search terms, that is with a BM25 score above zero.
func (s *snapshot) latestTopic(topic string, n int) []int32 {
	qts := s.index.lookup(topic, len(s.articles))
	if len(qts) == 0 || n == 0 {
		return nil
	}
	// Postings are sorted newest first, so the n newest matches are among
	// the first n entries of each list.
	var docs []int32
	for _, qt := range qts {
		p := qt.post
		if n > 0 && len(p) > n {
			p = p[:n]
		}
		for _, e := range p {
			docs = append(docs, e.doc)
		}
	}
	if len(qts) > 1 {
		slices.Sort(docs)
		docs = slices.Compact(docs)
	}
	if n > 0 && len(docs) > n {
		docs = docs[:n]
	}
	return docs
}

// makeSnippet picks the sentence of a's body that best matches the terms
// (the one holding the most, idf-weighted, of them) and cuts a passage of at
// most snippetMax characters around it. With no match it uses the lead.
func makeSnippet(a *Article, terms []string, weights []float64) string {
	if len(a.Paragraphs) == 0 {
		return ""
	}
	full := uint64(1)<<len(terms) - 1
	bestScore := 0.0
	bestPara, bestStart, bestEnd, bestMatch := 0, 0, -1, -1
	var buf []byte
search:
	for pi, p := range a.Paragraphs {
		for st := 0; st < len(p); {
			en := sentenceEnd(p, st)
			var mask uint64
			tf, first := 0, -1
			buf = scanWords(p[st:en], buf, func(w []byte, ws, _ int) {
				if k := matchTerm(w, terms); k >= 0 {
					mask |= 1 << k
					tf++
					if first < 0 {
						first = st + ws
					}
				}
			})
			if mask != 0 {
				score := 0.01 * float64(min(tf, 10))
				for k, w := range weights {
					if mask&(1<<k) != 0 {
						score += w + 1
					}
				}
				if score > bestScore {
					bestScore, bestPara, bestStart, bestEnd, bestMatch = score, pi, st, en, first
				}
				if mask == full {
					break search
				}
			}
			st = skipSpaces(p, en)
		}
	}
	p := a.Paragraphs[bestPara]
	if bestEnd < 0 {
		bestEnd = sentenceEnd(p, 0)
	}
	return cutSnippet(p, bestStart, bestEnd, bestMatch)
}

// matchTerm returns the index of the term that the lowercased word w is
// (normalizeTerm(w) == terms[k]), or -1. It is scanTerms's test without
// its map lookups for the words that cannot match.
func matchTerm(w []byte, terms []string) int {
	for k, t := range terms {
		switch len(w) - len(t) {
		case 0:
			if string(w) == t {
				return k
			}
		case 1:
			if w[len(t)] == 's' && string(w[:len(t)]) == t {
				if nt := normalizeTerm(w); string(nt) == t {
					return k
				}
			}
		}
	}
	return -1
}

// sentenceEnd returns the end of the sentence of p starting at st: after a
// '.', '!' or '?' (and any closing quotes or brackets) that is followed by a
// space and then an upper-case letter, a digit or an opening quote.
func sentenceEnd(p string, st int) int {
	for i := st; i < len(p); i++ {
		switch p[i] {
		case '.', '!', '?':
		default:
			continue
		}
		j := i + 1
		for j < len(p) {
			r, size := utf8.DecodeRuneInString(p[j:])
			if !strings.ContainsRune(`"')]”’»`, r) {
				break
			}
			j += size
		}
		if j >= len(p) {
			return len(p)
		}
		if p[j] != ' ' {
			continue
		}
		k := skipSpaces(p, j)
		if k >= len(p) {
			return j
		}
		r, _ := utf8.DecodeRuneInString(p[k:])
		if unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune(`"'“‘«(`, r) {
			return j
		}
	}
	return len(p)
}

func skipSpaces(p string, i int) int {
	for i < len(p) && p[i] == ' ' {
		i++
	}
	return i
}

// cutSnippet returns the sentence p[st:en], extended with the following
// sentences while it fits in snippetMax characters; a sentence longer than
// that is cut to a window around match (a byte offset in p, or -1), on word
// boundaries, with "…" marking the cuts.
func cutSnippet(p string, st, en, match int) string {
	if utf8.RuneCountInString(p[st:en]) <= snippetMax {
		for en < len(p) {
			ne := sentenceEnd(p, skipSpaces(p, en))
			if utf8.RuneCountInString(p[st:ne]) > snippetMax {
				break
			}
			en = ne
		}
		return p[st:en]
	}
	if match < st || match >= en {
		match = st
	}
	// Start about a third of the window before the match, on a word start.
	ws := match
	for back := 0; ws > st && back < snippetMax/3; back++ {
		_, size := utf8.DecodeLastRuneInString(p[st:ws])
		ws -= size
	}
	if ws > st && p[ws-1] != ' ' {
		if i := strings.IndexByte(p[ws:match], ' '); i >= 0 {
			ws += i + 1
		} else {
			// No space before the match: start at the match itself.
			ws = match
		}
	}
	budget := snippetMax - 1 // the closing "…"
	if ws > st {
		budget-- // the opening "…"
	}
	we := ws
	for count := 0; we < en && count < budget; count++ {
		_, size := utf8.DecodeRuneInString(p[we:en])
		we += size
	}
	if we < en {
		if i := strings.LastIndexByte(p[ws:we], ' '); i > 0 {
			we = ws + i
		}
	}
	out := strings.TrimRight(p[ws:we], " ,;:")
	if ws > st {
		out = "…" + out
	}
	if we < en {
		out += "…"
	}
	return out
}

// completer answers title completion over the lowercased titles of one
// snapshot, numbered newest first like the search index:
//   - title prefixes by binary search in the titles sorted by text;
//   - word prefixes by binary search in every title word start, sorted by
//     the title's text from there (further query words are checked on the
//     candidates);
//   - substrings by a scan in newest-first order that stops as soon as it
//     has enough, skipping most titles with a 256-bit signature of the bytes
//     and byte pairs each title holds.
//
// The first two produce candidate sets that a bitmap orders newest first.
type completer struct {
	lower   []string    // lowercased title, by document
	words   []string    // " word word …" of the title, by document
	sig     [][4]uint64 // signature of lower, by document
	byTitle []int32     // documents sorted by lower title
	byWord  []wordStart // title word starts sorted by the text from there
	bitmaps sync.Pool   // *[]uint64 with a bit per document
}

// wordStart is a title from the start of one of its words.
type wordStart struct {
	text string
	doc  int32
}

func buildCompleter(arts []Article) *completer {
	n := len(arts)
	c := &completer{
		lower:   make([]string, n),
		words:   make([]string, n),
		sig:     make([][4]uint64, n),
		byTitle: make([]int32, n),
	}
	c.bitmaps.New = func() any {
		b := make([]uint64, (n+63)/64)
		return &b
	}
	var b strings.Builder
	for d := range arts {
		t := lowerTitle(arts[d].Title)
		c.lower[d] = t
		c.sig[d] = signature(t)
		c.byTitle[d] = int32(d)
		b.Reset()
		inWord := false
		for i, r := range t {
			alnum := unicode.IsLetter(r) || unicode.IsDigit(r)
			if alnum && !inWord {
				c.byWord = append(c.byWord, wordStart{t[i:], int32(d)})
				b.WriteByte(' ')
			}
			if alnum {
				b.WriteRune(r)
			}
			inWord = alnum
		}
		c.words[d] = b.String()
	}
	slices.SortFunc(c.byTitle, func(x, y int32) int { return strings.Compare(c.lower[x], c.lower[y]) })
	slices.SortFunc(c.byWord, func(x, y wordStart) int { return strings.Compare(x.text, y.text) })
	return c
}

// lowerTitle lowercases s and folds white space.
func lowerTitle(s string) string { return summarize.FoldSpace(strings.ToLower(s)) }

// titleWords splits a lowercased title into runs of letters and digits.
func titleWords(t string) []string {
	return strings.FieldsFunc(t, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// signature sets one bit per byte and one per pair of adjacent bytes of s: a
// string with a substring q has every bit of signature(q).
func signature(s string) [4]uint64 {
	var sig [4]uint64
	set := func(h uint32) { sig[h>>6&3] |= 1 << (h & 63) }
	for i := 0; i < len(s); i++ {
		set(uint32(s[i]) * 0x9E3779B1 >> 24)
		if i+1 < len(s) {
			set((uint32(s[i])<<8 | uint32(s[i+1])) * 0x85EBCA6B >> 24)
		}
	}
	return sig
}

// prefixRange returns the bounds of the entries of a sorted list whose key
// starts with p.
func prefixRange(n int, key func(i int) string, p string) (lo, hi int) {
	lo = sortSearch(n, func(i int) bool { return key(i) >= p })
	hi = lo + sortSearch(n-lo, func(i int) bool { return !strings.HasPrefix(key(lo+i), p) })
	return lo, hi
}

// sortSearch is sort.Search: the smallest i in [0, n) with f(i), or n.
func sortSearch(n int, f func(int) bool) int {
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !f(m) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// newest returns, ascending (newest first), up to want of the documents that
// each yields and keep accepts, without duplicates; want < 0 means all.
func (c *completer) newest(want int, each func(mark func(d int32)), keep func(d int32) bool) []int32 {
	bp := c.bitmaps.Get().(*[]uint64)
	marks := *bp
	each(func(d int32) { marks[d>>6] |= 1 << (d & 63) })
	var out []int32
	for w, word := range marks {
		for word != 0 && want != 0 {
			d := int32(w<<6 + bits.TrailingZeros64(word))
			word &= word - 1
			if keep == nil || keep(d) {
				out = append(out, d)
				want--
			}
		}
		if want == 0 {
			break
		}
	}
	clear(marks)
	c.bitmaps.Put(bp)
	return out
}

// complete returns up to n documents (all matches when n < 0) whose title
// matches query: title prefix first, then word prefixes, then substrings,
// each group newest first.
func (c *completer) complete(query string, n int) []int32 {
	q := lowerTitle(query)
	if q == "" || n == 0 {
		return nil
	}
	want := func(have int) int {
		if n < 0 {
			return -1
		}
		return n - have
	}
	in := func(list []int32, d int32) bool {
		_, ok := slices.BinarySearch(list, d)
		return ok
	}

	lo, hi := prefixRange(len(c.byTitle), func(i int) string { return c.lower[c.byTitle[i]] }, q)
	r0 := c.newest(n, func(mark func(int32)) {
		for _, d := range c.byTitle[lo:hi] {
			mark(d)
		}
	}, nil)

	var r1 []int32
	if qw := titleWords(q); len(qw) > 0 && want(len(r0)) != 0 {
		// Look up the longest (most selective) word; check the others.
		slices.SortStableFunc(qw, func(a, b string) int { return len(b) - len(a) })
		rest := make([]string, len(qw)-1)
		for i, w := range qw[1:] {
			rest[i] = " " + w
		}
		lo, hi := prefixRange(len(c.byWord), func(i int) string { return c.byWord[i].text }, qw[0])
		r1 = c.newest(want(len(r0)), func(mark func(int32)) {
			for _, e := range c.byWord[lo:hi] {
				mark(e.doc)
			}
		}, func(d int32) bool {
			if in(r0, d) {
				return false
			}
			for _, w := range rest {
				if !strings.Contains(c.words[d], w) {
					return false
				}
			}
			return true
		})
	}

	var r2 []int32
	if left := want(len(r0) + len(r1)); left != 0 {
		qs := signature(q)
		for d := range c.lower {
			s := &c.sig[d]
			if s[0]&qs[0] != qs[0] || s[1]&qs[1] != qs[1] || s[2]&qs[2] != qs[2] || s[3]&qs[3] != qs[3] {
				continue
			}
			if strings.Contains(c.lower[d], q) && !in(r0, int32(d)) && !in(r1, int32(d)) {
				r2 = append(r2, int32(d))
				if left--; left == 0 {
					break
				}
			}
		}
	}
	return slices.Concat(r0, r1, r2)
}
