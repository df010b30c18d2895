package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

// openTemp opens a store in a fresh temporary directory and closes it when
// the test ends.
func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "newsbrief.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func mustPut(t testing.TB, s *Store, guild, channel string) Subscription {
	t.Helper()
	sub, err := s.PutSubscription(context.Background(), Subscription{
		GuildID: guild, ChannelID: channel, Schedule: "0 8 * * *", Timezone: "Europe/Paris",
		Count: 3, Topic: "tech", CreatedBy: "u1",
	})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func count(t testing.TB, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func pragma(t testing.TB, s *Store, name string) string {
	t.Helper()
	var v string
	if err := s.w.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func latestVersion() string { return fmt.Sprint(migrations[len(migrations)-1].version) }

func TestOpenNewPathCreatesDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "newsbrief.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		t.Errorf("parent directory: %v, %v", fi, err)
	}
	for name, want := range map[string]string{
		"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "5000",
		"user_version": latestVersion(),
	} {
		if got := pragma(t, s, name); got != want {
			t.Errorf("PRAGMA %s = %s, want %s", name, got, want)
		}
	}
	// The read pool must not be able to write.
	if _, err := s.r.Exec(`DELETE FROM subscriptions`); err == nil {
		t.Error("write through the read pool succeeded")
	}
}

func TestOpenEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := pragma(t, s, "user_version"); got != latestVersion() {
		t.Errorf("user_version = %s, want %s", got, latestVersion())
	}
	mustPut(t, s, "g", "c")
}

func TestOpenPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir with space?#%", "db?mode=ro#x.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "g", "c")
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at the literal path: %v", err)
	}
}

func TestReopenKeepsDataAndDoesNotRerunMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newsbrief.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	sub := mustPut(t, s, "g", "c")
	d, err := s.BeginDigest(ctx, sub.ID, "n1", []string{"a1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 { // 0001_init's CREATE TABLEs would fail if re-run
		s, err = Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Subscription(ctx, "g", "c")
		if err != nil || got.ID != sub.ID {
			t.Fatalf("after reopen: %+v, %v", got, err)
		}
		pending, err := s.PendingDigests(ctx)
		if err != nil || len(pending) != 1 || pending[0].ID != d.ID {
			t.Fatalf("pending after reopen: %+v, %v", pending, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMigrationUpgrade adds a second migration, as a later release would,
// and checks that it is applied once to an existing database.
func TestMigrationUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newsbrief.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "g", "c")
	s.Close()

	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = append(slices.Clip(saved), migration{
		version: len(saved) + 1, name: "probe.sql",
		sql: `CREATE TABLE probe (x INTEGER); INSERT INTO probe VALUES (1);`,
	})
	for range 3 {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, s, `SELECT count(*) FROM probe`); n != 1 {
			t.Errorf("probe migration applied %d times", n)
		}
		if n := count(t, s, `SELECT count(*) FROM subscriptions`); n != 1 {
			t.Errorf("%d subscriptions after upgrade, want 1", n)
		}
		if got, want := pragma(t, s, "user_version"), fmt.Sprint(len(saved)+1); got != want {
			t.Errorf("user_version = %s, want %s", got, want)
		}
		s.Close()
	}

	// A failing migration leaves the database at the previous version.
	migrations = append(slices.Clip(migrations), migration{
		version: len(saved) + 2, name: "broken.sql",
		sql: `CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;`,
	})
	if _, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), "broken.sql") {
		t.Fatalf("broken migration: %v", err)
	}
	migrations = saved[:len(saved):len(saved)]
	migrations = append(migrations, migration{version: len(saved) + 1, name: "probe.sql"})
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := count(t, s, `SELECT count(*) FROM sqlite_schema WHERE name = 'half'`); n != 0 {
		t.Error("failed migration left table half behind")
	}
}

func TestOpenNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newsbrief.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(context.Background(), path)
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "99") {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

func TestLoadMigrations(t *testing.T) {
	if len(migrations) == 0 || migrations[0].name != "0001_init.sql" {
		t.Fatalf("embedded migrations: %+v", migrations)
	}
	for name, files := range map[string][]string{
		"gap":     {"0001_a.sql", "0003_c.sql"},
		"repeat":  {"0001_a.sql", "0001_b.sql"},
		"badname": {"init.sql"},
		"zero":    {"0000_a.sql"},
		"none":    {"README.md"},
	} {
		fsys := fstest.MapFS{}
		for _, f := range files {
			fsys["m/"+f] = &fstest.MapFile{Data: []byte("SELECT 1;")}
		}
		if _, err := loadMigrations(fsys, "m"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestOpenCorruptFile(t *testing.T) {
	dir := t.TempDir()
	// A real database with a few pages, to truncate.
	goodPath := filepath.Join(dir, "good.db")
	s, err := Open(context.Background(), goodPath)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		mustPut(t, s, "g", fmt.Sprintf("%0200d", i))
	}
	s.Close()
	good, err := os.ReadFile(goodPath)
	if err != nil || len(good) < 3*4096 {
		t.Fatalf("good database: %d bytes, %v", len(good), err)
	}
	random := make([]byte, 4096)
	rand.Read(random)
	zeroedTail := slices.Concat(good[:4096], make([]byte, len(good)-4096))

	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"random":      {random, "not a database"},
		"text":        {[]byte(strings.Repeat("this is not a database\n", 150)), "not a database"},
		"short":       {[]byte("hello"), "not a database"},
		"truncated":   {good[:len(good)/2], "malformed"},
		"header only": {good[:100], "malformed"},
		"zeroed":      {zeroedTail, "damaged"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".db")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := Open(context.Background(), path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			if !strings.Contains(msg, `open database "`+path+`"`) || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q: want the path and %q", msg, tc.want)
			}
			if after, _ := os.ReadFile(path); !slices.Equal(after, tc.data) {
				t.Error("Open modified the corrupt file")
			}
		})
	}
}

func TestOpenUnwritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		filepath.Join(file, "newsbrief.db"),
		filepath.Join(file, "sub", "newsbrief.db"),
		dir, // a directory
		"",
	} {
		s, err := Open(context.Background(), path)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", path)
			continue
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", path)) {
			t.Errorf("Open(%q): error does not name the path: %v", path, err)
		}
	}

	t.Run("read-only directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root ignores directory permissions")
		}
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(ro, 0o755) })
		path := filepath.Join(ro, "newsbrief.db")
		s, err := Open(context.Background(), path)
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded")
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error does not name the path: %v", err)
		}
	})
}

func TestSubscriptionCRUD(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	created := time.Date(2025, 3, 1, 8, 30, 0, 123456789, time.FixedZone("CET", 3600))
	sub, err := s.PutSubscription(ctx, Subscription{
		ID: 999, GuildID: "g1", ChannelID: "c2", Schedule: "@daily", Timezone: "Europe/Paris",
		Count: 5, Topic: "science", CreatedBy: "u7", CreatedAt: created,
		Paused: "ignored", LastOutcome: "ignored",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Subscription{
		ID: sub.ID, GuildID: "g1", ChannelID: "c2", Schedule: "@daily", Timezone: "Europe/Paris",
		Count: 5, Topic: "science", CreatedBy: "u7", CreatedAt: created.UTC(),
	}
	if sub.ID == 999 || sub != want {
		t.Fatalf("put returned %+v, want %+v", sub, want)
	}
	mustPut(t, s, "g1", "c1")
	mustPut(t, s, "g0", "c9")

	got, err := s.Subscription(ctx, "g1", "c2")
	if err != nil || got != want {
		t.Errorf("Subscription = %+v, %v", got, err)
	}
	got, err = s.SubscriptionByID(ctx, sub.ID)
	if err != nil || got != want {
		t.Errorf("SubscriptionByID = %+v, %v", got, err)
	}

	key := func(subs []Subscription) (keys []string) {
		for _, s := range subs {
			keys = append(keys, s.GuildID+"/"+s.ChannelID)
		}
		return keys
	}
	all, err := s.Subscriptions(ctx, "")
	if err != nil || !slices.Equal(key(all), []string{"g0/c9", "g1/c1", "g1/c2"}) {
		t.Errorf("Subscriptions(all) = %v, %v", key(all), err)
	}
	g1, err := s.Subscriptions(ctx, "g1")
	if err != nil || !slices.Equal(key(g1), []string{"g1/c1", "g1/c2"}) {
		t.Errorf("Subscriptions(g1) = %v, %v", key(g1), err)
	}
	if none, err := s.Subscriptions(ctx, "nope"); err != nil || len(none) != 0 {
		t.Errorf("Subscriptions(nope) = %v, %v", none, err)
	}

	// Replace: same ID, new fields.
	repl, err := s.PutSubscription(ctx, Subscription{
		GuildID: "g1", ChannelID: "c2", Schedule: "0 7 * * 1-5", Timezone: "UTC",
		Count: 2, Topic: "", CreatedBy: "u8",
	})
	if err != nil {
		t.Fatal(err)
	}
	if repl.ID != sub.ID || repl.Schedule != "0 7 * * 1-5" || repl.Timezone != "UTC" || repl.Count != 2 ||
		repl.Topic != "" || repl.CreatedBy != "u8" || !repl.CreatedAt.After(created) {
		t.Errorf("replace returned %+v", repl)
	}
	if n := count(t, s, `SELECT count(*) FROM subscriptions`); n != 3 {
		t.Errorf("%d rows after replace, want 3", n)
	}

	ok, err := s.DeleteSubscription(ctx, "g1", "c2")
	if err != nil || !ok {
		t.Errorf("delete = %v, %v", ok, err)
	}
	ok, err = s.DeleteSubscription(ctx, "g1", "c2")
	if err != nil || ok {
		t.Errorf("second delete = %v, %v", ok, err)
	}
	_, err = s.Subscription(ctx, "g1", "c2")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "guild=g1 channel=c2") {
		t.Errorf("get deleted: %v", err)
	}
	if _, err := s.SubscriptionByID(ctx, sub.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("get deleted by id: %v", err)
	}

	// A new subscription never reuses a deleted ID.
	again := mustPut(t, s, "g1", "c2")
	if again.ID <= sub.ID {
		t.Errorf("ID reused: %d after %d", again.ID, sub.ID)
	}
}

func TestPutSubscriptionValidation(t *testing.T) {
	s := openTemp(t)
	for _, sub := range []Subscription{
		{ChannelID: "c", Count: 1},
		{GuildID: "g", Count: 1},
		{GuildID: "g", ChannelID: "c", Count: 0},
	} {
		_, err := s.PutSubscription(context.Background(), sub)
		if err == nil || !strings.Contains(err.Error(), "store: put subscription guild="+sub.GuildID+" channel="+sub.ChannelID) {
			t.Errorf("Put(%+v): %v", sub, err)
		}
	}
}

func TestReplaceKeepsHistoryAndResumes(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	sub := mustPut(t, s, "g", "c")
	d, err := s.BeginDigest(ctx, sub.ID, "n1", []string{"a1", "a2"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, d.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	run := time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)
	if err := s.RecordRun(ctx, sub.ID, run, "posted 2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Pause(ctx, sub.ID, "403 Missing Access"); err != nil {
		t.Fatal(err)
	}

	repl := mustPut(t, s, "g", "c")
	if repl.ID != sub.ID || repl.Paused != "" || !repl.LastRunAt.Equal(run) || repl.LastOutcome != "posted 2" {
		t.Errorf("after re-subscribe: %+v", repl)
	}
	posted, err := s.PostedIDs(ctx, repl.ID, []string{"a1", "a2", "a3"})
	if err != nil || len(posted) != 2 || !posted["a1"] || !posted["a2"] {
		t.Errorf("posted history after replace: %v, %v", posted, err)
	}
	if _, err := s.BeginDigest(ctx, repl.ID, "n2", []string{"a1"}, time.Now()); !errors.Is(err, ErrAlreadyPosted) {
		t.Errorf("re-posting after replace: %v", err)
	}
}

func TestDeleteCascades(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	sub := mustPut(t, s, "g", "c")
	other := mustPut(t, s, "g", "other")
	d1, err := s.BeginDigest(ctx, sub.ID, "n1", []string{"a1", "a2"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, d1.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginDigest(ctx, sub.ID, "n2", []string{"a3"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginDigest(ctx, other.ID, "n3", []string{"a1"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.DeleteSubscription(ctx, "g", "c"); !ok || err != nil {
		t.Fatalf("delete: %v, %v", ok, err)
	}
	if n := count(t, s, `SELECT count(*) FROM digests WHERE subscription_id = ?`, sub.ID); n != 0 {
		t.Errorf("%d digests left", n)
	}
	if n := count(t, s, `SELECT count(*) FROM posted WHERE subscription_id = ?`, sub.ID); n != 0 {
		t.Errorf("%d posted rows left", n)
	}
	if n := count(t, s, `SELECT count(*) FROM posted`); n != 1 {
		t.Errorf("other subscription's posted rows: %d, want 1", n)
	}
	pending, err := s.PendingDigests(ctx)
	if err != nil || len(pending) != 1 || pending[0].SubscriptionID != other.ID {
		t.Errorf("pending after delete: %+v, %v", pending, err)
	}
}

func TestDigestLifecycle(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	clock := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	sub := mustPut(t, s, "g", "c")
	other := mustPut(t, s, "g", "c2")

	sched := time.Date(2025, 6, 1, 8, 0, 0, 0, time.FixedZone("X", 2*3600))
	d1, err := s.BeginDigest(ctx, sub.ID, "nb-1-abc", []string{"z", "a", "m"}, sched)
	if err != nil {
		t.Fatal(err)
	}
	if d1.SubscriptionID != sub.ID || d1.ChannelID != "c" || d1.Nonce != "nb-1-abc" ||
		!slices.Equal(d1.ArticleIDs, []string{"z", "a", "m"}) || !d1.ScheduledFor.Equal(sched) ||
		d1.CreatedAt.IsZero() || !d1.SentAt.IsZero() {
		t.Errorf("BeginDigest returned %+v", d1)
	}
	d2, err := s.BeginDigest(ctx, other.ID, "nb-2", []string{"a"}, sched) // same article, other subscription
	if err != nil {
		t.Fatal(err)
	}

	posted, err := s.PostedIDs(ctx, sub.ID, []string{"a", "b", "m", "z", "a"})
	if err != nil || len(posted) != 3 || !posted["a"] || !posted["m"] || !posted["z"] {
		t.Errorf("PostedIDs = %v, %v", posted, err)
	}
	if posted, err := s.PostedIDs(ctx, sub.ID, nil); err != nil || len(posted) != 0 {
		t.Errorf("PostedIDs(nil) = %v, %v", posted, err)
	}
	if posted, err := s.PostedIDs(ctx, 12345, []string{"a"}); err != nil || len(posted) != 0 {
		t.Errorf("PostedIDs(unknown sub) = %v, %v", posted, err)
	}

	pending, err := s.PendingDigests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 || pending[0].ID != d1.ID || pending[1].ID != d2.ID {
		t.Fatalf("PendingDigests = %+v", pending)
	}
	if p := pending[0]; p.Nonce != d1.Nonce || p.ChannelID != "c" || !slices.Equal(p.ArticleIDs, d1.ArticleIDs) ||
		!p.ScheduledFor.Equal(d1.ScheduledFor) || !p.CreatedAt.Equal(d1.CreatedAt) {
		t.Errorf("pending[0] = %+v, want %+v", p, d1)
	}

	sentAt := time.Date(2025, 6, 1, 8, 0, 3, 0, time.UTC)
	if err := s.MarkSent(ctx, d1.ID, sentAt); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, d1.ID, sentAt.Add(time.Hour)); err != nil {
		t.Errorf("MarkSent twice: %v", err)
	}
	var stored string
	if err := s.r.QueryRow(`SELECT sent_at FROM digests WHERE id = ?`, d1.ID).Scan(&stored); err != nil ||
		stored != "2025-06-01T08:00:03.000000000Z" {
		t.Errorf("sent_at = %q, %v (a second MarkSent must keep the first time)", stored, err)
	}
	if err := s.MarkSent(ctx, 98765, sentAt); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "98765") {
		t.Errorf("MarkSent(unknown) = %v", err)
	}
	pending, err = s.PendingDigests(ctx)
	if err != nil || len(pending) != 1 || pending[0].ID != d2.ID {
		t.Errorf("PendingDigests after MarkSent = %+v, %v", pending, err)
	}
	// Sent articles stay posted.
	if posted, err := s.PostedIDs(ctx, sub.ID, []string{"z"}); err != nil || !posted["z"] {
		t.Errorf("PostedIDs after sent = %v, %v", posted, err)
	}
}

func TestPostedIDsManyArticles(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	sub := mustPut(t, s, "g", "c")
	var ids []string
	for i := range 1200 {
		ids = append(ids, fmt.Sprintf("art-%04d", i))
	}
	if _, err := s.BeginDigest(ctx, sub.ID, "n", ids[:700:700], time.Now()); err != nil {
		t.Fatal(err)
	}
	posted, err := s.PostedIDs(ctx, sub.ID, ids)
	if err != nil || len(posted) != 700 || !posted["art-0699"] || posted["art-0700"] {
		t.Errorf("PostedIDs: %d, %v", len(posted), err)
	}
}

func TestBeginDigestAlreadyPostedWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	sub := mustPut(t, s, "g", "c")
	first, err := s.BeginDigest(ctx, sub.ID, "n1", []string{"a1", "a2"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	check := func(state string) {
		t.Helper()
		digests := count(t, s, `SELECT count(*) FROM digests`)
		posted := count(t, s, `SELECT count(*) FROM posted`)
		_, err := s.BeginDigest(ctx, sub.ID, "n2", []string{"b1", "a2", "b2"}, time.Now())
		if !errors.Is(err, ErrAlreadyPosted) {
			t.Fatalf("%s: BeginDigest = %v, want ErrAlreadyPosted", state, err)
		}
		if msg := err.Error(); !strings.Contains(msg, `"a2"`) || !strings.Contains(msg, state) ||
			!strings.Contains(msg, fmt.Sprintf("subscription=%d", sub.ID)) {
			t.Errorf("%s: error %q does not name the article, its state and the subscription", state, msg)
		}
		if d, p := count(t, s, `SELECT count(*) FROM digests`), count(t, s, `SELECT count(*) FROM posted`); d != digests || p != posted {
			t.Errorf("%s: failed BeginDigest wrote: digests %d -> %d, posted %d -> %d", state, digests, d, posted, p)
		}
		got, err := s.PostedIDs(ctx, sub.ID, []string{"b1", "b2"})
		if err != nil || len(got) != 0 {
			t.Errorf("%s: b1/b2 recorded: %v, %v", state, got, err)
		}
	}
	check("pending")
	if err := s.MarkSent(ctx, first.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	check("sent")
}

func TestBeginDigestValidation(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	sub := mustPut(t, s, "g", "c")
	now := time.Now()
	for name, tc := range map[string]struct {
		subID    int64
		nonce    string
		articles []string
		want     error
	}{
		"empty nonce":     {sub.ID, "", []string{"a"}, nil},
		"long nonce":      {sub.ID, strings.Repeat("n", MaxNonceLen+1), []string{"a"}, nil},
		"no articles":     {sub.ID, "n", nil, nil},
		"empty article":   {sub.ID, "n", []string{"a", ""}, nil},
		"duplicate":       {sub.ID, "n", []string{"a", "b", "a"}, nil},
		"unknown sub":     {sub.ID + 100, "n", []string{"a"}, ErrNotFound},
		"max nonce is ok": {sub.ID, strings.Repeat("n", MaxNonceLen), []string{"ok"}, nil},
	} {
		_, err := s.BeginDigest(ctx, tc.subID, tc.nonce, tc.articles, now)
		if name == "max nonce is ok" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.HasPrefix(err.Error(), "store: begin digest subscription=") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM digests`); n != 1 {
		t.Errorf("%d digests, want 1", n)
	}
}

func TestCancelDigestReleasesArticles(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	sub := mustPut(t, s, "g", "c")
	d, err := s.BeginDigest(ctx, sub.ID, "n1", []string{"a1", "a2"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CancelDigest(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if posted, err := s.PostedIDs(ctx, sub.ID, []string{"a1", "a2"}); err != nil || len(posted) != 0 {
		t.Errorf("PostedIDs after cancel = %v, %v", posted, err)
	}
	if pending, err := s.PendingDigests(ctx); err != nil || len(pending) != 0 {
		t.Errorf("PendingDigests after cancel = %+v, %v", pending, err)
	}
	if err := s.CancelDigest(ctx, d.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancel twice: %v", err)
	}

	d2, err := s.BeginDigest(ctx, sub.ID, "n2", []string{"a2", "a1"}, time.Now())
	if err != nil {
		t.Fatalf("articles not released: %v", err)
	}
	if d2.ID <= d.ID {
		t.Errorf("digest ID reused: %d after %d", d2.ID, d.ID)
	}
	if err := s.MarkSent(ctx, d2.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	err = s.CancelDigest(ctx, d2.ID)
	if !errors.Is(err, ErrDigestSent) || !strings.Contains(err.Error(), fmt.Sprint(d2.ID)) {
		t.Errorf("cancel sent digest: %v", err)
	}
	if posted, err := s.PostedIDs(ctx, sub.ID, []string{"a1", "a2"}); err != nil || len(posted) != 2 {
		t.Errorf("refused cancel changed posted rows: %v, %v", posted, err)
	}
}

func TestRecordRunAndPause(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	sub := mustPut(t, s, "g", "c")
	mustPut(t, s, "g", "d")
	if sub.Paused != "" || !sub.LastRunAt.IsZero() || sub.LastOutcome != "" {
		t.Errorf("new subscription: %+v", sub)
	}
	run := time.Date(2025, 2, 3, 7, 0, 0, 0, time.FixedZone("EST", -5*3600))
	if err := s.RecordRun(ctx, sub.ID, run, "posted 3"); err != nil {
		t.Fatal(err)
	}
	if err := s.Pause(ctx, sub.ID, "403 Missing Access"); err != nil {
		t.Fatal(err)
	}
	subs, err := s.Subscriptions(ctx, "g")
	if err != nil || len(subs) != 2 {
		t.Fatalf("Subscriptions = %+v, %v", subs, err)
	}
	if got := subs[0]; !got.LastRunAt.Equal(run) || got.LastRunAt.Location() != time.UTC ||
		got.LastOutcome != "posted 3" || got.Paused != "403 Missing Access" {
		t.Errorf("after RecordRun+Pause: %+v", got)
	}
	if got := subs[1]; got.Paused != "" || !got.LastRunAt.IsZero() {
		t.Errorf("other subscription changed: %+v", got)
	}

	if err := s.RecordRun(ctx, 999, run, "x"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "subscription=999") {
		t.Errorf("RecordRun(unknown) = %v", err)
	}
	if err := s.Pause(ctx, 999, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Pause(unknown) = %v", err)
	}
	if err := s.Pause(ctx, sub.ID, ""); err == nil {
		t.Error("Pause with empty reason succeeded")
	}
}

// TestConcurrentBeginDigest runs the scheduler's burst: many subscriptions
// falling due at once, each checked with PostedIDs and recorded with
// BeginDigest + MarkSent from its own goroutine, while others list.
func TestConcurrentBeginDigest(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	const subs, digestsEach = 32, 5
	ids := make([]int64, subs)
	for i := range ids {
		ids[i] = mustPut(t, s, "g", fmt.Sprintf("c%02d", i)).ID
	}
	var wg sync.WaitGroup
	errs := make(chan error, subs*2)
	for i, id := range ids {
		wg.Go(func() {
			for j := range digestsEach {
				arts := []string{fmt.Sprintf("a%d-%d", j, 0), fmt.Sprintf("a%d-%d", j, 1), "shared"}
				if j > 0 {
					arts = arts[:2]
				}
				if _, err := s.PostedIDs(ctx, id, arts); err != nil {
					errs <- err
					return
				}
				d, err := s.BeginDigest(ctx, id, fmt.Sprintf("n%d-%d", i, j), arts, time.Now())
				if err != nil {
					errs <- err
					return
				}
				if err := s.MarkSent(ctx, d.ID, time.Now()); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() {
			for range digestsEach {
				if _, err := s.Subscriptions(ctx, ""); err != nil {
					errs <- err
					return
				}
				if _, err := s.PendingDigests(ctx); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := count(t, s, `SELECT count(*) FROM digests WHERE sent_at IS NOT NULL`); n != subs*digestsEach {
		t.Errorf("%d sent digests, want %d", n, subs*digestsEach)
	}
	if n := count(t, s, `SELECT count(*) FROM posted`); n != subs*(digestsEach*2+1) {
		t.Errorf("%d posted rows, want %d", n, subs*(digestsEach*2+1))
	}
}

// TestConcurrentSameArticle races goroutines to post the same article to one
// subscription: exactly one may win.
func TestConcurrentSameArticle(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	sub := mustPut(t, s, "g", "c")
	const racers = 20
	var wg sync.WaitGroup
	results := make(chan error, racers)
	for i := range racers {
		wg.Go(func() {
			_, err := s.BeginDigest(ctx, sub.ID, fmt.Sprintf("n%d", i), []string{fmt.Sprintf("own%d", i), "hot"}, time.Now())
			results <- err
		})
	}
	wg.Wait()
	close(results)
	won := 0
	for err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrAlreadyPosted):
			t.Error(err)
		}
	}
	if won != 1 {
		t.Errorf("%d BeginDigest calls won, want 1", won)
	}
}

// TestTwoStoresOneFile stands in for two processes sharing the file (e.g. an
// old bot still shutting down while the new one starts): busy_timeout and
// IMMEDIATE transactions must make their writes wait, not fail.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newsbrief.db")
	var stores [2]*Store
	for i := range stores {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	sub := mustPut(t, stores[0], "g", "c")
	var wg sync.WaitGroup
	errs := make(chan error, 2*100)
	for i, s := range stores {
		wg.Go(func() {
			for j := range 100 {
				d, err := s.BeginDigest(ctx, sub.ID, fmt.Sprintf("s%d-%d", i, j), []string{fmt.Sprintf("s%d-a%d", i, j)}, time.Now())
				if err == nil {
					err = s.MarkSent(ctx, d.ID, time.Now())
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := count(t, stores[1], `SELECT count(*) FROM posted`); n != 200 {
		t.Errorf("%d posted rows, want 200", n)
	}
}

func TestContextCanceled(t *testing.T) {
	s := openTemp(t)
	sub := mustPut(t, s, "g", "c")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.BeginDigest(ctx, sub.ID, "n", []string{"a"}, time.Now()); !errors.Is(err, context.Canceled) {
		t.Errorf("BeginDigest with canceled context: %v", err)
	}
	if posted, err := s.PostedIDs(context.Background(), sub.ID, []string{"a"}); err != nil || len(posted) != 0 {
		t.Errorf("canceled BeginDigest wrote: %v, %v", posted, err)
	}
}

func TestTimeFormatSorts(t *testing.T) {
	a := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b := a.Add(500 * time.Millisecond)
	if !(formatTime(a) < formatTime(b)) {
		t.Errorf("%s !< %s", formatTime(a), formatTime(b))
	}
	back, err := parseTime(formatTime(b))
	if err != nil || !back.Equal(b) {
		t.Errorf("round trip: %v, %v", back, err)
	}
}

// BenchmarkBeginDigestMarkSent is the per-digest cost of a scheduled post:
// one digest of 5 articles begun and marked sent, against a file on disk.
// Multiply by 1,000 for a thousand subscriptions falling due at once.
func BenchmarkBeginDigestMarkSent(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	const subs = 1000
	ids := make([]int64, subs)
	for i := range ids {
		ids[i] = mustPut(b, s, "g", fmt.Sprintf("c%04d", i)).ID
	}
	now := time.Now()
	arts := make([]string, 5)
	for i := 0; b.Loop(); i++ {
		for j := range arts {
			arts[j] = fmt.Sprintf("article-%d-%d", i, j)
		}
		d, err := s.BeginDigest(ctx, ids[i%subs], fmt.Sprintf("nb%d", i), arts, now)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.MarkSent(ctx, d.ID, now); err != nil {
			b.Fatal(err)
		}
	}
}
