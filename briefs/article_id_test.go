package briefs

import (
	"fmt"
	"hash/fnv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// newIDAsFirstWritten is NewID as it was first written (a hasher, Slug
// through strings.ToLower and a Builder, fmt): the IDs digests have
// recorded, which NewID must keep giving.
func newIDAsFirstWritten(key, title string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	return fmt.Sprintf("%s-%06x", slugAsFirstWritten(title, 48), h.Sum32()&0xFFFFFF)
}

func slugAsFirstWritten(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= max {
			break
		}
	}
	out := b.String()
	if len(out) > max {
		out = out[:max]
		if i := strings.LastIndexByte(out, '-'); i > max/2 {
			out = out[:i]
		}
	}
	out = strings.Trim(out, "-")
	if out == "" {
		out = "article"
	}
	return out
}

// FuzzNewID: NewID and Slug give what they gave as first written, for
// any key and title (capitals whose lowercase is ASCII, invalid UTF-8,
// titles cut at the limit).
func FuzzNewID(f *testing.F) {
	for _, s := range []string{"", "Hello, World!", "İstanbul KELVIN \u212a", "a\xffb", "日本語", "---", "Storm hits the coast as thousands evacuate in the north of the country", "x-y", strings.Repeat("ab ", 30)} {
		f.Add("feed#1", s, 40)
	}
	f.Fuzz(func(t *testing.T, key, title string, max int) {
		if got, want := NewID(key, title), newIDAsFirstWritten(key, title); got != want {
			t.Fatalf("NewID(%q, %q) = %q, want %q", key, title, got, want)
		}
		max = max%80 + 1
		if max < 1 {
			max += 80
		}
		if got, want := Slug(title, max), slugAsFirstWritten(title, max); got != want {
			t.Fatalf("Slug(%q, %d) = %q, want %q", title, max, got, want)
		}
	})
}
