package discord

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/command"
	"newsbrief/bot/digest"
	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
	"newsbrief/store/sqlite"
)

// TestCommandsMatchRouter keeps the command definitions Discord shows and
// the handlers that answer them in step: every registered command path has
// a handler and every handler a registered command, and every option marked
// for autocomplete has an autocomplete handler on its path that answers it.
func TestCommandsMatchRouter(t *testing.T) {
	arts := briefstest.Articles(5, 1)
	for i := range arts {
		arts[i].Origin = "articles" // so that the source option has a source to offer
	}
	lib := briefstest.Library(arts)
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "nb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// A digest in the channel the requests come from, so that the name
	// option has a name to offer; a forum's tags for the tag option.
	if _, err := st.PutSubscription(context.Background(), digest.Subscription{GuildID: "1", ChannelID: "2", Schedule: "@daily", Count: 1}); err != nil {
		t.Fatal(err)
	}
	r := command.New(lib, digest.New(lib, st), nil, command.WithChannels(forum{}))

	var paths []string
	autocomplete := map[string][]string{} // path -> options with autocomplete
	var walk func(path string, opts []*discordgo.ApplicationCommandOption)
	walk = func(path string, opts []*discordgo.ApplicationCommandOption) {
		leaf := true
		for _, o := range opts {
			switch o.Type {
			case discordgo.ApplicationCommandOptionSubCommand, discordgo.ApplicationCommandOptionSubCommandGroup:
				leaf = false
				walk(path+" "+o.Name, o.Options)
			default:
				if o.Autocomplete {
					autocomplete[path] = append(autocomplete[path], o.Name)
				}
			}
		}
		if leaf {
			paths = append(paths, path)
		}
	}
	for _, c := range Commands() {
		walk(c.Name, c.Options)
	}
	slices.Sort(paths)

	if got := r.Paths(); !slices.Equal(got, paths) {
		t.Errorf("handlers for %q, registered commands %q", got, paths)
	}
	var acPaths []string
	for p := range autocomplete {
		acPaths = append(acPaths, p)
	}
	slices.Sort(acPaths)
	if got := r.AutocompletePaths(); !slices.Equal(got, acPaths) {
		t.Errorf("autocomplete handlers for %q, options with autocomplete under %q", got, acPaths)
	}
	for path, opts := range autocomplete {
		for _, name := range opts {
			rep, err := r.Serve(context.Background(), command.Request{
				Path: path, Autocomplete: true, Focused: name, Options: map[string]any{name: ""},
				GuildID: "1", ChannelID: "2", UserID: "3", Permissions: command.PermissionManageChannels,
			})
			if err != nil || len(rep.Choices) == 0 {
				t.Errorf("/%s %s: autocomplete gave %d choices, %v", path, name, len(rep.Choices), err)
			}
		}
	}
}

// TestManageChannelsBit: the command layer checks Manage Channels with its
// own copy of Discord's bit, since it may not import discordgo.
func TestManageChannelsBit(t *testing.T) {
	if command.PermissionManageChannels != discordgo.PermissionManageChannels {
		t.Fatalf("command.PermissionManageChannels = %d, discordgo's is %d", command.PermissionManageChannels, discordgo.PermissionManageChannels)
	}
	for _, c := range Commands() {
		if c.Name == "digest" && (c.DefaultMemberPermissions == nil || *c.DefaultMemberPermissions != command.PermissionManageChannels) {
			t.Errorf("/digest default_member_permissions = %v, want Manage Channels", c.DefaultMemberPermissions)
		}
		if strings.TrimSpace(c.Description) == "" {
			t.Errorf("/%s has no description", c.Name)
		}
	}
}

// TestCommandsFollowTheRouter: /digest is registered when the router
// answers it, and only then: digests are wired once, in the router.
func TestCommandsFollowTheRouter(t *testing.T) {
	lib := briefs.New()
	for _, tc := range []struct {
		digests *digest.Service
		want    []string
	}{
		{nil, []string{"brief"}},
		{digest.New(lib, nil), []string{"brief", "digest"}},
	} {
		var got []string
		for _, c := range New(command.New(lib, tc.digests, nil)).commands() {
			got = append(got, c.Name)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("with digests %v: registers %q, want %q", tc.digests != nil, got, tc.want)
		}
	}
}

// TestPosterBeforeRun: the bot posts once Run has started it; before, a
// post fails instead of reaching Discord.
func TestPosterBeforeRun(t *testing.T) {
	b := New(command.New(briefs.New(), nil, nil))
	if _, err := b.Poster().Post(context.Background(), digest.Post{ChannelID: "1"}); !errors.Is(err, errNotStarted) {
		t.Errorf("Post before Run = %v, want errNotStarted", err)
	}
}

// forum is a command.Channels whose every channel is a forum with tags.
type forum struct{}

func (forum) Channel(_ context.Context, id string) (digest.Channel, error) {
	return digest.Channel{ID: id, Kind: digest.KindForum, Tags: []string{"Science", "Politics"}}, nil
}
