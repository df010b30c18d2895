package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// identifyInterval is Discord's identify rate limit window: each
// rate-limit bucket (shard id % max_concurrency) may identify once in it.
const identifyInterval = 5 * time.Second

// WithShards makes the bot run the shards ids of count, one gateway session
// each. A count of 0 asks Discord for its recommended count (GET
// /gateway/bot) at start; nil ids are all the shards of the count. The
// default, one shard (0 of 1), is an unsharded bot. Empty ids (not nil)
// are none: a standby process that opens no gateway session and only
// posts digests, through REST, while it holds the poster lease.
func WithShards(count int, ids []int) Option {
	return func(b *Bot) { b.shardCount, b.shardIDs = count, slices.Clone(ids) }
}

// WithIdentifyWait sets how the bot waits between two batches of
// identifies (Discord asks for 5 s): wait must return after d, or with an
// error once ctx is done. Tests pass one that moves a fake clock instead
// of sleeping. The default waits on a timer.
func WithIdentifyWait(wait func(ctx context.Context, d time.Duration) error) Option {
	return func(b *Bot) { b.identifyWait = wait }
}

// Lock is held by one process at a time among those of one bot: a lease
// in the database they share (digest.Lease has the same methods, so the
// wiring passes the stores' leases).
type Lock interface {
	// Acquire takes the lock when it is free and reports whether this
	// holder has it; it never waits for another holder.
	Acquire(ctx context.Context) (bool, error)
	// Release gives it up.
	Release(ctx context.Context) error
}

// WithIdentifyLock paces identifies across processes: Discord's identify
// limit is the bot token's, so two processes starting shards of one
// bucket (shard id % max_concurrency) at once would break it, each pacing
// only itself. Before a shard identifies, the bot takes lock(bucket),
// waiting while another process holds it, and keeps it for the 5 seconds
// Discord asks after the shard's READY.
func WithIdentifyLock(lock func(bucket int) Lock) Option {
	return func(b *Bot) { b.identifyLock = lock }
}

// identifyLockPoll is how often a shard waiting for its bucket's identify
// lock tries it again.
const identifyLockPoll = 250 * time.Millisecond

// lockBucket takes the identify lock of bucket, trying every
// identifyLockPoll until it is free or ctx ends. A lock that cannot be
// asked (the database is down) is an error: identifying anyway could break
// Discord's limit.
func (b *Bot) lockBucket(ctx context.Context, bucket int) (Lock, error) {
	if b.identifyLock == nil {
		return nil, nil
	}
	l := b.identifyLock(bucket)
	logged := false
	for {
		ok, err := l.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("discord: identify lock of bucket %d: %w", bucket, err)
		}
		if ok {
			return l, nil
		}
		if !logged {
			b.log.Info("waiting for another process to identify a shard of the same bucket", slog.Int("bucket", bucket))
			logged = true
		}
		if err := waitTimer(ctx, identifyLockPoll); err != nil {
			return nil, err
		}
	}
}

// releaseAfter releases an identify lock once identifyInterval has passed,
// so that the bucket's next identify, in whichever process, is Discord's
// 5 seconds after this one.
func releaseAfter(l Lock) {
	if l == nil {
		return
	}
	go func() {
		time.Sleep(identifyInterval)
		_ = l.Release(context.Background())
	}()
}

// waitTimer waits d, or until ctx is done.
func waitTimer(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ShardOf returns the shard that receives a guild's events, as Discord
// routes them: (guild_id >> 22) % count. Direct messages (no guild, or an
// id that is no snowflake) arrive on shard 0.
func ShardOf(guildID string, count int) int {
	id, err := strconv.ParseUint(guildID, 10, 64)
	if err != nil || count <= 1 {
		return 0
	}
	return int((id >> 22) % uint64(count))
}

// SessionStartLimitError means Discord allows fewer session starts
// (identifies) than the shards the bot would start. Using the last ones up
// would get the token reset, so the bot does not connect.
type SessionStartLimitError struct {
	Remaining, Total int
	// Needed is the number of shards to start.
	Needed int
	// ResetAfter is when Discord resets Remaining to Total.
	ResetAfter time.Duration
}

func (e *SessionStartLimitError) Error() string {
	return fmt.Sprintf("discord: Discord allows %d more session starts (of %d) until the limit resets in %s, and this process needs %d, one per shard: not connecting, since running out resets the token; wait for the reset or run fewer shards (SHARD_IDS)",
		e.Remaining, e.Total, e.ResetAfter.Round(time.Second), e.Needed)
}

// shardPlan is what Run starts: the shards ids of count, identified in
// batches of at most maxConcurrency.
type shardPlan struct {
	count          int
	ids            []int
	maxConcurrency int
}

// planShards reads GET /gateway/bot and decides which shards to start: it
// settles the count (Discord's recommendation when the bot was given
// none) and checks that ids fit in it and that Discord allows that many
// session starts.
func (b *Bot) planShards(ctx context.Context, s *discordgo.Session) (shardPlan, error) {
	gb, err := s.GatewayBot(discordgo.WithContext(ctx))
	if err != nil {
		return shardPlan{}, fmt.Errorf("discord: read the shard count and session start limit (GET /gateway/bot) at %s: %w", b.apiURL, err)
	}
	p := shardPlan{count: b.shardCount, ids: b.shardIDs, maxConcurrency: max(gb.SessionStartLimit.MaxConcurrency, 1)}
	if p.count == 0 {
		if gb.Shards < 1 {
			return shardPlan{}, fmt.Errorf("discord: GET /gateway/bot recommends %d shards: want at least 1 (set SHARD_COUNT)", gb.Shards)
		}
		p.count = gb.Shards
	}
	if p.ids == nil {
		for id := range p.count {
			p.ids = append(p.ids, id)
		}
	}
	for _, id := range p.ids {
		if id < 0 || id >= p.count {
			return shardPlan{}, fmt.Errorf("discord: shard %d is not one of the %d shards (0 to %d): check SHARD_IDS against SHARD_COUNT", id, p.count, p.count-1)
		}
	}
	if l := gb.SessionStartLimit; l.Remaining < len(p.ids) {
		return shardPlan{}, &SessionStartLimitError{Remaining: l.Remaining, Total: l.Total, Needed: len(p.ids),
			ResetAfter: time.Duration(l.ResetAfter) * time.Millisecond}
	}
	return p, nil
}

// identifyBatches splits ids into the batches Discord allows to identify
// together: shards share a rate-limit bucket when their ids are equal
// modulo maxConcurrency, and a bucket takes one identify per 5 seconds, so
// a batch holds at most one shard of each bucket.
func identifyBatches(ids []int, maxConcurrency int) [][]int {
	byBucket := map[int][]int{}
	var buckets []int
	for _, id := range ids {
		k := id % maxConcurrency
		if byBucket[k] == nil {
			buckets = append(buckets, k)
		}
		byBucket[k] = append(byBucket[k], id)
	}
	slices.Sort(buckets)
	var batches [][]int
	for i := 0; ; i++ {
		var batch []int
		for _, k := range buckets {
			if i < len(byBucket[k]) {
				batch = append(batch, byBucket[k][i])
			}
		}
		if batch == nil {
			return batches
		}
		batches = append(batches, batch)
	}
}

// openShards opens the sessions (keyed by shard id) batch by batch,
// waiting identifyInterval between batches. discordgo's Open returns once
// READY has arrived, so the wait starts after the batch's identifies were
// taken. On failure it closes what it opened.
func (b *Bot) openShards(ctx context.Context, p shardPlan, sessions map[int]*discordgo.Session) error {
	var opened []*discordgo.Session
	fail := func(err error) error {
		b.closeSessions(opened)
		return err
	}
	for i, batch := range identifyBatches(p.ids, p.maxConcurrency) {
		if i > 0 {
			if err := b.identifyWait(ctx, identifyInterval); err != nil {
				return fail(fmt.Errorf("discord: waiting to identify shards %v: %w", batch, err))
			}
		}
		errs := make([]error, len(batch))
		done := make(chan int, len(batch))
		for j, id := range batch {
			go func() {
				defer func() { done <- j }()
				lock, err := b.lockBucket(ctx, id%p.maxConcurrency)
				if err != nil {
					errs[j] = fmt.Errorf("discord: open gateway for shard %d of %d: %w", id, p.count, err)
					return
				}
				defer releaseAfter(lock)
				if err := sessions[id].Open(); err != nil {
					errs[j] = fmt.Errorf("discord: open gateway for shard %d of %d: %w", id, p.count, err)
				}
			}()
		}
		for range batch {
			j := <-done
			if errs[j] == nil {
				opened = append(opened, sessions[batch[j]])
			}
		}
		if err := errors.Join(errs...); err != nil {
			return fail(err)
		}
	}
	return nil
}

// closeSessions closes each session's gateway, without discordgo's
// reconnect: a heartbeat failing during Close would otherwise start a
// reconnect loop that outlives the shutdown.
func (b *Bot) closeSessions(sessions []*discordgo.Session) {
	for _, s := range sessions {
		s.Lock()
		s.ShouldReconnectOnError = false
		s.Unlock()
		if err := s.Close(); err != nil {
			b.log.Warn("closing gateway", slog.Int("shard", s.ShardID), slog.Any("err", err))
		}
	}
}
