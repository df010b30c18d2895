package discord

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/command"
)

// checkLimits fails the test when a message breaks any of Discord's limits.
func checkLimits(t *testing.T, content string, embeds []*discordgo.MessageEmbed) {
	t.Helper()
	if n := runeLen(content); n > maxContent {
		t.Errorf("content is %d characters", n)
	}
	if len(embeds) > maxEmbeds {
		t.Errorf("%d embeds", len(embeds))
	}
	total := 0
	for _, e := range embeds {
		total += embedSize(e)
		if runeLen(e.Title) > maxEmbedTitle || runeLen(e.Description) > maxEmbedDescription {
			t.Errorf("embed title %d / description %d characters", runeLen(e.Title), runeLen(e.Description))
		}
		if len(e.Fields) > maxFields {
			t.Errorf("%d fields", len(e.Fields))
		}
		for _, f := range e.Fields {
			if runeLen(f.Name) > maxFieldName || runeLen(f.Value) > maxFieldValue || f.Value == "" || f.Name == "" {
				t.Errorf("field %d/%d characters", runeLen(f.Name), runeLen(f.Value))
			}
		}
		if e.Footer != nil && runeLen(e.Footer.Text) > maxFooter {
			t.Errorf("footer %d characters", runeLen(e.Footer.Text))
		}
	}
	if total > maxEmbedTotal {
		t.Errorf("embeds total %d characters", total)
	}
}

func hugeCard(i int) command.Card {
	long := strings.Repeat("word ", 3000)
	c := command.Card{Title: long, Description: long, Footer: long, Time: time.Unix(1700000000, 0)}
	for j := 0; j < 30; j++ {
		c.Fields = append(c.Fields, command.Field{Name: long, Value: long})
	}
	_ = i
	return c
}

func TestResponseDataRespectsEveryLimit(t *testing.T) {
	var cards []command.Card
	for i := 0; i < 14; i++ {
		cards = append(cards, hugeCard(i))
	}
	d := ResponseData(command.Reply{Content: strings.Repeat("x ", 3000), Cards: cards})
	checkLimits(t, d.Content, d.Embeds)
	if len(d.Embeds) == 0 {
		t.Fatal("every embed was dropped")
	}
	if len(d.Embeds) != maxEmbeds {
		t.Errorf("%d embeds kept, want %d", len(d.Embeds), maxEmbeds)
	}
	if !strings.Contains(d.Content, "4 more not shown") {
		t.Errorf("content does not say embeds were dropped: %q", d.Content[len(d.Content)-80:])
	}
}

func TestResponseDataAllowsNoMentions(t *testing.T) {
	raw, err := json.Marshal(ResponseData(command.Reply{Content: "@everyone <@&123>"}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"allowed_mentions":{"parse":[]`) {
		t.Errorf("allowed_mentions not an empty parse list: %s", raw)
	}
}

func TestFitMessageSharesFairly(t *testing.T) {
	small := command.Card{Title: "small", Description: "kept whole"}
	big := command.Card{Title: "big", Description: strings.Repeat("long text ", 800)}
	embeds, dropped := FitMessage(Embeds([]command.Card{small, big, big}))
	if dropped != 0 || len(embeds) != 3 {
		t.Fatalf("dropped %d, kept %d", dropped, len(embeds))
	}
	checkLimits(t, "", embeds)
	if embeds[0].Description != "kept whole" {
		t.Errorf("a small embed was cut: %q", embeds[0].Description)
	}
	if !strings.HasSuffix(embeds[1].Description, "…") || runeLen(embeds[1].Description) < 2500 {
		t.Errorf("big embed cut to %d characters", runeLen(embeds[1].Description))
	}
}

func TestSplitEmbedsKeepsOrderWithinLimits(t *testing.T) {
	var cards []command.Card
	for i := 0; i < 23; i++ {
		cards = append(cards, command.Card{Title: string(rune('A' + i)), Description: strings.Repeat("y", 1500)})
	}
	groups := SplitEmbeds(Embeds(cards))
	if len(groups) < 6 {
		t.Errorf("%d messages for 23 embeds of 1,500 characters; want at least 6 (4 per message)", len(groups))
	}
	var titles []string
	for _, g := range groups {
		checkLimits(t, "", g)
		for _, e := range g {
			titles = append(titles, e.Title)
		}
	}
	if got := strings.Join(titles, ""); got != "ABCDEFGHIJKLMNOPQRSTUVW" {
		t.Errorf("order after split = %s", got)
	}
	// Ten small embeds fit one message; eleven need two.
	small := make([]command.Card, 11)
	for i := range small {
		small[i] = command.Card{Title: "t", Description: "d"}
	}
	if n := len(SplitEmbeds(Embeds(small[:10]))); n != 1 {
		t.Errorf("10 small embeds in %d messages", n)
	}
	if n := len(SplitEmbeds(Embeds(small))); n != 2 {
		t.Errorf("11 small embeds in %d messages", n)
	}
}

func TestChoicesWithinLimits(t *testing.T) {
	var in []command.Choice
	for i := 0; i < 40; i++ {
		in = append(in, command.Choice{Name: strings.Repeat("n", 300), Value: "id"})
	}
	in = append([]command.Choice{{Name: "too long a value", Value: strings.Repeat("v", 101)}}, in...)
	out := Choices(in)
	if len(out) != maxChoices {
		t.Errorf("%d choices, want %d", len(out), maxChoices)
	}
	for _, c := range out {
		if runeLen(c.Name) > maxChoiceName || c.Value != "id" {
			t.Errorf("choice %q=%v", c.Name, c.Value)
		}
	}
}

func TestRouteDiscordgoLogs(t *testing.T) {
	var buf strings.Builder
	logf := discordgoLogger(slog.New(slog.NewTextHandler(&buf, nil)))
	logf(discordgo.LogError, 0, "error reconnecting to gateway, %s", "refused")
	if got := buf.String(); !strings.Contains(got, "level=ERROR") || !strings.Contains(got, `msg="error reconnecting to gateway, refused"`) || !strings.Contains(got, "source=discordgo") {
		t.Errorf("log line %q", got)
	}
}

// TestDigestMessagesMarkEveryPart: each message of a digest ends its last
// footer with the digest's marker, whole, within Discord's limits, however
// large the articles; the marker reads back as the digest and the part.
func TestDigestMessagesMarkEveryPart(t *testing.T) {
	id := markerID("3f9a0c1b2d4e5f607182")
	cases := map[string][]command.Card{
		"one small":  {{Title: "A", Description: "d", Footer: "Source: a.txt · a-123456"}},
		"no footer":  {{Title: "A", Description: "d"}},
		"huge":       {hugeCard(0), hugeCard(1), hugeCard(2)},
		"eleven":     make([]command.Card, 11),
		"just fit":   {{Title: "T", Description: strings.Repeat("y", maxEmbedTotal-1)}},
		"long notes": {{Title: "T", Description: "d", Footer: strings.Repeat("f", maxFooter)}},
	}
	for i := range cases["eleven"] {
		cases["eleven"][i] = command.Card{Title: "t", Description: "d", Footer: "Source: x · x-abcdef"}
	}
	for name, cards := range cases {
		parts := digestMessages(cards, id)
		if len(parts) == 0 {
			t.Errorf("%s: no messages", name)
			continue
		}
		for i, embeds := range parts {
			checkLimits(t, "", embeds)
			last := embeds[len(embeds)-1]
			want := digestMarker(id, i+1, len(parts))
			if last.Footer == nil || !strings.HasSuffix(last.Footer.Text, want) {
				t.Errorf("%s: part %d's last footer does not end with %q: %+v", name, i+1, want, last.Footer)
				continue
			}
			gotID, part, ok := parseMarker(last.Footer.Text)
			if !ok || gotID != id || part != i+1 {
				t.Errorf("%s: part %d reads back as %q part %d (ok %v)", name, i+1, gotID, part, ok)
			}
			for _, e := range embeds[:len(embeds)-1] {
				if e.Footer != nil {
					if _, _, ok := parseMarker(e.Footer.Text); ok {
						t.Errorf("%s: a marker on an embed that is not the message's last", name)
					}
				}
			}
		}
	}
	if got := digestMessages(cases["one small"], id)[0][0].Footer.Text; got != "Source: a.txt · a-123456 · digest "+id {
		t.Errorf("one-message digest footer %q", got)
	}
	if parts := digestMessages(cases["eleven"], id); len(parts) != 2 || !strings.HasSuffix(parts[1][0].Footer.Text, "digest "+id+" · 2/2") {
		t.Errorf("eleven articles: %d messages, want 2 marked 1/2 and 2/2", len(parts))
	}
}

func TestParseMarker(t *testing.T) {
	for footer, want := range map[string]struct {
		id   string
		part int
	}{
		"digest 1a2b3c4d": {"1a2b3c4d", 1},
		"Source: a.txt · a-1a2b3c · digest 1a2b3c4d":       {"1a2b3c4d", 1},
		"Source: a.txt · a-1a2b3c · digest 1a2b3c4d · 3/4": {"1a2b3c4d", 3},
		"digest 1a2b3c4d · 10/10":                          {"1a2b3c4d", 10},
	} {
		id, part, ok := parseMarker(footer)
		if !ok || id != want.id || part != want.part {
			t.Errorf("parseMarker(%q) = %q, %d, %v; want %q, %d", footer, id, part, ok, want.id, want.part)
		}
	}
	for _, footer := range []string{
		"", "Source: a.txt · digest-news-1a2b3c", "my digest 1a2b3c4d", "digest 1a2b3c4d trailing",
		"digest 1A2B3C4D", "digest 1a2b3c", "digest 1a2b3c4d · 0/2", "digest 1a2b3c4d · x/2",
	} {
		if id, part, ok := parseMarker(footer); ok {
			t.Errorf("parseMarker(%q) = %q, %d: want no marker", footer, id, part)
		}
	}
	// Nonces that differ only at the end still get different IDs.
	if markerID("nonce-0001") == markerID("nonce-0002") || len(markerID("x")) != markerIDLen {
		t.Error("marker IDs of similar nonces collide, or have the wrong length")
	}
}
