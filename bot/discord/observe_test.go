package discord

import "testing"

func TestRoute(t *testing.T) {
	for path, want := range map[string]string{
		"/gateway":                              "/gateway",
		"/users/@me":                            "/users/@me",
		"/channels/300000000000000077/messages": "/channels/{id}/messages",
		"/channels/300000000000000077/messages/1234":              "/channels/{id}/messages/{id}",
		"/applications/1/guilds/2/commands":                       "/applications/{id}/guilds/{id}/commands",
		"/interactions/123/aW50ZXJhY3Rpb246MTIz/callback":         "/interactions/{id}/{token}/callback",
		"/webhooks/55/aW50ZXJhY3Rpb24tdG9rZW4/messages/@original": "/webhooks/{id}/{token}/messages/@original",
		"/webhooks/55/abcdefghijklmnopqrstuvwxyzabcdefghijkl/x":   "/webhooks/{id}/{token}/x",
		"/channels/1/messages/2/reactions/%F0%9F%91%8D/@me":       "/channels/{id}/messages/{id}/reactions/{token}/@me",
		"/guilds/1/channels/":                                     "/guilds/{id}/channels",
	} {
		if got := Route(path); got != want {
			t.Errorf("Route(%q) = %q, want %q", path, got, want)
		}
	}
}
