package discord_test

import (
	"strings"
	"testing"
	"time"

	"newsbrief/briefs"
	"newsbrief/discord/discordtest"
)

// TestFeedItemEmbedLinksAndThumbnail: an article with a page and a picture
// (a feed item) reaches Discord as an embed whose title links to the page,
// with the picture as its thumbnail and its feed, not a file, in the
// footer.
func TestFeedItemEmbedLinksAndThumbnail(t *testing.T) {
	h := start(t, setup{})
	h.lib.Replace("Wire", []briefs.Article{{
		ID: "storm-1a2b3c", Title: "Storm Closes Ports", Date: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC), Dated: true,
		URL: "https://example.com/news/storm", Image: "https://example.com/img/storm.jpg",
		Paragraphs: []string{"A storm closed the ports on the coast. Ferries stay in harbour until Friday."}, Words: 14,
	}})
	rep := h.interact(discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("count", 1))))
	if len(rep.Data.Embeds) != 1 {
		t.Fatalf("%d embeds: %+v", len(rep.Data.Embeds), rep.Data)
	}
	e := rep.Data.Embeds[0]
	if e.Title != "Storm Closes Ports" || e.URL != "https://example.com/news/storm" {
		t.Errorf("embed title %q url %q", e.Title, e.URL)
	}
	if e.Thumbnail == nil || e.Thumbnail.URL != "https://example.com/img/storm.jpg" {
		t.Errorf("embed thumbnail %+v", e.Thumbnail)
	}
	if e.Footer == nil || e.Footer.Text != "Source: Wire · storm-1a2b3c" {
		t.Errorf("embed footer %+v", e.Footer)
	}
	if !strings.Contains(string(rep.Raw), `"thumbnail":{"url":"https://example.com/img/storm.jpg"`) {
		t.Errorf("the thumbnail is not in what Discord received: %s", rep.Raw)
	}
}
