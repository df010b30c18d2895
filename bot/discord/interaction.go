package discord

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/command"
)

// onInteraction is the discordgo handler for INTERACTION_CREATE. discordgo
// runs each event handler in its own goroutine without recover, so this
// recovers everything: no input may end the process.
func (b *Bot) onInteraction(s *discordgo.Session, ic *discordgo.InteractionCreate) {
	in := ic.Interaction
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("interaction panicked", slog.String("interaction", in.ID), slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
		}
	}()
	if in.Type != discordgo.InteractionApplicationCommand && in.Type != discordgo.InteractionApplicationCommandAutocomplete {
		return
	}
	if !b.begin() {
		if in.Type == discordgo.InteractionApplicationCommand {
			b.respond(s, in, command.Reply{Content: "newsbrief is restarting; try again in a moment.", Ephemeral: true})
		}
		return
	}
	defer b.inflight.Done()

	req := requestFrom(in)
	ctx, cancel := context.WithTimeout(context.Background(), interactionLifetime)
	defer cancel()

	if req.Autocomplete {
		rep, err := b.router.Serve(ctx, req)
		if err != nil {
			rep = command.Reply{} // an empty list; the error is logged by the middleware
		}
		b.call(ctx, in.ID, "autocomplete", func() error {
			return s.InteractionRespond(in, &discordgo.InteractionResponse{
				Type: discordgo.InteractionApplicationCommandAutocompleteResult,
				Data: &discordgo.InteractionResponseData{Choices: Choices(rep.Choices)},
			}, discordgo.WithContext(ctx))
		})
		return
	}

	type result struct {
		rep command.Reply
		err error
	}
	done := make(chan result, 1)
	go func() {
		// The router's Recover middleware turns handler panics into errors;
		// this guards the goroutine itself.
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: errors.New("panic outside handler")}
			}
		}()
		rep, err := b.router.Serve(ctx, req)
		done <- result{rep, err}
	}()

	timer := time.NewTimer(b.deferAfter)
	defer timer.Stop()
	select {
	case r := <-done:
		b.respond(s, in, command.ReplyFor(r.rep, r.err))
	case <-timer.C:
		// Slow: acknowledge now, edit the original response when done. The
		// acknowledgement must say now whether the answer will be private,
		// before the handler has given it; every /digest reply is.
		ephemeral := command.PathUnder(req.Path, "digest")
		var flags discordgo.MessageFlags
		if ephemeral {
			flags = discordgo.MessageFlagsEphemeral
		}
		deferred := b.call(ctx, in.ID, "defer", func() error {
			return s.InteractionRespond(in, &discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Flags: flags},
			}, discordgo.WithContext(ctx))
		})
		r := <-done
		rep := command.ReplyFor(r.rep, r.err)
		if !deferred {
			b.respond(s, in, rep)
			return
		}
		if rep.Ephemeral && !ephemeral {
			// The acknowledgement was public; an error must not be.
			b.call(ctx, in.ID, "delete deferred", func() error {
				return s.InteractionResponseDelete(in, discordgo.WithContext(ctx))
			})
			b.call(ctx, in.ID, "followup", func() error {
				d := ResponseData(rep)
				_, err := s.FollowupMessageCreate(in, true, &discordgo.WebhookParams{
					Content: d.Content, Embeds: d.Embeds, AllowedMentions: d.AllowedMentions, Flags: d.Flags,
				}, discordgo.WithContext(ctx))
				return err
			})
			return
		}
		d := ResponseData(rep)
		b.call(ctx, in.ID, "edit", func() error {
			_, err := s.InteractionResponseEdit(in, &discordgo.WebhookEdit{
				Content: &d.Content, Embeds: &d.Embeds, AllowedMentions: d.AllowedMentions,
			}, discordgo.WithContext(ctx))
			return err
		})
	}
}

func (b *Bot) respond(s *discordgo.Session, in *discordgo.Interaction, rep command.Reply) {
	b.call(context.Background(), in.ID, "respond", func() error {
		return s.InteractionRespond(in, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: ResponseData(rep),
		})
	})
}

// call runs a REST call, retrying server errors (discordgo retries 429s
// itself but returns 5xx to the caller) a few times with a short backoff.
// It reports whether the call succeeded.
func (b *Bot) call(ctx context.Context, interactionID, what string, f func() error) bool {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil {
			return true
		}
		if attempt == 3 || !isServerError(err) || ctx.Err() != nil {
			b.log.Error("interaction reply failed", slog.String("interaction", interactionID), slog.String("step", what), slog.Any("err", err))
			return false
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
		}
		backoff *= 2
	}
}

func isServerError(err error) bool {
	var rest *discordgo.RESTError
	return errors.As(err, &rest) && rest.Response != nil && rest.Response.StatusCode >= http.StatusInternalServerError
}

// requestFrom flattens an interaction into a Request: the command path from
// the command and subcommand names, and the options by name.
func requestFrom(in *discordgo.Interaction) command.Request {
	req := command.Request{
		InteractionID: in.ID,
		GuildID:       in.GuildID,
		ChannelID:     in.ChannelID,
		Autocomplete:  in.Type == discordgo.InteractionApplicationCommandAutocomplete,
		Options:       map[string]any{},
	}
	req.BotPermissions = in.AppPermissions
	if in.Member != nil {
		req.Permissions = in.Member.Permissions
		if in.Member.User != nil {
			req.UserID = in.Member.User.ID
		}
	} else if in.User != nil {
		req.UserID = in.User.ID
	}
	data, ok := in.Data.(discordgo.ApplicationCommandInteractionData)
	if !ok {
		return req
	}
	path := []string{data.Name}
	opts := data.Options
	for len(opts) == 1 && (opts[0].Type == discordgo.ApplicationCommandOptionSubCommand || opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup) {
		path = append(path, opts[0].Name)
		opts = opts[0].Options
	}
	req.Path = strings.Join(path, " ")
	if data.Resolved != nil && len(data.Resolved.Roles) > 0 {
		req.Roles = map[string]command.Role{}
		for id, r := range data.Resolved.Roles {
			if r != nil {
				req.Roles[id] = command.Role{Name: r.Name, Mentionable: r.Mentionable}
			}
		}
	}
	for _, o := range opts {
		switch o.Type {
		case discordgo.ApplicationCommandOptionInteger:
			if f, ok := o.Value.(float64); ok {
				req.Options[o.Name] = int64(f)
			} else {
				req.Options[o.Name] = o.Value
			}
		default:
			req.Options[o.Name] = o.Value
		}
		if o.Focused {
			req.Focused = o.Name
		}
	}
	return req
}
