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

// Text renders a reply for a terminal: Discord markup (timestamps, channel,
// user and role mentions) is shown as plain text, timestamps as dates in
// the process's local zone, relative to now.
func Text(rep Reply) string { return textAt(rep, time.Now(), time.Local) }

// textAt is Text at a given time and zone, so tests need not depend on
// the machine's.
func textAt(rep Reply, now time.Time, loc *time.Location) string {
	plain := func(s string) string { return plainMarkup(s, now, loc) }
	var b strings.Builder
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
		if c.URL != "" && !strings.ContainsFunc(c.URL, unicode.IsControl) {
			// Shown whole, as given: a terminal makes it clickable. A
			// link with control characters, which could drive the
			// terminal, is no link to show.
			b.WriteString("Link: " + c.URL + "\n")
		}
		if c.Description != "" {
			b.WriteString(plain(c.Description) + "\n")
		}
		for _, f := range c.Fields {
			b.WriteString(plain(f.Name) + ": " + plain(f.Value) + "\n")
		}
		if c.Footer != "" {
			b.WriteString("-- " + plain(c.Footer) + "\n")
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

// discordMarkup matches the message markup Discord renders: timestamps
// <t:unix> and <t:unix:style>, channel <#id>, user <@id> or <@!id> and role
// <@&id> mentions, command mentions </name:id> and custom emoji
// <:name:id> or <a:name:id>.
var discordMarkup = regexp.MustCompile(`<(?:t:(-?\d+)(?::([tTdDfFR]))?|#([^<>\s]+)|@!?([^<>\s&!]+)|@&([^<>\s]+)|/([^<>:]+):\d+|a?:(\w+):\d+)>`)

// plainMarkup shows Discord markup in s as a terminal can: timestamps as
// dates in loc (with the relative style as "in 3 hours" or "2 days ago"
// from now), mentions by what the console knows of them, which is their
// ID: the console's own channel and user are both named "console", so
// they read #console and @console.
func plainMarkup(s string, now time.Time, loc *time.Location) string {
	return discordMarkup.ReplaceAllStringFunc(s, func(m string) string {
		g := discordMarkup.FindStringSubmatch(m)
		switch {
		case g[1] != "":
			unix, err := strconv.ParseInt(g[1], 10, 64)
			if err != nil {
				return m
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
	})
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
