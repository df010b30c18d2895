package metrics_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/bot/digest/digesttest"
	"newsbrief/briefs/briefstest"
	"newsbrief/metrics"
	"newsbrief/store/sqlite"
)

// markDownOnce is a store whose database is gone for one MarkSent (the
// post got through, recording it did not). It tells events of that and of
// each record of a run.
type markDownOnce struct {
	digest.Store
	down   atomic.Bool
	events chan string
}

func (m *markDownOnce) MarkSent(ctx context.Context, id int64, at time.Time) error {
	if m.down.CompareAndSwap(true, false) {
		m.events <- "mark failed"
		return errors.New("database gone")
	}
	return m.Store.MarkSent(ctx, id, at)
}

func (m *markDownOnce) RecordRun(ctx context.Context, rec digest.RunRecord) error {
	err := m.Store.RecordRun(ctx, rec)
	m.events <- "run " + rec.ScheduledFor.Format("15:04")
	return err
}

// countingObserver passes outcomes on to the metrics and tells events of
// them.
type countingObserver struct {
	m      *metrics.Metrics
	events chan string
}

func (o countingObserver) DigestPosted(out digest.Outcome, articles int) {
	o.m.DigestPosted(out, articles)
	o.events <- string(out)
}

// posterFunc is a digest.Poster that always gets through; a pending
// digest it "finds in the channel", as Discord's poster would by reading
// back.
type posterFunc func(digest.Post) error

func (f posterFunc) Post(_ context.Context, p digest.Post) (digest.Delivered, error) {
	return digest.Delivered{}, f(p)
}

// TestDigestsCountedOnceAcrossAFailedRecord: a digest posted while the
// database was gone, then found in the channel once it was back, counted
// twice: newsbrief_digests_total{outcome="posted"} read 9 and 10 for 8
// messages. Two digests, one of them recorded late, count 2.
func TestDigestsCountedOnceAcrossAFailedRecord(t *testing.T) {
	ctx := context.Background()
	sq, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "nb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sq.Close() })
	events := make(chan string, 16)
	st := &markDownOnce{Store: sq, events: events}
	m := metrics.New()
	start := time.Date(2030, 1, 7, 8, 0, 0, 0, time.UTC)
	clock := digesttest.NewClock(start)
	lib := briefstest.Library(briefstest.Articles(10, 3))
	s := digest.New(lib, st, digest.WithClock(clock), digest.WithObserver(countingObserver{m: m, events: events}), digest.WithMinInterval(time.Second))
	if err := s.Start(ctx, posterFunc(func(digest.Post) error { return nil })); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	if _, err := s.Subscribe(ctx, digest.Subscription{GuildID: "g", ChannelID: "c", Schedule: "@every 1h", Count: 1}); err != nil {
		t.Fatal(err)
	}
	next := func() string {
		t.Helper()
		select {
		case ev := <-events:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("timed out waiting for the service")
			return ""
		}
	}

	st.down.Store(true)
	clock.Set(start.Add(time.Hour)) // posted; recording it fails
	for next() != "mark failed" {
	}
	// The next run finishes the first digest (recorded for 09:00), then
	// makes its own (10:00), whose count follows its record.
	clock.Set(start.Add(2 * time.Hour))
	for next() != "run 10:00" {
	}
	if ev := next(); ev != string(digest.Posted) {
		t.Fatalf("after the second run's record: %q", ev)
	}
	body := gather(t, m)
	for series, want := range map[string]float64{
		`newsbrief_digests_total{outcome="posted"}`: 2,
		`newsbrief_digest_articles_posted_total`:    2,
	} {
		if got, _ := value(body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
}
