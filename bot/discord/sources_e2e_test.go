package discord_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs"
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

// TestSourceOptionAndSourcesThroughDiscord: the source option completes
// the library's sources, filters /brief latest and is kept by /digest
// subscribe; /brief sources answers only the asker, one embed a source.
func TestSourceOptionAndSourcesThroughDiscord(t *testing.T) {
	h := start(t, setup{})
	folderName := h.src.Origin()
	h.lib.Replace("Wire", []briefs.Article{
		{ID: "w1-1a2b3c", Title: "Wire one", URL: "https://example.com/1", Date: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Dated: true, Paragraphs: []string{"One. Two."}, Words: 2},
		{ID: "w2-1a2b3c", Title: "Wire two", URL: "https://example.com/2", Date: time.Date(2000, 1, 2, 0, 0, 0, 0, time.UTC), Dated: true, Paragraphs: []string{"Three. Four."}, Words: 2},
	})

	rep := h.interact(discordtest.Autocomplete("brief", discordtest.Sub("latest", discordtest.Focused("source", "wi"))))
	if len(rep.Data.Choices) != 1 || rep.Data.Choices[0].Value != "Wire" {
		t.Errorf("source choices for %q: %+v", "wi", rep.Data.Choices)
	}
	// The wire's items are the oldest in the library: only the source
	// option brings them up.
	rep = h.interact(discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("source", "wire"))))
	if isEphemeral(rep) || len(rep.Data.Embeds) != 2 || rep.Data.Embeds[0].Title != "Wire two" || rep.Data.Embeds[1].URL != "https://example.com/1" {
		t.Errorf("latest source:wire: %q %+v", rep.Data.Content, rep.Data.Embeds)
	}
	rep = h.interact(discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("source", "nowhere"))))
	if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, `Unknown source "nowhere". The sources are: `) || !strings.Contains(rep.Data.Content, "Wire") {
		t.Errorf("unknown source: %q", rep.Data.Content)
	}

	rep = h.interact(discordtest.Command("brief", discordtest.Sub("sources")))
	if !isEphemeral(rep) || rep.Data.Content != "2 sources:" || len(rep.Data.Embeds) != 2 {
		t.Fatalf("/brief sources: %q %+v", rep.Data.Content, rep.Data.Embeds)
	}
	titles := []string{rep.Data.Embeds[0].Title, rep.Data.Embeds[1].Title}
	if !slices.Contains(titles, folderName) || !slices.Contains(titles, "Wire") {
		t.Errorf("/brief sources shows %v, want %s and Wire", titles, folderName)
	}

	rep = subscribe(h, digestChannel, "@daily", discordtest.Opt("source", "WIRE"))
	if !isEphemeral(rep) || !strings.Contains(rep.Data.Content, "new articles from Wire, every day") {
		t.Errorf("subscribe with a source: %q", rep.Data.Content)
	}
	rep = h.interact(discordtest.Command("digest", discordtest.Sub("list")))
	if len(rep.Data.Embeds) != 1 || !slices.ContainsFunc(rep.Data.Embeds[0].Fields, func(f *discordgo.MessageEmbedField) bool {
		return f.Name == "Source" && f.Value == "Wire"
	}) {
		t.Errorf("/digest list: %+v", rep.Data.Embeds)
	}
}
