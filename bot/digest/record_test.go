package digest_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/bot/digest/digesttest"
	"newsbrief/briefs/briefstest"
)

// errDown is the database gone.
var errDown = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

// events is what happened, in order, as the test sees it: a store's
// records, the observer's counts.
type events chan string

// next waits for the next event, failing when none comes.
func (e events) next(t *testing.T) string {
	t.Helper()
	select {
	case ev := <-e:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for the service")
		return ""
	}
}

// downStore is a store whose database goes away for one MarkSent: the post
// got through, recording it did not. It tells events of its records.
type downStore struct {
	digest.Store
	downOnce atomic.Bool
	ev       events
}

func (d *downStore) MarkSent(ctx context.Context, id int64, at time.Time) error {
	if d.downOnce.CompareAndSwap(true, false) {
		d.ev <- "mark failed"
		return errDown
	}
	return d.Store.MarkSent(ctx, id, at)
}

func (d *downStore) RecordRun(ctx context.Context, rec digest.RunRecord) error {
	err := d.Store.RecordRun(ctx, rec)
	d.ev <- fmt.Sprintf("run %s %s", rec.ScheduledFor.Format("15:04"), rec.Outcome)
	return err
}

// eventObserver tells events of every outcome.
type eventObserver events

func (o eventObserver) DigestPosted(out digest.Outcome, articles int) {
	o <- fmt.Sprintf("%s %d", out, articles)
}

// TestPostCountedOnceWhenRecorded: a digest posted while recording it
// failed was logged "digest posted" and counted, then, found in the
// channel once the database was back, logged and counted again
// (newsbrief_digests_total{outcome="posted"} read 9 and 10 for 8
// messages). It is counted and logged once, when it is recorded.
func TestPostCountedOnceWhenRecorded(t *testing.T) {
	lib := briefstest.Library(briefstest.Articles(10, 3))
	ev := make(events, 64)
	st := &downStore{Store: openStore(t, filepath.Join(t.TempDir(), "nb.db")), ev: ev}
	clock := digesttest.NewClock(epoch())
	var logs syncWriter
	var p recorder
	s := startService(t, lib, st, &p, digest.WithClock(clock), digest.WithObserver(eventObserver(ev)),
		digest.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	sub, err := s.Subscribe(context.Background(), digest.Subscription{GuildID: "g", ChannelID: "c", Schedule: "@every 1h", Count: 1})
	if err != nil {
		t.Fatal(err)
	}

	st.downOnce.Store(true)
	clock.Set(epoch().Add(time.Hour))
	if got := ev.next(t); got != "mark failed" {
		t.Fatalf("first event %q, want the failed record", got)
	}
	// The next run finishes the pending digest first (the poster reads the
	// channel back and finds it: the recorder stands for that), then
	// makes its own.
	clock.Set(epoch().Add(2 * time.Hour))
	var seen []string
	for {
		got := ev.next(t)
		seen = append(seen, got)
		if strings.HasPrefix(got, "run 10:00") {
			seen = append(seen, ev.next(t)) // its outcome's count follows
			break
		}
	}
	want := []string{"run 09:00 posted 1", "posted 1", "run 10:00 posted 1", "posted 1"}
	if strings.Join(seen, ", ") != strings.Join(want, ", ") {
		t.Errorf("events %q, want %q: each digest counted once, when recorded", seen, want)
	}
	if posts := p.Posts(); len(posts) != 3 || posts[1].Nonce != posts[0].Nonce || posts[1].PendingSince.IsZero() {
		t.Errorf("posts %+v: want the first digest, again as pending (read back), then the second", posts)
	}
	if got := waitRun(t, st, sub.ID, epoch().Add(2*time.Hour)); got.LastOutcome != "posted 1" {
		t.Errorf("last outcome %q", got.LastOutcome)
	}
	s.Stop()
	if n := strings.Count(logs.String(), `msg="digest posted"`); n != 2 {
		t.Errorf(`"digest posted" logged %d times for 2 digests:\n%s`, n, logs.String())
	}
	if !strings.Contains(logs.String(), "recording it as sent failed") {
		t.Errorf("the failed record is not logged:\n%s", logs.String())
	}
}

// syncWriter is a log's text, written from any goroutine.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// scriptedLease tells the test of each Acquire and answers it with what the
// test sends, so that every try of the lease is a step the test takes.
type scriptedLease struct {
	calls   chan struct{}
	answers chan leaseAnswer
}

type leaseAnswer struct {
	ok  bool
	err error
}

func (l *scriptedLease) Acquire(ctx context.Context) (bool, error) {
	select {
	case l.calls <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	select {
	case a := <-l.answers:
		return a.ok, a.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (l *scriptedLease) Release(context.Context) error { return nil }

// instantLeaseClock is a clock on which the lease's interval passes at
// once: the lease's next try comes as soon as the test answers it.
type instantLeaseClock struct {
	*digesttest.Clock
	every time.Duration
}

func (c instantLeaseClock) At(t time.Time) <-chan time.Time {
	if t.Sub(c.Now()) == c.every {
		ch := make(chan time.Time, 1)
		ch <- t
		return ch
	}
	return c.Clock.At(t)
}

// logRecords is a slog handler that hands every record to a channel.
type logRecords chan slog.Record

func (logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (h logRecords) Handle(_ context.Context, r slog.Record) error {
	h <- r
	return nil
}
func (h logRecords) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logRecords) WithGroup(string) slog.Handler      { return h }

// TestLeaseLogSaysWhatHappened: while the database was down, the holder
// logged "lost the digest poster lease: another process posts digests
// now", though no process could. An unreachable database is said as such,
// for the holder and for a standby, once; another holder is said when
// there is one; and the database's return is said too.
func TestLeaseLogSaysWhatHappened(t *testing.T) {
	const every = 13 * time.Second
	lease := &scriptedLease{calls: make(chan struct{}), answers: make(chan leaseAnswer)}
	logs := make(logRecords, 64)
	lib := briefstest.Library(briefstest.Articles(3, 1))
	clock := instantLeaseClock{Clock: digesttest.NewClock(epoch()), every: every}
	startService(t, lib, openStore(t, filepath.Join(t.TempDir(), "nb.db")), &recorder{},
		digest.WithClock(clock), digest.WithLease(lease, every), digest.WithPollInterval(time.Hour),
		digest.WithLogger(slog.New(logs)))
	steps := []struct {
		answer leaseAnswer
		want   string // the lease's log line, "" for none
	}{
		{leaseAnswer{false, errDown}, "WARN cannot try for the digest poster lease: the database is unreachable; this process stands by until it answers"},
		{leaseAnswer{false, errDown}, ""},
		{leaseAnswer{false, nil}, "INFO digest poster lease: the database answers again; another process holds the lease"},
		{leaseAnswer{true, nil}, "INFO took the digest poster lease: this process claims runs and posts digests"},
		{leaseAnswer{true, nil}, ""},
		{leaseAnswer{false, errDown}, "WARN lost the digest poster lease: it could not be renewed, the database is unreachable; no digest is posted from here until it answers and the lease is taken again"},
		{leaseAnswer{false, errDown}, ""},
		{leaseAnswer{true, nil}, "INFO took the digest poster lease: this process claims runs and posts digests"},
		{leaseAnswer{false, nil}, "WARN lost the digest poster lease: another process holds it and posts digests now"},
	}
	// The service tries again only once it has logged all it had to say of
	// the try before: each try ends the step before it.
	<-lease.calls
	lease.answers <- steps[0].answer
	for i, step := range steps {
		<-lease.calls
		var got []string
		for drained := false; !drained; {
			select {
			case r := <-logs:
				if r.Level >= slog.LevelInfo && strings.Contains(r.Message, "lease") {
					got = append(got, r.Level.String()+" "+r.Message)
				}
			default:
				drained = true
			}
		}
		want := []string{}
		if step.want != "" {
			want = []string{step.want}
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("step %d (Acquire = %v, %v): logged %q, want %q", i+1, step.answer.ok, step.answer.err, got, want)
		}
		if i+1 < len(steps) {
			lease.answers <- steps[i+1].answer
		}
	}
}
