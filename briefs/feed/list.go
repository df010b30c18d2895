package feed

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MinEvery is the shortest poll interval a feed may ask for: faster is
// never polite, and a zero or negative interval would spin.
const MinEvery = time.Second

// maxNameLen bounds a feed's name: it is shown in footers and offered in
// autocomplete, where long names are cut anyway.
const maxNameLen = 64

// maxLineLen bounds one line of the feeds file; a longer one is surely not
// a feed line, and holding it whole would take unbounded memory: it is
// skipped unread.
const maxLineLen = 64 << 10

// LineError is what is wrong with one line of the feeds file.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ErrBadURL is wrapped by every error about a feed's URL, so callers can
// tell a mistyped address from the other mistakes of a line.
var ErrBadURL = errors.New("bad URL")

// ParseList reads a feeds file: one feed a line, `URL` or `NAME URL`, each
// optionally followed by `every=DURATION` (a Go duration, at least 1s). A
// `#` at the start of a line or after white space starts a comment (a `#`
// inside a URL is its fragment, not a comment); blank lines are ignored.
//
// A feed without a name is named after its URL's host (without "www.").
// Names and URLs must be unique; names are compared without regard to case
// because readers type them in commands.
//
// It returns the good feeds in file order and one *LineError per bad line
// (the line's number and what is wrong). A bad line is left out, and of two
// lines that clash the first is kept, so the rest of the file still works
// while the operator fixes it. A line longer than 64 KiB, surely no feed
// line, is one bad line too: the lines after it are read as usual.
func ParseList(r io.Reader) ([]Feed, []error) {
	var (
		feeds []Feed
		errs  []error
	)
	names := map[string]int{} // folded name → line
	urls := map[string]int{}  // canonical URL → line
	lines := lineReader{r: bufio.NewReader(r)}
	for {
		line, n, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, &LineError{Line: n, Err: err})
			if errors.Is(err, errLineTooLong) {
				continue
			}
			break // the reader failed: nothing more can be read
		}
		f, err := parseLine(line)
		if err == nil && f.URL == "" {
			continue // blank or comment
		}
		if err == nil {
			key := strings.ToLower(f.Name)
			if first, dup := names[key]; dup {
				err = fmt.Errorf("duplicate name %q (line %d has it): give one of them another name", f.Name, first)
			} else if first, dup := urls[canonicalFeedURL(f.URL)]; dup {
				err = fmt.Errorf("duplicate URL %s (line %d has it)", f.URL, first)
			}
		}
		if err != nil {
			errs = append(errs, &LineError{Line: n, Err: err})
			continue
		}
		f.Line = n
		names[strings.ToLower(f.Name)] = n
		urls[canonicalFeedURL(f.URL)] = n
		feeds = append(feeds, f)
	}
	return feeds, errs
}

// errLineTooLong is the error of a line over maxLineLen bytes.
var errLineTooLong = fmt.Errorf("line longer than %d bytes: skipped", maxLineLen)

// lineReader reads a file's lines, as bufio.Scanner's ScanLines splits
// them (the line end, "\n" or "\r\n", is not part of a line), holding at
// most maxLineLen bytes of one: a longer line is read through to its end
// and reported with errLineTooLong, and the lines after it are read as
// usual. (A Scanner stops for good at a line too long for its buffer, and
// every feed after it would be lost.)
type lineReader struct {
	r    *bufio.Reader
	n    int // the number of the line last returned
	line []byte
}

// next returns the next line and its number, or io.EOF after the last.
func (lr *lineReader) next() (string, int, error) {
	lr.line = lr.line[:0]
	tooLong := false
	for {
		chunk, err := lr.r.ReadSlice('\n')
		if !tooLong {
			if len(lr.line)+len(chunk) > maxLineLen+len("\r\n") {
				tooLong = true
				lr.line = lr.line[:0]
			} else {
				lr.line = append(lr.line, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(chunk) == 0 && len(lr.line) == 0 && !tooLong:
			return "", lr.n, io.EOF
		case err != nil && err != io.EOF:
			lr.n++
			return "", lr.n, err
		}
		lr.n++
		line := bytes.TrimSuffix(bytes.TrimSuffix(lr.line, []byte("\n")), []byte("\r"))
		if tooLong || len(line) > maxLineLen {
			return "", lr.n, errLineTooLong
		}
		return string(line), lr.n, nil
	}
}

// parseLine parses one line; a blank or comment line gives the zero Feed.
func parseLine(line string) (Feed, error) {
	if !utf8.ValidString(line) {
		return Feed{}, errors.New("not valid UTF-8")
	}
	fields := strings.Fields(stripComment(line))
	var f Feed
	var rest []string
	everySeen := false
	for _, fld := range fields {
		key, val, isOpt := strings.Cut(fld, "=")
		if !isOpt || strings.Contains(fld, "://") || !isOptionKey(key) {
			rest = append(rest, fld)
			continue
		}
		if key != "every" {
			return Feed{}, fmt.Errorf("unknown option %q (the only option is every=DURATION)", fld)
		}
		if everySeen {
			return Feed{}, errors.New("every= given twice")
		}
		everySeen = true
		d, err := time.ParseDuration(val)
		if err != nil {
			return Feed{}, fmt.Errorf("bad duration %q in every=: want a Go duration such as 30m or 2h", val)
		}
		if d < MinEvery {
			return Feed{}, fmt.Errorf("every=%s is shorter than %s", val, MinEvery)
		}
		f.Every = d
	}
	switch len(rest) {
	case 0:
		if everySeen {
			return Feed{}, fmt.Errorf("%w: every= without a feed URL", ErrBadURL)
		}
		return Feed{}, nil
	case 1:
		f.URL = rest[0]
	case 2:
		f.Name, f.URL = rest[0], rest[1]
	default:
		return Feed{}, fmt.Errorf("too many fields (%d): want URL or NAME URL, then optionally every=DURATION; a name is one word", len(rest))
	}
	u, err := CheckURL(f.URL)
	if err != nil {
		if f.Name != "" && looksLikeURL(f.Name) {
			return Feed{}, fmt.Errorf("%v (the name %q looks like a URL: is the order NAME URL?)", err, f.Name)
		}
		return Feed{}, err
	}
	f.URL = u.String()
	if f.Name == "" {
		f.Name = strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	}
	if err := checkName(f.Name); err != nil {
		return Feed{}, err
	}
	return f, nil
}

// stripComment cuts line at a '#' that starts it or follows white space.
func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return line[:i]
		}
	}
	return line
}

// isOptionKey reports whether key looks like an option's name (lower-case
// letters), so that a misspelt option is reported rather than taken for a
// feed's name.
func isOptionKey(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

func looksLikeURL(s string) bool {
	return strings.Contains(s, "://")
}

// CheckURL parses a feed's or page's address and accepts only absolute
// http and https URLs with a host and without credentials (they would be
// shown wherever the URL is: logs, /brief sources). The scheme and host are
// lower-cased.
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrBadURL, raw, errors.Unwrap(err))
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("%w %q: no scheme (want http:// or https://)", ErrBadURL, raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w %q: scheme %q not supported (want http or https)", ErrBadURL, raw, u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%w %q: no host", ErrBadURL, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w %q: credentials in the URL are not supported", ErrBadURL, raw)
	}
	u.Host = strings.ToLower(u.Host)
	return u, nil
}

// checkName accepts names that read well as an origin: printable, no '#'
// (which would start a comment when the line is written back), not a URL.
func checkName(name string) error {
	if utf8.RuneCountInString(name) > maxNameLen {
		return fmt.Errorf("name %q is longer than %d characters", name, maxNameLen)
	}
	if looksLikeURL(name) {
		return fmt.Errorf("name %q looks like a URL: want NAME URL", name)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) || r == '#' {
			return fmt.Errorf("name %q has the character %q", name, r)
		}
	}
	return nil
}

// canonicalFeedURL is how duplicate feed URLs are recognized: the same
// address up to case of scheme and host, a default port, a fragment or a
// trailing slash.
func canonicalFeedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Fragment, u.RawFragment = "", ""
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = normalHost(u.Scheme, u.Host)
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u.String()
}
