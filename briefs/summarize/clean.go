package summarize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A brief is read alone, in an embed. This file holds what decides whether a
// sentence can be shown there: the dateline or wire credit a sentence may
// open with (stripped from the brief, kept in the article), the lines that
// are not news at all (captions, credits, links to elsewhere), and the
// openings that need the sentences before them.

// wires are the outlets that datelines credit: "WASHINGTON (Reuters) -",
// "(CNN)". Compared in lower case.
var wires = map[string]bool{
	"cnn": true, "reuters": true, "ap": true, "afp": true, "upi": true, "pa": true,
	"bloomberg": true, "dpa": true, "xinhua": true, "ians": true, "pti": true, "bbc": true,
	"cnn student news": true, "cnnmoney": true, "ew.com": true, "mashable": true,
	"the hollywood reporter": true, "rolling stone": true, "time.com": true, "wired": true,
	"associated press": true, "agence france-presse": true, "ansa": true, "efe": true,
	"kyodo": true, "yonhap": true, "tass": true, "ria novosti": true, "nyt": true, "cbs": true,
	"abc news": true, "nbc news": true, "cnbc": true, "ft": true, "ndtv": true, "aljazeera": true,
}

// StripDateline returns s without the dateline, wire credit or byline it
// opens with, if any: "(CNN)", "LONDON, England (CNN) --", "WASHINGTON
// (Reuters) -", "NEW YORK --", "By Jane Doe, PUBLISHED: 12:00 EST, 1 May
// 2014 | UPDATED: 13:10 EST, 1 May 2014". What is left starts with a letter,
// digit or quotation mark; s is returned unchanged when nothing is left.
func StripDateline(s string) string {
	out := s
	for range 3 { // a byline, then a dateline, then a credit
		next := stripOnce(out)
		if next == out {
			break
		}
		out = next
	}
	if out == s {
		return s
	}
	out = strings.TrimLeftFunc(out, func(r rune) bool {
		return unicode.IsSpace(r) || r == '-' || r == '–' || r == '—' || r == ':' || r == '|' || r == '.' || r == ','
	})
	if !hasLetterOrDigit(out) {
		return s
	}
	return upperFirst(out)
}

// stripOnce strips one dateline, credit or byline from the start of s.
func stripOnce(s string) string {
	if rest, ok := stripByline(s); ok {
		return rest
	}
	// A parenthesized credit within the first few words, after words of a
	// place: "(CNN)", "LONDON, England (CNN) --", "Paris (AFP) -".
	if i := strings.IndexByte(s, '('); i >= 0 && i <= 60 {
		j := strings.IndexByte(s[i:], ')')
		if j > 0 && j <= 40 {
			inner := strings.ToLower(strings.TrimSpace(s[i+1 : i+j]))
			rest := s[i+j+1:]
			if (wires[inner] || dashNext(rest) && looksLikeOutlet(inner)) && placeWords(s[:i]) {
				return rest
			}
		}
	}
	// An upper-case dateline before a dash: "NEW YORK --", "BAGHDAD, Iraq —".
	if i := dashAt(s[:min(len(s), 64)]); i > 0 && i <= 50 && upperPlace(s[:i]) {
		return s[i:]
	}
	return s
}

// stripByline strips "By NAME, PUBLISHED: ... | UPDATED: ..." and the
// like: a byline that runs into a publication stamp.
func stripByline(s string) (string, bool) {
	if !strings.HasPrefix(s, "By ") && !strings.HasPrefix(s, "PUBLISHED:") && !strings.HasPrefix(s, "Last updated") {
		return s, false
	}
	// Lower-cased byte for byte, so that its indexes are s's.
	low := string(lowerASCII(make([]byte, 0, len(s)), s))
	end := -1
	for _, stamp := range []string{"updated:", "published:", "last updated at"} {
		if i := strings.LastIndex(low, stamp); i >= 0 && i < 200 {
			end = max(end, i+len(stamp))
		}
	}
	if end < 0 {
		// "By Jane Doe and John Roe." alone is a byline if it is short
		// and made of names.
		if words := strings.Fields(s); len(words) <= 8 && placeWords(strings.TrimSuffix(s[3:], ".")) {
			return "", true
		}
		return s, false
	}
	// The stamp's time and date: "12:00 EST, 1 May 2014", up to the next
	// word that starts a sentence after a year.
	rest := s[end:]
	for {
		rest = strings.TrimLeft(rest, " .,|")
		w, after, _ := strings.Cut(rest, " ")
		if w == "" || !stampWord(w) {
			break
		}
		rest = after
	}
	return rest, true
}

// stampWord reports whether w belongs to a publication stamp: a time, a
// zone, a day, a month or a year.
func stampWord(w string) bool {
	w = strings.Trim(w, ".,|")
	if w == "" || w == "|" {
		return true
	}
	if hasDigit(w) {
		return true
	}
	switch strings.ToUpper(w) {
	case "EST", "EDT", "GMT", "BST", "UTC", "PST", "PDT", "CET", "ET", "AM", "PM", "UPDATED:", "UPDATED":
		return true
	}
	for _, m := range []string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"} {
		if strings.EqualFold(w, m) || strings.EqualFold(w, m[:3]) {
			return true
		}
	}
	return false
}

// dashNext reports whether s, after spaces, starts with a dash.
func dashNext(s string) bool {
	s = strings.TrimLeft(s, " ")
	return strings.HasPrefix(s, "-") || strings.HasPrefix(s, "–") || strings.HasPrefix(s, "—")
}

// dashAt returns where a spaced dash (" -- ", " - ", " — ", " – ") first
// stands in s, or -1.
func dashAt(s string) int {
	best := -1
	for _, d := range []string{" -- ", " - ", " — ", " – ", " —", "— "} {
		if i := strings.Index(s, d); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	return best
}

// looksLikeOutlet reports whether the parenthesized text could name an
// outlet: one to four words, none of them all lower case.
func looksLikeOutlet(s string) bool {
	words := strings.Fields(s)
	return len(words) >= 1 && len(words) <= 4
}

// placeWords reports whether s (what stands before a credit) is empty or
// only the words of a place or a name: capitalized words, "and", "of",
// commas and periods.
func placeWords(s string) bool {
	n := 0
	for _, w := range strings.Fields(s) {
		w = strings.Trim(w, ",.")
		if w == "" {
			continue
		}
		n++
		if n > 6 {
			return false
		}
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) && w != "and" && w != "of" && w != "de" && w != "la" {
			return false
		}
	}
	return true
}

// upperPlace reports whether s is a dateline without a credit: one to four
// words, the first all in capitals ("NEW YORK", "BAGHDAD, Iraq").
func upperPlace(s string) bool {
	words := strings.Fields(s)
	if len(words) == 0 || len(words) > 4 {
		return false
	}
	first := strings.Trim(words[0], ",.")
	if utf8.RuneCountInString(first) < 2 || strings.ToUpper(first) != first || !hasLetterOrDigit(first) {
		return false
	}
	return placeWords(s)
}

// upperFirst returns s with its first letter in upper case, as a sentence
// starts once its dateline is gone: "(CNN)share" does not happen, but
// "LONDON -- the" would read badly.
func upperFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if !unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

func hasDigit(s string) bool {
	return strings.ContainsAny(s, "0123456789")
}

func hasLetterOrDigit(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// boilerplatePrefixes open lines that are not news: links to elsewhere,
// captions, credits and calls to act. Compared in lower case.
var boilerplatePrefixes = []string{
	"click here", "read more", "read:", "read the", "watch:", "watch the video", "watch video",
	"photo:", "photos:", "image:", "images:", "picture:", "pictures:", "caption:", "credit:",
	"video:", "see also", "see more", "related:", "more:", "follow us", "follow @", "follow him",
	"follow her", "follow the", "like us on", "sign up", "subscribe", "scroll down",
	"copyright", "all rights reserved", "e-mail to a friend", "email to a friend",
	"share this", "advertisement", "listen:", "listen to", "download the", "get the",
	"for the latest", "join the conversation", "have your say", "tell us", "do you have",
	"this article", "this story", "this report", "an earlier version", "editor's note",
	"ireport", "(photo", "(image", "(video", "[photo", "source:", "sources:", "getty images",
	"reporting by", "additional reporting", "writing by", "editing by", "story highlights",
	"view gallery", "just watched", "replay", "more videos", "must watch", "watch ",
}

// labels are the words in capitals that put a line that is not news
// before a colon.
var labels = map[string]bool{
	"read": true, "read more": true, "watch": true, "photo": true, "photos": true,
	"video": true, "videos": true, "more": true, "related": true, "see": true, "see also": true,
	"listen": true, "gallery": true, "share": true, "click": true, "interactive": true, "map": true,
}

// boilerplateSuffixes end lines that are not news.
var boilerplateSuffixes = []string{
	"contributed to this report.", "contributed to this report", "contributed reporting.",
	"all rights reserved.", "getty images", "getty images.", "(getty images)", "/ap", "/reuters",
	"ap photo", "(ap)", "(reuters)", "/afp", "/getty images", "via getty images",
	"click here.", "click here!", "is not responsible for the content of external sites.",
}

// Boilerplate reports whether the sentence s is not news but a caption, a
// credit, a link to elsewhere or a call to act: "Click here…", "READ MORE:",
// "Photo: …", "Follow us on Twitter", "CNN's Jane Doe contributed to this
// report."
func Boilerplate(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) > 400 || s == "" {
		return false
	}
	for _, p := range boilerplateByFirst[lowerByte(s[0])] {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return true
		}
	}
	for _, p := range boilerplateByLast[lowerByte(s[len(s)-1])] {
		if len(s) >= len(p) && strings.EqualFold(s[len(s)-len(p):], p) {
			return true
		}
	}
	// Links and calls to act in the middle of a line. (Credits end lines:
	// the suffixes catch them.)
	if strings.IndexByte(s, ':') >= 0 && strings.Contains(s, "://") || strings.Contains(s, "www.") ||
		strings.Contains(s, "lick here") || strings.Contains(s, "ollow us on") {
		return true
	}
	// A label in capitals before a colon: "READ: Will your watch…",
	// "PHOTOS: The storm's path".
	if i := strings.IndexByte(s[:min(len(s), 20)], ':'); i > 0 && strings.ToUpper(s[:i]) == s[:i] && labels[strings.ToLower(s[:i])] {
		return true
	}
	return false
}

// lowerByte returns c in lower case if it is an ASCII letter.
func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// lowerASCII appends s to dst with its ASCII letters in lower case.
func lowerASCII(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// boilerplateByFirst and boilerplateByLast are the boilerplate prefixes by
// their first byte and the suffixes by their last.
var boilerplateByFirst, boilerplateByLast = func() (first, last [256][]string) {
	for _, p := range boilerplatePrefixes {
		first[p[0]] = append(first[p[0]], p)
	}
	for _, p := range boilerplateSuffixes {
		last[p[len(p)-1]] = append(last[p[len(p)-1]], p)
	}
	return first, last
}()

// dependentWords open sentences that need the ones before them: pronouns
// that point back and connectives. Compared in lower case, without
// punctuation.
var dependentWords = map[string]bool{
	// pronouns and determiners that point back
	"he": true, "she": true, "it": true, "they": true, "this": true, "these": true,
	"those": true, "that": true, "his": true, "her": true, "hers": true, "its": true,
	"their": true, "theirs": true, "him": true, "them": true, "we": true, "our": true,
	"us": true, "i": true, "my": true, "me": true, "you": true, "your": true, "such": true,
	"it's": true, "he's": true, "she's": true, "they're": true, "that's": true, "we're": true,
	"i'm": true, "there's": false, "here's": true, "both": true, "neither": true, "either": true,
	"former": true, "latter": true, "another": true, "other": true, "others": true,
	// connectives
	"however": true, "but": true, "and": true, "also": true, "meanwhile": true, "so": true,
	"yet": true, "still": true, "then": true, "thus": true, "therefore": true, "hence": true,
	"moreover": true, "furthermore": true, "besides": true, "instead": true,
	"nevertheless": true, "nonetheless": true, "otherwise": true, "consequently": true,
	"additionally": true, "similarly": true, "likewise": true, "indeed": true, "finally": true,
	"or": true, "nor": true, "because": true, "though": true, "afterwards": true,
	"afterward": true, "later": true, "earlier": true, "again": true, "too": true,
	"overall": true, "anyway": true, "plus": true, "now": false, "accordingly": true,
	"conversely": true, "regardless": true, "subsequently": true, "ultimately": true,
	"admittedly": true, "secondly": true, "thirdly": true, "lastly": true,
}

// dependentPhrases are connectives of several words. Compared in lower case.
var dependentPhrases = []string{
	"in conclusion", "as a result", "in addition", "on the other hand", "at the same time",
	"in fact", "after all", "even so", "by contrast", "in contrast", "for example",
	"for instance", "in other words", "as well", "on top of that", "that said", "having said",
	"in turn", "to that end", "as such", "in short", "in sum", "all in all", "not only",
	"in any case", "in that case", "at that point", "at that time", "the latter", "the former",
	"the two", "the same", "the move", "the decision", "the statement", "the comments",
	"the remarks", "the announcement", "the incident",
	"first of all", "second,", "third,", "as for", "along with", "apart from that",
	"despite this", "despite that", "because of this", "because of that", "due to this",
	"with that", "since then", "until then", "by then", "before that", "after that",
	"prior to that", "of course", "to be sure", "sure,",
}

// Dependent reports whether the sentence s opens with words that need the
// sentences before it: a pronoun that points back (he, she, it, they, this,
// his, their…), a connective (however, but, and, also, meanwhile, in
// conclusion, as a result…), a quotation, or a lower-case letter (a piece of
// a sentence).
func Dependent(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '"', '“', '”', '\'', '‘', '’', '«', '„':
		return true
	}
	if unicode.IsLower(r) {
		return true
	}
	var lowBuf [48]byte
	low := lowerASCII(lowBuf[:0], s[:min(len(s), len(lowBuf))])
	// The first word, without trailing punctuation; a curly apostrophe
	// straight.
	first := low
	if i := bytesIndexSpace(first); i >= 0 {
		first = first[:i]
	}
	var wordBuf [24]byte
	if len(first) <= len(wordBuf) {
		w := wordBuf[:0]
		for i := 0; i < len(first); i++ {
			if strings.HasPrefix(string(first[i:]), "’") {
				w = append(w, '\'')
				i += len("’") - 1
				continue
			}
			w = append(w, first[i])
		}
		for len(w) > 0 && strings.IndexByte(",.;:!?-", w[len(w)-1]) >= 0 {
			w = w[:len(w)-1]
		}
		if dependentWords[string(w)] {
			return true
		}
	}
	for _, p := range dependentByFirst[low[0]] {
		if len(low) >= len(p) && string(low[:len(p)]) == p && (len(low) == len(p) || !isWordByte(low[len(p)])) {
			return true
		}
	}
	return false
}

// dependentByFirst is dependentPhrases by their first byte.
var dependentByFirst = func() (by [256][]string) {
	for _, p := range dependentPhrases {
		by[p[0]] = append(by[p[0]], p)
	}
	return by
}()

// bytesIndexSpace returns the index of the first space or tab in b, or -1.
func bytesIndexSpace(b []byte) int {
	for i, c := range b {
		if c == ' ' || c == '\t' {
			return i
		}
	}
	return -1
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c >= utf8.RuneSelf
}

// isQuestion reports whether s asks rather than tells: a brief says what
// happened, and a question, often a link to another story ("What did it
// show?"), says nothing of it.
func isQuestion(s string) bool {
	s = strings.TrimRight(s, "\"'”’) ")
	return strings.HasSuffix(s, "?")
}
