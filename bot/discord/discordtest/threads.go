package discordtest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Limits of threads and forum posts.
const (
	// MaxThreadName is the longest thread or forum post name (in characters).
	MaxThreadName = 100
	// MaxAppliedTags is how many tags a forum post may have.
	MaxAppliedTags = 5
	// DefaultArchivedLimit is how many archived threads one read returns
	// without limit.
	DefaultArchivedLimit = 50
)

func init() {
	handle("POST", "/channels/{channel}/threads", (*Server).createThread)
	handle("POST", "/channels/{channel}/messages/{message}/threads", (*Server).startMessageThread)
	handle("GET", "/guilds/{guild}/threads/active", (*Server).activeThreads)
	handle("GET", "/channels/{channel}/threads/archived/public", (*Server).archivedThreads)
}

// isThread reports the thread types: announcement, public and private threads.
func isThread(t discordgo.ChannelType) bool {
	return t == discordgo.ChannelTypeGuildNewsThread || t == discordgo.ChannelTypeGuildPublicThread ||
		t == discordgo.ChannelTypeGuildPrivateThread
}

func isForum(t discordgo.ChannelType) bool {
	return t == discordgo.ChannelTypeGuildForum || t == discordgo.ChannelTypeGuildMedia
}

// snowflakeTime is the creation time an ID of the fake carries.
func snowflakeTime(id string) time.Time {
	return time.UnixMilli(int64(snowflake(id)>>22) + discordEpoch)
}

// SetChannelType makes a channel one of another type: 0 text, 5
// announcement (crossposts), 15 forum or 16 media (posts are threads made
// with POST /channels/{id}/threads; messages cannot be posted to it
// directly: 400, 50008).
func (s *Server) SetChannelType(channelID string, typ discordgo.ChannelType) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channelLocked(channelID).typ = typ
}

// SetChannelName names a channel (default "channel-ID").
func (s *Server) SetChannelName(channelID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channelLocked(channelID).name = name
}

// SetForumTags gives a forum or media channel its available tags, by name,
// and returns them with the IDs the fake gave them.
func (s *Server) SetForumTags(channelID string, names ...string) []discordgo.ForumTag {
	s.mu.Lock()
	defer s.mu.Unlock()
	tags := make([]discordgo.ForumTag, 0, len(names))
	for _, n := range names {
		tags = append(tags, discordgo.ForumTag{ID: s.newIDLocked(), Name: n})
	}
	s.channelLocked(channelID).tags = tags
	return slices.Clone(tags)
}

// Thread is a thread or forum post as the fake holds it.
type Thread struct {
	ID, GuildID, ParentID, Name string
	Type                        discordgo.ChannelType
	// AppliedTags are a forum post's tag IDs.
	AppliedTags []string
	Archived    bool
}

// Threads returns the threads started in parentID ("" = every channel),
// archived ones included, oldest first.
func (s *Server) Threads(parentID string) []Thread {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Thread
	for _, ch := range s.threadsLocked(func(ch *channelState) bool { return parentID == "" || ch.parentID == parentID }) {
		out = append(out, Thread{ID: ch.id, GuildID: ch.guildID, ParentID: ch.parentID, Name: ch.name, Type: ch.typ,
			AppliedTags: slices.Clone(ch.applied), Archived: ch.archived})
	}
	return out
}

// threadsLocked returns the threads that keep returns true for, not
// deleted, oldest first. s.mu must be held.
func (s *Server) threadsLocked(keep func(*channelState) bool) []*channelState {
	var out []*channelState
	for _, ch := range s.channels {
		if isThread(ch.typ) && !ch.deleted && keep(ch) {
			out = append(out, ch)
		}
	}
	slices.SortFunc(out, func(a, b *channelState) int { return cmp.Compare(snowflake(a.id), snowflake(b.id)) })
	return out
}

// ArchiveThread archives a thread now (the fake's clock), as Discord does
// after its auto-archive duration without activity: it leaves the guild's
// active threads for its parent's archived ones. A message posted to it
// unarchives it.
func (s *Server) ArchiveThread(threadID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channelLocked(threadID)
	ch.archived, ch.archivedAt = true, s.now()
	s.notifyLocked()
}

// WaitThreads waits until at least n threads exist in parentID and returns them.
func (s *Server) WaitThreads(ctx context.Context, parentID string, n int) ([]Thread, error) {
	var count int
	err := s.waitFor(ctx, func() bool {
		count = len(s.threadsLocked(func(ch *channelState) bool { return ch.parentID == parentID }))
		return count >= n
	})
	if err != nil {
		return nil, err
	}
	return s.Threads(parentID), nil
}

// threadBody is the body of a thread's creation.
type threadBody struct {
	Name        string                 `json:"name"`
	Type        *discordgo.ChannelType `json:"type"`
	AppliedTags []string               `json:"applied_tags"`
	Message     json.RawMessage        `json:"message"`
}

func checkThreadName(name string) map[string]string {
	if n := utf8.RuneCountInString(name); n < 1 || n > MaxThreadName {
		return map[string]string{"name": fmt.Sprintf("Must be between 1 and %d in length.", MaxThreadName)}
	}
	return nil
}

// threadRequest checks a request to make a thread in channel (the bot may
// post there) and reads its body (a name Discord takes), answering the
// request itself when either fails.
func (s *Server) threadRequest(c *restCtx, channel string) (guildID string, b threadBody, ok bool) {
	if guildID, ok = s.checkChannel(c, channel); !ok || !s.checkSend(c, channel) {
		return "", b, false
	}
	if err := json.Unmarshal(c.rec.Body, &b); err != nil {
		c.formError(map[string]string{"_": err.Error()})
		return "", b, false
	}
	if errs := checkThreadName(b.Name); errs != nil {
		c.formError(errs)
		return "", b, false
	}
	return guildID, b, true
}

// createThread answers POST /channels/{channel}/threads: in a forum or
// media channel a post, a public thread whose starter message (the
// body's message) has the thread's ID and is its first message; in a text
// or announcement channel a thread without a message.
func (s *Server) createThread(c *restCtx) {
	parentID := c.param("channel")
	guildID, b, ok := s.threadRequest(c, parentID)
	if !ok {
		return
	}
	s.mu.Lock()
	parent := s.channelLocked(parentID)
	typ, tags := parent.typ, slices.Clone(parent.tags)
	s.mu.Unlock()

	if !isForum(typ) {
		if typ != discordgo.ChannelTypeGuildText && typ != discordgo.ChannelTypeGuildNews {
			c.apiError(http.StatusBadRequest, 50024, "Cannot execute action on this channel type")
			return
		}
		threadType := discordgo.ChannelTypeGuildPublicThread
		if typ == discordgo.ChannelTypeGuildNews {
			threadType = discordgo.ChannelTypeGuildNewsThread
		} else if b.Type != nil && *b.Type == discordgo.ChannelTypeGuildPrivateThread {
			threadType = discordgo.ChannelTypeGuildPrivateThread
		}
		s.mu.Lock()
		th := s.newThreadLocked(s.newIDLocked(), guildID, parentID, b.Name, threadType)
		body := channelJSON(th)
		drop := s.takeDropLocked(parentID)
		s.mu.Unlock()
		s.answerCreate(c, drop, body)
		return
	}

	if !hasJSON(b.Message) {
		c.formError(map[string]string{"message": "This field is required"})
		return
	}
	if len(b.AppliedTags) > MaxAppliedTags {
		c.formError(map[string]string{"applied_tags": fmt.Sprintf("Must be %d or fewer in length.", MaxAppliedTags)})
		return
	}
	for i, id := range b.AppliedTags {
		if !slices.ContainsFunc(tags, func(t discordgo.ForumTag) bool { return t.ID == id }) {
			c.formError(map[string]string{"applied_tags." + strconv.Itoa(i): "Tag " + id + " is not an available tag of the channel."})
			return
		}
	}
	f, err := decodeMessageFields(b.Message)
	if err != nil {
		c.formError(map[string]string{"message": err.Error()})
		return
	}
	if !c.messageValid(f) {
		return
	}
	s.mu.Lock()
	id := s.newIDLocked()
	th := s.newThreadLocked(id, guildID, parentID, b.Name, discordgo.ChannelTypeGuildPublicThread)
	th.applied = slices.Clone(b.AppliedTags)
	starter := s.addMessageLocked(id, id, guildID, f, "", c)
	body := channelJSON(th)
	body["message"] = messageJSON(starter)
	drop := s.takeDropLocked(parentID)
	s.mu.Unlock()
	s.answerCreate(c, drop, body)
}

// newThreadLocked makes a thread. s.mu must be held.
func (s *Server) newThreadLocked(id, guildID, parentID, name string, typ discordgo.ChannelType) *channelState {
	th := s.channelLocked(id)
	th.guildID, th.parentID, th.name, th.typ = guildID, parentID, name, typ
	s.notifyLocked()
	return th
}

// answerCreate answers a create with body, or loses the answer when a
// DropResponseAfterCreate said so.
func (s *Server) answerCreate(c *restCtx, drop bool, body map[string]any) {
	if drop {
		c.dropConnection()
		return
	}
	c.reply(http.StatusCreated, body)
}

// startMessageThread answers POST /channels/{channel}/messages/{message}/threads:
// a thread whose ID is the message's, in a text channel (public thread) or
// an announcement channel (announcement thread). A message has one thread
// at most (400, 160004).
func (s *Server) startMessageThread(c *restCtx) {
	chID, msgID := c.param("channel"), c.param("message")
	guildID, b, ok := s.threadRequest(c, chID)
	if !ok {
		return
	}
	s.mu.Lock()
	typ := s.channelLocked(chID).typ
	m := s.findMessageLocked(chID, msgID)
	switch {
	case typ != discordgo.ChannelTypeGuildText && typ != discordgo.ChannelTypeGuildNews:
		s.mu.Unlock()
		c.apiError(http.StatusBadRequest, 50024, "Cannot execute action on this channel type")
		return
	case m == nil:
		s.mu.Unlock()
		c.apiError(http.StatusNotFound, 10008, "Unknown Message")
		return
	case m.thread != nil:
		s.mu.Unlock()
		c.apiError(http.StatusBadRequest, 160004, "A thread has already been created for this message")
		return
	}
	threadType := discordgo.ChannelTypeGuildPublicThread
	if typ == discordgo.ChannelTypeGuildNews {
		threadType = discordgo.ChannelTypeGuildNewsThread
	}
	th := s.newThreadLocked(msgID, guildID, chID, b.Name, threadType)
	m.thread, m.ThreadID = th, th.id
	m.Flags |= discordgo.MessageFlagsHasThread
	body := channelJSON(th)
	drop := s.takeDropLocked(chID)
	s.mu.Unlock()
	s.answerCreate(c, drop, body)
}

// activeThreads answers GET /guilds/{guild}/threads/active: the guild's
// threads that are not archived, newest first.
func (s *Server) activeThreads(c *restCtx) {
	guild := c.param("guild")
	s.mu.Lock()
	threads := s.threadsLocked(func(ch *channelState) bool {
		g := ch.guildID
		if g == "" {
			g = DefaultGuildID
		}
		return g == guild && !ch.archived
	})
	out := make([]map[string]any, 0, len(threads))
	for i := len(threads) - 1; i >= 0; i-- {
		out = append(out, channelJSON(threads[i]))
	}
	s.mu.Unlock()
	c.reply(http.StatusOK, map[string]any{"threads": out, "members": []any{}})
}

// archivedThreads answers GET /channels/{channel}/threads/archived/public:
// the channel's archived public (and announcement) threads, most recently
// archived first, those archived before the before timestamp (ISO 8601)
// when given, up to limit (1-100, default 50), with has_more. Like
// reading messages, it needs Read Message History (ForbidReadHistory).
func (s *Server) archivedThreads(c *restCtx) {
	chID := c.param("channel")
	if _, ok := s.checkChannel(c, chID); !ok {
		return
	}
	s.mu.Lock()
	noHistory := s.channelLocked(chID).noHistory
	s.mu.Unlock()
	if noHistory {
		c.apiError(http.StatusForbidden, 50001, "Missing Access")
		return
	}
	q := c.r.URL.Query()
	limit := DefaultArchivedLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxHistoryLimit {
			c.formError(map[string]string{"limit": fmt.Sprintf("int value should be between 1 and %d.", MaxHistoryLimit)})
			return
		}
		limit = n
	}
	var before time.Time
	if v := q.Get("before"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			c.formError(map[string]string{"before": fmt.Sprintf("Value %q is not a valid ISO8601 timestamp.", v)})
			return
		}
		before = t
	}
	s.mu.Lock()
	threads := s.threadsLocked(func(ch *channelState) bool {
		return ch.parentID == chID && ch.archived && ch.typ != discordgo.ChannelTypeGuildPrivateThread &&
			(before.IsZero() || ch.archivedAt.Before(before))
	})
	slices.SortStableFunc(threads, func(a, b *channelState) int { return b.archivedAt.Compare(a.archivedAt) })
	more := len(threads) > limit
	threads = threads[:min(limit, len(threads))]
	out := make([]map[string]any, 0, len(threads))
	for _, th := range threads {
		out = append(out, channelJSON(th))
	}
	s.mu.Unlock()
	c.reply(http.StatusOK, map[string]any{"threads": out, "members": []any{}, "has_more": more})
}
