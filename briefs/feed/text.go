package feed

import (
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"newsbrief/briefs"
	"newsbrief/briefs/summarize"
)

// skipped holds the elements whose content is never text a reader should
// see: code, styles, embedded objects, forms.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Svg: true, atom.Math: true, atom.Iframe: true, atom.Object: true,
	atom.Canvas: true, atom.Select: true, atom.Button: true, atom.Head: true, atom.Title: true,
	atom.Audio: true, atom.Video: true, atom.Textarea: true,
}

// blocks holds the elements that end a paragraph.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Blockquote: true, atom.Section: true, atom.Article: true, atom.Header: true,
	atom.Footer: true, atom.Main: true, atom.Aside: true, atom.Nav: true, atom.Figure: true,
	atom.Figcaption: true, atom.Table: true, atom.Tr: true, atom.Pre: true, atom.Hr: true,
	atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Address: true, atom.Details: true,
	atom.Summary: true, atom.Body: true, atom.Html: true, atom.Tbody: true, atom.Thead: true,
}

// PlainText turns the HTML that feeds put in titles and descriptions (or a
// page's extracted article) into what a reader sees in Discord: no markup,
// no entities, no images (tracking pixels included), scripts and styles
// dropped; block elements and line breaks end paragraphs, and paragraphs
// come back separated by blank lines with white space folded. Control and
// format characters are removed (see briefs.CleanText). Paragraphs
// without a letter or a digit (separators, lone bullets) are dropped.
// Plain text passes through with its entities decoded.
func PlainText(s string) string {
	return strings.Join(plainParagraphs(s), "\n\n")
}

func plainParagraphs(s string) []string {
	if !looksLikeHTML(s) {
		// Plain text, perhaps with entities: a '<' in it is a character
		// ("x<y"), not a tag. Blank lines separate paragraphs; single line
		// breaks are hard wrapping.
		if strings.Contains(s, "&") {
			s = html.UnescapeString(s)
		}
		return keepParagraphs(splitBlankLines(s))
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var (
		paras []string
		cur   strings.Builder
		skip  int // depth inside skipped elements
	)
	flush := func() {
		if cur.Len() > 0 {
			paras = append(paras, cur.String())
			cur.Reset()
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			flush()
			return keepParagraphs(paras)
		case html.TextToken:
			if skip == 0 {
				text := string(z.Text())
				// A blank line in the text is a paragraph break too
				// (feeds that send plain text with an entity or two).
				for i, part := range strings.Split(text, "\n\n") {
					if i > 0 {
						flush()
					}
					cur.WriteString(part)
				}
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipped[a] {
				if tt == html.StartTagToken {
					skip++
				}
				continue
			}
			if blocks[a] {
				flush()
			} else if skip == 0 && (a == atom.Td || a == atom.Th) {
				cur.WriteByte(' ')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipped[a] {
				if skip > 0 {
					skip--
				}
				continue
			}
			if blocks[a] {
				flush()
			}
		}
	}
}

// looksLikeHTML reports whether s has markup: a closing or self-closing
// tag, a comment, or an opening tag of an element that feeds use.
func looksLikeHTML(s string) bool {
	for i := strings.IndexByte(s, '<'); i >= 0; {
		rest := s[i+1:]
		if strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, "!") {
			return true
		}
		name := rest
		if j := strings.IndexFunc(rest, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }); j >= 0 {
			name = rest[:j]
			if rest[j] != '>' && rest[j] != ' ' && rest[j] != '/' && rest[j] != '\t' && rest[j] != '\n' {
				name = ""
			}
		}
		if name != "" && atom.Lookup([]byte(strings.ToLower(name))) != 0 {
			return true
		}
		k := strings.IndexByte(rest, '<')
		if k < 0 {
			break
		}
		i += 1 + k
	}
	return false
}

// splitBlankLines splits text at blank lines.
func splitBlankLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var paras []string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				paras = append(paras, strings.Join(cur, " "))
				cur = cur[:0]
			}
			continue
		}
		cur = append(cur, line)
	}
	if len(cur) > 0 {
		paras = append(paras, strings.Join(cur, " "))
	}
	return paras
}

// keepParagraphs cleans each paragraph of what could drive a terminal or
// disguise text (briefs.CleanLine: entities such as &#27; decode to such
// characters, so this comes after decoding), folds its white space and
// keeps those with a letter or digit.
func keepParagraphs(paras []string) []string {
	out := paras[:0]
	for _, p := range paras {
		p = summarize.FoldSpace(briefs.CleanLine(p))
		if p != "" && strings.IndexFunc(p, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			out = append(out, p)
		}
	}
	return out
}

// plainTitle is PlainText on one line: a title keeps no paragraph breaks.
func plainTitle(s string) string {
	return summarize.FoldSpace(strings.Join(plainParagraphs(s), " "))
}

// countWords counts the words of folded paragraphs.
func countWords(paras []string) int {
	n := 0
	for _, p := range paras {
		if p != "" {
			n += strings.Count(p, " ") + 1
		}
	}
	return n
}

// cleanError is an error whose message holds a stranger's text (a server's
// reason phrase, a certificate's names, a parser quoting the document),
// cleaned of what could drive a terminal (briefs.CleanLine); errors.Is and
// errors.As still see the cause.
type cleanError struct {
	msg string
	err error
}

func (e *cleanError) Error() string { return e.msg }
func (e *cleanError) Unwrap() error { return e.err }

// cleanErr returns err, or when its message has anything CleanLine
// removes, err with a cleaned message.
func cleanErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if c := briefs.CleanLine(msg); c != msg {
		return &cleanError{msg: c, err: err}
	}
	return err
}
