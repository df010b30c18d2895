package discordtest

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// CrosspostsPerHour is how many messages of one announcement channel
// Discord lets a bot publish in an hour; the next answers 429.
const CrosspostsPerHour = 10

func init() {
	handle("POST", "/channels/{channel}/messages/{message}/crosspost", (*Server).crosspost)
}

// crosspost answers POST /channels/{channel}/messages/{message}/crosspost:
// in an announcement channel it publishes the message (flag CROSSPOSTED),
// at most CrosspostsPerHour times an hour a channel on the fake's clock
// (then 429, retry_after the time until one of the hour's crossposts is an
// hour old); a message already published answers 400 (40033).
func (s *Server) crosspost(c *restCtx) {
	chID := c.param("channel")
	if _, ok := s.checkChannel(c, chID); !ok {
		return
	}
	s.mu.Lock()
	ch := s.channelLocked(chID)
	m := s.findMessageLocked(chID, c.param("message"))
	switch {
	case ch.typ != discordgo.ChannelTypeGuildNews:
		s.mu.Unlock()
		c.apiError(http.StatusBadRequest, 50024, "Cannot execute action on this channel type")
		return
	case m == nil:
		s.mu.Unlock()
		c.apiError(http.StatusNotFound, 10008, "Unknown Message")
		return
	case m.Flags&discordgo.MessageFlagsCrossPosted != 0:
		s.mu.Unlock()
		c.apiError(http.StatusBadRequest, 40033, "This message has already been crossposted")
		return
	}
	now := s.now()
	ch.crossposts = slices.DeleteFunc(ch.crossposts, func(t time.Time) bool { return !t.After(now.Add(-time.Hour)) })
	if len(ch.crossposts) >= CrosspostsPerHour {
		retry := ch.crossposts[0].Add(time.Hour).Sub(now)
		s.mu.Unlock()
		// No bucket headers: the limit is the channel's, not the route's.
		c.w.Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds())+1))
		c.w.Header().Set("X-RateLimit-Scope", "user")
		c.reply(http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": roundSecs(retry.Seconds()), "global": false, "code": 0})
		return
	}
	ch.crossposts = append(ch.crossposts, now)
	m.Flags |= discordgo.MessageFlagsCrossPosted
	body := messageJSON(m)
	s.notifyLocked()
	s.mu.Unlock()
	c.reply(http.StatusOK, body)
}

// AddRole declares a role of a guild: a message's <@&ID> pings it when
// allowed_mentions permits and the role is mentionable, or the bot has
// Mention Everyone (SetMentionEveryone). Undeclared roles are never pinged.
func (s *Server) AddRole(guildID, roleID string, mentionable bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.roles[guildID] == nil {
		s.roles[guildID] = map[string]bool{}
	}
	s.roles[guildID][roleID] = mentionable
}

// SetMentionEveryone gives or takes the bot's Mention Everyone permission
// (default without): with it, @everyone, @here and every role can be
// pinged; without, only mentionable roles.
func (s *Server) SetMentionEveryone(has bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mentionEveryone = has
}

var roleMention = regexp.MustCompile(`<@&([0-9]+)>`)

// mentionsLocked works out whom a message of guild with content and
// allowed mentions am pings, as Discord does: only its content can ping
// (never embeds); without allowed_mentions everything in it may. s.mu
// must be held.
func (s *Server) mentionsLocked(guild, content string, am *discordgo.MessageAllowedMentions) (roles []string, everyone bool) {
	parses := func(t discordgo.AllowedMentionType) bool { return am == nil || slices.Contains(am.Parse, t) }
	for _, m := range roleMention.FindAllStringSubmatch(content, -1) {
		id := m[1]
		mentionable, ok := s.roles[guild][id]
		if !ok || slices.Contains(roles, id) {
			continue
		}
		allowed := parses(discordgo.AllowedMentionTypeRoles) || (am != nil && slices.Contains(am.Roles, id))
		if allowed && (mentionable || s.mentionEveryone) {
			roles = append(roles, id)
		}
	}
	everyone = (strings.Contains(content, "@everyone") || strings.Contains(content, "@here")) &&
		parses(discordgo.AllowedMentionTypeEveryone) && s.mentionEveryone
	return roles, everyone
}
