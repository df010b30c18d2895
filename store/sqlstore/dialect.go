package sqlstore

import (
	"context"
	"time"
)

// Dialect is what the store's logic asks of one database: how its columns
// keep times and text, how a list of strings becomes one argument, and how
// a transaction keeps concurrent writers apart. Everything else (the
// statements, their order, what they decide) is the same for every
// database and written once in this package.
//
// The statements mark their parameters with ?, each used once and in the
// order of the arguments: SQLite takes them as they are (and binds them
// faster than named ones), and a database that numbers its parameters
// has its Conn number them (store/postgres makes them $1, $2, ...).
type Dialect interface {
	// Time is t, which is not the zero time, as the argument for a time
	// column. (The zero time is NULL, in every database.)
	Time(t time.Time) any
	// ParseTime is the value of a time column as the driver scans it, which
	// is not NULL, in UTC.
	ParseTime(src any) (time.Time, error)
	// Stored is t as a time column keeps it, in UTC: what the store hands
	// back is what a later read of it returns.
	Stored(t time.Time) time.Time
	// Text is s as a text column keeps it. A feed's items are cleaned with
	// it before they are stored (and compared), so that a column that
	// cannot hold some text does not cost a whole fetch.
	Text(s string) string
	// Strings is ids as one argument, however many there are: a database's
	// limit on parameters never splits a query.
	Strings(ids []string) any
	// List is a subquery of one column, a row per string of a Strings
	// argument, which stands in it as ?: `article_id IN (` + List() + `)`.
	List() string
	// InsertID runs insert, an INSERT of one row into a table keyed by an
	// id column of generated numbers, in tx, and returns the row's id.
	InsertID(ctx context.Context, tx Tx, insert string, args ...any) (int64, error)
	// ForUpdate is the clause that locks the row a SELECT in a write
	// transaction reads until the transaction ends, or "" where a write
	// transaction excludes every other writer already.
	ForUpdate() string
	// NoLimit is the LIMIT clause that bounds nothing, for an OFFSET
	// (SQLite needs one before an OFFSET, PostgreSQL takes none below 0).
	NoLimit() string
	// Lock takes lock on keys (none for LockPrune) for the rest of the
	// write transaction tx: another transaction taking it on one of the
	// keys waits until tx ends, so writers of the same rows queue rather
	// than deadlock. A database whose write transactions exclude each
	// other already (SQLite) has nothing to do.
	Lock(ctx context.Context, tx Tx, lock Lock, keys ...string) error
}

// Lock names what Dialect.Lock serializes.
type Lock int

const (
	// LockPrune is Prune's, with no key: two processes pruning at once
	// (they prune at start) would otherwise deadlock on posted rows.
	LockPrune Lock = iota + 1
	// LockFeed is SaveItems', keyed by each origin it saves: two savers
	// of one feed inserting the same stories in different orders would
	// otherwise deadlock on each other's uncommitted rows, while savers of
	// different feeds go on side by side.
	LockFeed
)
