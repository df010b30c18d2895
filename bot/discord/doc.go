// Package discord is newsbrief on Discord, and the only importer of
// discordgo: the session and its shutdown, interactions turned into
// command.Requests for a command.Router and its Replies into responses (at
// once, or deferred and edited when a handler is slow), the slash command
// definitions and their registration, rendering to embeds within Discord's
// limits, the digest poster (messages, forum posts, threads, crossposts
// and mentions, each posted exactly once), channel lookups for commands,
// the invite address, and the REST transports (base URL rewrite,
// global rate pacing).
package discord
