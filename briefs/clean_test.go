package briefs

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// spoof is what a feed sent to take over a terminal: set the window's
// title, ring, and clear the screen.
const spoof = "\x1b]0;pwned\x07\x1b[2J"

func TestCleanTextRemovesControls(t *testing.T) {
	for _, tc := range []struct{ in, text, line string }{
		{"Storm " + spoof + "closes ports", "Storm ]0;pwned[2Jcloses ports", "Storm ]0;pwned[2Jcloses ports"},
		{"a\x00b\x08c\x7fd", "abcd", "abcd"},
		{"C1 \u0085next \u009b2J", "C1 \nnext 2J", "C1  next 2J"},
		{"page\fbreak\vtab", "page\nbreak\ntab", "page break tab"},
		{"evil\u202egpj.exe", "evilgpj.exe", "evilgpj.exe"},
		{"\u2066isolated\u2069 and \u202aembedded\u202c", "isolated and embedded", "isolated and embedded"},
		{"disc\u200bord\u200c.\u200dcom\u2060\ufeff", "discord.com", "discord.com"},
		{"para one\r\npara\rtwo\u2028three", "para one\npara\ntwo\nthree", "para one para two three"},
		{"tab\there\nline", "tab\there\nline", "tab here line"},
		{"bad \xff\xfe byte", "bad \ufffd\ufffd byte", "bad \ufffd\ufffd byte"},
		{"plain: ascii, é, 中文, emoji 👍", "plain: ascii, é, 中文, emoji 👍", "plain: ascii, é, 中文, emoji 👍"},
	} {
		if got := CleanText(tc.in); got != tc.text {
			t.Errorf("CleanText(%q) = %q, want %q", tc.in, got, tc.text)
		}
		if got := CleanLine(tc.in); got != tc.line {
			t.Errorf("CleanLine(%q) = %q, want %q", tc.in, got, tc.line)
		}
	}
}

// TestCleanTextKeepsCleanTextAsIs: text with nothing to remove comes back
// as the same string, without a copy.
func TestCleanTextKeepsCleanTextAsIs(t *testing.T) {
	s := strings.Repeat("Markets rally as rates hold; 中文 👍\n", 100)
	if n := testing.AllocsPerRun(100, func() { _ = CleanText(s) }); n != 0 {
		t.Errorf("CleanText of clean text allocates %v times", n)
	}
}

// cleanOK reports whether s holds nothing CleanText removes.
func cleanOK(s string, oneLine bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			if oneLine {
				return false
			}
		case r < 0x20, r >= 0x7f && r <= 0x9f, unicode.Is(unicode.Cf, r), r == '\u2028', r == '\u2029':
			return false
		}
	}
	return true
}

// FuzzCleanText: whatever comes in, what comes out has nothing left to
// remove, cleaning it again changes nothing, and printable characters are
// kept in order.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", spoof, "a\r\nb\rc", "\u202eabc\u2069", "x\xffy", "ok 👍 \u200d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, oneLine := range []bool{false, true} {
			out := clean(in, oneLine)
			if !cleanOK(out, oneLine) {
				t.Fatalf("clean(%q, %v) = %q: still unclean", in, oneLine, out)
			}
			if again := clean(out, oneLine); again != out {
				t.Fatalf("clean is not idempotent on %q: %q, then %q", in, out, again)
			}
			keep := func(r rune) rune {
				if unicode.IsGraphic(r) && !unicode.IsSpace(r) {
					return r
				}
				return -1
			}
			if strings.Map(keep, in) != strings.Map(keep, out) {
				t.Fatalf("clean(%q, %v) = %q lost printable characters", in, oneLine, out)
			}
		}
	})
}

// BenchmarkCleanText: clean text, as nearly every article is, in one pass
// without a copy.
func BenchmarkCleanText(b *testing.B) {
	s := strings.Repeat(strings.Repeat("The council met on Tuesday to vote on the budget, 40% up. ", 8)+"\n\n", 12)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		_ = CleanText(s)
	}
}
