package discord

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/command"
)

// checkLimits fails the test when a message breaks any of Discord's limits.
func checkLimits(t *testing.T, content string, embeds []*discordgo.MessageEmbed) {
	t.Helper()
	if n := runeLen(content); n > command.MaxContent {
		t.Errorf("content is %d characters", n)
	}
	if len(embeds) > command.MaxEmbeds {
		t.Errorf("%d embeds", len(embeds))
	}
	total := 0
	for _, e := range embeds {
		total += embedSize(e)
		if runeLen(e.Title) > command.MaxEmbedTitle || runeLen(e.Description) > command.MaxEmbedDescription {
			t.Errorf("embed title %d / description %d characters", runeLen(e.Title), runeLen(e.Description))
		}
		if len(e.Fields) > command.MaxFields {
			t.Errorf("%d fields", len(e.Fields))
		}
		for _, f := range e.Fields {
			if runeLen(f.Name) > command.MaxFieldName || runeLen(f.Value) > command.MaxFieldValue || f.Value == "" || f.Name == "" {
				t.Errorf("field %d/%d characters", runeLen(f.Name), runeLen(f.Value))
			}
		}
		if e.Footer != nil && runeLen(e.Footer.Text) > command.MaxFooter {
			t.Errorf("footer %d characters", runeLen(e.Footer.Text))
		}
	}
	if total > command.MaxEmbedTotal {
		t.Errorf("embeds total %d characters", total)
	}
}

// embedSize is what Discord counts of an embed toward a message's limit.
func embedSize(e *discordgo.MessageEmbed) int {
	n := runeLen(e.Title) + runeLen(e.Description)
	for _, f := range e.Fields {
		n += runeLen(f.Name) + runeLen(f.Value)
	}
	if e.Footer != nil {
		n += runeLen(e.Footer.Text)
	}
	if e.Author != nil {
		n += runeLen(e.Author.Name)
	}
	return n
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
	if len(d.Embeds) != command.MaxEmbeds {
		t.Errorf("%d embeds kept, want %d", len(d.Embeds), command.MaxEmbeds)
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

func TestChoicesWithinLimits(t *testing.T) {
	var in []command.Choice
	for i := 0; i < 40; i++ {
		in = append(in, command.Choice{Name: strings.Repeat("n", 300), Value: "id"})
	}
	in = append([]command.Choice{{Name: "too long a value", Value: strings.Repeat("v", 101)}}, in...)
	out := Choices(in)
	if len(out) != command.MaxChoices {
		t.Errorf("%d choices, want %d", len(out), command.MaxChoices)
	}
	for _, c := range out {
		if runeLen(c.Name) > command.MaxChoiceName || c.Value != "id" {
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
// large the articles; the marker reads back as the digest and the part,
// and the content goes with the first message.
func TestDigestMessagesMarkEveryPart(t *testing.T) {
	id := markerID("3f9a0c1b2d4e5f607182")
	cases := map[string][]command.Card{
		"one small":  {{Title: "A", Description: "d", Footer: "Source: a.txt · a-123456"}},
		"no footer":  {{Title: "A", Description: "d"}},
		"huge":       {hugeCard(0), hugeCard(1), hugeCard(2)},
		"eleven":     make([]command.Card, 11),
		"just fit":   {{Title: "T", Description: strings.Repeat("y", command.MaxEmbedTotal-1)}},
		"long notes": {{Title: "T", Description: "d", Footer: strings.Repeat("f", command.MaxFooter)}},
	}
	for i := range cases["eleven"] {
		cases["eleven"][i] = command.Card{Title: "t", Description: "d", Footer: "Source: x · x-abcdef"}
	}
	digest := func(cards []command.Card) command.Reply {
		return command.Reply{Content: strings.Repeat("heading ", 300), Cards: cards}
	}
	for name, cards := range cases {
		parts := digestMessages(digest(cards), id)
		if len(parts) == 0 {
			t.Errorf("%s: no messages", name)
			continue
		}
		for i, m := range parts {
			if (i == 0) != (m.content != "") {
				t.Errorf("%s: part %d content %q: want the heading with the first part only", name, i+1, m.content)
			}
			checkLimits(t, m.content, m.embeds)
			last := m.embeds[len(m.embeds)-1]
			want := digestMarker(id, i+1, len(parts))
			if last.Footer == nil || !strings.HasSuffix(last.Footer.Text, want) {
				t.Errorf("%s: part %d's last footer does not end with %q: %+v", name, i+1, want, last.Footer)
				continue
			}
			gotID, part, ok := parseMarker(last.Footer.Text)
			if !ok || gotID != id || part != i+1 {
				t.Errorf("%s: part %d reads back as %q part %d (ok %v)", name, i+1, gotID, part, ok)
			}
			for _, e := range m.embeds[:len(m.embeds)-1] {
				if e.Footer != nil {
					if _, _, ok := parseMarker(e.Footer.Text); ok {
						t.Errorf("%s: a marker on an embed that is not the message's last", name)
					}
				}
			}
		}
	}
	if got := digestMessages(digest(cases["one small"]), id)[0].embeds[0].Footer.Text; got != "Source: a.txt · a-123456 · digest "+id {
		t.Errorf("one-message digest footer %q", got)
	}
	if parts := digestMessages(digest(cases["eleven"]), id); len(parts) != 2 || !strings.HasSuffix(parts[1].embeds[0].Footer.Text, "digest "+id+" · 2/2") {
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
