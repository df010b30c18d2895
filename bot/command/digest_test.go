package command

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/store/sqlite"
)

// TestScheduleRefusalsAreWordedForUsers: every schedule the digest package
// refuses reaches the user as a UserError that says why and shows valid
// examples, as the schedule parser's own messages did before it returned
// plain errors.
func TestScheduleRefusalsAreWordedForUsers(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for spec, want := range map[string]string{
		"":                "Give a schedule",
		"every day":       "not a schedule",
		"TZ=":             "timezone option",
		"0,1 9 * * *":     "runs too often: 1m0s apart at Wed 09:00, and digests may run at most once every 1h0m0s",
		"0 0 30 2 *":      "never fires",
		"CRON_TZ=Europe/": "timezone option",
		"@every 100ms":    `"@every 100ms": @every takes whole seconds, 1s or more (100ms would run every 1s)`,
	} {
		_, err := digest.ParseSchedule(spec, time.UTC, time.Hour, now)
		var ue *UserError
		if !errors.As(subscribeError(err, ""), &ue) {
			t.Errorf("%q: %v is not a UserError", spec, err)
			continue
		}
		if !strings.Contains(ue.Msg, want) || !strings.Contains(ue.Msg, "0 9 * * 1-5") {
			t.Errorf("%q: %q, want it to contain %q and an example", spec, ue.Msg, want)
		}
	}
	_, err := digest.LoadZone("Mars/Olympus")
	if msg := subscribeError(err, "Mars/Olympus").Error(); !strings.Contains(msg, `Unknown time zone "Mars/Olympus"`) {
		t.Errorf("unknown zone: %q", msg)
	}
	if other := errors.New("disk on fire"); subscribeError(other, "") != other {
		t.Error("an error that is no refusal was reworded")
	}
}

// digestRouter is the router over a digest service on a fresh SQLite file,
// allowing runs minInterval apart, as DIGEST_MIN_INTERVAL would.
func digestRouter(t *testing.T, minInterval time.Duration) (*Router, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "digest.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lib := testLibrary(t, 5)
	return New(lib, digest.New(lib, st, digest.WithMinInterval(minInterval)), nil), st
}

func serveDigest(t *testing.T, r *Router, path string, opts map[string]any) (Reply, error) {
	t.Helper()
	return r.Serve(context.Background(), Request{Path: path, Options: opts, GuildID: "g", ChannelID: "c", UserID: "u", Permissions: ^int64(0)})
}

var fullTimestamp = regexp.MustCompile(`<t:(\d+):F>`)

// TestEveryShowsWhatRuns: at DIGEST_MIN_INTERVAL=1s, "@every 100ms" was
// accepted and shown as every 100ms while robfig/cron ran it every second.
// It is refused now, and an accepted @every is confirmed and listed with
// the pace its runs keep.
func TestEveryShowsWhatRuns(t *testing.T) {
	r, st := digestRouter(t, time.Second)
	for _, spec := range []string{"@every 100ms", "@every 1.5s", "@every 0s"} {
		_, err := serveDigest(t, r, "digest subscribe", map[string]any{"channel": "news", "schedule": spec})
		var ue *UserError
		if !errors.As(err, &ue) || !strings.Contains(ue.Msg, "whole seconds") || !strings.Contains(ue.Msg, "`@every 6h`") {
			t.Errorf("subscribe %q: %v, want a refusal with an example", spec, err)
		}
	}
	rep, err := serveDigest(t, r, "digest subscribe", map[string]any{"channel": "news", "schedule": "@every 2s"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Content, ", every 2s (UTC).") {
		t.Errorf("confirmation does not say every 2s:\n%s", rep.Content)
	}
	var runs []int64
	for _, m := range fullTimestamp.FindAllStringSubmatch(rep.Content, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		runs = append(runs, n)
	}
	if len(runs) != 3 || runs[1]-runs[0] != 2 || runs[2]-runs[1] != 2 {
		t.Errorf("confirmed next runs %v, want three, 2s apart:\n%s", runs, rep.Content)
	}

	// A subscription stored before the refusal still shows the pace it
	// runs at.
	if _, err := st.PutSubscription(context.Background(), digest.Subscription{GuildID: "g", ChannelID: "old",
		Schedule: "@every 100ms", Timezone: "UTC", Count: 1, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	rep, err = serveDigest(t, r, "digest list", nil)
	if err != nil || len(rep.Cards) != 2 {
		t.Fatalf("list: %v %+v", err, rep)
	}
	want := map[string][2]string{
		"<#news>": {"**digest**, every 2s", "`@every 2s`"},
		"<#old>":  {"**digest**, every 1s", "`@every 100ms` (runs every 1s)"},
	}
	for _, c := range rep.Cards {
		channel, _, _ := strings.Cut(c.Description, ":")
		w := want[channel]
		if !strings.Contains(c.Description, w[0]) || c.Fields[0].Value != w[1] {
			t.Errorf("list shows %q, schedule %q; want %q, %q", c.Description, c.Fields[0].Value, w[0], w[1])
		}
	}
}

// TestListShowsTheStoredNextRun: /digest list shows each subscription's
// stored next run, the one the runners go by, even where the schedule
// would give another time from now (a run overdue while no bot ran); one
// without a stored next run shows the schedule's next time.
func TestListShowsTheStoredNextRun(t *testing.T) {
	r, st := digestRouter(t, time.Second)
	ctx := context.Background()
	stored := time.Date(2020, 3, 4, 9, 0, 0, 0, time.UTC) // overdue: the schedule's next time is later
	put := func(channel string, next time.Time) {
		t.Helper()
		if _, err := st.PutSubscription(ctx, digest.Subscription{GuildID: "g", ChannelID: channel, Schedule: "0 9 * * *",
			Timezone: "UTC", Count: 1, CreatedAt: stored.Add(-time.Hour), NextRun: next}); err != nil {
			t.Fatal(err)
		}
	}
	put("due", stored)
	put("unscheduled", time.Time{})
	before := time.Now()
	rep, err := serveDigest(t, r, "digest list", nil)
	if err != nil || len(rep.Cards) != 2 {
		t.Fatalf("list: %v %+v", err, rep)
	}
	next := map[string]string{}
	for _, c := range rep.Cards {
		channel, _, _ := strings.Cut(c.Description, ":")
		for _, f := range c.Fields {
			if f.Name == "Next run" {
				next[channel] = f.Value
			}
		}
	}
	if want := Timestamp(stored, 'F'); next["<#due>"] != want {
		t.Errorf("next run shown %q, want the stored %q", next["<#due>"], want)
	}
	m := fullTimestamp.FindStringSubmatch(next["<#unscheduled>"])
	if m == nil {
		t.Fatalf("no next run shown without a stored one: %q", next["<#unscheduled>"])
	}
	unix, _ := strconv.ParseInt(m[1], 10, 64)
	if at := time.Unix(unix, 0).UTC(); at.Before(before) || at.Hour() != 9 || at.Minute() != 0 {
		t.Errorf("without a stored next run, shown %s; want the schedule's next 09:00 from now", at)
	}
}

// TestDigestNamesEditHistory: /digest subscribe makes a second digest in
// a channel under its name; edit changes only the options given and keeps
// the subscription; unsubscribe and history want a name once a channel
// has several, and history says when a digest has not run.
func TestDigestNamesEditHistory(t *testing.T) {
	r, st := digestRouter(t, time.Second)
	ctx := context.Background()
	if _, err := serveDigest(t, r, "digest subscribe", map[string]any{"channel": "news", "schedule": "@daily"}); err != nil {
		t.Fatal(err)
	}
	rep, err := serveDigest(t, r, "digest subscribe", map[string]any{"channel": "news", "schedule": "@hourly", "name": "breaking",
		"exclude": `opinion "sponsored content"`, "thread": true})
	if err != nil || !strings.Contains(rep.Content, "**breaking**") || !strings.Contains(rep.Content, `leaving out opinion "sponsored content"`) ||
		!strings.Contains(rep.Content, "each digest starts a thread") {
		t.Fatalf("second subscribe: %v %q", err, rep.Content)
	}
	before, err := st.Subscription(ctx, "g", "news", "breaking")
	if err != nil {
		t.Fatal(err)
	}
	rep, err = serveDigest(t, r, "digest edit", map[string]any{"channel": "news", "name": "breaking", "count": int64(2)})
	if err != nil || !strings.HasPrefix(rep.Content, "Edited the digest **breaking**") {
		t.Fatalf("edit: %v %q", err, rep.Content)
	}
	after, _ := st.Subscription(ctx, "g", "news", "breaking")
	if after.ID != before.ID || after.Count != 2 || after.Schedule != "@hourly" || !after.Thread || after.Exclude != before.Exclude {
		t.Errorf("after edit %+v, before %+v", after, before)
	}
	for _, path := range []string{"digest unsubscribe", "digest history", "digest resume"} {
		_, err := serveDigest(t, r, path, map[string]any{"channel": "news"})
		var ue *UserError
		if !errors.As(err, &ue) || !strings.Contains(ue.Msg, "several digests") || !strings.Contains(ue.Msg, "breaking, digest") {
			t.Errorf("%s without a name: %v", path, err)
		}
	}
	rep, err = serveDigest(t, r, "digest history", map[string]any{"channel": "news", "name": "breaking"})
	if err != nil || !strings.Contains(rep.Content, "has not run yet") {
		t.Errorf("history: %v %q", err, rep.Content)
	}
	choices, _ := r.Serve(ctx, Request{Path: "digest unsubscribe", Autocomplete: true, Focused: "name",
		Options: map[string]any{"channel": "news", "name": "bre"}, GuildID: "g", Permissions: ^int64(0)})
	if len(choices.Choices) != 1 || choices.Choices[0].Value != "breaking" {
		t.Errorf("name choices %+v", choices.Choices)
	}
	if _, err := serveDigest(t, r, "digest unsubscribe", map[string]any{"channel": "news", "name": "breaking"}); err != nil {
		t.Fatal(err)
	}
	if _, err := serveDigest(t, r, "digest subscribe", map[string]any{"channel": "news", "schedule": "@daily", "exclude": `"open`}); err == nil {
		t.Error("an exclude with an open quotation was taken")
	}
	rep, err = serveDigest(t, r, "digest history", map[string]any{"channel": "news"})
	if err != nil || !strings.Contains(rep.Content, "**digest**") {
		t.Errorf("history of the only digest without a name: %v %q", err, rep.Content)
	}
}

// TestMentionWarning: the confirmation warns when a mention will not
// ping: a role that is not mentionable, or @here, with a bot that lacks
// Mention Everyone; a mentionable role, or a bot with the permission in
// that channel, needs no warning.
func TestMentionWarning(t *testing.T) {
	r, _ := digestRouter(t, time.Second)
	for _, tc := range []struct {
		name     string
		mention  string
		roles    map[string]Role
		botPerms int64
		warn     string
	}{
		{"unmentionable role", "77", map[string]Role{"77": {Name: "News", Mentionable: false}}, 0, "The role News is not mentionable"},
		{"mentionable role", "77", map[string]Role{"77": {Name: "News", Mentionable: true}}, 0, ""},
		{"here", "g", nil, 0, "@here pings only if the bot has Mention Everyone"},
		{"here with the permission", "g", nil, PermissionMentionEveryone, ""},
		{"unmentionable role with the permission", "77", map[string]Role{"77": {Name: "News"}}, PermissionMentionEveryone, ""},
	} {
		rep, err := r.Serve(context.Background(), Request{Path: "digest subscribe", GuildID: "g", ChannelID: "news", UserID: "u",
			Permissions: ^int64(0), BotPermissions: tc.botPerms, Roles: tc.roles,
			Options: map[string]any{"channel": "news", "schedule": "@daily", "name": "n", "mention": tc.mention}})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := strings.Contains(rep.Content, "⚠"); got != (tc.warn != "") || tc.warn != "" && !strings.Contains(rep.Content, tc.warn) {
			t.Errorf("%s: %q, want warning %q", tc.name, rep.Content, tc.warn)
		}
	}
}
