package feed

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// floodDoc is poll p of a feed that floods: n new items, each newer than
// the one before it and than every item of the polls before.
func floodDoc(p, n int) []byte {
	items := make([]rssItem, n)
	for i := range items {
		at := t0.Add(-time.Duration(10*n-p*n-i) * time.Minute)
		items[i] = rssItem{guid: fmt.Sprintf("p%d-%05d", p, i), title: fmt.Sprintf("Flood %d %d", p, i),
			date: at.Format(http.TimeFormat), desc: "x"}
	}
	return rssDoc(items...)
}

// lockedBuffer is a log sink safe for the source's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// take returns what was logged since the last take.
func (l *lockedBuffer) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.b.Reset()
	return s
}

// TestFloodingFeedCapped: a feed that serves thousands of new items a poll
// keeps only its cap, the newest, and one poll hands the store no more
// than the cap; the log and the status say so. Items the cap left out are
// passed over quietly while the feed still carries them.
func TestFloodingFeedCapped(t *testing.T) {
	const keep, flood = 100, 3000
	srv := newFeedServer(t)
	var poll atomic.Int32
	srv.put("/flood.xml", doc{handler: func(w http.ResponseWriter, r *http.Request) {
		w.Write(floodDoc(int(poll.Load()), flood))
	}})
	var logs lockedBuffer
	e := newEnv(t, []Feed{{Name: "flood", URL: srv.URL + "/flood.xml"}}, WithMaxItems(keep),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	for p := range 2 {
		poll.Store(int32(p))
		if err := e.fetch(t); err != nil {
			t.Fatal(err)
		}
		items := itemsOf(t, e.store, "flood")
		var want []string
		for i := flood - keep; i < flood; i++ {
			want = append(want, fmt.Sprintf("Flood %d %d", p, i))
		}
		if got := keys(items); len(got) != keep || !slices.Equal(sorted(got), sorted(want)) {
			t.Errorf("poll %d: %d items stored, want the newest %d of this poll", p, len(got), keep)
		}
		if n := e.lib.Count("flood"); n != keep {
			t.Errorf("poll %d: %d articles, want %d", p, n, keep)
		}
		st := e.status(t, "flood")
		if st.Kept != keep || st.MaxItems != keep || st.LeftOut != flood-keep || !st.AtCap() {
			t.Errorf("poll %d: status %+v", p, st)
		}
		log := logs.take()
		if !strings.Contains(log, "feed over its item cap") || !strings.Contains(log, fmt.Sprintf("left_out=%d", flood-keep)) {
			t.Errorf("poll %d: log lacks the cap:\n%s", p, log)
		}
		e.clock.Advance(time.Minute)
	}
	// The same document again: nothing new, nothing weighed again.
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	e.store.mu.Lock()
	saves := slices.Clone(e.store.saves)
	e.store.mu.Unlock()
	if !slices.Equal(saves, []int{keep, keep}) {
		t.Errorf("SaveItems was given %v items, want %d a poll, and nothing when nothing is new", saves, keep)
	}
	if st := e.status(t, "flood"); st.LeftOut != 0 || st.Kept != keep {
		t.Errorf("a poll with nothing new: %+v", st)
	}
	if log := logs.take(); strings.Contains(log, "item cap") {
		t.Errorf("a poll with nothing new logged the cap:\n%s", log)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestFeedReachesItsCap: a feed that grows to its cap says so once; then
// its oldest items make way for new ones, and an item older than all it
// keeps is not taken.
func TestFeedReachesItsCap(t *testing.T) {
	srv := newFeedServer(t)
	day := func(d int) string { return t0.AddDate(0, 0, d-30).Format(http.TimeFormat) }
	srv.put("/f.xml", doc{body: rssDoc(rssItem{guid: "1", title: "One", date: day(1)}, rssItem{guid: "2", title: "Two", date: day(2)})})
	var logs lockedBuffer
	e := newEnv(t, []Feed{{Name: "f", URL: srv.URL + "/f.xml"}}, WithMaxItems(3), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	if st := e.status(t, "f"); st.Kept != 2 || st.AtCap() || strings.Contains(logs.take(), "cap") {
		t.Errorf("under its cap: %+v", st)
	}
	srv.put("/f.xml", doc{body: rssDoc(rssItem{guid: "3", title: "Three", date: day(3)}, rssItem{guid: "4", title: "Four", date: day(4)},
		rssItem{guid: "0", title: "Zero", date: day(0)})})
	e.clock.Advance(time.Minute)
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	got := keys(itemsOf(t, e.store, "f"))
	if !slices.Equal(sorted(got), []string{"Four", "Three", "Two"}) {
		t.Errorf("kept %v, want the newest 3", got)
	}
	st := e.status(t, "f")
	log := logs.take()
	if st.Kept != 3 || !st.AtCap() || !strings.Contains(log, "feed reached its item cap") || !strings.Contains(log, "pushed_out=1") {
		t.Errorf("at its cap: %+v\n%s", st, log)
	}
	// The same document again: "Zero", older than all the feed keeps, is
	// passed over quietly.
	e.clock.Advance(time.Minute)
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	if log := logs.take(); strings.Contains(log, "cap") {
		t.Errorf("the same document logged the cap again:\n%s", log)
	}
	e.store.mu.Lock()
	saves := slices.Clone(e.store.saves)
	e.store.mu.Unlock()
	if !slices.Equal(saves, []int{2, 3}) {
		t.Errorf("SaveItems was given %v items, want 2 then 3, then nothing", saves)
	}
}
