package command

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/bot/digest/digesttest"
	"newsbrief/store/sqlite"
)

// TestDeliveryText: what a digest would be delivered as, as the console
// shows it above the reply: a forum post with its name and tag, a thread,
// published, the mention that opens each message; nothing for plain
// messages.
func TestDeliveryText(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	base := digest.Subscription{Timezone: "UTC"}
	with := func(f func(*digest.Subscription)) digest.Subscription { s := base; f(&s); return s }
	cases := []struct {
		name  string
		sub   digest.Subscription
		kind  digest.ChannelKind
		known bool
		want  string
	}{
		{"plain", base, digest.KindText, true, ""},
		{"forum with a tag, kind unknown", with(func(s *digest.Subscription) { s.Tag = "Science" }), 0, false,
			`[forum post "News, 7 December 2026", tag Science]` + "\n"},
		{"forum without a tag", base, digest.KindForum, true, `[forum post "News, 7 December 2026"]` + "\n"},
		{"media channel, topic", with(func(s *digest.Subscription) { s.Topic = "climate" }), digest.KindMedia, true,
			`[forum post "Climate, 7 December 2026"]` + "\n"},
		{"thread", with(func(s *digest.Subscription) { s.Thread = true }), digest.KindText, true, `[thread "News, 7 December 2026"]` + "\n"},
		{"thread in a thread is none", with(func(s *digest.Subscription) { s.Thread = true }), digest.KindThread, true, ""},
		{"published thread with @here", with(func(s *digest.Subscription) { s.Thread, s.Publish, s.Mention = true, true, digest.MentionHere }),
			digest.KindAnnouncement, true, `[thread "News, 7 December 2026"] [published]` + "\n@here\n"},
		{"publish elsewhere is none", with(func(s *digest.Subscription) { s.Publish = true }), digest.KindText, true, ""},
		{"role", with(func(s *digest.Subscription) { s.Mention = "123" }), digest.KindText, true, "@role:123\n"},
		{"the zone's day", with(func(s *digest.Subscription) { s.Tag, s.Timezone = "x", "Pacific/Kiritimati" }), 0, false,
			`[forum post "News, 7 December 2026", tag x]` + "\n"},
	}
	for _, tc := range cases {
		d := DeliveryOf(tc.sub, tc.kind, tc.known, at)
		if tc.want == "" {
			if d != nil {
				t.Errorf("%s: delivery %+v, want none", tc.name, d)
			}
			continue
		}
		got := textAt(Reply{Content: "News digest: 1 new article", Delivery: d}, at, time.UTC)
		if want := tc.want + "News digest: 1 new article\n"; got != want {
			t.Errorf("%s: text\n%s\nwant\n%s", tc.name, got, want)
		}
	}
	late := time.Date(2026, 12, 7, 23, 0, 0, 0, time.UTC) // 8 December at UTC+14
	if d := DeliveryOf(with(func(s *digest.Subscription) { s.Tag, s.Timezone = "x", "Pacific/Kiritimati" }), 0, false, late); d.Post != "News, 8 December 2026" {
		t.Errorf("named %q, want the day in the subscription's zone", d.Post)
	}
}

// TestConsolePreviewShowsDelivery: in the console, /digest preview of a
// subscription with a forum tag and a role shows first what its digest
// would be delivered as; a plain one shows nothing of it, nor does the
// default digest.
func TestConsolePreviewShowsDelivery(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "digest.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lib := testLibrary(t, 5)
	clock := digesttest.NewClock(time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC))
	r := New(lib, digest.New(lib, st, digest.WithClock(clock)), nil)
	in := strings.NewReader(`/digest preview
/digest subscribe channel:console schedule:"0 9 * * *" name:forum tag:Science mention:123 count:2
/digest preview name:forum
/digest subscribe channel:console schedule:"0 9 * * *" name:plain count:2
/digest preview name:plain
`)
	var out bytes.Buffer
	if err := (consoleClock{now: clock.Now, loc: time.UTC}).run(context.Background(), r, in, &out, false); err != nil {
		t.Fatal(err)
	}
	replies := strings.Split(out.String(), "(only you can see this)\n")
	if len(replies) != 6 {
		t.Fatalf("%d replies, want 5:\n%s", len(replies)-1, out.String())
	}
	if strings.Contains(replies[0], "[") || strings.Contains(replies[4], "[forum") {
		t.Errorf("a preview without delivery options shows one:\n%s\n%s", replies[0], replies[4])
	}
	forum := replies[2]
	want := "[forum post \"News, 7 December 2026\", tag Science]\n@role:123\nPreview of the next digest **forum** (nothing was posted):\n"
	if !strings.HasPrefix(forum, want) {
		t.Errorf("forum preview:\n%s\nwant it to open with\n%s", forum, want)
	}
}

// TestRequestBool: Discord's booleans and the console's words.
func TestRequestBool(t *testing.T) {
	req := Request{Options: map[string]any{"a": true, "b": "false", "c": "true", "d": "maybe", "e": int64(1)}}
	for name, want := range map[string][2]bool{"a": {true, true}, "b": {false, true}, "c": {true, true}, "d": {false, false}, "e": {false, false}, "none": {false, false}} {
		if v, given := req.Bool(name); v != want[0] || given != want[1] {
			t.Errorf("Bool(%q) = %v, %v; want %v, %v", name, v, given, want[0], want[1])
		}
	}
}
