package command

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
)

func briefLibrary() *briefs.Library {
	day := func(d int) time.Time { return time.Date(2025, 5, d, 0, 0, 0, 0, time.UTC) }
	art := func(id, title string, d int, body string) briefs.Article {
		return briefs.Article{ID: id, Title: title, Date: day(d), Dated: true, File: id + ".txt",
			Paragraphs: []string{body}, Words: len(strings.Fields(body))}
	}
	return briefstest.Library([]briefs.Article{
		art("tram-1", "Tram Line Opens Downtown", 1, "The new tram line carries its first riders through the city. Officials praised the thing."),
		art("lunar-2", "Private Lunar Lander Finds Ice", 2, "A lander touched down near the south pole and found ice. The mission thing continues."),
		art("budget-3", "Council Passes Budget", 3, "The council passed the budget after a long debate about services."),
		art("rain-4", "Heavy Rain Floods Roads", 4, "Rain flooded roads across the region. Drivers were told to avoid the thing."),
		art("rail-5", "Rail Strike Called Off", 5, "Unions called off the rail strike. Trains run as normal."),
	})
}

func readArticle(t *testing.T, r *Router, article string) (Reply, error) {
	t.Helper()
	return r.Serve(context.Background(), Request{Path: "brief read", Options: map[string]any{"article": article}})
}

// TestBriefReadFindsByIDOrTitle: an ID, a title and the start of a title
// (what autocomplete matches) still read that article.
func TestBriefReadFindsByIDOrTitle(t *testing.T) {
	r := New(briefLibrary(), nil, nil)
	for query, want := range map[string]string{
		"lunar-2":                     "Private Lunar Lander Finds Ice",
		"Council Passes Budget":       "Council Passes Budget",
		"tram line":                   "Tram Line Opens Downtown",
		"lunar":                       "Private Lunar Lander Finds Ice",
		"  heavy rain floods roads  ": "Heavy Rain Floods Roads",
	} {
		rep, err := readArticle(t, r, query)
		if err != nil || len(rep.Cards) != 1 || rep.Cards[0].Title != want {
			t.Errorf("read %q: %v %+v, want %q", query, err, rep.Cards, want)
		}
	}
}

// TestBriefReadUnknownOffersMatches: "/brief read article:nonexistent-thing"
// showed the article that ranked best for the word "thing", as if it were
// the answer. It now says no article has that title or ID and offers the
// best search matches, each with its ID, as a user error (ephemeral).
func TestBriefReadUnknownOffersMatches(t *testing.T) {
	r := New(briefLibrary(), nil, nil)
	rep, err := readArticle(t, r, "nonexistent-thing")
	var ue *UserError
	if !errors.As(err, &ue) || len(rep.Cards) != 0 {
		t.Fatalf("read an unknown article: %v %+v, want a UserError and no article", err, rep)
	}
	if !ReplyFor(rep, err).Ephemeral {
		t.Error("the refusal is not ephemeral")
	}
	lines := strings.Split(ue.Msg, "\n")
	if !strings.HasPrefix(lines[0], `No article matches "nonexistent-thing" as a title or ID. The best matches for its words:`) {
		t.Errorf("first line %q", lines[0])
	}
	if len(lines) != 5 {
		t.Fatalf("want a heading, 3 matches and a hint:\n%s", ue.Msg)
	}
	for _, l := range lines[1:4] {
		if !strings.HasPrefix(l, "• ") || !strings.Contains(l, " May 2025): `") {
			t.Errorf("match line %q", l)
		}
	}
	for _, id := range []string{"tram-1", "lunar-2", "rain-4"} {
		if !strings.Contains(ue.Msg, "`"+id+"`") {
			t.Errorf("the matches lack %s:\n%s", id, ue.Msg)
		}
	}
	if strings.Contains(ue.Msg, "budget-3") || strings.Contains(ue.Msg, "rail-5") {
		t.Errorf("offered an article without the word:\n%s", ue.Msg)
	}
	// An offered ID reads its article.
	if rep, err := readArticle(t, r, "rain-4"); err != nil || rep.Cards[0].Title != "Heavy Rain Floods Roads" {
		t.Errorf("read an offered ID: %v", err)
	}

	_, err = readArticle(t, r, "qqqq-zzzz")
	if !errors.As(err, &ue) || ue.Msg != `No article matches "qqqq-zzzz" as a title or ID, and no article contains its words. Start typing a title and pick one from the list, or try /brief search.` {
		t.Errorf("read with no match at all: %v", err)
	}
}

// TestBriefLatestShowsAStoryOnce: the same story from two sources is one
// card in /brief latest, whose footer names the other source; /brief read
// of the other source's article names the first.
func TestBriefLatestShowsAStoryOnce(t *testing.T) {
	lede := "A magnitude 6.8 earthquake struck off the coast of northern Japan on Tuesday evening, the meteorological agency said, prompting a tsunami advisory for parts of the Pacific coastline and briefly halting bullet train services across Iwate and Miyagi."
	day := time.Date(2025, 5, 6, 9, 0, 0, 0, time.UTC)
	lib := briefs.New()
	lib.Replace("Reuters", []briefs.Article{{ID: "quake-r", Title: "Strong earthquake strikes off northern Japan", Date: day, Dated: true, Paragraphs: []string{lede}}})
	lib.Replace("AP", []briefs.Article{{ID: "quake-ap", Title: "Strong Earthquake Strikes Off Northern Japan!", Date: day.Add(time.Hour), Dated: true, Paragraphs: []string{lede}}})
	r := New(lib, nil, nil)
	rep, err := r.Serve(context.Background(), Request{Path: "brief latest"})
	if err != nil || len(rep.Cards) != 1 {
		t.Fatalf("latest: %v, %d cards, want one", err, len(rep.Cards))
	}
	if f := rep.Cards[0].Footer; !strings.Contains(f, "Reuters") || !strings.HasSuffix(f, "also: AP") {
		t.Errorf("footer %q", f)
	}
	rep, err = readArticle(t, r, "quake-ap")
	if err != nil || len(rep.Cards) != 1 || !strings.HasSuffix(rep.Cards[0].Footer, "also: Reuters") {
		t.Errorf("read the AP article: %v %+v", err, rep.Cards)
	}
}
