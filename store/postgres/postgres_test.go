package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"newsbrief/bot/digest"
	"newsbrief/briefs/feed/feedstore"
	"newsbrief/store/postgres/pgtest"
	"newsbrief/store/schema"
	"newsbrief/store/storetest"
)

// The tests' database: pgtest gives each test a schema of its own, or
// skips it without NEWSBRIEF_TEST_POSTGRES.
func testURL(t testing.TB) string   { return pgtest.URL(t) }
func newSchema(t testing.TB) string { return pgtest.NewSchema(t) }
func withSearchPath(t testing.TB, base, schema string) string {
	return pgtest.WithSearchPath(t, base, schema)
}

// openURL opens the store at u and closes it when t ends.
func openURL(t testing.TB, u string) *Store {
	t.Helper()
	s, err := Open(context.Background(), u)
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

// openTest opens a store in a schema of its own.
func openTest(t testing.TB) *Store {
	t.Helper()
	return openURL(t, newSchema(t))
}

func count(t testing.TB, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestContract runs the behaviour every digest.Store must show.
func TestContract(t *testing.T) {
	testURL(t)
	t.Parallel()
	storetest.Run(t, func(t *testing.T) digest.Store { return openTest(t) })
}

// TestFeedContract runs the behaviour every feedstore.Store must show.
func TestFeedContract(t *testing.T) {
	testURL(t)
	t.Parallel()
	storetest.RunFeed(t, func(t *testing.T) feedstore.Store { return openTest(t) })
}

func TestLoadMigrations(t *testing.T) {
	if len(migrations) == 0 || migrations[0].Version != 1 || !strings.Contains(migrations[0].SQL, "CREATE TABLE subscriptions") {
		t.Fatalf("embedded migrations: %+v", migrations)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"gap":     {"m/0001_a.sql": {Data: []byte("x")}, "m/0003_c.sql": {Data: []byte("x")}},
		"bad":     {"m/first.sql": {Data: []byte("x")}},
		"zero":    {"m/0000_a.sql": {Data: []byte("x")}},
		"repeat":  {"m/0001_a.sql": {Data: []byte("x")}, "m/0001_b.sql": {Data: []byte("x")}},
		"nothing": {"m/README": {Data: []byte("x")}},
	} {
		if _, err := schema.Load(fsys, "m"); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

// TestOpenErrorsHideThePassword: whatever fails, at parsing or connecting,
// the error names the database but never shows the password. No database
// is needed: port 1 refuses.
func TestOpenErrorsHideThePassword(t *testing.T) {
	const pw = "s3cr3t-pw"
	for _, tc := range []struct{ url, want string }{
		{"postgres://nbuser:" + pw + "@127.0.0.1:1/newsdb?sslmode=disable&connect_timeout=5", "postgres://nbuser@127.0.0.1:1/newsdb"},
		{"postgres://nbuser@127.0.0.1:1/newsdb?sslmode=disable&password=" + pw, "postgres://nbuser@127.0.0.1:1/newsdb"},
		{"host=127.0.0.1 port=1 user=nbuser dbname=newsdb sslmode=disable password=" + pw, "postgres://nbuser@127.0.0.1:1/newsdb"},
		{"postgres://nbuser:" + pw + "@127.0.0.1:notaport/newsdb", "invalid connection URL"},
		{"postgres://nbuser:" + pw + "@127.0.0.1/newsdb?sslmode=sometimes", "invalid connection URL"},
		{"host=127.0.0.1 password='" + pw, "invalid connection URL"},
		{"postgres://nbuser:" + pw + "@[::1/newsdb", "invalid connection URL"},
	} {
		s, err := Open(context.Background(), tc.url)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", tc.url)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, pw) || !strings.Contains(msg, tc.want) {
			t.Errorf("Open(%q): %v; want %q and never the password", tc.url, err, tc.want)
		}
		for e := err; e != nil; e = errors.Unwrap(e) {
			if strings.Contains(fmt.Sprintf("%+v", e), pw) {
				t.Errorf("Open(%q): a wrapped error shows the password: %T %+v", tc.url, e, e)
			}
		}
	}
}

// TestOpenMissingSchema: a search_path with no schema that exists is a
// clear error, not tables made somewhere else.
func TestOpenMissingSchema(t *testing.T) {
	u := withSearchPath(t, testURL(t), "newsbrief_no_such_schema")
	if s, err := Open(context.Background(), u); err == nil || !strings.Contains(err.Error(), "newsbrief_no_such_schema") {
		if s != nil {
			s.Close()
		}
		t.Errorf("Open with a missing schema: %v", err)
	}
}

// TestConcurrentOpensMigrateOnce races Opens of one empty schema, as
// processes starting together would: every Open succeeds, and the
// migrations are applied once, by one of them.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	u := newSchema(t)
	t.Parallel()
	const opens = 6
	start := make(chan struct{})
	stores := make([]*Store, opens)
	errs := make([]error, opens)
	var wg sync.WaitGroup
	for i := range opens {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(context.Background(), u)
		})
	}
	close(start)
	wg.Wait()
	var applied []int
	for i, s := range stores {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		defer s.Close()
		applied = append(applied, s.applied)
	}
	slices.Sort(applied)
	want := make([]int, opens)
	want[opens-1] = len(migrations)
	if !slices.Equal(applied, want) {
		t.Errorf("migrations applied by each Open: %v, want one Open to apply %d and the others none", applied, len(migrations))
	}
	if s := stores[0]; s != nil {
		if n := count(t, s, `SELECT count(*) FROM schema_migrations`); n != len(migrations) {
			t.Errorf("%d versions recorded, want %d", n, len(migrations))
		}
		storetest.MustPut(t, s, "g", "c")
	}
}

// TestReopenKeepsDataAndDoesNotRemigrate: a second Open of a migrated
// schema applies nothing and sees the data.
func TestReopenKeepsDataAndDoesNotRemigrate(t *testing.T) {
	u := newSchema(t)
	t.Parallel()
	s1, err := Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	if s1.applied != len(migrations) {
		t.Errorf("first Open applied %d migrations, want %d", s1.applied, len(migrations))
	}
	sub := storetest.MustPut(t, s1, "g", "c")
	s1.Close()
	s2 := openURL(t, u)
	if s2.applied != 0 {
		t.Errorf("second Open applied %d migrations", s2.applied)
	}
	if got, err := s2.SubscriptionByID(context.Background(), sub.ID); err != nil || got != sub {
		t.Errorf("after reopening: %+v, %v; want %+v", got, err, sub)
	}
}

// TestMigrationUpgrade: a schema at an older version is brought up to date,
// applying only what it lacks; one at a version this build does not know is
// refused and left alone.
func TestMigrationUpgrade(t *testing.T) {
	u := newSchema(t)
	t.Parallel()
	ctx := context.Background()
	migs, err := schema.Load(fstest.MapFS{
		"m/0001_a.sql": {Data: []byte("CREATE TABLE a (x integer); INSERT INTO a VALUES (1);")},
		"m/0002_b.sql": {Data: []byte("ALTER TABLE a ADD COLUMN y integer NOT NULL DEFAULT 2;")},
		"m/0003_c.sql": {Data: []byte("CREATE TABLE c (z integer);")},
	}, "m")
	if err != nil {
		t.Fatal(err)
	}
	openWith := func(migs []migration) (*Store, error) {
		s, err := open(ctx, u, migs)
		if err == nil {
			t.Cleanup(func() { s.Close() })
		}
		return s, err
	}
	s, err := openWith(migs[:1])
	if err != nil || s.applied != 1 {
		t.Fatalf("open at version 1: applied %v, %v", s, err)
	}
	s, err = openWith(migs)
	if err != nil || s.applied != 2 {
		t.Fatalf("upgrade to version 3: %v, %v", s, err)
	}
	if n := count(t, s, `SELECT sum(x + y)::int FROM a`); n != 3 {
		t.Errorf("data after upgrade: %d, want 3", n)
	}
	var names []string
	rows, _ := s.pool.Query(ctx, `SELECT name FROM schema_migrations ORDER BY version`)
	names, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !slices.Equal(names, []string{"0001_a.sql", "0002_b.sql", "0003_c.sql"}) {
		t.Errorf("schema_migrations: %v, %v", names, err)
	}

	// A failing migration leaves the schema at the version before it.
	bad := append(slices.Clone(migs), migration{Version: 4, Name: "0004_bad.sql", SQL: "CREATE TABLE d (w integer); SELECT 1/0;"})
	if _, err := openWith(bad); err == nil || !strings.Contains(err.Error(), "0004_bad.sql") {
		t.Errorf("failing migration: %v", err)
	}
	if n := count(t, s, `SELECT max(version) FROM schema_migrations`); n != 3 {
		t.Errorf("after a failed migration, version %d, want 3", n)
	}
	if n := count(t, s, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'd'`); n != 0 {
		t.Error("a failed migration left its table")
	}

	// An older build refuses the newer schema.
	if _, err := openWith(migs[:2]); !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 3") {
		t.Errorf("open with an older build: %v, want ErrSchemaTooNew naming version 3", err)
	}
	if n := count(t, s, `SELECT max(version) FROM schema_migrations`); n != 3 {
		t.Errorf("refused open changed the version to %d", n)
	}
}

// TestTwoStoresNeverBothClaimARun stands in for two processes sharing the
// database: two stores, each with its own pool, race from many goroutines
// to claim the same due runs of many subscriptions, round after round.
// Each run is claimed exactly once, every loser learns ErrRunClaimed, and
// only the winners' digests and articles are recorded.
func TestTwoStoresNeverBothClaimARun(t *testing.T) {
	u := newSchema(t)
	t.Parallel()
	ctx := context.Background()
	stores := []*Store{openURL(t, u), openURL(t, u)}
	const subs, perStore, rounds = 12, 6, 3
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	ids := make([]int64, subs)
	for i := range ids {
		sub, err := stores[i%2].PutSubscription(ctx, digest.Subscription{
			GuildID: "g", ChannelID: fmt.Sprintf("c%02d", i), Schedule: "0 9 * * *", Timezone: "UTC", Count: 3, NextRun: t0,
		})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = sub.ID
	}
	type win struct {
		sub    int64
		racer  string
		digest digest.Digest
	}
	for r := range rounds {
		due := t0.Add(time.Duration(r) * day)
		hot := fmt.Sprintf("hot%d", r)
		start := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		var wins []win
		var errs []error
		for si, s := range stores {
			for g := range perStore {
				racer := fmt.Sprintf("s%dg%dr%d", si, g, r)
				wg.Go(func() {
					<-start
					// Each racer goes through the subscriptions in its own
					// order, so claims of one run meet from both stores.
					for k := range subs {
						id := ids[(k+g*5+si*3)%subs]
						run := digest.Run{SubscriptionID: id, Due: due, ScheduledFor: due, Next: due.Add(day)}
						d, err := s.ClaimRun(ctx, run, racer, []string{hot, racer + "-a"})
						mu.Lock()
						switch {
						case err == nil:
							wins = append(wins, win{id, racer, d})
						case !errors.Is(err, digest.ErrRunClaimed):
							errs = append(errs, err)
						}
						mu.Unlock()
					}
				})
			}
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			t.Errorf("round %d: a losing claim: %v, want ErrRunClaimed", r, err)
		}
		bySub := map[int64]int{}
		for _, w := range wins {
			bySub[w.sub]++
		}
		for _, id := range ids {
			if bySub[id] != 1 {
				t.Errorf("round %d: subscription %d claimed %d times, want once", r, id, bySub[id])
			}
		}
		for _, w := range wins {
			// Every claim of the round carries hot: only the winner's is recorded.
			if posted, err := stores[1].PostedIDs(ctx, w.sub, []string{hot, w.racer + "-a"}); err != nil || len(posted) != 2 {
				t.Errorf("round %d: subscription %d: recorded %v, %v; want the winner's 2 articles", r, w.sub, posted, err)
			}
			if w.digest.ID == 0 || w.digest.Nonce != w.racer || !slices.Equal(w.digest.ArticleIDs, []string{hot, w.racer + "-a"}) {
				t.Errorf("round %d: winning digest %+v of %s", r, w.digest, w.racer)
			}
		}
	}
	if n := count(t, stores[0], `SELECT count(*) FROM runs`); n != subs*rounds {
		t.Errorf("%d run claims, want %d", n, subs*rounds)
	}
	if n := count(t, stores[0], `SELECT count(*) FROM digests`); n != subs*rounds {
		t.Errorf("%d digests, want %d", n, subs*rounds)
	}
	if n := count(t, stores[0], `SELECT count(*) FROM posted`); n != 2*subs*rounds {
		t.Errorf("%d posted rows, want %d", n, 2*subs*rounds)
	}
}

// TestLeaseContract runs the lease contract on one schema. A holder dies
// as a crashed process does for the server: its session is terminated.
func TestLeaseContract(t *testing.T) {
	testURL(t)
	t.Parallel()
	storetest.RunLease(t, func(t *testing.T) storetest.LeaseBackend {
		u := newSchema(t)
		s := openURL(t, u)
		return storetest.LeaseBackend{
			New: func(t *testing.T, name string) digest.Lease { return s.Lease(name) },
			Open: func(t *testing.T) (func(string) digest.Lease, func() error) {
				// Closed by the test, or when it ends if it fails first.
				a, err := Open(context.Background(), u)
				if err != nil {
					t.Fatal(err)
				}
				closeOnce := sync.OnceValue(a.Close)
				t.Cleanup(func() { closeOnce() })
				return func(name string) digest.Lease { return a.Lease(name) }, closeOnce
			},
			Kill: func(t *testing.T, l digest.Lease) {
				pid := l.(*Lease).backendPID()
				var ok bool
				// With a timeout, pg_terminate_backend returns once the
				// session has ended, and with it its locks.
				if err := s.pool.QueryRow(context.Background(), `SELECT pg_terminate_backend($1, 5000)`, int64(pid)).Scan(&ok); err != nil || !ok {
					t.Fatalf("terminate the holder's session %d: %v, %v", pid, ok, err)
				}
			},
		}
	})
}

// TestLeasesOfSchemasIndependent: stores in two schemas of one database
// are two deployments; their leases do not exclude each other.
func TestLeasesOfSchemasIndependent(t *testing.T) {
	a, b := openTest(t), openTest(t)
	t.Parallel()
	for _, s := range []*Store{a, b} {
		if ok, err := s.Lease("digests").Acquire(context.Background()); !ok || err != nil {
			t.Errorf("schema %s: Acquire = %v, %v", s.schema, ok, err)
		}
	}
}
