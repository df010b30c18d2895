// Package briefs is newsbrief's domain: articles, how they are parsed from
// plain-text files, the library that indexes them, and the extractive
// summarizer. It knows nothing of Discord, databases or the command line.
package briefs

import (
	"newsbrief/summarize"

	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// DefaultMaxFileSize is the largest article file the library loads: news
// articles are kilobytes, so anything near a megabyte is almost certainly not
// an article.
const DefaultMaxFileSize = 1 << 20

// wordsPerMinute is the reading speed behind Article.ReadingTime.
const wordsPerMinute = 230

// Article is one news article as loaded from a file.
type Article struct {
	// ID is stable across reloads: a slug of the title plus a short hash of
	// the file name, so two files with the same title still differ.
	ID    string
	Title string
	// Date is the article's date. When the file gave none (Dated is false)
	// the library fills in the file's modification time.
	Date  time.Time
	Dated bool
	// Paragraphs holds the body, one entry per paragraph, whitespace folded.
	Paragraphs []string
	// Source is the file the article was read from, as the caller named it.
	Source string
	// Words counts the words of the body.
	Words int
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

// Errors that say why a file is not an article. Parse wraps them with the
// file's name, so errors.Is works on what it returns.
var (
	ErrEmpty    = errors.New("empty file")
	ErrBinary   = errors.New("binary content")
	ErrNoTitle  = errors.New("no title")
	ErrNoBody   = errors.New("no body")
	ErrTooLarge = errors.New("file too large")
)

// dateLayouts are the date-line formats Parse recognises, tried in order.
var dateLayouts = []string{
	"Monday, January 2, 2006",
	"Monday, 2 January 2006",
	"January 2, 2006",
	"Jan 2, 2006",
	"2 January 2006",
	"2 Jan 2006",
	"2006-01-02",
}

// Parse turns the contents of one article file into an Article. name is the
// file's path as the caller wants it shown; it also seeds the ID.
//
// The accepted shape is an optional date line, a title line, then paragraphs
// separated by blank lines or by line breaks. Text that is not valid UTF-8 is
// decoded as Windows-1252 (the usual source of stray bytes in news text), a
// BOM is dropped and CRLF line ends are normalized.
func Parse(name string, data []byte) (Article, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return Article{}, fmt.Errorf("parse %s: %w", name, ErrEmpty)
	}
	if looksBinary(data) {
		return Article{}, fmt.Errorf("parse %s: %w", name, ErrBinary)
	}
	text := decode(data)
	text = strings.TrimPrefix(text, "\uFEFF")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")

	lines := lineReader{rest: text}
	line, ok := lines.nextNonBlank()
	var a Article
	a.Source = name
	if ok {
		if d, isDate := parseDate(line); isDate {
			a.Date, a.Dated = d, true
			line, ok = lines.nextNonBlank()
		}
	}
	if !ok {
		return Article{}, fmt.Errorf("parse %s: %w", name, ErrNoTitle)
	}
	a.Title = summarize.FoldSpace(line)
	if a.Title == "" || !hasLetterOrDigit(a.Title) {
		return Article{}, fmt.Errorf("parse %s: %w", name, ErrNoTitle)
	}
	// Paragraphs gather on the stack, then move to one exactly sized slice.
	var parasBuf [64]string
	paras := parasBuf[:0]
	for {
		line, ok := lines.next()
		if !ok {
			break
		}
		if p := summarize.FoldSpace(line); p != "" && hasLetterOrDigit(p) {
			paras = append(paras, p)
			// p is folded: its words are separated by single spaces.
			a.Words += strings.Count(p, " ") + 1
		}
	}
	if len(paras) == 0 {
		return Article{}, fmt.Errorf("parse %s: %q has %w", name, a.Title, ErrNoBody)
	}
	a.Paragraphs = slices.Clone(paras)
	a.ID = makeID(name, a.Title)
	return a, nil
}

// parseDate reports whether line is a date line in one of dateLayouts.
func parseDate(line string) (time.Time, bool) {
	line = summarize.FoldSpace(line)
	if len(line) < 8 || len(line) > 40 || !hasYear(line) {
		return time.Time{}, false
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, line); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// hasYear reports whether s has four ASCII digits in a row, as every one of
// dateLayouts needs for its year: lines without them (most titles) need not
// be tried against each layout.
func hasYear(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			if run++; run == 4 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// lineReader yields the lines of a text, as strings.Split(text, "\n")
// would, without building the slice.
type lineReader struct {
	rest string
	done bool
}

// next returns the next line; ok is false after the last.
func (r *lineReader) next() (line string, ok bool) {
	if r.done {
		return "", false
	}
	if i := strings.IndexByte(r.rest, '\n'); i >= 0 {
		line, r.rest = r.rest[:i], r.rest[i+1:]
		return line, true
	}
	r.done = true
	return r.rest, true
}

// nextNonBlank returns the next line that is not only white space.
func (r *lineReader) nextNonBlank() (line string, ok bool) {
	for {
		line, ok = r.next()
		if !ok || strings.TrimSpace(line) != "" {
			return line, ok
		}
	}
}

// looksBinary reports NUL bytes or a high share of control characters in the
// first few kilobytes: text never has them, images and archives always do.
func looksBinary(data []byte) bool {
	head := data
	if len(head) > 8192 {
		head = head[:8192]
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	n := len(head)
	control := 0
	for len(head) > 0 {
		// Skip eight bytes at a time while none is below 0x20.
		if len(head) >= 8 {
			x := binary.LittleEndian.Uint64(head)
			if (x-0x2020202020202020)&^x&0x8080808080808080 == 0 {
				head = head[8:]
				continue
			}
		}
		if b := head[0]; b < 0x20 && b != '\n' && b != '\r' && b != '\t' && b != '\f' {
			control++
		}
		head = head[1:]
	}
	return control*20 > n
}

// cp1252 maps the bytes 0x80-0x9F of Windows-1252 that differ from Latin-1.
var cp1252 = [32]rune{
	'€', '\uFFFD', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\uFFFD', 'Ž', '\uFFFD',
	'\uFFFD', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\uFFFD', 'ž', 'Ÿ',
}

// decode returns data as a string, reading it as Windows-1252 when it is not
// valid UTF-8.
func decode(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	var b strings.Builder
	b.Grow(len(data) + len(data)/8)
	for _, c := range data {
		switch {
		case c < 0x80:
			b.WriteByte(c)
		case c < 0xA0:
			b.WriteRune(cp1252[c-0x80])
		default:
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}

func hasLetterOrDigit(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if isASCIIAlnum(c) {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
		i += size
	}
	return false
}

func countWords(s string) int {
	n, in := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

// makeID builds "slug-of-the-title-1a2b3c": readable in autocomplete values
// and logs, and unique per file thanks to the hash of the file name.
func makeID(name, title string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%s-%06x", Slug(title, 48), h.Sum32()&0xFFFFFF)
}

// Slug lowercases s, keeps letters and digits, joins words with hyphens and
// cuts the result at max bytes on a word boundary where it can.
func Slug(s string, max int) string {
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
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			// Non-ASCII letters are dropped from IDs to keep them safe in
			// URLs and Discord option values; the hash keeps IDs unique.
			dash = true
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

func isASCIIAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
