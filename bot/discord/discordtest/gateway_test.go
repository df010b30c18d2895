package discordtest

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

func TestIdentifyReadyAndGuildCreate(t *testing.T) {
	t.Parallel()
	srv := New(t, WithHeartbeatInterval(300*time.Millisecond))
	srv.AddChannel(DefaultGuildID, "300000000000000009")
	guildCreated := make(chan *discordgo.GuildCreate, 1)
	dg := openSession(t, srv, func(_ *discordgo.Session, g *discordgo.GuildCreate) {
		select {
		case guildCreated <- g:
		default:
		}
	})

	ids := srv.Identifies()
	if len(ids) != 1 {
		t.Fatalf("identifies = %d, want 1", len(ids))
	}
	var id struct {
		Token   string           `json:"token"`
		Intents discordgo.Intent `json:"intents"`
	}
	if err := json.Unmarshal(ids[0], &id); err != nil {
		t.Fatal(err)
	}
	if id.Token != "Bot "+Token || id.Intents != discordgo.IntentsAllWithoutPrivileged {
		t.Fatalf("identify = %+v", id)
	}
	if dg.State.User == nil || dg.State.User.ID != BotUserID || !dg.State.User.Bot {
		t.Fatalf("state user = %+v", dg.State.User)
	}

	select {
	case g := <-guildCreated:
		if g.ID != DefaultGuildID || g.Unavailable || len(g.Channels) != 1 {
			t.Fatalf("GUILD_CREATE = %+v", g.Guild)
		}
	case <-testContext(t, 5*time.Second).Done():
		t.Fatal("no GUILD_CREATE")
	}

	// Heartbeats are acknowledged: after many intervals the client is still
	// on its first connection (discordgo reconnects after 5 missed ACKs).
	if err := srv.WaitHeartbeats(testContext(t, 10*time.Second), 4); err != nil {
		t.Fatal(err)
	}
	if srv.Resumes() != 0 || len(srv.Identifies()) != 1 || srv.GatewayConnections() != 1 {
		t.Fatalf("reconnected: resumes=%d identifies=%d conns=%d", srv.Resumes(), len(srv.Identifies()), srv.GatewayConnections())
	}
}

// dropTestHeartbeat is long so that, after a drop, only discordgo's reader
// goroutine reconnects: when its heartbeat goroutine also notices the dead
// socket, discordgo v0.29.0 runs two reconnects at once (see
// DropConnections). The tests also wait for the first heartbeat, which
// discordgo sends as soon as it is connected, before dropping.
const dropTestHeartbeat = time.Minute

func TestDropConnectionsResumes(t *testing.T) {
	t.Parallel()
	srv := New(t, WithHeartbeatInterval(dropTestHeartbeat))
	dg := openSession(t, srv, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		_ = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "pong"},
		})
	})
	_ = dg

	ctx := testContext(t, 10*time.Second)
	if err := srv.WaitHeartbeats(ctx, 1); err != nil {
		t.Fatal(err)
	}
	srv.DropConnections()
	if err := srv.WaitReady(ctx); err != nil {
		t.Fatalf("no resume: %v", err)
	}
	if got := srv.Resumes(); got != 1 {
		t.Fatalf("resumes = %d, want 1", got)
	}
	if got := len(srv.Identifies()); got != 1 {
		t.Fatalf("identifies = %d, want 1 (client should resume, not re-identify)", got)
	}
	r, err := srv.Interact(ctx, Command("ping"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Data.Content != "pong" {
		t.Fatalf("reply = %+v", r)
	}
}

func TestInteractWaitsForResume(t *testing.T) {
	t.Parallel()
	srv := New(t, WithHeartbeatInterval(dropTestHeartbeat))
	openSession(t, srv, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		_ = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		})
		_, _ = s.InteractionResponseEdit(i.Interaction, &discordgo.WebhookEdit{Content: ptr("late but there")})
	})
	// Interact called while no connection is live waits for the resume
	// (discordgo pauses 1s before reconnecting) and dispatches then.
	ctx := testContext(t, 10*time.Second)
	if err := srv.WaitHeartbeats(ctx, 1); err != nil {
		t.Fatal(err)
	}
	srv.DropConnections()
	r, err := srv.Interact(ctx, Command("ping"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Deferred || r.Data.Content != "late but there" {
		t.Fatalf("reply = %+v", r)
	}
}

func TestPrivilegedIntentsRejected(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)
	dg.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentMessageContent
	err := dg.Open()
	if err == nil {
		_ = dg.Close()
		t.Fatal("Open succeeded with a privileged intent")
	}
	if !strings.Contains(err.Error(), "4014") {
		t.Fatalf("err = %v, want close 4014", err)
	}

	ok := New(t, WithPrivilegedIntentsAllowed(true))
	dg2 := newSession(t, ok, "Bot "+Token)
	dg2.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentMessageContent
	if err := dg2.Open(); err != nil {
		t.Fatalf("Open with privileged intents allowed: %v", err)
	}
	_ = dg2.Close()
}

func TestWrongTokenGateway(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot wrong-token")
	err := dg.Open() // GET /gateway needs no auth; identify fails
	if err == nil {
		_ = dg.Close()
		t.Fatal("Open succeeded with a wrong token")
	}
	if !strings.Contains(err.Error(), "4004") {
		t.Fatalf("err = %v, want close 4004", err)
	}
	if _, err := dg.User("@me"); err == nil {
		t.Fatal("REST with wrong token succeeded")
	} else if re := restErr(t, err); re.Response.StatusCode != 401 {
		t.Fatalf("status = %d", re.Response.StatusCode)
	}
	if srv.InvalidRequests() != 1 {
		t.Fatalf("invalid requests = %d, want 1", srv.InvalidRequests())
	}
}

// rawFrame is a gateway payload as read by the raw protocol test.
type rawFrame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  int64           `json:"s"`
	T  string          `json:"t"`
}

func rawDial(t *testing.T, srv *Server) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(srv.GatewayURL()+"/?v=9&encoding=json", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if f := rawRead(t, ws); f.Op != 10 {
		t.Fatalf("first frame op %d, want Hello", f.Op)
	}
	return ws
}

func rawRead(t *testing.T, ws *websocket.Conn) rawFrame {
	t.Helper()
	var f rawFrame
	if err := ws.ReadJSON(&f); err != nil {
		t.Fatalf("read: %v", err)
	}
	return f
}

func TestResumeReplaysMissedEventsRaw(t *testing.T) {
	t.Parallel()
	srv := New(t, WithGuildCreate(false))
	ctx := testContext(t, 10*time.Second)

	ws := rawDial(t, srv)
	if err := ws.WriteJSON(map[string]any{"op": 2, "d": map[string]any{"token": "Bot " + Token, "intents": 1, "properties": map[string]string{}}}); err != nil {
		t.Fatal(err)
	}
	ready := rawRead(t, ws)
	var rd struct {
		SessionID string `json:"session_id"`
	}
	_ = json.Unmarshal(ready.D, &rd)
	if ready.T != "READY" || ready.S != 1 || rd.SessionID == "" {
		t.Fatalf("READY = %+v", ready)
	}
	if err := srv.Dispatch(ctx, "TYPING_START", map[string]string{"channel_id": "1"}); err != nil {
		t.Fatal(err)
	}
	if f := rawRead(t, ws); f.T != "TYPING_START" || f.S != 2 {
		t.Fatalf("event = %+v", f)
	}
	srv.DropConnections()
	// Events dispatched while disconnected are replayed after a resume.
	srv.mu.Lock()
	sess := srv.sessions[rd.SessionID]
	srv.mu.Unlock()
	sess.dispatch("TYPING_START", json.RawMessage(`{"channel_id":"2"}`))

	ws2 := rawDial(t, srv)
	if err := ws2.WriteJSON(map[string]any{"op": 6, "d": map[string]any{"token": "Bot " + Token, "session_id": rd.SessionID, "seq": 2}}); err != nil {
		t.Fatal(err)
	}
	if f := rawRead(t, ws2); f.T != "TYPING_START" || f.S != 3 || !strings.Contains(string(f.D), `"2"`) {
		t.Fatalf("replayed = %+v", f)
	}
	f := rawRead(t, ws2)
	if f.T != "RESUMED" {
		t.Fatalf("want RESUMED, got %+v", f)
	}
	if srv.Resumes() != 1 {
		t.Fatalf("resumes = %d", srv.Resumes())
	}

	// Unknown session: op 9, d false.
	ws3 := rawDial(t, srv)
	if err := ws3.WriteJSON(map[string]any{"op": 6, "d": map[string]any{"token": "Bot " + Token, "session_id": "nope", "seq": 5}}); err != nil {
		t.Fatal(err)
	}
	if f := rawRead(t, ws3); f.Op != 9 || string(f.D) != "false" {
		t.Fatalf("want op 9 false, got %+v", f)
	}
	// Heartbeat gets an ACK.
	if err := ws3.WriteJSON(map[string]any{"op": 1, "d": nil}); err != nil {
		t.Fatal(err)
	}
	if f := rawRead(t, ws3); f.Op != 11 {
		t.Fatalf("want op 11, got %+v", f)
	}
}

// TestCloseFrameIsAnswered: a client's close frame is echoed with its code
// and the fake closes the connection itself, as Discord does, so a client
// waiting for the server to close is not kept waiting. The raw client here
// never closes its end: the end of the stream is the fake's doing.
func TestCloseFrameIsAnswered(t *testing.T) {
	t.Parallel()
	srv := New(t)
	ws := rawDial(t, srv)
	if err := ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	_, _, err := ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
		t.Fatalf("after the close frame, read %v; want the close echoed with 1000", err)
	}
	if _, err := ws.NetConn().Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("after the echo, read %v; want the connection closed by the fake", err)
	}
	if err := srv.WaitClientCloses(testContext(t, 10*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	if got := srv.ClientCloses(); len(got) != 1 || got[0] != websocket.CloseNormalClosure {
		t.Errorf("ClientCloses = %v, want [1000]", got)
	}
}

// TestSessionCloseIsAnswered: discordgo's Session.Close sends 1000 and
// waits for the server; the fake answers and closes the connection.
// (discordgo v0.29.0 then still sleeps a fixed second before Close returns:
// it does not watch for the server's answer.)
func TestSessionCloseIsAnswered(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := openSession(t, srv)
	closed := make(chan error, 1)
	go func() { closed <- dg.Close() }()
	if err := srv.WaitClientCloses(testContext(t, 10*time.Second), 1); err != nil {
		t.Fatalf("the fake never saw the close: %v", err)
	}
	if got := srv.ClientCloses(); len(got) != 1 || got[0] != websocket.CloseNormalClosure {
		t.Errorf("ClientCloses = %v, want [1000]", got)
	}
	if n := srv.GatewayConnections(); n != 0 {
		t.Errorf("%d gateway connections open after the close was answered", n)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// TestCleanCloseEndsTheSession: after a close with 1000 the session cannot
// be resumed (op 9), as on Discord; after another code it can.
func TestCleanCloseEndsTheSession(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code      int
		resumable bool
	}{{websocket.CloseNormalClosure, false}, {websocket.CloseGoingAway, false}, {websocket.CloseServiceRestart, true}, {4000, true}} {
		srv := New(t, WithGuildCreate(false))
		ws := rawDial(t, srv)
		if err := ws.WriteJSON(map[string]any{"op": 2, "d": map[string]any{"token": "Bot " + Token, "intents": 1, "properties": map[string]string{}}}); err != nil {
			t.Fatal(err)
		}
		var rd struct {
			SessionID string `json:"session_id"`
		}
		if f := rawRead(t, ws); f.T != "READY" || json.Unmarshal(f.D, &rd) != nil {
			t.Fatalf("want READY, got %+v", f)
		}
		if err := ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(tc.code, ""), time.Now().Add(5*time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := srv.WaitClientCloses(testContext(t, 10*time.Second), 1); err != nil {
			t.Fatal(err)
		}
		ws2 := rawDial(t, srv)
		if err := ws2.WriteJSON(map[string]any{"op": 6, "d": map[string]any{"token": "Bot " + Token, "session_id": rd.SessionID, "seq": 1}}); err != nil {
			t.Fatal(err)
		}
		f := rawRead(t, ws2)
		if resumed := f.T == "RESUMED"; resumed != tc.resumable || (!resumed && f.Op != 9) {
			t.Errorf("close %d, then resume: %+v; want resumable %v", tc.code, f, tc.resumable)
		}
	}
}
