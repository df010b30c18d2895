package command

import (
	"strings"
	"testing"

	"newsbrief/briefs"
)

// TestFooterNamesTheSource: a file shows its folder and file name, never
// its path; an article that is no file (a feed item) shows its origin only.
func TestFooterNamesTheSource(t *testing.T) {
	for _, tc := range []struct {
		a         briefs.Article
		want, not string
	}{
		{briefs.Article{ID: "budget-1a2b3c", Origin: "articles", File: "2023/11/budget.txt", Dated: true},
			"Source: articles · budget.txt · budget-1a2b3c", "2023/"},
		{briefs.Article{ID: "undated-1a2b3c", Origin: "articles", File: "undated.txt"},
			"Source: articles · undated.txt · undated-1a2b3c · date from file time", ""},
		{briefs.Article{ID: "wire-9f8e7d", Origin: "Wire", URL: "https://example.com/story", Dated: true},
			"Source: Wire · wire-9f8e7d", ".txt"},
		{briefs.Article{ID: "wire-9f8e7d", Origin: "Wire", Dated: true, Also: []string{"AP", "Reuters"}},
			"Source: Wire · wire-9f8e7d · also: AP, Reuters", ""},
		{briefs.Article{ID: "wire-9f8e7d", Origin: "Wire", Dated: true, Also: []string{"AFP", "AP", "Reuters"}},
			"Source: Wire · wire-9f8e7d · also: AFP, AP, Reuters", ""},
		{briefs.Article{ID: "wire-9f8e7d", Origin: "Wire", Dated: true, Also: append([]string{"AP", "Reuters"}, make([]string, 63)...)},
			"Source: Wire · wire-9f8e7d · also: AP, Reuters and 63 more", ""},
	} {
		got := footer(tc.a)
		if got != tc.want || (tc.not != "" && strings.Contains(got, tc.not)) {
			t.Errorf("footer(%+v) = %q, want %q", tc.a, got, tc.want)
		}
	}
}
