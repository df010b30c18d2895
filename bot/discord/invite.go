package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/bwmarrin/discordgo"
)

// Permission is a permission the bot asks for when it is invited, and why.
type Permission struct {
	Name string
	Bit  int64
	Why  string
}

// InvitePermissions are exactly the permissions newsbrief's features need,
// in the order Discord's invite screen shows them.
var InvitePermissions = []Permission{
	{"View Channel", discordgo.PermissionViewChannel,
		"see the channels it posts digests to"},
	{"Send Messages", discordgo.PermissionSendMessages,
		"post digests, make forum posts, and publish its digests in announcement channels"},
	{"Send Messages in Threads", discordgo.PermissionSendMessagesInThreads,
		"post a digest's later messages into its forum post or thread, and digests to a thread"},
	{"Create Public Threads", discordgo.PermissionCreatePublicThreads,
		"start a thread from a digest's first message (thread:true)"},
	{"Embed Links", discordgo.PermissionEmbedLinks,
		"show each article as an embed"},
	{"Read Message History", discordgo.PermissionReadMessageHistory,
		"read its own posts back after a crash, so that a digest, forum post or thread is never posted twice"},
	{"Mention Everyone", discordgo.PermissionMentionEveryone,
		"only for mention: to ping a role that is not mentionable, or @here (a mentionable role needs nothing)"},
}

// InvitePermissionBits is InvitePermissions as Discord's permissions integer.
func InvitePermissionBits() int64 {
	var bits int64
	for _, p := range InvitePermissions {
		bits |= p.Bit
	}
	return bits
}

// InviteURL is the address that adds the application appID to a server
// as a bot with its slash commands and InvitePermissions.
func InviteURL(appID string) string {
	q := url.Values{
		"client_id":   {appID},
		"scope":       {"bot applications.commands"},
		"permissions": {strconv.FormatInt(InvitePermissionBits(), 10)},
	}
	return "https://discord.com/oauth2/authorize?" + q.Encode()
}

// ApplicationID asks Discord (GET /oauth2/applications/@me at the REST
// base URL apiURL) for the ID of the application whose bot token is
// token. A token Discord refuses is ErrTokenRejected.
func ApplicationID(ctx context.Context, apiURL, token string) (string, error) {
	if token == "" {
		return "", errors.New("discord: DISCORD_TOKEN is not set")
	}
	b := New(nil, WithAPIURL(apiURL))
	client, err := b.restClient()
	if err != nil {
		return "", err
	}
	s, err := b.session(token, client)
	if err != nil {
		return "", err
	}
	endpoint := discordgo.EndpointOAuth2Application("@me")
	body, err := s.RequestWithBucketID(http.MethodGet, endpoint, nil, endpoint, discordgo.WithContext(ctx))
	if err != nil {
		if code, _ := restStatus(err); code == http.StatusUnauthorized {
			return "", ErrTokenRejected
		}
		return "", fmt.Errorf("discord: ask Discord at %s for the application: %w", apiURL, err)
	}
	var app struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &app); err != nil || app.ID == "" {
		return "", fmt.Errorf("discord: Discord's answer names no application: %s", body)
	}
	return app.ID, nil
}
