package summarize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// abbreviations are words that, followed by a period, do not end a sentence
// (compared in lower case, without the period). Words made of short pieces
// joined by periods (U.S., e.g., a.m., Ph.D.) and single letters (initials)
// are recognised without being listed. "No." is handled apart: it is an
// abbreviation only before a number ("No. 10"), since "no." often ends a
// sentence.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "st": true,
	"sr": true, "jr": true, "rev": true, "hon": true, "gen": true, "col": true,
	"lt": true, "sgt": true, "capt": true, "cpl": true, "maj": true, "adm": true,
	"gov": true, "sen": true, "rep": true, "pres": true, "supt": true, "insp": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true,
	"aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"inc": true, "ltd": true, "corp": true, "co": true, "plc": true, "bros": true,
	"vs": true, "v": true, "etc": true, "mt": true, "ft": true, "al": true,
	"approx": true, "dept": true, "fig": true, "vol": true, "ave": true,
}

// maxAbbrevLen is the length of the longest entry of abbreviations.
const maxAbbrevLen = 6

// SplitSentences splits one paragraph into sentences. A sentence ends at
// '.', '!', '?' or an ellipsis, optionally followed by closing quotes or
// brackets, when white space and then a word starting with an upper-case
// letter, a digit or an opening quote or bracket follow, unless the word
// before a lone period is an abbreviation (Mr., U.S., e.g.) or an initial
// (George W. Bush). Sentences are trimmed, their white space folded, and
// never empty.
func SplitSentences(paragraph string) []string {
	return appendSentences(nil, paragraph)
}

// appendSentences appends the sentences of paragraph p to dst.
func appendSentences(dst []string, p string) []string {
	// The quotations that close within p: no sentence ends inside one.
	var spanBuf [8]quoteSpan
	spans, _ := appendQuoteSpans(spanBuf[:0], p, false)
	si := 0
	start := 0
	for i := 0; i < len(p); {
		if i = nextMayEnd(p, i); i == len(p) {
			break
		}
		c := p[i]
		if c == 0xE2 && !strings.HasPrefix(p[i:], "…") {
			i++
			continue
		}
		// The run of terminal punctuation p[i:pe], then closing quotes and
		// brackets up to j.
		pe := i
		for pe < len(p) {
			if p[pe] == '.' || p[pe] == '!' || p[pe] == '?' {
				pe++
			} else if strings.HasPrefix(p[pe:], "…") {
				pe += len("…")
			} else {
				break
			}
		}
		j := pe
		for j < len(p) {
			r, size := utf8.DecodeRuneInString(p[j:])
			if !isClosing(r) {
				break
			}
			j += size
		}
		// White space must follow, then the start of a new sentence.
		k := j
		for k < len(p) {
			r, size := utf8.DecodeRuneInString(p[k:])
			if !unicode.IsSpace(r) {
				break
			}
			k += size
		}
		// Inside a quotation the sentence goes on, unless the quotation
		// closes right after the punctuation: in the closing run, or
		// after a space ("Why?' " he asked).
		for si < len(spans) && spans[si].end <= i {
			si++
		}
		if si < len(spans) && spans[si].open < i && spans[si].end > j {
			q := spans[si]
			if strings.TrimSpace(p[j:q.close]) != "" {
				i = j
				continue
			}
			j, k = q.end, q.end
			for k < len(p) {
				r, size := utf8.DecodeRuneInString(p[k:])
				if !unicode.IsSpace(r) {
					break
				}
				k += size
			}
		}
		if k == j || k == len(p) || !startsSentence(p[k:]) {
			i = j
			continue
		}
		if pe == i+1 && c == '.' && !endsSentence(p[start:i], p[k:]) {
			i = k
			continue
		}
		dst = appendTrimmed(dst, p[start:j])
		start, i = k, k
	}
	return appendTrimmed(dst, p[start:])
}

// nextMayEnd returns the index of the first byte of p at or after i that
// may start terminal punctuation ('.', '!', '?' or '…'), or len(p).
func nextMayEnd(p string, i int) int {
	end := len(p)
	if k := strings.IndexByte(p[i:], '.'); k >= 0 {
		end = i + k
	}
	for _, c := range [...]byte{'!', '?', "…"[0]} {
		if k := strings.IndexByte(p[i:end], c); k >= 0 {
			end = i + k
		}
	}
	return end
}

func isClosing(r rune) bool {
	switch r {
	case '"', '\'', ')', ']', '}', '”', '’', '»':
		return true
	}
	return false
}

func isOpening(r rune) bool {
	switch r {
	case '"', '\'', '(', '[', '“', '‘', '«', '¿', '¡':
		return true
	}
	return false
}

// startsSentence reports whether s starts with an upper-case letter, a
// digit, or an opening quote or bracket.
func startsSentence(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r) || unicode.IsDigit(r) || isOpening(r) || unicode.IsTitle(r)
}

// endsSentence reports whether a single period after before ends the
// sentence, given the text after the white space that follows it.
func endsSentence(before, after string) bool {
	w := before
	if sp := lastSpace(w); sp >= 0 {
		_, size := utf8.DecodeRuneInString(w[sp:])
		w = w[sp+size:]
	}
	w = strings.TrimLeftFunc(w, isOpening)
	if k := strings.LastIndexAny(w, ")]"); k >= 0 {
		w = w[k+1:] // "(CNN)Gov."
	}
	if w == "" {
		return true
	}
	if utf8.RuneCountInString(w) == 1 {
		r, _ := utf8.DecodeRuneInString(w)
		return !unicode.IsLetter(r) // an initial
	}
	if strings.IndexByte(w, '.') >= 0 {
		return !dottedAbbreviation(w)
	}
	if len(w) > maxAbbrevLen {
		return true
	}
	var buf [maxAbbrevLen]byte
	for i := 0; i < len(w); i++ {
		c := w[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	lw := buf[:len(w)]
	if string(lw) == "no" {
		r, _ := utf8.DecodeRuneInString(after)
		return !unicode.IsDigit(r)
	}
	return !abbreviations[string(lw)]
}

// lastSpace is strings.LastIndexFunc(s, unicode.IsSpace), looking at bytes
// while they are ASCII.
func lastSpace(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			return strings.LastIndexFunc(s[:i+1], unicode.IsSpace)
		case c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r':
			return i
		}
	}
	return -1
}

// dottedAbbreviation reports whether w (without its final period) is made
// of pieces of one or two letters joined by periods: U.S, e.g, a.m, Ph.D.
func dottedAbbreviation(w string) bool {
	n := 0
	for _, r := range w {
		switch {
		case r == '.':
			if n == 0 {
				return false
			}
			n = 0
		case unicode.IsLetter(r):
			n++
			if n > 2 {
				return false
			}
		default:
			return false
		}
	}
	return n > 0
}

// appendTrimmed appends s to dst, trimmed and with its white space folded,
// unless nothing is left.
func appendTrimmed(dst []string, s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return dst
	}
	if needsFoldFast(s) {
		s = FoldSpace(s)
	}
	return append(dst, s)
}

// needsFoldFast reports whether the trimmed s has white space other than
// single spaces. (For a trimmed string this is needsFold, which looks at
// eight bytes at a time while they are ASCII.)
func needsFoldFast(s string) bool {
	return needsFold(s)
}

// FoldSpace trims s and folds every run of white space to one space.
func FoldSpace(s string) string {
	if !needsFold(s) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// needsFold reports whether s has leading or trailing white space, runs of
// it, or white space other than ' '.
func needsFold(s string) bool {
	prevSpace := true
	for i := 0; i < len(s); {
		// Eight bytes at a time while they are ASCII with no control
		// characters: only pairs of spaces can then need folding.
		if i+8 <= len(s) {
			x := load64(s[i : i+8])
			if ((x-0x2020202020202020)|x)&0x8080808080808080 == 0 {
				y := x ^ 0x2020202020202020 // spaces are 0
				sp := ^(((y & 0x7f7f7f7f7f7f7f7f) + 0x7f7f7f7f7f7f7f7f) | y) & 0x8080808080808080
				if sp&(sp<<8) != 0 || prevSpace && sp&0x80 != 0 {
					return true
				}
				prevSpace = sp>>63 != 0
				i += 8
				continue
			}
		}
		switch c := s[i]; {
		case c == ' ':
			if prevSpace {
				return true
			}
			prevSpace = true
			i++
		case c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r':
			return true
		case c < utf8.RuneSelf:
			prevSpace = false
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				return true
			}
			prevSpace = false
			i += size
		}
	}
	return prevSpace && s != ""
}

// load64 returns the eight bytes of s, little-endian.
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// A quotation that runs over several sentences is read whole or not at all:
// its second half alone ("…a great man of God," said his daughter-in-law)
// reads as a fragment, its first half alone as a sentence cut off. So the
// splitter never ends a sentence inside a quotation that closes within the
// paragraph, and Summarize reads the paragraphs a quotation runs over as one
// (see joinEnd). Only double quotation marks count: a straight single quote
// is far more often an apostrophe.

// quoteSpan is a quotation within a paragraph: the offsets of its opening
// mark, of its closing mark and of the byte after the closing mark. open is
// -1 for a quotation open before the paragraph starts.
type quoteSpan struct{ open, close, end int }

// The roles of a quotation mark.
const (
	quoteNone   = iota // not a quotation mark: inches (6'2")
	quoteOpens         // opens a quotation, or goes on with an open one
	quoteCloses        // closes a quotation
)

// nextQuoteMark returns the offset and size of the first double quotation
// mark (", “ or ”) of p at or after i, or -1.
func nextQuoteMark(p string, i int) (int, int) {
	q := strings.IndexByte(p[i:], '"')
	if q >= 0 {
		q += i
	} else {
		q = len(p)
	}
	for i < q {
		e := strings.IndexByte(p[i:q], 0xE2)
		if e < 0 {
			break
		}
		e += i
		if e+2 < len(p) && p[e+1] == 0x80 && (p[e+2] == 0x9C || p[e+2] == 0x9D) {
			return e, 3
		}
		i = e + 1
	}
	if q == len(p) {
		return -1, 0
	}
	return q, 1
}

// quoteRole says what the double quotation mark of size bytes at p[i] does,
// given whether a quotation is open. Curly marks say it themselves; a
// straight one opens after a space or a bracket and before a word, closes
// after a word and before a space or punctuation, and otherwise (a mark
// spaced on both sides, or between two words) closes the open quotation or
// opens one. After a digit, between two non-spaces, it is an inch mark.
func quoteRole(p string, i, size int, open bool) int {
	if size == 3 {
		if p[i+2] == 0x9C {
			return quoteOpens
		}
		return quoteCloses
	}
	before, after := ' ', ' '
	if i > 0 {
		before, _ = utf8.DecodeLastRuneInString(p[:i])
	}
	if i+1 < len(p) {
		after, _ = utf8.DecodeRuneInString(p[i+1:])
	}
	left := unicode.IsSpace(before) || strings.ContainsRune("([{/-–—", before)
	right := unicode.IsSpace(after) || strings.ContainsRune(".,;:!?)]}-–—…", after)
	switch {
	case left && !right:
		return quoteOpens
	case right && !left:
		return quoteCloses
	case !left && !right && unicode.IsDigit(before):
		return quoteNone
	case open:
		return quoteCloses
	}
	return quoteOpens
}

// appendQuoteSpans appends to spans the quotations of p that close within
// it, given whether one is open where p starts, and reports whether one is
// open where p ends. An opening mark inside an open quotation goes on with
// it (a quotation running over paragraphs opens each again); a closing mark
// outside one is stray, and ignored.
func appendQuoteSpans(spans []quoteSpan, p string, open bool) ([]quoteSpan, bool) {
	return scanQuotes(spans, p, open, true)
}

// scanQuotes is appendQuoteSpans, appending only when keep is set.
func scanQuotes(spans []quoteSpan, p string, open, keep bool) ([]quoteSpan, bool) {
	start := -1
	for i := 0; ; {
		j, size := nextQuoteMark(p, i)
		if j < 0 {
			return spans, open
		}
		switch quoteRole(p, j, size, open) {
		case quoteOpens:
			if !open {
				open, start = true, j
			}
		case quoteCloses:
			if open && keep {
				spans = append(spans, quoteSpan{start, j, j + size})
			}
			open = false
		}
		i = j + size
	}
}

// quoteOpenAfter reports whether a quotation is open at the end of p, given
// whether one is open at its start.
func quoteOpenAfter(p string, open bool) bool {
	_, open = scanQuotes(nil, p, open, false)
	return open
}

// maxJoin is how many paragraphs Summarize reads as one at most: a
// quotation that is not closed by then is taken to have lost its closing
// mark.
const maxJoin = 6

// joinEnd returns the index of the last of the paragraphs, from paras[i] on,
// that Summarize reads as one paragraph: those a quotation runs over, when
// it closes within maxJoin paragraphs, and those cut at an abbreviation
// (see cutAtAbbreviation). Text split into sentences by another program,
// one a line, as CNN's stories are, comes cut in both ways.
func joinEnd(paras []string, i int) int {
	end := i
	open := quoteOpenAfter(paras[i], false)
	for end+1 < len(paras) && end+1-i < maxJoin {
		if open {
			r := end + 1
			for r < len(paras) && r-i < maxJoin && quoteOpenAfter(paras[r], true) {
				r++
			}
			if r == len(paras) || r-i >= maxJoin {
				return end
			}
			end, open = r, false
			continue
		}
		if !cutAtAbbreviation(paras[end], paras[end+1]) {
			return end
		}
		end++
		open = quoteOpenAfter(paras[end], false)
	}
	return end
}

// titles are abbreviations that stand before a name and so never end a
// sentence (compared in lower case, without the period).
var titles = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "rev": true, "gov": true,
	"sen": true, "rep": true, "gen": true, "lt": true, "col": true, "sgt": true, "capt": true,
	"cpl": true, "maj": true, "adm": true, "supt": true, "insp": true, "hon": true, "pres": true,
	"det": true, "atty": true, "cmdr": true, "brig": true, "msgr": true, "fr": true,
}

// honorifics are the titles before a name that are no abbreviations; with
// titles they are kept out of keyphrases ("Sir Alex Ferguson" is "Alex
// Ferguson").
var honorifics = map[string]bool{
	"sir": true, "dame": true, "lord": true, "lady": true, "president": true, "mister": true,
	"madam": true, "senator": true, "governor": true, "minister": true, "judge": true,
	"king": true, "queen": true, "prince": true, "princess": true, "pope": true,
}

// months are the abbreviated months, which stand before a day's number.
var months = map[string]bool{
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true,
	"sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
}

// places are dotted abbreviations of places, which often end a sentence.
var places = map[string]bool{
	"u.s": true, "u.k": true, "u.n": true, "e.u": true, "l.a": true, "d.c": true, "n.y": true,
	"n.j": true, "u.a.e": true,
}

// cutAtAbbreviation reports whether paragraph p ends in an abbreviation that
// does not end its sentence, which goes on in next: a title ("Gov. | Mike
// Pence"), initials ("J.K. | Rowling", "George H.W. | Bush"), "No. | 5",
// "Jan. | 5", "Warner Bros. | Television", or a place's abbreviation that is
// all the paragraph says past its dateline ("(CNN)U.S. | Secretary of
// State"). The next paragraph must go on as a name or number does: with a
// capital that is not a function word ("Plan B. | The"), or a digit.
func cutAtAbbreviation(p, next string) bool {
	if !strings.HasSuffix(p, ".") || len(p) < 2 {
		return false
	}
	w := p[:len(p)-1]
	if k := strings.LastIndexAny(w, " ()[]\"“‘'-–—"); k >= 0 {
		_, size := utf8.DecodeRuneInString(w[k:])
		w = w[k+size:]
	}
	if w == "" || len(w) > 8 {
		return false
	}
	var buf [8]byte
	lw := string(lowerASCII(buf[:0], w))
	initial := len(w) == 1 && 'A' <= w[0] && w[0] <= 'Z'
	next = strings.TrimLeftFunc(next, isOpening)
	r, _ := utf8.DecodeRuneInString(next)
	if unicode.IsDigit(r) {
		return w == "No" || months[lw] || initial
	}
	if !unicode.IsUpper(r) {
		return false
	}
	first := next
	if k := strings.IndexAny(first, " ,;:.'’"); k >= 0 {
		first = first[:k]
	}
	if len(first) <= 12 && stopwords[string(lowerASCII(buf[:0], first))] {
		return false
	}
	switch {
	case titles[lw] || lw == "bros" || initial:
		return true
	case places[lw]:
		return strings.IndexByte(StripDateline(p), ' ') < 0
	}
	return initials(w) && lw != "a.m" && lw != "p.m"
}

// initials reports whether w (without its final period) is letters, one at
// a time, joined by periods: J.K, H.W, a.k.a.
func initials(w string) bool {
	if len(w) < 3 {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i] | 0x20
		if i%2 == 0 && !('a' <= c && c <= 'z') || i%2 == 1 && w[i] != '.' {
			return false
		}
	}
	return len(w)%2 == 1
}
