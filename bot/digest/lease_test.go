package digest_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/bot/digest/digesttest"
	"newsbrief/briefs/briefstest"
	"newsbrief/store/sqlite"
)

// mortal is a lease whose process can die: from then on it neither renews
// nor releases, as a killed process would not, and the lease is free only
// once its time runs out.
//
// An Acquire holds mu throughout, so that kill returns only once no
// renewal is under way: one begun before the kill, reading the clock
// after the test moved it on, would hold the lease past the time the
// test expects it free.
type mortal struct {
	digest.Lease
	mu   sync.Mutex
	dead bool
}

var errDead = errors.New("the process is dead")

func (m *mortal) Acquire(ctx context.Context) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dead {
		return false, errDead
	}
	return m.Lease.Acquire(ctx)
}

func (m *mortal) Release(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dead {
		return nil
	}
	return m.Lease.Release(ctx)
}

// kill makes the process dead, once any renewal under way has ended.
func (m *mortal) kill() {
	m.mu.Lock()
	m.dead = true
	m.mu.Unlock()
}

// hanger is a recorder whose posts hang, once told to, until the service
// stops: a process killed while its post was on the way.
type hanger struct {
	recorder
	hang    atomic.Bool
	mu      sync.Mutex
	hung    []digest.Post
	entered chan struct{}
}

func (h *hanger) Post(ctx context.Context, p digest.Post) (digest.Delivered, error) {
	if !h.hang.Load() {
		return h.recorder.Post(ctx, p)
	}
	h.mu.Lock()
	h.hung = append(h.hung, p)
	h.mu.Unlock()
	h.entered <- struct{}{}
	<-ctx.Done()
	return digest.Delivered{}, ctx.Err()
}

// waitFor polls cond until it holds, failing after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestLeaseOnlyHolderPostsAndStandbyTakesOver runs two services, as two
// processes, on one SQLite file with its leases and one clock. Only the
// lease holder claims runs, also of a subscription made through the other.
// When the holder dies in the middle of a post, the standby takes the
// lease once the holder's time has run out, finishes the dead holder's
// pending digest (with its nonce, as a re-post the poster reads back
// first) and makes the next runs; nothing is posted twice.
func TestLeaseOnlyHolderPostsAndStandbyTakesOver(t *testing.T) {
	lib := briefstest.Library(briefstest.Articles(10, 3))
	path := filepath.Join(t.TempDir(), "nb.db")
	st1, st2 := openStore(t, path), openStore(t, path)
	clock := digesttest.NewClock(epoch())
	// The lease outlives the clock's hour-long steps; a dead holder's is
	// free ttl after its last renewal.
	const ttl = 3 * time.Hour
	l1 := &mortal{Lease: st1.Lease("digests", sqliteLeaseOpts(clock, ttl)...)}
	l2 := &mortal{Lease: st2.Lease("digests", sqliteLeaseOpts(clock, ttl)...)}
	r1 := &hanger{entered: make(chan struct{}, 1)}
	var r2 recorder
	s1 := startService(t, lib, st1, r1, digest.WithClock(clock), digest.WithLease(l1, time.Second))
	waitFor(t, "the first service to take the lease", s1.Posting)
	s2 := startService(t, lib, st2, &r2, digest.WithClock(clock), digest.WithLease(l2, time.Second))
	ctx := context.Background()
	if ok, _ := l2.Acquire(ctx); ok || s2.Posting() {
		t.Fatal("the second service holds the lease too")
	}

	// Made through the standby, run by the holder.
	sub, err := s2.Subscribe(ctx, digest.Subscription{GuildID: "g", ChannelID: "c", Schedule: "@every 1h", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	t1 := epoch().Add(time.Hour)
	clock.Set(t1)
	waitRun(t, st2, sub.ID, t1)
	if n1, n2 := len(r1.Posts()), len(r2.Posts()); n1 != 1 || n2 != 0 {
		t.Fatalf("run 1: holder posted %d, standby %d; want 1 and 0", n1, n2)
	}

	// Run 2: the holder claims it, records its digest and dies posting it.
	r1.hang.Store(true)
	t2 := epoch().Add(2 * time.Hour)
	clock.Set(t2)
	<-r1.entered
	l1.kill()
	if p, err := st2.PendingDigests(ctx); err != nil || len(p) != 1 {
		t.Fatalf("pending after the holder died: %v, %v; want its one digest", p, err)
	}
	// Its lease was renewed at t2 at the latest: free at t2+ttl, when the
	// standby takes it, finishes the digest and makes the run due then.
	t5 := t2.Add(ttl)
	clock.Set(t5)
	waitFor(t, "the standby to take the lease", s2.Posting)
	waitRun(t, st2, sub.ID, t5)
	if p, err := st2.PendingDigests(ctx); err != nil || len(p) != 0 {
		t.Fatalf("still pending after the takeover: %v, %v", p, err)
	}
	if s1.Posting() {
		t.Error("the dead holder still takes itself for the holder")
	}
	posts := r2.Posts()
	if len(posts) != 2 {
		t.Fatalf("the standby posted %d digests, want the dead holder's and its own run's", len(posts))
	}
	hung := r1.hung[0]
	if posts[0].Nonce != hung.Nonce || posts[0].PendingSince.IsZero() || posts[0].Articles[0].ID != hung.Articles[0].ID {
		t.Errorf("the standby's first post %+v is not the dead holder's digest %+v, posted again with its nonce", posts[0], hung)
	}

	// From now on the new holder makes every run, the dead one none.
	t6 := t5.Add(time.Hour)
	clock.Set(t6)
	waitRun(t, st2, sub.ID, t6)
	if n := len(r2.Posts()); n != 3 {
		t.Errorf("the new holder posted %d digests after run 6, want 3", n)
	}
	r1.mu.Lock()
	if n := len(r1.hung); n != 1 {
		t.Errorf("the dead holder tried %d posts, want only the one it died in", n)
	}
	r1.mu.Unlock()
	seen := map[string]bool{}
	for _, p := range append(r1.Posts(), r2.Posts()...) {
		for _, a := range p.Articles {
			if seen[a.ID] {
				t.Errorf("article %s posted twice", a.ID)
			}
			seen[a.ID] = true
		}
	}
}

// TestLeaseStopReleases: a holder that stops hands over at once, and a
// standby's runs then go out through it.
func TestLeaseStopReleases(t *testing.T) {
	lib := briefstest.Library(briefstest.Articles(10, 3))
	path := filepath.Join(t.TempDir(), "nb.db")
	st1, st2 := openStore(t, path), openStore(t, path)
	clock := digesttest.NewClock(epoch())
	var r1, r2 recorder
	s1 := startService(t, lib, st1, &r1, digest.WithClock(clock), digest.WithLease(st1.Lease("digests", sqliteLeaseOpts(clock, time.Hour)...), time.Second))
	waitFor(t, "the first service to take the lease", s1.Posting)
	s2 := startService(t, lib, st2, &r2, digest.WithClock(clock), digest.WithLease(st2.Lease("digests", sqliteLeaseOpts(clock, time.Hour)...), time.Second))
	sub, err := s1.Subscribe(context.Background(), digest.Subscription{GuildID: "g", ChannelID: "c", Schedule: "@every 1m", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	s1.Stop()
	// The standby tries again at its next interval, by the clock: the
	// released lease is free then, long before its hour would run out.
	t1 := epoch().Add(time.Minute)
	clock.Set(t1)
	// Its try may have failed just before the release and then waited
	// for an interval from t1: step the clock a second at a time (the
	// lease's interval) until it has tried again. It must take the lease
	// at its first try after the release, and long before the hour.
	waitFor(t, "the standby to take the released lease", func() bool {
		if s2.Posting() {
			return true
		}
		if clock.Now().Before(t1.Add(30 * time.Minute)) {
			clock.Advance(time.Second)
		}
		return false
	})
	waitRun(t, st2, sub.ID, t1)
	if n1, n2 := len(r1.Posts()), len(r2.Posts()); n1 != 0 || n2 != 1 {
		t.Errorf("stopped holder posted %d, new holder %d; want 0 and 1", n1, n2)
	}
}

func sqliteLeaseOpts(clock *digesttest.Clock, ttl time.Duration) []sqlite.LeaseOption {
	return []sqlite.LeaseOption{sqlite.WithLeaseClock(clock.Now), sqlite.WithLeaseTTL(ttl)}
}
