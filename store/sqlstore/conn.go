package sqlstore

import (
	"context"
	"database/sql"
)

// Conn runs statements: a pool of connections, or one transaction. The
// store's logic speaks to it alone, so it imports no driver: FromSQL makes
// one of a database/sql pool (SQLite's driver is one), store/postgres one
// of pgx's pool, which keeps what database/sql would lose (see the package
// documentation).
//
// A row that is not there is an error wrapping sql.ErrNoRows, as both
// database/sql and pgx (whose ErrNoRows wraps it) report it.
type Conn interface {
	// Exec runs a statement and returns how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// ExecEach runs query n times, in order, and returns how many rows
	// each run changed. The arguments of run i are what args(i, buf)
	// appends to buf, a slice that a Conn may reuse once run i is done (a
	// database/sql Conn does, so that a feed's thousand inserts make no
	// thousand argument lists). On an error it returns the counts of the
	// runs before the failing one: len(counts) is the failing run's index.
	// A driver that can sends every run in one round trip.
	ExecEach(ctx context.Context, query string, n int, args func(i int, buf []any) []any) ([]int64, error)
	// Query runs a query; the caller closes the rows.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow runs a query for one row; its error comes with Scan.
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// DB is a pool that begins transactions.
type DB interface {
	Conn
	// Begin begins a transaction of the database's default isolation
	// (SQLite's writer begins IMMEDIATE: see store/sqlite).
	Begin(ctx context.Context) (Tx, error)
}

// Tx is one transaction. Rollback after Commit does nothing.
type Tx interface {
	Conn
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Rows are a query's rows, read as database/sql's and pgx's are.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is a query's one row.
type Row interface {
	Scan(dest ...any) error
}

// FromSQL is db as a DB.
func FromSQL(db *sql.DB) DB { return sqlDB{sqlConn{db}, db} }

// sqlRunner is what *sql.DB and *sql.Tx share.
type sqlRunner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

type sqlConn struct{ run sqlRunner }

func (c sqlConn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return affected(c.run.ExecContext(ctx, query, args...))
}

// ExecEach prepares the statement once and reuses one argument list: the
// driver has converted the arguments when Exec returns.
func (c sqlConn) ExecEach(ctx context.Context, query string, n int, args func(i int, buf []any) []any) ([]int64, error) {
	if n == 0 {
		return nil, nil
	}
	stmt, err := c.run.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	counts := make([]int64, 0, n)
	var buf []any
	for i := range n {
		buf = args(i, buf[:0])
		k, err := affected(stmt.ExecContext(ctx, buf...))
		if err != nil {
			return counts, err
		}
		counts = append(counts, k)
	}
	return counts, nil
}

func (c sqlConn) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	rows, err := c.run.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (c sqlConn) QueryRow(ctx context.Context, query string, args ...any) Row {
	return c.run.QueryRowContext(ctx, query, args...)
}

// affected is what a statement changed, or its error.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

type sqlDB struct {
	sqlConn
	db *sql.DB
}

func (d sqlDB) Begin(ctx context.Context) (Tx, error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return sqlTx{sqlConn{tx}, tx}, nil
}

type sqlTx struct {
	sqlConn
	tx *sql.Tx
}

func (t sqlTx) Commit(context.Context) error   { return t.tx.Commit() }
func (t sqlTx) Rollback(context.Context) error { return t.tx.Rollback() }

// sqlRows is *sql.Rows with pgx's Close: an error closing rows that were
// read to the end is Err's already.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }
