package discordtest

import (
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// Gateway close codes of sharding.
const (
	CloseInvalidShard     = 4010
	CloseShardingRequired = 4011
)

// IdentifyInterval is the window of Discord's identify rate limit: one
// identify per rate-limit bucket (shard id % max_concurrency) in any 5
// seconds.
const IdentifyInterval = 5 * time.Second

// SessionStartLimit is the session_start_limit of GET /gateway/bot: how many
// identifies the token may still make before Discord resets it, and how
// many shards may identify at once.
type SessionStartLimit struct {
	Total     int
	Remaining int
	// ResetAfter is when Remaining goes back to Total (sent in
	// milliseconds). The fake never resets it by itself.
	ResetAfter time.Duration
	// MaxConcurrency is how many rate-limit buckets there are: shard s
	// identifies in bucket s % MaxConcurrency.
	MaxConcurrency int
}

// defaultStartLimit is what Discord gives a small bot.
var defaultStartLimit = SessionStartLimit{Total: 1000, Remaining: 1000, ResetAfter: 24 * time.Hour, MaxConcurrency: 1}

// ShardIdentify is an accepted Identify: the shard it named (0 of 1 when it
// named none), its rate-limit bucket and when it came, on the fake's clock
// (WithClock).
type ShardIdentify struct {
	Shard, Count int
	Bucket       int
	At           time.Time
}

// ShardOf returns the shard that receives a guild's events:
// (guild_id >> 22) % count. An empty or malformed id (a DM) is shard 0.
func ShardOf(guildID string, count int) int {
	id, err := strconv.ParseUint(guildID, 10, 64)
	if err != nil || count <= 1 {
		return 0
	}
	return int((id >> 22) % uint64(count))
}

// SetRecommendedShards sets the shards GET /gateway/bot recommends (default 1).
func (s *Server) SetRecommendedShards(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recommendedShards = n
}

// SetSessionStartLimit sets the session start limit of GET /gateway/bot.
// Each accepted Identify takes one from Remaining; with none left, Identify
// is refused with 4004 Authentication failed, as Discord resets the token
// of a bot that runs out. The default is 1000 of 1000, max_concurrency 1.
func (s *Server) SetSessionStartLimit(l SessionStartLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.startLimit = l
}

// SessionStartLimit returns the current session start limit.
func (s *Server) SessionStartLimit() SessionStartLimit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startLimit
}

// SetMaxGuildsPerShard makes Identify close with 4011 Sharding required
// when a shard of the identified count would hold more than n of the
// fake's guilds (Discord: 2500). Zero, the default, never asks.
func (s *Server) SetMaxGuildsPerShard(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxGuildsPerShard = n
}

// ShardIdentifies returns the accepted Identifies, in order.
func (s *Server) ShardIdentifies() []ShardIdentify {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ShardIdentify(nil), s.shardIdentifies...)
}

// IdentifyViolations returns the accepted Identifies that came within
// IdentifyInterval of the one before in the same rate-limit bucket, on the
// fake's clock. Discord would have refused them; the fake accepts them so
// that a test sees every violation, not just the first.
func (s *Server) IdentifyViolations() []ShardIdentify {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ShardIdentify(nil), s.violations...)
}

// SessionStartRefusals returns how many Identifies were refused because no
// session starts remained.
func (s *Server) SessionStartRefusals() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startRefusals
}

// WaitShardsReady waits until every shard in ids of count has a ready
// gateway connection.
func (s *Server) WaitShardsReady(ctx context.Context, count int, ids ...int) error {
	return s.waitFor(ctx, func() bool {
		for _, id := range ids {
			if !s.shardReadyLocked(id, count) {
				return false
			}
		}
		return true
	})
}

func (s *Server) shardReadyLocked(id, count int) bool {
	for c := range s.conns {
		if c.authed && c.session.shard == id && c.session.shards == count {
			return true
		}
	}
	return false
}

// SentGuilds returns the guilds listed in READY to the sessions of shard
// id of count, in order of their identifies, one list per session.
func (s *Server) SentGuilds(id, count int) [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]string
	for _, r := range s.readyGuilds {
		if r.shard == id && r.count == count {
			out = append(out, append([]string(nil), r.guilds...))
		}
	}
	return out
}

type readyGuilds struct {
	shard, count int
	guilds       []string
}

// owns reports whether the session receives guildID's events; a DM
// ("" guild) goes to shard 0.
func (sess *gwSession) owns(guildID string) bool {
	return ShardOf(guildID, sess.shards) == sess.shard
}

// readyConnForLocked returns an authenticated live connection of a session
// owning guildID, preferring the current session's. s.mu must be held.
func (s *Server) readyConnForLocked(guildID string) *gwConn {
	var found *gwConn
	for c := range s.conns {
		if !c.authed || !c.session.owns(guildID) {
			continue
		}
		if c.session == s.current {
			return c
		}
		found = c
	}
	return found
}

// dispatchGuild returns the guild_id of a dispatch's data, if it has one,
// to route it to the owning shard.
func dispatchGuild(raw json.RawMessage) string {
	var d struct {
		GuildID string `json:"guild_id"`
	}
	_ = json.Unmarshal(raw, &d)
	return d.GuildID
}

// shardCheckLocked decides on an Identify for shard id of count: the close code
// and text refusing it, or 0 when it is accepted, in which case it takes a
// session start and is recorded with its bucket. s.mu must be held.
func (s *Server) shardCheckLocked(id, count int) (int, string) {
	if count < 1 || id < 0 || id >= count {
		return CloseInvalidShard, "Invalid shard."
	}
	if s.maxGuildsPerShard > 0 {
		per := map[int]int{}
		for _, g := range s.guilds {
			shard := ShardOf(g, count)
			per[shard]++
			if per[shard] > s.maxGuildsPerShard {
				return CloseShardingRequired, "Sharding required."
			}
		}
	}
	if s.startLimit.Remaining <= 0 {
		s.startRefusals++
		return CloseAuthenticationFailed, "Authentication failed."
	}
	s.startLimit.Remaining--
	bucket := id % max(s.startLimit.MaxConcurrency, 1)
	rec := ShardIdentify{Shard: id, Count: count, Bucket: bucket, At: s.now()}
	if last, ok := s.lastIdentify[bucket]; ok && rec.At.Sub(last) < IdentifyInterval {
		s.violations = append(s.violations, rec)
	}
	s.lastIdentify[bucket] = rec.At
	s.shardIdentifies = append(s.shardIdentifies, rec)
	return 0, ""
}

// guildsOfLocked returns the fake's guilds that shard id of count owns.
// s.mu must be held.
func (s *Server) guildsOfLocked(id, count int) []string {
	var out []string
	for _, g := range s.guilds {
		if ShardOf(g, count) == id {
			out = append(out, g)
		}
	}
	return out
}
