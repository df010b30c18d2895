// Package postgres is newsbrief's durable state in a PostgreSQL database,
// for several bot processes on several machines sharing one database: the
// digest store and the feed store of store/sqlstore over the PostgreSQL
// dialect, through jackc/pgx and its connection pool (conn.go makes the
// pool a sqlstore.Conn; store/sqlstore says why pgx stays), with its own
// migrations and leases (lease.go).
//
// # Schema and migrations
//
// The schema is the numbered SQL files in migrations/, embedded in the
// binary and applied by Open, in order, in one transaction, each recorded
// in the table schema_migrations (version, name, applied_at). PostgreSQL's
// DDL is transactional, so a crash leaves the previous version, never half
// of one. Opens that race (several processes starting at once) take a
// transaction-level advisory lock first, keyed by the schema, so one
// applies the migrations and the others wait for it, then find nothing to
// do. A database whose schema_migrations knows a version this build does
// not is refused (ErrSchemaTooNew) and left alone.
//
// The store lives in the first schema of the connection's search_path
// (`public` by default), which must exist: a URL may choose another with
// the search_path parameter (postgres://host/db?search_path=newsbrief), so
// that one database can hold several stores; the tests give each test its
// own schema.
//
// # Why claims are race-free
//
// ClaimRun is one READ COMMITTED transaction whose first statement is the
// claim:
//
//	UPDATE subscriptions SET next_run = $next
//	WHERE id = $id AND next_run = $due AND paused = ''
//
// Two processes claiming the same run both reach the row; the second
// blocks on the first's row lock, and when the first commits, PostgreSQL
// re-evaluates the WHERE clause on the new row version, where next_run has
// moved on: the second updates nothing and loses with
// digest.ErrRunClaimed. The row lock is held until commit, so the run's
// claim row (primary key subscription and scheduled time), its digest and
// its posted rows (primary key subscription and article) are written by
// the winner alone, and a run is made at most once whatever the timing,
// also when next_run is put back on a time already made.
//
// # The dialect
//
// Writers run side by side here, so the dialect keeps apart those that
// would collide. Two SaveItems inserting the same stories in different
// orders could deadlock on each other's uncommitted rows, so a SaveItems
// first takes a transaction-level advisory lock per origin it saves (in a
// fixed order): savers of one feed queue, savers of different feeds run
// side by side. Prune takes an advisory lock too, so that two processes
// pruning at once (they prune at start) queue instead of deadlocking on
// posted rows. CancelDigest reads the digest FOR UPDATE before checking
// that it is pending, so a concurrent MarkSent cannot slip in between.
// The locks' keys are the schema's (and the origin's), so stores in
// different schemas never wait for each other.
//
// Times are timestamptz, kept to the microsecond: what a method returns is
// what a later read gives back. A list of strings is one text[] argument.
// Text is PostgreSQL text, which holds no NUL byte and only valid UTF-8:
// feed items are made so (the dialect replaces either with U+FFFD); the
// digest store's inputs (Discord IDs, article IDs, user text from Discord)
// are, and a value that is not is refused with an error naming it.
package postgres

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"newsbrief/store/schema"
	"newsbrief/store/sqlstore"
)

// ErrSchemaTooNew means the database was migrated by a newer build whose
// schema this one does not know (it is sqlstore.ErrSchemaTooNew). Every
// error names what failed and its input.
var ErrSchemaTooNew = sqlstore.ErrSchemaTooNew

// Store is the PostgreSQL store: sqlstore's digest.Store and
// feedstore.Store over the database, and its leases. It is safe for
// concurrent use, and any number of Stores, in any number of processes,
// may share one database.
type Store struct {
	*sqlstore.Store
	pool *pgxpool.Pool
	// name is the database as errors show it: user, host, port and
	// database, never the password or the other parameters.
	name string
	// schema is where the tables are (the search_path's first existing
	// schema); it keys the advisory locks, so stores in different schemas
	// never wait for each other.
	schema string
	// applied is how many migrations this Open applied (the tests check
	// that racing Opens migrate once).
	applied int

	leases sqlstore.Leases // made by Lease, released by Close
}

// Open connects to the database at url (postgres://user:password@host:port/
// database?param=value, or the key=value form), brings its schema up to
// date and returns the store. The URL's parameters are pgx's and
// PostgreSQL's (sslmode, search_path, pool_max_conns...). Errors name the
// database by user, host, port and database, never the password.
func Open(ctx context.Context, url string) (*Store, error) {
	return open(ctx, url, migrations)
}

func open(ctx context.Context, rawURL string, migs []migration) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		// pgx redacts the password from its message only as well as it can
		// tell where the password is in a malformed URL, and keeps the URL
		// in the error: neither goes further.
		return nil, fmt.Errorf("store: open postgres %s: invalid connection URL (want postgres://user[:password]@host[:port]/database[?param=value&...])",
			redactURL(rawURL))
	}
	s := &Store{name: describe(cfg)}
	fail := func(err error) (*Store, error) {
		if s.pool != nil {
			s.pool.Close()
		}
		return nil, fmt.Errorf("store: open postgres %s: %w", s.name, err)
	}
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return fail(err)
	}
	var schema pgtype.Text
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fail(err)
	}
	if !schema.Valid {
		var searchPath string
		_ = s.pool.QueryRow(ctx, `SHOW search_path`).Scan(&searchPath)
		return fail(fmt.Errorf("no schema of the search_path %q exists", searchPath))
	}
	s.schema = schema.String
	if s.applied, err = s.migrate(ctx, migs); err != nil {
		return fail(err)
	}
	s.Store = sqlstore.New(sqlstore.Config{
		Dialect: dialect{schema: s.schema},
		Write:   pool{conn{s.pool, new(sync.Map)}, s.pool},
		Name:    "postgres " + s.name,
	})
	if err := s.nameSubscriptions(ctx, migs); err != nil {
		s.Close()
		return fail(err)
	}
	return s, nil
}

// Close releases the leases the store made and closes the pool's
// connections, waiting for those in use.
func (s *Store) Close() error {
	s.leases.ReleaseAll(context.Background()) // the server frees them anyway
	s.pool.Close()
	return nil
}

// describe names the database for errors and logs: postgres://user@host:
// port/database, without the password and parameters.
func describe(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	u := url.URL{Scheme: "postgres", User: url.User(c.User), Host: c.Host, Path: "/" + c.Database}
	if c.Port != 0 {
		u.Host += ":" + strconv.Itoa(int(c.Port))
	}
	if strings.HasPrefix(c.Host, "/") { // a Unix socket directory
		u.Host = ""
		u.RawQuery = "host=" + url.QueryEscape(c.Host)
	}
	return u.String()
}

// redactURL is what may be shown of a URL that pgx could not parse: scheme,
// host and path when it parses as a URL at all, never the user information
// or the parameters.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "(the URL given)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// Advisory lock classes: the first key of pg_advisory_xact_lock(int, int),
// so that newsbrief's locks do not collide with another program's; the
// second is a hash of the schema (and for feed origins, the origin).
const (
	lockMigrate = 0x6e620001 + iota
	lockPrune
	lockFeedOrigin
	lockLease
)

// lockKey is the second key of an advisory lock on parts (the schema first).
func lockKey(parts ...string) int32 {
	h := fnv.New32a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return int32(h.Sum32())
}

// migrationFiles holds the schema, one numbered file per version:
// migrations/0001_init.sql, migrations/0002_....sql, ... Never edit a file
// that has shipped; add the next number instead.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one schema version (see schema.Migration).
type migration = schema.Migration

// migrations is the embedded list, in order. Tests may swap it.
var migrations = schema.MustLoad(migrationFiles, "migrations", "postgres")

// migrate brings the schema up to the last of migs, in one transaction
// under the schema's migration lock, and returns how many it applied.
func (s *Store) migrate(ctx context.Context, migs []migration) (int, error) {
	latest := migs[len(migs)-1].Version
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(ctx) // no-op after Commit
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockMigrate, lockKey(s.schema)); err != nil {
		return 0, fmt.Errorf("migrate: take the migration lock of schema %q: %w", s.schema, err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, fmt.Errorf("migrate: create schema_migrations in schema %q: %w", s.schema, err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return 0, fmt.Errorf("migrate: read schema version: %w", err)
	}
	if current > latest {
		return 0, fmt.Errorf("%w: schema %q has version %d, this program knows up to %d (was it migrated by a newer newsbrief?)",
			ErrSchemaTooNew, s.schema, current, latest)
	}
	applied := 0
	for _, m := range migs[current:] {
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return 0, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return 0, fmt.Errorf("migration %s: record version: %w", m.Name, err)
		}
		applied++
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("migrate: commit: %w", err)
	}
	return applied, nil
}

// namesVersion is the migration that gave subscriptions names.
const namesVersion, namesFile = 3, "0003_subscription_names.sql"

// nameSubscriptions names the subscriptions stored before names (see
// sqlstore.Store.NameSubscriptions), once the schema has them: tests open
// databases at older versions.
func (s *Store) nameSubscriptions(ctx context.Context, migs []migration) error {
	if len(migs) < namesVersion || migs[namesVersion-1].Name != namesFile {
		return nil
	}
	return s.NameSubscriptions(ctx)
}
