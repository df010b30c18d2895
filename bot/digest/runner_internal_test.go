package digest

import (
	"context"
	"testing"
	"time"
)

// runsStore is a Store that answers SetNextRun alone, telling which
// subscriptions a run was made for: the run of a console subscription
// (a preview) only unschedules it.
type runsStore struct {
	Store // nil: any other call panics, and the runner recovers and logs it
	ran   chan int64
}

func (st runsStore) SetNextRun(_ context.Context, id int64, _, _ time.Time) (bool, error) {
	st.ran <- id
	return true, nil
}

// TestLaunchSkipsAReadOlderThanTheLastRun: a subscription queued from a
// read of the store begun before its last run in this process ended is
// not run from that read, which may hold it as it was before that run
// recorded itself (an instant digest whose clock had not moved then took
// the last run's time for its next, found it claimed and waited for the
// next change: TestDigestInstantEndToEnd timed out, 3 times in 30 with
// both cores busy); the runner is poked to read it again. One read after
// the run ended is run.
func TestLaunchSkipsAReadOlderThanTheLastRun(t *testing.T) {
	st := runsStore{ran: make(chan int64, 4)}
	s := New(nil, st)
	defer s.cancel()
	sub := Subscription{ID: 7, GuildID: PreviewGuild}

	// Run 7 ended while read 3 was under way (the last read begun: 3).
	s.mu.Lock()
	s.reads, s.ended[7] = 3, 3
	s.queue, s.queueRead = []Subscription{sub}, 3
	s.mu.Unlock()
	s.launchQueued()
	select {
	case <-s.wake:
	default:
		t.Fatal("the runner was not poked to read the subscription again")
	}
	s.mu.Lock()
	if s.running[7] || len(s.queue) != 0 {
		t.Errorf("running %v, queue %v: want the stale entry dropped, not run", s.running, s.queue)
	}
	s.mu.Unlock()
	s.wg.Wait()
	select {
	case id := <-st.ran:
		t.Fatalf("subscription %d run from a read begun before its last run ended", id)
	default:
	}

	// Read 4 began after it ended: run.
	s.mu.Lock()
	s.reads = 4
	s.queue, s.queueRead = []Subscription{sub}, 4
	s.mu.Unlock()
	s.launchQueued()
	s.wg.Wait()
	select {
	case id := <-st.ran:
		if id != 7 {
			t.Fatalf("ran %d, want 7", id)
		}
	default:
		t.Fatal("subscription 7 not run from a read begun after its last run ended")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended[7] != 4 {
		t.Errorf("the run's end is marked at read %d, want 4 (the last begun)", s.ended[7])
	}
}
