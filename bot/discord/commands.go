package discord

import (
	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/command"
)

func ptr[T any](v T) *T { return &v }

// Commands returns newsbrief's slash commands as data, in the shape the bulk
// overwrite endpoint takes. Their handlers are registered for the same paths
// and options by command.New; TestCommandsMatchRouter keeps the two in step.
func Commands() []*discordgo.ApplicationCommand {
	guildOnly := &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	return []*discordgo.ApplicationCommand{
		{
			Name:        "brief",
			Description: "Read news briefs: summaries of the articles in the library",
			Options: []*discordgo.ApplicationCommandOption{
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        "latest",
					Description: "The newest articles, each with a one-sentence summary",
					Options: []*discordgo.ApplicationCommandOption{
						countOption("How many articles (1-10, default 5)"),
						{Type: discordgo.ApplicationCommandOptionString, Name: "topic", Description: "Only articles about this (search terms)", MaxLength: 100},
						sourceOption(),
					},
				},
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        "read",
					Description: "One article's summary, with keywords and reading time",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionString, Name: "article", Description: "Start typing a title", Required: true, Autocomplete: true, MaxLength: 100},
						{Type: discordgo.ApplicationCommandOptionString, Name: "length", Description: "How long a summary (default standard)", Choices: []*discordgo.ApplicationCommandOptionChoice{
							{Name: "short (1 sentence)", Value: "short"},
							{Name: "standard (3 sentences)", Value: "standard"},
							{Name: "long (5 sentences)", Value: "long"},
						}},
					},
				},
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        "search",
					Description: "Search the articles' full text",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionString, Name: "query", Description: "Words to look for", Required: true, MaxLength: 200},
					},
				},
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        "sources",
					Description: "Where the articles come from: the folder and each feed, with their health",
				},
			},
		},
		{
			Name:                     "digest",
			Description:              "Scheduled news digests for channels",
			DefaultMemberPermissions: ptr(int64(discordgo.PermissionManageChannels)),
			DMPermission:             ptr(false),
			Contexts:                 guildOnly,
			Options: []*discordgo.ApplicationCommandOption{
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        "subscribe",
					Description: "Post a digest to a channel on a schedule (creates or replaces)",
					Options: []*discordgo.ApplicationCommandOption{
						channelOption(),
						{Type: discordgo.ApplicationCommandOptionString, Name: "schedule", Description: "Cron (0 9 * * 1-5), @daily, @hourly, @weekly, @monthly or @every 6h", Required: true, MaxLength: 100},
						{Type: discordgo.ApplicationCommandOptionString, Name: "timezone", Description: "IANA time zone such as Europe/Berlin (default: the bot's)", Autocomplete: true, MaxLength: 64},
						countOption("Articles per digest (1-10, default 5)"),
						{Type: discordgo.ApplicationCommandOptionString, Name: "topic", Description: "Only articles about this (search terms)", MaxLength: 100},
						sourceOption(),
					},
				},
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        "unsubscribe",
					Description: "Stop a channel's digest",
					Options:     []*discordgo.ApplicationCommandOption{channelOption()},
				},
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        "list",
					Description: "This server's digest subscriptions",
				},
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        "preview",
					Description: "What this channel's next digest would post now (posts nothing)",
				},
			},
		},
	}
}

func countOption(desc string) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{
		Type: discordgo.ApplicationCommandOptionInteger, Name: "count", Description: desc,
		MinValue: ptr(float64(command.MinCount)), MaxValue: command.MaxCount,
	}
}

// sourceOption picks one source (the folder or a feed) by name; the
// names change with the feeds file, so they are offered by autocomplete
// rather than fixed choices.
func sourceOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{
		Type: discordgo.ApplicationCommandOptionString, Name: "source", Description: "Only articles from this source (the folder or a feed)",
		Autocomplete: true, MaxLength: command.MaxChoiceName,
	}
}

func channelOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{
		Type: discordgo.ApplicationCommandOptionChannel, Name: "channel", Description: "The text channel", Required: true,
		ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews},
	}
}
