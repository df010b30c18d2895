package sqlite

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/briefs/feed/feedstore"
	"newsbrief/store/schema"
	"newsbrief/store/storetest"
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

func mustPut(t testing.TB, s *Store, guild, channel string) digest.Subscription {
	t.Helper()
	return storetest.MustPut(t, s, guild, channel)
}

// TestContract runs the behaviour every digest.Store must show.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) digest.Store { return openTemp(t) })
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

func latestVersion() string { return fmt.Sprint(migrations[len(migrations)-1].Version) }

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
	// It does not map the file (see readConns): mapped pages would count
	// in the resident set.
	var mmap int64
	if err := s.r.QueryRow(`PRAGMA mmap_size`).Scan(&mmap); err != nil || mmap != 0 {
		t.Errorf("read pool PRAGMA mmap_size = %d, %v; want 0 (not mapped)", mmap, err)
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
	d, err := storetest.Begin(ctx, s, sub.ID, "n1", []string{"a1"}, time.Now())
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
		got, err := s.Subscription(ctx, "g", "c", "tech")
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
	migrations = append(slices.Clip(saved), migration{Version: len(saved) + 1, Name: "probe.sql",
		SQL: `CREATE TABLE probe (x INTEGER); INSERT INTO probe VALUES (1);`,
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
	migrations = append(slices.Clip(migrations), migration{Version: len(saved) + 2, Name: "broken.sql",
		SQL: `CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;`,
	})
	if _, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), "broken.sql") {
		t.Fatalf("broken migration: %v", err)
	}
	migrations = saved[:len(saved):len(saved)]
	migrations = append(migrations, migration{Version: len(saved) + 1, Name: "probe.sql"})
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := count(t, s, `SELECT count(*) FROM sqlite_schema WHERE name = 'half'`); n != 0 {
		t.Error("failed migration left table half behind")
	}
}

// TestUpgradeFromVersion1 opens a database written by the build before
// claims (schema version 1, with a sent and a pending digest) and checks
// that 0002_runs keeps every record: the subscription without a next run
// (the service schedules it at start), the posted history that keeps
// articles from going out twice, and the pending digest with its articles.
func TestUpgradeFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newsbrief.db")
	saved := migrations
	migrations = saved[:1:1]
	s, err := Open(ctx, path)
	migrations = saved
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO subscriptions (id, guild_id, channel_id, schedule, timezone, count, created_at, last_run_at, last_outcome)
			VALUES (7, 'g', 'c', '@daily', 'UTC', 3, '2025-01-01T00:00:00.000000000Z', '2025-01-02T00:00:00.000000000Z', 'posted 2')`,
		`INSERT INTO digests (id, subscription_id, channel_id, nonce, scheduled_for, created_at, sent_at)
			VALUES (1, 7, 'c', 'n1', '2025-01-02T00:00:00.000000000Z', '2025-01-02T00:00:00.000000000Z', '2025-01-02T00:00:01.000000000Z')`,
		`INSERT INTO digests (id, subscription_id, channel_id, nonce, scheduled_for, created_at)
			VALUES (2, 7, 'c', 'n2', '2025-01-03T00:00:00.000000000Z', '2025-01-03T00:00:00.000000000Z')`,
		`INSERT INTO posted VALUES (7, 'a1', 1, 0), (7, 'a2', 1, 1), (7, 'a3', 2, 0)`,
	} {
		if _, err := s.w.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()

	s = openAt(t, path)
	if got := pragma(t, s, "user_version"); got != latestVersion() {
		t.Errorf("user_version = %s, want %s", got, latestVersion())
	}
	sub, err := s.SubscriptionByID(ctx, 7)
	if err != nil || !sub.NextRun.IsZero() || sub.LastOutcome != "posted 2" {
		t.Errorf("upgraded subscription: %+v, %v", sub, err)
	}
	posted, err := s.PostedIDs(ctx, 7, []string{"a1", "a2", "a3", "a4"})
	if err != nil || len(posted) != 3 {
		t.Errorf("posted after upgrade: %v, %v", posted, err)
	}
	pending, err := s.PendingDigests(ctx)
	if err != nil || len(pending) != 1 || pending[0].Nonce != "n2" || !slices.Equal(pending[0].ArticleIDs, []string{"a3"}) {
		t.Errorf("pending after upgrade: %+v, %v", pending, err)
	}
	if n := count(t, s, `SELECT count(*) FROM pragma_foreign_key_check`); n != 0 {
		t.Errorf("%d foreign key violations after upgrade", n)
	}
}

// TestUpgradeNamesSubscriptions: the migration to named subscriptions
// rebuilds the table keeping every id, every digest and posted record
// that refers to it, and the counter that never hands an id out twice;
// each subscription gets its default name; a second one can then join a
// channel.
func TestUpgradeNamesSubscriptions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newsbrief.db")
	saved := migrations
	migrations = saved[: namesVersion-1 : namesVersion-1]
	s, err := Open(ctx, path)
	migrations = saved
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO subscriptions (id, guild_id, channel_id, schedule, timezone, count, topic, source, created_at)
			VALUES (7, 'g', 'c', '@daily', 'UTC', 3, 'Climate change', 'BBC News', '2025-01-01T00:00:00.000000000Z'),
			       (9, 'g', 'd', '@daily', 'UTC', 3, '', '', '2025-01-01T00:00:00.000000000Z')`,
		`DELETE FROM subscriptions WHERE id = 9`, // the counter stays at 9
		`INSERT INTO digests (id, subscription_id, channel_id, nonce, scheduled_for, created_at)
			VALUES (2, 7, 'c', 'n2', '2025-01-03T00:00:00.000000000Z', '2025-01-03T00:00:00.000000000Z')`,
		`INSERT INTO posted (subscription_id, article_id, digest_id, position) VALUES (7, 'a3', 2, 0)`,
	} {
		if _, err := s.w.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()

	s = openAt(t, path)
	sub, err := s.Subscription(ctx, "g", "c", "bbc-news-climate-change")
	if err != nil || sub.ID != 7 {
		t.Fatalf("upgraded subscription: %+v, %v", sub, err)
	}
	if pending, err := s.PendingDigests(ctx); err != nil || len(pending) != 1 || pending[0].SubscriptionID != 7 {
		t.Errorf("pending after upgrade: %+v, %v", pending, err)
	}
	if posted, err := s.PostedIDs(ctx, 7, []string{"a3"}); err != nil || !posted["a3"] {
		t.Errorf("posted after upgrade: %v, %v", posted, err)
	}
	second, err := s.PutSubscription(ctx, digest.Subscription{GuildID: "g", ChannelID: "c", Name: "morning", Schedule: "@daily", Count: 1})
	if err != nil || second.ID <= 9 {
		t.Errorf("a second subscription in the channel: %+v, %v (want an id above 9)", second, err)
	}
	if ok, err := s.DeleteSubscription(ctx, "g", "c", "bbc-news-climate-change"); !ok || err != nil {
		t.Fatalf("delete: %v, %v", ok, err)
	}
	if n := count(t, s, `SELECT count(*) FROM digests`); n != 0 {
		t.Errorf("%d digests left after deleting their subscription: the cascade was lost in the rebuild", n)
	}
	if n := count(t, s, `SELECT count(*) FROM pragma_foreign_key_check`); n != 0 {
		t.Errorf("%d foreign key violations after upgrade", n)
	}
}

func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
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
	if len(migrations) == 0 || migrations[0].Name != "0001_init.sql" {
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
		if _, err := schema.Load(fsys, "m"); err == nil {
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
	// The subscriptions table's pages, to zero while the schema (whose
	// pages are not all at the start of the file) stays readable: a damaged
	// file that opens, which only the integrity check catches.
	pageSize, err := strconv.Atoi(pragma(t, s, "page_size"))
	if err != nil {
		t.Fatal(err)
	}
	dataPages := tablePages(t, s, "subscriptions", "")
	s.Close()
	good, err := os.ReadFile(goodPath)
	if err != nil || len(good) < 3*4096 {
		t.Fatalf("good database: %d bytes, %v", len(good), err)
	}
	random := make([]byte, 4096)
	rand.Read(random)
	zeroedData := slices.Clone(good)
	for _, p := range dataPages {
		clear(zeroedData[(p-1)*pageSize : p*pageSize])
	}

	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"random":      {random, "not a database"},
		"text":        {[]byte(strings.Repeat("this is not a database\n", 150)), "not a database"},
		"short":       {[]byte("hello"), "not a database"},
		"truncated":   {good[:len(good)/2], "malformed"},
		"header only": {good[:100], "malformed"},
		"zeroed":      {zeroedData, "damaged"},
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
	// One subscription each: claims of one subscription's runs race by
	// design (TestContract's ConcurrentClaims covers that).
	subs := [2]digest.Subscription{mustPut(t, stores[0], "g", "c0"), mustPut(t, stores[0], "g", "c1")}
	var wg sync.WaitGroup
	errs := make(chan error, 2*100)
	for i, s := range stores {
		wg.Go(func() {
			for j := range 100 {
				d, err := storetest.Begin(ctx, s, subs[i].ID, fmt.Sprintf("s%d-%d", i, j), []string{fmt.Sprintf("s%d-a%d", i, j)}, time.Now())
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

// BenchmarkClaimRunMarkSent is the per-digest cost of a scheduled post:
// one run claimed with a digest of 5 articles, and marked sent, against a
// file on disk.
// Multiply by 1,000 for a thousand subscriptions falling due at once.
func BenchmarkClaimRunMarkSent(b *testing.B) {
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
		d, err := storetest.Begin(ctx, s, ids[i%subs], fmt.Sprintf("nb%d", i), arts, now.Add(time.Duration(i)))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.MarkSent(ctx, d.ID, now); err != nil {
			b.Fatal(err)
		}
	}
}

// TestErrorsNameTheirInput checks this backend's error texts, which the
// contract leaves to each backend: what failed, on which input, and for an
// article already posted, the digest that holds it and its state.
func TestErrorsNameTheirInput(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	for _, sub := range []digest.Subscription{
		{ChannelID: "c", Count: 1},
		{GuildID: "g", Count: 1},
		{GuildID: "g", ChannelID: "c", Count: 0},
	} {
		_, err := s.PutSubscription(ctx, sub)
		if err == nil || !strings.Contains(err.Error(), "store: put subscription guild="+sub.GuildID+" channel="+sub.ChannelID) {
			t.Errorf("Put(%+v): %v", sub, err)
		}
	}
	sub := mustPut(t, s, "g", "c")
	if _, err := s.Subscription(ctx, "g", "nope", "tech"); !strings.Contains(err.Error(), "guild=g channel=nope") {
		t.Errorf("get unknown: %v", err)
	}
	for _, bad := range []struct {
		nonce    string
		articles []string
	}{{"", []string{"a"}}, {"n", []string{"a", ""}}, {"n", []string{"a", "a"}}} {
		_, err := storetest.Begin(ctx, s, sub.ID, bad.nonce, bad.articles, time.Now())
		if err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("store: claim run subscription=%d scheduled=", sub.ID)) {
			t.Errorf("ClaimRun(%q, %q): %v", bad.nonce, bad.articles, err)
		}
	}
	first, err := storetest.Begin(ctx, s, sub.ID, "n1", []string{"a1", "a2"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	check := func(state string) {
		t.Helper()
		digests, posted := count(t, s, `SELECT count(*) FROM digests`), count(t, s, `SELECT count(*) FROM posted`)
		_, err := storetest.Begin(ctx, s, sub.ID, "n2", []string{"b1", "a2", "b2"}, time.Now())
		if msg := fmt.Sprint(err); !strings.Contains(msg, `"a2"`) || !strings.Contains(msg, state) ||
			!strings.Contains(msg, fmt.Sprintf("subscription=%d", sub.ID)) {
			t.Errorf("%s: error %q does not name the article, its state and the subscription", state, msg)
		}
		if d, p := count(t, s, `SELECT count(*) FROM digests`), count(t, s, `SELECT count(*) FROM posted`); d != digests || p != posted {
			t.Errorf("%s: failed ClaimRun wrote: digests %d -> %d, posted %d -> %d", state, digests, d, posted, p)
		}
	}
	check("pending")
	if err := s.MarkSent(ctx, first.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	check("sent")
}

// TestMarkSentKeepsFirstTime reads the stored text: the interface shows no
// sent digest, and a second MarkSent must not move the first time.
func TestMarkSentKeepsFirstTime(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	clock := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	sub := mustPut(t, s, "g", "c")
	d, err := storetest.Begin(ctx, s, sub.ID, "n", []string{"a"}, clock)
	if err != nil {
		t.Fatal(err)
	}
	sentAt := time.Date(2025, 6, 1, 8, 0, 3, 0, time.UTC)
	for _, at := range []time.Time{sentAt, sentAt.Add(time.Hour)} {
		if err := s.MarkSent(ctx, d.ID, at); err != nil {
			t.Fatal(err)
		}
	}
	var stored string
	if err := s.r.QueryRow(`SELECT sent_at FROM digests WHERE id = ?`, d.ID).Scan(&stored); err != nil ||
		stored != "2025-06-01T08:00:03.000000000Z" {
		t.Errorf("sent_at = %q, %v (a second MarkSent must keep the first time)", stored, err)
	}
}

// TestDeleteCascadesRows checks the rows themselves: ON DELETE CASCADE
// removes a deleted subscription's digests, posted rows and run claims, and
// no other.
func TestDeleteCascadesRows(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	sub := mustPut(t, s, "g", "c")
	other := mustPut(t, s, "g", "other")
	for _, b := range []struct {
		sub   int64
		nonce string
		arts  []string
	}{{sub.ID, "n1", []string{"a1", "a2"}}, {sub.ID, "n2", []string{"a3"}}, {other.ID, "n3", []string{"a1"}}} {
		if _, err := storetest.Begin(ctx, s, b.sub, b.nonce, b.arts, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.DeleteSubscription(ctx, "g", "c", "tech"); !ok || err != nil {
		t.Fatalf("delete: %v, %v", ok, err)
	}
	if n := count(t, s, `SELECT count(*) FROM digests WHERE subscription_id = ?`, sub.ID); n != 0 {
		t.Errorf("%d digests left", n)
	}
	if n := count(t, s, `SELECT count(*) FROM posted WHERE subscription_id = ?`, sub.ID); n != 0 {
		t.Errorf("%d posted rows left", n)
	}
	if n := count(t, s, `SELECT count(*) FROM runs WHERE subscription_id = ?`, sub.ID); n != 0 {
		t.Errorf("%d run claims left", n)
	}
	if n := count(t, s, `SELECT count(*) FROM posted`); n != 1 {
		t.Errorf("other subscription's posted rows: %d, want 1", n)
	}
}

// TestLeaseContract runs the lease contract on one file, with a clock the
// test moves: a dead holder's lease is taken over once its TTL has passed.
func TestLeaseContract(t *testing.T) {
	storetest.RunLease(t, func(t *testing.T) storetest.LeaseBackend {
		path := filepath.Join(t.TempDir(), "nb.db")
		s := openAt(t, path)
		var mu sync.Mutex
		now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		clock := func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		}
		return storetest.LeaseBackend{
			New: func(t *testing.T, name string) digest.Lease {
				return s.Lease(name, WithLeaseClock(clock), WithLeaseTTL(5*time.Second))
			},
			Kill: func(t *testing.T, l digest.Lease) {
				mu.Lock()
				now = now.Add(5 * time.Second)
				mu.Unlock()
			},
			Open: func(t *testing.T) (func(string) digest.Lease, func() error) {
				a := openAt(t, path)
				return func(name string) digest.Lease { return a.Lease(name, WithLeaseClock(clock)) }, a.Close
			},
		}
	})
}

// TestPing: the readiness check's ping answers while the store is open and
// fails, naming the file, once it is closed.
func TestPing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newsbrief.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping of an open store: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	err = s.Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), "newsbrief.db") {
		t.Fatalf("Ping of a closed store = %v, want an error naming the file", err)
	}
}

// TestOpenLeavesFeedItemsUnchecked: the integrity check at open leaves out
// the feed items' pages (most of a large database, and copies of what the
// feeds serve): a file whose only damage is there opens, and reading the
// damaged items is the error, named.
func TestOpenLeavesFeedItemsUnchecked(t *testing.T) {
	ctx := context.Background()
	var items []feedstore.Item
	for i := range 200 {
		id := fmt.Sprintf("https://example.com/%d", i)
		items = append(items, feedstore.Item{Identity: id, Origin: "wire", Link: id, TitleKey: id, Title: "Story " + id,
			Text: strings.Repeat("words of the story ", 100), URL: id, Fetched: time.Now()})
	}
	s := openDamaged(t, items, "feed_items")
	if _, err := s.Items(ctx, "wire"); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("reading the damaged items: %v, want the damage", err)
	}
}

// tablePages returns the numbers of the table's pages (of pagetype, when
// not ""), at least two of them, for a test to damage.
func tablePages(t *testing.T, s *Store, table, pagetype string) []int {
	t.Helper()
	rows, err := s.r.Query(`SELECT pageno FROM dbstat WHERE name = ? AND (? = '' OR pagetype = ?)`, table, pagetype, pagetype)
	if err != nil {
		t.Fatal(err)
	}
	var pages []int
	for rows.Next() {
		var p int
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
	}
	if err := rows.Err(); err != nil || len(pages) < 2 {
		t.Fatalf("%s pages %v, %v", table, pages, err)
	}
	return pages
}

// openDamaged makes a store of a subscription and items, zeroes the leaf
// pages of its b-tree name, and opens it again: it must open, the
// subscription intact. The store is closed at the test's end.
func openDamaged(t *testing.T, items []feedstore.Item, name string) *Store {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "items.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "g", "c")
	if _, err := s.SaveItems(ctx, items, 0); err != nil {
		t.Fatal(err)
	}
	zeroLeaves(t, s, path, name)
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("a file damaged only in %s does not open: %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	if n := count(t, s, "SELECT count(*) FROM subscriptions"); n != 1 {
		t.Errorf("%d subscriptions, want 1", n)
	}
	return s
}

// zeroLeaves closes s and zeroes the leaf pages of its b-tree name (a
// table or an index) in the file at path: damage confined to it.
func zeroLeaves(t *testing.T, s *Store, path, name string) {
	t.Helper()
	pageSize, err := strconv.Atoi(pragma(t, s, "page_size"))
	if err != nil {
		t.Fatal(err)
	}
	pages := tablePages(t, s, name, "leaf")
	s.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		clear(data[(p-1)*pageSize : p*pageSize])
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
