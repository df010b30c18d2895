package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"newsbrief/bot/digest"
)

var _ digest.Lease = (*Lease)(nil)

// leaseCheckTimeout bounds one Acquire's round trip: a holder that cannot
// reach the database within it takes itself for no longer holding.
const leaseCheckTimeout = 3 * time.Second

// leaseKeepalive are the server's TCP keepalive settings for a lease's
// connection: a holder whose machine vanishes (no FIN ever comes) is
// found dead, and its lock freed, after about 5 + 2×3 = 11 s instead of
// the system default of two hours. They are per-session settings any user
// may make; over a Unix socket the server ignores them.
var leaseKeepalive = map[string]string{
	"tcp_keepalives_idle":     "5",
	"tcp_keepalives_interval": "2",
	"tcp_keepalives_count":    "3",
}

// Lease is a digest.Lease held as a PostgreSQL session advisory lock,
// keyed by the store's schema and the lease's name, on a connection of its
// own outside the pool. The server frees the lock when that session ends,
// so a holder that dies (its socket closes, or its keepalives go
// unanswered) loses it with no timeout to wait for, and a standby's next
// Acquire takes it. A holder that loses its connection learns it at its
// next Acquire (the connection fails its ping) and reports false.
//
// A standby keeps its connection open and retries the lock on it, rather
// than connecting every try.
type Lease struct {
	st   *Store
	name string
	key  int32

	mu   sync.Mutex
	conn *pgx.Conn // nil until the first Acquire, and after a failure
	held bool
}

// Lease returns a new holder of the lease called name: each call is a
// holder of its own, as another process would be. Close releases the
// leases the store made.
func (s *Store) Lease(name string) *Lease {
	l := &Lease{st: s, name: name, key: lockKey(s.schema, name)}
	s.leases.Add(l)
	return l
}

// Acquire takes the lock when it is free, or checks that this Lease's
// session, which holds it, is alive.
func (l *Lease) Acquire(ctx context.Context) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, leaseCheckTimeout)
	defer cancel()
	fail := func(err error) (bool, error) {
		l.dropLocked()
		return false, fmt.Errorf("store: acquire lease %q on %s: %w", l.name, l.st.name, err)
	}
	if l.conn != nil && l.conn.IsClosed() {
		l.dropLocked()
	}
	if l.conn == nil {
		cfg := l.st.pool.Config().ConnConfig.Copy()
		for k, v := range leaseKeepalive {
			cfg.RuntimeParams[k] = v
		}
		cfg.RuntimeParams["application_name"] = "newsbrief lease " + l.name
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return fail(err)
		}
		l.conn = conn
	}
	if l.held {
		if err := l.conn.Ping(ctx); err != nil {
			return fail(err)
		}
		return true, nil
	}
	// Session locks stack: taken only while not held, so one unlock
	// (or the session's end) frees it.
	var ok bool
	if err := l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, lockLease, l.key).Scan(&ok); err != nil {
		return fail(err)
	}
	l.held = ok
	return ok, nil
}

// Release unlocks the lock if held, so that it is free when Release
// returns (the end of a session frees it too, but only once the server
// has processed it), and closes the lease's session.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil
	}
	var err error
	if l.held {
		_, err = l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1, $2)`, lockLease, l.key)
	}
	if cerr := l.conn.Close(ctx); err == nil {
		err = cerr
	}
	l.conn, l.held = nil, false
	if err != nil {
		return fmt.Errorf("store: release lease %q on %s: %w", l.name, l.st.name, err)
	}
	return nil
}

// dropLocked forgets a connection that failed: the server ends its session
// (and frees the lock) when the socket closes.
func (l *Lease) dropLocked() {
	if l.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = l.conn.Close(ctx)
		cancel()
	}
	l.conn, l.held = nil, false
}

// backendPID is the server process of the lease's session, 0 without one
// (for tests that end it, as a crash would).
func (l *Lease) backendPID() uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return 0
	}
	return l.conn.PgConn().PID()
}
