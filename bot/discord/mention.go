package discord

import (
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/command"
	"newsbrief/bot/digest"
)

// allowedMentions is Discord's allowed_mentions as the poster sends it:
// exactly the parse list and the roles, nothing else (discordgo's adds
// replied_user).
type allowedMentions struct {
	Parse []string `json:"parse"`
	Roles []string `json:"roles,omitempty"`
}

// mention is whom a digest pings: a role, @here, or nobody.
type mention struct {
	role string // a role ID
	here bool
}

func mentionOf(m string) mention {
	switch m {
	case "":
		return mention{}
	case digest.MentionHere:
		return mention{here: true}
	default:
		return mention{role: m}
	}
}

// open opens a message's content with the mention. With @here the rest
// of the content cannot say @everyone or @here: allowed_mentions then
// parses those, so a topic typed that way would ping too (a fullwidth @
// looks the same and pings nobody). Role mentions in the rest need no
// care: allowed_mentions names the one role.
func (m mention) open(content string) string {
	var prefix string
	switch {
	case m.role != "":
		prefix = "<@&" + m.role + ">"
	case m.here:
		prefix = "@here"
		content = strings.NewReplacer("@everyone", "\uff20everyone", "@here", "\uff20here").Replace(content)
	default:
		return content
	}
	if content == "" {
		return prefix
	}
	return prefix + " " + command.Truncate(content, command.MaxContent-runeLen(prefix)-1)
}

// allowed is the allowed_mentions of a message: exactly the mention.
func (m mention) allowed() allowedMentions {
	switch {
	case m.role != "":
		return allowedMentions{Parse: []string{}, Roles: []string{m.role}}
	case m.here:
		return allowedMentions{Parse: []string{string(discordgo.AllowedMentionTypeEveryone)}}
	default:
		return allowedMentions{Parse: []string{}}
	}
}

// Notes of a mention Discord did not make.
const (
	noteRoleNotPinged = "the role was not pinged: it is not mentionable and the bot lacks Mention Everyone " +
		"(make the role mentionable, or give the bot Mention Everyone)"
	noteHereNotPinged = "@here was not pinged: the bot lacks Mention Everyone (give the bot that permission)"
)

// checkMention notes when a message Discord created did not ping whom it
// was to: the role is not mentionable and the bot lacks Mention Everyone,
// or @here without that permission.
func (dl *delivery) checkMention(msg *discordgo.Message) {
	switch {
	case msg == nil:
	case dl.mention.role != "" && !slices.Contains(msg.MentionRoles, dl.mention.role):
		dl.note(noteRoleNotPinged)
	case dl.mention.here && !msg.MentionEveryone:
		dl.note(noteHereNotPinged)
	}
}
