package briefs

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text rules of articles: everything an article shows (its title, its
// text, and the errors its source reports) comes from strangers, a feed's
// publisher or whoever wrote a file, and is shown on terminals and in
// Discord. Sources clean it with CleanText and CleanLine as they read it,
// so that no reader of an article needs to.
//
// Removed are the characters that do not show as text but act on whatever
// shows it: the C0 controls but tab and line feed (ESC starts a terminal's
// escape sequences, BEL rings, BS overwrites, NUL truncates), DEL, the C1
// controls (U+0080-U+009F; U+009B is a one-byte escape sequence on some
// terminals), and the Unicode format characters (category Cf): the
// bidirectional overrides, embeddings and isolates (U+202A-U+202E,
// U+2066-U+2069) that make text read backwards, and the zero-width
// characters (U+200B-U+200D, U+2060, U+FEFF) that hide inside a word or a
// link. A zero-width joiner inside an emoji sequence goes too: the emoji
// then shows as its parts, a small loss beside text that lies about itself.
// Bytes that are not UTF-8 become U+FFFD.

// CleanText returns s without the characters above, keeping tabs and line
// breaks: a line ends with "\n" (CR LF, CR, vertical tab, form feed, NEL,
// U+2028 and U+2029 become one).
// For text in paragraphs; a title or an error message, shown on one line,
// takes CleanLine.
func CleanText(s string) string { return clean(s, false) }

// CleanLine is CleanText for text shown on one line: tabs and line breaks
// become spaces as well, so that a title or an error message cannot start
// a line of its own that passes for another (a forged line of `newsbrief
// check`).
func CleanLine(s string) string { return clean(s, true) }

// clean does CleanText (oneLine false) and CleanLine (true). It returns s
// itself when nothing changes, which is the common case, without
// allocating.
func clean(s string, oneLine bool) string {
	i := firstUnclean(s, oneLine)
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '\r':
				if i < len(s) && s[i] == '\n' {
					continue // CR LF is one line end, written at the LF
				}
				b.WriteByte(lineEnd(oneLine))
			case c == '\n' || c == '\v' || c == '\f':
				b.WriteByte(lineEnd(oneLine))
			case c == '\t':
				if oneLine {
					c = ' '
				}
				b.WriteByte(c)
			case c < 0x20 || c == 0x7f:
				// dropped
			default:
				b.WriteByte(c)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\u0085' || r == '\u2028' || r == '\u2029':
			b.WriteByte(lineEnd(oneLine))
		case dropRune(r):
			// dropped
		default:
			b.WriteString(s[i-size : i])
		}
	}
	return b.String()
}

// lineEnd is what a line break becomes.
func lineEnd(oneLine bool) byte {
	if oneLine {
		return ' '
	}
	return '\n'
}

// firstUnclean is the index of the first byte that clean must change or
// drop, len(s) when there is none.
func firstUnclean(s string, oneLine bool) int {
	for i := 0; i < len(s); {
		// Skip eight bytes at a time while all are printable ASCII
		// (0x20-0x7E), which is most of any article.
		if i+8 <= len(s) && printableASCII8(s[i:i+8]) {
			i += 8
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && (oneLine || c != '\n' && c != '\t') || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' || dropRune(r) {
			return i
		}
		i += size
	}
	return len(s)
}

// dropRune reports a character at or above U+0080 that clean removes: a C1
// control or a format character.
func dropRune(r rune) bool {
	return r <= 0x9f || unicode.Is(unicode.Cf, r)
}

// printableASCII8 reports whether the eight bytes of b are all in
// 0x20-0x7E: none below 0x20, none with its high bit set once one is
// added (0x7F and above; a carry out of 0xFF only comes with a byte that
// is flagged already).
func printableASCII8(b string) bool {
	x := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
	const ones, highs, spaces = 0x0101010101010101, 0x8080808080808080, 0x2020202020202020
	return (x-spaces)&^x&highs == 0 && ((x+ones)|x)&highs == 0
}
