package discordtest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// TestInteractionJSONRoundTrip checks that interactions built with the
// helpers survive discordgo's encoding and its own Interaction.UnmarshalJSON,
// which is what the bot sees on INTERACTION_CREATE.
func TestInteractionJSONRoundTrip(t *testing.T) {
	t.Parallel()
	srv := New(t)
	cases := []*discordgo.Interaction{
		Command("brief", Sub("latest", Opt("topic", "go"), Opt("count", 3), Opt("full", true), Opt("ratio", 0.5))),
		Autocomplete("brief", Sub("latest", Focused("topic", "g"))),
		Command("brief", SubGroup("admin", Sub("channel", TypedOpt("channel", discordgo.ApplicationCommandOptionChannel, "300000000000000009")))),
		Component("more:42"),
	}
	for _, in := range cases {
		srv.fillInteraction(in)
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var ev discordgo.InteractionCreate
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		got := ev.Interaction
		if got.ID != in.ID || got.Token != in.Token || got.AppID != AppID || got.Type != in.Type ||
			got.GuildID != DefaultGuildID || got.ChannelID != DefaultChannelID || got.Version != 1 {
			t.Fatalf("header fields differ: %+v", got)
		}
		if got.Member == nil || got.Member.User.ID != DefaultUserID || got.Member.Permissions != discordgo.PermissionAll {
			t.Fatalf("member = %+v", got.Member)
		}
		if !reflect.DeepEqual(got.Data, in.Data) {
			t.Fatalf("data differs:\n got %#v\nwant %#v", got.Data, in.Data)
		}
	}

	// The typed accessors the bot uses work on the decoded values.
	in := Command("brief", Sub("latest", Opt("count", 3), Opt("topic", "go")))
	srv.fillInteraction(in)
	b, _ := json.Marshal(in)
	var got discordgo.Interaction
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	sub := got.ApplicationCommandData().Options[0]
	if sub.Type != discordgo.ApplicationCommandOptionSubCommand || sub.GetOption("count").IntValue() != 3 || sub.GetOption("topic").StringValue() != "go" {
		t.Fatalf("options = %+v", sub)
	}
	ac := Autocomplete("brief", Focused("topic", "g"))
	srv.fillInteraction(ac)
	b, _ = json.Marshal(ac)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Type != discordgo.InteractionApplicationCommandAutocomplete || !got.ApplicationCommandData().Options[0].Focused {
		t.Fatalf("autocomplete = %+v", got)
	}
}

func TestCommandsBulkOverwrite(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := openSession(t, srv)
	cmds := []*discordgo.ApplicationCommand{{
		Name: "brief", Description: "News briefs",
		Options: []*discordgo.ApplicationCommandOption{{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: "latest", Description: "Latest brief",
			Options: []*discordgo.ApplicationCommandOption{{Type: discordgo.ApplicationCommandOptionString, Name: "topic", Description: "Topic", Autocomplete: true}},
		}},
	}}
	guildCmds, err := dg.ApplicationCommandBulkOverwrite(AppID, DefaultGuildID, cmds)
	if err != nil {
		t.Fatal(err)
	}
	if len(guildCmds) != 1 || guildCmds[0].ID == "" || guildCmds[0].GuildID != DefaultGuildID || guildCmds[0].ApplicationID != AppID {
		t.Fatalf("guild commands = %+v", guildCmds)
	}
	if _, err := dg.ApplicationCommandBulkOverwrite(AppID, "", cmds); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t, 5*time.Second)
	for _, g := range []string{DefaultGuildID, ""} {
		got, err := srv.WaitCommands(ctx, g)
		if err != nil || len(got) != 1 || got[0].Name != "brief" || got[0].Options[0].Options[0].Name != "topic" {
			t.Fatalf("WaitCommands(%q) = %+v, %v", g, got, err)
		}
	}
	// Overwriting again keeps the id of a same-named command; GET lists them.
	again, err := dg.ApplicationCommandBulkOverwrite(AppID, DefaultGuildID, cmds)
	if err != nil || again[0].ID != guildCmds[0].ID {
		t.Fatalf("re-overwrite: %+v %v", again, err)
	}
	listed, err := dg.ApplicationCommands(AppID, DefaultGuildID)
	if err != nil || len(listed) != 1 || listed[0].ID != guildCmds[0].ID {
		t.Fatalf("list = %+v %v", listed, err)
	}
	// Invalid definitions are rejected like Discord does.
	_, err = dg.ApplicationCommandBulkOverwrite(AppID, "", []*discordgo.ApplicationCommand{{Name: "Bad Name", Description: ""}})
	if re := restErr(t, err); re.Response.StatusCode != 400 || re.Message.Code != 50035 {
		t.Fatalf("err = %v", err)
	}
	if len(srv.Commands("")) != 1 {
		t.Fatal("rejected overwrite changed the commands")
	}
}

func TestInteractDeferredThenEdit(t *testing.T) {
	t.Parallel()
	srv := New(t)
	got := make(chan discordgo.ApplicationCommandInteractionData, 1)
	openSession(t, srv, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		got <- i.ApplicationCommandData()
		if err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
		}); err != nil {
			t.Errorf("respond: %v", err)
			return
		}
		if _, err := s.InteractionResponseEdit(i.Interaction, &discordgo.WebhookEdit{
			Content:         ptr("Here is your brief"),
			Embeds:          &[]*discordgo.MessageEmbed{{Title: "Go 1.26", Description: "released"}},
			AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
		}); err != nil {
			t.Errorf("edit: %v", err)
		}
	})
	ctx := testContext(t, 5*time.Second)
	r, err := srv.Interact(ctx, Command("brief", Sub("latest", Opt("topic", "go"), Opt("count", 2))))
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource || !r.Deferred {
		t.Fatalf("reply type = %d deferred=%v", r.Type, r.Deferred)
	}
	if r.Data.Content != "Here is your brief" || len(r.Data.Embeds) != 1 || r.Data.Embeds[0].Title != "Go 1.26" {
		t.Fatalf("data = %+v", r.Data)
	}
	if r.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Fatalf("flags = %d, want ephemeral from the callback", r.Data.Flags)
	}
	if !strings.Contains(string(r.Raw), `"allowed_mentions":{"parse":[]`) {
		t.Fatalf("raw = %s", r.Raw)
	}
	d := <-got
	if d.Name != "brief" || d.Options[0].Name != "latest" || d.Options[0].GetOption("count").IntValue() != 2 {
		t.Fatalf("bot saw %+v", d)
	}
}

func TestInteractImmediateAutocompleteAndFollowup(t *testing.T) {
	t.Parallel()
	srv := New(t)
	openSession(t, srv, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		data := i.ApplicationCommandData()
		if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
			typed := data.Options[0].StringValue()
			_ = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
				Type: discordgo.InteractionApplicationCommandAutocompleteResult,
				Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{
					{Name: typed + "olang", Value: typed + "olang"},
				}},
			})
			return
		}
		_ = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "hello"},
		})
		_, _ = s.FollowupMessageCreate(i.Interaction, true, &discordgo.WebhookParams{Content: "more"})
	})
	ctx := testContext(t, 5*time.Second)

	r, err := srv.Interact(ctx, Autocomplete("brief", Focused("topic", "g")))
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != discordgo.InteractionApplicationCommandAutocompleteResult || len(r.Data.Choices) != 1 || r.Data.Choices[0].Name != "golang" {
		t.Fatalf("autocomplete reply = %+v", r)
	}

	r, err = srv.Interact(ctx, Command("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != discordgo.InteractionResponseChannelMessageWithSource || r.Deferred || r.Data.Content != "hello" {
		t.Fatalf("reply = %+v", r)
	}
	if err := srv.waitFor(ctx, func() bool { return len(srv.followups[r.Interaction.Token]) == 1 }); err != nil {
		t.Fatal(err)
	}
	if f := srv.Followups(r.Interaction.Token); f[0].Content != "more" {
		t.Fatalf("followups = %+v", f)
	}
}

func TestInteractUnanswered(t *testing.T) {
	t.Parallel()
	srv := New(t, WithInteractionDeadline(300*time.Millisecond))
	openSession(t, srv) // no interaction handler
	ctx := testContext(t, 5*time.Second)
	if _, err := srv.Interact(ctx, Command("brief")); !errors.Is(err, ErrNotAcknowledged) {
		t.Fatalf("err = %v, want ErrNotAcknowledged", err)
	}

	// Deferred but never edited: Interact ends with the caller's context.
	// The context is cancelled once the bot's deferral has been accepted,
	// not after a fixed time, which a busy machine could spend before the
	// bot even answers (Interact would then report "no callback").
	srv2 := New(t)
	short, cancel := context.WithCancel(testContext(t, 5*time.Second))
	defer cancel()
	deferred := make(chan error, 1)
	openSession(t, srv2, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		deferred <- s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
		cancel()
	})
	if _, err := srv2.Interact(short, Command("brief")); err == nil || !strings.Contains(err.Error(), "deferred") {
		t.Fatalf("err = %v", err)
	}
	if err := <-deferred; err != nil {
		t.Fatalf("defer: %v", err)
	}
}

// TestInteractRejectsInvalidAnswers: Reply.Rejected holds the rejections
// before the final answer only. The bot's third, double acknowledgement may
// reach the fake before Interact's goroutine wakes up for the second, so it
// is checked through Rejections after the bot has had its answer.
func TestInteractRejectsInvalidAnswers(t *testing.T) {
	t.Parallel()
	srv := New(t)
	errs := make(chan error, 4)
	openSession(t, srv, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		// Too long: rejected with 400, then a valid answer, then a double ack.
		errs <- s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: strings.Repeat("x", MaxContentLength+1)},
		})
		errs <- s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "ok"},
		})
		errs <- s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "again"},
		})
	})
	ctx := testContext(t, 5*time.Second)
	r, err := srv.Interact(ctx, Command("brief"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Data.Content != "ok" || len(r.Rejected) != 1 {
		t.Fatalf("reply = %+v", r)
	}
	if re := restErr(t, <-errs); re.Message.Code != 50035 {
		t.Fatalf("first = %v", re)
	}
	if err := <-errs; err != nil {
		t.Fatalf("second = %v", err)
	}
	if re := restErr(t, <-errs); re.Message.Code != 40060 {
		t.Fatalf("third = %v", re)
	}
	if rej := srv.Rejections(r.Interaction.ID); len(rej) != 2 || !strings.Contains(rej[1], "already been acknowledged") {
		t.Fatalf("rejections = %q", rej)
	}
	if len(r.Rejected) != 1 {
		t.Fatalf("Reply.Rejected changed after Interact returned: %q", r.Rejected)
	}
}
