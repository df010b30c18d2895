package main

import (
	"strings"
	"testing"

	"newsbrief/bot/discord/discordtest"
)

// TestInvite: the invite address names the application Discord reports
// for the token, both scopes and the permissions, each explained; the
// token is not printed.
func TestInvite(t *testing.T) {
	isolate(t)
	srv := discordtest.New(t)
	t.Setenv("DISCORD_TOKEN", discordtest.Token)
	t.Setenv("DISCORD_API_URL", srv.URL())
	code, out, errOut := runCLI(t, "", "", "invite")
	if code != exitOK {
		t.Fatalf("invite: exit %d\n%s%s", code, out, errOut)
	}
	want := "https://discord.com/oauth2/authorize?client_id=" + discordtest.AppID + "&permissions=309237861376&scope=bot+applications.commands"
	if !strings.Contains(out, want) {
		t.Errorf("output lacks %s:\n%s", want, out)
	}
	for _, p := range []string{"View Channel", "Send Messages", "Send Messages in Threads", "Create Public Threads",
		"Embed Links", "Read Message History", "Mention Everyone"} {
		if !strings.Contains(out, "\n  "+p+" ") {
			t.Errorf("output does not explain %s:\n%s", p, out)
		}
	}
	if strings.Contains(out+errOut, discordtest.Token) {
		t.Error("the token is printed")
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Path != "/oauth2/applications/@me" {
		t.Errorf("requests %+v, want one GET /oauth2/applications/@me", reqs)
	}
}

func TestInviteRefusedToken(t *testing.T) {
	isolate(t)
	srv := discordtest.New(t)
	t.Setenv("DISCORD_TOKEN", "refused-token")
	t.Setenv("DISCORD_API_URL", srv.URL())
	code, out, errOut := runCLI(t, "", "", "invite")
	if code != exitFail || !strings.Contains(errOut, "Discord rejected DISCORD_TOKEN") || strings.Contains(out+errOut, "refused-token") {
		t.Errorf("invite with a refused token: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "", "", "invite", "extra")
	if code != exitUsage {
		t.Errorf("invite with an argument: exit %d, %s", code, errOut)
	}
}

func TestInviteWithoutToken(t *testing.T) {
	isolate(t)
	code, _, errOut := runCLI(t, "", "", "invite")
	if code != exitFail || !strings.Contains(errOut, "DISCORD_TOKEN") {
		t.Errorf("invite without a token: exit %d, %s", code, errOut)
	}
}
