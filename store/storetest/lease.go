package storetest

import (
	"context"
	"sync"
	"testing"

	"newsbrief/bot/digest"
)

// LeaseBackend is what the lease contract needs of a backend: leases on
// one shared, fresh store.
type LeaseBackend struct {
	// New returns a new holder of the lease called name, as another
	// process would hold it.
	New func(t *testing.T, name string) digest.Lease
	// Kill makes l's holder vanish as a crashed process would, without
	// releasing anything, and returns once the backend would let another
	// holder take the lease: the database ends l's session, or l's time
	// runs out. l stays usable, as the process of a holder that only lost
	// its connection would.
	Kill func(t *testing.T, l digest.Lease)
	// Open opens another store on the same database, as another process
	// would, and returns its leases by name and its Close.
	Open func(t *testing.T) (lease func(name string) digest.Lease, close func() error)
}

// RunLease runs the contract of digest.Lease, each test on a fresh backend
// from newBackend.
func RunLease(t *testing.T, newBackend func(t *testing.T) LeaseBackend) {
	tests := []struct {
		name string
		run  func(*testing.T, LeaseBackend)
	}{
		{"Exclusive", testLeaseExclusive},
		{"NamesIndependent", testLeaseNamesIndependent},
		{"Release", testLeaseRelease},
		{"TakenOverWhenHolderDies", testLeaseTakeover},
		{"ConcurrentAcquire", testLeaseConcurrent},
		{"CloseReleases", testLeaseCloseReleases},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newBackend(t)) })
	}
}

// acquire calls l.Acquire and fails the test unless it reports want. An
// error is allowed only where want is false.
func acquire(t *testing.T, what string, l digest.Lease, want bool) {
	t.Helper()
	got, err := l.Acquire(context.Background())
	if got != want || (want && err != nil) {
		t.Fatalf("%s: Acquire = %v, %v; want %v", what, got, err, want)
	}
}

func testLeaseExclusive(t *testing.T, b LeaseBackend) {
	a, c := b.New(t, "digests"), b.New(t, "digests")
	acquire(t, "first holder", a, true)
	acquire(t, "second holder while the first holds", c, false)
	acquire(t, "first holder again (renewal)", a, true)
	acquire(t, "first holder a third time", a, true)
	acquire(t, "second holder after renewals", c, false)
}

func testLeaseNamesIndependent(t *testing.T, b LeaseBackend) {
	a, c := b.New(t, "digests"), b.New(t, "feeds")
	acquire(t, "digests", a, true)
	acquire(t, "feeds, while another holds digests", c, true)
}

func testLeaseRelease(t *testing.T, b LeaseBackend) {
	ctx := context.Background()
	a, c := b.New(t, "digests"), b.New(t, "digests")
	if err := a.Release(ctx); err != nil {
		t.Fatalf("Release of a lease never acquired: %v", err)
	}
	acquire(t, "first holder", a, true)
	acquire(t, "first holder again (a renewal must not stack)", a, true)
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	acquire(t, "second holder after the first released", c, true)
	acquire(t, "first holder after it released", a, false)
	if err := a.Release(ctx); err != nil {
		t.Fatalf("Release by a holder that does not hold: %v", err)
	}
	acquire(t, "second holder after a non-holder released", c, true)
	if err := c.Release(ctx); err != nil {
		t.Fatal(err)
	}
	acquire(t, "first holder again", a, true)
}

func testLeaseTakeover(t *testing.T, b LeaseBackend) {
	a, c := b.New(t, "digests"), b.New(t, "digests")
	acquire(t, "first holder", a, true)
	acquire(t, "standby", c, false)
	b.Kill(t, a)
	acquire(t, "standby after the holder died", c, true)
	acquire(t, "dead holder's process after the takeover", a, false)
	acquire(t, "dead holder's process, trying again", a, false)
	acquire(t, "new holder renewing", c, true)
}

func testLeaseConcurrent(t *testing.T, b LeaseBackend) {
	const n = 4
	leases := make([]digest.Lease, n)
	for i := range leases {
		leases[i] = b.New(t, "digests")
	}
	held := make([]bool, n)
	var wg sync.WaitGroup
	for i, l := range leases {
		wg.Go(func() {
			ok, err := l.Acquire(context.Background())
			if err != nil {
				t.Error(err)
			}
			held[i] = ok
		})
	}
	wg.Wait()
	count := 0
	for _, h := range held {
		if h {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d of %d holders racing got the lease, want exactly 1", count, n)
	}
}

// testLeaseCloseReleases: a store closed cleanly frees its leases at once,
// without waiting for the database to notice or for a lease's time to run
// out.
func testLeaseCloseReleases(t *testing.T, b LeaseBackend) {
	lease, closeStore := b.Open(t)
	if ok, err := lease("digests").Acquire(context.Background()); !ok || err != nil {
		t.Fatalf("Acquire = %v, %v", ok, err)
	}
	l := b.New(t, "digests")
	if ok, _ := l.Acquire(context.Background()); ok {
		t.Fatal("two holders")
	}
	if err := closeStore(); err != nil {
		t.Fatal(err)
	}
	if ok, err := l.Acquire(context.Background()); !ok || err != nil {
		t.Fatalf("after the holder's store closed: Acquire = %v, %v", ok, err)
	}
}
