package main

import (
	"context"
	"fmt"

	"newsbrief/bot/discord"
)

// runInvite prints the address that invites the bot to a server: its
// application ID from Discord (GET /oauth2/applications/@me with
// DISCORD_TOKEN), the scopes bot and applications.commands, and exactly
// the permissions newsbrief's features need, each with why. The token is
// never printed.
func runInvite(ctx context.Context, e env) int {
	cfg, code, ok := commandConfig(e, "invite")
	if !ok {
		return code
	}
	if err := cfg.RequireToken(); err != nil {
		fmt.Fprintf(e.stderr, "newsbrief invite: %v\n", err)
		return exitFail
	}
	appID, err := discord.ApplicationID(ctx, cfg.APIURL, cfg.Token)
	if err != nil {
		fmt.Fprintf(e.stderr, "newsbrief invite: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(e.stdout, "Open this address to add the bot to a server you manage:\n\n  %s\n\n", discord.InviteURL(appID))
	fmt.Fprintf(e.stdout, "It asks for these permissions (%d):\n", discord.InvitePermissionBits())
	for _, p := range discord.InvitePermissions {
		fmt.Fprintf(e.stdout, "  %-25s %s\n", p.Name, p.Why)
	}
	return exitOK
}
