package discordtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Gateway close codes used by the fake (see Discord's gateway docs).
const (
	CloseUnknownError         = 4000
	CloseDecodeError          = 4002
	CloseNotAuthenticated     = 4003
	CloseAuthenticationFailed = 4004
	CloseAlreadyAuthenticated = 4005
	CloseInvalidAPIVersion    = 4012 // sharding's 4010 and 4011 are in shards.go
	CloseDisallowedIntents    = 4014
)

const writeTimeout = 5 * time.Second

// maxReplay bounds the per-session event log kept for resume replays.
const maxReplay = 1000

// gwConn is one gateway websocket.
type gwConn struct {
	ws  *websocket.Conn
	wmu sync.Mutex // serialises writes

	// guarded by Server.mu
	session *gwSession
	authed  bool // READY or RESUMED was sent on this connection

	// clientClose is the code of the close frame the client sent, or 0;
	// only the connection's reader touches it.
	clientClose int
}

func (c *gwConn) writeJSON(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.ws.WriteJSON(v)
}

// closeWithCode sends a close frame and closes the connection.
func (c *gwConn) closeWithCode(code int, text string) {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	c.wmu.Unlock()
	_ = c.ws.Close()
}

// gwSession is a gateway session (survives connection drops; resumable).
type gwSession struct {
	id string
	// shard of shards is what the Identify named (0 of 1 for none); the
	// session gets the events of the guilds it owns.
	shard, shards int

	mu   sync.Mutex // guards seq, log, conn writes in order
	seq  int64
	log  []gwPayload // dispatched events, for replay on resume
	conn *gwConn     // live connection or nil
}

type gwPayload struct {
	Op   int             `json:"op"`
	D    json.RawMessage `json:"d"`
	S    *int64          `json:"s"`
	T    *string         `json:"t"`
	seqN int64
}

func dispatchPayload(t string, seq int64, d json.RawMessage) gwPayload {
	return gwPayload{Op: 0, D: d, S: &seq, T: &t, seqN: seq}
}

// dispatch assigns the next sequence number to an event, logs it for replay
// and writes it to the session's live connection if there is one. A failed
// write is not an error: the client gets the event when it resumes.
func (sess *gwSession) dispatch(t string, d json.RawMessage) {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	sess.seq++
	p := dispatchPayload(t, sess.seq, d)
	sess.log = append(sess.log, p)
	if len(sess.log) > maxReplay {
		sess.log = sess.log[len(sess.log)-maxReplay:]
	}
	if sess.conn != nil {
		_ = sess.conn.writeJSON(p)
	}
}

// WaitReady waits until a client has identified and received READY, or
// resumed and received RESUMED after the last DropConnections, on a gateway
// connection that is still open.
func (s *Server) WaitReady(ctx context.Context) error {
	return s.waitFor(ctx, func() bool { return s.readyConnLocked() != nil })
}

// readyConnLocked returns an authenticated live connection, preferring the
// current session's. s.mu must be held.
func (s *Server) readyConnLocked() *gwConn {
	if s.current != nil {
		for c := range s.conns {
			if c.authed && c.session == s.current {
				return c
			}
		}
	}
	for c := range s.conns {
		if c.authed {
			return c
		}
	}
	return nil
}

// Identifies returns the "d" of every Identify (op 2) received, in order.
func (s *Server) Identifies() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]json.RawMessage, len(s.identifies))
	copy(out, s.identifies)
	return out
}

// Resumes returns how many Resume (op 6) attempts succeeded with RESUMED.
func (s *Server) Resumes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resumes
}

// Heartbeats returns how many heartbeats (op 1) clients have sent.
func (s *Server) Heartbeats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.heartbeats
}

// WaitHeartbeats waits until clients have sent at least n heartbeats in total.
func (s *Server) WaitHeartbeats(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return s.heartbeats >= n })
}

// GatewayConnections returns the number of open gateway websockets.
func (s *Server) GatewayConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// DropConnections abruptly closes every gateway websocket without a close
// frame, like a network failure. Sessions stay resumable and events
// dispatched meanwhile are replayed on resume.
//
// discordgo v0.29.0 pauses 1s before reconnecting. If its heartbeat
// goroutine also notices the dead socket, two reconnects run inside
// discordgo (a data race reported by -race), and the late one closes the
// connection the first one opened, with 1000, which ends the session: an
// event dispatched on it is lost. The heartbeat goroutine writes its first
// heartbeat as soon as it starts, then every interval; so tests using
// DropConnections should use a long WithHeartbeatInterval (e.g.
// time.Minute) and wait for the first heartbeat (WaitHeartbeats) before
// dropping.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := make([]*gwConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
		s.detachLocked(c)
	}
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.NetConn().Close()
	}
}

// RequestReconnect sends op 7 (Reconnect) on every connection; the client
// should close and resume.
func (s *Server) RequestReconnect() {
	s.mu.Lock()
	conns := make([]*gwConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.writeJSON(map[string]any{"op": 7, "d": nil})
	}
}

// SetGuilds sets the guilds listed (as unavailable) in READY and sent as
// GUILD_CREATE afterwards. The default is DefaultGuildID.
func (s *Server) SetGuilds(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.guilds = append([]string(nil), ids...)
}

// Dispatch sends an arbitrary dispatch event (op 0) with the given type and
// data on a session of the shard owning the data's guild_id (shard 0
// without one), the current session when it does. It fails if no such
// session is ready before ctx ends.
func (s *Server) Dispatch(ctx context.Context, eventType string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	guild := dispatchGuild(raw)
	var sess *gwSession
	if err := s.waitFor(ctx, func() bool {
		if c := s.readyConnForLocked(guild); c != nil {
			sess = c.session
			return true
		}
		return false
	}); err != nil {
		return err
	}
	sess.dispatch(eventType, raw)
	return nil
}

// ClientCloses returns the codes of the close frames clients sent, in order.
// The fake answered each at once with the same code and closed the
// connection, as Discord does.
func (s *Server) ClientCloses() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.clientCloses...)
}

// WaitClientCloses waits until clients have closed at least n gateway
// connections with a close frame, each answered and closed by the fake.
func (s *Server) WaitClientCloses(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return len(s.clientCloses) >= n })
}

// clientCloseLocked records that c's client closed it with a close frame.
// A close with 1000 or 1001 ends the session on Discord: it can no longer
// be resumed. Other codes (discordgo closes with 1012 before resuming after
// op 7) keep it. s.mu must be held.
func (s *Server) clientCloseLocked(c *gwConn) {
	s.clientCloses = append(s.clientCloses, c.clientClose)
	if sess := c.session; sess != nil && (c.clientClose == websocket.CloseNormalClosure || c.clientClose == websocket.CloseGoingAway) {
		delete(s.sessions, sess.id)
		if s.current == sess {
			s.current = nil
		}
	}
}

// detachLocked removes c from the live set and from its session.
func (s *Server) detachLocked(c *gwConn) {
	delete(s.conns, c)
	c.authed = false
	if sess := c.session; sess != nil {
		sess.mu.Lock()
		if sess.conn == c {
			sess.conn = nil
		}
		sess.mu.Unlock()
	}
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade already replied
	}
	ws.SetReadLimit(1 << 20)
	c := &gwConn{ws: ws}

	select {
	case <-s.done:
		_ = ws.Close()
		return
	default:
	}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.notifyLocked()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.detachLocked(c)
		if c.clientClose != 0 {
			s.clientCloseLocked(c)
		}
		s.notifyLocked()
		s.mu.Unlock()
		_ = ws.Close()
	}()
	// A client closing cleanly sends a close frame and waits for the server
	// to close the connection. Discord answers at once: it echoes the code
	// and closes, and so does the fake.
	ws.SetCloseHandler(func(code int, _ string) error {
		c.clientClose = code
		c.closeWithCode(code, "")
		return nil
	})

	q := r.URL.Query()
	if v := q.Get("v"); v != "" && v != "9" && v != "10" {
		c.closeWithCode(CloseInvalidAPIVersion, "Invalid API version.")
		return
	}
	if e := q.Get("encoding"); e != "" && e != "json" {
		c.closeWithCode(CloseDecodeError, "Error while decoding payload.")
		return
	}

	hello := map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": s.heartbeat.Milliseconds()}, "s": nil, "t": nil}
	if err := c.writeJSON(hello); err != nil {
		return
	}

	for {
		mt, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if mt != websocket.TextMessage {
			c.closeWithCode(CloseDecodeError, "Error while decoding payload.")
			return
		}
		var p struct {
			Op *int            `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if err := json.Unmarshal(data, &p); err != nil || p.Op == nil {
			c.closeWithCode(CloseDecodeError, "Error while decoding payload.")
			return
		}
		switch *p.Op {
		case 1: // Heartbeat
			s.mu.Lock()
			s.heartbeats++
			s.notifyLocked()
			s.mu.Unlock()
			if err := c.writeJSON(map[string]any{"op": 11, "d": nil, "s": nil, "t": nil}); err != nil {
				return
			}
		case 2: // Identify
			if !s.handleIdentify(c, p.D) {
				return
			}
		case 6: // Resume
			if !s.handleResume(c, p.D) {
				return
			}
		default:
			// Presence updates (3), voice state (4), request guild members (8)...
			// are accepted and ignored. Other ops need an authenticated session.
			s.mu.Lock()
			authed := c.authed
			s.mu.Unlock()
			if !authed {
				c.closeWithCode(CloseNotAuthenticated, "Not authenticated.")
				return
			}
		}
	}
}

func validGatewayToken(tok string) bool {
	return tok == Token || tok == "Bot "+Token
}

// handleIdentify processes op 2; it returns false when the connection was closed.
func (s *Server) handleIdentify(c *gwConn, d json.RawMessage) bool {
	var id struct {
		Token   string            `json:"token"`
		Intents *discordgo.Intent `json:"intents"`
		Shard   *[2]int           `json:"shard"`
	}
	raw := append(json.RawMessage(nil), d...)
	s.mu.Lock()
	s.identifies = append(s.identifies, raw)
	already := c.session != nil
	s.notifyLocked()
	s.mu.Unlock()

	if err := json.Unmarshal(d, &id); err != nil {
		c.closeWithCode(CloseDecodeError, "Error while decoding payload.")
		return false
	}
	if already {
		c.closeWithCode(CloseAlreadyAuthenticated, "Already authenticated.")
		return false
	}
	if !validGatewayToken(id.Token) {
		c.closeWithCode(CloseAuthenticationFailed, "Authentication failed.")
		return false
	}
	if id.Intents == nil {
		c.closeWithCode(CloseDecodeError, "Error while decoding payload.")
		return false
	}
	if *id.Intents&PrivilegedIntents != 0 && !s.privilegedOK {
		c.closeWithCode(CloseDisallowedIntents, "Disallowed intent(s).")
		return false
	}

	sess := &gwSession{id: randomHex(16), shard: 0, shards: 1}
	if id.Shard != nil {
		sess.shard, sess.shards = id.Shard[0], id.Shard[1]
	}
	s.mu.Lock()
	code, text := s.shardCheckLocked(sess.shard, sess.shards)
	s.notifyLocked()
	if code != 0 {
		s.mu.Unlock()
		c.closeWithCode(code, text)
		return false
	}
	guilds := s.guildsOfLocked(sess.shard, sess.shards)
	s.readyGuilds = append(s.readyGuilds, readyGuilds{shard: sess.shard, count: sess.shards, guilds: guilds})
	channels := s.guildChannelsLocked()
	s.mu.Unlock()

	unavailable := make([]map[string]any, 0, len(guilds))
	for _, g := range guilds {
		unavailable = append(unavailable, map[string]any{"id": g, "unavailable": true})
	}
	ready, _ := json.Marshal(map[string]any{
		"v":                  9,
		"user":               botUser(),
		"session_id":         sess.id,
		"session_type":       "normal",
		"resume_gateway_url": s.GatewayURL(),
		"application":        map[string]any{"id": AppID, "flags": 0},
		"guilds":             unavailable,
		"private_channels":   []any{},
	})
	// READY is logged before the session is published, so it is sequence 1
	// and precedes anything dispatched once the session is visible.
	sess.seq = 1
	sess.log = []gwPayload{dispatchPayload("READY", 1, ready)}

	s.mu.Lock()
	s.sessions[sess.id] = sess
	c.session = sess
	s.markReadyLocked(c, sess)
	s.mu.Unlock()

	if !sess.attach(c, 0, false) {
		return false
	}

	if s.guildCreate {
		for _, g := range guilds {
			chs := channels[g]
			if chs == nil {
				chs = []map[string]any{}
			}
			gc, _ := json.Marshal(map[string]any{
				"id": g, "name": "Guild " + g, "unavailable": false, "owner_id": DefaultUserID,
				"member_count": 2, "large": false, "channels": chs, "threads": []any{},
				"roles": []any{}, "members": []any{}, "voice_states": []any{}, "emojis": []any{},
			})
			sess.dispatch("GUILD_CREATE", gc)
		}
	}
	return true
}

// handleResume processes op 6; it returns false when the connection was closed.
func (s *Server) handleResume(c *gwConn, d json.RawMessage) bool {
	var rs struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	if err := json.Unmarshal(d, &rs); err != nil {
		c.closeWithCode(CloseDecodeError, "Error while decoding payload.")
		return false
	}
	if !validGatewayToken(rs.Token) {
		c.closeWithCode(CloseAuthenticationFailed, "Authentication failed.")
		return false
	}
	s.mu.Lock()
	sess := s.sessions[rs.SessionID]
	if c.session != nil {
		s.mu.Unlock()
		c.closeWithCode(CloseAlreadyAuthenticated, "Already authenticated.")
		return false
	}
	if sess != nil {
		c.session = sess
		s.resumes++
		s.markReadyLocked(c, sess)
	}
	s.mu.Unlock()

	if sess == nil {
		// Invalid session, not resumable: the client must identify again.
		return c.writeJSON(map[string]any{"op": 9, "d": false, "s": nil, "t": nil}) == nil
	}
	return sess.attach(c, rs.Seq, true)
}

// markReadyLocked marks c as ready (for WaitReady and Interact) if it is still
// open. Events dispatched from now on are ordered after READY/RESUMED by
// gwSession.attach. s.mu must be held.
func (s *Server) markReadyLocked(c *gwConn, sess *gwSession) {
	if _, live := s.conns[c]; live {
		c.authed = true
		s.current = sess
	}
	s.notifyLocked()
}

// attach makes c the session's connection: it writes the logged events after
// sequence fromSeq (READY for a new session, missed events for a resume),
// then RESUMED when resuming. It returns false when a write failed.
func (sess *gwSession) attach(c *gwConn, fromSeq int64, resumed bool) bool {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if old := sess.conn; old != nil && old != c {
		// A session has one connection; the old one is superseded.
		_ = old.ws.NetConn().Close()
	}
	sess.conn = nil
	for _, p := range sess.log {
		if p.seqN > fromSeq {
			if c.writeJSON(p) != nil {
				return false
			}
		}
	}
	if resumed {
		sess.seq++
		p := dispatchPayload("RESUMED", sess.seq, json.RawMessage(`{}`))
		sess.log = append(sess.log, p)
		if c.writeJSON(p) != nil {
			return false
		}
	}
	sess.conn = c
	return true
}

func botUser() map[string]any {
	return map[string]any{
		"id": BotUserID, "username": BotUsername, "discriminator": "0",
		"global_name": nil, "avatar": nil, "bot": true, "verified": true, "flags": 0,
	}
}

var errServerClosed = errors.New("discordtest: server closed")
