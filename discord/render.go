package discord

import (
	"fmt"
	"sort"
	"strings"
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
	dropped := 0
	if len(embeds) > maxEmbeds {
		dropped = len(embeds) - maxEmbeds
		embeds = embeds[:maxEmbeds]
	}
	total := 0
	for _, e := range embeds {
		total += embedSize(e)
	}
	if total <= maxEmbedTotal {
		return embeds, dropped
	}
	bySize := append([]*discordgo.MessageEmbed(nil), embeds...)
	sort.SliceStable(bySize, func(i, j int) bool { return embedSize(bySize[i]) < embedSize(bySize[j]) })
	left := maxEmbedTotal
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
	var out [][]*discordgo.MessageEmbed
	var cur []*discordgo.MessageEmbed
	size := 0
	for _, e := range embeds {
		if s := embedSize(e); s > maxEmbedTotal {
			one, _ := FitMessage([]*discordgo.MessageEmbed{e})
			if len(one) == 0 {
				continue
			}
			e = one[0]
		}
		s := embedSize(e)
		if len(cur) == maxEmbeds || size+s > maxEmbedTotal {
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
