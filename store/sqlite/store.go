// Package sqlite is newsbrief's durable state in a SQLite file: the digest
// subscriptions channel admins create, their next runs and the runs claimed,
// and the record of which articles were posted to which subscription
// (digest.Store); and the items of news feeds with what the poller remembers
// of each feed (feedstore.Store, in feed.go).
//
// # Why SQLite
//
// The data set is small and write-light (one row per subscribed channel, a
// handful of rows per run; feed items, the bulk, are some hundreds of
// thousands of rows written a poll at a time), so an embedded database in one file is the right
// size: nothing to run or administer, one file to back up, and real
// transactions, which is what the posting guarantee below rests on. Several
// bot processes on one machine may share the file: every claim is a
// conditional write in an IMMEDIATE transaction, so SQLite's write lock
// orders them. Processes on several machines need a server database. The driver is modernc.org/sqlite, a pure-Go port, so the
// binary stays cgo-free and cross-compiles.
//
// The file is opened in WAL mode with synchronous=NORMAL (a commit is durable
// against a process crash; against power loss the last commits may roll back,
// which is safe because rolled-back posted records were never sent, see
// below), foreign keys on and a busy timeout. All writes go through one
// connection, so writers in this process queue in Go instead of failing with
// SQLITE_BUSY; reads use a separate pool of read-only connections, which WAL
// lets run alongside the writer.
//
// # Why the posted table enforces at-most-once
//
// A digest must reach a channel exactly once even if the bot crashes at any
// point. The bot cannot make "send the Discord message" and "remember that it
// was sent" one atomic step, so it splits them:
//
//  1. ClaimRun claims the run (moves subscriptions.next_run on, only if it
//     is still the value the caller read, and inserts a runs row unique per
//     subscription and scheduled time) and records the digest as pending,
//     with a Discord nonce, and one posted row per article, in one
//     transaction, before anything is sent. So a run is made by one process
//     only, and posted has primary key (subscription_id, article_id), so the
//     database itself refuses a second record of the same article for the
//     same subscription (digest.ErrAlreadyPosted), whatever races or bugs
//     exist in the scheduler: at most once is a constraint, not a convention.
//  2. The bot sends the message with that nonce (enforce_nonce), then calls
//     MarkSent.
//  3. After a crash between 1 and 3, PendingDigests returns the digest, and
//     the bot re-sends it with the same nonce, which Discord deduplicates;
//     that closes the "at least once" half. If the channel is gone for good,
//     CancelDigest deletes the pending digest and its posted rows, so the
//     articles can go out later.
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
// the file) may store the same feed at once. feed_items makes an item's
// identity, link and title key each unique within its origin, so the
// database refuses a second copy of a story whoever races, and SaveItems
// learns which items are new from which inserts took effect, in one
// transaction. Items are kept by fetch time and pruned after the feed's
// retention.
//
// Times are stored as UTC text in a fixed-width RFC 3339 form, so that text
// order is time order and the file stays readable with the sqlite3 shell.
// The schema is created and upgraded by the numbered SQL files in
// migrations/, applied in order, each in its own transaction, and tracked
// with PRAGMA user_version.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"newsbrief/bot/digest"
)

// ErrSchemaTooNew means the database was written by a newer build whose
// schema this one does not know. It is the one error of this package callers
// test for with errors.Is; the others are the digest package's ErrNotFound,
// ErrAlreadyPosted and ErrDigestSent. Every error the store returns wraps the
// cause with what failed and the input it failed on.
var ErrSchemaTooNew = errors.New("database schema is newer than this program supports")

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

// timeFormat is RFC 3339 with a fixed nine-digit fraction, always UTC, so
// stored times sort as text. time.RFC3339Nano parses it.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

// The service depends on the interface; this keeps the two in step.
var _ digest.Store = (*Store)(nil)

// Store is the SQLite store. It is safe for concurrent use.
type Store struct {
	path string
	w    *sql.DB // exactly one connection: every write goes through it
	r    *sql.DB // read-only (query_only) connections
	now  func() time.Time

	leaseMu sync.Mutex
	leases  []*Lease // made by Lease, released by Close
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

// check runs PRAGMA quick_check, which reads every page: it catches a
// truncated or damaged file at startup rather than at the first unlucky query.
func (s *Store) check(ctx context.Context) error {
	rows, err := s.w.QueryContext(ctx, "PRAGMA quick_check(5)")
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			return fmt.Errorf("integrity check: %w", err)
		}
		if msg != "ok" {
			problems = append(problems, strings.ReplaceAll(msg, "\n", "; "))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("integrity check failed, database is damaged: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Close releases the leases the store made and closes the database. The last connection to close checkpoints the
// WAL into the main file.
func (s *Store) Close() error {
	s.leaseMu.Lock()
	leases := s.leases
	s.leases = nil
	s.leaseMu.Unlock()
	for _, l := range leases {
		_ = l.Release(context.Background()) // else it expires
	}
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

// subscriptionCols is the column list scanSubscription reads.
const subscriptionCols = `id, guild_id, channel_id, schedule, timezone, count, topic,
	created_by, created_at, paused, last_run_at, last_outcome, next_run, source`

type scanner interface{ Scan(dest ...any) error }

func scanSubscription(sc scanner) (digest.Subscription, error) {
	var sub digest.Subscription
	var createdAt string
	var lastRun, nextRun sql.NullString
	err := sc.Scan(&sub.ID, &sub.GuildID, &sub.ChannelID, &sub.Schedule, &sub.Timezone,
		&sub.Count, &sub.Topic, &sub.CreatedBy, &createdAt, &sub.Paused, &lastRun, &sub.LastOutcome, &nextRun, &sub.Source)
	if err != nil {
		return digest.Subscription{}, err
	}
	if sub.CreatedAt, err = parseTime(createdAt); err != nil {
		return digest.Subscription{}, fmt.Errorf("subscription %d: created_at: %w", sub.ID, err)
	}
	if lastRun.Valid {
		if sub.LastRunAt, err = parseTime(lastRun.String); err != nil {
			return digest.Subscription{}, fmt.Errorf("subscription %d: last_run_at: %w", sub.ID, err)
		}
	}
	if nextRun.Valid {
		if sub.NextRun, err = parseTime(nextRun.String); err != nil {
			return digest.Subscription{}, fmt.Errorf("subscription %d: next_run: %w", sub.ID, err)
		}
	}
	return sub, nil
}

// PutSubscription creates the subscription of sub.GuildID/sub.ChannelID, or
// replaces it if the channel already has one. Replacing keeps the ID, the
// posted history and the last run, updates Schedule, Timezone, Count, Topic,
// Source, CreatedBy, CreatedAt and NextRun, and clears Paused: re-subscribing
// resumes. sub.ID, Paused, LastRunAt and LastOutcome are ignored; a zero
// CreatedAt means now, a zero NextRun not scheduled. It returns the stored
// row.
func (s *Store) PutSubscription(ctx context.Context, sub digest.Subscription) (digest.Subscription, error) {
	fail := func(err error) (digest.Subscription, error) {
		return digest.Subscription{}, fmt.Errorf("store: put subscription guild=%s channel=%s: %w", sub.GuildID, sub.ChannelID, err)
	}
	if err := sub.Check(); err != nil {
		return fail(err)
	}
	createdAt := sub.CreatedAt
	if createdAt.IsZero() {
		createdAt = s.now()
	}
	row := s.w.QueryRowContext(ctx, `
		INSERT INTO subscriptions (guild_id, channel_id, schedule, timezone, count, topic, created_by, created_at, next_run, source)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (guild_id, channel_id) DO UPDATE SET
			schedule = excluded.schedule,
			timezone = excluded.timezone,
			count = excluded.count,
			topic = excluded.topic,
			source = excluded.source,
			created_by = excluded.created_by,
			created_at = excluded.created_at,
			next_run = excluded.next_run,
			paused = ''
		RETURNING `+subscriptionCols,
		sub.GuildID, sub.ChannelID, sub.Schedule, sub.Timezone, sub.Count, sub.Topic, sub.CreatedBy,
		formatTime(createdAt), nullTime(sub.NextRun), sub.Source)
	stored, err := scanSubscription(row)
	if err != nil {
		return fail(err)
	}
	return stored, nil
}

// DeleteSubscription deletes the channel's subscription with its digests and
// posted records. It reports whether there was one.
func (s *Store) DeleteSubscription(ctx context.Context, guildID, channelID string) (bool, error) {
	res, err := s.w.ExecContext(ctx,
		`DELETE FROM subscriptions WHERE guild_id = ? AND channel_id = ?`, guildID, channelID)
	if err != nil {
		return false, fmt.Errorf("store: delete subscription guild=%s channel=%s: %w", guildID, channelID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: delete subscription guild=%s channel=%s: %w", guildID, channelID, err)
	}
	return n > 0, nil
}

// Subscription returns the channel's subscription, or an error wrapping
// digest.ErrNotFound.
func (s *Store) Subscription(ctx context.Context, guildID, channelID string) (digest.Subscription, error) {
	sub, err := scanSubscription(s.r.QueryRowContext(ctx,
		`SELECT `+subscriptionCols+` FROM subscriptions WHERE guild_id = ? AND channel_id = ?`,
		guildID, channelID))
	if errors.Is(err, sql.ErrNoRows) {
		err = digest.ErrNotFound
	}
	if err != nil {
		return digest.Subscription{}, fmt.Errorf("store: get subscription guild=%s channel=%s: %w", guildID, channelID, err)
	}
	return sub, nil
}

// SubscriptionByID returns the subscription with the id, or an error
// wrapping digest.ErrNotFound.
func (s *Store) SubscriptionByID(ctx context.Context, id int64) (digest.Subscription, error) {
	sub, err := scanSubscription(s.r.QueryRowContext(ctx,
		`SELECT `+subscriptionCols+` FROM subscriptions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = digest.ErrNotFound
	}
	if err != nil {
		return digest.Subscription{}, fmt.Errorf("store: get subscription id=%d: %w", id, err)
	}
	return sub, nil
}

// Subscriptions lists the guild's subscriptions, or every guild's when
// guildID is "", ordered by guild id then channel id (as text).
func (s *Store) Subscriptions(ctx context.Context, guildID string) ([]digest.Subscription, error) {
	fail := func(err error) ([]digest.Subscription, error) {
		return nil, fmt.Errorf("store: list subscriptions guild=%q: %w", guildID, err)
	}
	subs, err := s.listSubscriptions(ctx, `SELECT `+subscriptionCols+` FROM subscriptions
		WHERE ?1 = '' OR guild_id = ?1 ORDER BY guild_id, channel_id`, guildID)
	if err != nil {
		return fail(err)
	}
	return subs, nil
}

// listSubscriptions runs a query of subscriptionCols on the read pool.
func (s *Store) listSubscriptions(ctx context.Context, q string, args ...any) ([]digest.Subscription, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var subs []digest.Subscription
	for rows.Next() {
		sub, err := scanSubscription(rows)
		if err != nil {
			return nil, err
		}
		subs = append(subs, sub)
	}
	return subs, rows.Err()
}

// postedChunk bounds the number of SQL parameters per PostedIDs query.
const postedChunk = 500

// PostedIDs reports which of articleIDs are already recorded for the
// subscription, sent or pending. The map holds only those, each true; an
// unknown subscription has none.
func (s *Store) PostedIDs(ctx context.Context, subID int64, articleIDs []string) (map[string]bool, error) {
	posted := make(map[string]bool)
	for start := 0; start < len(articleIDs); start += postedChunk {
		chunk := articleIDs[start:min(start+postedChunk, len(articleIDs))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, subID)
		for _, id := range chunk {
			args = append(args, id)
		}
		q := `SELECT article_id FROM posted WHERE subscription_id = ? AND article_id IN (?` +
			strings.Repeat(", ?", len(chunk)-1) + `)`
		if err := s.collectPosted(ctx, q, args, posted); err != nil {
			return nil, fmt.Errorf("store: posted ids subscription=%d (%d articles): %w", subID, len(articleIDs), err)
		}
	}
	return posted, nil
}

func (s *Store) collectPosted(ctx context.Context, q string, args []any, posted map[string]bool) error {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		posted[id] = true
	}
	return rows.Err()
}

// ClaimRun claims run for this process and records its digest, in one
// IMMEDIATE transaction: the conditional UPDATE of next_run (from run.Due,
// on an active subscription) is the claim, the runs row makes it unique per
// scheduled time, and the digest and one posted row per article are written
// with it, so a run is never made twice and its articles are recorded before
// anything is sent. Articles already recorded for the subscription fail it
// with an error wrapping digest.ErrAlreadyPosted that names the article, and
// nothing is written. With articleIDs, the nonce must be 1 to
// digest.MaxNonceLen bytes and the IDs distinct and non-empty; the digest's
// ChannelID is the subscription's current channel.
func (s *Store) ClaimRun(ctx context.Context, run digest.Run, nonce string, articleIDs []string) (digest.Digest, error) {
	fail := func(err error) (digest.Digest, error) {
		return digest.Digest{}, fmt.Errorf("store: claim run subscription=%d scheduled=%s nonce=%q: %w",
			run.SubscriptionID, formatTime(run.ScheduledFor), nonce, err)
	}
	switch {
	case run.Due.IsZero() || run.ScheduledFor.IsZero():
		return fail(errors.New("no due or scheduled time"))
	case len(articleIDs) > 0 && (nonce == "" || len(nonce) > digest.MaxNonceLen):
		return fail(fmt.Errorf("nonce is %d bytes, must be 1 to %d", len(nonce), digest.MaxNonceLen))
	}
	seen := make(map[string]bool, len(articleIDs))
	for _, id := range articleIDs {
		if id == "" {
			return fail(errors.New("empty article id"))
		}
		if seen[id] {
			return fail(fmt.Errorf("article %q listed twice", id))
		}
		seen[id] = true
	}

	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback() // no-op after Commit

	var channel string
	err = tx.QueryRowContext(ctx, `UPDATE subscriptions SET next_run = ?
		WHERE id = ? AND next_run = ? AND paused = '' RETURNING channel_id`,
		nullTime(run.Next), run.SubscriptionID, formatTime(run.Due)).Scan(&channel)
	if errors.Is(err, sql.ErrNoRows) {
		return fail(fmt.Errorf("%w: not due at %s", digest.ErrRunClaimed, formatTime(run.Due)))
	}
	if err != nil {
		return fail(err)
	}
	now := s.now().UTC()
	res, err := tx.ExecContext(ctx, `INSERT INTO runs (subscription_id, scheduled_for, claimed_at)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, run.SubscriptionID, formatTime(run.ScheduledFor), formatTime(now))
	if err != nil {
		return fail(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fail(err)
	} else if n == 0 {
		// The scheduled time was made already, and next_run was put back
		// on it (a re-subscription by a process whose clock is behind):
		// keep the move, so the subscription is not stuck on a time that
		// can never be claimed, and record nothing else.
		if err := tx.Commit(); err != nil {
			return fail(err)
		}
		return fail(fmt.Errorf("%w: a claim exists", digest.ErrRunClaimed))
	}
	if len(articleIDs) == 0 {
		if err := tx.Commit(); err != nil {
			return fail(err)
		}
		return digest.Digest{}, nil
	}

	d := digest.Digest{
		SubscriptionID: run.SubscriptionID,
		ChannelID:      channel,
		Nonce:          nonce,
		ArticleIDs:     append([]string(nil), articleIDs...),
		ScheduledFor:   run.ScheduledFor.UTC(),
		CreatedAt:      now,
	}
	res, err = tx.ExecContext(ctx, `INSERT INTO digests (subscription_id, channel_id, nonce, scheduled_for, created_at)
		VALUES (?, ?, ?, ?, ?)`, d.SubscriptionID, d.ChannelID, nonce, formatTime(d.ScheduledFor), formatTime(d.CreatedAt))
	if err != nil {
		return fail(err)
	}
	if d.ID, err = res.LastInsertId(); err != nil {
		return fail(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE runs SET digest_id = ? WHERE subscription_id = ? AND scheduled_for = ?`,
		d.ID, d.SubscriptionID, formatTime(d.ScheduledFor)); err != nil {
		return fail(err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO posted (subscription_id, article_id, digest_id, position)
		VALUES (?, ?, ?, ?) ON CONFLICT (subscription_id, article_id) DO NOTHING`)
	if err != nil {
		return fail(err)
	}
	defer stmt.Close()
	for i, id := range articleIDs {
		res, err := stmt.ExecContext(ctx, d.SubscriptionID, id, d.ID, i)
		if err != nil {
			return fail(fmt.Errorf("article %q: %w", id, err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fail(fmt.Errorf("article %q: %w", id, err))
		}
		if n == 0 {
			return fail(fmt.Errorf("article %q%s: %w", id, holder(ctx, tx, d.SubscriptionID, id), digest.ErrAlreadyPosted))
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return d, nil
}

// SetNextRun moves the subscription's next run from "from" to "to" if it is
// still "from" (zero: NULL, not scheduled), and reports whether it moved.
func (s *Store) SetNextRun(ctx context.Context, subID int64, from, to time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE subscriptions SET next_run = ?1 WHERE id = ?2 AND next_run IS ?3`,
		nullTime(to), subID, nullTime(from))
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err != nil {
		return false, fmt.Errorf("store: set next run subscription=%d from=%s to=%s: %w", subID, formatTime(from), formatTime(to), err)
	}
	return n > 0, nil
}

// DueSubscriptions lists the active subscriptions whose next run is at or
// before now, earliest first.
func (s *Store) DueSubscriptions(ctx context.Context, now time.Time) ([]digest.Subscription, error) {
	subs, err := s.listSubscriptions(ctx, `SELECT `+subscriptionCols+` FROM subscriptions
		WHERE next_run IS NOT NULL AND paused = '' AND next_run <= ? ORDER BY next_run, id`, formatTime(now))
	if err != nil {
		return nil, fmt.Errorf("store: due subscriptions at %s: %w", formatTime(now), err)
	}
	return subs, nil
}

// EarliestRun is the earliest next run of an active subscription; false
// when none is scheduled.
func (s *Store) EarliestRun(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT min(next_run) FROM subscriptions
		WHERE next_run IS NOT NULL AND paused = ''`).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: earliest run: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	t, err := parseTime(next.String)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: earliest run %q: %w", next.String, err)
	}
	return t, true, nil
}

// Backlog counts the active subscriptions due at now and finds the
// earliest of their next runs.
func (s *Store) Backlog(ctx context.Context, now time.Time) (digest.Backlog, error) {
	var (
		n      int
		oldest sql.NullString
	)
	err := s.r.QueryRowContext(ctx, `SELECT count(*), min(next_run) FROM subscriptions
		WHERE next_run IS NOT NULL AND paused = '' AND next_run <= ?`, formatTime(now)).Scan(&n, &oldest)
	if err != nil {
		return digest.Backlog{}, fmt.Errorf("store: backlog at %s: %w", formatTime(now), err)
	}
	b := digest.Backlog{Waiting: n}
	if oldest.Valid {
		if b.Oldest, err = parseTime(oldest.String); err != nil {
			return digest.Backlog{}, fmt.Errorf("store: backlog: next run %q: %w", oldest.String, err)
		}
	}
	return b, nil
}

// Ping checks that the database answers a query, for a readiness check.
// It asks a reader connection, so a long write transaction does not make
// the process look down.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.QueryRowContext(ctx, `SELECT 1`).Scan(new(int)); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.path, err)
	}
	return nil
}

// Prune deletes what can no longer matter as of now, in one transaction
// (see digest.Retention): it unmarks the posted rows of articles in
// inLibrary and marks the others gone from now, unless already marked;
// deletes the rows gone for keep.Gone whose digest is not pending; then sent
// digests older than keep.Sent and run claims older than keep.Runs. The
// library's IDs go in as one JSON array parameter, however many there are.
func (s *Store) Prune(ctx context.Context, now time.Time, inLibrary []string, keep digest.Retention) (digest.Pruned, error) {
	var n digest.Pruned
	fail := func(err error) (digest.Pruned, error) {
		return digest.Pruned{}, fmt.Errorf("store: prune at %s (%d articles in the library): %w", formatTime(now), len(inLibrary), err)
	}
	if inLibrary == nil {
		inLibrary = []string{}
	}
	ids, err := json.Marshal(inLibrary)
	if err != nil {
		return fail(err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	exec := func(q string, args ...any) (int64, error) {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	if keep.Gone > 0 {
		if _, err := exec(`UPDATE posted SET gone_since = NULL
			WHERE gone_since IS NOT NULL AND article_id IN (SELECT value FROM json_each(?))`, string(ids)); err != nil {
			return fail(err)
		}
		if _, err := exec(`UPDATE posted SET gone_since = ?
			WHERE gone_since IS NULL AND article_id NOT IN (SELECT value FROM json_each(?))`, formatTime(now), string(ids)); err != nil {
			return fail(err)
		}
		if n.Posted, err = exec(`DELETE FROM posted WHERE gone_since <= ?
			AND (digest_id IS NULL OR digest_id IN (SELECT id FROM digests WHERE sent_at IS NOT NULL))`,
			formatTime(now.Add(-keep.Gone))); err != nil {
			return fail(err)
		}
	}
	if keep.Sent > 0 {
		if n.Digests, err = exec(`DELETE FROM digests WHERE sent_at IS NOT NULL AND sent_at < ?`,
			formatTime(now.Add(-keep.Sent))); err != nil {
			return fail(err)
		}
	}
	if keep.Runs > 0 {
		if n.Runs, err = exec(`DELETE FROM runs WHERE scheduled_for < ?`, formatTime(now.Add(-keep.Runs))); err != nil {
			return fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return n, nil
}

// holder describes the digest that already holds the article, for an
// digest.ErrAlreadyPosted message; "" if that cannot be found.
func holder(ctx context.Context, tx *sql.Tx, subID int64, articleID string) string {
	var id int64
	var sent sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT d.id, d.sent_at FROM posted p JOIN digests d ON d.id = p.digest_id
		WHERE p.subscription_id = ? AND p.article_id = ?`, subID, articleID).Scan(&id, &sent)
	if err != nil {
		return ""
	}
	if sent.Valid {
		return fmt.Sprintf(" (in digest %d, sent %s)", id, sent.String)
	}
	return fmt.Sprintf(" (in digest %d, pending)", id)
}

// MarkSent marks the digest sent at the given time (now if zero). Marking a
// digest that is already sent is a no-op that keeps the first time; an
// unknown digest is an error wrapping digest.ErrNotFound.
func (s *Store) MarkSent(ctx context.Context, digestID int64, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	res, err := s.w.ExecContext(ctx, `UPDATE digests SET sent_at = ? WHERE id = ? AND sent_at IS NULL`,
		formatTime(at), digestID)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = s.w.QueryRowContext(ctx, `SELECT 1 FROM digests WHERE id = ?`, digestID).Scan(new(int))
			if errors.Is(err, sql.ErrNoRows) {
				err = digest.ErrNotFound
			}
		}
	}
	if err != nil {
		return fmt.Errorf("store: mark digest %d sent: %w", digestID, err)
	}
	return nil
}

// CancelDigest deletes a pending digest and its posted rows, so that its
// articles can be posted later. It refuses with an error wrapping
// digest.ErrDigestSent if the digest was marked sent; an unknown digest is an error
// wrapping digest.ErrNotFound.
func (s *Store) CancelDigest(ctx context.Context, digestID int64) error {
	fail := func(err error) error {
		return fmt.Errorf("store: cancel digest %d: %w", digestID, err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	var sent sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT sent_at FROM digests WHERE id = ?`, digestID).Scan(&sent)
	if errors.Is(err, sql.ErrNoRows) {
		return fail(digest.ErrNotFound)
	}
	if err != nil {
		return fail(err)
	}
	if sent.Valid {
		return fail(fmt.Errorf("%w at %s", digest.ErrDigestSent, sent.String))
	}
	// Its posted rows are deleted first: posted.digest_id is ON DELETE SET
	// NULL, so that pruning a sent digest keeps its articles recorded.
	if _, err := tx.ExecContext(ctx, `DELETE FROM posted WHERE digest_id = ?`, digestID); err != nil {
		return fail(err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM digests WHERE id = ?`, digestID); err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return nil
}

// PendingDigests returns the digests recorded but not marked sent, oldest
// first, each with its articles in posting order.
func (s *Store) PendingDigests(ctx context.Context) ([]digest.Digest, error) {
	fail := func(err error) ([]digest.Digest, error) {
		return nil, fmt.Errorf("store: pending digests: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `
		SELECT d.id, d.subscription_id, d.channel_id, d.nonce, d.scheduled_for, d.created_at, p.article_id
		FROM digests d LEFT JOIN posted p ON p.digest_id = d.id
		WHERE d.sent_at IS NULL
		ORDER BY d.created_at, d.id, p.position`)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	var out []digest.Digest
	for rows.Next() {
		var d digest.Digest
		var scheduled, created string
		var article sql.NullString
		if err := rows.Scan(&d.ID, &d.SubscriptionID, &d.ChannelID, &d.Nonce, &scheduled, &created, &article); err != nil {
			return fail(err)
		}
		if n := len(out); n == 0 || out[n-1].ID != d.ID {
			if d.ScheduledFor, err = parseTime(scheduled); err != nil {
				return fail(fmt.Errorf("digest %d: scheduled_for: %w", d.ID, err))
			}
			if d.CreatedAt, err = parseTime(created); err != nil {
				return fail(fmt.Errorf("digest %d: created_at: %w", d.ID, err))
			}
			out = append(out, d)
		}
		if article.Valid {
			last := &out[len(out)-1]
			last.ArticleIDs = append(last.ArticleIDs, article.String)
		}
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return out, nil
}

// RecordRun records the outcome of the subscription's run scheduled for
// scheduledFor, as LastRunAt and LastOutcome.
func (s *Store) RecordRun(ctx context.Context, subID int64, scheduledFor time.Time, outcome string) error {
	var last any // NULL for a zero time: "never run"
	if !scheduledFor.IsZero() {
		last = formatTime(scheduledFor)
	}
	err := s.updateSubscription(ctx, `UPDATE subscriptions SET last_run_at = ?, last_outcome = ? WHERE id = ?`,
		last, outcome, subID)
	if err != nil {
		return fmt.Errorf("store: record run subscription=%d scheduled=%s outcome=%q: %w",
			subID, scheduledFor.UTC().Format(time.RFC3339), outcome, err)
	}
	return nil
}

// Pause pauses the subscription with the reason, which must not be empty
// ("" means active). PutSubscription for the same channel resumes it.
func (s *Store) Pause(ctx context.Context, subID int64, reason string) error {
	err := errors.New("empty reason")
	if reason != "" {
		err = s.updateSubscription(ctx, `UPDATE subscriptions SET paused = ? WHERE id = ?`, reason, subID)
	}
	if err != nil {
		return fmt.Errorf("store: pause subscription=%d reason=%q: %w", subID, reason, err)
	}
	return nil
}

// updateSubscription runs an UPDATE of one subscription, digest.ErrNotFound if it
// matched no row.
func (s *Store) updateSubscription(ctx context.Context, q string, args ...any) error {
	res, err := s.w.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return digest.ErrNotFound
	}
	return nil
}

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// nullTime is a time for a nullable column: NULL for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}
