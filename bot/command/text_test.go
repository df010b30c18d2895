package command

import (
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"newsbrief/bot/digest"
)

func TestTruncateCutsOnWordWithEllipsis(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly ten", 11, "exactly ten"},
		{"the quick brown fox jumps", 12, "the quick…"},
		{"abcdefghijklmnopqrstuvwxyz", 10, "abcdefghi…"},
		{"ééééé ééééé", 8, "ééééé…"},
	}
	for _, tc := range cases {
		got := Truncate(tc.in, tc.max)
		if got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
		if utf8.RuneCountInString(got) > tc.max {
			t.Errorf("Truncate(%q, %d) is %d characters", tc.in, tc.max, utf8.RuneCountInString(got))
		}
	}
}

func TestTextRendersReply(t *testing.T) {
	got := Text(Reply{Content: "Heading", Cards: []Card{{Title: "T", Description: "D", Fields: []Field{{Name: "K", Value: "V"}}, Footer: "F", Time: time.Date(2023, 11, 3, 0, 0, 0, 0, time.UTC)}}, Ephemeral: true})
	for _, want := range []string{"Heading", "## T", "Published: Fri, 3 Nov 2023", "D", "K: V", "-- F", "(only you can see this)"} {
		if !strings.Contains(got, want) {
			t.Errorf("Text() lacks %q:\n%s", want, got)
		}
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := digest.LoadZone(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestPlainMarkup: the console showed Discord markup raw, as
// "<t:1796003945:F> (<t:1796003945:R>)" and "<#console>".
func TestPlainMarkup(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	now := time.Unix(1796003945, 0).Add(-3 * time.Hour)
	for in, want := range map[string]string{
		"<t:1796003945:F> (<t:1796003945:R>)": "Monday, 30 November 2026 02:59 CET (in 3 hours)",
		"<t:1796003945>":                      "30 November 2026 02:59 CET",
		"<t:1796003945:f>":                    "30 November 2026 02:59 CET",
		"<t:1796003945:t>":                    "02:59 CET",
		"<t:1796003945:T>":                    "02:59:05 CET",
		"<t:1796003945:d>":                    "2026-11-30",
		"<t:1796003945:D>":                    "30 November 2026",
		"<t:1783000000:F>":                    "Thursday, 2 July 2026 15:46 CEST", // summer time
		"Subscribed <#console>, not <#123456789012345678>.": "Subscribed #console, not #123456789012345678.",
		"<@console> <@!42> <@&7>":                           "@console @42 @role:7",
		"</brief read:123> <:party:9> <a:wave:10>":          "/brief read :party: :wave:",
		// Not markup, or not Discord's: left as it is.
		"<t:abc:F> <t:1:X> <b> a < b > c <#> <@>": "<t:abc:F> <t:1:X> <b> a < b > c <#> <@>",
		"<t:99999999999999999999:F>":              "<t:99999999999999999999:F>",
		// Escaped: the character, as Discord shows it; escaped markup stays text.
		`\<t:1796003945:F\> \[a\](b) \\ \é a\b \ end\`: `<t:1796003945:F> [a](b) \ é a\b \ end\`,
	} {
		if got := plainMarkup(in, now, berlin); got != want {
			t.Errorf("plainMarkup(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRelativeTime(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		0:                               "now",
		500 * time.Millisecond:          "now",
		time.Second:                     "in 1 second",
		-45 * time.Second:               "45 seconds ago",
		90 * time.Second:                "in 2 minutes",
		59*time.Minute + 40*time.Second: "in 1 hour",
		3*time.Hour - time.Second:       "in 3 hours",
		-2 * 24 * time.Hour:             "2 days ago",
		-(2*24*time.Hour + 3*time.Hour): "2 days ago",
		23*time.Hour + 45*time.Minute:   "in 1 day",
		45 * 24 * time.Hour:             "in 2 months",
		-400 * 24 * time.Hour:           "1 year ago",
		time.Duration(math.MinInt64):    "292 years ago",
		time.Duration(math.MaxInt64):    "in 292 years",
	} {
		if got := relativeTime(now.Add(d), now); got != want {
			t.Errorf("relativeTime(now%+v) = %q, want %q", d, got, want)
		}
	}
}

// TestTextShowsMarkupPlain: every part of a reply the console prints goes
// through plainMarkup, but the footer, which Discord shows as it is.
func TestTextShowsMarkupPlain(t *testing.T) {
	tokyo := mustZone(t, "Asia/Tokyo")
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, tokyo)
	ts := Timestamp(at, 'F') + " (" + Timestamp(at, 'R') + ")"
	got := textAt(Reply{Content: "<#news> " + ts, Cards: []Card{{
		Title: "<#a>", Description: "<#b>", Fields: []Field{{Name: "<#c>", Value: Timestamp(at, 'f')}}, Footer: "<@d>",
	}}}, at.Add(-2*time.Hour), tokyo)
	want := "#news Tuesday, 24 November 2026 09:00 JST (in 2 hours)\n\n## #a\n#b\n#c: 24 November 2026 09:00 JST\n-- <@d>\n"
	if got != want {
		t.Errorf("textAt:\n%s\nwant:\n%s", got, want)
	}
}
