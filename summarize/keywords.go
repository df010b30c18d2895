package summarize

import (
	"slices"
	"strings"
)

// stopwords are the function words left out of word statistics: they say
// nothing of what a sentence is about. Compared in lower case, apostrophes
// straight. (The list is NLTK's English one: the references of the BBC
// data favour sentence centrality computed without any news-specific
// additions, such as "said".)
var stopwords = func() map[string]bool {
	words := strings.Fields(`
i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself
yourselves he him his himself she she's her hers herself it it's its itself they them their
theirs themselves what which who whom this that that'll these those am is are was were be
been being have has had having do does did doing a an the and but if or because as until
while of at by for with about against between into through during before after above below
to from up down in out on off over under again further then once here there when where why
how all any both each few more most other some such no nor not only own same so than too
very s t can will just don don't should should've now d ll m o re ve y ain aren aren't
couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't ma
mightn mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't weren
weren't won won't wouldn wouldn't
`)
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}()

// weakKeywords are words too common in news to make keywords, though they
// are not stopwords for sentence statistics.
var weakKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`said says say told mr mrs ms also would could one two
	new year years last first people time like get make made many much may might us however
	added including since well back around going yet still even per cent`) {
		m[w] = true
	}
	return m
}()

// attributionWords are the verbs that attribute what a sentence says:
// news tells what happened through who said it.
var attributionWords = map[string]bool{
	"said": true, "says": true, "told": true, "according": true, "announced": true,
	"reported": true, "confirmed": true, "stated": true, "added": true, "explained": true,
	"warned": true, "claimed": true, "insisted": true, "denied": true, "admitted": true,
}

// dayWords name a day or a recent time: news says when it happened.
var dayWords = map[string]bool{
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true,
	"saturday": true, "sunday": true, "yesterday": true, "today": true, "tonight": true,
	"overnight": true, "weekend": true,
}

// Keywords returns up to n words that say what the article is about: the
// content words it repeats most, words of the title first among equals.
// Proper nouns keep their capitals; other words come in lower case.
func Keywords(a Text, n int) []string {
	if n <= 0 {
		return nil
	}
	z := summarizers.Get().(*Summarizer)
	defer summarizers.Put(z)
	z.d.analyze(a)
	return z.d.keywords(n)
}

// keywordCand is a candidate keyword: a term and its score.
type keywordCand struct {
	id    int32
	score float64
}

// before orders keyword candidates: higher scores first, then the earlier
// in the text.
func (c keywordCand) before(o keywordCand) bool {
	if c.score != o.score {
		return c.score > o.score
	}
	return c.id < o.id
}

// keywords picks the n best keywords of an analyzed article.
func (d *doc) keywords(n int) []string {
	// The candidates come in id order. For a few keywords, keep the best n
	// sorted as they come; else sort them all.
	const fewKeywords = 16
	cands := slices.Grow(d.cands[:0], max(0, min(n, fewKeywords)+1))
	for id := range d.terms {
		t := &d.terms[id]
		if t.stop || t.tf == 0 || !t.keyword {
			continue
		}
		score := float64(t.tf)
		if t.title {
			score += 2
		}
		if t.lead {
			score += 0.5
		}
		if score < 2 && len(d.terms) > 20 {
			continue // words seen once are poor keywords, unless the text is tiny
		}
		c := keywordCand{int32(id), score}
		if n > fewKeywords {
			cands = append(cands, c)
			continue
		}
		k := len(cands)
		for k > 0 && c.before(cands[k-1]) {
			k--
		}
		if k >= n {
			continue
		}
		if len(cands) < n {
			cands = append(cands, keywordCand{})
		}
		copy(cands[k+1:], cands[k:])
		cands[k] = c
	}
	d.cands = cands
	if n > fewKeywords {
		slices.SortFunc(cands, func(a, b keywordCand) int {
			if a.before(b) {
				return -1
			}
			if b.before(a) {
				return 1
			}
			return 0
		})
	}
	if len(cands) > n {
		cands = cands[:n]
	}
	out := make([]string, len(cands))
	for i, c := range cands {
		t := &d.terms[c.id]
		if t.lowerSeen {
			out[i] = strings.ToLower(t.surface)
		} else {
			out[i] = t.surface
		}
	}
	return out
}
