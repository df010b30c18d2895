package discord

import (
	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/command"
	"newsbrief/bot/digest"
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
					Description: "Post a digest to a channel on a schedule (creates, or replaces the one of that name)",
					Options: append([]*discordgo.ApplicationCommandOption{
						channelOption(true),
						scheduleOption(true),
						{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "Tells the channel's digests apart (default: from the source and topic, or digest)", MaxLength: digest.MaxNameLen},
					}, digestOptions()...),
				},
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        "edit",
					Description: "Change a digest's options; what it posted stays posted",
					Options: append([]*discordgo.ApplicationCommandOption{
						channelOption(true),
						nameOption(true),
						scheduleOption(false),
					}, digestOptions()...),
				},
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        "unsubscribe",
					Description: "Stop a channel's digest",
					Options:     []*discordgo.ApplicationCommandOption{channelOption(true), nameOption(false)},
				},
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        "history",
					Description: "A digest's last 20 runs, and why each posted or did not",
					Options:     []*discordgo.ApplicationCommandOption{channelOption(true), nameOption(false)},
				},
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        "resume",
					Description: "Take a paused digest up again",
					Options:     []*discordgo.ApplicationCommandOption{channelOption(true), nameOption(false)},
				},
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        "list",
					Description: "This server's digest subscriptions",
				},
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        "preview",
					Description: "What a digest would post now and what it leaves out (posts nothing)",
					Options:     []*discordgo.ApplicationCommandOption{channelOption(false), nameOption(false)},
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

// channelOption is where a digest goes: a text, announcement, forum or
// media channel, or a thread.
func channelOption(required bool) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{
		Type: discordgo.ApplicationCommandOptionChannel, Name: "channel", Description: "The channel, forum or thread (default: this channel)", Required: required,
		ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews,
			discordgo.ChannelTypeGuildForum, discordgo.ChannelTypeGuildMedia,
			discordgo.ChannelTypeGuildPublicThread, discordgo.ChannelTypeGuildNewsThread},
	}
}

func nameOption(required bool) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{
		Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "Which of the channel's digests (needed when it has several)",
		Required: required, Autocomplete: true, MaxLength: digest.MaxNameLen,
	}
}

func scheduleOption(required bool) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{
		Type: discordgo.ApplicationCommandOptionString, Name: "schedule", Description: "Cron (0 9 * * 1-5), @daily, @hourly, @weekly, @every 6h, or instant (each new story)",
		Required: required, MaxLength: 100,
	}
}

// digestOptions are the options subscribe and edit share: what a digest
// selects and how it is delivered.
func digestOptions() []*discordgo.ApplicationCommandOption {
	return []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "timezone", Description: "IANA time zone such as Europe/Berlin (default: the bot's)", Autocomplete: true, MaxLength: 64},
		countOption("Articles per digest (1-10, default 5)"),
		{Type: discordgo.ApplicationCommandOptionString, Name: "topic", Description: "Only articles about this (search terms)", MaxLength: 100},
		sourceOption(),
		{Type: discordgo.ApplicationCommandOptionString, Name: "exclude", Description: `Words or "quoted phrases" that keep a story out`, MaxLength: digest.MaxExcludeLen},
		{Type: discordgo.ApplicationCommandOptionRole, Name: "mention", Description: "A role each digest pings (@everyone: pings @here)"},
		{Type: discordgo.ApplicationCommandOptionBoolean, Name: "thread", Description: "Start a thread from each digest (text and announcement channels)"},
		{Type: discordgo.ApplicationCommandOptionString, Name: "tag", Description: "A forum tag for each post (forum and media channels)", Autocomplete: true, MaxLength: 20},
		{Type: discordgo.ApplicationCommandOptionBoolean, Name: "publish", Description: "Publish each digest to following servers (announcement channels)"},
	}
}
