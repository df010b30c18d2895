// Package briefs is newsbrief's domain: the articles and the library that
// indexes and searches them. Sources (briefs/folder for article files, later
// feeds) turn what they read into Articles and hand them to the Library
// through Replace; this package itself does no I/O, so it knows nothing of
// files, the network, Discord or databases.
package briefs

import (
	"bytes"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"newsbrief/briefs/summarize"
)

// wordsPerMinute is the reading speed behind Article.ReadingTime.
const wordsPerMinute = 230

// Article is one news article, whichever source it came from.
type Article struct {
	// ID is stable across reloads and restarts, because digests record
	// which IDs they posted: see NewID.
	ID    string
	Title string
	// Date is the article's date. When the source gave none (Dated is
	// false) it holds the best stand-in the source has, such as a file's
	// modification time.
	Date  time.Time
	Dated bool
	// Arrived is when the article reached its source: an article file's
	// modification time, a feed item's first fetch. Zero when not known
	// (an article taken from an index cache): it is then taken to have
	// arrived at its Date. Instant digests post what arrived after they
	// were made, whatever day the article is dated.
	Arrived time.Time
	// Paragraphs holds the body, one entry per paragraph, whitespace folded.
	Paragraphs []string
	// Words counts the words of the body.
	Words int

	// Origin names where the article came from: the folder's name for
	// article files, a feed's name for feed items. The Library sets it to
	// the origin the article was given under.
	Origin string
	// URL is the page the article came from; empty for article files.
	URL string
	// Ref is how the article's source finds it again when the library
	// reads its body back (see Bodies): a feed item's identity. Empty for
	// article files, which File names.
	Ref string
	// File is the article file's path relative to its folder, slash
	// separated; empty for articles that are not files (feed items). It is
	// relative so that readers never see the operator's folders.
	File string
	// Image is the address of the article's picture (a feed item's media
	// thumbnail, image enclosure or page's og:image), shown as the embed's
	// thumbnail; empty when there is none.
	Image string
	// Stamp identifies the version of its source the article was made
	// from (a file's size and modification time, a hash of a feed item),
	// for an index cache: a cached article is taken again only under the
	// same stamp (see IndexCache). Empty: the article is never cached.
	Stamp string
	// Also names the other origins that carry the same story, when the
	// Library grouped near-duplicates under this article (the earliest of
	// them): "also: Reuters, AP". The Library sets it.
	Also []string

	// tok is the indexing of an article taken from an IndexCache, which
	// the library indexes instead of the text; it clears it once done.
	tok *cachedTokens
}

// ReadingTime estimates how long the body takes to read, rounded up to a
// whole minute.
func (a Article) ReadingTime() time.Duration {
	minutes := (a.Words + wordsPerMinute - 1) / wordsPerMinute
	if minutes < 1 {
		minutes = 1
	}
	return time.Duration(minutes) * time.Minute
}

// Body returns the paragraphs joined by blank lines.
func (a Article) Body() string { return strings.Join(a.Paragraphs, "\n\n") }

// Text returns what the summarizer reads of the article.
func (a Article) Text() summarize.Text {
	return summarize.Text{Title: a.Title, Paragraphs: a.Paragraphs}
}

// NewID builds "slug-of-the-title-1a2b3c": readable in autocomplete values
// and logs, and unique thanks to a short hash of key, which a source picks
// to tell apart articles with one title (a file's path in its folder, a
// feed item's identity). The same key and title always give the same ID,
// which is what keeps digests' posted records matching across restarts.
func NewID(key, title string) string {
	// FNV-1a of key, inline: a hasher and a copy of key per article were
	// a third of parsing an article file.
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	var buf [64]byte
	b := appendSlug(buf[:0], title, 48)
	b = append(b, '-')
	for shift := 20; shift >= 0; shift -= 4 {
		b = append(b, "0123456789abcdef"[h>>shift&0xF])
	}
	return string(b)
}

// Slug lowercases s, keeps letters and digits, joins words with hyphens and
// cuts the result at max bytes on a word boundary where it can.
func Slug(s string, max int) string { return string(appendSlug(nil, s, max)) }

// appendSlug appends Slug(s, max) to b.
func appendSlug(b []byte, s string, max int) []byte {
	n0 := len(b)
	dash := false
	for _, r := range s {
		if r < utf8.RuneSelf {
			if c := lowerWordByte[r]; c != 0 {
				if dash && len(b) > n0 {
					b = append(b, '-')
				}
				dash = false
				b = append(b, c)
			} else {
				dash = true
			}
		} else if lr := unicode.ToLower(r); lr < utf8.RuneSelf && lowerWordByte[lr] != 0 {
			// A letter whose lowercase is ASCII (the Kelvin sign, a
			// dotted capital I) is kept as that letter.
			if dash && len(b) > n0 {
				b = append(b, '-')
			}
			dash = false
			b = append(b, byte(lr))
		} else {
			// Non-ASCII letters are dropped from IDs to keep them safe in
			// URLs and Discord option values; the hash keeps IDs unique.
			dash = true
		}
		if len(b)-n0 >= max {
			break
		}
	}
	out := b[n0:]
	if len(out) > max {
		out = out[:max]
		if i := bytes.LastIndexByte(out, '-'); i > max/2 {
			out = out[:i]
		}
	}
	out = bytes.Trim(out, "-")
	if len(out) == 0 {
		out = append(out[:0], "article"...)
	}
	return append(b[:n0], out...)
}
