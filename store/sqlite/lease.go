package sqlite

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"newsbrief/bot/digest"
)

// DefaultLeaseTTL is how long a lease holds without renewal. A holder
// renews it every second or so; a process that dies leaves it to be taken
// over once the TTL has passed.
const DefaultLeaseTTL = 5 * time.Second

var _ digest.Lease = (*Lease)(nil)

// Lease is a digest.Lease kept in the file's leases table: the row names
// its holder and when the hold ends. Acquire takes the row when it is free
// or expired and renews it when this Lease holds it, in one conditional
// upsert, so SQLite's write lock decides between processes racing for it.
// A process that dies cannot release it: it expires after the TTL. All
// processes on one file share one machine's clock, so expiry is the same
// instant for all.
type Lease struct {
	st     *Store
	name   string
	holder string
	ttl    time.Duration
	now    func() time.Time
}

// LeaseOption configures a Lease.
type LeaseOption func(*Lease)

// WithLeaseTTL sets how long the lease holds without renewal;
// DefaultLeaseTTL without it.
func WithLeaseTTL(d time.Duration) LeaseOption { return func(l *Lease) { l.ttl = d } }

// WithLeaseClock sets the clock expiry goes by (tests move it instead of
// waiting); the wall clock without it.
func WithLeaseClock(now func() time.Time) LeaseOption { return func(l *Lease) { l.now = now } }

// Lease returns a new holder of the lease called name: each call is a
// holder of its own, as another process would be. Close releases the
// leases the store made.
func (s *Store) Lease(name string, opts ...LeaseOption) *Lease {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	l := &Lease{st: s, name: name, holder: hex.EncodeToString(b), ttl: DefaultLeaseTTL, now: time.Now}
	for _, o := range opts {
		o(l)
	}
	s.leases.Add(l)
	return l
}

// Acquire takes or renews the lease.
func (l *Lease) Acquire(ctx context.Context) (bool, error) {
	now := l.now()
	res, err := l.st.w.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
		l.name, l.holder, formatTime(now.Add(l.ttl)), formatTime(now))
	if err != nil {
		return false, fmt.Errorf("store: acquire lease %q in %q: %w", l.name, l.st.path, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: acquire lease %q in %q: %w", l.name, l.st.path, err)
	}
	return n == 1, nil
}

// Release deletes the lease's row if this Lease holds it.
func (l *Lease) Release(ctx context.Context) error {
	if _, err := l.st.w.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, l.name, l.holder); err != nil {
		return fmt.Errorf("store: release lease %q in %q: %w", l.name, l.st.path, err)
	}
	return nil
}
