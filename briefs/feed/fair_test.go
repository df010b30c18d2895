package feed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"newsbrief/briefs/feed/feedstore"
)

// hangServer is a host that takes requests and never answers them (until
// released, or until the client gives up), and counts them.
type hangServer struct {
	*httptest.Server
	release chan struct{} // closed: answer 503 from now on
	arrived chan string   // each request's path, as it arrives

	mu              sync.Mutex
	started, ended  int
	endedBeforeGood bool
	good            bool // set by the test once the good host was asked
}

func newHangServer(t *testing.T) *hangServer {
	h := &hangServer{release: make(chan struct{}), arrived: make(chan string, 1000)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.started++
		h.mu.Unlock()
		h.arrived <- r.URL.Path
		select {
		case <-h.release:
			w.WriteHeader(http.StatusServiceUnavailable)
		case <-r.Context().Done():
		}
		h.mu.Lock()
		h.ended++
		if !h.good {
			h.endedBeforeGood = true
		}
		h.mu.Unlock()
	}))
	t.Cleanup(func() {
		h.unblock()
		h.Close()
	})
	return h
}

func (h *hangServer) unblock() {
	select {
	case <-h.release:
	default:
		close(h.release)
	}
}

func (h *hangServer) counts() (started, ended int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.started, h.ended
}

// hangFeeds are n feeds on h.
func hangFeeds(h *hangServer, n int) []Feed {
	feeds := make([]Feed, n)
	for i := range feeds {
		feeds[i] = Feed{Name: fmt.Sprintf("silent%02d", i), URL: fmt.Sprintf("%s/f%02d.xml", h.URL, i)}
	}
	return feeds
}

// TestSilentHostDoesNotStallOthers: forty feeds on a host that never
// answers fill no fetch slots while they wait for it, so a feed on
// another host is fetched at once: the good host is asked while the
// silent host's one request (one at a time per host) is still hanging and
// none of its requests has ended, whichever way the slots were filled.
func TestSilentHostDoesNotStallOthers(t *testing.T) {
	silent := newHangServer(t)
	good := newFeedServer(t)
	askedGood := make(chan [2]int, 1)
	good.put("/good.xml", doc{handler: func(w http.ResponseWriter, r *http.Request) {
		silent.mu.Lock()
		silent.good = true
		started, ended := silent.started, silent.ended
		silent.mu.Unlock()
		select {
		case askedGood <- [2]int{started, ended}:
		default:
		}
		w.Write(rssDoc(rssItem{guid: "1", title: "Good news"}))
	}})
	bad := hangFeeds(silent, 40)
	// Four slots, ten times fewer than the silent feeds; a timeout the
	// test does not reach unless the good feed stalls, so that only a
	// stall lets a silent request end first.
	e := newEnv(t, bad, WithConcurrency(4), WithTimeout(10*time.Second))
	goodSaved := make(chan struct{})
	var once sync.Once
	e.store.saved = func(origin string) {
		if origin == "good" {
			once.Do(func() { close(goodSaved) })
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.src.Run(ctx) }()
	<-silent.arrived // the silent feeds are polling, and queued for their host
	if err := e.src.SetFeeds(ctx, append(bad, Feed{Name: "good", URL: good.URL + "/good.xml"})); err != nil {
		t.Fatal(err)
	}
	got := <-askedGood
	if got[0] != 1 || got[1] != 0 {
		t.Errorf("when the good host was asked, the silent host had %d requests, %d ended; want its first still hanging, alone", got[0], got[1])
	}
	<-goodSaved
	silent.unblock() // the silent host answers 503 now: the queue drains
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	silent.mu.Lock()
	endedBeforeGood := silent.endedBeforeGood
	silent.mu.Unlock()
	if endedBeforeGood {
		t.Error("a silent request ended before the good feed was fetched: the good feed waited for the silent host")
	}
	if n := e.lib.Count("good"); n != 1 {
		t.Errorf("the good feed has %d articles, want 1", n)
	}
}

// TestTimedOutHostBacksOffAsAWhole: a host that times out costs one
// timeout, not one per feed: its other feeds are not sent at all, fail at
// once, and wait for the host's backoff, which the next timeout doubles;
// an answer ends it.
func TestTimedOutHostBacksOffAsAWhole(t *testing.T) {
	silent := newHangServer(t)
	feeds := hangFeeds(silent, 40)
	e := newEnv(t, feeds, WithTimeout(200*time.Millisecond))
	round := func(n int, wantNext time.Time) {
		t.Helper()
		e.fetch(t)
		if started, _ := silent.counts(); started != n {
			t.Errorf("round %d: the silent host got %d requests in all, want %d: one a round", n, started, n)
		}
		timedOut, heldBack := 0, 0
		for _, f := range feeds {
			st := e.status(t, f.Name)
			switch {
			case strings.Contains(st.LastError, "timed out") && !strings.Contains(st.LastError, ErrHostBackingOff.Error()):
				timedOut++
			case strings.Contains(st.LastError, ErrHostBackingOff.Error()) && strings.Contains(st.LastError, silent.Listener.Addr().String()):
				heldBack++
			default:
				t.Errorf("round %d: %s: %+v, want a timeout or the host backing off", n, f.Name, st)
			}
			if st.Failures != n || !st.NextTry.Equal(wantNext) {
				t.Errorf("round %d: %s: %d failures, next try %v; want %d, %v", n, f.Name, st.Failures, st.NextTry, n, wantNext)
			}
		}
		if timedOut != 1 || heldBack != len(feeds)-1 {
			t.Errorf("round %d: %d feeds timed out and %d were held back, want 1 and %d", n, timedOut, heldBack, len(feeds)-1)
		}
	}
	// The host's backoff is the default interval (a minute here), doubled
	// for each timeout in a row; each feed's own is the same.
	round(1, t0.Add(time.Minute))
	e.clock.Set(t0.Add(time.Minute))
	round(2, t0.Add(time.Minute+2*time.Minute))

	// The host answers: every feed is asked again, and its backoff ends.
	silent.unblock()
	e.clock.Set(t0.Add(3 * time.Minute))
	e.fetch(t)
	if started, _ := silent.counts(); started != 2+len(feeds) {
		t.Errorf("after the host answered, it got %d requests in all, want %d", started, 2+len(feeds))
	}
	if until := e.src.get.hosts.until(strings.TrimPrefix(silent.URL, "http://")); !until.IsZero() {
		t.Errorf("the host still backs off until %v after answering", until)
	}
}

// TestTeaserPagesTimeOutCountAgainstTheFeed: a poll has one deadline for
// its feed and its teaser pages together. Pages on a host that never
// answers take one page's wait (the host then backs off, so the others are
// not sent), the items are stored with their teasers, and the poll is no
// plain success: the feed backs off.
func TestTeaserPagesTimeOutCountAgainstTheFeed(t *testing.T) {
	pages := newHangServer(t)
	srv := newFeedServer(t)
	var items []rssItem
	for i := range 3 {
		items = append(items, rssItem{guid: fmt.Sprint(i), link: fmt.Sprintf("%s/story/%d", pages.URL, i),
			title: fmt.Sprintf("Teaser %d", i), desc: "Only a teaser."})
	}
	srv.put("/f.xml", doc{body: rssDoc(items...), header: map[string]string{"ETag": `"v1"`}})
	// The timeout is what the hanging pages run into; it is long enough
	// that the feed itself, answered at once, is never cut by it on a busy
	// machine (at 300 ms it was, once, under a full test run beside a
	// benchmark).
	e := newEnv(t, []Feed{{Name: "f", URL: srv.URL + "/f.xml"}}, WithTimeout(2*time.Second))
	err := e.fetch(t)
	if err == nil || !strings.Contains(err.Error(), "3 teaser pages not fetched within the fetch timeout") {
		t.Errorf("FetchDue: %v, want the late page named", err)
	}
	if started, _ := pages.counts(); started != 1 {
		t.Errorf("the pages' host got %d requests, want 1: the poll's deadline is shared, and the host then backs off", started)
	}
	st := e.status(t, "f")
	if st.Failures != 1 || !st.LastSuccess.IsZero() || !st.NextTry.Equal(t0.Add(time.Minute)) ||
		!strings.Contains(st.LastError, "timed out") {
		t.Errorf("status %+v: want a failure with its backoff", st)
	}
	if n := len(itemsOf(t, e.store, "f")); n != 3 || e.lib.Count("f") != 3 {
		t.Errorf("%d items stored, %d articles; want the 3 teasers", n, e.lib.Count("f"))
	}
	if got := e.store.state(srv.URL + "/f.xml"); got.ETag != `"v1"` {
		t.Errorf("stored state %+v: want the feed's validators, its items being stored", got)
	}

	// Next time the feed is not modified: a plain success again.
	e.clock.Set(st.NextTry)
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	if st := e.status(t, "f"); st.Failures != 0 || st.LastError != "" {
		t.Errorf("after a 304: %+v", st)
	}
}

// TestOfflineWaitNamesPendingFeeds: the offline commands' fetch waits at
// most its bound (by the source's clock), then answers with what it has:
// the feeds still under way are cut, named pending and left due, while
// the others are stored.
func TestOfflineWaitNamesPendingFeeds(t *testing.T) {
	silent := newHangServer(t)
	good := newFeedServer(t)
	good.put("/good.xml", doc{body: rssDoc(rssItem{guid: "1", title: "Good news"})})
	feeds := append(hangFeeds(silent, 2), Feed{Name: "good", URL: good.URL + "/good.xml"})
	e := newEnv(t, feeds, WithTimeout(time.Hour))
	goodDone := make(chan struct{})
	var once sync.Once
	e.store.stateSaved = func(st feedstore.State) {
		if st.URL == good.URL+"/good.xml" {
			once.Do(func() { close(goodDone) })
		}
	}
	type result struct {
		pending []Feed
		err     error
	}
	out := make(chan result, 1)
	go func() {
		p, err := e.src.FetchDueWithin(context.Background(), 20*time.Second)
		out <- result{p, err}
	}()
	<-silent.arrived
	<-goodDone
	select {
	case r := <-out:
		t.Fatalf("FetchDueWithin returned before its time was up: %v, %v", r.pending, r.err)
	default:
	}
	e.clock.Advance(20 * time.Second)
	r := <-out
	if r.err != nil {
		t.Errorf("FetchDueWithin: %v", r.err)
	}
	var names []string
	for _, f := range r.pending {
		names = append(names, f.Name)
	}
	if fmt.Sprint(names) != "[silent00 silent01]" {
		t.Errorf("pending %v, want the two silent feeds", names)
	}
	for _, name := range []string{"silent00", "silent01"} {
		if st := e.status(t, name); st.Failures != 0 || st.LastError != "" || !st.NextTry.IsZero() {
			t.Errorf("%s: %+v, want nothing recorded: still due", name, st)
		}
	}
	if st := e.status(t, "good"); st.LastSuccess.IsZero() || e.lib.Count("good") != 1 {
		t.Errorf("good: %+v, %d articles", st, e.lib.Count("good"))
	}
	// Cut, not timed out: the silent host is not held back for it.
	if until := e.src.get.hosts.until(strings.TrimPrefix(silent.URL, "http://")); !until.IsZero() {
		t.Errorf("a cut request held its host back until %v", until)
	}
}

// TestCheckAllConcurrentUnderTheRules: check tries feeds at once, one
// request at a time per host: three hosts each hold their request until
// all three have one (a check that tried feeds one by one would never get
// there), and the host with two feeds never has both at once. A feed
// whose host does not answer within the wait is reported pending.
func TestCheckAllConcurrentUnderTheRules(t *testing.T) {
	const hosts = 3
	var (
		mu       sync.Mutex
		seen     = map[int]bool{}
		inflight = map[int]int{}
		most     int
	)
	all := make(chan struct{})
	var servers []*feedServer
	for h := range hosts {
		srv := newFeedServer(t)
		handler := func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[h] = true
			inflight[h]++
			most = max(most, inflight[h])
			if len(seen) == hosts {
				select {
				case <-all:
				default:
					close(all)
				}
			}
			mu.Unlock()
			defer func() {
				mu.Lock()
				inflight[h]--
				mu.Unlock()
			}()
			select {
			case <-all:
				w.Write(rssDoc(rssItem{guid: "1", title: "Checked"}))
			case <-r.Context().Done():
			}
		}
		srv.put("/a.xml", doc{handler: handler})
		srv.put("/b.xml", doc{handler: handler})
		servers = append(servers, srv)
	}
	silent := newHangServer(t)
	feeds := []Feed{
		{Name: "a0", URL: servers[0].URL + "/a.xml"},
		{Name: "b0", URL: servers[0].URL + "/b.xml"},
		{Name: "silent", URL: silent.URL + "/f.xml"},
		{Name: "a1", URL: servers[1].URL + "/a.xml"},
		{Name: "a2", URL: servers[2].URL + "/a.xml"},
	}
	checked := make(chan string, len(feeds))
	e := newEnv(t, nil, WithTimeout(10*time.Second), withCheckObserver(func(r CheckResult) { checked <- r.Feed.Name }))
	out := make(chan []CheckResult, 1)
	go func() { out <- e.src.CheckAll(context.Background(), feeds, time.Minute) }()
	for range len(feeds) - 1 {
		if name := <-checked; name == "silent" {
			t.Errorf("the silent feed's check ended before its time was up")
		}
	}
	<-silent.arrived
	e.clock.Advance(time.Minute)
	results := <-out
	for i, r := range results {
		switch {
		case r.Feed != feeds[i]:
			t.Errorf("result %d is of %s, want %s: in the feeds' order", i, r.Feed.Name, feeds[i].Name)
		case r.Feed.Name == "silent":
			if !r.Pending || r.Err != nil {
				t.Errorf("silent: %+v, want pending", r)
			}
		case r.Pending || r.Err != nil || r.Status != 200 || r.Items != 1:
			t.Errorf("%s: %+v, want 200 and 1 item", r.Feed.Name, r)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if most != 1 {
		t.Errorf("%d requests at once to one host", most)
	}
}

// TestHostsTurnsAndBackoff: the host rules alone. A timeout holds the host
// back for the base wait, doubled for each timeout in a row; waiting
// requests fail once it does; an answer ends it.
func TestHostsTurnsAndBackoff(t *testing.T) {
	clock := newFakeClock(t0)
	h := &hosts{now: clock.Now, base: time.Minute}
	ctx := context.Background()
	release, err := h.wait(ctx, "a:1")
	if err != nil {
		t.Fatal(err)
	}
	queued := make(chan error, 1)
	go func() {
		r, err := h.wait(ctx, "a:1")
		if err == nil {
			r()
		}
		queued <- err
	}()
	other, err := h.wait(ctx, "b:1") // another host does not wait
	if err != nil {
		t.Fatal(err)
	}
	other()
	h.timedOut("a:1", errors.New("GET http://a:1/x: timed out"))
	release()
	if err := <-queued; !errors.Is(err, ErrHostBackingOff) || !strings.Contains(err.Error(), "a:1 timed out 1 time in a row") {
		t.Errorf("a request queued behind the timeout: %v, want ErrHostBackingOff naming the host", err)
	}
	if !h.until("a:1").Equal(t0.Add(time.Minute)) {
		t.Errorf("backoff until %v", h.until("a:1"))
	}
	clock.Advance(time.Minute)
	if r, err := h.wait(ctx, "a:1"); err != nil {
		t.Errorf("after its backoff: %v", err)
	} else {
		r()
	}
	h.timedOut("a:1", errors.New("again"))
	if !h.until("a:1").Equal(t0.Add(3 * time.Minute)) {
		t.Errorf("second backoff until %v, want doubled", h.until("a:1"))
	}
	h.answered("a:1")
	if r, err := h.wait(ctx, "a:1"); err != nil || !h.until("a:1").IsZero() {
		t.Errorf("after an answer: %v, until %v", err, h.until("a:1"))
	} else {
		r()
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := h.wait(cancelled, "a:1"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	h.mu.Lock()
	left := len(h.turns)
	h.mu.Unlock()
	if left != 0 {
		t.Errorf("%d hosts remembered with no one waiting", left)
	}
}
