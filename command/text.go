package command

import (
	"fmt"
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
// The console shows the markup as it is.
func Timestamp(t time.Time, style byte) string {
	return fmt.Sprintf("<t:%d:%c>", t.Unix(), style)
}

// Text renders a reply for a terminal.
func Text(rep Reply) string {
	var b strings.Builder
	if rep.Content != "" {
		b.WriteString(rep.Content)
		b.WriteString("\n")
	}
	for i, c := range rep.Cards {
		if i > 0 || rep.Content != "" {
			b.WriteString("\n")
		}
		if c.Title != "" {
			b.WriteString("## " + c.Title + "\n")
		}
		if !c.Time.IsZero() {
			b.WriteString("Published: " + c.Time.Format("Mon, 2 Jan 2006") + "\n")
		}
		if c.Description != "" {
			b.WriteString(c.Description + "\n")
		}
		for _, f := range c.Fields {
			b.WriteString(f.Name + ": " + f.Value + "\n")
		}
		if c.Footer != "" {
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
