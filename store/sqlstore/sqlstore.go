// Package sqlstore is newsbrief's durable state over SQL, written once for
// every database: the digest store (digest.Store: subscriptions, their next
// runs and the runs claimed, the record of which articles were posted to
// which subscription) and the feed store (feedstore.Store: the items of
// news feeds and what the poller remembers of each feed). A database is a
// Dialect (how its columns keep times and text, its few clauses of its
// own, how its writers are kept apart) and a Conn to run statements on:
// store/sqlite and store/postgres are each one, plus what is theirs alone
// (opening, migrations, leases). A third database is a third dialect, not
// a third copy; store/storetest is the contract suite each runs.
//
// # Why one implementation over a dialect
//
// The two databases ran the same statements in the same order to the same
// end, differing in a handful of places: parameters (? and $1), times
// (SQLite's fixed-width text, PostgreSQL's timestamptz), a list of strings
// as one argument (a JSON array, a text[]), FOR UPDATE, LIMIT, and the
// locks that make PostgreSQL's concurrent writers queue where SQLite has
// one writer. Those are the Dialect; the logic is here once. Both speak
// INSERT ... ON CONFLICT and RETURNING, so upserts and inserted IDs are
// written once too: a database that speaks them is a dialect, and one that
// does not (MySQL) would need those few statements in its dialect as well.
//
// River, with a driver interface and a copy per database generated from
// one source, solves the case where the SQL itself differs throughout;
// here it does not, and a generator would be a build step for a few
// fragments. As in WTF Dial, each dependency has its package:
// modernc.org/sqlite is only in store/sqlite, pgx only in store/postgres,
// and this package imports no driver and nothing of the network.
//
// # Why Conn, not database/sql for both
//
// PostgreSQL stays on pgx and its pool, behind Conn, rather than moving
// to pgx's database/sql adapter (pgx/v5/stdlib). Its leases hold session
// advisory locks, each on a connection of its own made from the pool's
// configuration with keepalive settings: pgx either way, so the adapter
// would be a second way of speaking to one database. ExecEach sends a
// feed's inserts, or a digest's posted rows, in one round trip as a pgx
// batch, which database/sql cannot: a poll of a thousand items would be a
// thousand round trips. And the pool settings that deployments put in
// DATABASE_URL (pool_max_conns...) are pgxpool's. Conn is the few calls
// the logic makes, so database/sql (FromSQL) and pgx (store/postgres)
// each give it in a page.
//
// # Why the posted table enforces at-most-once
//
// A digest must reach a channel exactly once even if the bot crashes at
// any point. The bot cannot make "send the Discord message" and "remember
// that it was sent" one atomic step, so it splits them:
//
//  1. ClaimRun claims the run (moves subscriptions.next_run on, only if
//     it is still the value the caller read, and inserts a runs row
//     unique per subscription and scheduled time) and records the digest
//     as pending, with a Discord nonce, and one posted row per article,
//     in one transaction, before anything is sent. So a run is made by
//     one process only, and posted has primary key (subscription_id,
//     article_id), so the database itself refuses a second record of the
//     same article for the same subscription (digest.ErrAlreadyPosted),
//     whatever races or bugs exist in the scheduler: at most once is a
//     constraint, not a convention.
//  2. The bot sends the message with that nonce (enforce_nonce), then
//     calls MarkSent.
//  3. After a crash between 1 and 2, PendingDigests returns the digest,
//     and the bot re-sends it with the same nonce, which Discord
//     deduplicates; that closes the "at least once" half. If the channel
//     is gone for good, CancelDigest deletes the pending digest and its
//     posted rows, so the articles can go out later.
//
// Prune keeps the tables bounded: sent digests and run claims go after
// their retention, and a posted row goes once its article has been out of
// the library for a grace period (posted.gone_since), never while the
// article is in it. A pruned digest leaves its posted rows behind
// (posted.digest_id becomes NULL), since they are what stops a repost.
//
// # Why a feed story is stored once
//
// A feed repeats its items on every poll, re-dates them, and sometimes
// changes their GUIDs; several pollers (goroutines, or processes sharing
// the database) may store the same feed at once. feed_items makes an
// item's identity, link and title key each unique within its origin, so
// the database refuses a second copy of a story whoever races, and
// SaveItems learns which items are new from which inserts took effect, in
// one transaction. Items are kept by fetch time and pruned after the
// feed's retention, and each feed to its cap, newest first.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/briefs/feed/feedstore"
)

// ErrSchemaTooNew means the database was written by a newer build whose
// schema this one does not know: Open refuses it and leaves it alone. Each
// backend's ErrSchemaTooNew is this error. The others a store returns are
// the digest and feedstore packages' (ErrNotFound, ErrAlreadyPosted,
// ErrDigestSent, ErrRunClaimed, ErrItemGone), wrapped with what failed and
// the input it failed on.
var ErrSchemaTooNew = errors.New("database schema is newer than this program supports")

// The digest service and the feed source depend on the interfaces; this
// keeps the store in step with both.
var (
	_ digest.Store    = (*Store)(nil)
	_ feedstore.Store = (*Store)(nil)
)

// Config is what New needs of a database.
type Config struct {
	Dialect Dialect
	// Write runs every write, each write method in one transaction, and
	// the reads that must see the writes before them.
	Write DB
	// Read runs the other reads; Write when nil. SQLite gives it a pool of
	// read-only connections, which WAL lets read beside the one writer.
	Read Conn
	// Now is the clock of the times the store stamps (a subscription's
	// CreatedAt, a claim's, a digest's sent time, a feed item's Fetched);
	// time.Now when nil.
	Now func() time.Time
	// Name names the database in Ping's error: a path, or a URL without
	// its password.
	Name string
}

// Store is the digest store and the feed store over one database. It is
// safe for concurrent use; whether several processes may share the
// database is the backend's to say.
type Store struct {
	d    Dialect
	w    DB
	r    Conn
	now  func() time.Time
	name string
}

// New returns the store of c's database, whose schema the caller has
// brought up to date.
func New(c Config) *Store {
	s := &Store{d: c.Dialect, w: c.Write, r: c.Read, now: c.Now, name: c.Name}
	if s.r == nil {
		s.r = s.w
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Ping checks that the database answers a query, for a readiness check.
// It asks a reader, so a long write transaction does not make the process
// look down.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.QueryRow(ctx, `SELECT 1`).Scan(new(int)); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.name, err)
	}
	return nil
}

// timeArg is t as the argument for a time column: NULL for the zero time,
// so that "none" (never run, not scheduled, undated) is NULL in every
// database.
func (s *Store) timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.d.Time(t)
}

// timeDest scans a time column into t through the dialect, as a
// sql.Scanner, which database/sql and pgx both call: NULL is the zero
// time.
type timeDest struct {
	d Dialect
	t *time.Time
}

func (s timeDest) Scan(src any) (err error) {
	if src == nil {
		*s.t = time.Time{}
		return nil
	}
	*s.t, err = s.d.ParseTime(src)
	return err
}

var _ sql.Scanner = timeDest{}

// scanTime is a destination for Scan that reads a time column into t.
func (s *Store) scanTime(t *time.Time) timeDest { return timeDest{s.d, t} }

// stamp is a time for error messages.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// nullString is a text for a nullable column: NULL for "".
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Leases are the leases a backend's store has handed out, which its Close
// releases, so that a store that is closed holds nothing however its
// database keeps a lease (a row that would expire, a session's lock).
type Leases struct {
	mu   sync.Mutex
	held []interface{ Release(context.Context) error }
}

// Add notes a lease to release.
func (ls *Leases) Add(l interface{ Release(context.Context) error }) {
	ls.mu.Lock()
	ls.held = append(ls.held, l)
	ls.mu.Unlock()
}

// ReleaseAll releases every lease noted, once. A failed release is not an
// error of Close: the lease expires, or the server frees it, anyway.
func (ls *Leases) ReleaseAll(ctx context.Context) {
	ls.mu.Lock()
	held := ls.held
	ls.held = nil
	ls.mu.Unlock()
	for _, l := range held {
		_ = l.Release(ctx)
	}
}
