package command

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Autocomplete limits, Discord's: handlers fit their choices to them so a
// cut keeps what matters (an article's date), and the console shows the
// same list.
const (
	MaxChoices    = 25
	MaxChoiceName = 100
)

// Option bounds shared by the command definitions (package discord) and
// the handlers.
const (
	MinCount, MaxCount, DefaultCount = 1, 10, 5
	maxSearchResults                 = 5
)

// Truncate cuts s to at most max characters, on a word boundary where there
// is one in the last fifth, ending with an ellipsis.
func Truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max <= 1 {
		return string([]rune(s)[:max])
	}
	r := []rune(s)[:max-1]
	cut := len(r)
	for i := len(r) - 1; i >= len(r)*4/5; i-- {
		if unicode.IsSpace(r[i]) {
			cut = i
			break
		}
	}
	return strings.TrimRightFunc(string(r[:cut]), unicode.IsSpace) + "…"
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// Timestamp renders t as Discord's timestamp markup in a style such as 'F'
// or 'R': each Discord reader sees it in their own time zone and language.
// Text shows it as a date in the local zone instead.
func Timestamp(t time.Time, style byte) string {
	return fmt.Sprintf("<t:%d:%c>", t.Unix(), style)
}

// Text renders a reply for a terminal as Discord would show it: fitted to
// Discord's limits (FitReply), so cut where Discord would cut it, and with
// Discord markup (timestamps, channel, user and role mentions, a
// backslash's escape) shown as plain text, timestamps as dates in the
// process's local zone, relative to now.
func Text(rep Reply) string { return textAt(rep, time.Now(), time.Local) }

// DigestText renders a digest reply (DigestReply) for a terminal as the
// messages it would be posted as (DigestMessages), each as Text shows a
// reply, with a line between them when there are several.
func DigestText(rep Reply) string { return digestTextAt(rep, time.Now(), time.Local) }

func digestTextAt(rep Reply, now time.Time, loc *time.Location) string {
	msgs := DigestMessages(rep)
	if len(msgs) == 0 {
		return textAt(rep, now, loc)
	}
	var b strings.Builder
	for i, m := range msgs {
		if i > 0 {
			b.WriteString("\n")
		}
		if len(msgs) > 1 {
			fmt.Fprintf(&b, "(message %d of %d)\n", i+1, len(msgs))
		}
		b.WriteString(textAt(m, now, loc))
	}
	return b.String()
}

// textAt is Text at a given time and zone, so tests need not depend on
// the machine's.
func textAt(rep Reply, now time.Time, loc *time.Location) string {
	rep = FitReply(rep)
	plain := func(s string) string { return plainMarkup(s, now, loc) }
	var b strings.Builder
	b.WriteString(plain(deliveryLines(rep.Delivery)))
	if rep.Content != "" {
		b.WriteString(plain(rep.Content))
		b.WriteString("\n")
	}
	for i, c := range rep.Cards {
		if i > 0 || rep.Content != "" {
			b.WriteString("\n")
		}
		if c.Title != "" {
			b.WriteString("## " + plain(c.Title) + "\n")
		}
		if !c.Time.IsZero() {
			b.WriteString("Published: " + c.Time.Format("Mon, 2 Jan 2006") + "\n")
		}
		if c.URL != "" {
			// Shown whole, as Discord links it (FitReply keeps only what
			// CheckLink passes): a terminal makes it clickable.
			b.WriteString("Link: " + c.URL + "\n")
		}
		if c.Description != "" {
			b.WriteString(plain(c.Description) + "\n")
		}
		for _, f := range c.Fields {
			b.WriteString(plain(f.Name) + ": " + plain(f.Value) + "\n")
		}
		if c.Footer != "" {
			// Discord shows a footer as it is, markup and all.
			b.WriteString("-- " + c.Footer + "\n")
		}
	}
	for _, ch := range rep.Choices {
		b.WriteString("  " + ch.Name + "  [" + ch.Value + "]\n")
	}
	if rep.Ephemeral {
		b.WriteString("(only you can see this)\n")
	}
	return b.String()
}

// discordMarkup matches the message markup Discord renders, at the start
// of a string: timestamps <t:unix> and <t:unix:style>, channel <#id>, user
// <@id> or <@!id> and role <@&id> mentions, command mentions </name:id> and
// custom emoji <:name:id> or <a:name:id>.
var discordMarkup = regexp.MustCompile(`^<(?:t:(-?\d+)(?::([tTdDfFR]))?|#([^<>\s]+)|@!?([^<>\s&!]+)|@&([^<>\s]+)|/([^<>:]+):\d+|a?:(\w+):\d+)>`)

// plainMarkup shows Discord markup in s as a terminal can: a backslash's
// escape as the character it escapes (Discord's rule: a backslash before
// any character but an ASCII letter or digit or white space; see
// EscapeMarkdown), timestamps as dates in loc (with the relative style as
// "in 3 hours" or "2 days ago" from now), mentions by what the console
// knows of them, which is their ID: the console's own channel and user are
// both named "console", so they read #console and @console. Markup that is
// escaped (\<t:0>) stays text, as in Discord.
func plainMarkup(s string, now time.Time, loc *time.Location) string {
	i := strings.IndexAny(s, `\<`)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i:]
		if s[0] == '\\' {
			r, size := utf8.DecodeRuneInString(s[1:])
			if size > 0 && !isASCIIAlnum(r) && !unicode.IsSpace(r) {
				b.WriteString(s[1 : 1+size])
				s = s[1+size:]
			} else {
				b.WriteByte('\\')
				s = s[1:]
			}
		} else if g := discordMarkup.FindStringSubmatch(s); g != nil {
			b.WriteString(plainMention(g, now, loc))
			s = s[len(g[0]):]
		} else {
			b.WriteByte('<')
			s = s[1:]
		}
		i = strings.IndexAny(s, `\<`)
	}
	b.WriteString(s)
	return b.String()
}

// plainMention is the plain text of one match of discordMarkup.
func plainMention(g []string, now time.Time, loc *time.Location) string {
	switch {
	case g[1] != "":
		unix, err := strconv.ParseInt(g[1], 10, 64)
		if err != nil {
			return g[0]
		}
		style := byte('f') // Discord's default
		if g[2] != "" {
			style = g[2][0]
		}
		return plainTimestamp(time.Unix(unix, 0), style, now, loc)
	case g[3] != "":
		return "#" + g[3]
	case g[4] != "":
		return "@" + g[4]
	case g[5] != "":
		return "@role:" + g[5]
	case g[6] != "":
		return "/" + g[6]
	default:
		return ":" + g[7] + ":"
	}
}

// EscapeMarkdown makes text from outside the bot (an article's title and
// text, a feed's name or error) show in Discord as it is written: a
// backslash goes before each character Discord's markdown would read as
// markup, and Discord shows the character without the backslash (so does
// the console: see Text). So a feed's [Click me](https://evil.example) is
// no masked link, ||…||, **…**, ~~…~~, __…__ and code spans and fences
// stay literal, <t:0>, <@id> and <#id> are no timestamp or mention, a line
// starting with #, -, +, > or "1." is no heading, list or quote, and a web
// address is no link ("://" is escaped): the only links in a reply are the
// ones the bot makes, from a card's checked URL. Footers are not escaped:
// Discord shows them as they are, markup and all.
func EscapeMarkdown(s string) string {
	var b strings.Builder
	// s[:done] is in b; escape(i) puts a backslash before s[i].
	done := 0
	escape := func(i int) {
		if b.Len() == 0 {
			b.Grow(len(s) + len(s)/8)
		}
		b.WriteString(s[done:i])
		b.WriteByte('\\')
		done = i
	}
	lineStart := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if lineStart {
			switch {
			case c == ' ' || c == '\t':
				continue
			case c == '#' || c == '-' || c == '+':
				escape(i)
			case isDigit(c):
				j := i
				for j < len(s) && isDigit(s[j]) {
					j++
				}
				if j < len(s) && (s[j] == '.' || s[j] == ')') {
					escape(j)
					i, lineStart = j, false
					continue
				}
			}
			lineStart = false
		}
		switch c {
		case '\\', '*', '_', '~', '`', '|', '<', '>', '[', ']':
			escape(i)
		case ':':
			if strings.HasPrefix(s[i+1:], "//") {
				escape(i)
			}
		case '\n':
			lineStart = true
		}
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isASCIIAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

// plainTimestamp formats t in loc as Discord's timestamp style would: the
// zone is named, since a terminal reader cannot hover to see it.
func plainTimestamp(t time.Time, style byte, now time.Time, loc *time.Location) string {
	t = t.In(loc)
	switch style {
	case 't':
		return t.Format("15:04 MST")
	case 'T':
		return t.Format("15:04:05 MST")
	case 'd':
		return t.Format("2006-01-02")
	case 'D':
		return t.Format("2 January 2006")
	case 'F':
		return t.Format("Monday, 2 January 2006 15:04 MST")
	case 'R':
		return relativeTime(t, now)
	default: // 'f'
		return t.Format("2 January 2006 15:04 MST")
	}
}

// relativeUnits are the units relativeTime counts in, largest first.
var relativeUnits = []struct {
	size time.Duration
	name string
}{
	{365 * 24 * time.Hour, "year"},
	{30 * 24 * time.Hour, "month"},
	{24 * time.Hour, "day"},
	{time.Hour, "hour"},
	{time.Minute, "minute"},
	{time.Second, "second"},
}

// relativeTime says how far t is from now in the largest unit it reaches,
// rounded, as "in 3 hours" or "2 days ago"; a rounding that reaches the
// next unit says that unit (59.6 minutes is "in 1 hour").
func relativeTime(t, now time.Time) string {
	d := t.Sub(now)
	past := d < 0
	if past {
		d = -d
		if d < 0 { // the most negative Duration has no positive twin
			d = math.MaxInt64
		}
	}
	if d < time.Second {
		return "now"
	}
	for i, u := range relativeUnits {
		if d < u.size {
			continue
		}
		n := d / u.size
		if d%u.size >= u.size/2 { // rounded, without overflowing near the largest Duration
			n++
		}
		name := u.name
		if i > 0 && n*u.size >= relativeUnits[i-1].size {
			n, name = 1, relativeUnits[i-1].name
		}
		amount := fmt.Sprintf("%d %s", n, plural(int(n), name, name+"s"))
		if past {
			return amount + " ago"
		}
		return "in " + amount
	}
	return "now" // unreachable: d is at least a second
}
