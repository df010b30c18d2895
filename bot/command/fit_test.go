package command

import (
	"context"
	"strings"
	"testing"
	"time"

	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
)

// spoof is what a feed sent to take over a terminal: set the window's
// title, ring, and clear the screen.
const spoof = "\x1b]0;pwned\x07\x1b[2J"

// checkCard fails the test when a fitted card breaks one of Discord's
// limits on an embed.
func checkCard(t *testing.T, c Card) {
	t.Helper()
	if runeLen(c.Title) > MaxEmbedTitle || runeLen(c.Description) > MaxEmbedDescription || runeLen(c.Footer) > MaxFooter {
		t.Errorf("title %d, description %d, footer %d characters", runeLen(c.Title), runeLen(c.Description), runeLen(c.Footer))
	}
	if n := len(c.EmbedFields()); n > MaxFields {
		t.Errorf("%d fields", n)
	}
	for _, f := range c.Fields {
		if runeLen(f.Name) > MaxFieldName || runeLen(f.Value) > MaxFieldValue || f.Name == "" || f.Value == "" {
			t.Errorf("field %d/%d characters", runeLen(f.Name), runeLen(f.Value))
		}
	}
}

func hugeCard() Card {
	long := strings.Repeat("word ", 3000)
	c := Card{Title: long, Description: long, Footer: long, Time: time.Unix(1700000000, 0)}
	for range 30 {
		c.Fields = append(c.Fields, Field{Name: long, Value: long})
	}
	return c
}

func TestFitReplyRespectsEveryLimit(t *testing.T) {
	cards := make([]Card, 14)
	for i := range cards {
		cards[i] = hugeCard()
	}
	rep := FitReply(Reply{Content: strings.Repeat("x ", 3000), Cards: cards})
	if len(rep.Cards) != MaxEmbeds || !strings.Contains(rep.Content, "4 more not shown") || runeLen(rep.Content) > MaxContent {
		t.Errorf("%d cards, content of %d characters ending %q", len(rep.Cards), runeLen(rep.Content), rep.Content[len(rep.Content)-60:])
	}
	total := 0
	for _, c := range rep.Cards {
		checkCard(t, c)
		total += CardSize(c)
	}
	if total > MaxEmbedTotal {
		t.Errorf("cards total %d characters", total)
	}
	if again := FitReply(rep); Text(again) != Text(rep) {
		t.Error("FitReply of a fitted reply changed it")
	}
	if cards[0].Title != hugeCard().Title || len(cards[0].Fields) != 30 {
		t.Error("FitReply changed the cards it was given")
	}
}

func TestFitMessageSharesFairly(t *testing.T) {
	small := Card{Title: "small", Description: "kept whole"}
	big := Card{Title: "big", Description: strings.Repeat("long text ", 800)}
	cards, dropped := FitMessage([]Card{small, big, big}, MaxEmbedTotal)
	if dropped != 0 || len(cards) != 3 {
		t.Fatalf("dropped %d, kept %d", dropped, len(cards))
	}
	if cards[0].Description != "kept whole" {
		t.Errorf("a small card was cut: %q", cards[0].Description)
	}
	if !strings.HasSuffix(cards[1].Description, "…") || runeLen(cards[1].Description) < 2500 {
		t.Errorf("big card cut to %d characters", runeLen(cards[1].Description))
	}
	if total := CardSize(cards[0]) + CardSize(cards[1]) + CardSize(cards[2]); total > MaxEmbedTotal {
		t.Errorf("%d characters in all", total)
	}
}

func TestSplitMessagesKeepsOrderWithinLimits(t *testing.T) {
	var cards []Card
	for i := range 23 {
		cards = append(cards, Card{Title: string(rune('A' + i)), Description: strings.Repeat("y", 1500)})
	}
	groups := SplitMessages(cards, MaxEmbedTotal)
	if len(groups) < 6 {
		t.Errorf("%d messages for 23 cards of 1,500 characters; want at least 6 (4 per message)", len(groups))
	}
	var titles []string
	for _, g := range groups {
		total := 0
		for _, c := range g {
			titles = append(titles, c.Title)
			total += CardSize(c)
		}
		if len(g) > MaxEmbeds || total > MaxEmbedTotal {
			t.Errorf("a message of %d cards, %d characters", len(g), total)
		}
	}
	if got := strings.Join(titles, ""); got != "ABCDEFGHIJKLMNOPQRSTUVW" {
		t.Errorf("order after split = %s", got)
	}
	small := make([]Card, 11)
	for i := range small {
		small[i] = Card{Title: "t", Description: "d"}
	}
	if n := len(SplitMessages(small[:10], MaxEmbedTotal)); n != 1 {
		t.Errorf("10 small cards in %d messages", n)
	}
	if n := len(SplitMessages(small, MaxEmbedTotal)); n != 2 {
		t.Errorf("11 small cards in %d messages", n)
	}
}

// TestCheckLink: a card's link and picture are kept when Discord takes
// them and dropped, never failing the message, when it would not; a link
// whose user information poses as its host shows its real host.
func TestCheckLink(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", MaxURL-len("https://example.com/"))
	for in, want := range map[string]string{
		"https://example.com/story?id=1#top": "https://example.com/story?id=1#top",
		"http://example.com":                 "http://example.com",
		"HTTPS://Example.com/A":              "https://Example.com/A",
		long:                                 long,
		long + "a":                           "",
		"":                                   "",
		"ftp://example.com/file":             "",
		"javascript:alert(1)":                "",
		"mailto:news@example.com":            "",
		"/relative/path":                     "",
		"example.com/no-scheme":              "",
		"https://":                           "",
		"https:///path-only":                 "",
		"https://:443/x":                     "",
		"https://exa mple.com/":              "",
		"https://example.com/a b":            "",
		"https://example.com/\n":             "",
		"https://example.com/\x1b[2J":        "",
		"https://example.com/\u202egpj.exe":  "",
		"https://example.com/%zz":            "",
		"https://discord.com@evil.example/x": "https://evil.example/x",
		"https://user:pw@evil.example/x?q=1": "https://evil.example/x?q=1",
		"https://user@/x":                    "",
	} {
		if got := CheckLink(in); got != want {
			t.Errorf("CheckLink(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEscapeMarkdown(t *testing.T) {
	for in, want := range map[string]string{
		"Plain news, 3 dead; 40% up.":              "Plain news, 3 dead; 40% up.",
		"[Click me](https://evil.example)":         `\[Click me\](https\://evil.example)`,
		"||spoiler|| **bold** __u__ ~~s~~ *i* _i_": `\|\|spoiler\|\| \*\*bold\*\* \_\_u\_\_ \~\~s\~\~ \*i\* \_i\_`,
		"```go\ncode\n```":                         "\\`\\`\\`go\ncode\n\\`\\`\\`",
		"# Heading":                                `\# Heading`,
		"-# small\n- item\n+ item\n  * item":       "\\-# small\n\\- item\n\\+ item\n  \\* item",
		"1. First\n2) Second\n2024 was":            "1\\. First\n2\\) Second\n2024 was",
		"> quote\n>>> all":                         "\\> quote\n\\>\\>\\> all",
		"<@123> <#1> <t:0:R> @everyone":            `\<@123\> \<#1\> \<t:0:R\> @everyone`,
		`a\b \*`:                                   `a\\b \\\*`,
		"Not a # heading - or list 1. item":        "Not a # heading - or list 1. item",
		"see http://x.example and a: b":            `see http\://x.example and a: b`,
	} {
		if got := EscapeMarkdown(in); got != want {
			t.Errorf("EscapeMarkdown(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzEscapeMarkdown: whatever the text, the console shows escaped text as
// it was (plainMarkup undoes the escapes, as Discord does, and finds no
// markup in it), and every character Discord reads as markup anywhere has
// an odd run of backslashes before it.
func FuzzEscapeMarkdown(f *testing.F) {
	for _, s := range []string{"", "[a](https://b)", "\\", "\\\\*", "<t:0:R>", "1. x\n# y\n> z", "a\\", "é*ü_"} {
		f.Add(s)
	}
	now := time.Unix(0, 0)
	f.Fuzz(func(t *testing.T, in string) {
		out := EscapeMarkdown(in)
		if got := plainMarkup(out, now, time.UTC); got != in {
			t.Fatalf("plainMarkup(EscapeMarkdown(%q)) = %q", in, got)
		}
		run := 0
		for i := 0; i < len(out); i++ {
			if strings.IndexByte("*_~`|<>[]", out[i]) >= 0 && run%2 == 0 {
				t.Fatalf("EscapeMarkdown(%q) = %q: %q at %d unescaped", in, out, out[i], i)
			}
			if out[i] == '\\' {
				run++
			} else {
				run = 0
			}
		}
	})
}

// TestTextShowsWhatDiscordShows: the console printed a 4 MB description
// and a 3,000-character title whole; it cuts them where Discord would. It
// shows escaped markup as Discord does, as the text it escapes, and a
// footer, which Discord does not read as markup, as it is.
func TestTextShowsWhatDiscordShows(t *testing.T) {
	at := time.Date(2025, 5, 9, 7, 30, 0, 0, time.UTC)
	rep := Reply{Cards: []Card{{
		Title:       strings.Repeat("title ", 500),
		Description: strings.Repeat("description ", 350000),
		Footer:      "Source: *wire* · x-1",
		Time:        at,
	}}}
	got := textAt(rep, at, time.UTC)
	fitted := FitReply(rep).Cards[0]
	if runeLen(fitted.Title) > MaxEmbedTitle || runeLen(fitted.Description) > MaxEmbedDescription {
		t.Fatalf("fitted card: title %d, description %d characters", runeLen(fitted.Title), runeLen(fitted.Description))
	}
	if !strings.Contains(got, "## "+fitted.Title+"\n") || !strings.Contains(got, "\n"+fitted.Description+"\n") || len(got) > 6000 {
		t.Errorf("console printed %d bytes; want the card as fitted for Discord", len(got))
	}
	got = textAt(Reply{Content: EscapeMarkdown("[Click me](https://evil.example) <t:0:R>"), Cards: []Card{{
		Title: EscapeMarkdown("**Storm**"), Description: EscapeMarkdown("||hidden||"), Footer: "Source: *wire*",
	}}}, at, time.UTC)
	want := "[Click me](https://evil.example) <t:0:R>\n\n## **Storm**\n||hidden||\n-- Source: *wire*\n"
	if got != want {
		t.Errorf("textAt:\n%s\nwant:\n%s", got, want)
	}
}

// TestTextRemovesControlCharacters: whatever a handler puts in a reply,
// no control or format character reaches the terminal.
func TestTextRemovesControlCharacters(t *testing.T) {
	bad := "x" + spoof + "\u202e\u200b"
	rep := Reply{Content: bad, Cards: []Card{{Title: bad, Description: bad, Footer: bad, URL: "https://e.example/" + spoof,
		Fields: []Field{{Name: bad, Value: bad}}}}, Choices: []Choice{{Name: bad, Value: "v"}}}
	got := textAt(rep, time.Now(), time.UTC)
	if briefs.CleanText(got) != got || strings.Contains(got, "Link") {
		t.Errorf("textAt printed %q", got)
	}
}

// TestDigestTextSplitsAsPosted: the digest command shows a digest as the
// messages the poster would post, the heading with the first.
func TestDigestTextSplitsAsPosted(t *testing.T) {
	var articles []briefs.Article
	for i := range 6 {
		articles = append(articles, briefs.Article{
			ID: "a-" + string(rune('a'+i)), Title: strings.Repeat("Long title ", 40), Origin: "wire", Dated: true,
			Date: time.Date(2025, 5, 9, 7, 30, 0, 0, time.UTC), Paragraphs: []string{strings.Repeat("One long sentence with many words ", 200) + "."},
		})
	}
	rep := DigestReply(articles, "")
	msgs := DigestMessages(rep)
	if len(msgs) < 2 {
		t.Fatalf("%d messages; want the digest split", len(msgs))
	}
	got := digestTextAt(rep, time.Now(), time.UTC)
	if !strings.HasPrefix(got, "(message 1 of ") || !strings.Contains(got, "News digest: 6 new articles") ||
		strings.Count(got, "## ") != 6 || !strings.Contains(got, "(message 2 of ") {
		t.Errorf("digest text:\n%s", got)
	}
}

// TestArticleTextIsEscapedEverywhere: an article's markup, which Discord
// would render (a masked link, a spoiler, a heading), is escaped in every
// reply that shows it: /brief latest, read and search, and digests.
func TestArticleTextIsEscapedEverywhere(t *testing.T) {
	a := briefs.Article{
		ID: "evil-1a2b3c", Title: "[Click me](https://evil.example) ||now||", Origin: "wire", Dated: true,
		Date:       time.Date(2025, 5, 9, 7, 30, 0, 0, time.UTC),
		Paragraphs: []string{"# Breaking [win a prize](https://evil.example/p) today. Claim it at ||https://evil.example|| now."},
	}
	a.Words = 15
	r := New(briefstest.Library([]briefs.Article{a}), nil, nil)
	ctx := context.Background()
	replies := map[string]Reply{"digest": DigestReply([]briefs.Article{a}, "")}
	for path, opts := range map[string]map[string]any{
		"brief latest": {}, "brief read": {"article": a.ID}, "brief search": {"query": "prize"},
	} {
		rep, err := r.Serve(ctx, Request{Path: path, Options: opts})
		if err != nil {
			t.Fatalf("/%s: %v", path, err)
		}
		replies[path] = rep
	}
	for name, rep := range replies {
		for _, c := range rep.Cards {
			for _, s := range []string{c.Title, c.Description} {
				if strings.Contains(strings.ReplaceAll(s, `\[`, ""), "[") || strings.Contains(strings.ReplaceAll(s, `\|`, ""), "|") {
					t.Errorf("%s: unescaped markup in %q", name, s)
				}
			}
		}
		if got := textAt(rep, time.Now(), time.UTC); !strings.Contains(got, "[Click me](https://evil.example) ||now||") {
			t.Errorf("%s: the console does not show the title as written:\n%s", name, got)
		}
	}
}
