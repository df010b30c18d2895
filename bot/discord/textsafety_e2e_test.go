package discord_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/command"
	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs"
)

// spoof is what a feed sent to take over a terminal: set the window's
// title, ring, and clear the screen.
const spoof = "\x1b]0;pwned\x07\x1b[2J"

// unescaped finds a character Discord reads as markup without the
// backslash that makes it text (an even run of backslashes before it).
var unescaped = regexp.MustCompile(`(?:^|[^\\])(?:\\\\)*[\[\]|*_~` + "`" + `<>]`)

// evilSources is a feed whose last error is a server's reason phrase with
// an escape sequence and a masked link.
type evilSources struct{ command.Sources }

func (s evilSources) Status() []command.SourceStatus {
	return append(s.Sources.Status(), command.SourceStatus{
		Name: "Wire", Kind: command.SourceFeed, URL: "https://wire.example/feed",
		LastError: "GET https://wire.example/feed: HTTP error 404 " + spoof + " [Click me](https://evil.example)",
		NextTry:   time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
	})
}

// checkInert fails the test when a message Discord would show carries a
// control or format character, markup that is not escaped, or a link to a
// host other than the one given.
func checkInert(t *testing.T, what, content string, embeds []*discordgo.MessageEmbed, link string) {
	t.Helper()
	check := func(part, s string, markup bool) {
		t.Helper()
		if briefs.CleanText(s) != s {
			t.Errorf("%s: %s holds control or format characters: %q", what, part, s)
		}
		if markup && unescaped.MatchString(s) {
			t.Errorf("%s: %s holds markup Discord would render: %q", what, part, s)
		}
	}
	check("content", content, false) // the bot's own words and markup; checked below for the article's
	if strings.Contains(content, "[Click me](") || strings.Contains(content, "||now||") {
		t.Errorf("%s: the article's markup in the content: %q", what, content)
	}
	for _, e := range embeds {
		check("title", e.Title, true)
		check("description", e.Description, true)
		for _, f := range e.Fields {
			if f.Name != "Published" && f.Name != "Next try" && f.Name != "Last success" {
				check("field "+f.Name, f.Value, true)
			}
		}
		if e.Footer != nil {
			check("footer", e.Footer.Text, false)
		}
		if e.URL != "" && e.URL != link && e.URL != "https://wire.example/feed" {
			t.Errorf("%s: embed links to %q", what, e.URL)
		}
	}
}

// TestStrangersTextReachesDiscordInert: an article whose title and text
// carry an escape sequence, a bidirectional override and Discord markup (a
// masked link, a spoiler, a heading), with a link whose user information
// poses as discord.com, reaches Discord in /brief latest, read and search
// and in a posted digest as text only: no control character, every markup
// character escaped, the title linking to the real host. /brief sources
// shows a feed's error (a reason phrase with the same) likewise.
func TestStrangersTextReachesDiscordInert(t *testing.T) {
	// /brief sources is answered by the real handler, given sources with a
	// failing feed.
	var sources atomic.Pointer[command.Router]
	h := start(t, setup{handlers: map[string]command.Handler{
		"brief sources": func(ctx context.Context, req command.Request) (command.Reply, error) {
			return sources.Load().Serve(ctx, req)
		},
	}})
	sources.Store(command.New(h.lib, nil, nil, command.WithSources(evilSources{command.LibrarySources(h.lib)})))
	h.lib.Replace("Wire", []briefs.Article{{
		ID: "evil-1a2b3c", Title: "Storm " + spoof + " [Click me](https://evil.example) ||now||",
		Date: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC), Dated: true, URL: "https://discord.com@evil.example/x",
		Paragraphs: []string{"# Breaking: win a prize at [this link](https://evil.example/p) \u202enow, says the **wire**. Ferries stay in harbour until Friday, officials said."},
		Words:      25,
	}})
	const link = "https://evil.example/x"
	for what, in := range map[string]*discordgo.Interaction{
		"/brief latest": discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("count", 1))),
		"/brief read":   discordtest.Command("brief", discordtest.Sub("read", discordtest.Opt("article", "evil-1a2b3c"))),
		"/brief search": discordtest.Command("brief", discordtest.Sub("search", discordtest.Opt("query", "prize"))),
	} {
		rep := h.interact(in)
		i := slices.IndexFunc(rep.Data.Embeds, func(e *discordgo.MessageEmbed) bool { return strings.Contains(e.Title, "Click me") })
		if i < 0 || rep.Data.Embeds[i].URL != link || !strings.Contains(rep.Data.Embeds[i].Title, `\[Click me\]`) {
			t.Errorf("%s: no embed of the article, escaped and linking to %s: %s", what, link, rep.Raw)
			continue
		}
		checkInert(t, what, rep.Data.Content, rep.Data.Embeds, link)
	}

	got := h.interact(discordtest.Command("brief", discordtest.Sub("sources")))
	checkInert(t, "/brief sources", got.Data.Content, got.Data.Embeds, link)
	if !strings.Contains(string(got.Raw), `HTTP error 404 \\]0;pwned\\[2J \\[Click me\\](https\\://evil.example)`) {
		t.Errorf("/brief sources does not show the feed's error, cleaned and escaped: %s", got.Raw)
	}

	// A digest.
	ctx := ctxFor(t, 10*time.Second)
	subscribe(h, digestChannel, "@daily", discordtest.Opt("count", 1))
	h.runNext(ctx, digestChannel)
	msgs := h.srv.Messages(digestChannel)
	if len(msgs) != 1 || len(msgs[0].Embeds) != 1 || msgs[0].Embeds[0].URL != link {
		t.Fatalf("digest messages %+v", msgs)
	}
	checkInert(t, "digest", msgs[0].Content, msgs[0].Embeds, link)
}
