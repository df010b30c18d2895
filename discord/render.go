package discord

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"newsbrief/command"
)

// Discord's message limits, counted in characters (Unicode code points).
// https://discord.com/developers/docs/resources/message#embed-object-embed-limits
const (
	maxContent          = 2000
	maxEmbedTitle       = 256
	maxEmbedDescription = 4096
	maxFieldName        = 256
	maxFieldValue       = 1024
	maxFields           = 25
	maxFooter           = 2048
	maxEmbeds           = 10
	maxEmbedTotal       = 6000
	maxChoiceValue      = 100
	// maxURL is the longest embed url or image URL Discord takes.
	maxURL = 2048
	// The choice count and name limits are command.MaxChoices and
	// command.MaxChoiceName: handlers fit their choices to them.
	maxChoices    = command.MaxChoices
	maxChoiceName = command.MaxChoiceName
)

// embedColor is newsbrief's accent on every embed.
const embedColor = 0x2b6cb0

// noMentions allows no mention of any kind. discordgo sends a nil Parse as
// null, which Discord reads as "default", so Parse must be an empty slice.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// Embeds renders cards as Discord embeds within every per-embed limit. Use
// SplitEmbeds for the per-message limits.
func Embeds(cards []command.Card) []*discordgo.MessageEmbed {
	out := make([]*discordgo.MessageEmbed, 0, len(cards))
	for _, c := range cards {
		e := &discordgo.MessageEmbed{
			Type:        discordgo.EmbedTypeRich,
			Title:       command.Truncate(c.Title, maxEmbedTitle),
			Description: command.Truncate(c.Description, maxEmbedDescription),
			Color:       embedColor,
			URL:         embedURL(c.URL),
		}
		if u := embedURL(c.Thumbnail); u != "" {
			e.Thumbnail = &discordgo.MessageEmbedThumbnail{URL: u}
		}
		fields := c.Fields
		if !c.Time.IsZero() {
			fields = append([]command.Field{{Name: "Published", Value: command.Timestamp(c.Time, 'D') + " (" + command.Timestamp(c.Time, 'R') + ")", Inline: true}}, fields...)
		}
		for i, f := range fields {
			if i == maxFields {
				break
			}
			e.Fields = append(e.Fields, &discordgo.MessageEmbedField{
				Name: command.Truncate(orDash(f.Name), maxFieldName), Value: command.Truncate(orDash(f.Value), maxFieldValue), Inline: f.Inline,
			})
		}
		if c.Footer != "" {
			e.Footer = &discordgo.MessageEmbedFooter{Text: command.Truncate(c.Footer, maxFooter)}
		}
		out = append(out, e)
	}
	return out
}

// embedURL returns s when Discord takes it as an embed's url or image: an
// absolute http(s) URL of at most maxURL characters (counted in bytes,
// which is stricter), scheme in lower case; else "". Discord
// refuses the whole message for one bad URL, and a feed's link or picture
// is not worth an unanswered command: the card goes without it.
func embedURL(s string) string {
	if s == "" || len(s) > maxURL || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return ""
	}
	if u.Scheme != "http" && u.Scheme != "https" { // url.Parse lowers the scheme
		return ""
	}
	// Discord matches the scheme in lower case only.
	return u.Scheme + s[len(u.Scheme):]
}

// orDash keeps empty names and values, which Discord rejects, out of fields.
func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

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

// FitMessage makes one message's embeds obey the per-message limits: at most
// ten (the rest are dropped and counted), and 6,000 characters in all. The
// characters are shared out fairly: small embeds keep everything, and the
// large ones are shrunk to what is left (see shrinkEmbed).
func FitMessage(embeds []*discordgo.MessageEmbed) ([]*discordgo.MessageEmbed, int) {
	return fitMessage(embeds, maxEmbedTotal)
}

// fitMessage is FitMessage with budget characters in all instead of 6,000.
func fitMessage(embeds []*discordgo.MessageEmbed, budget int) ([]*discordgo.MessageEmbed, int) {
	dropped := 0
	if len(embeds) > maxEmbeds {
		dropped = len(embeds) - maxEmbeds
		embeds = embeds[:maxEmbeds]
	}
	total := 0
	for _, e := range embeds {
		total += embedSize(e)
	}
	if total <= budget {
		return embeds, dropped
	}
	bySize := append([]*discordgo.MessageEmbed(nil), embeds...)
	sort.SliceStable(bySize, func(i, j int) bool { return embedSize(bySize[i]) < embedSize(bySize[j]) })
	left := budget
	for i, e := range bySize {
		share := left / (len(bySize) - i)
		if embedSize(e) > share {
			shrinkEmbed(e, share)
		}
		left -= embedSize(e)
	}
	return embeds, dropped
}

// shrinkEmbed cuts e to at most budget characters, giving up the least
// useful parts first: the description's tail, then fields from the last,
// then the footer, then the title.
func shrinkEmbed(e *discordgo.MessageEmbed, budget int) {
	over := func() int { return embedSize(e) - budget }
	if n := over(); n > 0 && e.Description != "" {
		e.Description = command.Truncate(e.Description, max(0, runeLen(e.Description)-n))
	}
	for over() > 0 && len(e.Fields) > 0 {
		e.Fields = e.Fields[:len(e.Fields)-1]
	}
	if n := over(); n > 0 && e.Footer != nil {
		e.Footer.Text = command.Truncate(e.Footer.Text, max(0, runeLen(e.Footer.Text)-n))
	}
	if n := over(); n > 0 {
		e.Title = command.Truncate(e.Title, max(1, runeLen(e.Title)-n))
	}
}

// SplitEmbeds groups embeds into as few messages as Discord's per-message
// limits allow, keeping their order. An embed too large on its own is
// shortened to fit.
func SplitEmbeds(embeds []*discordgo.MessageEmbed) [][]*discordgo.MessageEmbed {
	return splitEmbeds(embeds, maxEmbedTotal)
}

// splitEmbeds is SplitEmbeds with budget characters per message instead of
// 6,000.
func splitEmbeds(embeds []*discordgo.MessageEmbed, budget int) [][]*discordgo.MessageEmbed {
	var out [][]*discordgo.MessageEmbed
	var cur []*discordgo.MessageEmbed
	size := 0
	for _, e := range embeds {
		if s := embedSize(e); s > budget {
			one, _ := fitMessage([]*discordgo.MessageEmbed{e}, budget)
			if len(one) == 0 {
				continue
			}
			e = one[0]
		}
		s := embedSize(e)
		if len(cur) == maxEmbeds || size+s > budget {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, e)
		size += s
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// A digest marker tags every message of a scheduled digest, at the end of
// the footer of its last embed: "digest 1a2b3c4d" when the digest is one
// message, "digest 1a2b3c4d · 2/3" on the second of three. Discord returns
// no nonce when a channel's messages are read, so the marker is how the
// poster recognises its own earlier posts of a digest, and which of its
// parts, when it cannot tell whether a post went through (see
// poster.readBack). It sits in the footer because that is small print under
// the last article, where a reader looks least, and because a footer is
// never cut by Discord's limits the way content or fields may be here: the
// split keeps room for it.
const (
	// markerIDLen is how many hex digits of the nonce's hash name a
	// digest: 32 bits, so that two digests read back from one channel
	// share an ID with odds of about one in four billion, while the
	// footer stays short.
	markerIDLen = 8
	// markerReserve is the room a message keeps for its marker and the
	// separator before it; " · digest 1a2b3c4d · 99/99" is 26.
	markerReserve = 40
	footerSep     = " · "
)

// markerPattern finds a digest marker at the end of a footer.
var markerPattern = regexp.MustCompile(`(?:^|` + footerSep + `)digest ([0-9a-f]{8})(?:` + footerSep + `([0-9]+)/([0-9]+))?$`)

// markerID is the ID a digest's marker shows: a hash of its nonce rather
// than the nonce itself, so that it is short and evenly spread whatever the
// nonce looks like (nonces that share a prefix get unrelated IDs).
func markerID(nonce string) string {
	sum := sha256.Sum256([]byte(nonce))
	return hex.EncodeToString(sum[:])[:markerIDLen]
}

// digestMarker is the marker of part (1-based) of a digest of total messages.
func digestMarker(id string, part, total int) string {
	if total == 1 {
		return "digest " + id
	}
	return fmt.Sprintf("digest %s%s%d/%d", id, footerSep, part, total)
}

// parseMarker reads the digest marker at the end of a footer: the digest's
// ID and the part (1 when the marker names none).
func parseMarker(footer string) (id string, part int, ok bool) {
	m := markerPattern.FindStringSubmatch(footer)
	if m == nil {
		return "", 0, false
	}
	part = 1
	if m[2] != "" {
		n, err := strconv.Atoi(m[2])
		if err != nil || n < 1 {
			return "", 0, false
		}
		part = n
	}
	return m[1], part, true
}

// digestMessages renders a digest's cards as the embeds of the messages
// that carry it, split as Discord's per-message limits require, and ends
// each message's last footer with the digest marker of id. The split keeps
// markerReserve characters free in every message, so the marker is never
// cut by a limit.
func digestMessages(cards []command.Card, id string) [][]*discordgo.MessageEmbed {
	parts := splitEmbeds(Embeds(cards), maxEmbedTotal-markerReserve)
	for i, embeds := range parts {
		addMarker(embeds[len(embeds)-1], digestMarker(id, i+1, len(parts)))
	}
	return parts
}

// addMarker ends e's footer with marker, shortening the footer's text
// before it when the footer limit requires.
func addMarker(e *discordgo.MessageEmbed, marker string) {
	if e.Footer == nil || strings.TrimSpace(e.Footer.Text) == "" {
		e.Footer = &discordgo.MessageEmbedFooter{Text: marker}
		return
	}
	e.Footer.Text = command.Truncate(e.Footer.Text, maxFooter-runeLen(footerSep+marker)) + footerSep + marker
}

// Choices renders autocomplete choices within Discord's limits.
func Choices(choices []command.Choice) []*discordgo.ApplicationCommandOptionChoice {
	out := make([]*discordgo.ApplicationCommandOptionChoice, 0, min(len(choices), maxChoices))
	for _, c := range choices {
		if len(out) == maxChoices {
			break
		}
		if runeLen(c.Value) > maxChoiceValue {
			continue // a value Discord would refuse cannot be cut: it must round-trip
		}
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: command.Truncate(orDash(c.Name), maxChoiceName), Value: c.Value})
	}
	return out
}

// ResponseData renders a reply as an interaction response, mentions off.
func ResponseData(rep command.Reply) *discordgo.InteractionResponseData {
	embeds, dropped := FitMessage(Embeds(rep.Cards))
	content := command.Truncate(rep.Content, maxContent)
	if dropped > 0 {
		note := fmt.Sprintf("\n(%d more not shown: Discord's message limit)", dropped)
		content = strings.TrimSpace(command.Truncate(rep.Content, maxContent-runeLen(note)) + note)
	}
	d := &discordgo.InteractionResponseData{
		Content:         content,
		Embeds:          embeds,
		AllowedMentions: noMentions(),
	}
	if rep.Ephemeral {
		d.Flags = discordgo.MessageFlagsEphemeral
	}
	return d
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }
