package discordtest

import "net/http"

// ForbidSend takes the bot's Send Messages permission in a channel away:
// posting a message there, making a forum post or starting a thread there
// answers 403 Missing Permissions (50013), as Discord does when the bot
// can see a channel but not post in it. The channel can still be looked
// up and read. AllowSend gives the permission back.
func (s *Server) ForbidSend(channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channelLocked(channelID).noSend = true
}

// AllowSend undoes ForbidSend.
func (s *Server) AllowSend(channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channelLocked(channelID).noSend = false
}

// checkSend replies 403 Missing Permissions (50013) and returns false when
// the bot may not post in the channel (ForbidSend).
func (s *Server) checkSend(c *restCtx, id string) bool {
	s.mu.Lock()
	ch := s.channels[id]
	denied := ch != nil && ch.noSend
	s.mu.Unlock()
	if denied {
		c.apiError(http.StatusForbidden, 50013, "Missing Permissions")
		return false
	}
	return true
}
