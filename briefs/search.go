package briefs

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"newsbrief/briefs/summarize"
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
	return scanWords(s, buf, func(w []byte, _ uint64, start, end int) {
		if t := normalizeTerm(w); t != nil {
			fn(t, start, end)
		}
	})
}

// scanWords is scanTerms before normalizeTerm: every maximal run of
// letters and digits, lowercased, with its span in s and its FNV-1a hash
// (its low bit set, never 0), computed as the word is scanned: indexing
// keys its words by it. A word of lowercase ASCII letters and digits
// alone, most of a text's, is given as s's own bytes, not copied; fn must
// neither keep nor change word.
func scanWords(s string, buf []byte, fn func(word []byte, h uint64, start, end int)) []byte {
	const offset, prime = 14695981039346656037, 1099511628211
	buf = buf[:0]
	h, start := uint64(offset), -1
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if wordByte[c] == 0 {
				if start >= 0 {
					fn(buf, h|1, start, i)
					buf, h, start = buf[:0], offset, -1
				}
				i++
				continue
			}
			// A run of ASCII letters and digits, hashed as it is read,
			// copied (and lowercased) only when it is not a word of its
			// own as it stands: tokenizing is most of building a library,
			// and this is most of tokenizing.
			j, upper := i, false
			for j < len(s) {
				lc := lowerWordByte[s[j]]
				if lc == 0 {
					break
				}
				upper = upper || lc != s[j]
				h = (h ^ uint64(lc)) * prime
				j++
			}
			if start < 0 && !upper && (j == len(s) || s[j] < utf8.RuneSelf) {
				fn(unsafe.Slice(unsafe.StringData(s[i:]), j-i), h|1, i, j)
				h = offset
				i = j
				continue
			}
			if start < 0 {
				start = i
			}
			n := len(buf)
			buf = append(buf, s[i:j]...)
			if upper {
				for k := n; k < len(buf); k++ {
					buf[k] = lowerWordByte[buf[k]]
				}
			}
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			n := len(buf)
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
			for _, b := range buf[n:] {
				h = (h ^ uint64(b)) * prime
			}
		} else if start >= 0 {
			fn(buf, h|1, start, i)
			buf, h, start = buf[:0], offset, -1
		}
		i += size
	}
	if start >= 0 {
		fn(buf, h|1, start, len(s))
	}
	return buf
}

// lowerWordByte is each ASCII letter and digit lowercased, and 0 for the
// other bytes.
var lowerWordByte = func() (t [256]byte) {
	for c := range 256 {
		switch k := wordByte[c]; k {
		case wordLower:
			t[c] = byte(c)
		case wordUpper:
			t[c] = byte(c) + ('a' - 'A')
		}
	}
	return t
}()

// wordByte classes the ASCII bytes for scanWords: wordLower for lowercase
// letters and digits, wordUpper for capitals, 0 for the rest (separators,
// and the bytes of non-ASCII characters, which scanWords decodes).
var wordByte = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = wordLower
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = wordLower
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = wordUpper
	}
	return t
}()

const (
	wordLower = 1
	wordUpper = 2
)

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

// bm25IDF is BM25's inverse document frequency in the form that stays positive
// even for terms in most documents.
func bm25IDF(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// scoredDoc is a candidate document and its score.
type scoredDoc struct {
	doc   int32
	score float64
}

// topHits picks the best k of the candidates (all if k < 0), best first:
// higher score first, then newer (see newer).
func topHits(cands []scoredDoc, k int, newer func(a, b int32) bool) []scoredDoc {
	betterHit := func(a, b scoredDoc) bool {
		if a.score != b.score {
			return a.score > b.score
		}
		return newer(a.doc, b.doc)
	}
	if k < 0 || k >= len(cands) {
		out := slices.Clone(cands)
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
	for _, c := range cands {
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
		if c.score >= h[0].score && betterHit(c, h[0]) { // most lose on score alone
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
			buf = scanWords(p[st:en], buf, func(w []byte, _ uint64, ws, _ int) {
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
