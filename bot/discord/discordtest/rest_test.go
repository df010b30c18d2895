package discordtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

const testChannel = "300000000000000042"

func TestUsersMeAndGatewayBot(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)
	u, err := dg.User("@me")
	if err != nil || u.ID != BotUserID || u.Username != BotUsername || !u.Bot {
		t.Fatalf("@me = %+v, %v", u, err)
	}
	gb, err := dg.GatewayBot()
	if err != nil || gb.Shards != 1 || !strings.HasPrefix(gb.URL, "ws://127.0.0.1:") {
		t.Fatalf("gateway/bot = %+v, %v", gb, err)
	}
	app, err := dg.Application("@me")
	if err != nil || app.ID != AppID {
		t.Fatalf("application = %+v, %v", app, err)
	}
}

func TestFailNext429IsRetried(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)
	srv.FailNext("POST", "/channels/"+testChannel+"/messages", http.StatusTooManyRequests, 2)
	m, err := dg.ChannelMessageSend(testChannel, "digest")
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == "" || m.Content != "digest" || m.ChannelID != testChannel {
		t.Fatalf("message = %+v", m)
	}
	if srv.Count429() != 2 || len(srv.Messages(testChannel)) != 1 {
		t.Fatalf("429s = %d, messages = %d", srv.Count429(), len(srv.Messages(testChannel)))
	}
	var posts []Request
	for _, r := range srv.Requests() {
		if r.Method == "POST" {
			posts = append(posts, r)
		}
	}
	if len(posts) != 3 || posts[0].Status != 429 || posts[2].Status != 200 || posts[2].Route != "POST /channels/{channel}/messages" {
		t.Fatalf("posts = %+v", posts)
	}
	if posts[2].At.Sub(posts[1].At) < 40*time.Millisecond {
		t.Fatalf("retry did not wait retry_after: %v", posts[2].At.Sub(posts[1].At))
	}

	// 500 is not retried by discordgo and surfaces as a RESTError.
	srv.FailNext("", "/channels/", http.StatusInternalServerError, 1)
	_, err = dg.ChannelMessageSend(testChannel, "digest 2")
	if re := restErr(t, err); re.Response.StatusCode != 500 {
		t.Fatalf("err = %v", err)
	}
}

func TestEnforceNonceDeduplicates(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)
	type sent struct {
		ID    string `json:"id"`
		Nonce string `json:"nonce"`
	}
	send := func(body map[string]any) sent {
		t.Helper()
		ep := discordgo.EndpointChannelMessages(testChannel)
		b, err := dg.RequestWithBucketID("POST", ep, body, ep)
		if err != nil {
			t.Fatal(err)
		}
		var m sent
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	body := map[string]any{"content": "daily digest", "nonce": "digest-2024-06-01", "enforce_nonce": true}
	m1 := send(body)
	m2 := send(body)
	if m1.ID == "" || m1.ID != m2.ID || m1.Nonce != "digest-2024-06-01" {
		t.Fatalf("ids %q %q nonce %q", m1.ID, m2.ID, m1.Nonce)
	}
	msgs, err := srv.WaitMessages(testContext(t, time.Second), testChannel, 1)
	if err != nil || len(msgs) != 1 || msgs[0].Nonce != "digest-2024-06-01" || !strings.Contains(string(msgs[0].Raw), "enforce_nonce") {
		t.Fatalf("messages = %+v, %v", msgs, err)
	}
	// Without enforce_nonce the nonce does not de-duplicate.
	m3 := send(map[string]any{"content": "daily digest", "nonce": "digest-2024-06-01"})
	if m3.ID == m1.ID || len(srv.Messages("")) != 2 {
		t.Fatalf("m3 = %+v, messages = %d", m3, len(srv.Messages("")))
	}
}

func TestForbiddenAndDeletedChannels(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)
	srv.ForbidChannel("1")
	srv.DeleteChannel("2")
	_, err := dg.ChannelMessageSend("1", "x")
	if re := restErr(t, err); re.Response.StatusCode != 403 || re.Message.Code != 50001 || re.Message.Message != "Missing Access" {
		t.Fatalf("forbidden: %v", err)
	}
	_, err = dg.ChannelMessageSend("2", "x")
	if re := restErr(t, err); re.Response.StatusCode != 404 || re.Message.Code != 10003 {
		t.Fatalf("deleted: %v", err)
	}
	if srv.InvalidRequests() != 1 {
		t.Fatalf("invalid = %d, want 1 (only the 403)", srv.InvalidRequests())
	}
	if len(srv.Messages("")) != 0 {
		t.Fatal("messages were stored")
	}
}

func TestMessageLimits(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)
	_, err := dg.ChannelMessageSend(testChannel, strings.Repeat("é", MaxContentLength+1))
	if re := restErr(t, err); re.Response.StatusCode != 400 || re.Message.Code != 50035 {
		t.Fatalf("long content: %v", err)
	}
	if _, err := dg.ChannelMessageSend(testChannel, strings.Repeat("é", MaxContentLength)); err != nil {
		t.Fatalf("2000 runes rejected: %v", err)
	}
	_, err = dg.ChannelMessageSendComplex(testChannel, &discordgo.MessageSend{})
	if re := restErr(t, err); re.Message.Code != 50006 {
		t.Fatalf("empty: %v", err)
	}
	embeds := make([]*discordgo.MessageEmbed, 11)
	for i := range embeds {
		embeds[i] = &discordgo.MessageEmbed{Title: "t"}
	}
	_, err = dg.ChannelMessageSendEmbeds(testChannel, embeds)
	if re := restErr(t, err); re.Message.Code != 50035 {
		t.Fatalf("11 embeds: %v", err)
	}
	// Edits are validated and applied.
	m, err := dg.ChannelMessageSendEmbeds(testChannel, embeds[:2])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dg.ChannelMessageEdit(testChannel, m.ID, "now with text"); err != nil {
		t.Fatal(err)
	}
	last := srv.Messages(testChannel)[1]
	if last.Content != "now with text" || len(last.Embeds) != 2 || last.EditedAt.IsZero() {
		t.Fatalf("edited = %+v", last)
	}
}

func TestGlobalRateLimit(t *testing.T) {
	t.Parallel()
	srv := New(t) // 50/s
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	do := func(auth string) (*http.Response, error) {
		req, _ := http.NewRequest("GET", srv.URL()+"/gateway", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		return client.Do(req)
	}
	// burst fires 60 requests at once over pre-opened connections and returns
	// how many were globally rate limited.
	burst := func() int {
		var wg sync.WaitGroup
		// Warm up 60 keep-alive connections with unauthenticated requests,
		// which do not count towards the global limit.
		for range 60 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if resp, err := do(""); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}()
		}
		wg.Wait()
		var (
			mu        sync.Mutex
			limited   int
			malformed []string
		)
		start := make(chan struct{})
		for range 60 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				resp, err := do("Bot " + Token)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusTooManyRequests {
					_, _ = io.Copy(io.Discard, resp.Body)
					return
				}
				var b struct {
					Global     bool    `json:"global"`
					RetryAfter float64 `json:"retry_after"`
				}
				_ = json.NewDecoder(resp.Body).Decode(&b)
				mu.Lock()
				defer mu.Unlock()
				limited++
				if !b.Global || b.RetryAfter <= 0 || resp.Header.Get("X-RateLimit-Global") != "true" || resp.Header.Get("Retry-After") == "" {
					malformed = append(malformed, resp.Status)
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(malformed) > 0 {
			t.Fatalf("malformed 429s: %v", malformed)
		}
		return limited
	}
	// A loaded machine may spread a burst over more than a second: retry.
	limited := 0
	for try := 0; try < 5 && limited == 0; try++ {
		limited = burst()
	}
	if limited == 0 {
		t.Fatalf("no 429 in 5 bursts of 60 (peak attempts %d/s)", srv.PeakAttemptRate())
	}
	if srv.PeakRate() > 50 {
		t.Fatalf("peak rate = %d > 50", srv.PeakRate())
	}
	if srv.PeakAttemptRate() <= 50 || srv.Count429() < limited || srv.InvalidRequests() != srv.Count429() {
		t.Fatalf("attempts = %d, 429 = %d (burst %d), invalid = %d", srv.PeakAttemptRate(), srv.Count429(), limited, srv.InvalidRequests())
	}

	// Requests with a bad token get 401 and do not count towards the window.
	before := srv.Count429()
	req, _ := http.NewRequest("GET", srv.URL()+"/users/@me", nil)
	req.Header.Set("Authorization", "Bot nope")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || srv.Count429() != before || srv.InvalidRequests() != before+1 {
		t.Fatalf("bad token: %d, 429s %d, invalid %d", resp.StatusCode, srv.Count429(), srv.InvalidRequests())
	}
}

func TestDiscordgoHonoursGlobalLimit(t *testing.T) {
	t.Parallel()
	srv := New(t, WithGlobalRateLimit(10))
	dg := newSession(t, srv, "Bot "+Token)
	var wg sync.WaitGroup
	for i := range 15 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := dg.ChannelMessageSend(testChannel+string(rune('0'+i%10)), "x"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := len(srv.Messages("")); got != 15 {
		t.Fatalf("messages = %d", got)
	}
	if srv.PeakRate() > 10 {
		t.Fatalf("peak = %d", srv.PeakRate())
	}
}

func TestUnknownRouteIsRecorded(t *testing.T) {
	t.Parallel()
	srv := New(t)
	dg := newSession(t, srv, "Bot "+Token)
	_, err := dg.GuildRoles(DefaultGuildID)
	if re := restErr(t, err); re.Response.StatusCode != 404 {
		t.Fatalf("err = %v", err)
	}
	unk := srv.UnknownRequests()
	if len(unk) != 1 || unk[0].Path != "/guilds/"+DefaultGuildID+"/roles" || unk[0].Method != "GET" {
		t.Fatalf("unknown = %+v", unk)
	}
}
