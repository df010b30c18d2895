package command

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
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
