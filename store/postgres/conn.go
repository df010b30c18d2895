package postgres

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"newsbrief/store/sqlstore"
)

// pgxRunner is what pgx's pool and its transactions share.
type pgxRunner interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// conn is pgx as a sqlstore.Conn: it numbers the statements' ?
// parameters $1, $2, ... as PostgreSQL takes them. pgx's rows are
// sqlstore's as they are, and its ErrNoRows wraps sql.ErrNoRows.
type conn struct {
	run pgxRunner
	// numbered holds each statement numbered, by its text: the store's
	// statements are a fixed set, so it stops growing.
	numbered *sync.Map
}

// number is sql with its parameters numbered.
func (c conn) number(sql string) string {
	if v, ok := c.numbered.Load(sql); ok {
		return v.(string)
	}
	var b strings.Builder
	n, quote := 0, byte(0)
	for i := range len(sql) {
		switch ch := sql[i]; {
		case quote != 0: // a ? in a quoted string or name stays
			if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(sql[i])
	}
	c.numbered.Store(sql, b.String())
	return b.String()
}

func (c conn) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := c.run.Exec(ctx, c.number(sql), args...)
	return tag.RowsAffected(), err
}

// ExecEach sends every run as one batch: one round trip. The batch keeps
// each run's arguments until it is sent, so each has a list of its own.
func (c conn) ExecEach(ctx context.Context, sql string, n int, args func(i int, buf []any) []any) ([]int64, error) {
	if n == 0 {
		return nil, nil
	}
	var b pgx.Batch
	sql = c.number(sql)
	for i := range n {
		b.Queue(sql, args(i, nil)...)
	}
	br := c.run.SendBatch(ctx, &b)
	counts := make([]int64, 0, n)
	for range n {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return counts, err
		}
		counts = append(counts, tag.RowsAffected())
	}
	return counts, br.Close()
}

func (c conn) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	return c.run.Query(ctx, c.number(sql), args...)
}

func (c conn) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	return c.run.QueryRow(ctx, c.number(sql), args...)
}

// pool is the store's pool as a sqlstore.DB.
type pool struct {
	conn
	p *pgxpool.Pool
}

func (p pool) Begin(ctx context.Context) (sqlstore.Tx, error) {
	t, err := p.p.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return tx{conn{t, p.numbered}, t}, nil
}

// tx is a transaction of the pool.
type tx struct {
	conn
	t pgx.Tx
}

func (t tx) Commit(ctx context.Context) error   { return t.t.Commit(ctx) }
func (t tx) Rollback(ctx context.Context) error { return t.t.Rollback(ctx) }
