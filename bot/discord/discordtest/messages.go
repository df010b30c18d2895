package discordtest

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Message is a message created by the bot (channel message or followup).
type Message struct {
	ID, ChannelID, Nonce string
	Content              string
	Embeds               []*discordgo.MessageEmbed
	// Raw is the JSON body of the request that created the message.
	Raw json.RawMessage
	// At is when the message was created.
	At time.Time
	// EditedAt is when the message was last edited (zero if never).
	EditedAt time.Time
	// Flags of the message (e.g. discordgo.MessageFlagsEphemeral for followups).
	Flags discordgo.MessageFlags
	// Files uploaded with the message (multipart requests).
	Files []File
}

type storedMessage struct {
	Message
	guildID         string
	components      json.RawMessage
	allowedMentions *discordgo.MessageAllowedMentions
	webhookID       string
	interactionID   string
	deleted         bool
	// nonceForgotten is set by ExpireNonces: the nonce no longer
	// de-duplicates, whatever the window.
	nonceForgotten bool
}

type channelState struct {
	guildID   string
	forbidden bool
	deleted   bool
	// noHistory: reading the channel's messages is forbidden (the bot
	// lacks Read Message History), posting is not.
	noHistory bool
}

// AddChannel declares a text channel of a guild (listed in GUILD_CREATE and
// GET /guilds/{id}/channels). Messages to undeclared channels are accepted too.
func (s *Server) AddChannel(guildID, channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channelLocked(channelID)
	ch.guildID = guildID
	ch.deleted = false
}

// ForbidChannel makes the bot lack access to a channel: posting there, and
// every other request about it (reading its messages included), fails with
// 403 Missing Access (50001).
func (s *Server) ForbidChannel(channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channelLocked(channelID).forbidden = true
}

// DeleteChannel makes a channel unknown: requests fail with 404 Unknown Channel (10003).
func (s *Server) DeleteChannel(channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channelLocked(channelID).deleted = true
}

func (s *Server) channelLocked(id string) *channelState {
	ch := s.channels[id]
	if ch == nil {
		ch = &channelState{}
		s.channels[id] = ch
	}
	return ch
}

func (s *Server) guildChannelsLocked() map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for id, ch := range s.channels {
		if ch.guildID != "" && !ch.deleted {
			out[ch.guildID] = append(out[ch.guildID], channelJSON(id, ch.guildID))
		}
	}
	return out
}

func channelJSON(id, guildID string) map[string]any {
	return map[string]any{
		"id": id, "type": discordgo.ChannelTypeGuildText, "guild_id": guildID, "name": "channel-" + id,
		"position": 0, "permission_overwrites": []any{}, "nsfw": false, "topic": nil, "parent_id": nil,
	}
}

// Messages returns the non-deleted channel messages of channelID ("" = all
// channels), in creation order. Followups are not included (see Followups).
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked(channelID)
}

func (s *Server) messagesLocked(channelID string) []Message {
	var out []Message
	for _, m := range s.messages {
		if !m.deleted && (channelID == "" || m.ChannelID == channelID) {
			out = append(out, m.Message)
		}
	}
	return out
}

// WaitMessages waits until at least n messages exist in channelID ("" = any
// channel) and returns them all.
func (s *Server) WaitMessages(ctx context.Context, channelID string, n int) ([]Message, error) {
	var out []Message
	err := s.waitFor(ctx, func() bool {
		out = s.messagesLocked(channelID)
		return len(out) >= n
	})
	return out, err
}

// checkChannel replies with an error and returns false when the channel is
// deleted or forbidden. s.mu must not be held.
func (s *Server) checkChannel(c *restCtx, id string) (guildID string, ok bool) {
	s.mu.Lock()
	ch := s.channels[id]
	s.mu.Unlock()
	switch {
	case ch != nil && ch.deleted:
		c.apiError(http.StatusNotFound, 10003, "Unknown Channel")
		return "", false
	case ch != nil && ch.forbidden:
		c.apiError(http.StatusForbidden, 50001, "Missing Access")
		return "", false
	case ch != nil && ch.guildID != "":
		return ch.guildID, true
	}
	return DefaultGuildID, true
}

func (s *Server) getChannel(c *restCtx) {
	id := c.param("channel")
	if g, ok := s.checkChannel(c, id); ok {
		c.reply(http.StatusOK, channelJSON(id, g))
	}
}

func (s *Server) guildChannels(c *restCtx) {
	g := c.param("guild")
	s.mu.Lock()
	chs := s.guildChannelsLocked()[g]
	s.mu.Unlock()
	if chs == nil {
		chs = []map[string]any{}
	}
	c.reply(http.StatusOK, chs)
}

func (s *Server) typing(c *restCtx) {
	if _, ok := s.checkChannel(c, c.param("channel")); ok {
		c.noContent()
	}
}

// decodeNonce normalises a nonce (string or integer) to a string.
func decodeNonce(raw json.RawMessage) (string, bool) {
	if !hasJSON(raw) {
		return "", true
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		return str, true
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		if _, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return string(n), true
		}
	}
	return "", false
}

func (s *Server) createMessage(c *restCtx) {
	chID := c.param("channel")
	guildID, ok := s.checkChannel(c, chID)
	if !ok {
		return
	}
	f, err := decodeMessageFields(c.rec.Body)
	if err != nil {
		c.formError(map[string]string{"_": err.Error()})
		return
	}
	nonce, ok := decodeNonce(f.Nonce)
	if !ok || utf8.RuneCountInString(nonce) > MaxNonceLength {
		c.formError(map[string]string{"nonce": "Must be an integer or a string of 25 or fewer characters."})
		return
	}
	if f.content() == "" && len(f.embeds()) == 0 && !hasJSON(f.Components) && len(f.StickerIDs) == 0 && !hasJSON(f.Poll) && len(c.rec.Files) == 0 {
		c.apiError(http.StatusBadRequest, 50006, "Cannot send an empty message")
		return
	}
	if errs := validateMessage(f.content(), f.embeds()); len(errs) > 0 {
		c.formError(errs)
		return
	}

	s.mu.Lock()
	var m *storedMessage
	if f.EnforceNonce && nonce != "" {
		m = s.rememberedLocked(chID, nonce)
	}
	if m == nil {
		id, at := s.stampLocked()
		m = &storedMessage{
			Message: Message{
				ID: id, ChannelID: chID, Nonce: nonce, Content: f.content(), Embeds: f.embeds(),
				Raw: c.rec.Body, At: at, Files: c.rec.Files,
			},
			guildID: guildID, components: f.Components, allowedMentions: f.AllowedMentions,
		}
		if f.Flags != nil {
			m.Flags = *f.Flags
		}
		s.messages = append(s.messages, m)
		s.notifyLocked()
	}
	body := messageJSON(m)
	if m.Nonce != "" {
		// Only the answer to the create carries the nonce: reads
		// (GET one message or the channel's messages) do not.
		body["nonce"] = m.Nonce
	}
	drop := s.takeDropLocked(chID)
	s.mu.Unlock()
	if drop {
		c.dropConnection()
		return
	}
	c.reply(http.StatusOK, body)
}

// rememberedLocked returns the channel's message posted with nonce that is
// still in the nonce window, or nil. s.mu must be held.
func (s *Server) rememberedLocked(chID, nonce string) *storedMessage {
	if s.nonceWindow <= 0 {
		return nil
	}
	now := s.now()
	for i := len(s.messages) - 1; i >= 0; i-- {
		m := s.messages[i]
		if m.ChannelID == chID && m.Nonce == nonce && !m.deleted && !m.nonceForgotten && now.Sub(m.At) <= s.nonceWindow {
			return m
		}
	}
	return nil
}

// SetNonceWindow sets how long after a message was created a post to the
// same channel with the same nonce and enforce_nonce returns that message
// instead of creating another (default DefaultNonceWindow). Discord only
// promises "the past few minutes"; past the window the same nonce creates a
// duplicate, which is what code that must post exactly once has to handle.
// The age is measured on the server's clock (WithClock) when the repeat
// arrives, so changing the window applies to nonces already remembered.
// Zero or less turns de-duplication off.
func (s *Server) SetNonceWindow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nonceWindow = d
}

// ExpireNonces forgets every nonce remembered so far, as if the nonce window
// of every message posted until now had passed: a test passes the window
// without sleeping or moving a clock. Messages posted later are remembered
// as usual.
func (s *Server) ExpireNonces() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.messages {
		m.nonceForgotten = true
	}
}

// DropResponseAfterCreate makes the next accepted POST of a message to
// channelID lose its answer: the fake handles the request (creates the
// message, or finds the earlier one for a nonce still in the window), then
// closes the TCP connection without writing a response. This is "Discord
// created the message but the bot never heard back", as when the bot is
// killed or the network fails after the request was sent: discordgo gets an
// error (net/http does not resend a POST) and the message is in Messages.
// Requests lists the request with Dropped set and Status 0. Rejected posts
// (invalid body, forbidden channel, FailNext) do not use it up. Each call
// drops one more answer.
func (s *Server) DropResponseAfterCreate(channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAfterCreate[channelID]++
}

// takeDropLocked uses up one DropResponseAfterCreate of the channel, if
// any. s.mu must be held.
func (s *Server) takeDropLocked(chID string) bool {
	if s.dropAfterCreate[chID] == 0 {
		return false
	}
	s.dropAfterCreate[chID]--
	return true
}

func (s *Server) findMessageLocked(chID, id string) *storedMessage {
	for _, m := range s.messages {
		if m.ID == id && m.ChannelID == chID && !m.deleted {
			return m
		}
	}
	return nil
}

func (s *Server) getMessage(c *restCtx) {
	chID := c.param("channel")
	if _, ok := s.checkChannel(c, chID); !ok {
		return
	}
	s.replyStored(c, func() *storedMessage { return s.findMessageLocked(chID, c.param("message")) })
}

// replyStored answers with the message findLocked returns (called with s.mu
// held), or Discord's Unknown Message.
func (s *Server) replyStored(c *restCtx, findLocked func() *storedMessage) {
	s.mu.Lock()
	m := findLocked()
	var body map[string]any
	if m != nil {
		body = messageJSON(m)
	}
	s.mu.Unlock()
	if m == nil {
		c.apiError(http.StatusNotFound, 10008, "Unknown Message")
		return
	}
	c.reply(http.StatusOK, body)
}

// deleteStored marks deleted the message findLocked returns (called with
// s.mu held), or answers Unknown Message.
func (s *Server) deleteStored(c *restCtx, findLocked func() *storedMessage) {
	s.mu.Lock()
	m := findLocked()
	if m != nil {
		m.deleted = true
		s.notifyLocked()
	}
	s.mu.Unlock()
	if m == nil {
		c.apiError(http.StatusNotFound, 10008, "Unknown Message")
		return
	}
	c.noContent()
}

func (s *Server) editMessage(c *restCtx) {
	chID := c.param("channel")
	if _, ok := s.checkChannel(c, chID); !ok {
		return
	}
	s.mu.Lock()
	m := s.findMessageLocked(chID, c.param("message"))
	s.mu.Unlock()
	if m == nil {
		c.apiError(http.StatusNotFound, 10008, "Unknown Message")
		return
	}
	s.applyEdit(c, m)
}

// applyEdit applies a partial message edit from the request body to m and
// replies with the updated message.
func (s *Server) applyEdit(c *restCtx, m *storedMessage) {
	f, err := decodeMessageFields(c.rec.Body)
	if err != nil {
		c.formError(map[string]string{"_": err.Error()})
		return
	}
	s.mu.Lock()
	content, embeds, comps := m.Content, m.Embeds, m.components
	s.mu.Unlock()
	if f.Content != nil {
		content = *f.Content
	}
	if f.Embeds != nil {
		embeds = *f.Embeds
	}
	if f.Components != nil {
		comps = f.Components
	}
	if content == "" && len(embeds) == 0 && !hasJSON(comps) && len(c.rec.Files) == 0 && !hasJSON(f.Attachments) {
		c.apiError(http.StatusBadRequest, 50006, "Cannot send an empty message")
		return
	}
	if errs := validateMessage(content, embeds); len(errs) > 0 {
		c.formError(errs)
		return
	}
	s.mu.Lock()
	m.Content, m.Embeds, m.components = content, embeds, comps
	if f.AllowedMentions != nil {
		m.allowedMentions = f.AllowedMentions
	}
	if f.Flags != nil {
		m.Flags = *f.Flags
	}
	if len(c.rec.Files) > 0 {
		m.Files = c.rec.Files
	}
	m.EditedAt = s.now()
	body := messageJSON(m)
	s.notifyLocked()
	s.mu.Unlock()
	c.reply(http.StatusOK, body)
}

func (s *Server) deleteMessage(c *restCtx) {
	chID := c.param("channel")
	if _, ok := s.checkChannel(c, chID); !ok {
		return
	}
	s.deleteStored(c, func() *storedMessage { return s.findMessageLocked(chID, c.param("message")) })
}

// messageJSON renders a stored message as Discord returns it when read,
// without the nonce (createMessage adds it to its own answer). s.mu must
// be held.
func messageJSON(m *storedMessage) map[string]any {
	embeds := m.Embeds
	if embeds == nil {
		embeds = []*discordgo.MessageEmbed{}
	}
	var comps any = []any{}
	if hasJSON(m.components) {
		comps = m.components
	}
	attachments := make([]map[string]any, 0, len(m.Files))
	for i, f := range m.Files {
		attachments = append(attachments, map[string]any{
			"id": m.ID + strconv.Itoa(i), "filename": f.Name, "size": len(f.Data), "content_type": f.ContentType,
			"url": "https://cdn.discordapp.com/attachments/" + m.ChannelID + "/" + m.ID + "/" + f.Name,
		})
	}
	out := map[string]any{
		"id": m.ID, "type": 0, "channel_id": m.ChannelID, "content": m.Content, "embeds": embeds,
		"components": comps, "attachments": attachments, "author": botUser(),
		"timestamp": m.At.UTC().Format(time.RFC3339Nano), "edited_timestamp": nil,
		"tts": false, "mention_everyone": false, "mentions": []any{}, "mention_roles": []any{},
		"pinned": false, "flags": m.Flags,
	}
	if !m.EditedAt.IsZero() {
		out["edited_timestamp"] = m.EditedAt.UTC().Format(time.RFC3339Nano)
	}
	if m.webhookID != "" {
		out["webhook_id"] = m.webhookID
		out["application_id"] = AppID
	}
	if m.interactionID != "" {
		out["interaction_metadata"] = map[string]any{"id": m.interactionID, "type": 2, "user": map[string]any{"id": DefaultUserID}}
	}
	return out
}
