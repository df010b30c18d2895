package discord

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/bwmarrin/discordgo"
)

// RouteDiscordgoLogs sends discordgo's own log lines (gateway errors,
// reconnect attempts) to l at the matching level instead of the standard
// logger, so an operator reads one structured log. discordgo keeps its
// logger in a package variable, so this is for main to call once, before
// any session starts.
func RouteDiscordgoLogs(l *slog.Logger) { discordgo.Logger = discordgoLogger(l) }

// discordgoLogger adapts l to discordgo's logger signature.
func discordgoLogger(l *slog.Logger) func(msgL, caller int, format string, a ...any) {
	return func(msgL, _ int, format string, a ...any) {
		level := slog.LevelDebug
		switch msgL {
		case discordgo.LogError:
			level = slog.LevelError
		case discordgo.LogWarning:
			level = slog.LevelWarn
		case discordgo.LogInformational:
			level = slog.LevelInfo
		}
		l.Log(context.Background(), level, fmt.Sprintf(format, a...), slog.String("source", "discordgo"))
	}
}
