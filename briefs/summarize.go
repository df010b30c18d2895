package briefs

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length is a summary budget: Sentences > 0 picks that many sentences; Words
// > 0 picks the best sentences until that many words are reached. With both
// set, the best sentences are taken until either limit is reached. The zero
// Length means Standard.
type Length struct {
	Sentences, Words int
}

// The named lengths users can ask for.
var (
	Short    = Length{Sentences: 1}
	Standard = Length{Sentences: 3}
	Long     = Length{Sentences: 5}
)

// ParseLength reads a length name: "short", "standard" or "long", in any
// case.
func ParseLength(s string) (Length, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "short":
		return Short, nil
	case "standard":
		return Standard, nil
	case "long":
		return Long, nil
	}
	return Length{}, fmt.Errorf("unknown summary length %q: want short, standard or long", s)
}

// Summary is an extractive summary: sentences of the article, in article
// order, and the article's keywords.
type Summary struct {
	Sentences []string
	Keywords  []string
}

// summaryKeywords is how many keywords Summarize returns.
const summaryKeywords = 5

// Summarize picks the article's most telling sentences within the budget l
// and returns them in article order, with the article's keywords.
func Summarize(a Article, l Length) Summary {
	return summarizeWith(a, l, &defaultModel)
}

func summarizeWith(a Article, l Length, m *model) Summary {
	var d doc
	d.analyze(a)
	var s Summary
	if len(d.sents) > 0 {
		scores := d.score(m)
		var pick []bool
		if l.Words > 0 && l.Sentences <= 0 {
			pick = d.fillWords(scores, l.Words, m)
			if !slices.Contains(pick, true) {
				pick = d.topSentences(scores, Length{Sentences: 1})
			}
		} else {
			if l.Sentences <= 0 && l.Words <= 0 {
				l = Standard
			}
			pick = d.topSentences(scores, l)
		}
		n := 0
		for _, p := range pick {
			if p {
				n++
			}
		}
		s.Sentences = make([]string, 0, n)
		for i, p := range pick {
			if p {
				s.Sentences = append(s.Sentences, d.sents[i].text)
			}
		}
	}
	s.Keywords = d.keywords(summaryKeywords)
	return s
}

// model holds the weights of the sentence features (see doc.features) and
// how the word budget is filled.
type model struct {
	w [numFeatures]float64
	// threshold is subtracted from each sentence's probability before it is
	// weighed by its words: sentences less likely than this only cost.
	threshold float64
	// overflow is the cost of each word past the word budget.
	overflow float64
}

// The sentence features.
const (
	fBias       = iota
	fCentroid   // cosine of the sentence's content words with the article's
	fTitle      // share of the title's content words in the sentence
	fFirst      // the first sentence of the article
	fPosition   // relative position, 0 first to 1 last
	fLogWords   // log of the number of words
	fQuote      // the sentence holds a quotation
	fDensity    // content words over all words
	fTextRank   // TextRank score times the number of sentences (mean 1)
	fTRRank     // TextRank rank, 1 for the best to 0 for the worst
	fTRTop      // among the best 40% by TextRank
	numFeatures // how many
)

var featureNames = [numFeatures]string{"bias", "centroid", "title", "first", "position", "logwords", "quote", "density", "textrank", "trrank", "trtop"}

// defaultModel was fitted on BBC news by logistic regression on which
// sentences reference summaries hold, its threshold picked by ROUGE at 75
// words (see summarize_tune_test.go). TextRank carries most of the weight;
// title words, closeness to the article's centroid and an early position
// refine it; quotations and a high share of content words (density, which
// marks terse, list-like sentences) count against.
var defaultModel = model{
	w: [numFeatures]float64{
		fBias: -4.761, fCentroid: 1.410, fTitle: 0.576, fFirst: -0.063, fPosition: -0.204,
		fLogWords: 0.005, fQuote: -0.398, fDensity: -1.722,
		fTextRank: 2.820, fTRRank: 3.037, fTRTop: 1.110,
	},
	threshold: 0.40,
}

// term is what the summarizer knows of one word of an article.
type term struct {
	tf        int32 // occurrences in the body
	sf        int32 // sentences holding it
	lastSent  int32 // 1 + the last sentence it was counted in
	slot      int32 // its entry in doc.uniq for sentence lastSent-1
	stop      bool  // a stopword
	title     bool  // in the title
	lead      bool  // in the first sentence
	keyword   bool  // may be a keyword: three bytes or more, a letter, no apostrophe, not weak
	lowerSeen bool  // seen in lower case
	surface   string
}

// termCount is one content word of a sentence and how often it occurs there.
type termCount struct {
	id, n int32
}

// sentence is one candidate sentence.
type sentence struct {
	text      string
	words     int // white-space separated words, as budgets count them
	para      int
	paraFirst bool
	quote     bool
	tokens    int32 // all word tokens
	content   int32 // content word tokens
	lo, hi    int32 // its content words in doc.uniq
}

type slot struct {
	hash uint64
	id   int32
}

// doc is an article analyzed for summarizing.
type doc struct {
	sents  []sentence
	terms  []term
	uniq   []termCount
	table  []slot
	buf    []byte
	nTitle int // distinct content words in the title
}

// analyze splits the article into sentences and counts its words.
func (d *doc) analyze(a Article) {
	texts := make([]string, 0, 32)
	paras := make([]int32, 0, 32)
	for pi, p := range a.Paragraphs {
		n := len(texts)
		texts = appendSentences(texts, p)
		for range len(texts) - n {
			paras = append(paras, int32(pi))
		}
	}
	d.sents = make([]sentence, len(texts))
	total := 0
	for i, t := range texts {
		s := &d.sents[i]
		s.text = t
		s.para = int(paras[i])
		s.paraFirst = i == 0 || paras[i-1] != paras[i]
		s.words, s.quote = scanSentence(t)
		total += s.words
	}
	size := 64
	for size < 2*(total+len(a.Title)/4+8) {
		size *= 2
	}
	d.table = make([]slot, size)
	d.terms = make([]term, 0, size/4)
	d.uniq = make([]termCount, 0, total)
	d.buf = make([]byte, 0, 32)

	// The title's words are known but not counted.
	forEachToken(a.Title, d, func(id int32, _ string, _ bool) {
		t := &d.terms[id]
		if !t.title {
			t.title = true
			if !t.stop {
				d.nTitle++
			}
		}
	})
	for i := range d.sents {
		s := &d.sents[i]
		s.lo = int32(len(d.uniq))
		forEachToken(s.text, d, func(id int32, surface string, lower bool) {
			s.tokens++
			t := &d.terms[id]
			if t.tf == 0 {
				t.surface = surface
			}
			t.tf++
			t.lowerSeen = t.lowerSeen || lower
			if i == 0 {
				t.lead = true
			}
			if t.stop {
				return
			}
			s.content++
			if t.lastSent != int32(i+1) {
				t.lastSent = int32(i + 1)
				t.sf++
				t.slot = int32(len(d.uniq))
				d.uniq = append(d.uniq, termCount{id, 1})
			} else {
				d.uniq[t.slot].n++
			}
		})
		s.hi = int32(len(d.uniq))
	}
}

// scanSentence counts the white-space separated words of the folded
// sentence t and reports whether it holds a double quote.
func scanSentence(t string) (words int, quote bool) {
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c == ' ':
			words++
		case c == '"':
			quote = true
		case c >= utf8.RuneSelf:
			// Sentences with other white space than ' ' are rare: count them
			// the slow way.
			r, size := utf8.DecodeRuneInString(t[i:])
			if r == '“' || r == '”' {
				quote = true
			}
			if unicode.IsSpace(r) {
				return countWords(t), quote || strings.ContainsAny(t[i:], "\"“”")
			}
			i += size - 1
		}
	}
	return words + 1, quote
}

// forEachToken calls f with the id of each word of s, its text and whether
// it has no capitals. Words are the white-space separated fields of s,
// lower-cased, with the punctuation and symbols around them trimmed (inner
// ones stay: "9.3bn", "little-known", "it's").
func forEachToken(s string, d *doc, f func(id int32, surface string, lower bool)) {
	for i := 0; i < len(s); {
		// Skip white space, punctuation and symbols.
		c := s[i]
		if c < utf8.RuneSelf {
			if !isASCIIAlnum(c) {
				i++
				continue
			}
		} else if r, size := utf8.DecodeRuneInString(s[i:]); !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			i += size
			continue
		}
		// A word starts at i and runs to the next white space; its end is
		// after its last letter or digit.
		start, end, bufEnd := i, i, 0
		buf := d.buf[:0]
		lower := true
		for i < len(s) {
			c := s[i]
			if c < utf8.RuneSelf {
				if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
					break
				}
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
					lower = false
				}
				buf = append(buf, c)
				i++
				if isASCIIAlnum(c) {
					end, bufEnd = i, len(buf)
				}
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				break
			}
			switch lr := unicode.ToLower(r); {
			case r == '’':
				r = '\''
			case lr != r:
				r = lr
				lower = false
			}
			buf = utf8.AppendRune(buf, r)
			i += size
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				end, bufEnd = i, len(buf)
			}
		}
		d.buf = buf
		f(d.intern(buf[:bufEnd]), s[start:end], lower)
	}
}

func isASCIIAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// intern returns the id of the lower-case word w, adding it if new.
func (d *doc) intern(w []byte) int32 {
	h := uint64(14695981039346656037) // FNV-1a
	for _, c := range w {
		h ^= uint64(c)
		h *= 1099511628211
	}
	mask := uint64(len(d.table) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		e := &d.table[i]
		if e.hash == h && e.id > 0 {
			return e.id - 1
		}
		if e.id == 0 {
			if len(d.terms)*2 >= len(d.table) {
				d.grow()
				return d.intern(w)
			}
			id := int32(len(d.terms))
			e.hash, e.id = h, id+1
			d.terms = append(d.terms, term{
				stop:    stopwords[string(w)],
				keyword: len(w) >= 3 && hasLetter(w) && !weakKeywords[string(w)],
			})
			return id
		}
	}
}

// grow doubles the hash table.
func (d *doc) grow() {
	old := d.table
	d.table = make([]slot, 2*len(old))
	mask := uint64(len(d.table) - 1)
	for _, e := range old {
		if e.id == 0 {
			continue
		}
		i := e.hash & mask
		for d.table[i].id != 0 {
			i = (i + 1) & mask
		}
		d.table[i] = e
	}
}

// hasLetter reports whether w has a letter and no apostrophe (possessives
// and contractions make poor keywords).
func hasLetter(w []byte) bool {
	letter := false
	for _, c := range w {
		if c == '\'' {
			return false
		}
		if c >= 'a' && c <= 'z' || c >= utf8.RuneSelf {
			letter = true
		}
	}
	return letter
}

// features fills f (len(d.sents) * numFeatures) with each sentence's
// features.
func (d *doc) features(f []float64) {
	n := len(d.sents)
	var docNorm float64
	for _, t := range d.terms {
		if !t.stop {
			docNorm += float64(t.tf) * float64(t.tf)
		}
	}
	docNorm = math.Sqrt(docNorm)
	for i := range d.sents {
		s := &d.sents[i]
		row := f[i*numFeatures : (i+1)*numFeatures]
		clear(row)
		row[fBias] = 1
		var dot, norm float64
		titleHits := 0
		for _, u := range d.uniq[s.lo:s.hi] {
			t := &d.terms[u.id]
			dot += float64(u.n) * float64(t.tf)
			norm += float64(u.n) * float64(u.n)
			if t.title {
				titleHits++
			}
		}
		if s.content > 0 {
			row[fCentroid] = dot / (math.Sqrt(norm) * docNorm)
		}
		if d.nTitle > 0 {
			row[fTitle] = float64(titleHits) / float64(d.nTitle)
		}
		if i == 0 {
			row[fFirst] = 1
		}
		if n > 1 {
			row[fPosition] = float64(i) / float64(n-1)
		}
		row[fLogWords] = math.Log1p(float64(s.words))
		if s.quote {
			row[fQuote] = 1
		}
		if s.tokens > 0 {
			row[fDensity] = float64(s.content) / float64(s.tokens)
		}
	}
	d.textRank(f)
}

// textRank fills the TextRank features: PageRank over the sentences, linked
// by the cosine of their content word counts.
func (d *doc) textRank(f []float64) {
	n := len(d.sents)
	norms := make([]float64, n)
	for i := range d.sents {
		s := &d.sents[i]
		var nn float64
		for _, u := range d.uniq[s.lo:s.hi] {
			nn += float64(u.n) * float64(u.n)
		}
		norms[i] = math.Sqrt(nn)
	}
	sim := make([]float64, n*n)
	out := make([]float64, n) // row sums
	dense := make([]float64, len(d.terms))
	for i := range d.sents {
		si := &d.sents[i]
		if norms[i] == 0 {
			continue
		}
		for _, u := range d.uniq[si.lo:si.hi] {
			dense[u.id] = float64(u.n)
		}
		for j := i + 1; j < n; j++ {
			sj := &d.sents[j]
			var dot float64
			for _, u := range d.uniq[sj.lo:sj.hi] {
				dot += dense[u.id] * float64(u.n)
			}
			if dot == 0 {
				continue
			}
			c := dot / (norms[i] * norms[j])
			sim[i*n+j], sim[j*n+i] = c, c
			out[i] += c
			out[j] += c
		}
		for _, u := range d.uniq[si.lo:si.hi] {
			dense[u.id] = 0
		}
	}
	const damping = 0.85
	p := make([]float64, n)
	q := make([]float64, n)
	for i := range p {
		p[i] = 1 / float64(n)
	}
	for range 100 {
		dangling := 0.0
		for i := range n {
			if out[i] == 0 {
				dangling += p[i]
			}
		}
		base := (1-damping)/float64(n) + damping*dangling/float64(n)
		for j := range q {
			q[j] = base
		}
		for i := range n {
			if out[i] == 0 {
				continue
			}
			pi := damping * p[i] / out[i]
			for j, v := range sim[i*n : (i+1)*n] {
				q[j] += pi * v
			}
		}
		diff := 0.0
		for j := range q {
			diff += math.Abs(q[j] - p[j])
		}
		p, q = q, p
		if diff < 1e-9*float64(n) {
			break
		}
	}
	top := (2*n + 4) / 5 // ceil(0.4 n)
	for i := range n {
		rank := 0
		for j := range n {
			if p[j] > p[i] || p[j] == p[i] && j < i {
				rank++
			}
		}
		row := f[i*numFeatures : (i+1)*numFeatures]
		row[fTextRank] = p[i] * float64(n)
		if n > 1 {
			row[fTRRank] = 1 - float64(rank)/float64(n-1)
		} else {
			row[fTRRank] = 1
		}
		if rank < top {
			row[fTRTop] = 1
		}
	}
}

// score returns each sentence's probability of belonging in a summary.
func (d *doc) score(m *model) []float64 {
	n := len(d.sents)
	f := make([]float64, n*numFeatures)
	d.features(f)
	out := make([]float64, n)
	for i := range n {
		z := 0.0
		for k, w := range m.w {
			z += w * f[i*numFeatures+k]
		}
		out[i] = 1 / (1 + math.Exp(-z))
	}
	return out
}

// topSentences picks the best-scoring sentences within l, ties going to the
// earlier sentence.
func (d *doc) topSentences(scores []float64, l Length) []bool {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	pick := make([]bool, len(scores))
	count, words := 0, 0
	for _, i := range order {
		if l.Sentences > 0 && count >= l.Sentences || l.Words > 0 && words >= l.Words {
			break
		}
		pick[i] = true
		count++
		words += d.sents[i].words
	}
	return pick
}

// fillWords picks the sentences that, read in article order and cut at
// budget words, carry the most expected value: each word kept is worth its
// sentence's score less the model's threshold, each word past the budget
// costs the model's overflow. Every picked sentence starts within the
// budget. An article that fits the budget is returned whole.
func (d *doc) fillWords(scores []float64, budget int, m *model) []bool {
	n := len(d.sents)
	total := 0
	for _, s := range d.sents {
		total += s.words
	}
	if total <= budget { // the whole article fits
		pick := make([]bool, n)
		for i := range pick {
			pick[i] = true
		}
		return pick
	}
	B := budget
	const none = math.MaxFloat64
	best := make([]float64, B+1) // best[w]: best value with w words used (B: full)
	next := make([]float64, B+1)
	take := make([]bool, n*(B+1)) // take[i*(B+1)+w]: sentence i taken to reach w
	from := make([]int32, n*(B+1))
	for w := range best {
		best[w] = -none
	}
	best[0] = 0
	for i, s := range d.sents {
		copy(next, best)
		v := scores[i] - m.threshold
		for w := 0; w < B; w++ {
			if best[w] == -none {
				continue
			}
			kept := min(s.words, B-w)
			nw := min(B, w+s.words)
			val := best[w] + v*float64(kept) - m.overflow*float64(w+s.words-nw)
			if s.words == 0 {
				continue
			}
			if val > next[nw] {
				next[nw] = val
				take[i*(B+1)+nw] = true
				from[i*(B+1)+nw] = int32(w)
			}
		}
		best, next = next, best
	}
	// The best end state, then walk back.
	bw := 0
	for w := range best {
		if best[w] > best[bw] {
			bw = w
		}
	}
	pick := make([]bool, n)
	for i := n - 1; i >= 0; i-- {
		if take[i*(B+1)+bw] {
			pick[i] = true
			bw = int(from[i*(B+1)+bw])
		}
	}
	if bw != 0 {
		panic("briefs: inconsistent budget walk")
	}
	return pick
}
