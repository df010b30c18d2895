package discordtest

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/bwmarrin/discordgo"
)

// Limits of GET /channels/{channel.id}/messages.
const (
	// DefaultHistoryLimit is the number of messages returned without limit.
	DefaultHistoryLimit = 50
	// MaxHistoryLimit is the largest accepted limit.
	MaxHistoryLimit = 100
)

// ForbidReadHistory makes reading a channel's messages
// (GET /channels/{id}/messages) fail with 403 Missing Access (50001), as for
// a bot without the Read Message History permission, while posting there
// still works. It models a bot invited without that permission, whose
// read-back of its own posts is refused.
func (s *Server) ForbidReadHistory(channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channelLocked(channelID).noHistory = true
}

// AllowReadHistory undoes ForbidReadHistory, as when the permission is
// granted later.
func (s *Server) AllowReadHistory(channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channelLocked(channelID).noHistory = false
}

// historyQuery is the decoded query of a channel messages read.
type historyQuery struct {
	limit int
	// anchor is the message ID of before, after or around (0 = none);
	// mode is which one ("" = the newest messages).
	anchor uint64
	mode   string
}

// parseHistoryQuery checks the query like Discord does: limit 1-100
// (default 50), before/after/around snowflakes. Discord documents the three
// as mutually exclusive without saying what it does with more than one; the
// fake refuses that with 400, so a test catches a client that relies on it.
func parseHistoryQuery(c *restCtx) (historyQuery, map[string]string) {
	q := c.r.URL.Query()
	errs := map[string]string{}
	h := historyQuery{limit: DefaultHistoryLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			errs["limit"] = fmt.Sprintf("Value %q is not int.", v)
		case n < 1 || n > MaxHistoryLimit:
			errs["limit"] = fmt.Sprintf("int value should be between 1 and %d.", MaxHistoryLimit)
		default:
			h.limit = n
		}
	}
	for _, mode := range []string{"before", "after", "around"} {
		v := q.Get(mode)
		if v == "" {
			continue
		}
		id, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			errs[mode] = fmt.Sprintf("Value %q is not snowflake.", v)
			continue
		}
		if h.mode != "" {
			errs[mode] = fmt.Sprintf("%s and %s are mutually exclusive.", h.mode, mode)
			continue
		}
		h.mode, h.anchor = mode, id
	}
	return h, errs
}

// listMessages answers GET /channels/{channel}/messages: up to limit
// messages of the channel, newest first whatever the query (as Discord):
//   - no anchor: the newest messages;
//   - before=ID: the newest messages older than ID;
//   - after=ID: the oldest messages newer than ID (the page right after ID,
//     so that paging forward with after=<newest seen> skips nothing);
//   - around=ID: limit messages centred on ID: limit/2 older than ID, then
//     ID and newer ones (more older ones when ID is among the newest).
//
// The messages carry no nonce: Discord returns it only to the post that
// created the message.
func (s *Server) listMessages(c *restCtx) {
	chID := c.param("channel")
	if _, ok := s.checkChannel(c, chID); !ok {
		return
	}
	s.mu.Lock()
	noHistory := s.channels[chID] != nil && s.channels[chID].noHistory
	s.mu.Unlock()
	if noHistory {
		c.apiError(http.StatusForbidden, 50001, "Missing Access")
		return
	}
	h, errs := parseHistoryQuery(c)
	if len(errs) > 0 {
		c.formError(errs)
		return
	}

	s.mu.Lock()
	msgs := s.historyLocked(chID)
	var page []*storedMessage
	switch h.mode {
	case "before":
		i := firstAtOrAfter(msgs, h.anchor)
		page = msgs[max(0, i-h.limit):i]
	case "after":
		i := len(msgs)
		if h.anchor < math.MaxUint64 {
			i = firstAtOrAfter(msgs, h.anchor+1)
		}
		page = msgs[i:min(len(msgs), i+h.limit)]
	case "around":
		start := max(0, firstAtOrAfter(msgs, h.anchor)-h.limit/2)
		end := min(len(msgs), start+h.limit)
		page = msgs[max(0, end-h.limit):end]
	default:
		page = msgs[max(0, len(msgs)-h.limit):]
	}
	out := make([]map[string]any, 0, len(page))
	for i := len(page) - 1; i >= 0; i-- {
		out = append(out, messageJSON(page[i]))
	}
	s.mu.Unlock()
	c.reply(http.StatusOK, out)
}

// historyLocked returns the messages a channel shows, oldest first: the
// channel messages and the non-ephemeral interaction responses and
// followups posted there (on Discord those are channel messages too, so a
// client reading back its posts must tell them apart). s.mu must be held.
func (s *Server) historyLocked(chID string) []*storedMessage {
	var out []*storedMessage
	add := func(m *storedMessage) {
		if m != nil && !m.deleted && m.ChannelID == chID && m.Flags&discordgo.MessageFlagsEphemeral == 0 {
			out = append(out, m)
		}
	}
	for _, m := range s.messages {
		add(m)
	}
	for _, st := range s.interactionsByID {
		add(st.original)
	}
	for _, fs := range s.followups {
		for _, m := range fs {
			add(m)
		}
	}
	slices.SortFunc(out, func(a, b *storedMessage) int { return cmp.Compare(snowflake(a.ID), snowflake(b.ID)) })
	return out
}

// snowflake parses an ID the fake made (always a valid snowflake).
func snowflake(id string) uint64 {
	n, _ := strconv.ParseUint(id, 10, 64)
	return n
}

// firstAtOrAfter returns the index of the first message (msgs sorted by
// ID) whose ID is at least id.
func firstAtOrAfter(msgs []*storedMessage, id uint64) int {
	i, _ := slices.BinarySearchFunc(msgs, id, func(m *storedMessage, id uint64) int { return cmp.Compare(snowflake(m.ID), id) })
	return i
}
