package discord

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"newsbrief/bot/discord/discordtest"
)

func TestInvitePermissionsAndURL(t *testing.T) {
	t.Parallel()
	// View Channel, Send Messages, Send Messages in Threads, Create Public
	// Threads, Embed Links, Read Message History, Mention Everyone.
	const want = 1<<10 | 1<<11 | 1<<38 | 1<<35 | 1<<14 | 1<<16 | 1<<17
	if got := InvitePermissionBits(); got != want || want != 309237861376 {
		t.Errorf("permissions %d, want %d", got, int64(want))
	}
	u, err := url.Parse(InviteURL("42"))
	if err != nil || u.Host != "discord.com" || u.Path != "/oauth2/authorize" {
		t.Fatalf("invite URL %v, %v", u, err)
	}
	q := u.Query()
	if q.Get("client_id") != "42" || q.Get("scope") != "bot applications.commands" || q.Get("permissions") != "309237861376" {
		t.Errorf("invite query %v", q)
	}
}

func TestApplicationID(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	ctx := ctxFor(t, 30*time.Second)
	id, err := ApplicationID(ctx, srv.URL(), discordtest.Token)
	if err != nil || id != discordtest.AppID {
		t.Errorf("application ID %q, %v; want %s", id, err, discordtest.AppID)
	}
	if _, err := ApplicationID(ctx, srv.URL(), "wrong"); !errors.Is(err, ErrTokenRejected) {
		t.Errorf("wrong token: %v", err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Path != "/oauth2/applications/@me" {
		t.Errorf("requests %+v", reqs)
	}
}
