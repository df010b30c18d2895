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
