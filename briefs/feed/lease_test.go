package feed

import (
	"context"
	"sync"
	"testing"
	"time"

	"newsbrief/briefs"
)

// memLease is a lease shared in memory: holders are numbered, 0 is none.
type memLease struct {
	mu     sync.Mutex
	holder int
}

type leaseHolder struct {
	l  *memLease
	id int
}

func (h leaseHolder) Acquire(context.Context) (bool, error) {
	h.l.mu.Lock()
	defer h.l.mu.Unlock()
	if h.l.holder == 0 {
		h.l.holder = h.id
	}
	return h.l.holder == h.id, nil
}

func (h leaseHolder) Release(context.Context) error {
	h.l.mu.Lock()
	defer h.l.mu.Unlock()
	if h.l.holder == h.id {
		h.l.holder = 0
	}
	return nil
}

// TestLeaseOnePollerOthersFollow runs two sources on one store, as two
// processes would: only the lease holder fetches the feed, the other
// shows what the holder stored, and takes over polling when the holder
// stops.
func TestLeaseOnePollerOthersFollow(t *testing.T) {
	srv := newFeedServer(t)
	srv.put("/f.xml", doc{body: rssDoc(rssItem{guid: "1", title: "One"})})
	feeds := []Feed{{Name: "f", URL: srv.URL + "/f.xml", Every: time.Hour}}
	lease := &memLease{}
	a := newEnv(t, feeds, WithLease(leaseHolder{lease, 1}, time.Second))
	libB := briefs.New()
	b := New(libB, a.store, feeds, WithAllowPrivate(true), WithClock(a.clock), WithJitter(0),
		WithInterval(time.Minute), WithTimeout(5*time.Second), WithLease(leaseHolder{lease, 2}, time.Second))

	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	doneA, doneB := make(chan error, 1), make(chan error, 1)
	go func() { doneA <- a.src.Run(ctxA) }()
	// b starts once a holds the lease and has stored the feed.
	waitUntil(t, "the holder's first poll to be stored", func() bool {
		return !a.store.state(srv.URL + "/f.xml").LastSuccess.IsZero()
	})
	go func() { doneB <- b.Run(ctxB) }()
	defer func() {
		stopA()
		stopB()
		<-doneA
		<-doneB
	}()
	waitUntil(t, "the standby to load the stored item", func() bool { return libB.Count("f") == 1 })

	// The feed changes; at its next poll the holder fetches it, and the
	// standby, looking at the store when the feed falls due (and every two
	// lease intervals until the holder's poll is stored), follows.
	srv.put("/f.xml", doc{body: rssDoc(rssItem{guid: "1", title: "One"}, rssItem{guid: "2", title: "Two"})})
	a.clock.Advance(time.Hour)
	advanceUntil(t, a.clock, "the standby to show the new item", func() bool { return libB.Count("f") == 2 })
	if n := srv.count("/f.xml"); n != 2 {
		t.Errorf("the feed was fetched %d times, want 2: once per poll, by the holder alone", n)
	}

	// The holder stops: its lease is released, the standby takes it at
	// its next try and polls from then on.
	stopA()
	<-doneA
	doneA <- nil
	srv.put("/f.xml", doc{body: rssDoc(rssItem{guid: "1", title: "One"}, rssItem{guid: "2", title: "Two"}, rssItem{guid: "3", title: "Three"})})
	a.clock.Advance(time.Hour)
	advanceUntil(t, a.clock, "the new holder to fetch the feed", func() bool { return libB.Count("f") == 3 })
	if n := srv.count("/f.xml"); n != 3 {
		t.Errorf("the feed was fetched %d times, want 3", n)
	}
}

// advanceUntil moves the clock a second at a time until cond holds,
// failing after a deadline: for what happens at the sources' next look,
// whose time the test cannot know.
func advanceUntil(t *testing.T, c *fakeClock, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		c.Advance(time.Second)
		time.Sleep(5 * time.Millisecond)
	}
}
