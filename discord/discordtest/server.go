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

// WithNonceWindow sets how long a message nonce is remembered for
// enforce_nonce de-duplication (default 2 minutes).
func WithNonceWindow(d time.Duration) Option {
	return func(s *Server) { s.nonceWindow = d }
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
	nonceWindow  time.Duration
	guildCreate  bool
	upgrader     websocket.Upgrader

	closeOnce sync.Once
	done      chan struct{}

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	lastID  uint64

	// gateway
	conns      map[*gwConn]struct{}
	sessions   map[string]*gwSession
	current    *gwSession
	identifies []json.RawMessage
	resumes    int
	heartbeats int
	guilds     []string

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
}

// New starts a fake Discord server on 127.0.0.1. It is closed by t.Cleanup.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		t:                   t,
		heartbeat:           time.Second,
		globalLimit:         50,
		ackDeadline:         discordgo.InteractionDeadline,
		nonceWindow:         2 * time.Minute,
		guildCreate:         true,
		done:                make(chan struct{}),
		changed:             make(chan struct{}),
		conns:               map[*gwConn]struct{}{},
		sessions:            map[string]*gwSession{},
		guilds:              []string{DefaultGuildID},
		commands:            map[string][]*discordgo.ApplicationCommand{},
		commandsWritten:     map[string]bool{},
		interactionsByID:    map[string]*interactionState{},
		interactionsByToken: map[string]*interactionState{},
		channels:            map[string]*channelState{},
		followups:           map[string][]*storedMessage{},
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

// newIDLocked returns a new, strictly increasing snowflake. s.mu must be held.
func (s *Server) newIDLocked() string {
	id := uint64(time.Now().UnixMilli()-discordEpoch) << 22
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
