package discordtest

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// TestNonceWindowOnClock: inside the window a repeated nonce returns the
// first message; past it, the same nonce posts a duplicate, as on Discord.
// The window is passed by moving the server's clock, not by sleeping.
func TestNonceWindowOnClock(t *testing.T) {
	t.Parallel()
	clk := newTestClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := New(t, WithClock(clk.Now))
	srv.SetNonceWindow(5 * time.Minute)
	dg := newSession(t, srv, "Bot "+Token)
	post := func() string {
		t.Helper()
		id, _, err := postWithNonce(dg, testChannel, "digest", "run-1")
		if err != nil {
			t.Fatal(err)
		}
		return id
	}

	first := post()
	clk.Advance(5 * time.Minute) // the window's last instant still counts
	if again := post(); again != first {
		t.Fatalf("inside the window: %s, want %s", again, first)
	}
	clk.Advance(time.Millisecond)
	dup := post()
	if dup == first {
		t.Fatal("past the window the nonce still de-duplicated")
	}
	// The duplicate starts a window of its own.
	if again := post(); again != dup {
		t.Fatalf("after the duplicate: %s, want %s", again, dup)
	}
	if n := len(srv.Messages(testChannel)); n != 2 {
		t.Fatalf("messages = %d, want 2", n)
	}

	// A window of zero turns de-duplication off.
	srv.SetNonceWindow(0)
	if post() == dup || len(srv.Messages(testChannel)) != 3 {
		t.Fatalf("window 0 de-duplicated: %d messages", len(srv.Messages(testChannel)))
	}
}

// TestExpireNonces passes the window on the real clock: nonces remembered
// before ExpireNonces no longer de-duplicate, later ones do.
func TestExpireNonces(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)
	post := func(nonce string) string {
		t.Helper()
		id, _, err := postWithNonce(dg, testChannel, "digest", nonce)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	first := post("run-1")
	if post("run-1") != first {
		t.Fatal("no de-duplication inside the default window")
	}
	srv.ExpireNonces()
	dup := post("run-1")
	if dup == first {
		t.Fatal("ExpireNonces: the nonce still de-duplicated")
	}
	if post("run-1") != dup {
		t.Fatal("a nonce posted after ExpireNonces is not remembered")
	}
	msgs := srv.Messages(testChannel)
	if len(msgs) != 2 || msgs[0].Nonce != "run-1" || msgs[1].Nonce != "run-1" {
		t.Fatalf("messages = %+v", msgs)
	}
}

// TestDropResponseAfterCreate: the message is created but the client gets
// no answer, only an error; a retry with the same nonce inside the window
// gets the message, one past the window posts a duplicate.
func TestDropResponseAfterCreate(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)

	srv.DropResponseAfterCreate(testChannel)
	// A refused post does not use the drop up.
	_, err := dg.ChannelMessageSendComplex(testChannel, &discordgo.MessageSend{})
	if re := restErr(t, err); re.Message.Code != 50006 {
		t.Fatalf("empty post: %v", err)
	}

	_, _, err = postWithNonce(dg, testChannel, "digest", "run-7")
	if err == nil {
		t.Fatal("the dropped post succeeded")
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) {
		t.Fatalf("the dropped post got an answer: %v", err)
	}
	t.Logf("dropped post: %v", err)
	msgs := srv.Messages(testChannel)
	if len(msgs) != 1 || msgs[0].Nonce != "run-7" || msgs[0].Content != "digest" {
		t.Fatalf("stored = %+v", msgs)
	}
	var dropped []Request
	for _, r := range srv.Requests() {
		if r.Dropped {
			dropped = append(dropped, r)
		}
	}
	if len(dropped) != 1 || dropped[0].Method != http.MethodPost || dropped[0].Status != 0 {
		t.Fatalf("dropped requests = %+v", dropped)
	}

	// The drop is used up: the retry is answered with the same message.
	id, _, err := postWithNonce(dg, testChannel, "digest", "run-7")
	if err != nil || id != msgs[0].ID {
		t.Fatalf("retry in the window: %s, %v; want %s", id, err, msgs[0].ID)
	}
	// Past the window the retry would be a duplicate post.
	srv.ExpireNonces()
	if id, _, err := postWithNonce(dg, testChannel, "digest", "run-7"); err != nil || id == msgs[0].ID {
		t.Fatalf("retry past the window: %s, %v", id, err)
	}
	if n := len(srv.Messages(testChannel)); n != 2 {
		t.Fatalf("messages = %d, want 2", n)
	}
}
