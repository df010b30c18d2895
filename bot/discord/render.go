package discord

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/command"
)

// embedColor is newsbrief's accent on every embed.
const embedColor = 0x2b6cb0

// noMentions allows no mention of any kind. discordgo sends a nil Parse as
// null, which Discord reads as "default", so Parse must be an empty slice.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// Embeds renders cards as Discord embeds, each fitted to the limits of an
// embed (command.FitCard), its date as the first field
// (command.PublishedField). The limits of a message are command's to
// apply, before: ResponseData fits a reply (command.FitReply), the poster
// splits a digest (command.DigestMessages), and the console shows what
// they keep.
func Embeds(cards []command.Card) []*discordgo.MessageEmbed {
	out := make([]*discordgo.MessageEmbed, 0, len(cards))
	for _, c := range cards {
		c = command.FitCard(c)
		e := &discordgo.MessageEmbed{
			Type:        discordgo.EmbedTypeRich,
			Title:       c.Title,
			Description: c.Description,
			Color:       embedColor,
			URL:         c.URL,
		}
		if c.Thumbnail != "" {
			e.Thumbnail = &discordgo.MessageEmbedThumbnail{URL: c.Thumbnail}
		}
		for _, f := range c.EmbedFields() {
			e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: f.Name, Value: f.Value, Inline: f.Inline})
		}
		if c.Footer != "" {
			e.Footer = &discordgo.MessageEmbedFooter{Text: c.Footer}
		}
		out = append(out, e)
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
// split keeps room for it (command.DigestMarkerReserve).
const (
	// markerIDLen is how many hex digits of the nonce's hash name a
	// digest: 32 bits, so that two digests read back from one channel
	// share an ID with odds of about one in four billion, while the
	// footer stays short.
	markerIDLen = 8
	footerSep   = " · "
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

// digestMessage is one message of a posted digest.
type digestMessage struct {
	content string
	embeds  []*discordgo.MessageEmbed
}

// digestMessages renders a digest reply as the messages that carry it,
// split as Discord's per-message limits require (command.DigestMessages,
// which keeps room for the marker in every message, so no limit ever cuts
// it), and ends each message's last footer with the digest marker of id.
func digestMessages(rep command.Reply, id string) []digestMessage {
	msgs := command.DigestMessages(rep)
	out := make([]digestMessage, len(msgs))
	for i, m := range msgs {
		embeds := Embeds(m.Cards)
		addMarker(embeds[len(embeds)-1], digestMarker(id, i+1, len(msgs)))
		out[i] = digestMessage{content: m.Content, embeds: embeds}
	}
	return out
}

// addMarker ends e's footer with marker, shortening the footer's text
// before it when the footer limit requires.
func addMarker(e *discordgo.MessageEmbed, marker string) {
	if e.Footer == nil || strings.TrimSpace(e.Footer.Text) == "" {
		e.Footer = &discordgo.MessageEmbedFooter{Text: marker}
		return
	}
	e.Footer.Text = command.Truncate(e.Footer.Text, command.MaxFooter-runeLen(footerSep+marker)) + footerSep + marker
}

// Choices renders autocomplete choices within Discord's limits
// (command.FitChoices).
func Choices(choices []command.Choice) []*discordgo.ApplicationCommandOptionChoice {
	fitted := command.FitChoices(choices)
	out := make([]*discordgo.ApplicationCommandOptionChoice, 0, len(fitted))
	for _, c := range fitted {
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: c.Name, Value: c.Value})
	}
	return out
}

// ResponseData renders a reply as an interaction response, fitted to
// Discord's limits (command.FitReply), mentions off.
func ResponseData(rep command.Reply) *discordgo.InteractionResponseData {
	rep = command.FitReply(rep)
	d := &discordgo.InteractionResponseData{
		Content:         rep.Content,
		Embeds:          Embeds(rep.Cards),
		AllowedMentions: noMentions(),
	}
	if rep.Ephemeral {
		d.Flags = discordgo.MessageFlagsEphemeral
	}
	return d
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }
