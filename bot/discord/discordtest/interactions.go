package discordtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Reply is the bot's final answer to an interaction.
type Reply struct {
	// Type is the callback type (4, 5, 6, 7, 8, 9...).
	Type discordgo.InteractionResponseType
	// Data is the decoded final message data. For a deferred reply it is the
	// edit of @original (content, embeds, allowed_mentions...) or the first
	// followup, with Flags taken from the deferred callback.
	Data discordgo.InteractionResponseData
	// Raw is the raw JSON of the final message: the callback's "data" for an
	// immediate reply, the edit's (or followup's) body for a deferred one.
	Raw json.RawMessage
	// Deferred is true when the callback was type 5 or 6.
	Deferred bool
	// ViaFollowup is true when a deferred reply was completed by a followup
	// message rather than by editing @original.
	ViaFollowup bool
	// Callback is the raw JSON body of the interaction callback.
	Callback json.RawMessage
	// Interaction is the interaction as dispatched (with its ID and Token).
	Interaction *discordgo.Interaction
	// Rejected lists the error responses the fake sent to the bot's attempts
	// to answer (e.g. an invalid form body) before the final answer arrived.
	// Later attempts (a second acknowledgement) are not in it, however soon
	// they follow: see Server.Rejections for those.
	Rejected []string
}

// ErrNotAcknowledged is returned by Interact when the bot did not call the
// interaction callback within the interaction deadline (Discord shows
// "The application did not respond").
var ErrNotAcknowledged = errors.New("discordtest: interaction not acknowledged in time")

type interactionState struct {
	in         *discordgo.Interaction
	dispatched time.Time

	ackType  discordgo.InteractionResponseType // 0 until acknowledged
	callback json.RawMessage
	ackData  json.RawMessage
	ackFlags discordgo.MessageFlags

	original *storedMessage // @original (nil before the callback)
	done     bool
	reply    Reply
	rejected []string
}

// Interact dispatches an INTERACTION_CREATE for in on a live gateway
// session of the shard owning its guild (shard 0 for a DM) and waits for the bot's final answer. Empty fields are filled in:
// ID, Token, AppID, Version 1, GuildID DefaultGuildID, ChannelID
// DefaultChannelID, Member (user DefaultUserID, all permissions), and, for
// application commands, Data.ID from the registered command of that name.
// For deferred callbacks (5, 6) it waits for the PATCH of @original (or a
// first followup). It fails when ctx ends, or with ErrNotAcknowledged when
// the interaction deadline passes without a successful callback.
func (s *Server) Interact(ctx context.Context, in *discordgo.Interaction) (*Reply, error) {
	if in == nil {
		return nil, errors.New("discordtest: nil interaction")
	}
	cp := *in
	in = &cp
	s.fillInteraction(in)
	raw, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("discordtest: encode interaction: %w", err)
	}

	st := &interactionState{in: in}
	var sess *gwSession
	if err := s.waitFor(ctx, func() bool {
		c := s.readyConnForLocked(in.GuildID)
		if c == nil {
			return false
		}
		sess = c.session
		st.dispatched = time.Now()
		s.interactionsByID[in.ID] = st
		s.interactionsByToken[in.Token] = st
		return true
	}); err != nil {
		return nil, fmt.Errorf("discordtest: no ready gateway session: %w", err)
	}
	sess.dispatch("INTERACTION_CREATE", raw)

	var deadline <-chan time.Time
	if s.ackDeadline > 0 {
		tm := time.NewTimer(s.ackDeadline)
		defer tm.Stop()
		deadline = tm.C
	}
	for {
		s.mu.Lock()
		if st.done {
			r := st.reply
			r.Rejected = append([]string(nil), r.Rejected...)
			s.mu.Unlock()
			return &r, nil
		}
		acked := st.ackType != 0
		rejected := strings.Join(st.rejected, "; ")
		ch := s.changed
		s.mu.Unlock()
		if acked {
			deadline = nil
		}
		select {
		case <-ch:
		case <-deadline:
			s.mu.Lock()
			acked = st.ackType != 0
			s.mu.Unlock()
			if !acked {
				if rejected != "" {
					return nil, fmt.Errorf("%w (rejected attempts: %s)", ErrNotAcknowledged, rejected)
				}
				return nil, ErrNotAcknowledged
			}
		case <-ctx.Done():
			state := "no callback"
			if acked {
				state = "deferred, no edit of @original"
			}
			if rejected != "" {
				state += "; rejected attempts: " + rejected
			}
			return nil, fmt.Errorf("discordtest: interaction %s unanswered (%s): %w", in.ID, state, ctx.Err())
		case <-s.done:
			return nil, errServerClosed
		}
	}
}

func (s *Server) fillInteraction(in *discordgo.Interaction) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ID == "" {
		in.ID = s.newIDLocked()
	}
	if in.Token == "" {
		in.Token = "itoken-" + randomHex(24)
	}
	if in.AppID == "" {
		in.AppID = AppID
	}
	if in.Version == 0 {
		in.Version = 1
	}
	if in.Type == 0 {
		switch in.Data.(type) {
		case discordgo.MessageComponentInteractionData, *discordgo.MessageComponentInteractionData:
			in.Type = discordgo.InteractionMessageComponent
		case discordgo.ModalSubmitInteractionData, *discordgo.ModalSubmitInteractionData:
			in.Type = discordgo.InteractionModalSubmit
		default:
			in.Type = discordgo.InteractionApplicationCommand
		}
	}
	if in.GuildID == "" && in.User == nil {
		in.GuildID = DefaultGuildID
	}
	if in.ChannelID == "" {
		in.ChannelID = DefaultChannelID
	}
	if in.Member == nil && in.User == nil {
		in.Member = &discordgo.Member{
			GuildID:     in.GuildID,
			JoinedAt:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
			User:        &discordgo.User{ID: DefaultUserID, Username: "tester", Discriminator: "0"},
			Roles:       []string{},
			Permissions: discordgo.PermissionAll,
		}
	}
	if in.Locale == "" {
		in.Locale = discordgo.EnglishUS
	}
	if in.AppPermissions == 0 {
		in.AppPermissions = discordgo.PermissionAll
	}
	switch d := in.Data.(type) {
	case discordgo.ApplicationCommandInteractionData:
		s.fillCommandDataLocked(in.GuildID, &d)
		in.Data = d
	case *discordgo.ApplicationCommandInteractionData:
		c := *d
		s.fillCommandDataLocked(in.GuildID, &c)
		in.Data = c
	}
}

func (s *Server) fillCommandDataLocked(guildID string, d *discordgo.ApplicationCommandInteractionData) {
	if d.CommandType == 0 {
		d.CommandType = discordgo.ChatApplicationCommand
	}
	if d.ID != "" {
		return
	}
	for _, g := range []string{guildID, ""} {
		for _, c := range s.commands[g] {
			if c.Name == d.Name && commandType(c) == d.CommandType {
				d.ID = c.ID
				return
			}
		}
	}
	d.ID = s.newIDLocked()
}

// Followups returns the followup messages created for an interaction token.
func (s *Server) Followups(token string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.followups[token] {
		if !m.deleted {
			out = append(out, m.Message)
		}
	}
	return out
}

// finishLocked marks the final answer as arrived and freezes
// Reply.Rejected. The snapshot is taken here, not when Interact wakes up:
// the bot may make further (rejected) attempts before Interact's goroutine
// runs, so a later copy would depend on scheduling. s.mu must be held.
func (st *interactionState) finishLocked() {
	st.done = true
	st.reply.Rejected = append([]string(nil), st.rejected...)
}

// Rejections returns every error response the fake sent to the bot's
// attempts to answer the interaction with this ID, including those after
// its final answer (such as a double acknowledgement, 40060). The fake
// records a rejection before answering, so once the bot's call has
// returned its error, the rejection is listed.
func (s *Server) Rejections(interactionID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.interactionsByID[interactionID]; st != nil {
		return append([]string(nil), st.rejected...)
	}
	return nil
}

// rejectLocked records an error answer to the bot for an interaction.
func (st *interactionState) rejectLocked(status int, msg string) {
	st.rejected = append(st.rejected, fmt.Sprintf("%d %s", status, msg))
}

func (s *Server) interactionCallback(c *restCtx) {
	s.mu.Lock()
	st := s.interactionsByID[c.param("interaction")]
	if st == nil || st.in.Token != c.param("token") {
		s.mu.Unlock()
		c.apiError(http.StatusNotFound, 10062, "Unknown interaction")
		return
	}
	if s.ackDeadline > 0 && c.rec.At.Sub(st.dispatched) > s.ackDeadline && st.ackType == 0 {
		st.rejectLocked(404, "Unknown interaction (callback after the deadline)")
		s.mu.Unlock()
		c.apiError(http.StatusNotFound, 10062, "Unknown interaction")
		return
	}
	if st.ackType != 0 {
		st.rejectLocked(400, "Interaction has already been acknowledged")
		s.notifyLocked()
		s.mu.Unlock()
		c.apiError(http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
		return
	}
	itype := st.in.Type
	s.mu.Unlock()

	reject := func(status int, msg string, errs map[string]string) {
		s.mu.Lock()
		st.rejectLocked(status, msg)
		s.notifyLocked()
		s.mu.Unlock()
		if errs != nil {
			c.formError(errs)
		} else {
			c.apiError(status, 50035, msg)
		}
	}

	var cb struct {
		Type discordgo.InteractionResponseType `json:"type"`
		Data json.RawMessage                   `json:"data"`
	}
	if err := json.Unmarshal(c.rec.Body, &cb); err != nil {
		reject(400, "Invalid Form Body: "+err.Error(), map[string]string{"_": err.Error()})
		return
	}
	if !callbackAllowed(itype, cb.Type) {
		reject(400, fmt.Sprintf("callback type %d is not valid for interaction type %d", cb.Type, itype),
			map[string]string{"type": "Interaction response type is not valid for this interaction"})
		return
	}
	data, err := decodeResponseData(cb.Data)
	if err != nil {
		reject(400, "Invalid Form Body: "+err.Error(), map[string]string{"data": err.Error()})
		return
	}
	f, _ := decodeMessageFields(cb.Data)
	switch cb.Type {
	case discordgo.InteractionResponseChannelMessageWithSource, discordgo.InteractionResponseUpdateMessage:
		if cb.Type == discordgo.InteractionResponseChannelMessageWithSource &&
			data.Content == "" && len(data.Embeds) == 0 && len(data.Components) == 0 && len(c.rec.Files) == 0 && data.Poll == nil {
			s.mu.Lock()
			st.rejectLocked(400, "Cannot send an empty message")
			s.notifyLocked()
			s.mu.Unlock()
			c.apiError(http.StatusBadRequest, 50006, "Cannot send an empty message")
			return
		}
		if errs := validateMessage(data.Content, data.Embeds); len(errs) > 0 {
			reject(400, "Invalid Form Body: "+fmt.Sprint(errs), errs)
			return
		}
	case discordgo.InteractionApplicationCommandAutocompleteResult:
		if errs := validateChoices(data.Choices); len(errs) > 0 {
			reject(400, "Invalid Form Body: "+fmt.Sprint(errs), errs)
			return
		}
	case discordgo.InteractionResponseModal:
		if data.CustomID == "" || data.Title == "" || len(data.Components) == 0 {
			reject(400, "Invalid Form Body: modal needs custom_id, title and components", map[string]string{"data": "modal needs custom_id, title and components"})
			return
		}
	}

	s.mu.Lock()
	if st.ackType != 0 { // lost a race with a concurrent callback
		st.rejectLocked(400, "Interaction has already been acknowledged")
		s.notifyLocked()
		s.mu.Unlock()
		c.apiError(http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
		return
	}
	st.ackType = cb.Type
	st.callback = c.rec.Body
	st.ackData = cb.Data
	st.ackFlags = data.Flags
	st.reply = Reply{Type: cb.Type, Callback: c.rec.Body, Interaction: st.in}
	switch cb.Type {
	case discordgo.InteractionResponseDeferredChannelMessageWithSource, discordgo.InteractionResponseDeferredMessageUpdate:
		st.reply.Deferred = true
		id, at := s.stampLocked()
		st.original = &storedMessage{
			Message:       Message{ID: id, ChannelID: st.in.ChannelID, At: at, Flags: data.Flags | discordgo.MessageFlagsLoading},
			webhookID:     AppID,
			interactionID: st.in.ID,
		}
	default:
		st.finishLocked()
		st.reply.Data = data
		st.reply.Raw = cb.Data
		if cb.Type == discordgo.InteractionResponseChannelMessageWithSource || cb.Type == discordgo.InteractionResponseUpdateMessage {
			id, at := s.stampLocked()
			st.original = &storedMessage{
				Message: Message{
					ID: id, ChannelID: st.in.ChannelID, Content: data.Content, Embeds: data.Embeds,
					Raw: cb.Data, At: at, Flags: data.Flags, Files: c.rec.Files,
				},
				components: f.Components, allowedMentions: data.AllowedMentions,
				webhookID: AppID, interactionID: st.in.ID,
			}
		}
	}
	s.notifyLocked()
	s.mu.Unlock()
	c.noContent()
}

// callbackAllowed reports whether a callback type is valid for an interaction type.
func callbackAllowed(it discordgo.InteractionType, rt discordgo.InteractionResponseType) bool {
	switch it {
	case discordgo.InteractionPing:
		return rt == discordgo.InteractionResponsePong
	case discordgo.InteractionApplicationCommand:
		return rt == 4 || rt == 5 || rt == 9
	case discordgo.InteractionMessageComponent:
		return rt == 4 || rt == 5 || rt == 6 || rt == 7 || rt == 9
	case discordgo.InteractionApplicationCommandAutocomplete:
		return rt == discordgo.InteractionApplicationCommandAutocompleteResult
	case discordgo.InteractionModalSubmit:
		return rt == 4 || rt == 5 || rt == 6 || rt == 7
	}
	return false
}

// webhookInteraction resolves the interaction of a webhook route; it replies
// 404 Unknown Webhook and returns nil when the token is unknown or the
// interaction was not acknowledged yet.
func (s *Server) webhookInteraction(c *restCtx) *interactionState {
	s.mu.Lock()
	st := s.interactionsByToken[c.param("token")]
	ok := st != nil && c.param("app") == AppID && st.ackType != 0
	if st != nil && !ok {
		st.rejectLocked(404, "Unknown Webhook ("+c.rec.Method+" "+c.rec.Path+" before the callback)")
		s.notifyLocked()
	}
	s.mu.Unlock()
	if !ok {
		c.apiError(http.StatusNotFound, 10015, "Unknown Webhook")
		return nil
	}
	return st
}

func (s *Server) createFollowup(c *restCtx) {
	st := s.webhookInteraction(c)
	if st == nil {
		return
	}
	f, err := decodeMessageFields(c.rec.Body)
	if err != nil {
		c.formError(map[string]string{"_": err.Error()})
		return
	}
	if f.content() == "" && len(f.embeds()) == 0 && !hasJSON(f.Components) && len(c.rec.Files) == 0 && !hasJSON(f.Poll) {
		s.mu.Lock()
		st.rejectLocked(400, "Cannot send an empty message")
		s.notifyLocked()
		s.mu.Unlock()
		c.apiError(http.StatusBadRequest, 50006, "Cannot send an empty message")
		return
	}
	if errs := validateMessage(f.content(), f.embeds()); len(errs) > 0 {
		s.mu.Lock()
		st.rejectLocked(400, "Invalid Form Body: "+fmt.Sprint(errs))
		s.notifyLocked()
		s.mu.Unlock()
		c.formError(errs)
		return
	}
	data, err := decodeResponseData(c.rec.Body)
	if err != nil {
		c.formError(map[string]string{"_": err.Error()})
		return
	}

	s.mu.Lock()
	id, at := s.stampLocked()
	m := &storedMessage{
		Message: Message{
			ID: id, ChannelID: st.in.ChannelID, Content: f.content(), Embeds: f.embeds(),
			Raw: c.rec.Body, At: at, Flags: data.Flags, Files: c.rec.Files,
		},
		components: f.Components, allowedMentions: f.AllowedMentions, webhookID: AppID, interactionID: st.in.ID,
	}
	tok := st.in.Token
	s.followups[tok] = append(s.followups[tok], m)
	if st.reply.Deferred && !st.done {
		// The first followup after a deferred response replaces the loading
		// message and keeps its flags, unless the bot deleted that message:
		// then the followup is a message of its own, with its own flags.
		st.finishLocked()
		st.reply.ViaFollowup = true
		st.reply.Raw = c.rec.Body
		st.reply.Data = data
		if st.original == nil || !st.original.deleted {
			st.reply.Data.Flags = st.ackFlags
		}
	}
	body := messageJSON(m)
	s.notifyLocked()
	s.mu.Unlock()
	if c.r.URL.Query().Get("wait") == "true" {
		c.reply(http.StatusOK, body)
		return
	}
	c.noContent()
}

// webhookMessage finds @original or a followup of an interaction. s.mu must be held.
func (s *Server) webhookMessageLocked(st *interactionState, id string) *storedMessage {
	if id == "@original" {
		if st.original != nil && !st.original.deleted {
			return st.original
		}
		return nil
	}
	if st.original != nil && st.original.ID == id && !st.original.deleted {
		return st.original
	}
	for _, m := range s.followups[st.in.Token] {
		if m.ID == id && !m.deleted {
			return m
		}
	}
	return nil
}

func (s *Server) getWebhookMessage(c *restCtx) {
	st := s.webhookInteraction(c)
	if st == nil {
		return
	}
	s.replyStored(c, func() *storedMessage { return s.webhookMessageLocked(st, c.param("message")) })
}

func (s *Server) editWebhookMessage(c *restCtx) {
	st := s.webhookInteraction(c)
	if st == nil {
		return
	}
	id := c.param("message")
	s.mu.Lock()
	m := s.webhookMessageLocked(st, id)
	s.mu.Unlock()
	if m == nil {
		c.apiError(http.StatusNotFound, 10008, "Unknown Message")
		return
	}
	s.applyEdit(c, m)
	if c.rec.Status != http.StatusOK {
		s.mu.Lock()
		st.rejectLocked(c.rec.Status, "edit of "+id+" failed")
		s.notifyLocked()
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m == st.original {
		m.Flags &^= discordgo.MessageFlagsLoading
	}
	if m == st.original && st.reply.Deferred && !st.done {
		data, err := decodeResponseData(c.rec.Body)
		if err == nil {
			st.finishLocked()
			st.reply.Raw = c.rec.Body
			st.reply.Data = data
			st.reply.Data.Flags = st.ackFlags
		}
	}
	s.notifyLocked()
}

func (s *Server) deleteWebhookMessage(c *restCtx) {
	st := s.webhookInteraction(c)
	if st == nil {
		return
	}
	s.deleteStored(c, func() *storedMessage { return s.webhookMessageLocked(st, c.param("message")) })
}
