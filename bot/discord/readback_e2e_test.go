package discord_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs/briefstest"
)

// These tests are the digest that Discord created while the bot never heard
// back, found again after Discord's nonce window: the bot must read the
// channel back rather than trust the nonce.

const digestPath = "/channels/" + digestChannel + "/messages"

// crashAfterCreate runs the digest channel's subscription so that Discord
// creates the digest's first message but the bot never hears back, as when
// the bot is killed mid-post: the poster tries five times, the first four
// get 500s and the fifth is created and its answer dropped. The post then
// fails for good and the digest stays pending. It returns that digest.
func crashAfterCreate(h *harness, ctx context.Context) digest.Digest {
	h.t.Helper()
	h.srv.FailNext("POST", digestPath, 500, 4)
	h.srv.DropResponseAfterCreate(digestChannel)
	runNow(h, ctx)
	return onlyPending(h, ctx)
}

// onlyPending returns the one pending digest, failing the test otherwise.
func onlyPending(h *harness, ctx context.Context) digest.Digest {
	h.t.Helper()
	pending, err := h.st.PendingDigests(ctx)
	if err != nil || len(pending) != 1 {
		h.t.Fatalf("pending digests: %v, %v; want exactly one", pending, err)
	}
	return pending[0]
}

// restart stops the bot and starts another on the same fake Discord,
// articles and database; start returns once it has finished the pending
// digests.
func restart(h *harness) *harness {
	h.t.Helper()
	h.stop()
	return start(h.t, setup{srv: h.srv, dir: h.dir, dbPath: h.dbPath, clock: h.clock})
}

// runNow runs the digest channel's subscription: the clock moves to its
// next run, and runNow returns once the run is recorded.
func runNow(h *harness, ctx context.Context) digest.Subscription {
	h.t.Helper()
	return h.runNext(ctx, digestChannel)
}

// requestsSince counts the requests from the i-th on with method to the
// digest channel's messages.
func requestsSince(srv *discordtest.Server, i int, method string) int {
	n := 0
	for _, r := range srv.Requests()[i:] {
		if r.Method == method && r.Path == digestPath {
			n++
		}
	}
	return n
}

// assertSent fails the test unless nothing is pending and the subscription
// recorded a posted run and is not paused.
func assertSent(h *harness, ctx context.Context, articles int) {
	h.t.Helper()
	if pending, err := h.st.PendingDigests(ctx); err != nil || len(pending) != 0 {
		h.t.Errorf("pending after restart: %v, %v", pending, err)
	}
	sub, err := h.st.Subscription(ctx, discordtest.DefaultGuildID, digestChannel, "digest")
	if err != nil || sub.Paused != "" || sub.LastOutcome != fmt.Sprintf("posted %d", articles) {
		h.t.Errorf("subscription after restart: paused %q, outcome %q, %v", sub.Paused, sub.LastOutcome, err)
	}
}

var markerInFooter = regexp.MustCompile(`digest ([0-9a-f]{8})(?: · ([0-9]+)/([0-9]+))?$`)

// markers returns the digest marker ("ID" or "ID i/n") of each message,
// failing the test for a message without one.
func markers(t *testing.T, msgs []discordtest.Message) []string {
	t.Helper()
	var out []string
	for _, m := range msgs {
		last := m.Embeds[len(m.Embeds)-1]
		mm := markerInFooter.FindStringSubmatch(last.Footer.Text)
		if mm == nil {
			t.Fatalf("message %s has no digest marker: footer %q", m.ID, last.Footer.Text)
		}
		out = append(out, strings.TrimSpace(mm[1]+" "+strings.TrimPrefix(mm[2]+"/"+mm[3], "/")))
	}
	return out
}

// TestDigestCreatedBeforeCrashIsFoundPastNonceWindow: Discord created the
// digest, the bot never heard back, and it restarts after Discord forgot
// the nonce. The bot reads the channel back, finds its marker, posts
// nothing and marks the digest sent.
func TestDigestCreatedBeforeCrashIsFoundPastNonceWindow(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	subscribe(h, digestChannel, "@every 1h", discordtest.Opt("count", 2))
	ctx := ctxFor(t, 30*time.Second)
	crashAfterCreate(h, ctx)
	if n := len(h.srv.Messages(digestChannel)); n != 1 {
		t.Fatalf("%d messages after the dropped answer, want the 1 Discord created", n)
	}
	h.srv.ExpireNonces() // a repeat of the nonce now posts a duplicate

	mark := len(h.srv.Requests())
	h = restart(h)
	msgs := h.srv.Messages(digestChannel)
	if len(msgs) != 1 {
		t.Fatalf("%d messages after the restart, want still 1", len(msgs))
	}
	if n := requestsSince(h.srv, mark, "POST"); n != 0 {
		t.Errorf("%d posts after the restart, want none", n)
	}
	if n := requestsSince(h.srv, mark, "GET"); n == 0 {
		t.Error("the channel was never read back")
	}
	assertSent(h, ctx, 2)
	if ids := postedIDs(t, msgs); len(ids) != 2 {
		t.Errorf("the digest holds %v, want 2 articles", ids)
	}
	if !strings.Contains(h.logs.String(), "found a pending digest in its channel") {
		t.Errorf("logs do not say the digest was found:\n%s", h.logs.String())
	}
}

// TestDigestNeverCreatedIsPostedOnceAfterRestart: every attempt failed
// before Discord created anything; at restart the read-back finds nothing
// and the digest goes out once, with its recorded nonce.
func TestDigestNeverCreatedIsPostedOnceAfterRestart(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	subscribe(h, digestChannel, "@every 1h", discordtest.Opt("count", 2))
	ctx := ctxFor(t, 30*time.Second)
	h.srv.FailNext("POST", digestPath, 500, 5)
	runNow(h, ctx)
	dg := onlyPending(h, ctx)
	if n := len(h.srv.Messages(digestChannel)); n != 0 {
		t.Fatalf("%d messages after five 500s", n)
	}
	h.srv.ExpireNonces()

	mark := len(h.srv.Requests())
	h = restart(h)
	msgs := h.srv.Messages(digestChannel)
	if len(msgs) != 1 || msgs[0].Nonce != dg.Nonce {
		t.Fatalf("%d messages after the restart, want 1 with the recorded nonce %q", len(msgs), dg.Nonce)
	}
	if n := requestsSince(h.srv, mark, "POST"); n != 1 {
		t.Errorf("%d posts after the restart, want 1", n)
	}
	assertSent(h, ctx, 2)
	if got := postedIDs(t, msgs); len(got) != 2 || got[0] != dg.ArticleIDs[0] || got[1] != dg.ArticleIDs[1] {
		t.Errorf("posted %v, want the recorded %v", got, dg.ArticleIDs)
	}
}

// TestDigestPartlyCreatedGetsOnlyTheRest: a digest split into two messages,
// of which Discord created the first before the bot lost its answer. After
// a restart past the nonce window only the second goes out.
func TestDigestPartlyCreatedGetsOnlyTheRest(t *testing.T) {
	t.Parallel()
	arts := briefstest.Articles(10, 8)
	for i := range arts {
		long := strings.Repeat(fmt.Sprintf("word%d ", i), 130) // one 900-character sentence
		arts[i].Paragraphs = []string{"Lead " + long + "ends here."}
	}
	h := start(t, setup{articles: arts})
	subscribe(h, digestChannel, "@every 1h", discordtest.Opt("count", 10))
	ctx := ctxFor(t, 30*time.Second)
	dg := crashAfterCreate(h, ctx)
	first := h.srv.Messages(digestChannel)
	if len(first) != 1 {
		t.Fatalf("%d messages after the dropped answer, want the first part only", len(first))
	}
	if got := markers(t, first); len(got) != 1 || !strings.HasSuffix(got[0], " 1/2") {
		t.Fatalf("first part marked %v, want part 1/2", got)
	}
	h.srv.ExpireNonces()

	mark := len(h.srv.Requests())
	h = restart(h)
	msgs := h.srv.Messages(digestChannel)
	if len(msgs) != 2 {
		t.Fatalf("%d messages after the restart, want 2 (the first part once, then the second)", len(msgs))
	}
	if n := requestsSince(h.srv, mark, "POST"); n != 1 {
		t.Errorf("%d posts after the restart, want 1 (the second part)", n)
	}
	if msgs[0].Nonce != dg.Nonce || msgs[1].Nonce != dg.Nonce+"-1" {
		t.Errorf("nonces %q, %q; want %q and its part nonce", msgs[0].Nonce, msgs[1].Nonce, dg.Nonce)
	}
	got := markers(t, msgs)
	id := strings.Fields(got[0])[0]
	if got[0] != id+" 1/2" || got[1] != id+" 2/2" {
		t.Errorf("markers %q, want one digest's 1/2 and 2/2", got)
	}
	ids := postedIDs(t, msgs)
	noDuplicates(t, ids)
	if len(ids) != 10 {
		t.Errorf("%d articles across the messages, want 10", len(ids))
	}
	assertSent(h, ctx, 10)
}

// TestDigestReadBackRefused: without Read Message History the read-back is
// refused (403). As the README documents, the bot then posts the digest
// again with its nonce rather than lose it, and warns: within Discord's
// nonce window that still posts nothing twice; past it the digest shows
// twice. The subscription is not paused.
func TestDigestReadBackRefused(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	subscribe(h, digestChannel, "@every 1h", discordtest.Opt("count", 2))
	ctx := ctxFor(t, 30*time.Second)
	h.srv.ForbidReadHistory(digestChannel)

	// Within the window: the nonce de-duplicates.
	within := crashAfterCreate(h, ctx)
	sub := runNow(h, ctx) // finishes the pending digest, then posts the next
	byNonce := func(nonce string) int {
		n := 0
		for _, m := range h.srv.Messages(digestChannel) {
			if m.Nonce == nonce {
				n++
			}
		}
		return n
	}
	if n := byNonce(within.Nonce); n != 1 {
		t.Errorf("within the nonce window: %d messages of the digest, want 1", n)
	}

	// Past the window, after a restart: a duplicate, and a warning.
	past := crashAfterCreate(h, ctx)
	h.srv.ExpireNonces()
	h = restart(h)
	if n := byNonce(past.Nonce); n != 2 {
		t.Errorf("past the nonce window: %d messages of the digest, want 2 (re-posted rather than lost)", n)
	}
	if pending, err := h.st.PendingDigests(ctx); err != nil || len(pending) != 0 {
		t.Errorf("pending after restart: %v, %v", pending, err)
	}
	if s, err := h.st.SubscriptionByID(ctx, sub.ID); err != nil || s.Paused != "" {
		t.Errorf("subscription paused %q (%v) by a refused read-back", s.Paused, err)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "Read Message History") {
		t.Errorf("no warning naming Read Message History:\n%s", logs)
	}
	ids := postedIDs(t, h.srv.Messages(digestChannel))
	if len(ids) != 8 { // 2 + 2 (the next run) + 2 + 2 (the duplicate)
		t.Errorf("%d articles posted, want 8", len(ids))
	}
}

// postChatter posts n plain messages to channel as the test, straight to
// the fake (not through the bot).
func postChatter(t *testing.T, srv *discordtest.Server, channel string, n int) {
	t.Helper()
	for i := range n {
		body := strings.NewReader(fmt.Sprintf(`{"content":"chatter %d"}`, i))
		req, err := http.NewRequest("POST", srv.URL()+"/channels/"+channel+"/messages", body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bot "+discordtest.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("chatter %d: %s", i, resp.Status)
		}
	}
}

// TestDigestReadBackPagesThroughABusyChannel: 150 messages came between the
// start of the read-back range and the digest, more than one page (100) of
// the channel's history, so the bot must page on to find it.
func TestDigestReadBackPagesThroughABusyChannel(t *testing.T) {
	t.Parallel()
	h := start(t, setup{srvOpts: []discordtest.Option{discordtest.WithGlobalRateLimit(100000)}})
	subscribe(h, digestChannel, "@every 1h", discordtest.Opt("count", 2))
	ctx := ctxFor(t, 30*time.Second)
	postChatter(t, h.srv, digestChannel, 150)
	crashAfterCreate(h, ctx)
	h.srv.ExpireNonces()

	mark := len(h.srv.Requests())
	h = restart(h)
	if n := len(h.srv.Messages(digestChannel)); n != 151 {
		t.Errorf("%d messages after the restart, want the 150 and the digest once", n)
	}
	if n := requestsSince(h.srv, mark, "POST"); n != 0 {
		t.Errorf("%d posts after the restart, want none", n)
	}
	if n := requestsSince(h.srv, mark, "GET"); n != 2 {
		t.Errorf("%d reads of the channel, want 2 (a full page, then the digest's)", n)
	}
	assertSent(h, ctx, 2)
}
