package summarize

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
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
// order, and the article's keyphrases (see Keywords): names and terms
// whole, as the article writes them ("Blue Bell", "ice cream").
type Summary struct {
	Sentences []string
	Keywords  []string
}

// summaryKeywords is how many keyphrases Summarize returns.
const summaryKeywords = 5

// Summarize picks the article's most telling sentences within the budget l
// and returns them in article order, with the article's keyphrases.
func Summarize(a Text, l Length) Summary {
	z := summarizers.Get().(*Summarizer)
	defer summarizers.Put(z)
	return z.Summarize(a, l)
}

// summarizers hold the working memory of Summarize from call to call.
var summarizers = sync.Pool{New: func() any { return new(Summarizer) }}

// A Summarizer summarizes articles as the function Summarize does, keeping
// its working memory from one article to the next, so that a batch of
// articles costs almost no allocations. (Summarize takes Summarizers from a
// pool.) The zero value is ready to use. A Summarizer must not be used by
// several goroutines at once.
type Summarizer struct {
	d doc
}

// Summarize is like the function Summarize. The summary shares no memory
// with the Summarizer.
func (z *Summarizer) Summarize(a Text, l Length) Summary {
	return z.d.summarize(a, l, &defaultModel)
}

// summarize analyzes a and summarizes it, reusing d's memory.
func (d *doc) summarize(a Text, l Length, m *model) Summary {
	d.analyze(a)
	var s Summary
	if len(d.sents) > 0 {
		s.Sentences = d.brief(d.score(m), d.feats, l, m)
	}
	s.Keywords = d.keyphrases(summaryKeywords)
	return s
}

// brief picks the sentences of an analyzed article within l, given their
// scores and features f, and returns them as a brief shows them.
func (d *doc) brief(scores, f []float64, l Length, m *model) []string {
	var gains []float64
	if searchesSets(l, m) {
		gains = d.gains(f, m)
	}
	return d.briefWith(scores, gains, l, m)
}

// searchesSets reports whether a brief of length l is the best set of
// sentences under m (see bestSet), not picked one by one.
func searchesSets(l Length, m *model) bool {
	if l.Sentences <= 0 && l.Words <= 0 {
		l = Standard
	}
	return l.Words <= 0 && l.Sentences >= 2 && l.Sentences <= 3 && len(m.gainTrees) > 0
}

// briefWith is brief given the sentences' gains (nil when searchesSets is
// false).
func (d *doc) briefWith(scores, gains []float64, l Length, m *model) []string {
	var pick []bool
	if l.Words > 0 && l.Sentences <= 0 {
		pick = d.fillWords(scores, l.Words, m)
		if !slices.Contains(pick, true) {
			pick = d.topSentences(scores, Length{Sentences: 1}, m)
		}
	} else {
		if l.Sentences <= 0 && l.Words <= 0 {
			l = Standard
		}
		if gains != nil {
			pick = d.bestSet(scores, gains, l.Sentences, m)
		} else {
			pick = d.topSentences(scores, l, m)
		}
	}
	return d.ordered(pick, scores)
}

// ordered returns the picked sentences as a brief shows them: in article
// order, except that a brief must not open with a sentence that needs the
// ones before it; then the best-scoring standalone sentence picked comes
// first, and the others follow in article order.
func (d *doc) ordered(pick []bool, scores []float64) []string {
	n, lead := 0, -1
	for i, p := range pick {
		if !p {
			continue
		}
		n++
		if d.sents[i].standalone && (lead < 0 || scores[i] > scores[lead]) {
			lead = i
		}
	}
	out := make([]string, 0, n)
	first := slices.Index(pick, true)
	if lead >= 0 && first >= 0 && !d.sents[first].standalone {
		out = append(out, d.sents[lead].text)
	} else {
		lead = -1
	}
	for i, p := range pick {
		if p && i != lead {
			out = append(out, d.sents[i].text)
		}
	}
	return out
}

// model scores sentences from their features (see doc.features) and says
// how they are picked. A sentence's log-odds of belonging in a summary are
// base, plus the weights w times its features (a linear model), plus the
// leaf each tree puts it in (boosted trees, which catch what the features
// say together: central and early, long and quoted). Both halves were
// fitted apart and averaged: each alone does worse held out.
type model struct {
	w     [numFeatures]float64
	base  float64
	trees []tree
	// words weighs the features of a word (see wordFeatures): the model of
	// which words a summary uses, whose weights some sentence features sum.
	words [numWordFeatures]float64
	// threshold is subtracted from each sentence's probability before it is
	// weighed by its words: sentences less likely than this only cost.
	threshold float64
	// overflow is the cost of each word past the word budget.
	overflow float64
	// redundancy is how much a sentence's probability drops for each unit
	// of its greatest similarity (cosine) to a sentence picked before it.
	redundancy float64
	// wordCost is how much a sentence's probability drops for each of its
	// words when sentences are counted, not words: a brief of a few
	// sentences reads better, and says as much, in shorter ones.
	wordCost float64
	// leadBonus is added to a sentence's probability, times 1/(1+its
	// position), when sentences are counted: a brief of a few sentences
	// says first what happened, and news tells that at the top.
	leadBonus float64

	// gainBase plus the leaves that gainTrees put a sentence's features in
	// is its gain: how many of its word pairs (bigrams) a summary of the
	// article written by its editors would hold, as cnn-dev's highlights
	// do. A brief of two or three sentences is the set of candidates whose
	// value is best: the F1 of its expected word pairs,
	//
	//	2 (G - gainOverlap·O) / (B + gainRef)
	//
	// (G its sentences' gains, O their overlap: the sum over each two of
	// them of their similarity times the lesser gain, B its word pairs,
	// gainRef the summary's), plus gainScore times the sum of their scores
	// and gainLead times the sum of 1/(1+position). ROUGE-2 F1 against
	// highlights of some 30 words is bound by precision: the F1 weighs a
	// long sentence's pairs against the words it adds.
	gainBase                                  float64
	gainTrees                                 []tree
	gainRef, gainOverlap, gainScore, gainLead float64
}

// treeDepth is the depth of the model's trees.
const treeDepth = 4

// tree is an oblivious decision tree: every node of a level asks the same
// question, whether feature feat[l] exceeds thr[l], so that the answers
// spell out the leaf's index bit by bit, with no branches to mispredict.
type tree struct {
	feat [treeDepth]uint8
	thr  [treeDepth]float64
	leaf [1 << treeDepth]float64
}

// featureRow is one sentence's features.
type featureRow = [numFeatures]float64

// treesScore returns the sum of the leaves that trees put the features
// row in. (Unrolled for treeDepth 4, which the constant below checks: it is
// most of the scoring's time.)
const _ = uint(treeDepth-4) + uint(4-treeDepth)

func treesScore(trees []tree, row *featureRow) float64 {
	z := 0.0
	for t := range trees {
		tr := &trees[t]
		leaf := b2i(row[tr.feat[0]] > tr.thr[0]) | b2i(row[tr.feat[1]] > tr.thr[1])<<1 |
			b2i(row[tr.feat[2]] > tr.thr[2])<<2 | b2i(row[tr.feat[3]] > tr.thr[3])<<3
		z += tr.leaf[leaf&(1<<treeDepth-1)]
	}
	return z
}

// The sentence features. Positions count candidate sentences only (not
// captions or credits).
const (
	fBias          = iota
	fLede          // the first candidate sentence: where news says what happened
	fSecond        // the second candidate sentence
	fPosition      // relative position, 0 first to 1 last
	fInvPos        // 1 / (1 + position): the weight of the first few sentences
	fParaFirst     // opens its paragraph
	fParaPos       // relative position of its paragraph
	fCentroid      // cosine of the sentence's content words with the article's
	fTitle         // share of the title's content words in the sentence
	fTextRank      // TextRank score times the number of sentences (mean 1)
	fTRRank        // TextRank rank, 1 for the best to 0 for the worst
	fTRTop         // among the best 40% by TextRank
	fLogWords      // log of the number of words
	fShort         // fewer than 10 words
	fLong          // more than 40 words
	fQuote         // holds a quotation
	fQuoteStart    // opens with a quotation
	fAttrib        // attribution: said, says, told, according to
	fNumber        // holds a number
	fNames         // share of its words that are capitalized past the first
	fDensity       // content words over all words
	fDependent     // opens with a pronoun, a connective or a quotation
	fFresh         // share of its content words the article has not used before
	fDay           // names a day or a recent time: Monday, yesterday, last week
	fLedeSim       // cosine with the first candidate sentence
	fEarlyCentroid // centroid times 1/(1+position): central and early
	fEarlyTitle    // title times 1/(1+position)
	fEarlyWords    // log of words times 1/(1+position)
	fEarlyTR       // TextRank rank times 1/(1+position)
	fMeanTF        // mean count in the article of its content words, over the article's mean (SumBasic)
	fMeanTFRank    // rank by fMeanTF, 1 for the best to 0 for the worst
	fCentroidRank  // rank by fCentroid, 1 for the best to 0 for the worst
	fDateline      // opened with a dateline or wire credit: where a story starts, wherever it stands
	fPrevSim       // cosine with the sentence before
	fNextSim       // cosine with the sentence after
	fDocLen        // log of the number of candidate sentences
	fWordSum       // the word model's weights of its content words: how many of a summary's words it holds
	fWordMean      // fWordSum over its words: how much of it a summary would use
	fWordRank      // rank by fWordSum, 1 for the best to 0 for the worst
	fWordMeanRank  // rank by fWordMean
	fPast          // share of its words that are verbs in the past tense: news tells what happened
	numFeatures    // how many
)

// The features of a word for the word model, which weighs how likely a
// summary is to use each content word of an article.
const (
	wBias      = iota
	wLogTF     // log of its count
	wSpread    // share of the candidate sentences that hold it
	wFirst     // 1 / (1 + position of the first sentence that holds it)
	wTitle     // in the title
	wLede      // in the first sentence
	wCapital   // never seen in lower case: a name
	wNumber    // starts with a digit
	wLogLen    // log of its length in bytes
	wTitleTF   // in the title, times wLogTF
	wCapitalTF // a name, times wLogTF
	wPosFrac   // relative position of the first sentence that holds it
	wEarly     // log of its count in the first three candidate sentences
	wWeak      // too common in news to say much: said, year, people
	wEd        // ends in -ed: a verb of what happened
	wIng       // ends in -ing
	wQuoted    // share of its occurrences in sentences with a quotation
	wOnce      // in one sentence only
	wLedeTitle // in the first sentence and the title
	numWordFeatures
)

var wordFeatureNames = [numWordFeatures]string{"Bias", "LogTF", "Spread", "First", "Title", "Lede",
	"Capital", "Number", "LogLen", "TitleTF", "CapitalTF", "PosFrac", "Early", "Weak", "Ed", "Ing",
	"Quoted", "Once", "LedeTitle"}

// log1pTable holds log(1+n) for small n: the word features take the
// logarithm of small counts for each word of each article.
var log1pTable = func() (t [64]float64) {
	for n := range t {
		t[n] = math.Log1p(float64(n))
	}
	return t
}()

// log1p returns log(1+n), n ≥ 0.
func log1p(n int) float64 {
	if n < len(log1pTable) {
		return log1pTable[n]
	}
	return math.Log1p(float64(n))
}

// wordFeatures fills out with the features of term t of an article of
// nCand candidate sentences.
func wordFeatures(t *term, nCand int, out *[numWordFeatures]float64) {
	out[wBias] = 1
	out[wLogTF] = log1p(int(t.tf))
	out[wSpread] = float64(t.sf) / float64(max(1, nCand))
	out[wFirst] = 1 / (1 + float64(t.first))
	out[wTitle] = b2f(t.title)
	out[wLede] = b2f(t.lead)
	out[wCapital] = b2f(!t.lowerSeen)
	out[wNumber] = b2f(t.surface != "" && '0' <= t.surface[0] && t.surface[0] <= '9')
	out[wLogLen] = log1p(max(1, len(t.surface)) - 1)
	out[wTitleTF] = out[wTitle] * out[wLogTF]
	out[wCapitalTF] = out[wCapital] * out[wLogTF]
	if nCand > 1 {
		out[wPosFrac] = min(1, float64(t.first)/float64(nCand-1))
	}
	out[wEarly] = log1p(int(t.early))
	out[wWeak] = b2f(!t.keyword)
	n := len(t.surface)
	out[wEd] = b2f(n > 4 && strings.HasSuffix(t.surface, "ed"))
	out[wIng] = b2f(n > 5 && strings.HasSuffix(t.surface, "ing"))
	out[wQuoted] = float64(t.quoted) / float64(max(1, t.tf))
	out[wOnce] = b2f(t.sf == 1)
	out[wLedeTitle] = out[wLede] * out[wTitle]
}

// featureNames name the features as model.go writes them (fLede is "Lede").
var featureNames = [numFeatures]string{"Bias", "Lede", "Second", "Position", "InvPos", "ParaFirst",
	"ParaPos", "Centroid", "Title", "TextRank", "TRRank", "TRTop", "LogWords", "Short", "Long",
	"Quote", "QuoteStart", "Attrib", "Number", "Names", "Density", "Dependent",
	"Fresh", "Day", "LedeSim", "EarlyCentroid", "EarlyTitle", "EarlyWords", "EarlyTR",
	"MeanTF", "MeanTFRank", "CentroidRank", "Dateline", "PrevSim", "NextSim", "DocLen",
	"WordSum", "WordMean", "WordRank", "WordMeanRank", "Past"}

// term is what the summarizer knows of one word of an article.
type term struct {
	tf         int32   // occurrences in the body
	sf         int32   // sentences holding it
	lastSent   int32   // 1 + the last sentence it was counted in
	slot       int32   // its entry in doc.uniq for sentence lastSent-1
	stop       bool    // a stopword
	title      bool    // in the title
	attrib     bool    // a verb of attribution: said, told…
	day        bool    // a day or a recent time: monday, yesterday
	lead       bool    // in the first sentence
	first      int32   // position of the first candidate sentence that holds it
	early      int32   // occurrences in the first three candidate sentences
	quoted     int32   // occurrences in sentences with a quotation
	weight     float64 // the word model's chance that a summary uses it
	keyword    bool    // may be a keyword: three bytes or more, a letter, no apostrophe, not weak
	lowerSeen  bool    // seen in lower case
	cue        bool    // a determiner or preposition: the words after it are nouns, or stand before one
	honorific  bool    // a title before a name: Mr, Gov, Sir
	phraseStop bool    // one of phraseStopwords
	past       bool    // a verb in the past tense: -ed, or one of pastVerbs
	surface    string
}

// termCount is one content word of a sentence and how often it occurs there.
type termCount struct {
	id, n int32
}

// sentence is one sentence of the article.
type sentence struct {
	text       string // as a brief shows it: without a dateline or credit
	dateline   bool   // a dateline or credit was stripped from it
	words      int    // white-space separated words, as budgets count them
	para       int
	paraFirst  bool
	quote      bool
	cand       bool  // may be picked: not a caption, credit or link
	standalone bool  // may open a brief: does not need the sentences before it
	pos        int32 // position among the candidates
	tokens     int32 // all word tokens
	content    int32 // content word tokens
	capsWords  int32 // words past the first with a capital
	fresh      int32 // content words not in earlier sentences
	day        bool  // names a day or a recent time
	numbers    int32 // words with a digit
	attrib     bool  // holds an attribution verb
	past       int32 // verbs in the past tense
	lo, hi     int32 // its content words in doc.uniq
	klo, khi   int32 // its words in doc.ktoks
}

type slot struct {
	hash uint64
	id   int32
}

// doc is an article analyzed for summarizing. A doc can analyze one article
// after another: its memory is reused.
type doc struct {
	sents  []sentence
	terms  []term
	uniq   []termCount
	table  []slot
	buf    []byte
	nTitle int // distinct content words in the title
	nCand  int // candidate sentences

	// Working memory, kept from one article to the next.
	texts         []string
	paras         []int32
	feats, scores []float64
	norms, out    []float64
	later, sentOf []int32
	last, touched []int32
	dots          []int64
	sim           []float64
	rows, cols    []int32
	vals          []float64
	p, q, w       []float64
	best, next    []float64
	take          []bool
	from          []int32
	pick          []bool
	gain          []float64
	inPool        []uint8
	pool          []int32
	parts         []setPart
	used          []int32
	ktoks         []ktok
	phrases       []phrase
	ptable        []int32
	nameOf        []int32
	unigram       []int32
	order         []int32
}

// resize returns s with length n, reusing its memory when it can. The
// elements are not cleared.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// analyze splits the article into sentences and counts its words.
func (d *doc) analyze(a Text) {
	if d.texts == nil {
		d.texts, d.paras = make([]string, 0, 32), make([]int32, 0, 32)
	}
	texts, paras := d.texts[:0], d.paras[:0]
	for pi := 0; pi < len(a.Paragraphs); {
		// Paragraphs that a quotation runs over, or that were cut at an
		// abbreviation, are read as one.
		end := joinEnd(a.Paragraphs, pi)
		p := a.Paragraphs[pi]
		if end > pi {
			p = strings.Join(a.Paragraphs[pi:end+1], " ")
		}
		n := len(texts)
		texts = appendSentences(texts, p)
		for range len(texts) - n {
			paras = append(paras, int32(pi))
		}
		pi = end + 1
	}
	d.texts, d.paras = texts, paras
	d.sents = resize(d.sents, len(texts))
	total, pos := 0, int32(0)
	for i, t := range texts {
		raw := t
		t = StripDateline(t)
		words, quote := scanSentence(t)
		cand := !Boilerplate(t) && !isQuestion(t)
		d.sents[i] = sentence{
			text:       t,
			dateline:   len(t) != len(raw),
			words:      words,
			para:       int(paras[i]),
			paraFirst:  i == 0 || paras[i-1] != paras[i],
			quote:      quote,
			cand:       cand,
			standalone: cand && !Dependent(t),
			pos:        pos,
		}
		if cand {
			pos++
		}
		total += words
	}
	d.nCand = int(pos)
	size := 64
	for size < 2*(total+len(a.Title)/4+8) {
		size *= 2
	}
	d.table = resize(d.table, size)
	clear(d.table)
	d.terms = slices.Grow(d.terms[:0], size/4)
	d.uniq = slices.Grow(d.uniq[:0], total)
	d.ktoks = slices.Grow(d.ktoks[:0], total)
	d.buf = slices.Grow(d.buf[:0], 32)
	d.nTitle = 0

	// The title's words are known but not counted.
	for k := 0; ; {
		id, _, _, _, next, ok := d.token(a.Title, k)
		if !ok {
			break
		}
		k = next
		t := &d.terms[id]
		if !t.title {
			t.title = true
			if !t.stop {
				d.nTitle++
			}
		}
	}
	for i := range d.sents {
		s := &d.sents[i]
		s.lo = int32(len(d.uniq))
		s.klo = int32(len(d.ktoks))
		prevEnd := -1
		for k := 0; ; {
			id, surface, start, lower, next, ok := d.token(s.text, k)
			if !ok {
				break
			}
			k = next
			d.recordWord(s.text, id, surface, start, prevEnd)
			prevEnd = start + len(surface)
			if s.tokens > 0 && !lower {
				s.capsWords++
			}
			if c := surface[0]; '0' <= c && c <= '9' {
				s.numbers++
			}
			s.tokens++
			t := &d.terms[id]
			if t.past {
				s.past++
			}
			s.attrib = s.attrib || t.attrib
			s.day = s.day || t.day
			if t.tf == 0 {
				t.surface = surface
			}
			t.tf++
			if s.cand && s.pos < 3 {
				t.early++
			}
			if s.quote {
				t.quoted++
			}
			t.lowerSeen = t.lowerSeen || lower
			if i == 0 {
				t.lead = true
			}
			if t.stop {
				continue
			}
			s.content++
			if t.lastSent != int32(i+1) {
				if t.lastSent == 0 {
					s.fresh++
					t.first = s.pos
				}
				t.lastSent = int32(i + 1)
				t.sf++
				t.slot = int32(len(d.uniq))
				d.uniq = append(d.uniq, termCount{id, 1})
			} else {
				d.uniq[t.slot].n++
			}
		}
		s.hi = int32(len(d.uniq))
		s.khi = int32(len(d.ktoks))
	}
}

// scanSentence counts the white-space separated words of the sentence t and
// reports whether it holds a double quote. t is as appendSentences makes
// sentences: trimmed, its white space folded to single spaces, so it has
// one word more than spaces.
func scanSentence(t string) (words int, quote bool) {
	words = strings.Count(t, " ") + 1
	quote = strings.IndexByte(t, '"') >= 0 || strings.Contains(t, "“") || strings.Contains(t, "”")
	return words, quote
}

// token finds the first word of s at or after byte i and returns its id,
// its text and where it starts, whether it has no capitals, and where the
// next word may start;
// ok is false when s has no more words. Words are the white-space separated
// fields of s, lower-cased, with the punctuation and symbols around them
// trimmed (inner ones stay: "9.3bn", "little-known", "it's").
func (d *doc) token(s string, i int) (id int32, surface string, start int, lower bool, next int, ok bool) {
	// Skip white space, punctuation and symbols.
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if isASCIIAlnum(c) {
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			break
		}
		i += size
	}
	if i >= len(s) {
		return 0, "", i, false, i, false
	}
	// A word starts at i and runs to the next white space; its end is
	// after its last letter or digit. While it is ASCII, hash its
	// lower-case form as it goes, to its last letter or digit.
	start, end := i, i
	h := uint64(fnvOffset)
	hEnd := h
	lower = true
	for i < len(s) {
		c := s[i]
		if c >= utf8.RuneSelf {
			return d.tokenSlow(s, start)
		}
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
			break
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
			lower = false
		}
		h = (h ^ uint64(c)) * fnvPrime
		i++
		if isASCIIAlnum(c) {
			end, hEnd = i, h
		}
	}
	id, free := d.find(hEnd)
	if id < 0 {
		// A new word: its lower-case form decides what kind it is.
		buf := d.buf[:0]
		for _, c := range []byte(s[start:end]) {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf = append(buf, c)
		}
		d.buf = buf
		id = d.add(hEnd, free, buf)
	}
	return id, s[start:end], start, lower, i, true
}

// tokenSlow is token for a word with bytes past ASCII, starting at i.
func (d *doc) tokenSlow(s string, i int) (id int32, surface string, start int, lower bool, next int, ok bool) {
	start, end, bufEnd := i, i, 0
	buf := d.buf[:0]
	lower = true
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
	return d.intern(buf[:bufEnd]), s[start:end], start, lower, i, true
}

func isASCIIAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// The parameters of the FNV-1a hash.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// wordHash is the FNV-1a hash of a word.
func wordHash[W []byte | string](w W) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(w); i++ {
		h ^= uint64(w[i])
		h *= fnvPrime
	}
	return h
}

// intern returns the id of the lower-case word w, adding it if new.
func (d *doc) intern(w []byte) int32 {
	h := wordHash(w)
	id, free := d.find(h)
	if id < 0 {
		id = d.add(h, free, w)
	}
	return id
}

// find returns the id of the word of hash h, or -1 and the free slot of
// the table where it goes.
func (d *doc) find(h uint64) (id int32, free int) {
	mask := uint64(len(d.table) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		e := &d.table[i]
		if e.id == 0 {
			return -1, int(i)
		}
		if e.hash == h {
			return e.id - 1, 0
		}
	}
}

// add adds the lower-case word w of hash h, which find did not find,
// returning its id; free is the slot find returned.
func (d *doc) add(h uint64, free int, w []byte) int32 {
	if len(d.terms)*2 >= len(d.table) {
		d.grow()
		_, free = d.find(h)
	}
	id := int32(len(d.terms))
	d.table[free] = slot{hash: h, id: id + 1}
	lex := lexiconFlags(h, w)
	d.terms = append(d.terms, term{
		stop:       lex&lexStop != 0,
		keyword:    len(w) >= 3 && hasLetter(w) && lex&lexWeak == 0,
		attrib:     lex&lexAttrib != 0,
		day:        lex&lexDay != 0,
		cue:        lex&lexCue != 0,
		honorific:  lex&lexHonorific != 0,
		phraseStop: lex&lexPhraseStop != 0,
		past:       lex&lexPast != 0 || len(w) >= 5 && w[len(w)-2] == 'e' && w[len(w)-1] == 'd',
	})
	return id
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

// The flags of a word in the lexicon.
const (
	lexStop       = 1 << iota // one of stopwords
	lexWeak                   // one of weakKeywords
	lexAttrib                 // one of attributionWords
	lexDay                    // one of dayWords
	lexCue                    // one of nounCues
	lexHonorific              // one of titles or honorifics
	lexPhraseStop             // one of phraseStopwords
	lexPast                   // one of pastVerbs
)

// lexicon is stopwords and weakKeywords as one open-addressing hash table
// keyed by wordHash, which intern has already computed for each new word:
// the hashes apart, so that a probe reads little memory.
var lexicon = func() (t struct {
	hashes []uint64 // 0 for a free slot
	words  []string
	flags  []uint8
	maxLen int // the longest word
}) {
	size := 1
	for size < 2*(len(stopwords)+len(weakKeywords)+len(attributionWords)+len(dayWords)+len(nounCues)+len(titles)+len(honorifics)+len(phraseStopwords)+len(pastVerbs)) {
		size *= 2
	}
	t.hashes, t.words, t.flags = make([]uint64, size), make([]string, size), make([]uint8, size)
	add := func(words map[string]bool, flag uint8) {
		for w, ok := range words {
			if !ok {
				continue
			}
			h := wordHash(w)
			if h == 0 {
				panic("briefs: lexicon word hashes to 0")
			}
			i := h & uint64(size-1)
			for t.hashes[i] != 0 && t.words[i] != w {
				i = (i + 1) & uint64(size-1)
			}
			t.hashes[i], t.words[i] = h, w
			t.flags[i] |= flag
			t.maxLen = max(t.maxLen, len(w))
		}
	}
	add(stopwords, lexStop)
	add(weakKeywords, lexWeak)
	add(attributionWords, lexAttrib)
	add(dayWords, lexDay)
	add(nounCues, lexCue)
	add(titles, lexHonorific)
	add(honorifics, lexHonorific)
	add(phraseStopwords, lexPhraseStop)
	add(pastVerbs, lexPast)
	return t
}()

// lexiconFlags returns the lexicon's flags for the word w of hash h.
func lexiconFlags(h uint64, w []byte) uint8 {
	if len(w) > lexicon.maxLen {
		return 0
	}
	mask := uint64(len(lexicon.hashes) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch lexicon.hashes[i] {
		case 0:
			return 0
		case h:
			if lexicon.words[i] == string(w) {
				return lexicon.flags[i]
			}
		}
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
// features, the word model's weights ww weighing its words.
func (d *doc) features(f []float64, ww *[numWordFeatures]float64) {
	n := len(d.sents)
	var wf [numWordFeatures]float64
	for id := range d.terms {
		t := &d.terms[id]
		if t.stop || t.tf == 0 {
			t.weight = 0
			continue
		}
		wordFeatures(t, d.nCand, &wf)
		z := 0.0
		for k, w := range ww {
			z += w * wf[k]
		}
		t.weight = 1 / (1 + math.Exp(-z))
	}
	var docNorm float64
	for _, t := range d.terms {
		if !t.stop {
			docNorm += float64(t.tf) * float64(t.tf)
		}
	}
	// The mean count of the article's content words, over its tokens.
	docMean := docNorm / float64(max(1, d.contentTokens()))
	docNorm = math.Sqrt(docNorm)
	lastPara := 0
	if n > 0 {
		lastPara = d.sents[n-1].para
	}
	for i := range d.sents {
		s := &d.sents[i]
		row := f[i*numFeatures : (i+1)*numFeatures]
		clear(row)
		row[fBias] = 1
		var dot, norm, wsum, wtok float64
		titleHits := 0
		for _, u := range d.uniq[s.lo:s.hi] {
			t := &d.terms[u.id]
			dot += float64(u.n) * float64(t.tf)
			norm += float64(u.n) * float64(u.n)
			wsum += t.weight
			wtok += float64(u.n) * t.weight
			if t.title {
				titleHits++
			}
		}
		row[fWordSum] = wsum
		if s.tokens > 0 {
			row[fWordMean] = wtok / float64(s.tokens)
		}
		if s.content > 0 {
			row[fCentroid] = dot / (math.Sqrt(norm) * docNorm)
			row[fMeanTF] = dot / float64(s.content) / docMean
		}
		row[fDateline] = b2f(s.dateline)
		if s.tokens > 0 {
			row[fPast] = float64(s.past) / float64(s.tokens)
		}
		row[fDocLen] = math.Log1p(float64(d.nCand))
		if d.nTitle > 0 {
			row[fTitle] = float64(titleHits) / float64(d.nTitle)
		}
		row[fLede] = b2f(s.cand && s.pos == 0)
		row[fSecond] = b2f(s.cand && s.pos == 1)
		if d.nCand > 1 {
			row[fPosition] = min(1, float64(s.pos)/float64(d.nCand-1))
		}
		row[fInvPos] = 1 / (1 + float64(s.pos))
		row[fParaFirst] = b2f(s.paraFirst)
		if lastPara > 0 {
			row[fParaPos] = float64(s.para) / float64(lastPara)
		}
		row[fLogWords] = math.Log1p(float64(s.words))
		row[fShort] = b2f(s.words < 10)
		row[fLong] = b2f(s.words > 40)
		row[fQuote] = b2f(s.quote)
		row[fQuoteStart] = b2f(opensQuote(s.text))
		row[fAttrib] = b2f(s.attrib)
		row[fNumber] = b2f(s.numbers > 0)
		if s.tokens > 1 {
			row[fNames] = float64(s.capsWords) / float64(s.tokens-1)
		}
		if s.tokens > 0 {
			row[fDensity] = float64(s.content) / float64(s.tokens)
		}
		row[fDependent] = b2f(!s.standalone)
		if s.content > 0 {
			row[fFresh] = float64(s.fresh) / float64(s.hi-s.lo)
		}
		row[fDay] = b2f(s.day)
	}
	d.textRank(f)
	lede := -1
	for i := range d.sents {
		if d.sents[i].cand {
			lede = i
			break
		}
	}
	rankFeature(f, n, fMeanTF, fMeanTFRank)
	rankFeature(f, n, fWordSum, fWordRank)
	rankFeature(f, n, fWordMean, fWordMeanRank)
	rankFeature(f, n, fCentroid, fCentroidRank)
	for i := range d.sents {
		if i > 0 {
			f[i*numFeatures+fPrevSim] = d.sim[i*n+i-1]
		}
		if i+1 < n {
			f[i*numFeatures+fNextSim] = d.sim[i*n+i+1]
		}
	}
	for i := range d.sents {
		row := f[i*numFeatures : (i+1)*numFeatures]
		row[fEarlyCentroid] = row[fInvPos] * row[fCentroid]
		row[fEarlyTitle] = row[fInvPos] * row[fTitle]
		row[fEarlyWords] = row[fInvPos] * row[fLogWords]
		row[fEarlyTR] = row[fInvPos] * row[fTRRank]
	}
	if lede >= 0 {
		for i := range d.sents {
			if i == lede {
				f[i*numFeatures+fLedeSim] = 1
			} else {
				f[i*numFeatures+fLedeSim] = d.sim[lede*n+i]
			}
		}
	}
}

// contentTokens returns how many content word tokens the article's body
// has.
func (d *doc) contentTokens() int {
	n := 0
	for i := range d.sents {
		n += int(d.sents[i].content)
	}
	return n
}

// rankFeature sets feature to of each of the n sentences of f to its rank
// by feature from: 1 for the best, 0 for the worst, ties to the earlier.
func rankFeature(f []float64, n, from, to int) {
	for i := range n {
		v := f[i*numFeatures+from]
		rank := 0
		for j := range i {
			rank += b2i(f[j*numFeatures+from] >= v)
		}
		for j := i + 1; j < n; j++ {
			rank += b2i(f[j*numFeatures+from] > v)
		}
		if n > 1 {
			f[i*numFeatures+to] = 1 - float64(rank)/float64(n-1)
		} else {
			f[i*numFeatures+to] = 1
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// opensQuote reports whether s opens with a quotation mark.
func opensQuote(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '"', '“', '”', '\'', '‘', '«', '„':
		return true
	}
	return false
}

// textRank fills the TextRank features: PageRank over the sentences, linked
// by the cosine of their content word counts.
func (d *doc) textRank(f []float64) {
	n := len(d.sents)
	sim := d.similarities()
	rows, cols, vals, out := d.links(sim)
	p := d.pageRank(rows, cols, vals, out)
	top := (2*n + 4) / 5 // ceil(0.4 n)
	for i := range n {
		// The sentences ranked above i: better, or as good and earlier.
		rank := 0
		for j := range i {
			rank += b2i(p[j] >= p[i])
		}
		for j := i + 1; j < n; j++ {
			rank += b2i(p[j] > p[i])
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

// similarities returns the cosine similarity of every two sentences'
// word counts, n×n, row by row.
func (d *doc) similarities() []float64 {
	n := len(d.sents)
	norms := resize(d.norms, n)
	d.norms = norms
	for i := range d.sents {
		s := &d.sents[i]
		var nn float64
		for _, u := range d.uniq[s.lo:s.hi] {
			nn += float64(u.n) * float64(u.n)
		}
		norms[i] = math.Sqrt(nn)
	}

	// The dot products of the sentences' word counts, through the later
	// occurrences of each word: later[k] is the next entry of d.uniq with
	// the same word as entry k, -1 if none, and sentOf[k] the sentence of
	// entry k. The counts are small integers, so their products add up
	// exactly in any order.
	uniq := d.uniq
	later, sentOf := resize(d.later, len(uniq)), resize(d.sentOf, len(uniq))
	d.later, d.sentOf = later, sentOf
	last := resize(d.last, len(d.terms))
	d.last = last
	for i := range last {
		last[i] = -1
	}
	for i := n - 1; i >= 0; i-- {
		s := &d.sents[i]
		for k := s.hi - 1; k >= s.lo; k-- {
			id := uniq[k].id
			later[k], last[id] = last[id], k
			sentOf[k] = int32(i)
		}
	}
	sim := resize(d.sim, n*n)
	clear(sim)
	d.sim = sim
	dots := resize(d.dots, n)
	clear(dots)
	d.dots = dots
	touched := d.touched[:0]
	for i := range d.sents {
		si := &d.sents[i]
		if norms[i] == 0 {
			continue
		}
		for k := si.lo; k < si.hi; k++ {
			ni := int64(uniq[k].n)
			for e := later[k]; e >= 0; e = later[e] {
				j := sentOf[e]
				if dots[j] == 0 {
					touched = append(touched, j)
				}
				dots[j] += ni * int64(uniq[e].n)
			}
		}
		for _, j := range touched {
			c := float64(dots[j]) / (norms[i] * norms[j])
			sim[i*n+int(j)], sim[int(j)*n+i] = c, c
			dots[j] = 0
		}
		touched = touched[:0]
	}
	d.touched = touched

	return sim
}

// links returns the nonzero entries of sim, row by row (rows[k] and
// cols[k] the row and column of vals[k]), and each sentence's sum of them.
func (d *doc) links(sim []float64) (rows, cols []int32, vals, out []float64) {
	n := len(d.sents)
	// The links of each sentence and their sums: the nonzero entries of
	// sim, row by row (rows[k] and cols[k] the row and column of vals[k]),
	// gathered without branching on each entry.
	out = resize(d.out, n)
	d.out = out
	nnz := 0
	for _, v := range sim {
		nnz += b2i(v != 0)
	}
	rows, cols, vals = resize(d.rows, nnz+1), resize(d.cols, nnz+1), resize(d.vals, nnz+1)
	d.rows, d.cols, d.vals = rows, cols, vals
	k := 0
	for i := range n {
		sum := 0.0
		for j, v := range sim[i*n : (i+1)*n] {
			rows[k], cols[k], vals[k] = int32(i), int32(j), v
			k += b2i(v != 0)
			sum += v // adding the zeros changes nothing
		}
		out[i] = sum
	}
	rows, cols, vals = rows[:nnz], cols[:nnz], vals[:nnz]

	return rows, cols, vals, out
}

// pageRank returns the sentences' TextRank: the stationary distribution of
// a walk over the links, damped.
func (d *doc) pageRank(rows, cols []int32, vals, out []float64) []float64 {
	n := len(d.sents)
	// Power iteration, over the nonzero entries only: each q[j] gets the
	// same sums in the same order as over all of sim.
	const damping = 0.85
	p, q, w := resize(d.p, n), resize(d.q, n), resize(d.w, n)
	d.p, d.q, d.w = p, q, w
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
			if out[i] != 0 {
				w[i] = damping * p[i] / out[i]
			}
		}
		for k, v := range vals {
			q[cols[k]] += w[rows[k]] * v
		}
		diff := 0.0
		for j := range q {
			diff += math.Abs(q[j] - p[j])
		}
		p, q = q, p
		if diff < 1e-6*float64(n) {
			break
		}
	}
	return p
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// score returns each sentence's probability of belonging in a summary;
// sentences that are not candidates (captions, credits) get -1.
func (d *doc) score(m *model) []float64 {
	n := len(d.sents)
	f := resize(d.feats, n*numFeatures)
	d.feats = f
	d.features(f, &m.words)
	return d.weigh(f, m)
}

// weigh returns each sentence's probability under m from its features f.
func (d *doc) weigh(f []float64, m *model) []float64 {
	n := len(d.sents)
	out := resize(d.scores, n)
	d.scores = out
	for i := range n {
		if !d.sents[i].cand {
			out[i] = -1
			continue
		}
		row := f[i*numFeatures : (i+1)*numFeatures : (i+1)*numFeatures]
		z := m.base
		for k, w := range m.w {
			z += w * row[k]
		}
		z += treesScore(m.trees, (*featureRow)(row[:numFeatures:numFeatures]))
		out[i] = 1 / (1 + math.Exp(-z))
	}
	return out
}

// topSentences picks the best sentences within l: first the best standalone
// candidate (the brief's opening), then, one by one, the candidate whose
// score less its redundancy with those picked is best, ties going to the
// earlier sentence. When no candidate stands alone, the best one opens;
// when no sentence is a candidate, the first ones are taken.
func (d *doc) topSentences(scores []float64, l Length, m *model) []bool {
	n := len(scores)
	pick := resize(d.pick, n)
	clear(pick)
	d.pick = pick
	// maxSim[i]: the greatest similarity of i to a picked sentence.
	maxSim := resize(d.w, n)
	clear(maxSim)
	d.w = maxSim
	count, words := 0, 0
	anyStandalone := d.anyStandalone()
	for {
		if l.Sentences > 0 && count >= l.Sentences || l.Words > 0 && words >= l.Words || count >= n {
			break
		}
		best := -1
		bestV := math.Inf(-1)
		for i := range n {
			if pick[i] || !d.sents[i].cand || count == 0 && anyStandalone && !d.sents[i].standalone {
				continue
			}
			v := scores[i] + m.leadBonus/(1+float64(d.sents[i].pos))
			if count > 0 {
				v -= m.redundancy*maxSim[i] + m.wordCost*float64(d.sents[i].words)
			}
			if v > bestV {
				best, bestV = i, v
			}
		}
		if best < 0 {
			if count > 0 {
				break
			}
			// No candidates at all: the first sentences.
			for i := range min(n, max(1, l.Sentences)) {
				pick[i] = true
			}
			return pick
		}
		pick[best] = true
		count++
		words += d.sents[best].words
		for j := range n {
			maxSim[j] = max(maxSim[j], d.sim[best*n+j])
		}
	}
	return pick
}

// setPart is a candidate's part of a set's value (see bestSet): its gain,
// word pairs, and score and lead weight.
type setPart struct {
	gain, pairs, extra float64
	standalone         bool
}

// setPool: the search for a brief's best set of sentences draws from the
// setPool best candidates by score and the setPool best by gain.
const setPool = 8

// gains returns each sentence's gain under m (see model) from its
// features f; 0 for sentences that are not candidates.
func (d *doc) gains(f []float64, m *model) []float64 {
	n := len(d.sents)
	out := resize(d.gain, n)
	d.gain = out
	for i := range n {
		out[i] = 0
		if d.sents[i].cand {
			row := f[i*numFeatures : (i+1)*numFeatures : (i+1)*numFeatures]
			out[i] = m.gainBase + treesScore(m.gainTrees, (*featureRow)(row))
		}
	}
	return out
}

// bestSet picks the k (2 or 3) sentences whose value under m (see model)
// is best, among the setPool best candidates by score and the setPool best
// by gain, ties going to the earlier sets; one of them must stand alone
// when a candidate does. With k candidates or fewer in the pool, or none
// in it that stands alone when one should, it picks as topSentences does.
func (d *doc) bestSet(scores, gains []float64, k int, m *model) []bool {
	n := len(d.sents)
	// inPool[i]: bit 1 when i is among the best by score, bit 2 by gain.
	inPool := resize(d.inPool, n)
	clear(inPool)
	d.inPool = inPool
	for b, by := range [2][]float64{scores, gains} {
		bit := uint8(1) << b
		for range setPool {
			best := -1
			for i := range n {
				if d.sents[i].cand && inPool[i]&bit == 0 && (best < 0 || by[i] > by[best]) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			inPool[best] |= bit
		}
	}
	pool := d.pool[:0]
	for i, in := range inPool {
		if in != 0 {
			pool = append(pool, int32(i))
		}
	}
	d.pool = pool
	if len(pool) <= k || k < 2 || k > 3 {
		return d.topSentences(scores, Length{Sentences: k}, m)
	}
	// Each candidate's part of the value: its gain, word pairs, score and
	// lead weight.
	parts := resize(d.parts, len(pool))
	d.parts = parts
	for a, i := range pool {
		s := &d.sents[i]
		parts[a] = setPart{gains[i], float64(max(0, s.tokens-1)),
			m.gainScore*scores[i] + m.gainLead/(1+float64(s.pos)), s.standalone}
	}
	needStandalone := d.anyStandalone()
	overlap := func(a, b int) float64 {
		return d.sim[int(pool[a])*n+int(pool[b])] * min(parts[a].gain, parts[b].gain)
	}
	value := func(gain, over, pairs, extra float64) float64 {
		return 2*(gain-m.gainOverlap*over)/(pairs+m.gainRef) + extra
	}
	var best [3]int
	bestV := math.Inf(-1)
	for a := range pool {
		pa := &parts[a]
		for b := a + 1; b < len(pool); b++ {
			pb := &parts[b]
			gain, over := pa.gain+pb.gain, overlap(a, b)
			pairs, extra := pa.pairs+pb.pairs, pa.extra+pb.extra
			standalone := pa.standalone || pb.standalone
			if k == 2 {
				if v := value(gain, over, pairs, extra); (standalone || !needStandalone) && v > bestV {
					best, bestV = [3]int{a, b, -1}, v
				}
				continue
			}
			for c := b + 1; c < len(pool); c++ {
				pc := &parts[c]
				if !standalone && !pc.standalone && needStandalone {
					continue
				}
				v := value(gain+pc.gain, over+overlap(a, c)+overlap(b, c), pairs+pc.pairs, extra+pc.extra)
				if v > bestV {
					best, bestV = [3]int{a, b, c}, v
				}
			}
		}
	}
	if math.IsInf(bestV, -1) { // no standalone candidate in the pool
		return d.topSentences(scores, Length{Sentences: k}, m)
	}
	pick := resize(d.pick, n)
	clear(pick)
	d.pick = pick
	for _, a := range best[:k] {
		pick[pool[a]] = true
	}
	return pick
}

// anyStandalone reports whether some candidate may open a brief.
func (d *doc) anyStandalone() bool {
	for i := range d.sents {
		if d.sents[i].standalone {
			return true
		}
	}
	return false
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
	pick := resize(d.pick, n)
	d.pick = pick
	if total <= budget { // the whole article fits
		for i := range pick {
			pick[i] = d.sents[i].cand
		}
		return pick
	}
	// The first sentence taken must stand alone, when one can.
	needStandalone := d.anyStandalone()
	clear(pick)
	B := budget
	const none = math.MaxFloat64
	// best[w]: best value with w words used (B: full)
	best, next := resize(d.best, B+1), resize(d.next, B+1)
	d.best, d.next = best, next
	// take[i*(B+1)+w]: sentence i taken to reach w, from w' = from[...]
	take := resize(d.take, n*(B+1))
	clear(take)
	d.take = take
	from := resize(d.from, n*(B+1))
	d.from = from
	for w := range best {
		best[w] = -none
	}
	best[0] = 0
	for i, s := range d.sents {
		copy(next, best)
		if s.words == 0 || !s.cand {
			// Taking the sentence changes nothing.
			best, next = next, best
			continue
		}
		v := scores[i] - m.threshold
		takeI, fromI := take[i*(B+1):(i+1)*(B+1)], from[i*(B+1):(i+1)*(B+1)]
		// Below split the sentence fits whole: kept is s.words and nothing
		// overflows (the value is computed as in the general case below,
		// operation for operation).
		split := max(0, B-s.words)
		kept, over := float64(s.words), float64(0)
		opens := s.standalone || !needStandalone
		for w, b := range best[:split] {
			if b == -none || w == 0 && !opens {
				continue
			}
			nw := w + s.words
			if val := b + v*kept - m.overflow*over; val > next[nw] {
				next[nw] = val
				takeI[nw] = true
				fromI[nw] = int32(w)
			}
		}
		// From split on the sentence fills the budget.
		for w := split; w < B; w++ {
			if best[w] == -none || w == 0 && !opens {
				continue
			}
			kept := B - w
			val := best[w] + v*float64(kept) - m.overflow*float64(w+s.words-B)
			if val > next[B] {
				next[B] = val
				takeI[B] = true
				fromI[B] = int32(w)
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

// Text is what the summarizer reads: an article's title and the paragraphs
// of its body, each paragraph's white space folded. It knows nothing of
// where the text came from.
type Text struct {
	Title      string
	Paragraphs []string
}
