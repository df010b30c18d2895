package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"newsbrief/store/sqlstore"
)

// dialect is PostgreSQL's sqlstore.Dialect (see the package
// documentation); schema keys its advisory locks.
type dialect struct{ schema string }

// Time is t to the microsecond, what the column keeps.
func (dialect) Time(t time.Time) any { return micro(t) }

// ParseTime takes what pgx scans a timestamptz to.
func (dialect) ParseTime(src any) (time.Time, error) {
	t, ok := src.(time.Time)
	if !ok {
		return time.Time{}, fmt.Errorf("a time column holds %T, want timestamptz", src)
	}
	return t.UTC(), nil
}

func (dialect) Stored(t time.Time) time.Time { return micro(t) }

// micro is t as stored: UTC, to the microsecond.
func micro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Text is s without what PostgreSQL text cannot hold: a NUL byte or
// invalid UTF-8 (a JSON Feed's "\u0000", a page in a broken encoding)
// becomes U+FFFD, the same way every time.
func (dialect) Text(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// Strings is a text[] argument.
func (dialect) Strings(ids []string) any {
	if ids == nil {
		return []string{} // an empty array, not NULL
	}
	return ids
}

func (dialect) List() string { return "SELECT unnest(?::text[])" }

// InsertID is insert with RETURNING id: one round trip.
func (dialect) InsertID(ctx context.Context, tx sqlstore.Tx, insert string, args ...any) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, insert+" RETURNING id", args...).Scan(&id)
	return id, err
}

func (dialect) ForUpdate() string { return "FOR UPDATE" }

func (dialect) NoLimit() string { return "LIMIT ALL" }

// Lock takes transaction-level advisory locks, freed when tx ends: the
// prune lock of the schema, or the lock of each feed origin, all in one
// round trip and in the order of their keys, so that two transactions
// taking several never wait for each other crosswise.
func (d dialect) Lock(ctx context.Context, tx sqlstore.Tx, lock sqlstore.Lock, keys ...string) error {
	class, ks := 0, []int32(nil)
	switch lock {
	case sqlstore.LockPrune:
		class, ks = lockPrune, []int32{lockKey(d.schema)}
	case sqlstore.LockFeed:
		class = lockFeedOrigin
		for _, k := range keys {
			ks = append(ks, lockKey(d.schema, k))
		}
		slices.Sort(ks)
		ks = slices.Compact(ks)
	default:
		return fmt.Errorf("no advisory lock for sqlstore.Lock %d", lock)
	}
	_, err := tx.ExecEach(ctx, `SELECT pg_advisory_xact_lock(?, ?)`, len(ks), func(i int, buf []any) []any {
		return append(buf, class, ks[i])
	})
	return err
}
