// Package discordtest is an in-process fake of the parts of Discord that the
// newsbrief bot uses, for end-to-end tests that run the real bot with the real
// discordgo client (v0.29.0) against 127.0.0.1 only.
//
// A test starts a Server with New, points discordgo at it (an
// http.RoundTripper that maps "https://discord.com/api/v9/X" to
// Server.URL()+"/X"; the gateway URL comes from GET /gateway), opens the bot
// and then drives it: Interact dispatches an INTERACTION_CREATE and returns
// the bot's answer, Messages/WaitMessages expose what it posted, and
// FailNext (ClearFailures drops what is left of it), DropConnections,
// ForbidChannel, ForbidSend, ForbidReadHistory, DeleteChannel and
// DropResponseAfterCreate inject faults. AddChannel,
// SetChannelType, SetChannelName and SetForumTags shape channels,
// ArchiveThread archives a thread, AddRole and SetMentionEveryone decide
// who can be pinged, and Threads/WaitThreads expose threads and forum
// posts. WithClock gives
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
// answers included), message get/edit/delete, typing, channel lookups
// (type, guild_id, name, parent_id, a forum's available_tags, a thread's
// applied_tags, owner_id and thread_metadata),
// Missing Access (50001) and Unknown Channel (10003) channels, a missing
// Send Messages permission (403 Missing Permissions, 50013, on posts,
// forum posts and threads only), a missing
// Read Message History permission (403 on reads only), answers lost after
// a message, forum post or thread was created (the connection is closed), message limits
// (2000 characters, 10 embeds, embed field limits, 6000 embed characters,
// empty message 50006) and autocomplete limits (25 choices) as 400 errors.
// Multipart bodies (file uploads) are accepted; their payload_json is used.
//
// Channels have a type (SetChannelType): 0 text, 5 announcement, 15 forum,
// 16 media, and 10/11/12 threads. A forum or media channel takes no
// messages (400, 50008): POST /channels/{id}/threads with a name (1-100
// characters), a message and applied_tags among its available_tags
// (SetForumTags) makes a post, a public thread (type 11, parent_id the
// forum, owner_id the bot) whose starter message has the thread's ID and
// is the thread's first message; the answer is the thread with that
// message. In a text or announcement channel the same route makes a
// thread without a message. POST /channels/{ch}/messages/{id}/threads
// starts a thread from a message (the thread's ID is the message's; type
// 11, or 10 in an announcement channel; the message then shows it in
// thread and flag HAS_THREAD; a second start answers 400, 160004).
// Messages are posted into threads like any channel (which unarchives an
// archived one). GET /guilds/{id}/threads/active lists the guild's threads
// not archived; GET /channels/{id}/threads/archived/public (before: an ISO
// 8601 time, limit 1-100, default 50) the channel's archived public
// threads, most recently archived first, with has_more, and needs Read
// Message History like reading messages. POST
// /channels/{ch}/messages/{id}/crosspost in an announcement channel sets
// the message's flag CROSSPOSTED (1); a message already crossposted
// answers 400 (40033), and past CrosspostsPerHour (10) crossposts of the
// channel in the last hour of the fake's clock the answer is 429 with
// retry_after until the oldest is an hour old (and no bucket headers).
// Roles (AddRole) are mentionable or not: a message's mention_roles lists
// a role only when its content has <@&ID>, allowed_mentions permits it
// (absent, parse "roles", or roles naming it) and the role is mentionable
// or the bot has Mention Everyone (SetMentionEveryone); mention_everyone is
// true for @everyone or @here in the content only with parse "everyone"
// (or no allowed_mentions) and that permission. Embeds never ping.
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
// expire (Discord: 15 minutes). Permissions (beyond the ForbidChannel, ForbidSend and
// ForbidReadHistory refusals and the Mention Everyone switch; creating
// threads and posting in them need no permission here), members, user
// mentions, reactions, DMs (beyond interactions without a guild), voice,
// guilds joining or leaving while connected, zlib/zstd transport
// compression, ETF encoding and resume_gateway_url switching are not
// modelled; unknown channels are treated as existing text channels of
// DefaultGuildID. Threads: no private thread members, no automatic
// archiving (only ArchiveThread), no locking, no thread starter system
// message in the parent, no THREAD_* gateway events, no forum's "tag
// required" flag; threads archived at the same instant are not told
// apart by before. Crossposts reach no following server. allowed_mentions
// with both parse "roles" and a roles list is not refused (Discord
// refuses it).
package discordtest
