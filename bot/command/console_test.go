package command

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
)

func TestParseCommandLine(t *testing.T) {
	cases := []struct {
		line string
		want Request
	}{
		{"/brief latest", Request{Path: "brief latest", Options: map[string]any{}}},
		{"/brief latest count:2 topic:\"climate change\"", Request{Path: "brief latest", Options: map[string]any{"count": "2", "topic": "climate change"}}},
		{"/brief search query:moon ice", Request{Path: "brief search", Options: map[string]any{"query": "moon ice"}}},
		{"?/brief read article:tram", Request{Path: "brief read", Autocomplete: true, Focused: "article", Options: map[string]any{"article": "tram"}}},
		{"/digest subscribe channel:1 schedule:\"0 9 * * 1-5\"", Request{Path: "digest subscribe", Options: map[string]any{"channel": "1", "schedule": "0 9 * * 1-5"}}},
	}
	for _, tc := range cases {
		got, err := ParseCommandLine(tc.line)
		if err != nil {
			t.Errorf("ParseCommandLine(%q) = %v", tc.line, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseCommandLine(%q) = %+v, want %+v", tc.line, got, tc.want)
		}
	}
	for _, bad := range []string{"brief latest", "/", "/brief latest topic:\"open", "/brief :x"} {
		if _, err := ParseCommandLine(bad); err == nil {
			t.Errorf("ParseCommandLine(%q) accepted", bad)
		}
	}
}

func testLibrary(t testing.TB, n int) *briefs.Library {
	t.Helper()
	return briefstest.Library(briefstest.Articles(n, 1))
}

func TestConsoleRunsHandlers(t *testing.T) {
	r := New(testLibrary(t, 20), nil, nil)
	in := strings.NewReader("help\n/brief latest count:2\n/brief latest count:99\n/nope\n?/brief read article:a\nnot a command\nquit\n/brief latest\n")
	var out bytes.Buffer
	if err := Console(context.Background(), r, in, &out, false); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"Type a slash command", "The 2 newest articles:", "count must be between 1 and 10 (you gave 99)", "Unknown command /nope", "error: commands start with /"} {
		if !strings.Contains(got, want) {
			t.Errorf("console output lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "## ") != 2 {
		t.Errorf("want exactly the 2 latest cards before quit, got:\n%s", got)
	}
}

func TestRouterRecoversAndChecksPermissions(t *testing.T) {
	b := New(testLibrary(t, 3), nil, nil)
	b.Handle("boom", func(context.Context, Request) (Reply, error) { panic("kaboom") })
	_, err := b.Serve(context.Background(), Request{Path: "boom"})
	if err == nil || !strings.Contains(err.Error(), "kaboom") {
		t.Errorf("panicking handler: err = %v", err)
	}
	if msg, user := userMessage(err); user || !strings.Contains(msg, "went wrong") {
		t.Errorf("a panic is shown to the user as %q (user error: %v)", msg, user)
	}
	r := NewRouter(RequirePermission("digest", 1<<4, "Manage Channels"))
	DigestHandlers{Service: digest.New(testLibrary(t, 3), nil)}.Register(r)
	_, err = r.Serve(context.Background(), Request{Path: "digest list", GuildID: "g", Permissions: 1 << 3})
	var ue *UserError
	if !errors.As(err, &ue) || !strings.Contains(ue.Msg, "Manage Channels") {
		t.Errorf("digest without permission: %v", err)
	}
}

// TestConsoleShowsDatesAndChannels: the console printed a subscription's
// next runs as "<t:…:F> (<t:…:R>)" and channels as "<#console>". It shows
// them as dates in its zone and as #names; Discord's replies keep the
// markup.
func TestConsoleShowsDatesAndChannels(t *testing.T) {
	r, _ := digestRouter(t, time.Second)
	in := strings.NewReader("/digest subscribe channel:news schedule:\"@every 2h\"\n/digest list\n?/digest subscribe timezone:tok\n/digest unsubscribe channel:news\n")
	var out bytes.Buffer
	clock := consoleClock{now: time.Now, loc: mustZone(t, "Asia/Tokyo")}
	if err := clock.run(context.Background(), r, in, &out, false); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"Subscribed #news to the digest", " JST (in 2 hours)", " JST (in 6 hours)",
		"#news: the digest **digest**, every 2h", "Next run: ", "  Asia/Tokyo  [Asia/Tokyo]", "Unsubscribed #news"} {
		if !strings.Contains(got, want) {
			t.Errorf("console output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "<t:") || strings.Contains(got, "<#") {
		t.Errorf("console output shows Discord markup:\n%s", got)
	}
	rep, err := r.Serve(context.Background(), Request{Path: "digest subscribe", GuildID: "console", UserID: "console",
		Permissions: ^int64(0), Options: map[string]any{"channel": "news", "schedule": "@every 2h"}})
	if err != nil || !strings.Contains(rep.Content, "<#news>") || !strings.Contains(rep.Content, ":R>)") {
		t.Errorf("the reply itself lost its Discord markup: %v %+v", err, rep)
	}
}

// TestConsoleSubscriptionsArePreviews: a subscription made in the console
// says it is a preview, is listed as never running, and is stored under
// digest.PreviewGuild without a next run, so no bot on the database runs it.
func TestConsoleSubscriptionsArePreviews(t *testing.T) {
	r, st := digestRouter(t, time.Second)
	in := strings.NewReader("/digest subscribe channel:console schedule:\"0 9 * * *\"\n/digest list\n/digest preview\n")
	var out bytes.Buffer
	if err := (consoleClock{now: time.Now, loc: time.UTC}).run(context.Background(), r, in, &out, false); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"Subscribed #console", previewNote, "Next run: never: made in the console, a preview", "Preview of the next digest **digest** (nothing was posted)"} {
		if !strings.Contains(got, want) {
			t.Errorf("console output lacks %q:\n%s", want, got)
		}
	}
	sub, err := st.Subscription(context.Background(), digest.PreviewGuild, "console", "digest")
	if err != nil || !sub.NextRun.IsZero() {
		t.Errorf("stored %+v, %v; want a subscription in the console's guild without a next run", sub, err)
	}
}
