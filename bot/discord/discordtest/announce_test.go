package discordtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// TestCrosspostLimit: crossposting publishes a message once; the eleventh
// in an hour of a channel is refused with 429 until the hour has passed.
func TestCrosspostLimit(t *testing.T) {
	t.Parallel()
	clock := newTestClock(time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC))
	srv := New(t, WithClock(clock.Now))
	dg := newSession(t, srv, "Bot "+Token)
	srv.SetChannelType(newsChannel, discordgo.ChannelTypeGuildNews)

	var ids []string
	for range CrosspostsPerHour + 1 {
		m, err := dg.ChannelMessageSend(newsChannel, "news")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	for i, id := range ids[:CrosspostsPerHour] {
		m, err := dg.ChannelMessageCrosspost(newsChannel, id)
		if err != nil || m.Flags&discordgo.MessageFlagsCrossPosted == 0 {
			t.Fatalf("crosspost %d: %+v, %v", i, m, err)
		}
		clock.Advance(time.Minute)
	}
	_, err := dg.ChannelMessageCrosspost(newsChannel, ids[0])
	if re := restErr(t, err); re.Message.Code != 40033 {
		t.Errorf("second crosspost of a message: %v", err)
	}
	_, err = dg.ChannelMessageCrosspost(newsChannel, ids[CrosspostsPerHour], discordgo.WithRetryOnRatelimit(false))
	var limited *discordgo.RateLimitError
	if !errors.As(err, &limited) || limited.RetryAfter < 50*time.Minute {
		t.Fatalf("eleventh crosspost in the hour: %v, want 429 with about 50 minutes to wait", err)
	}
	if msgs := srv.Messages(newsChannel); msgs[CrosspostsPerHour].Flags != 0 {
		t.Errorf("the refused message is published: %+v", msgs[CrosspostsPerHour])
	}
	clock.Advance(51 * time.Minute) // the first crosspost is an hour old
	if _, err := dg.ChannelMessageCrosspost(newsChannel, ids[CrosspostsPerHour]); err != nil {
		t.Errorf("crosspost after the hour: %v", err)
	}
	// A text channel has nothing to publish to.
	m, err := dg.ChannelMessageSend(testChannel, "x")
	if err != nil {
		t.Fatal(err)
	}
	_, err = dg.ChannelMessageCrosspost(testChannel, m.ID)
	if re := restErr(t, err); re.Response.StatusCode != http.StatusBadRequest {
		t.Errorf("crosspost in a text channel: %v", err)
	}
}

// TestMentions: a role is pinged when the content names it, allowed
// mentions permit it and it is mentionable or the bot has Mention
// Everyone; @here only with parse everyone and the permission. Embeds
// never ping.
func TestMentions(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)
	const open, closed = "500000000000000001", "500000000000000002"
	srv.AddRole(DefaultGuildID, open, true)
	srv.AddRole(DefaultGuildID, closed, false)
	send := func(content string, am *discordgo.MessageAllowedMentions) *discordgo.Message {
		t.Helper()
		m, err := dg.ChannelMessageSendComplex(testChannel, &discordgo.MessageSend{Content: content, AllowedMentions: am,
			Embeds: []*discordgo.MessageEmbed{{Title: "<@&" + open + "> @everyone"}}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	roles := func(ids ...string) *discordgo.MessageAllowedMentions {
		return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}, Roles: ids}
	}
	everyone := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{discordgo.AllowedMentionTypeEveryone}}
	tests := []struct {
		name       string
		content    string
		am         *discordgo.MessageAllowedMentions
		permission bool
		roles      []string
		everyone   bool
	}{
		{"mentionable role allowed", "<@&" + open + "> news", roles(open), false, []string{open}, false},
		{"mentionable role not allowed", "<@&" + open + "> news", roles(), false, nil, false},
		{"parse roles", "<@&" + open + "> <@&" + closed + ">", &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{discordgo.AllowedMentionTypeRoles}}, false, []string{open}, false},
		{"unmentionable role", "<@&" + closed + "> news", roles(closed), false, nil, false},
		{"unmentionable role, Mention Everyone", "<@&" + closed + "> news", roles(closed), true, []string{closed}, false},
		{"unknown role", "<@&123> news", roles("123"), true, nil, false},
		{"embeds only", "news", nil, true, nil, false},
		{"here without permission", "@here news", everyone, false, nil, false},
		{"here", "@here news", everyone, true, nil, true},
		{"here not parsed", "@here news", roles(), true, nil, false},
		{"default allows all", "@everyone <@&" + open + ">", nil, true, []string{open}, true},
	}
	for _, tc := range tests {
		srv.SetMentionEveryone(tc.permission)
		m := send(tc.content, tc.am)
		if !slices.Equal(m.MentionRoles, tc.roles) || m.MentionEveryone != tc.everyone {
			t.Errorf("%s: mention_roles %v, mention_everyone %v; want %v, %v", tc.name, m.MentionRoles, m.MentionEveryone, tc.roles, tc.everyone)
		}
		stored := srv.Messages(testChannel)
		if last := stored[len(stored)-1]; !slices.Equal(last.MentionRoles, tc.roles) || last.MentionEveryone != tc.everyone {
			t.Errorf("%s: stored %+v", tc.name, last)
		}
	}
	// A read shows them too.
	got, err := dg.ChannelMessages(testChannel, 1, "", "", "")
	if err != nil || len(got) != 1 || !got[0].MentionEveryone {
		t.Errorf("read back = %+v, %v", got, err)
	}
	// mention_roles is always a list.
	raw, err := dg.RequestWithBucketID("GET", discordgo.EndpointChannelMessage(testChannel, got[0].ID), nil, "x")
	var body map[string]json.RawMessage
	if err != nil || json.Unmarshal(raw, &body) != nil || string(body["mention_roles"]) == "null" {
		t.Errorf("raw message %s, %v", raw, err)
	}
}
