package summarize

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
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

// nounCues are the words that stand before nouns: determiners and
// prepositions ("to" apart: verbs follow it). A word seen after one is
// likely a noun or part of a noun phrase; one never seen after any (know,
// think, want) likely is not.
var nounCues = map[string]bool{
	"the": true, "a": true, "an": true, "this": true, "that": true, "these": true, "those": true,
	"his": true, "her": true, "its": true, "their": true, "our": true, "my": true, "your": true,
	"some": true, "any": true, "no": true, "every": true, "each": true, "of": true, "in": true,
	"on": true, "at": true, "for": true, "with": true, "from": true, "by": true, "about": true,
	"into": true, "over": true, "after": true, "against": true, "during": true, "without": true,
	"under": true, "between": true, "through": true, "than": true,
}

// phraseStopwords are words that neither make a keyphrase nor are part of
// one, past stopwords and weakKeywords: prepositions the stopwords lack,
// and the months (days are dayWords).
var phraseStopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`near within among across toward towards despite via onto amid
	amidst along beside behind beyond inside outside unless whether although though upon throughout
	january february march april june july august september october november december`) {
		m[w] = true
	}
	return m
}()

// pastVerbs are verbs in the past tense that do not end in -ed.
var pastVerbs = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`was were had did said told made took came went gave found got
	left began fell rose won lost hit met led held kept brought bought thought caught sold paid ran
	set put cut shot struck stood sent spent built broke chose drove flew grew knew saw threw wrote
	fought became felt heard meant sat spoke stole swore tore wore woke`) {
		m[w] = true
	}
	return m
}()

// Keywords returns up to n keyphrases that say what the article is about,
// best first, as the text writes them: "Blue Bell", "ice cream",
// "listeria"; "Hour of Power". See doc.keyphrases.
func Keywords(a Text, n int) []string {
	if n <= 0 {
		return nil
	}
	z := summarizers.Get().(*Summarizer)
	defer summarizers.Put(z)
	z.d.analyze(a)
	return z.d.keyphrases(n)
}

// ktok is one word of the body, as keyphrases read it.
type ktok struct {
	id         int32 // its term; a possessive's without the 's
	start, end int32 // its bytes in its sentence's text
	flags      uint8
}

// The flags of a ktok.
const (
	kCap   = 1 << iota // starts with a capital
	kBreak             // opens its sentence or follows punctuation: no phrase runs into it
	kPoss              // a possessive: no phrase runs past it
	kCue               // follows a determiner or a preposition
	kStart             // opens its sentence
)

// recordWord records the word of term id, surface at byte start of the
// sentence text, for keyphrases; the word before it ended at prevEnd (-1
// for none).
func (d *doc) recordWord(text string, id int32, surface string, start, prevEnd int) {
	var flags uint8
	r, _ := utf8.DecodeRuneInString(surface)
	if unicode.IsUpper(r) {
		flags |= kCap
	}
	if prevEnd < 0 {
		flags |= kBreak | kStart
	} else if strings.TrimSpace(text[prevEnd:start]) != "" {
		flags |= kBreak
	} else if d.terms[d.ktoks[len(d.ktoks)-1].id].cue {
		flags |= kCue
	}
	end := start + len(surface)
	if strings.IndexByte(surface, '.') >= 0 && end < len(text) && text[end] == '.' {
		end++ // "U.S.": the abbreviation's period
	}
	if n := len(surface); n > 2 && (strings.HasSuffix(surface, "'s") || strings.HasSuffix(surface, "’s")) {
		base := strings.TrimSuffix(strings.TrimSuffix(surface, "'s"), "’s")
		buf := lowerASCII(d.buf[:0], base)
		d.buf = buf
		if utf8.Valid(buf) {
			id = d.intern(buf)
			end = start + len(base)
			flags |= kPoss
		}
	}
	d.ktoks = append(d.ktoks, ktok{id: id, start: int32(start), end: int32(end), flags: flags})
}

// phrase is a candidate keyphrase: a run of one to three words of the body.
type phrase struct {
	ids      [maxPhraseWords]int32 // its terms (-1 past n)
	hash     uint64                // of its terms
	n        int8                  // how many words
	caps     bool                  // every word but an inner "of" capitalized: a name
	cue      bool                  // some occurrence follows a determiner or a preposition
	dropped  bool                  // merged into a longer name
	tf       int32                 // occurrences
	alone    int32                 // of one capitalized word, occurrences with no capitalized word beside it
	lastSent int32                 // 1 + the last sentence counted
	first    int32                 // the first sentence that holds it
	sent     int32                 // the sentence of the occurrence shown
	start    int32                 // its bytes there
	end      int32
	initial  bool // the occurrence shown opens its sentence
	shownCap bool // the occurrence shown starts with a capital
	score    float64
}

// maxPhraseWords is the most words a keyphrase has (a name: "California
// Pacific Medical Center"); other phrases have three at most.
const maxPhraseWords = 4

// phraseWord reports whether the term may be a word of a keyphrase: a
// content word of three bytes or more with a letter, not too common in
// news, nor a verb of attribution or a day.
func (t *term) phraseWord() bool {
	return !t.stop && t.keyword && !t.attrib && !t.day && !t.honorific && !t.phraseStop && !t.number()
}

// number reports whether the term starts with a digit: an amount ("85m",
// "2,000") says what happened, not what it is about.
func (t *term) number() bool {
	return t.surface != "" && '0' <= t.surface[0] && t.surface[0] <= '9'
}

// nameWord reports whether the term may be a word of a name when
// capitalized: a word too common in news to stand alone ("New York City",
// "First Lady") still names with others; a title (Mr, Gov, Sir) does not.
func (t *term) nameWord() bool {
	return !t.stop && !t.attrib && !t.day && !t.honorific && !t.phraseStop && !t.number()
}

// keyphrases picks up to n keyphrases of an analyzed article. The
// candidates are the runs of one to three content words that no
// punctuation cuts (a name may hold "of": "Hour of Power"), scored by how
// often the article uses them, longer runs weighing more, with a bonus
// when the title has their words and when the first sentence has them; a
// run of several words must come twice, or be in the title, to count. A
// name's last word alone ("Gray") counts for the whole name ("Freddie
// Gray"). Words never seen after a determiner or a preposition (know,
// want) are likely no nouns and weigh half. The best phrases are taken
// one by one, each sharing no word with those before it, and shown as the
// article writes them, in the case of an occurrence inside a sentence.
func (d *doc) keyphrases(n int) []string {
	if n <= 0 {
		return nil
	}
	d.countPhrases()
	ph := d.phrases
	// A name's last word alone counts for the name with the most
	// occurrences that ends with it.
	nameOf := resize(d.nameOf, len(d.terms))
	d.nameOf = nameOf
	for i := range nameOf {
		nameOf[i] = -1
	}
	for i := range ph {
		p := &ph[i]
		if p.n < 2 || !p.caps || p.initial && p.tf < 2 && !d.inTitle(p) {
			continue // not a name, or maybe capitalized only as a sentence opens
		}
		last := p.ids[p.n-1]
		if k := nameOf[last]; k < 0 || p.tf > ph[k].tf || p.tf == ph[k].tf && p.n < ph[k].n {
			nameOf[last] = int32(i)
		}
	}
	for i := range ph {
		p := &ph[i]
		if p.n != 1 || !p.caps || d.terms[p.ids[0]].lowerSeen {
			continue
		}
		if k := nameOf[p.ids[0]]; k >= 0 {
			ph[k].tf += p.alone
			p.dropped = true
		}
	}
	small := len(d.terms) <= 20
	for i := range ph {
		p := &ph[i]
		words := 0
		title, lead := true, true
		for _, id := range p.ids[:p.n] {
			t := &d.terms[id]
			if t.stop {
				continue // an inner "of"
			}
			words++
			title = title && t.title
			lead = lead && t.lead
		}
		// Nouns and names make keyphrases; a word never seen after a
		// determiner or a preposition likely is neither, even in the title
		// ("What we know").
		nounLike := p.cue || p.caps
		score := float64(p.tf) * (1 + 0.5*float64(words-1))
		if title && nounLike {
			score += 4
		}
		if lead {
			score += 0.5
		}
		score *= 1 + 1/(1+float64(d.sents[p.first].pos))
		if !nounLike {
			score /= 2
		}
		if p.dropped || words > 1 && p.tf < 2 && !title || score < 2 && !small {
			score = 0
		}
		p.score = score
	}
	// A phrase that holds half the occurrences of one of its words or more
	// ("Baltimore police", "ice cream") says more than the word alone, and
	// goes before it.
	unigram := resize(d.unigram, len(d.terms))
	d.unigram = unigram
	for i := range unigram {
		unigram[i] = -1
	}
	for i := range ph {
		if ph[i].n == 1 {
			unigram[ph[i].ids[0]] = int32(i)
		}
	}
	for i := range ph {
		p := &ph[i]
		if p.n < 2 || p.score == 0 {
			continue
		}
		for _, id := range p.ids[:p.n] {
			if u := unigram[id]; u >= 0 && 2*p.tf >= ph[u].tf && ph[u].score >= p.score {
				p.score = ph[u].score * 1.01
			}
		}
	}
	// A word that only comes in one phrase ("central" of "central bank")
	// does not stand alone; a word that comes with such words alone is
	// shown with them (upgrade).
	upgrade := nameOf
	for i := range upgrade {
		upgrade[i] = -1
	}
	for i := range ph {
		p := &ph[i]
		if p.n < 2 || p.tf < 2 || p.score == 0 {
			continue
		}
		free, nfree := int32(-1), 0
		for _, id := range p.ids[:p.n] {
			if d.terms[id].stop {
				continue
			}
			if u := unigram[id]; u >= 0 && ph[u].tf <= p.tf {
				ph[u].score = 0
			} else {
				free = id
				nfree++
			}
		}
		if nfree == 1 && (upgrade[free] < 0 || p.tf > ph[upgrade[free]].tf) {
			upgrade[free] = int32(i)
		}
	}
	// The best phrases, one by one, no word twice.
	order := d.order[:0]
	for i := range ph {
		if ph[i].score > 0 {
			order = append(order, int32(i))
		}
	}
	slices.SortFunc(order, func(a, b int32) int {
		if ph[a].before(&ph[b]) {
			return -1
		}
		if ph[b].before(&ph[a]) {
			return 1
		}
		return 0
	})
	d.order = order
	var out []string
	used := d.used[:0] // the terms taken
	for _, i := range order {
		if len(out) == n {
			break
		}
		p := &ph[i]
		if p.n == 1 && upgrade[p.ids[0]] >= 0 {
			p = &ph[upgrade[p.ids[0]]]
		}
		taken := false
		for _, u := range used {
			for _, id := range p.ids[:p.n] {
				taken = taken || d.sameWord(id, u)
			}
		}
		if taken {
			continue
		}
		for _, id := range p.ids[:p.n] {
			if !d.terms[id].stop {
				used = append(used, id)
			}
		}
		out = append(out, d.phraseText(p))
	}
	d.used = used
	return out
}

// inTitle reports whether the title has every word of p.
func (d *doc) inTitle(p *phrase) bool {
	for _, id := range p.ids[:p.n] {
		if !d.terms[id].title {
			return false
		}
	}
	return true
}

// sameWord reports whether terms a and b are one word, or forms of one:
// one is the other with an ending ("Libya", "Libyan"; "tweet", "tweets").
func (d *doc) sameWord(a, b int32) bool {
	if a == b {
		return true
	}
	x, y := d.terms[a].surface, d.terms[b].surface
	if len(x) > len(y) {
		x, y = y, x
	}
	return len(x) >= 4 && len(y)-len(x) <= 3 && strings.EqualFold(x, y[:len(x)])
}

// before orders keyphrases: higher scores first, then the longer, then the
// one first seen earlier.
func (p *phrase) before(o *phrase) bool {
	if p.score != o.score {
		return p.score > o.score
	}
	if p.n != o.n {
		return p.n > o.n
	}
	return p.sent < o.sent || p.sent == o.sent && p.start < o.start
}

// phraseText returns the phrase as the article writes it: its occurrence
// inside a sentence, or, when it only opens sentences, the first one with
// its first letter in lower case if the article writes that word so.
func (d *doc) phraseText(p *phrase) string {
	s := d.sents[p.sent].text[p.start:p.end]
	if p.initial && d.terms[p.ids[0]].lowerSeen {
		r, size := utf8.DecodeRuneInString(s)
		if unicode.IsUpper(r) {
			return string(unicode.ToLower(r)) + s[size:]
		}
	}
	return strings.Clone(s)
}

// countPhrases fills d.phrases with the candidate keyphrases of the
// analyzed article and their counts.
func (d *doc) countPhrases() {
	d.phrases = d.phrases[:0]
	size := 64
	for size < 4*len(d.ktoks) {
		size *= 2
	}
	table := resize(d.ptable, size)
	clear(table)
	d.ptable = table
	for si := range d.sents {
		s := &d.sents[si]
		if !s.cand {
			continue
		}
		toks := d.ktoks[s.klo:s.khi]
		for b := range toks {
			// Phrases ending at word b, from a = b back; one needs a word
			// that is not weak (strong).
			if tb := &d.terms[toks[b].id]; !tb.phraseWord() && !(tb.nameWord() && toks[b].flags&kCap != 0) {
				continue
			}
			caps, strong := true, false
			h := uint64(fnvOffset)
			for a := b; a >= 0 && b-a < maxPhraseWords; a-- {
				ta := &toks[a]
				t := &d.terms[ta.id]
				inner := a < b
				if inner && ta.flags&kPoss != 0 {
					break
				}
				if t.stop {
					// Only "of" between two capitalized words.
					if !inner || a == 0 || !caps || toks[a-1].flags&kCap == 0 || s.text[ta.start:ta.end] != "of" {
						break
					}
				} else if !t.phraseWord() && !(t.nameWord() && ta.flags&kCap != 0 && caps) {
					break // a weak word may only be part of a name: "New York City"
				} else {
					caps = caps && ta.flags&kCap != 0
				}
				if !caps && b-a >= 3 {
					break
				}
				if slices.ContainsFunc(toks[a+1:b+1], func(o ktok) bool { return o.id == ta.id }) {
					break // "Spend Spend"
				}
				h = (h ^ uint64(ta.id+1)) * fnvPrime
				if t.stop {
					if ta.flags&kBreak != 0 {
						break
					}
					continue // a phrase neither starts nor ends with "of"
				}
				if strong = strong || t.phraseWord(); strong {
					alone := a == b && caps &&
						!(b > 0 && toks[b].flags&kBreak == 0 && toks[b-1].flags&kCap != 0) &&
						!(b+1 < len(toks) && toks[b+1].flags&kBreak == 0 && toks[b+1].flags&kCap != 0)
					d.countPhrase(h, toks[a:b+1], si, caps, alone)
				}
				if ta.flags&kBreak != 0 {
					break
				}
			}
		}
	}
}

// countPhrase counts one occurrence of the phrase of the words toks, of
// hash h, in sentence si; alone says whether it is one capitalized word with
// no capitalized word beside it.
func (d *doc) countPhrase(h uint64, toks []ktok, si int, caps, alone bool) {
	if 2*len(d.phrases) >= len(d.ptable) {
		d.growPhrases()
	}
	table := d.ptable
	mask := uint64(len(table) - 1)
	i := h & mask
	for ; table[i] != 0; i = (i + 1) & mask {
		p := &d.phrases[table[i]-1]
		if p.hash != h || int(p.n) != len(toks) || p.ids[0] != toks[0].id || p.ids[p.n-1] != toks[len(toks)-1].id {
			continue
		}
		same := true
		for k := range toks {
			same = same && p.ids[k] == toks[k].id
		}
		if !same {
			continue
		}
		p.tf++
		p.alone += b2i32(alone)
		if p.lastSent != int32(si+1) {
			p.lastSent = int32(si + 1)
		}
		p.cue = p.cue || toks[0].flags&kCue != 0
		p.caps = p.caps && caps
		// Show an occurrence inside a sentence, in lower case if there is
		// one ("museum", not "Museum" of a name's occurrence).
		if p.initial && toks[0].flags&kStart == 0 || !p.initial && p.shownCap && toks[0].flags&(kStart|kCap) == 0 {
			p.sent, p.start, p.end, p.initial = int32(si), toks[0].start, toks[len(toks)-1].end, false
			p.shownCap = toks[0].flags&kCap != 0
		}
		return
	}
	p := phrase{n: int8(len(toks)), caps: caps, cue: toks[0].flags&kCue != 0, tf: 1, alone: b2i32(alone),
		lastSent: int32(si + 1), first: int32(si), sent: int32(si), start: toks[0].start, end: toks[len(toks)-1].end,
		initial: toks[0].flags&kStart != 0, shownCap: toks[0].flags&kCap != 0}
	for k := range p.ids {
		p.ids[k] = -1
		if k < len(toks) {
			p.ids[k] = toks[k].id
		}
	}
	p.hash = h
	d.phrases = append(d.phrases, p)
	table[i] = int32(len(d.phrases))
}

// growPhrases doubles the table of phrases.
func (d *doc) growPhrases() {
	table := make([]int32, 2*len(d.ptable))
	mask := uint64(len(table) - 1)
	for k := range d.phrases {
		i := d.phrases[k].hash & mask
		for table[i] != 0 {
			i = (i + 1) & mask
		}
		table[i] = int32(k + 1)
	}
	d.ptable = table
}

func b2i32(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
