// Package folder is the article-file source of the library: the file
// format (Parse), finding article files below a folder, reading them, and
// watching the folder so that the library follows its changes. It turns
// files into briefs.Articles and hands them to a briefs.Library under the
// folder's name (Source, Load); briefs itself does no file I/O.
package folder

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"newsbrief/briefs"
	"newsbrief/briefs/summarize"
)

// MaxFileSize is the largest article file read by default: news articles
// are kilobytes, so anything near a megabyte is almost certainly not an
// article.
const MaxFileSize = 1 << 20

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
// file's path relative to its folder, slash separated: it becomes the
// article's File and seeds its ID (see ID). Origin and, for undated
// articles, Date are left for the caller to fill in.
//
// The accepted shape is an optional date line, a title line, then paragraphs
// separated by blank lines or by line breaks. Text that is not valid UTF-8 is
// decoded as Windows-1252 (the usual source of stray bytes in news text), a
// BOM is dropped and CRLF line ends are normalized. Control and format
// characters (an escape sequence, a bidirectional override) are removed
// from the title and the text: see briefs.CleanText.
func Parse(name string, data []byte) (briefs.Article, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return briefs.Article{}, fmt.Errorf("parse %s: %w", name, ErrEmpty)
	}
	if looksBinary(data) {
		return briefs.Article{}, fmt.Errorf("parse %s: %w", name, ErrBinary)
	}
	// Cleaning drops the BOM (a format character) and control characters
	// that could drive a terminal or disguise text (briefs.CleanText),
	// and makes every line end "\n".
	text := briefs.CleanText(decode(data))

	lines := lineReader{rest: text}
	line, ok := lines.nextNonBlank()
	var a briefs.Article
	a.File = name
	if ok {
		if d, isDate := parseDate(line); isDate {
			a.Date, a.Dated = d, true
			line, ok = lines.nextNonBlank()
		}
	}
	if !ok {
		return briefs.Article{}, fmt.Errorf("parse %s: %w", name, ErrNoTitle)
	}
	a.Title = summarize.FoldSpace(line)
	if a.Title == "" || !hasLetterOrDigit(a.Title) {
		return briefs.Article{}, fmt.Errorf("parse %s: %w", name, ErrNoTitle)
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
		return briefs.Article{}, fmt.Errorf("parse %s: %q has %w", name, a.Title, ErrNoBody)
	}
	a.Paragraphs = slices.Clone(paras)
	a.ID = ID(name, a.Title)
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

// ID is the ID of the article titled title in the file rel (its path
// relative to the folder, slash separated). It depends on nothing else, so
// it is the same wherever the folder lives, and digests' records of posted
// IDs keep matching across restarts and moves.
func ID(rel, title string) string { return briefs.NewID(rel, title) }

func isASCIIAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
