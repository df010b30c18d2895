// Package discordtest is an in-process fake of the parts of Discord that the
// newsbrief bot uses, for end-to-end tests that run the real bot with the real
// discordgo client (v0.29.0) against 127.0.0.1 only.
//
// A test starts a Server with New, points discordgo at it (an
// http.RoundTripper that maps "https://discord.com/api/v9/X" to
// Server.URL()+"/X"; the gateway URL comes from GET /gateway), opens the bot
// and then drives it: Interact dispatches an INTERACTION_CREATE and returns
// the bot's answer, Messages/WaitMessages expose what it posted, and
// FailNext, DropConnections, ForbidChannel, ForbidReadHistory,
// DeleteChannel and DropResponseAfterCreate inject faults. WithClock gives
// the fake the test's clock for message times and snowflakes, and
// SetNonceWindow/ExpireNonces let a test pass the enforce_nonce window
// without sleeping.
//
// # What is faked
//
// Gateway (JSON text frames, no compression): Hello with a configurable
// heartbeat interval, Heartbeat/ACK, Identify (token check -> 4004,
// privileged intents -> 4014 unless allowed), READY with unavailable guilds
// then GUILD_CREATE per guild, per-session sequence numbers, Resume with
// replay of missed dispatches then RESUMED, op 9 for unknown sessions, op 7
// on request (RequestReconnect), abrupt drops (DropConnections), and a
// client's close frame answered at once with the same code and the
// connection closed (ClientCloses); a close with 1000 or 1001 ends the
// session, so it can no longer be resumed.
//
// Sharding: Identify may name a shard [id, count] (none is shard 0 of 1,
// which sees every guild); an id outside the count closes with 4010, and a
// count leaving a shard more guilds than SetMaxGuildsPerShard allows with
// 4011. READY lists, and GUILD_CREATE is sent for, only the guilds of the
// session's shard ((guild_id >> 22) % count, see ShardOf); Interact and
// Dispatch deliver an event of a guild to a session of its shard, and one
// without a guild (a DM) to shard 0. GET /gateway/bot answers the shards
// of SetRecommendedShards and the session start limit of
// SetSessionStartLimit: each accepted Identify takes one session start,
// and with none left Identify is refused with 4004 (Discord resets the
// token of a bot that runs out). Accepted identifies are recorded with
// their rate-limit bucket (shard % max_concurrency) and time on the fake's
// clock (ShardIdentifies); one within 5 s of the previous in its bucket is
// accepted but recorded as a violation (IdentifyViolations).
//
// IDs are snowflakes whose time part is the creation time on the fake's
// clock, strictly increasing, so SnowflakeAt(t) as before/after selects by
// time.
//
// REST (/api/v9): bot token auth (401), Discord's global rate limit as a
// sliding 1-second window (429 with X-RateLimit-Global), generous per-route
// rate limit headers, users/@me, applications/@me, gateway and gateway/bot,
// application commands (bulk overwrite keeps ids by name and type, create,
// get, edit, delete, list) with Discord's definition checks, interaction
// callbacks (3-second acknowledgement deadline -> 10062, double
// acknowledgement -> 40060, callback type checked against interaction type),
// @original get/edit/delete, followups, channel messages with enforce_nonce
// de-duplication within a settable window (past it the same nonce posts a
// duplicate, as on Discord), reading a channel's messages (limit, before,
// after, around; newest first; no nonces; non-ephemeral interaction
// answers included), message get/edit/delete, typing, channel lookups,
// Missing Access (50001) and Unknown Channel (10003) channels, a missing
// Read Message History permission (403 on reads only), answers lost after
// the message was created (the connection is closed), message limits
// (2000 characters, 10 embeds, embed field limits, 6000 embed characters,
// empty message 50006) and autocomplete limits (25 choices) as 400 errors.
// Multipart bodies (file uploads) are accepted; their payload_json is used.
// Every REST request is recorded (Requests) before it is answered, so a
// test sees it as soon as the client has its answer; unknown routes answer
// 404 and are listed by UnknownRequests; 401/403/429 answers are counted as
// invalid requests like Discord does for its invalid-request ban.
//
// # What is not faked
//
// Interaction and webhook routes are exempt from the global limit (as on
// Discord) but still require the bot token here, which Discord does not.
// Per-route buckets are not enforced (only injected 429s happen), nor are
// shared-scope limits, the 5-per-5s message limit per channel, messages by
// anyone but the bot (a channel's history holds the bot's messages only),
// more than one of before/after/around in one read (400 here; Discord
// documents them as exclusive without saying what it does), gateway send
// limits (120/60s), the reset of the session start limit, or heartbeat
// timeouts (zombie connections are never closed by the server). Interaction tokens never
// expire (Discord: 15 minutes). Permissions (beyond the ForbidChannel and
// ForbidReadHistory refusals), roles, members, threads,
// reactions, DMs (beyond interactions without a guild), voice, guilds
// joining or leaving while connected, zlib/zstd transport compression, ETF
// encoding and resume_gateway_url switching are not modelled; unknown
// channels are treated as existing text channels of DefaultGuildID.
package discordtest
