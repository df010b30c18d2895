package command

import (
	"context"
	"strings"
	"testing"
	"time"

	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/summarize"
)

// wireItem is a feed item as the feed source gives it to the library: a
// page, a picture, no file.
func wireItem() briefs.Article {
	return briefs.Article{
		ID: "storm-1a2b3c", Title: "Storm Closes Ports", Origin: "Wire",
		Date: time.Date(2025, 5, 9, 7, 30, 0, 0, time.UTC), Dated: true,
		URL: "https://example.com/news/storm", Image: "https://example.com/img/storm.jpg",
		Paragraphs: []string{"A storm closed the ports on the coast. Ferries stay in harbour until Friday."}, Words: 14,
	}
}

// TestArticleCardLinksAndShowsPicture: a feed item's card links its title
// to the item's page, shows its picture, dates it by its publication and
// names its feed, never a file.
func TestArticleCardLinksAndShowsPicture(t *testing.T) {
	a := wireItem()
	c := articleCard(a, summarize.Summarize(a.Text(), summarize.Short))
	if c.URL != a.URL || c.Thumbnail != a.Image || !c.Time.Equal(a.Date) || c.Footer != "Source: Wire · storm-1a2b3c" {
		t.Errorf("card = %+v", c)
	}
	file := briefs.Article{ID: "f-1", Title: "F", Origin: "articles", File: "f.txt", Paragraphs: []string{"x"}}
	if c := articleCard(file, summarize.Summary{}); c.URL != "" || c.Thumbnail != "" {
		t.Errorf("a file's card has a link or picture: %+v", c)
	}
}

// TestBriefCommandsCarryTheLink: /brief latest and read show the picture
// and link, /brief search the link.
func TestBriefCommandsCarryTheLink(t *testing.T) {
	r := New(briefstest.Library([]briefs.Article{wireItem()}), nil, nil)
	ctx := context.Background()
	for _, req := range []Request{
		{Path: "brief latest", Options: map[string]any{}},
		{Path: "brief read", Options: map[string]any{"article": "storm-1a2b3c"}},
	} {
		rep, err := r.Serve(ctx, req)
		if err != nil || len(rep.Cards) != 1 || rep.Cards[0].URL != "https://example.com/news/storm" ||
			rep.Cards[0].Thumbnail != "https://example.com/img/storm.jpg" {
			t.Errorf("/%s: %v %+v", req.Path, err, rep.Cards)
		}
	}
	rep, err := r.Serve(ctx, Request{Path: "brief search", Options: map[string]any{"query": "storm"}})
	if err != nil || len(rep.Cards) != 1 || rep.Cards[0].URL != "https://example.com/news/storm" {
		t.Errorf("/brief search: %v %+v", err, rep.Cards)
	}
}

// TestTextShowsLinkNotPicture: the console prints the link under the date;
// a picture it cannot show, and a link that could drive the terminal, it
// leaves out.
func TestTextShowsLinkNotPicture(t *testing.T) {
	at := time.Date(2025, 5, 9, 7, 30, 0, 0, time.UTC)
	got := textAt(Reply{Cards: []Card{{Title: "Storm", Time: at, URL: "https://example.com/a?b=1", Thumbnail: "https://example.com/pic.jpg", Footer: "Source: Wire"}}}, at, time.UTC)
	want := "## Storm\nPublished: Fri, 9 May 2025\nLink: https://example.com/a?b=1\n-- Source: Wire\n"
	if got != want {
		t.Errorf("textAt:\n%s\nwant:\n%s", got, want)
	}
	got = textAt(Reply{Cards: []Card{{Title: "T", URL: "https://example.com/\x1b[2Jx"}}}, at, time.UTC)
	if strings.Contains(got, "Link") {
		t.Errorf("a link with an escape sequence was printed: %q", got)
	}
}
