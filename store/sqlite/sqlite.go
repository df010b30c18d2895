// Package sqlite is newsbrief's durable state in a SQLite file: the
// digest store and the feed store of store/sqlstore over the SQLite
// dialect, the file's leases (lease.go), and its migrations.
//
// # Why SQLite
//
// The data set is small and write-light (one row per subscribed channel, a
// handful of rows per run; feed items, the bulk, are some hundreds of
// thousands of rows written a poll at a time), so an embedded database in
// one file is the right size: nothing to run or administer, one file to
// back up, and real transactions, which is what the posting guarantee
// rests on (see store/sqlstore). Several bot processes on one machine may
// share the file: every write is a transaction that begins IMMEDIATE,
// taking the file's one write lock up front, so SQLite orders the claims
// and the savers of a feed, and the dialect has no locks of its own to
// take. Processes on several machines need a server database
// (store/postgres). The driver is modernc.org/sqlite, a pure-Go port, so
// the binary stays cgo-free and cross-compiles.
//
// The file is opened in WAL mode with synchronous=NORMAL (a commit is
// durable against a process crash; against power loss the last commits
// may roll back, which is safe because rolled-back posted records were
// never sent), foreign keys on and a busy timeout. All writes go through
// one connection, so writers in this process queue in Go instead of
// failing with SQLITE_BUSY; reads use a separate pool of read-only
// connections, which WAL lets run alongside the writer.
//
// # The dialect
//
// Times are stored as UTC text in a fixed-width RFC 3339 form with nine
// fractional digits, so that text order is time order, nothing of an
// instant is lost, and the file stays readable with the sqlite3 shell. A
// list of strings is one JSON array argument, read back by json_each, so a
// list never meets SQLite's limit on parameters. Text is stored as given.
// The schema is created and upgraded by the numbered SQL files in
// migrations/, applied in order, each in its own transaction, and tracked
// with PRAGMA user_version.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"newsbrief/store/sqlstore"
)

// ErrSchemaTooNew means the database was written by a newer build whose
// schema this one does not know (it is sqlstore.ErrSchemaTooNew). Every
// error the store returns wraps the cause with what failed and the input
// it failed on.
var ErrSchemaTooNew = sqlstore.ErrSchemaTooNew

// busyTimeoutMS is how long a connection waits for a lock held by another
// connection (another process, or the read pool during a checkpoint) before
// failing with SQLITE_BUSY.
const busyTimeoutMS = 5000

// readConns is the size of the read-only pool.
const readConns = 4

// The read connections do not map the file into memory (mmap_size 0, SQLite's
// default). Mapping made reading 100,000 stored items at start faster
// (0.4 s instead of 0.67 s), but every mapped page read counts in the
// process's resident set: the whole file, hundreds of megabytes at the
// scale the library is built for, on top of the library itself.

// Store is the SQLite store: sqlstore's digest.Store and feedstore.Store
// over the file, and its leases. It is safe for concurrent use.
type Store struct {
	*sqlstore.Store
	path string
	w    *sql.DB          // exactly one connection: every write goes through it
	r    *sql.DB          // read-only (query_only) connections
	now  func() time.Time // the store's clock, read at each use

	leases sqlstore.Leases // made by Lease, released by Close
}

// Open opens the database at path, creating it (and its parent directory)
// if missing, brings its schema up to date and checks its integrity. A file
// that is not a SQLite database, a damaged one, or one from a newer build is
// an error naming path; Open never modifies such a file.
func Open(ctx context.Context, path string) (*Store, error) {
	fail := func(err error) (*Store, error) {
		return nil, fmt.Errorf("store: open database %q: %w", path, err)
	}
	if path == "" {
		return fail(errors.New("empty path"))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return fail(fmt.Errorf("create directory: %w", err))
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return fail(errors.New("is a directory"))
	}

	s := &Store{path: path, now: time.Now}
	s.w, err = sql.Open("sqlite", dsn(abs, false))
	if err != nil {
		return fail(err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	// The DSN's PRAGMAs run when the connection opens: journal_mode(WAL)
	// reads the header, so a file that is not a database fails here.
	if err := s.w.PingContext(ctx); err != nil {
		s.w.Close()
		return fail(err)
	}
	if err := s.check(ctx); err != nil {
		s.w.Close()
		return fail(err)
	}
	if err := s.migrate(ctx, migrations); err != nil {
		s.w.Close()
		return fail(err)
	}

	s.r, err = sql.Open("sqlite", dsn(abs, true))
	if err != nil {
		s.w.Close()
		return fail(err)
	}
	s.r.SetMaxOpenConns(readConns)
	s.r.SetMaxIdleConns(readConns)
	if err := s.r.PingContext(ctx); err != nil {
		s.r.Close()
		s.w.Close()
		return fail(err)
	}
	s.Store = sqlstore.New(sqlstore.Config{
		Dialect: dialect{},
		Write:   sqlstore.FromSQL(s.w),
		Read:    sqlstore.FromSQL(s.r),
		Now:     func() time.Time { return s.now() },
		Name:    path,
	})
	if err := s.nameSubscriptions(ctx); err != nil {
		s.r.Close()
		s.w.Close()
		return fail(err)
	}
	return s, nil
}

// dsn is the modernc.org/sqlite data source name for the file abs: a file:
// URI (so that any character in the path is escaped) with the driver's
// _pragma and _txlock parameters. The writer begins transactions IMMEDIATE,
// taking the write lock up front, so a transaction never fails halfway on
// upgrading a read lock.
func dsn(abs string, readOnly bool) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows drive letter
	}
	u := url.URL{Scheme: "file", Path: p}
	params := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeoutMS),
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)",
	}
	if readOnly {
		params = append(params, "_pragma=query_only(1)")
	} else {
		params = append(params, "_pragma=journal_mode(WAL)", "_txlock=immediate")
	}
	return u.String() + "?" + strings.Join(params, "&")
}

// uncheckedTables are left out of the integrity check at open:
// feed_items holds every stored feed item's text, most of the file (1.7
// GB at a million items), which quick_check would read whole at every
// start, 19 seconds from a cold disk. Every start reads the items
// anyway: a damaged page of them fails the loading of its feed's items,
// an error that names the feed. A table's indexes are checked with it, so
// these are left out too: the covering feed_items_age (0008) holds every
// item's columns but its text (some 350 bytes an item, where an item
// with a 3 KB text takes a 4 KB page of the table).
var uncheckedTables = map[string]bool{"feed_items": true}

// check runs PRAGMA quick_check on every table but uncheckedTables, which
// reads each of their pages: it catches a truncated or damaged file at
// startup rather than at the first unlucky query.
func (s *Store) check(ctx context.Context) error {
	var tables []string
	rows, err := s.w.QueryContext(ctx, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("integrity check: %w", err)
		}
		if !uncheckedTables[name] {
			tables = append(tables, name)
		}
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	var problems []string
	for _, t := range tables {
		p, err := s.quickCheck(ctx, t)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("integrity check: %w", ctx.Err())
			}
			// A page too damaged to check is the check's answer.
			p = append(p, fmt.Sprintf("%s: %v", t, err))
		}
		problems = append(problems, p...)
	}
	if len(problems) > 0 {
		return fmt.Errorf("integrity check failed, database is damaged: %s", strings.Join(problems, "; "))
	}
	return nil
}

// quickCheck runs PRAGMA quick_check on table and its indexes, returning
// what it found wrong.
func (s *Store) quickCheck(ctx context.Context, table string) ([]string, error) {
	rows, err := s.w.QueryContext(ctx, `PRAGMA quick_check("`+strings.ReplaceAll(table, `"`, `""`)+`")`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			return nil, err
		}
		if msg != "ok" && len(problems) < 5 {
			problems = append(problems, strings.ReplaceAll(msg, "\n", "; "))
		}
	}
	return problems, rows.Err()
}

// Close releases the leases the store made and closes the database. The
// last connection to close checkpoints the WAL into the main file.
func (s *Store) Close() error {
	s.leases.ReleaseAll(context.Background()) // else they expire
	var errR error
	if s.r != nil {
		errR = s.r.Close()
	}
	errW := s.w.Close()
	if err := errors.Join(errR, errW); err != nil {
		return fmt.Errorf("store: close database %q: %w", s.path, err)
	}
	return nil
}

// Path returns the path the store was opened with.
func (s *Store) Path() string { return s.path }
