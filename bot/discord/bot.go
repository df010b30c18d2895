package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/command"
	"newsbrief/bot/digest"
)

// Defaults for the options.
const (
	// defaultDeferAfter is how long a handler may run before the bot
	// acknowledges with a deferred response: well inside Discord's 3 s
	// window, with room for a slow network.
	defaultDeferAfter = 1500 * time.Millisecond
	// interactionLifetime is how long Discord keeps an interaction token.
	interactionLifetime = 14 * time.Minute
	shutdownGrace       = 10 * time.Second
)

// Bot is newsbrief on Discord: it turns interactions into requests for a
// command.Router and its replies into Discord responses, and posts digests
// (Poster). Build it with New; Run connects it. It starts nothing else:
// the digest runner that posts through it is the wiring's to start and
// stop.
type Bot struct {
	log    *slog.Logger
	router *command.Router

	guildID     string
	apiURL      string
	deferAfter  time.Duration
	requestRate int
	httpClient  *http.Client
	postBackoff time.Duration

	// shardCount (0: Discord's recommendation) and shardIDs (nil: all)
	// are the shards this process runs; identifyWait paces their
	// identifies.
	shardCount   int
	shardIDs     []int
	identifyWait func(context.Context, time.Duration) error
	identifyLock func(bucket int) Lock // nil: identifies paced in this process only

	// regMu serialises registration; registered is set once it succeeded,
	// so the commands are registered once per process, not per shard.
	regMu      sync.Mutex
	registered bool

	restObserver RESTObserver

	// mu guards closing, shards and post, and orders inflight.Add before
	// the shutdown's Wait.
	mu       sync.Mutex
	closing  bool
	inflight sync.WaitGroup
	shards   []*shard
	post     *poster // set once Run has started
}

// shard is one gateway session and whether it is ready to take events.
type shard struct {
	id    int
	s     *discordgo.Session
	ready atomic.Bool // READY or RESUMED seen, and no disconnect since
}

// ShardState is how one gateway shard of the bot is doing, for metrics and
// the readiness check.
type ShardState struct {
	// ID is the shard's number.
	ID int
	// Connected is true from the gateway's READY (or RESUMED) until it
	// disconnects: while the shard takes events.
	Connected bool
	// Latency is the time between the last heartbeat and its
	// acknowledgement; zero before the first.
	Latency time.Duration
}

// Shards reports each gateway shard of the bot: none before Run has opened
// the gateway or after it closed it.
func (b *Bot) Shards() []ShardState {
	b.mu.Lock()
	shards := slices.Clone(b.shards)
	b.mu.Unlock()
	out := make([]ShardState, 0, len(shards))
	for _, sh := range shards {
		// discordgo writes the heartbeat times under the session's lock
		// (the ack) and its websocket lock (the send, followed at once by
		// taking the session's lock): the read lock orders this read after
		// all but a send still being written.
		sh.s.RLock()
		lat := sh.s.LastHeartbeatAck.Sub(sh.s.LastHeartbeatSent)
		sh.s.RUnlock()
		out = append(out, ShardState{ID: sh.id, Connected: sh.ready.Load(), Latency: max(lat, 0)})
	}
	return out
}

// begin counts an interaction in flight, unless the bot is shutting down.
func (b *Bot) begin() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing {
		return false
	}
	b.inflight.Add(1)
	return true
}

// Option configures a Bot.
type Option func(*Bot)

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(b *Bot) { b.log = l } }

// WithGuild registers the commands in one guild (instant, for testing)
// instead of globally.
func WithGuild(id string) Option { return func(b *Bot) { b.guildID = id } }

// WithAPIURL sets the REST base URL (Discord's own is
// https://discord.com/api/v9; the program's default is config's), and
// through GET /gateway the gateway. A bot needs one: Run refuses to start
// without it.
func WithAPIURL(u string) Option { return func(b *Bot) { b.apiURL = u } }

// WithDeferAfter sets how long a handler may take before the bot defers.
func WithDeferAfter(d time.Duration) Option { return func(b *Bot) { b.deferAfter = d } }

// WithRequestRate sets how many REST requests per second the bot allows
// itself (interaction responses excepted); default DefaultRequestRate.
func WithRequestRate(perSecond int) Option { return func(b *Bot) { b.requestRate = perSecond } }

// WithHTTPClient sets the client whose transport the base-URL rewrite wraps.
func WithHTTPClient(c *http.Client) Option { return func(b *Bot) { b.httpClient = c } }

// WithPostBackoff sets the wait before a failed digest post's first retry
// (doubled after each of the five attempts); default half a second.
func WithPostBackoff(d time.Duration) Option { return func(b *Bot) { b.postBackoff = d } }

// New builds a bot answering with router.
func New(router *command.Router, opts ...Option) *Bot {
	b := &Bot{router: router, deferAfter: defaultDeferAfter, requestRate: DefaultRequestRate,
		postBackoff: firstBackoff, shardCount: 1, identifyWait: waitTimer}
	for _, o := range opts {
		o(b)
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	return b
}

// ErrTokenRejected means Discord refused the token.
var ErrTokenRejected = errors.New("discord: Discord rejected DISCORD_TOKEN (401 Unauthorized): copy the token again from the Developer Portal (Bot, Reset Token)")

// Run connects to Discord with token and serves until ctx is done, then
// shuts down gracefully: it stops taking interactions, waits for the ones in
// flight and closes the gateway. It opens one gateway session per shard it
// runs (WithShards), after checking the token and that Discord allows that
// many session starts. Once every shard is open (a standby: once the token
// is checked) the bot is started: Poster posts from then on, and Run
// calls started, unless it is nil (see lifecycle.Run).
func (b *Bot) Run(ctx context.Context, token string, started func()) error {
	if token == "" {
		return errors.New("discord: DISCORD_TOKEN is not set")
	}
	if b.apiURL == "" {
		return errors.New("discord: no REST base URL (WithAPIURL)")
	}
	if b.shardCount < 0 {
		return fmt.Errorf("discord: shard count %d: want 0 (Discord's recommendation) or more", b.shardCount)
	}
	client, err := b.restClient()
	if err != nil {
		return err
	}
	first, err := b.session(token, client)
	if err != nil {
		return err
	}
	// Check the token before opening the gateway: a 401 here is a clear
	// answer, where a rejected identify is only a closed websocket.
	if _, err := first.User("@me", discordgo.WithContext(ctx)); err != nil {
		var rest *discordgo.RESTError
		if errors.As(err, &rest) && rest.Response != nil && rest.Response.StatusCode == http.StatusUnauthorized {
			return ErrTokenRejected
		}
		return fmt.Errorf("discord: reach Discord at %s: %w", b.apiURL, err)
	}
	plan, err := b.planShards(ctx, first)
	if err != nil {
		return err
	}

	// One session per shard. They share the HTTP client (so the global
	// limit is the process's) and discordgo's per-route buckets: REST
	// limits are per token, not per shard.
	sessions := make(map[int]*discordgo.Session, len(plan.ids))
	all := make([]*discordgo.Session, 0, len(plan.ids))
	for i, id := range plan.ids {
		s := first
		if i > 0 {
			if s, err = b.session(token, client); err != nil {
				return err
			}
			s.Ratelimiter = first.Ratelimiter
		}
		s.ShardID, s.ShardCount = id, plan.count
		b.addHandlers(s, id)
		sessions[id] = s
		all = append(all, s)
	}
	defer func() {
		b.mu.Lock()
		b.shards = nil
		b.mu.Unlock()
	}()

	if len(plan.ids) == 0 {
		b.log.Info("standby: no shard, no gateway session; this process posts digests while it holds the poster lease",
			slog.String("api", b.apiURL), slog.Int("shard_count", plan.count))
	} else {
		b.log.Info("connecting", slog.String("api", b.apiURL), slog.String("guild", b.guildID),
			slog.Int("shard_count", plan.count), slog.Any("shards", plan.ids), slog.Int("max_concurrency", plan.maxConcurrency))
	}
	if err := b.openShards(ctx, plan, sessions); err != nil {
		if ctx.Err() != nil {
			b.log.Info("shut down before every shard connected", slog.Any("err", err))
			return nil
		}
		return err
	}
	// REST is per token, so the first shard's session posts for all.
	b.mu.Lock()
	b.post = newPoster(first, b.log, b.postBackoff)
	b.mu.Unlock()
	if started != nil {
		started()
	}
	<-ctx.Done()

	b.log.Info("shutting down: finishing interactions in flight")
	b.mu.Lock()
	b.closing = true
	b.mu.Unlock()
	done := make(chan struct{})
	go func() { b.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(shutdownGrace):
		b.log.Warn("shutdown: gave up waiting for interactions in flight")
	}
	b.closeSessions(all)
	b.log.Info("shut down")
	return nil
}

// addHandlers wires a shard's session: logs, command registration on the
// first READY of the process, and the interactions the shard receives.
func (b *Bot) addHandlers(s *discordgo.Session, id int) {
	sh := &shard{id: id, s: s}
	b.mu.Lock()
	b.shards = append(b.shards, sh)
	b.mu.Unlock()
	s.AddHandler(func(s *discordgo.Session, r *discordgo.Ready) {
		sh.ready.Store(true)
		b.log.Info("ready", slog.Int("shard", id), slog.String("user", r.User.Username), slog.Int("guilds", len(r.Guilds)))
		b.registerOnce(s, r.Application.ID)
	})
	s.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) {
		b.log.Debug("guild available", slog.Int("shard", id), slog.String("guild", g.ID))
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Connect) {
		b.log.Info("gateway connected", slog.Int("shard", id))
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) {
		sh.ready.Store(false)
		b.log.Warn("gateway disconnected", slog.Int("shard", id))
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) {
		sh.ready.Store(true)
		b.log.Info("gateway resumed", slog.Int("shard", id))
	})
	s.AddHandler(b.onInteraction)
}

// restClient is the HTTP client every session of the process shares: it
// sends REST to the configured base URL under one global rate limit.
func (b *Bot) restClient() (*http.Client, error) {
	base := http.DefaultTransport
	if b.httpClient != nil && b.httpClient.Transport != nil {
		base = b.httpClient.Transport
	}
	rt, err := newBaseURLTransport(b.apiURL, base)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: newGlobalLimitTransport(b.requestRate, newObserveTransport(b.restObserver, rt)),
		Timeout: 20 * time.Second}, nil
}

// session builds a discordgo session that asks only for the guilds intent
// (no privileged intents, so the gateway never closes with 4014) and sends
// REST through client.
func (b *Bot) session(token string, client *http.Client) (*discordgo.Session, error) {
	s, err := discordgo.New("Bot " + token)
	if err != nil {
		return nil, fmt.Errorf("discord: new session: %w", err)
	}
	s.Client = client
	s.Identify.Intents = discordgo.IntentsGuilds
	s.LogLevel = discordgo.LogError
	return s, nil
}

// registerOnce registers the commands on the first READY of the process
// (any shard's); after a failure, the next READY tries again.
func (b *Bot) registerOnce(s *discordgo.Session, appID string) {
	b.regMu.Lock()
	defer b.regMu.Unlock()
	if b.registered {
		return
	}
	b.registered = b.registerCommands(s, appID)
}

// registerCommands overwrites the commands in the bot's scope and reports
// whether it succeeded.
func (b *Bot) registerCommands(s *discordgo.Session, appID string) bool {
	scope := "global"
	if b.guildID != "" {
		scope = "guild " + b.guildID
	}
	cmds, err := s.ApplicationCommandBulkOverwrite(appID, b.guildID, b.commands())
	if err != nil {
		b.log.Error("registering commands", slog.String("scope", scope), slog.Any("err", err))
		return false
	}
	b.log.Info("commands registered", slog.String("scope", scope), slog.Int("count", len(cmds)))
	return true
}

// commands lists the command definitions this bot serves: those its
// router has handlers for (a router without digests has no /digest).
func (b *Bot) commands() []*discordgo.ApplicationCommand {
	paths := b.router.Paths()
	var out []*discordgo.ApplicationCommand
	for _, c := range Commands() {
		if slices.ContainsFunc(paths, func(p string) bool { return command.PathUnder(p, c.Name) }) {
			out = append(out, c)
		}
	}
	return out
}

// Poster posts digests through the bot's REST session, under its global
// rate limit: a digest runner's, started once the bot is (see Run). A post
// before then fails.
func (b *Bot) Poster() digest.Poster { return botPoster{b} }

// botPoster posts through the poster Run made.
type botPoster struct{ b *Bot }

// errNotStarted: a digest was posted before the bot was started.
var errNotStarted = errors.New("discord: the bot is not connected yet: start the digest runner after it")

func (p botPoster) Post(ctx context.Context, d digest.Post) (digest.Delivered, error) {
	p.b.mu.Lock()
	post := p.b.post
	p.b.mu.Unlock()
	if post == nil {
		return digest.Delivered{}, errNotStarted
	}
	return post.Post(ctx, d)
}
