package discordtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Identity of the fake bot application.
const (
	// AppID is the application id of the bot; it is also the bot user's id.
	AppID = "100000000000000001"
	// BotUserID is the bot user's id (equal to AppID, as for real bots).
	BotUserID = AppID
	// BotUsername is the username returned for the bot user.
	BotUsername = "newsbrief"
	// Token is the only accepted bot token. REST requests must carry
	// "Authorization: Bot test-token".
	Token = "test-token"

	// DefaultGuildID is the guild listed in READY unless SetGuilds is used,
	// and the default guild of interactions built by Interact.
	DefaultGuildID = "200000000000000001"
	// DefaultChannelID is the default channel of interactions.
	DefaultChannelID = "300000000000000001"
	// DefaultUserID is the id of the default member invoking interactions.
	DefaultUserID = "400000000000000001"
)

// PrivilegedIntents are the intents a bot must have enabled in the developer
// portal; identifying with any of them closes the gateway with 4014 unless
// WithPrivilegedIntentsAllowed(true) is used.
const PrivilegedIntents = discordgo.IntentGuildMembers | discordgo.IntentGuildPresences | discordgo.IntentMessageContent

// Option configures a Server.
type Option func(*Server)

// WithHeartbeatInterval sets the heartbeat_interval sent in Hello (default 1s).
func WithHeartbeatInterval(d time.Duration) Option {
	return func(s *Server) { s.heartbeat = d }
}

// WithGlobalRateLimit sets the global REST rate limit, in requests per any
// 1-second window (default 50, as Discord). Zero or less disables it.
func WithGlobalRateLimit(perSecond int) Option {
	return func(s *Server) { s.globalLimit = perSecond }
}

// WithPrivilegedIntentsAllowed controls whether identifying with privileged
// intents is accepted (default false: close code 4014).
func WithPrivilegedIntentsAllowed(allowed bool) Option {
	return func(s *Server) { s.privilegedOK = allowed }
}

// WithInteractionDeadline sets how long after dispatch an interaction may be
// acknowledged via its callback (Discord: 3s, the default). Later callbacks
// get 404 Unknown interaction (10062) and Interact fails. Zero disables.
func WithInteractionDeadline(d time.Duration) Option {
	return func(s *Server) { s.ackDeadline = d }
}

// DefaultNonceWindow is how long the fake remembers a message nonce for
// enforce_nonce de-duplication unless told otherwise. Discord documents only
// "the past few minutes"; code under test must not rely on the exact value.
const DefaultNonceWindow = 2 * time.Minute

// WithNonceWindow sets how long a message nonce is remembered for
// enforce_nonce de-duplication (default DefaultNonceWindow); see
// SetNonceWindow.
func WithNonceWindow(d time.Duration) Option {
	return func(s *Server) { s.nonceWindow = d }
}

// WithClock sets the clock of the messages: their creation and edit times,
// the time part of the snowflake IDs the fake hands out, and the age of
// nonces in the nonce window. A test that drives the bot with a fake clock
// passes the same clock here, so that IDs made from the bot's times
// (SnowflakeAt) compare with the fake's IDs, and so it can pass the nonce
// window by moving the clock. The default is time.Now. Rate limits, the
// interaction deadline and Request.At stay on real time: discordgo waits
// for those in real time. now is called with the server's lock held, so it
// must not call the Server.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// WithGuildCreate controls whether a GUILD_CREATE event is sent for each guild
// after READY (default true).
func WithGuildCreate(send bool) Option {
	return func(s *Server) { s.guildCreate = send }
}

// Server is a fake Discord REST API and gateway. Create it with New.
type Server struct {
	t  testing.TB
	hs *httptest.Server

	// configuration (immutable after New)
	heartbeat    time.Duration
	globalLimit  int
	privilegedOK bool
	ackDeadline  time.Duration
	guildCreate  bool
	now          func() time.Time
	upgrader     websocket.Upgrader

	closeOnce sync.Once
	done      chan struct{}

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	lastID  uint64

	nonceWindow time.Duration

	// gateway
	conns      map[*gwConn]struct{}
	sessions   map[string]*gwSession
	current    *gwSession
	identifies []json.RawMessage
	resumes    int
	heartbeats int
	guilds     []string
	// clientCloses are the codes of clients' close frames (ClientCloses).
	clientCloses []int

	// sharding (shards.go)
	recommendedShards int
	startLimit        SessionStartLimit
	maxGuildsPerShard int
	startRefusals     int
	shardIdentifies   []ShardIdentify
	violations        []ShardIdentify
	lastIdentify      map[int]time.Time // by rate-limit bucket
	readyGuilds       []readyGuilds

	// REST accounting
	requests     []Request
	window       []time.Time // accepted valid-token requests in the last second
	attempts     []time.Time // all valid-token requests in the last second
	peak         int
	peakAttempts int
	count429     int
	invalid      int
	failures     []*failRule

	// application commands, keyed by guild id ("" = global)
	commands        map[string][]*discordgo.ApplicationCommand
	commandsWritten map[string]bool

	// interactions
	interactionsByID    map[string]*interactionState
	interactionsByToken map[string]*interactionState

	// channels and messages
	channels  map[string]*channelState
	messages  []*storedMessage
	followups map[string][]*storedMessage
	// dropAfterCreate counts, per channel, the message posts whose answer
	// is to be dropped (DropResponseAfterCreate).
	dropAfterCreate map[string]int

	// roles: guild -> role -> mentionable (AddRole); mentionEveryone is
	// the bot's Mention Everyone permission (SetMentionEveryone).
	roles           map[string]map[string]bool
	mentionEveryone bool
}

// New starts a fake Discord server on 127.0.0.1. It is closed by t.Cleanup.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		t:                   t,
		heartbeat:           time.Second,
		globalLimit:         50,
		ackDeadline:         discordgo.InteractionDeadline,
		nonceWindow:         DefaultNonceWindow,
		guildCreate:         true,
		now:                 time.Now,
		done:                make(chan struct{}),
		changed:             make(chan struct{}),
		conns:               map[*gwConn]struct{}{},
		sessions:            map[string]*gwSession{},
		guilds:              []string{DefaultGuildID},
		recommendedShards:   1,
		startLimit:          defaultStartLimit,
		lastIdentify:        map[int]time.Time{},
		commands:            map[string][]*discordgo.ApplicationCommand{},
		commandsWritten:     map[string]bool{},
		interactionsByID:    map[string]*interactionState{},
		interactionsByToken: map[string]*interactionState{},
		channels:            map[string]*channelState{},
		followups:           map[string][]*storedMessage{},
		dropAfterCreate:     map[string]int{},
		roles:               map[string]map[string]bool{},
	}
	for _, o := range opts {
		o(s)
	}
	s.upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(s.Close)
	return s
}

// URL returns the REST base URL, e.g. "http://127.0.0.1:PORT/api/v9".
// A client maps "https://discord.com/api/v9/X" to URL()+"/X".
func (s *Server) URL() string { return s.hs.URL + apiPrefix }

// GatewayURL returns the websocket URL handed out by GET /gateway.
func (s *Server) GatewayURL() string {
	return "ws" + strings.TrimPrefix(s.hs.URL, "http") + "/gateway"
}

// Close closes every gateway connection and shuts the server down. It is
// safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.mu.Lock()
		conns := make([]*gwConn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.mu.Unlock()
		for _, c := range conns {
			c.closeWithCode(websocket.CloseGoingAway, "server shutting down")
		}
		s.hs.Close()
	})
}

// notifyLocked wakes every waiter. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor blocks until cond (called with s.mu held) returns true, ctx ends,
// or the server is closed.
func (s *Server) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		if cond() {
			s.mu.Unlock()
			return nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return errServerClosed
		}
	}
}

// discordEpoch is 2015-01-01T00:00:00Z in milliseconds.
const discordEpoch = 1420070400000

// snowflakeWorker sets the worker ID bits (17 to 21) of the fake's
// snowflakes to 1, as Discord's IDs have non-zero low bits: an ID the fake
// makes at millisecond T is then greater than SnowflakeAt(T), so
// after=SnowflakeAt(T) finds a message created at T.
const snowflakeWorker = 1 << 17

// SnowflakeAt returns the smallest snowflake of t's millisecond, as a
// client computes it to ask for messages created from t on
// (after=SnowflakeAt(t)) or before t (before=SnowflakeAt(t)). Times before
// Discord's epoch (2015) give "0".
func SnowflakeAt(t time.Time) string {
	ms := t.UnixMilli() - discordEpoch
	if ms < 0 {
		ms = 0
	}
	return strconv.FormatUint(uint64(ms)<<22, 10)
}

// stampLocked returns the ID and creation time of a new message: the
// clock's now and a snowflake of that time. s.mu must be held.
func (s *Server) stampLocked() (string, time.Time) {
	at := s.now()
	return s.newIDAtLocked(at), at
}

// newIDLocked returns a new snowflake made at the server clock's now.
// s.mu must be held.
func (s *Server) newIDLocked() string { return s.newIDAtLocked(s.now()) }

// newIDAtLocked returns a new snowflake whose time part is at's
// millisecond, as Discord's are, so IDs order messages by creation time. It
// is strictly greater than every ID before it: when the clock stands still
// or goes back (a test's clock), the ID counts up from the last one instead.
// s.mu must be held.
func (s *Server) newIDAtLocked(at time.Time) string {
	ms := at.UnixMilli() - discordEpoch
	if ms < 0 {
		ms = 0
	}
	id := uint64(ms)<<22 | snowflakeWorker
	if id <= s.lastID {
		id = s.lastID + 1
	}
	s.lastID = id
	return strconv.FormatUint(id, 10)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
