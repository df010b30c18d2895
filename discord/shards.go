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
				if err := sessions[id].Open(); err != nil {
					errs[j] = fmt.Errorf("discord: open gateway for shard %d of %d: %w", id, p.count, err)
				}
				done <- j
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
