package discord

import (
	"io"
	"net/http"
	"testing"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/command"
	"newsbrief/briefs/briefstest"
)

// nullDiscord answers every REST request with 204 in process, so the
// benchmarks measure the bot and discordgo, not a network.
type nullDiscord struct{ bodies int }

func (n *nullDiscord) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	n.bodies++
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
}

func benchInteraction(b *testing.B, in *discordgo.Interaction) {
	lib := briefstest.Library(briefstest.Articles(10000, 42))
	bt := New(command.New(lib, nil, nil))
	s, err := discordgo.New("Bot benchmark")
	if err != nil {
		b.Fatal(err)
	}
	rt := &nullDiscord{}
	s.Client = &http.Client{Transport: rt}
	ic := &discordgo.InteractionCreate{Interaction: in}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bt.onInteraction(s, ic)
	}
	b.StopTimer()
	if rt.bodies != b.N {
		b.Fatalf("%d replies for %d interactions", rt.bodies, b.N)
	}
}

func briefInteraction(typ discordgo.InteractionType, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
	return &discordgo.Interaction{
		ID: "1", AppID: "2", Token: "tok", Type: typ, GuildID: "3", ChannelID: "4",
		Member: &discordgo.Member{User: &discordgo.User{ID: "5"}, Permissions: discordgo.PermissionAll},
		Data: discordgo.ApplicationCommandInteractionData{Name: "brief", Options: []*discordgo.ApplicationCommandInteractionDataOption{{
			Name: name, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts,
		}}},
	}
}

func BenchmarkInteractionBriefLatest(b *testing.B) {
	benchInteraction(b, briefInteraction(discordgo.InteractionApplicationCommand, "latest",
		&discordgo.ApplicationCommandInteractionDataOption{Name: "count", Type: discordgo.ApplicationCommandOptionInteger, Value: float64(5)}))
}

func BenchmarkInteractionBriefLatestTopic(b *testing.B) {
	benchInteraction(b, briefInteraction(discordgo.InteractionApplicationCommand, "latest",
		&discordgo.ApplicationCommandInteractionDataOption{Name: "topic", Type: discordgo.ApplicationCommandOptionString, Value: "market prices"}))
}

func BenchmarkInteractionBriefSearch(b *testing.B) {
	benchInteraction(b, briefInteraction(discordgo.InteractionApplicationCommand, "search",
		&discordgo.ApplicationCommandInteractionDataOption{Name: "query", Type: discordgo.ApplicationCommandOptionString, Value: "government plans for energy"}))
}

func BenchmarkInteractionAutocomplete(b *testing.B) {
	benchInteraction(b, briefInteraction(discordgo.InteractionApplicationCommandAutocomplete, "read",
		&discordgo.ApplicationCommandInteractionDataOption{Name: "article", Type: discordgo.ApplicationCommandOptionString, Value: "the", Focused: true}))
}

func BenchmarkInteractionAutocompleteEmpty(b *testing.B) {
	benchInteraction(b, briefInteraction(discordgo.InteractionApplicationCommandAutocomplete, "read",
		&discordgo.ApplicationCommandInteractionDataOption{Name: "article", Type: discordgo.ApplicationCommandOptionString, Value: "", Focused: true}))
}
