package discordtest

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/bwmarrin/discordgo"
)

// Commands returns a copy of the registered application commands of a guild
// ("" = global commands), in registration order.
func (s *Server) Commands(guildID string) []*discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneCommands(s.commands[guildID])
}

// WaitCommands waits until the bot has written the commands of a guild
// ("" = global) at least once (bulk overwrite or create) and returns them.
func (s *Server) WaitCommands(ctx context.Context, guildID string) ([]*discordgo.ApplicationCommand, error) {
	var out []*discordgo.ApplicationCommand
	err := s.waitFor(ctx, func() bool {
		if !s.commandsWritten[guildID] {
			return false
		}
		out = cloneCommands(s.commands[guildID])
		return true
	})
	return out, err
}

func cloneCommands(in []*discordgo.ApplicationCommand) []*discordgo.ApplicationCommand {
	out := make([]*discordgo.ApplicationCommand, 0, len(in))
	for _, c := range in {
		out = append(out, cloneCommand(c))
	}
	return out
}

func cloneCommand(c *discordgo.ApplicationCommand) *discordgo.ApplicationCommand {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	var out discordgo.ApplicationCommand
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return &out
}

// commandScope returns the guild id of a command route ("" = global) after
// checking the application id; it replies and returns false on error.
func commandScope(c *restCtx) (string, bool) {
	if c.param("app") != AppID {
		// Discord answers 403 when using another application's id.
		c.apiError(http.StatusForbidden, 50001, "Missing Access")
		return "", false
	}
	return c.param("guild"), true
}

func commandType(c *discordgo.ApplicationCommand) discordgo.ApplicationCommandType {
	if c.Type == 0 {
		return discordgo.ChatApplicationCommand
	}
	return c.Type
}

// normalizeLocked fills server-assigned fields, keeping the id of an existing
// command with the same name and type (as Discord does). s.mu must be held.
func (s *Server) normalizeLocked(guildID string, c *discordgo.ApplicationCommand, existing []*discordgo.ApplicationCommand) {
	c.ID = ""
	for _, e := range existing {
		if e.Name == c.Name && commandType(e) == commandType(c) {
			c.ID = e.ID
		}
	}
	if c.ID == "" {
		c.ID = s.newIDLocked()
	}
	c.ApplicationID = AppID
	c.GuildID = guildID
	c.Type = commandType(c)
	c.Version = s.newIDLocked()
}

func (s *Server) listCommands(c *restCtx) {
	g, ok := commandScope(c)
	if !ok {
		return
	}
	c.reply(http.StatusOK, s.Commands(g))
}

func (s *Server) overwriteCommands(c *restCtx) {
	g, ok := commandScope(c)
	if !ok {
		return
	}
	var cmds []*discordgo.ApplicationCommand
	if err := json.Unmarshal(c.rec.Body, &cmds); err != nil {
		c.formError(map[string]string{"_": err.Error()})
		return
	}
	if errs := validateCommands(cmds); len(errs) > 0 {
		c.formError(errs)
		return
	}
	s.mu.Lock()
	existing := s.commands[g]
	for _, cmd := range cmds {
		s.normalizeLocked(g, cmd, existing)
	}
	s.commands[g] = cmds
	s.commandsWritten[g] = true
	out := cloneCommands(cmds)
	s.notifyLocked()
	s.mu.Unlock()
	c.reply(http.StatusOK, out)
}

func (s *Server) createCommand(c *restCtx) {
	g, ok := commandScope(c)
	if !ok {
		return
	}
	var cmd discordgo.ApplicationCommand
	if err := json.Unmarshal(c.rec.Body, &cmd); err != nil {
		c.formError(map[string]string{"_": err.Error()})
		return
	}
	if errs := validateCommands([]*discordgo.ApplicationCommand{&cmd}); len(errs) > 0 {
		c.formError(errs)
		return
	}
	s.mu.Lock()
	existing := s.commands[g]
	s.normalizeLocked(g, &cmd, existing)
	status := http.StatusCreated
	replaced := false
	for i, e := range existing {
		if e.ID == cmd.ID {
			existing[i], replaced, status = &cmd, true, http.StatusOK
		}
	}
	if !replaced {
		s.commands[g] = append(existing, &cmd)
	}
	s.commandsWritten[g] = true
	out := cloneCommand(&cmd)
	s.notifyLocked()
	s.mu.Unlock()
	c.reply(status, out)
}

func (s *Server) findCommandLocked(g, id string) (int, *discordgo.ApplicationCommand) {
	for i, e := range s.commands[g] {
		if e.ID == id {
			return i, e
		}
	}
	return -1, nil
}

func (s *Server) getCommand(c *restCtx) {
	g, ok := commandScope(c)
	if !ok {
		return
	}
	s.mu.Lock()
	_, cmd := s.findCommandLocked(g, c.param("command"))
	if cmd != nil {
		cmd = cloneCommand(cmd)
	}
	s.mu.Unlock()
	if cmd == nil {
		c.apiError(http.StatusNotFound, 10063, "Unknown application command")
		return
	}
	c.reply(http.StatusOK, cmd)
}

func (s *Server) editCommand(c *restCtx) {
	g, ok := commandScope(c)
	if !ok {
		return
	}
	s.mu.Lock()
	i, cur := s.findCommandLocked(g, c.param("command"))
	var merged discordgo.ApplicationCommand
	if cur != nil {
		merged = *cloneCommand(cur)
	}
	s.mu.Unlock()
	if cur == nil {
		c.apiError(http.StatusNotFound, 10063, "Unknown application command")
		return
	}
	if err := json.Unmarshal(c.rec.Body, &merged); err != nil {
		c.formError(map[string]string{"_": err.Error()})
		return
	}
	if errs := validateCommands([]*discordgo.ApplicationCommand{&merged}); len(errs) > 0 {
		c.formError(errs)
		return
	}
	s.mu.Lock()
	merged.ID, merged.ApplicationID, merged.GuildID = cur.ID, AppID, g
	merged.Version = s.newIDLocked()
	if i < len(s.commands[g]) && s.commands[g][i] == cur {
		s.commands[g][i] = &merged
	}
	out := cloneCommand(&merged)
	s.notifyLocked()
	s.mu.Unlock()
	c.reply(http.StatusOK, out)
}

func (s *Server) deleteCommand(c *restCtx) {
	g, ok := commandScope(c)
	if !ok {
		return
	}
	s.mu.Lock()
	i, cur := s.findCommandLocked(g, c.param("command"))
	if cur != nil {
		cmds := s.commands[g]
		s.commands[g] = append(cmds[:i:i], cmds[i+1:]...)
		s.notifyLocked()
	}
	s.mu.Unlock()
	if cur == nil {
		c.apiError(http.StatusNotFound, 10063, "Unknown application command")
		return
	}
	c.noContent()
}
