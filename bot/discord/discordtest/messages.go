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
	// MentionRoles are the roles the message pinged: those its content
	// names (<@&ID>) that allowed_mentions permits and that are
	// mentionable or the bot has Mention Everyone (see AddRole).
	MentionRoles []string
	// MentionEveryone is whether the message pinged @everyone or @here:
	// its content says so, allowed_mentions parses "everyone" and the bot
	// has Mention Everyone (SetMentionEveryone).
	MentionEveryone bool
	// ThreadID is the thread started from the message, "" for none.
	ThreadID string
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
	// thread is the thread started from the message (ThreadID), nil for none.
	thread *channelState
}

type channelState struct {
	id       string
	guildID  string
	typ      discordgo.ChannelType
	name     string
	parentID string
	// tags are a forum's or media channel's available tags, applied a
	// thread's (forum post's) tag IDs.
	tags    []discordgo.ForumTag
	applied []string
	// archived threads: since when (the fake's clock).
	archived   bool
	archivedAt time.Time
	// crossposts are the times of the channel's crossposts (on the fake's
	// clock), for the hourly limit.
	crossposts []time.Time
	forbidden  bool
	deleted    bool
	// noHistory: reading the channel's messages is forbidden (the bot
	// lacks Read Message History), posting is not.
	noHistory bool
	// noSend: posting there is forbidden (ForbidSend), looking it up and
	// reading it are not.
	noSend bool
}

// AddChannel declares a text channel of a guild (listed in GUILD_CREATE and
// GET /guilds/{id}/channels). Messages to undeclared channels are accepted
// too. SetChannelType makes it another kind of channel.
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

// channelLocked returns the state of channel id, making it (a text
// channel of DefaultGuildID) when it is unknown. s.mu must be held.
func (s *Server) channelLocked(id string) *channelState {
	ch := s.channels[id]
	if ch == nil {
		ch = &channelState{id: id, typ: discordgo.ChannelTypeGuildText}
		s.channels[id] = ch
	}
	return ch
}

// guildChannelsLocked lists the declared channels of each guild, threads
// aside (Discord lists those apart). s.mu must be held.
func (s *Server) guildChannelsLocked() map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, ch := range s.channels {
		if ch.guildID != "" && !ch.deleted && !isThread(ch.typ) {
			out[ch.guildID] = append(out[ch.guildID], channelJSON(ch))
		}
	}
	return out
}

// channelJSON renders a channel as Discord returns it. s.mu must be held.
func channelJSON(ch *channelState) map[string]any {
	guild := ch.guildID
	if guild == "" {
		guild = DefaultGuildID
	}
	name := ch.name
	if name == "" {
		name = "channel-" + ch.id
	}
	out := map[string]any{
		"id": ch.id, "type": ch.typ, "guild_id": guild, "name": name,
		"position": 0, "permission_overwrites": []any{}, "nsfw": false, "topic": nil, "parent_id": nil,
		"flags": 0,
	}
	if ch.parentID != "" {
		out["parent_id"] = ch.parentID
	}
	switch {
	case ch.typ == discordgo.ChannelTypeGuildForum || ch.typ == discordgo.ChannelTypeGuildMedia:
		tags := ch.tags
		if tags == nil {
			tags = []discordgo.ForumTag{}
		}
		out["available_tags"] = tags
	case isThread(ch.typ):
		delete(out, "permission_overwrites")
		delete(out, "position")
		applied := ch.applied
		if applied == nil {
			applied = []string{}
		}
		out["applied_tags"] = applied
		out["owner_id"] = BotUserID
		archivedAt := ch.archivedAt
		if archivedAt.IsZero() {
			archivedAt = snowflakeTime(ch.id)
		}
		out["thread_metadata"] = map[string]any{
			"archived": ch.archived, "auto_archive_duration": 1440, "locked": false,
			"archive_timestamp": archivedAt.UTC().Format(time.RFC3339Nano),
		}
	}
	return out
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
	if _, ok := s.checkChannel(c, id); !ok {
		return
	}
	s.mu.Lock()
	body := channelJSON(s.channelLocked(id))
	s.mu.Unlock()
	c.reply(http.StatusOK, body)
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
	if !ok || !s.checkSend(c, chID) {
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
	if !c.messageValid(f) {
		return
	}

	s.mu.Lock()
	if ch := s.channels[chID]; ch != nil && (ch.typ == discordgo.ChannelTypeGuildForum || ch.typ == discordgo.ChannelTypeGuildMedia) {
		s.mu.Unlock()
		c.apiError(http.StatusBadRequest, 50008, "Cannot send messages in a non-text channel")
		return
	}
	var m *storedMessage
	if f.EnforceNonce && nonce != "" {
		m = s.rememberedLocked(chID, nonce)
	}
	if m == nil {
		m = s.addMessageLocked(chID, "", guildID, f, nonce, c)
		if ch := s.channels[chID]; ch != nil && isThread(ch.typ) {
			// A message to an archived thread unarchives it.
			ch.archived, ch.archivedAt = false, time.Time{}
		}
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

// addMessageLocked stores a new message of channel chID with the fields
// of its create request, its mentions worked out as Discord does. id is
// the message's ID, "" for a new snowflake. s.mu must be held.
func (s *Server) addMessageLocked(chID, id, guildID string, f messageFields, nonce string, c *restCtx) *storedMessage {
	at := s.now()
	if id == "" {
		id = s.newIDAtLocked(at)
	}
	m := &storedMessage{
		Message: Message{
			ID: id, ChannelID: chID, Nonce: nonce, Content: f.content(), Embeds: f.embeds(),
			Raw: c.rec.Body, At: at, Files: c.rec.Files,
		},
		guildID: guildID, components: f.Components, allowedMentions: f.AllowedMentions,
	}
	if f.Flags != nil {
		m.Flags = *f.Flags
	}
	m.MentionRoles, m.MentionEveryone = s.mentionsLocked(guildID, m.Content, f.AllowedMentions)
	s.messages = append(s.messages, m)
	s.notifyLocked()
	return m
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

// DropResponseAfterCreate makes the next accepted create in channelID lose
// its answer: a message posted to it (channelID may be a thread), a forum
// post made in it (POST /channels/{forum}/threads), or a thread started
// from one of its messages. The fake handles the request (creates the
// message, forum post or thread, or finds the earlier message for a nonce
// still in the window), then closes the TCP connection without writing a
// response. This is "Discord
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
	mentionRoles := m.MentionRoles
	if mentionRoles == nil {
		mentionRoles = []string{}
	}
	out := map[string]any{
		"id": m.ID, "type": 0, "channel_id": m.ChannelID, "content": m.Content, "embeds": embeds,
		"components": comps, "attachments": attachments, "author": botUser(),
		"timestamp": m.At.UTC().Format(time.RFC3339Nano), "edited_timestamp": nil,
		"tts": false, "mention_everyone": m.MentionEveryone, "mentions": []any{}, "mention_roles": mentionRoles,
		"pinned": false, "flags": m.Flags,
	}
	if m.thread != nil {
		out["thread"] = channelJSON(m.thread)
		out["flags"] = m.Flags | discordgo.MessageFlagsHasThread
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

// messageValid answers a message body Discord refuses, empty (nothing to
// show, no file) or invalid, with Discord's error, and reports whether the
// body is good.
func (c *restCtx) messageValid(f messageFields) bool {
	if f.content() == "" && len(f.embeds()) == 0 && !hasJSON(f.Components) && len(f.StickerIDs) == 0 && !hasJSON(f.Poll) && len(c.rec.Files) == 0 {
		c.apiError(http.StatusBadRequest, 50006, "Cannot send an empty message")
		return false
	}
	if errs := validateMessage(f.content(), f.embeds()); len(errs) > 0 {
		c.formError(errs)
		return false
	}
	return true
}
