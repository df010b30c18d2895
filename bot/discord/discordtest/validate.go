package discordtest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Discord limits enforced by the fake (400 Invalid Form Body when exceeded).
const (
	MaxContentLength     = 2000
	MaxEmbeds            = 10
	MaxEmbedTotal        = 6000
	MaxEmbedTitle        = 256
	MaxEmbedDescription  = 4096
	MaxEmbedFields       = 25
	MaxEmbedFieldName    = 256
	MaxEmbedFieldValue   = 1024
	MaxEmbedFooter       = 2048
	MaxEmbedAuthorName   = 256
	MaxChoices           = 25
	MaxChoiceName        = 100
	MaxChoiceStringValue = 100
	MaxCommands          = 100
	MaxCommandOptions    = 25
	MaxNonceLength       = 25
)

// messageFields is the decoded subset of a message create/edit payload. Field
// pointers distinguish "absent" from "empty" (edits are partial).
type messageFields struct {
	Content         *string                           `json:"content"`
	Embeds          *[]*discordgo.MessageEmbed        `json:"embeds"`
	Components      json.RawMessage                   `json:"components"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Flags           *discordgo.MessageFlags           `json:"flags"`
	StickerIDs      []string                          `json:"sticker_ids"`
	Poll            json.RawMessage                   `json:"poll"`
	Attachments     json.RawMessage                   `json:"attachments"`
	TTS             bool                              `json:"tts"`
	Nonce           json.RawMessage                   `json:"nonce"`
	EnforceNonce    bool                              `json:"enforce_nonce"`
}

func decodeMessageFields(raw json.RawMessage) (messageFields, error) {
	var f messageFields
	if len(raw) == 0 {
		return f, nil
	}
	err := json.Unmarshal(raw, &f)
	return f, err
}

func (f messageFields) content() string {
	if f.Content == nil {
		return ""
	}
	return *f.Content
}

func (f messageFields) embeds() []*discordgo.MessageEmbed {
	if f.Embeds == nil {
		return nil
	}
	return *f.Embeds
}

func hasJSON(r json.RawMessage) bool {
	s := string(r)
	return len(r) > 0 && s != "null" && s != "[]" && s != "{}"
}

// validateMessage checks Discord's message limits; it returns field -> error.
func validateMessage(content string, embeds []*discordgo.MessageEmbed) map[string]string {
	errs := map[string]string{}
	if n := utf8.RuneCountInString(content); n > MaxContentLength {
		errs["content"] = fmt.Sprintf("Must be %d or fewer in length (got %d).", MaxContentLength, n)
	}
	if len(embeds) > MaxEmbeds {
		errs["embeds"] = fmt.Sprintf("Must be %d or fewer in length.", MaxEmbeds)
	}
	total := 0
	check := func(field, v string, limit int) {
		n := utf8.RuneCountInString(v)
		total += n
		if n > limit {
			errs[field] = fmt.Sprintf("Must be %d or fewer in length (got %d).", limit, n)
		}
	}
	for i, e := range embeds {
		if e == nil {
			continue
		}
		p := fmt.Sprintf("embeds.%d.", i)
		check(p+"title", e.Title, MaxEmbedTitle)
		check(p+"description", e.Description, MaxEmbedDescription)
		if e.Footer != nil {
			check(p+"footer.text", e.Footer.Text, MaxEmbedFooter)
		}
		if e.Author != nil {
			check(p+"author.name", e.Author.Name, MaxEmbedAuthorName)
		}
		if len(e.Fields) > MaxEmbedFields {
			errs[p+"fields"] = fmt.Sprintf("Must be %d or fewer in length.", MaxEmbedFields)
		}
		for j, fl := range e.Fields {
			if fl == nil {
				continue
			}
			fp := fmt.Sprintf("%sfields.%d.", p, j)
			if fl.Name == "" || fl.Value == "" {
				errs[fp+"value"] = "This field is required"
			}
			check(fp+"name", fl.Name, MaxEmbedFieldName)
			check(fp+"value", fl.Value, MaxEmbedFieldValue)
		}
		if e.URL != "" && !validURL(e.URL) {
			errs[p+"url"] = "Not a well formed URL."
		}
	}
	if total > MaxEmbedTotal {
		errs["embeds"] = fmt.Sprintf("Embed size exceeds maximum size of %d", MaxEmbedTotal)
	}
	return errs
}

var urlRe = regexp.MustCompile(`^https?://[^\s/$.?#].[^\s]*$`)

func validURL(u string) bool { return urlRe.MatchString(u) }

// validateChoices checks autocomplete results.
func validateChoices(choices []*discordgo.ApplicationCommandOptionChoice) map[string]string {
	errs := map[string]string{}
	if len(choices) > MaxChoices {
		errs["data.choices"] = fmt.Sprintf("Must be %d or fewer in length.", MaxChoices)
	}
	for i, ch := range choices {
		if ch == nil {
			continue
		}
		if n := utf8.RuneCountInString(ch.Name); n < 1 || n > MaxChoiceName {
			errs[fmt.Sprintf("data.choices.%d.name", i)] = fmt.Sprintf("Must be between 1 and %d in length.", MaxChoiceName)
		}
		switch v := ch.Value.(type) {
		case string:
			if utf8.RuneCountInString(v) > MaxChoiceStringValue {
				errs[fmt.Sprintf("data.choices.%d.value", i)] = fmt.Sprintf("Must be %d or fewer in length.", MaxChoiceStringValue)
			}
		case float64:
		default:
			errs[fmt.Sprintf("data.choices.%d.value", i)] = "Value must be a string or a number."
		}
	}
	return errs
}

var commandNameRe = regexp.MustCompile(`^[-_'\p{Ll}\p{Lo}\p{N}]{1,32}$`)

// validateCommands checks application command definitions like Discord does.
func validateCommands(cmds []*discordgo.ApplicationCommand) map[string]string {
	errs := map[string]string{}
	if len(cmds) > MaxCommands {
		errs["_"] = fmt.Sprintf("Must be %d or fewer in length.", MaxCommands)
	}
	seen := map[string]bool{}
	for i, c := range cmds {
		p := fmt.Sprintf("%d.", i)
		if c == nil {
			errs[p[:len(p)-1]] = "This field is required"
			continue
		}
		typ := c.Type
		if typ == 0 {
			typ = discordgo.ChatApplicationCommand
		}
		key := fmt.Sprintf("%d/%s", typ, c.Name)
		if seen[key] {
			errs[p+"name"] = "Application command names must be unique"
		}
		seen[key] = true
		if typ == discordgo.ChatApplicationCommand {
			if !commandNameRe.MatchString(c.Name) {
				errs[p+"name"] = "Command name is invalid"
			}
			if n := utf8.RuneCountInString(c.Description); n < 1 || n > 100 {
				errs[p+"description"] = "Must be between 1 and 100 in length."
			}
		} else {
			if n := utf8.RuneCountInString(c.Name); n < 1 || n > 32 {
				errs[p+"name"] = "Must be between 1 and 32 in length."
			}
			if c.Description != "" {
				errs[p+"description"] = "Context menu commands cannot have description"
			}
		}
		validateOptions(errs, p+"options", c.Options, 0)
	}
	return errs
}

func validateOptions(errs map[string]string, p string, opts []*discordgo.ApplicationCommandOption, depth int) {
	if len(opts) > MaxCommandOptions {
		errs[p] = fmt.Sprintf("Must be %d or fewer in length.", MaxCommandOptions)
	}
	seenOptional := false
	names := map[string]bool{}
	for i, o := range opts {
		op := fmt.Sprintf("%s.%d.", p, i)
		if o == nil {
			errs[op+"type"] = "This field is required"
			continue
		}
		if !commandNameRe.MatchString(o.Name) {
			errs[op+"name"] = "Option name is invalid"
		}
		if names[o.Name] {
			errs[op+"name"] = "Option names must be unique"
		}
		names[o.Name] = true
		if n := utf8.RuneCountInString(o.Description); n < 1 || n > 100 {
			errs[op+"description"] = "Must be between 1 and 100 in length."
		}
		switch o.Type {
		case discordgo.ApplicationCommandOptionSubCommand, discordgo.ApplicationCommandOptionSubCommandGroup:
			if depth >= 2 || (o.Type == discordgo.ApplicationCommandOptionSubCommandGroup && depth >= 1) {
				errs[op+"type"] = "Sub-command nesting is too deep"
			}
			validateOptions(errs, op+"options", o.Options, depth+1)
		default:
			if o.Type < 1 || o.Type > discordgo.ApplicationCommandOptionAttachment {
				errs[op+"type"] = "Value is not a valid enum value."
			}
			if o.Required && seenOptional {
				errs[op+"required"] = "Required options must be placed before non-required options"
			}
			if !o.Required {
				seenOptional = true
			}
			if o.Autocomplete && len(o.Choices) > 0 {
				errs[op+"autocomplete"] = "Autocomplete cannot be set with choices"
			}
			if len(o.Choices) > MaxChoices {
				errs[op+"choices"] = fmt.Sprintf("Must be %d or fewer in length.", MaxChoices)
			}
		}
	}
}

// decodeResponseData decodes an interaction response/message payload into
// InteractionResponseData; components are decoded with discordgo's own
// component unmarshalling.
func decodeResponseData(raw json.RawMessage) (discordgo.InteractionResponseData, error) {
	var d discordgo.InteractionResponseData
	if !hasJSON(raw) {
		return d, nil
	}
	var v struct {
		TTS             bool                                        `json:"tts"`
		Content         string                                      `json:"content"`
		Components      json.RawMessage                             `json:"components"`
		Embeds          []*discordgo.MessageEmbed                   `json:"embeds"`
		AllowedMentions *discordgo.MessageAllowedMentions           `json:"allowed_mentions"`
		Attachments     *[]*discordgo.MessageAttachment             `json:"attachments"`
		Poll            *discordgo.Poll                             `json:"poll"`
		Flags           discordgo.MessageFlags                      `json:"flags"`
		Choices         []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
		CustomID        string                                      `json:"custom_id"`
		Title           string                                      `json:"title"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return d, err
	}
	d = discordgo.InteractionResponseData{
		TTS: v.TTS, Content: v.Content, Embeds: v.Embeds, AllowedMentions: v.AllowedMentions,
		Attachments: v.Attachments, Poll: v.Poll, Flags: v.Flags, Choices: v.Choices,
		CustomID: v.CustomID, Title: v.Title,
	}
	if hasJSON(v.Components) {
		comps, err := decodeComponents(v.Components)
		if err != nil {
			return d, err
		}
		d.Components = comps
	}
	return d, nil
}

func decodeComponents(raw json.RawMessage) ([]discordgo.MessageComponent, error) {
	var m discordgo.Message
	b, err := json.Marshal(map[string]json.RawMessage{"components": raw})
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m.Components, nil
}
