package discordtest

import (
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// Command builds a slash command interaction (type 2) named name with the
// given options, e.g. Command("brief", Sub("latest", Opt("count", 3))).
func Command(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
	return &discordgo.Interaction{
		Type: discordgo.InteractionApplicationCommand,
		Data: discordgo.ApplicationCommandInteractionData{
			Name:        name,
			CommandType: discordgo.ChatApplicationCommand,
			Options:     opts,
		},
	}
}

// Autocomplete builds an autocomplete interaction (type 4) for command name.
// Exactly one option (possibly nested in Sub) should be Focused.
func Autocomplete(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
	in := Command(name, opts...)
	in.Type = discordgo.InteractionApplicationCommandAutocomplete
	return in
}

// Component builds a message component interaction (type 3), e.g. a button
// click with the given custom id. values are the selected values of a select menu.
func Component(customID string, values ...string) *discordgo.Interaction {
	ct := discordgo.ButtonComponent
	if len(values) > 0 {
		ct = discordgo.SelectMenuComponent
	}
	return &discordgo.Interaction{
		Type: discordgo.InteractionMessageComponent,
		Data: discordgo.MessageComponentInteractionData{CustomID: customID, ComponentType: ct, Values: values},
	}
}

// Sub builds a subcommand option.
func Sub(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}
}

// SubGroup builds a subcommand group option.
func SubGroup(name string, subs ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommandGroup, Options: subs}
}

// Opt builds a value option, inferring its type from value: string ->
// String, integers -> Integer, float -> Number, bool -> Boolean. Values are
// stored as they arrive from Discord's JSON (integers as float64).
func Opt(name string, value any) *discordgo.ApplicationCommandInteractionDataOption {
	o := &discordgo.ApplicationCommandInteractionDataOption{Name: name}
	switch v := value.(type) {
	case string:
		o.Type, o.Value = discordgo.ApplicationCommandOptionString, v
	case bool:
		o.Type, o.Value = discordgo.ApplicationCommandOptionBoolean, v
	case int:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(v)
	case int32:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(v)
	case int64:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(v)
	case uint:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(v)
	case float32:
		o.Type, o.Value = discordgo.ApplicationCommandOptionNumber, float64(v)
	case float64:
		o.Type, o.Value = discordgo.ApplicationCommandOptionNumber, v
	default:
		panic(fmt.Sprintf("discordtest.Opt: unsupported value type %T (use TypedOpt)", value))
	}
	return o
}

// TypedOpt builds an option with an explicit type, e.g. a channel option whose
// value is a channel id: TypedOpt("channel", discordgo.ApplicationCommandOptionChannel, "300000000000000001").
func TypedOpt(name string, typ discordgo.ApplicationCommandOptionType, value any) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: typ, Value: value}
}

// Focused builds the focused string option of an autocomplete interaction
// (what the user is typing).
func Focused(name, value string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: value, Focused: true}
}
