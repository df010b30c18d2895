package command

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"newsbrief/briefs"
)

// Discord's message limits, counted in characters (code points). Every
// reply is fitted to them (FitReply) before it is shown, in Discord
// (package discord renders what FitReply keeps) and in the console (Text),
// so that the console shows what Discord would: the same cuts, at the same
// places.
// https://discord.com/developers/docs/resources/message#embed-object-embed-limits
const (
	MaxContent          = 2000
	MaxEmbedTitle       = 256
	MaxEmbedDescription = 4096
	MaxFieldName        = 256
	MaxFieldValue       = 1024
	MaxFields           = 25
	MaxFooter           = 2048
	MaxEmbeds           = 10
	MaxEmbedTotal       = 6000
	MaxChoiceValue      = 100
	// MaxURL is the longest embed url or image URL Discord takes.
	MaxURL = 2048
)

// DigestMarkerReserve is the room every message of a posted digest keeps
// free for the marker the poster ends it with (package discord: " · digest
// 1a2b3c4d · 99/99" is 26), so that no limit ever cuts the marker.
const DigestMarkerReserve = 40

// PublishedField is the field in which an embed shows a card's Time: the
// date and how long ago, as Discord timestamps each reader sees in their
// own zone. It counts toward the card's size (see FitMessage), so the
// console, which prints the date on a line of its own, cuts the card where
// Discord would.
func PublishedField(t time.Time) Field {
	return Field{Name: publishedName, Value: publishedValue(t), Inline: true}
}

const publishedName = "Published"

func publishedValue(t time.Time) string {
	return Timestamp(t, 'D') + " (" + Timestamp(t, 'R') + ")"
}

// EmbedFields is the fields of c's embed: PublishedField first when c has
// a Time, then c's own.
func (c Card) EmbedFields() []Field {
	if c.Time.IsZero() {
		return c.Fields
	}
	return append([]Field{PublishedField(c.Time)}, c.Fields...)
}

// FitReply is rep as Discord shows it: its text cleaned of control and
// format characters (briefs.CleanText: a handler's own text, or a user's,
// is held to the articles' rule), its cards fitted (FitMessage), the cards
// past the tenth left out with a note in the content saying how many, its
// content cut to 2,000 characters, its choices fitted (FitChoices).
func FitReply(rep Reply) Reply {
	cards, dropped := FitMessage(rep.Cards, MaxEmbedTotal)
	content := briefs.CleanText(rep.Content)
	if dropped > 0 {
		note := fmt.Sprintf("\n(%d more not shown: Discord's message limit)", dropped)
		content = strings.TrimSpace(Truncate(content, MaxContent-runeLen(note)) + note)
	} else {
		content = Truncate(content, MaxContent)
	}
	rep.Content, rep.Cards, rep.Choices = content, cards, FitChoices(rep.Choices)
	return rep
}

// FitCard fits c to Discord's limits on each part of an embed: title,
// description, footer and each field cut on a word with an ellipsis
// (Truncate), fields past the 25th left out (the 24th when the date takes
// one), empty field names and values, which Discord refuses, shown as "-",
// the text cleaned (briefs.CleanText), and links Discord would refuse, or
// that hide their host, dropped (CheckLink). c itself is not changed.
func FitCard(c Card) Card {
	c.Title = Truncate(briefs.CleanText(c.Title), MaxEmbedTitle)
	c.Description = Truncate(briefs.CleanText(c.Description), MaxEmbedDescription)
	c.Footer = Truncate(briefs.CleanText(c.Footer), MaxFooter)
	room := MaxFields
	if !c.Time.IsZero() {
		room--
	}
	fields := make([]Field, 0, min(len(c.Fields), room))
	for _, f := range c.Fields[:min(len(c.Fields), room)] {
		fields = append(fields, Field{
			Name:   Truncate(orDash(briefs.CleanText(f.Name)), MaxFieldName),
			Value:  Truncate(orDash(briefs.CleanText(f.Value)), MaxFieldValue),
			Inline: f.Inline,
		})
	}
	c.Fields = fields
	c.URL, c.Thumbnail = CheckLink(c.URL), CheckLink(c.Thumbnail)
	return c
}

// orDash keeps empty names and values, which Discord rejects, out of fields.
func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// CardSize is what Discord counts of c's embed toward a message's 6,000
// characters: its title, description, footer, and the names and values of
// its fields, the date's included.
func CardSize(c Card) int {
	n := runeLen(c.Title) + runeLen(c.Description) + runeLen(c.Footer)
	if !c.Time.IsZero() {
		n += runeLen(publishedName) + runeLen(publishedValue(c.Time))
	}
	for _, f := range c.Fields {
		n += runeLen(f.Name) + runeLen(f.Value)
	}
	return n
}

// FitMessage fits the cards of one message: each card to its own limits
// (FitCard), at most ten cards (the rest are dropped and counted), and
// budget characters in all (Discord's is 6,000, MaxEmbedTotal). The
// characters are shared out fairly: small cards keep everything, and the
// large ones are shrunk to what is left (see shrinkCard). The cards given
// are not changed.
func FitMessage(cards []Card, budget int) ([]Card, int) {
	if len(cards) == 0 {
		return nil, 0
	}
	dropped := 0
	if len(cards) > MaxEmbeds {
		dropped = len(cards) - MaxEmbeds
		cards = cards[:MaxEmbeds]
	}
	out := make([]Card, len(cards))
	total := 0
	for i, c := range cards {
		out[i] = FitCard(c)
		total += CardSize(out[i])
	}
	if total <= budget {
		return out, dropped
	}
	bySize := make([]int, len(out)) // indexes into out, smallest card first
	for i := range bySize {
		bySize[i] = i
	}
	slices.SortStableFunc(bySize, func(a, b int) int { return CardSize(out[a]) - CardSize(out[b]) })
	left := budget
	for k, i := range bySize {
		share := left / (len(bySize) - k)
		if CardSize(out[i]) > share {
			shrinkCard(&out[i], share)
		}
		left -= CardSize(out[i])
	}
	return out, dropped
}

// shrinkCard cuts c to at most budget characters, giving up the least
// useful parts first: the description's tail, then fields from the last
// (the date's last of all), then the footer, then the title.
func shrinkCard(c *Card, budget int) {
	over := func() int { return CardSize(*c) - budget }
	if n := over(); n > 0 && c.Description != "" {
		c.Description = Truncate(c.Description, max(0, runeLen(c.Description)-n))
	}
	for over() > 0 && len(c.Fields) > 0 {
		c.Fields = c.Fields[:len(c.Fields)-1]
	}
	if over() > 0 {
		c.Time = time.Time{}
	}
	if n := over(); n > 0 && c.Footer != "" {
		c.Footer = Truncate(c.Footer, max(0, runeLen(c.Footer)-n))
	}
	if n := over(); n > 0 {
		c.Title = Truncate(c.Title, max(1, runeLen(c.Title)-n))
	}
}

// SplitMessages groups cards into as few messages as Discord's
// per-message limits allow (ten cards, budget characters), keeping their
// order, each card fitted to its own limits (FitCard). A card too large on
// its own is shrunk to fit.
func SplitMessages(cards []Card, budget int) [][]Card {
	var out [][]Card
	var cur []Card
	size := 0
	for _, c := range cards {
		c = FitCard(c)
		if CardSize(c) > budget {
			shrinkCard(&c, budget)
		}
		s := CardSize(c)
		if len(cur) == MaxEmbeds || len(cur) > 0 && size+s > budget {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, c)
		size += s
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// DigestMessages is a digest reply (DigestReply) as the messages it is
// posted as: its cards split as Discord's per-message limits require
// (SplitMessages), keeping DigestMarkerReserve characters of each message
// for the poster's marker, the content with the first. None when it has no
// cards: an empty digest is never posted.
func DigestMessages(rep Reply) []Reply {
	parts := SplitMessages(rep.Cards, MaxEmbedTotal-DigestMarkerReserve)
	out := make([]Reply, len(parts))
	for i, cards := range parts {
		out[i] = Reply{Cards: cards, Ephemeral: rep.Ephemeral}
	}
	if len(out) > 0 {
		out[0].Content = Truncate(briefs.CleanText(rep.Content), MaxContent)
	}
	return out
}

// FitChoices fits autocomplete choices to Discord's limits: at most 25,
// names cleaned and cut to 100 characters (an empty one shown as "-"), and
// none whose value is over 100 characters: a value cannot be cut, since it
// must come back as it was.
func FitChoices(choices []Choice) []Choice {
	if choices == nil {
		return nil
	}
	out := make([]Choice, 0, min(len(choices), MaxChoices))
	for _, c := range choices {
		if len(out) == MaxChoices {
			break
		}
		if runeLen(c.Value) > MaxChoiceValue {
			continue
		}
		out = append(out, Choice{Name: Truncate(orDash(briefs.CleanLine(c.Name)), MaxChoiceName), Value: c.Value})
	}
	return out
}

// CheckLink returns s when a card may link to it, or show it: an absolute
// http or https URL of at most MaxURL bytes without white space, control or
// format characters, with the scheme in lower case; else "". User
// information is dropped, since it only disguises the host
// (https://discord.com@evil.example/x goes to evil.example): the link then
// shows its real host. Discord refuses a whole message for one URL it does
// not take, and a feed's link or picture is not worth an unanswered
// command: the card goes without it.
func CheckLink(s string) string {
	if s == "" || len(s) > MaxURL || strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
	}) {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.Hostname() == "" {
		return ""
	}
	if u.Scheme != "http" && u.Scheme != "https" { // url.Parse lowers the scheme
		return ""
	}
	if u.User != nil {
		u.User = nil
		return u.String()
	}
	// Discord matches the scheme in lower case only.
	return u.Scheme + s[len(u.Scheme):]
}
