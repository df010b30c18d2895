package feed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"newsbrief/briefs"
	"newsbrief/briefs/feed/feedstore"
)

type testEnv struct {
	src   *Source
	lib   *briefs.Library
	store *memStore
	clock *fakeClock
}

// newEnv makes a source over a memory store and a fake clock, with
// private addresses allowed (httptest listens on 127.0.0.1), no jitter and
// a one-minute default interval.
func newEnv(t testing.TB, feeds []Feed, opts ...Option) *testEnv {
	t.Helper()
	e := &testEnv{lib: briefs.New(), store: newMemStore(), clock: newFakeClock(t0)}
	base := []Option{WithAllowPrivate(true), WithClock(e.clock), WithJitter(0), WithInterval(time.Minute), WithTimeout(5 * time.Second)}
	e.src = New(e.lib, e.store, feeds, append(base, opts...)...)
	return e
}

func (e *testEnv) fetch(t testing.TB) error {
	t.Helper()
	return e.src.FetchDue(context.Background())
}

// articles returns origin's articles by title.
func (e *testEnv) articles(origin string) map[string]briefs.Article {
	out := map[string]briefs.Article{}
	for _, a := range e.lib.All() {
		if a.Origin == origin {
			out[a.Title] = a
		}
	}
	return out
}

func (e *testEnv) status(t testing.TB, name string) FeedStatus {
	t.Helper()
	for _, st := range e.src.Status() {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("no status for %s", name)
	return FeedStatus{}
}

func itemsOf(t testing.TB, s *memStore, origin string) map[string]feedstore.Item {
	t.Helper()
	items, _ := s.Items(context.Background(), origin)
	out := map[string]feedstore.Item{}
	for _, it := range items {
		out[it.Title] = it
	}
	return out
}

func TestFetchRSS(t *testing.T) {
	srv := newFeedServer(t)
	srv.putFixture(t, "/rss.xml", "rss2.xml")
	e := newEnv(t, []Feed{{Name: "gazette", URL: srv.URL + "/rss.xml"}})
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	if ua := srv.header("/rss.xml").Get("User-Agent"); !strings.HasPrefix(ua, "newsbrief/") {
		t.Errorf("User-Agent %q does not name newsbrief", ua)
	}
	items := itemsOf(t, e.store, "gazette")
	if len(items) != 3 {
		t.Fatalf("stored %d items, want 3: %v", len(items), items)
	}
	budget, ok := items["Council & mayor agree on the harbour budget"]
	if !ok {
		t.Fatalf("no budget item among %v", keys(items))
	}
	if budget.Identity != "guid:gazette-2024-0412" || budget.GUID != "gazette-2024-0412" {
		t.Errorf("budget identity %q GUID %q", budget.Identity, budget.GUID)
	}
	if want := srv.URL + "/news/budget?page=2"; budget.Link != want {
		t.Errorf("budget link %q, want %q", budget.Link, want)
	}
	if budget.TitleKey != "council mayor agree on the harbour budget | the town council and the mayor agreed on thursday night on a" {
		t.Errorf("budget title key %q", budget.TitleKey)
	}
	if want := srv.URL + "/img/budget.jpg"; budget.Image != want {
		t.Errorf("budget image %q, want %q (the 1x1 media:content is a tracking pixel)", budget.Image, want)
	}
	if paras := strings.Split(budget.Text, "\n\n"); len(paras) != 3 || !strings.HasPrefix(paras[2], "Opposition members called the deal rushed & said") {
		t.Errorf("budget text paragraphs %q", paras)
	}
	for _, bad := range []string{"<", "&amp;", "track", "gif"} {
		if strings.Contains(budget.Text+budget.Title, bad) {
			t.Errorf("budget text or title has %q: %q", bad, budget.Text)
		}
	}
	if !budget.Published.Equal(time.Date(2024, 4, 12, 9, 30, 0, 0, time.UTC)) || !budget.Fetched.Equal(t0) {
		t.Errorf("budget published %v fetched %v", budget.Published, budget.Fetched)
	}
	rail := items["Rail line to reopen after storm repairs"]
	if want := "link:" + srv.URL + "/news/rail?id=7"; rail.Identity != want {
		t.Errorf("rail identity %q, want %q (link without fbclid)", rail.Identity, want)
	}
	if rail.Image != srv.URL+"/img/rail.jpg" {
		t.Errorf("rail image %q, want the image enclosure", rail.Image)
	}
	light := items["Lighthouse open day"]
	if !strings.HasPrefix(light.Identity, "hash:") || light.Link != "" {
		t.Errorf("lighthouse (no GUID, no link) identity %q link %q, want a hash", light.Identity, light.Link)
	}

	arts := e.articles("gazette")
	if len(arts) != 3 || e.lib.Count("gazette") != 3 {
		t.Fatalf("library has %d gazette articles, want 3", len(arts))
	}
	a := arts[budget.Title]
	if a.ID != briefs.NewID("gazette\n"+budget.Identity, budget.Title) || a.URL != srv.URL+"/news/budget/?utm_source=rss&utm_medium=feed&page=2#comments" ||
		a.Image != budget.Image || !a.Dated || !a.Date.Equal(budget.Published) || len(a.Paragraphs) != 3 || a.Words < 80 || a.File != "" {
		t.Errorf("budget article %+v", a)
	}
	if l := arts["Lighthouse open day"]; l.Dated || !l.Date.Equal(t0) {
		t.Errorf("undated item: Dated %v Date %v, want the fetch time", l.Dated, l.Date)
	}
	// Long enough items and items without a link fetch no page.
	for _, p := range []string{"/news/budget/", "/news/rail"} {
		if n := srv.count(p); n != 0 {
			t.Errorf("%s fetched %d times; only teasers' pages are", p, n)
		}
	}
	st := e.status(t, "gazette")
	if st.Articles != 3 || !st.LastSuccess.Equal(t0) || st.LastError != "" || !st.NextTry.Equal(t0.Add(time.Minute)) {
		t.Errorf("status %+v", st)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestFetchAtomAndJSONFeed(t *testing.T) {
	srv := newFeedServer(t)
	srv.putFixture(t, "/atom.xml", "atom.xml")
	srv.putFixture(t, "/feed.json", "feed.json")
	e := newEnv(t, []Feed{{Name: "courier", URL: srv.URL + "/atom.xml"}, {Name: "hill", URL: srv.URL + "/feed.json"}})
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	atom := itemsOf(t, e.store, "courier")
	robot, ok := atom["School wins robotics final"]
	if !ok {
		t.Fatalf("atom items %v", keys(atom))
	}
	if robot.Identity != "guid:tag:courier.example,2024:robotics" || robot.Image != srv.URL+"/img/robot.png" ||
		robot.Link != srv.URL+"/2024/robotics" || !robot.Published.Equal(time.Date(2024, 4, 12, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("robotics item %+v", robot)
	}
	if n := len(strings.Split(robot.Text, "\n\n")); n != 3 {
		t.Errorf("robotics text has %d paragraphs, want 3: %q", n, robot.Text)
	}
	bridge := atom["Bridge closed for inspection"]
	if !bridge.Published.Equal(time.Date(2024, 4, 11, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("bridge (updated only) published %v", bridge.Published)
	}
	// The bridge summary is a teaser whose page is missing: the teaser stays.
	if srv.count("/2024/bridge") != 1 || !strings.HasPrefix(bridge.Text, "The old stone bridge") {
		t.Errorf("bridge page fetched %d times, text %q", srv.count("/2024/bridge"), bridge.Text)
	}

	js := itemsOf(t, e.store, "hill")
	hall := js["Market hall to get a new roof"]
	if hall.Identity != "guid:hill-1001" || hall.Image != srv.URL+"/img/hall.webp" ||
		!hall.Published.Equal(time.Date(2024, 4, 10, 10, 0, 0, 0, time.UTC)) || strings.Count(hall.Text, "\n\n") != 1 ||
		!strings.Contains(hall.Text, "traders' association") {
		t.Errorf("hall item %+v", hall)
	}
	choir, ok := js["The town choir sings in the cathedral on Sunday evening."]
	if !ok {
		t.Fatalf("untitled JSON item not titled by its text: %v", keys(js))
	}
	if choir.Text != "The town choir sings in the cathedral on Sunday evening.\n\nTickets at the door." {
		t.Errorf("choir text %q", choir.Text)
	}
	if e.lib.Count("courier") != 2 || e.lib.Count("hill") != 2 {
		t.Errorf("library counts courier %d hill %d", e.lib.Count("courier"), e.lib.Count("hill"))
	}
}

func TestTeaserFullText(t *testing.T) {
	srv := newFeedServer(t)
	srv.putFixture(t, "/teaser.xml", "teaser.xml")
	srv.putFixture(t, "/story/ferry", "ferry.html")
	e := newEnv(t, []Feed{{Name: "teasers", URL: srv.URL + "/teaser.xml"}})
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	items := itemsOf(t, e.store, "teasers")
	ferry := items["Ferry service returns to the island"]
	paras := strings.Split(ferry.Text, "\n\n")
	if len(paras) < 4 || !strings.Contains(ferry.Text, "needed a second vessel") || countWords(paras) < 150 {
		t.Errorf("ferry text is not the page's article: %q", ferry.Text)
	}
	for _, clutter := range []string{"Privacy", "Related", "Weather", "analytics", "font-family"} {
		if strings.Contains(ferry.Text, clutter) {
			t.Errorf("ferry text has the page's clutter %q: %q", clutter, ferry.Text)
		}
	}
	if want := srv.URL + "/img/ferry-og.jpg"; ferry.Image != want {
		t.Errorf("ferry image %q, want the page's og:image %q", ferry.Image, want)
	}
	if h := srv.header("/story/ferry"); !strings.HasPrefix(h.Get("User-Agent"), "newsbrief/") {
		t.Errorf("page fetch User-Agent %q", h.Get("User-Agent"))
	}
	lib := items["Library extends its opening hours"]
	if lib.Text != "The town library opens until eight on weekdays from May." || lib.Image != "" {
		t.Errorf("the teaser of a missing page changed: %+v", lib)
	}
	if a := e.articles("teasers")[ferry.Title]; a.Words != countWords(paras) || a.Image != ferry.Image {
		t.Errorf("ferry article words %d image %q", a.Words, a.Image)
	}

	// The next poll fetches no page again: the items are known.
	e.clock.Advance(time.Minute)
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	if n, m := srv.count("/story/ferry"), srv.count("/story/missing"); n != 1 || m != 1 {
		t.Errorf("pages fetched %d and %d times over two polls, want once each", n, m)
	}
}

// rssItem and rssDoc build small RSS documents for tests that change a feed.
type rssItem struct{ guid, link, title, date, desc string }

func rssDoc(items ...rssItem) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>http://t.example/</link><description>d</description>`)
	for _, it := range items {
		b.WriteString("<item>")
		if it.guid != "" {
			fmt.Fprintf(&b, "<guid>%s</guid>", it.guid)
		}
		if it.link != "" {
			fmt.Fprintf(&b, "<link>%s</link>", it.link)
		}
		if it.date != "" {
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", it.date)
		}
		desc := it.desc
		if desc == "" {
			desc = strings.Repeat("Enough words to be a story and not a teaser. ", 10)
		}
		fmt.Fprintf(&b, "<title>%s</title><description>%s</description></item>", it.title, desc)
	}
	b.WriteString("</channel></rss>")
	return []byte(b.String())
}

func TestEachStoryOnce(t *testing.T) {
	srv := newFeedServer(t)
	const d1, d2 = "Mon, 08 Apr 2024 10:00:00 GMT", "Wed, 10 Apr 2024 10:00:00 GMT"
	srv.put("/f.xml", doc{body: rssDoc(
		rssItem{guid: "a1", link: srv.URL + "/a", title: "Alpha story", date: d1},
		rssItem{guid: "b1", link: srv.URL + "/b", title: "Beta story", date: d1},
		rssItem{guid: "c1", link: srv.URL + "/c", title: "Gamma story", date: d1},
	)})
	e := newEnv(t, []Feed{{Name: "f", URL: srv.URL + "/f.xml"}})
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	before := e.articles("f")
	if len(before) != 3 {
		t.Fatalf("first poll: %d articles", len(before))
	}
	srv.put("/f.xml", doc{body: rssDoc(
		// Re-dated and re-worded: same GUID.
		rssItem{guid: "a1", link: srv.URL + "/a", title: "Alpha story (updated)", date: d2},
		// Changed GUID, same link decorated with tracking parameters.
		rssItem{guid: "b2", link: srv.URL + "/b/?utm_source=twitter#x", title: "Beta story, revised", date: d2},
		// Changed GUID and link, same title up to case and punctuation.
		rssItem{guid: "c2", link: srv.URL + "/c-moved", title: "GAMMA  story!", date: d2},
		// Really new.
		rssItem{guid: "d1", link: srv.URL + "/d", title: "Delta story", date: d2},
		// New, and listed twice in one fetch.
		rssItem{guid: "e1", link: srv.URL + "/e", title: "Epsilon story", date: d2},
		rssItem{guid: "e1", link: srv.URL + "/e", title: "Epsilon story", date: d2},
	)})
	e.clock.Advance(time.Minute)
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	after := e.articles("f")
	if len(after) != 5 {
		t.Fatalf("second poll: articles %v, want the first three and Delta and Epsilon", keys(after))
	}
	for _, title := range []string{"Alpha story", "Beta story", "Gamma story"} {
		a, ok := after[title]
		if !ok || a.ID != before[title].ID || !a.Date.Equal(before[title].Date) {
			t.Errorf("%s changed or went: before %+v after %+v", title, before[title], a)
		}
	}
	if _, ok := after["Delta story"]; !ok {
		t.Error("Delta story is new but missing")
	}
}

func TestSameStoryInTwoFeeds(t *testing.T) {
	srv := newFeedServer(t)
	story := rssItem{guid: "wire-123", link: "https://wire.example/story/123", title: "Ministers meet on water rights", date: "Mon, 08 Apr 2024 10:00:00 GMT"}
	srv.put("/one.xml", doc{body: rssDoc(story)})
	srv.put("/two.xml", doc{body: rssDoc(story)})
	e := newEnv(t, []Feed{{Name: "one", URL: srv.URL + "/one.xml"}, {Name: "two", URL: srv.URL + "/two.xml"}}, WithMaxPages(0))
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	one, two := e.articles("one")[story.title], e.articles("two")[story.title]
	if one.ID == "" || two.ID == "" || one.ID == two.ID {
		t.Errorf("the story is stored per feed with its own ID: one %q two %q", one.ID, two.ID)
	}
	if e.lib.Len() != 2 {
		t.Errorf("library has %d articles, want 2 (grouping across sources is the library's)", e.lib.Len())
	}
}

func TestConditionalGetAndMaxAge(t *testing.T) {
	srv := newFeedServer(t)
	srv.put("/f.xml", doc{body: rssDoc(rssItem{guid: "1", title: "One"}), header: map[string]string{
		"ETag": `"v1"`, "Last-Modified": "Sat, 13 Apr 2024 10:00:00 GMT", "Cache-Control": "public, max-age=7200",
	}})
	e := newEnv(t, []Feed{{Name: "f", URL: srv.URL + "/f.xml"}})
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	st := e.store.state(srv.URL + "/f.xml")
	if st.ETag != `"v1"` || st.LastModified != "Sat, 13 Apr 2024 10:00:00 GMT" {
		t.Errorf("validators not kept: %+v", st)
	}
	if !st.NextTry.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("next try %v, want max-age (2h) over the 1m interval", st.NextTry)
	}
	// Not due yet: nothing is fetched.
	e.clock.Advance(time.Hour)
	e.fetch(t)
	if n := srv.count("/f.xml"); n != 1 {
		t.Fatalf("fetched %d times before max-age ran out", n)
	}
	e.clock.Advance(time.Hour)
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	h := srv.header("/f.xml")
	if h.Get("If-None-Match") != `"v1"` || h.Get("If-Modified-Since") != "Sat, 13 Apr 2024 10:00:00 GMT" {
		t.Errorf("conditional headers %v", h)
	}
	st = e.store.state(srv.URL + "/f.xml")
	if st.ETag != `"v1"` || !st.LastSuccess.Equal(t0.Add(2*time.Hour)) || st.Failures != 0 {
		t.Errorf("after a 304: %+v", st)
	}
	if e.lib.Count("f") != 1 {
		t.Errorf("a 304 changed the library: %d articles", e.lib.Count("f"))
	}
}

func TestRetryAfter(t *testing.T) {
	srv := newFeedServer(t)
	srv.put("/busy.xml", doc{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "3600"}})
	srv.put("/down.xml", doc{status: http.StatusServiceUnavailable, header: map[string]string{
		"Retry-After": t0.Add(2 * time.Hour).Format(http.TimeFormat)}})
	e := newEnv(t, []Feed{{Name: "busy", URL: srv.URL + "/busy.xml"}, {Name: "down", URL: srv.URL + "/down.xml"}})
	err := e.fetch(t)
	if err == nil || !strings.Contains(err.Error(), "feed busy") || !strings.Contains(err.Error(), "feed down") {
		t.Errorf("FetchDue error %v, want both feeds named", err)
	}
	busy := e.status(t, "busy")
	if !busy.NextTry.Equal(t0.Add(time.Hour)) || busy.Failures != 1 || !strings.Contains(busy.LastError, "429") {
		t.Errorf("429 status %+v, want the next try an hour on", busy)
	}
	if down := e.status(t, "down"); !down.NextTry.Equal(t0.Add(2*time.Hour)) || !strings.Contains(down.LastError, "503") {
		t.Errorf("503 status %+v, want the next try at the Retry-After date", down)
	}
}

func TestBackoff(t *testing.T) {
	srv := newFeedServer(t)
	srv.put("/f.xml", doc{status: http.StatusInternalServerError})
	srv.put("/ok.xml", doc{body: rssDoc(rssItem{guid: "1", title: "Fine"})})
	e := newEnv(t, []Feed{{Name: "f", URL: srv.URL + "/f.xml"}, {Name: "ok", URL: srv.URL + "/ok.xml", Every: time.Hour}})
	var waits []time.Duration
	for range 12 {
		now := e.clock.Now()
		e.fetch(t)
		st := e.status(t, "f")
		waits = append(waits, st.NextTry.Sub(now))
		e.clock.Set(st.NextTry)
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute,
		64 * time.Minute, 128 * time.Minute, 256 * time.Minute, 6 * time.Hour, 6 * time.Hour, 6 * time.Hour}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
	if st := e.status(t, "f"); st.Failures != 12 || !strings.Contains(st.LastError, "500") || !strings.Contains(st.LastError, "/f.xml") {
		t.Errorf("failing status %+v", st)
	}
	// The failing feed's backoff is its own: the hourly feed kept its pace.
	if st := e.status(t, "ok"); st.Failures != 0 || st.NextTry.Sub(st.LastSuccess) != time.Hour || srv.count("/ok.xml") < 7 {
		t.Errorf("good feed %+v after %d fetches", st, srv.count("/ok.xml"))
	}
	srv.put("/f.xml", doc{body: rssDoc(rssItem{guid: "1", title: "Back"})})
	e.fetch(t)
	if st := e.status(t, "f"); st.Failures != 0 || st.LastError != "" || !st.LastSuccess.Equal(e.clock.Now()) || st.Articles != 1 {
		t.Errorf("after recovery %+v", st)
	}
}

func TestInvalidFeedDoesNotStopOthers(t *testing.T) {
	srv := newFeedServer(t)
	srv.putFixture(t, "/bad.xml", "invalid.xml")
	srv.put("/html", doc{body: []byte("<html><body>not a feed</body></html>"), contentType: "text/html"})
	srv.putFixture(t, "/good.xml", "rss2.xml")
	e := newEnv(t, []Feed{{Name: "bad", URL: srv.URL + "/bad.xml"}, {Name: "html", URL: srv.URL + "/html"}, {Name: "good", URL: srv.URL + "/good.xml"}})
	e.fetch(t)
	for _, name := range []string{"bad", "html"} {
		if st := e.status(t, name); !strings.Contains(st.LastError, "parse feed "+name) || st.Failures != 1 {
			t.Errorf("%s status %+v", name, st)
		}
	}
	if e.lib.Count("good") != 3 {
		t.Errorf("good feed has %d articles", e.lib.Count("good"))
	}
}

func TestSlowServer(t *testing.T) {
	srv := newFeedServer(t)
	fastSaved := make(chan struct{})
	var overlapped atomic.Bool
	srv.put("/slow.xml", doc{handler: func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-fastSaved:
			overlapped.Store(true)
		case <-r.Context().Done():
		}
		<-r.Context().Done()
	}})
	srv2 := newFeedServer(t) // another host
	srv2.put("/fast.xml", doc{body: rssDoc(rssItem{guid: "1", title: "Quick"})})
	e := newEnv(t, []Feed{{Name: "slow", URL: srv.URL + "/slow.xml"}, {Name: "fast", URL: srv2.URL + "/fast.xml"}},
		WithTimeout(2*time.Second))
	var once sync.Once
	e.store.saved = func(origin string) {
		if origin == "fast" {
			once.Do(func() { close(fastSaved) })
		}
	}
	e.fetch(t)
	st := e.status(t, "slow")
	if !strings.Contains(st.LastError, "timed out") || st.Failures != 1 {
		t.Errorf("slow status %+v", st)
	}
	if !overlapped.Load() || e.lib.Count("fast") != 1 {
		t.Errorf("the fast feed waited for the slow one (stored while slow in flight: %v)", overlapped.Load())
	}
}

func TestBodyLimit(t *testing.T) {
	srv := newFeedServer(t)
	big := rssDoc(rssItem{guid: "1", title: "Big", desc: strings.Repeat("word ", 1000)})
	srv.put("/sized.xml", doc{body: big})
	srv.put("/chunked.xml", doc{handler: func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < len(big); i += 512 {
			w.Write(big[i:min(i+512, len(big))])
			w.(http.Flusher).Flush() // no Content-Length: the reader must count
		}
	}})
	e := newEnv(t, []Feed{{Name: "sized", URL: srv.URL + "/sized.xml"}, {Name: "chunked", URL: srv.URL + "/chunked.xml"}},
		WithMaxBody(2048))
	e.fetch(t)
	for _, name := range []string{"sized", "chunked"} {
		if st := e.status(t, name); !strings.Contains(st.LastError, "body too large") || st.Articles != 0 {
			t.Errorf("%s status %+v", name, st)
		}
	}
	_, err := e.src.get.get(context.Background(), srv.URL+"/chunked.xml", feedAccept, "", "")
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("get error %v, want ErrTooLarge", err)
	}
}

func TestPrivateAddressesRefused(t *testing.T) {
	private := newFeedServer(t)
	private.put("/f.xml", doc{body: rssDoc(rssItem{guid: "1", title: "Secret"})})
	public := newFeedServer(t)
	public.put("/redirect", doc{handler: func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, private.URL+"/f.xml", http.StatusFound)
	}})
	public.put("/ftp", doc{handler: func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://files.example/feed.xml", http.StatusFound)
	}})
	public.put("/loop", doc{handler: func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	}})
	public.put("/hop", doc{handler: func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/direct.xml", http.StatusMovedPermanently)
	}})
	public.put("/direct.xml", doc{body: rssDoc(rssItem{guid: "1", title: "Public"})})
	pub, err := netip.ParseAddrPort(public.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	// Only the "public" server's address passes; every other address goes
	// through the real check, at dial time, after DNS.
	isPublic := withPublicAddr(func(ap netip.AddrPort) bool { return ap == pub })
	_, privPort, _ := strings.Cut(strings.TrimPrefix(private.URL, "http://"), ":")
	feeds := []Feed{
		{Name: "redirect", URL: public.URL + "/redirect"},
		{Name: "direct", URL: private.URL + "/f.xml"},
		{Name: "dns", URL: "http://localhost:" + privPort + "/f.xml"},
		{Name: "ftp", URL: public.URL + "/ftp"},
		{Name: "loop", URL: public.URL + "/loop"},
		{Name: "hop", URL: public.URL + "/hop"},
	}
	e := newEnv(t, feeds, WithAllowPrivate(false), isPublic)
	e.fetch(t)
	for _, name := range []string{"redirect", "direct", "dns"} {
		if st := e.status(t, name); !strings.Contains(st.LastError, "address not allowed") || !strings.Contains(st.LastError, "loopback") {
			t.Errorf("%s: %+v, want a refused loopback address", name, st)
		}
	}
	if n := private.count("/f.xml"); n != 0 {
		t.Errorf("the private server was reached %d times", n)
	}
	if st := e.status(t, "ftp"); !strings.Contains(st.LastError, "scheme not allowed") {
		t.Errorf("ftp: %+v", st)
	}
	if st := e.status(t, "loop"); !strings.Contains(st.LastError, "too many redirects") || public.count("/loop") != 6 {
		t.Errorf("loop: %+v after %d requests, want refused after 5 redirects", st, public.count("/loop"))
	}
	if st := e.status(t, "hop"); st.LastError != "" || st.Articles != 1 {
		t.Errorf("a redirect within the public server: %+v", st)
	}

	// Allowed, the same redirect is followed.
	e2 := newEnv(t, feeds[:1])
	if err := e2.fetch(t); err != nil || e2.lib.Count("redirect") != 1 {
		t.Errorf("with private addresses allowed: %v, %d articles", err, e2.lib.Count("redirect"))
	}
}

func TestOneRequestAtATimePerHost(t *testing.T) {
	srv := newFeedServer(t)
	var mu sync.Mutex
	inflight, most := 0, 0
	slow := func(body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inflight++
			most = max(most, inflight)
			mu.Unlock()
			// Long enough for a second request to arrive if it were sent.
			time.Sleep(50 * time.Millisecond)
			mu.Lock()
			inflight--
			mu.Unlock()
			w.Write(body)
		}
	}
	var feeds []Feed
	for i := range 4 {
		p := fmt.Sprintf("/f%d.xml", i)
		srv.put(p, doc{handler: slow(rssDoc(rssItem{guid: "1", title: "T"}))})
		feeds = append(feeds, Feed{Name: p, URL: srv.URL + p})
	}
	e := newEnv(t, feeds)
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	if most != 1 {
		t.Errorf("%d requests at once to one host", most)
	}
}

func TestRestartFetchesNothingTwice(t *testing.T) {
	srv := newFeedServer(t)
	srv.putFixture(t, "/rss.xml", "rss2.xml")
	feeds := []Feed{{Name: "gazette", URL: srv.URL + "/rss.xml", Every: time.Hour}}
	e := newEnv(t, feeds)
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	ids := e.articles("gazette")

	// A new process on the same store, ten minutes later.
	lib := briefs.New()
	clock := newFakeClock(t0.Add(10 * time.Minute))
	src := New(lib, e.store, feeds, WithAllowPrivate(true), WithClock(clock), WithJitter(0))
	if err := src.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if lib.Count("gazette") != 3 {
		t.Fatalf("after restart the library has %d articles before any fetch", lib.Count("gazette"))
	}
	for _, a := range lib.All() {
		if ids[a.Title].ID != a.ID {
			t.Errorf("%q has ID %s after restart, %s before", a.Title, a.ID, ids[a.Title].ID)
		}
	}
	if err := src.FetchDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := srv.count("/rss.xml"); n != 1 {
		t.Errorf("feed fetched %d times: the restart did not wait for its next try", n)
	}
	if st := src.Status()[0]; !st.LastSuccess.Equal(t0) || !st.NextTry.Equal(t0.Add(time.Hour)) {
		t.Errorf("state not restored: %+v", st)
	}
}

func TestSetFeedsAndPrune(t *testing.T) {
	srv := newFeedServer(t)
	srv.putFixture(t, "/rss.xml", "rss2.xml")
	srv.putFixture(t, "/atom.xml", "atom.xml")
	e := newEnv(t, []Feed{{Name: "gazette", URL: srv.URL + "/rss.xml"}}, WithMaxPages(0))
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := e.src.SetFeeds(ctx, []Feed{{Name: "courier", URL: srv.URL + "/atom.xml", Every: 2 * time.Hour}}); err != nil {
		t.Fatal(err)
	}
	if e.lib.Count("gazette") != 0 {
		t.Error("a removed feed's articles stay in the library")
	}
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	if got := e.src.Status(); len(got) != 1 || got[0].Name != "courier" || got[0].Articles != 2 || got[0].Every != 2*time.Hour {
		t.Errorf("status after SetFeeds %+v", got)
	}
	// A shorter interval applies at once.
	e.src.SetFeeds(ctx, []Feed{{Name: "courier", URL: srv.URL + "/atom.xml", Every: 10 * time.Minute}})
	if got := e.src.Status()[0]; !got.NextTry.Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("next try %v after the interval went down to 10m", got.NextTry)
	}
	// Back again: its stored items return at once, without a fetch.
	e.src.SetFeeds(ctx, []Feed{{Name: "courier", URL: srv.URL + "/atom.xml"}, {Name: "gazette", URL: srv.URL + "/rss.xml"}})
	if e.lib.Count("gazette") != 3 || srv.count("/rss.xml") != 1 {
		t.Errorf("gazette back: %d articles, %d fetches", e.lib.Count("gazette"), srv.count("/rss.xml"))
	}

	e.clock.Advance(20 * 24 * time.Hour)
	srv.put("/atom.xml", doc{body: rssDoc(rssItem{guid: "late", title: "Late news"})})
	e.fetch(t)
	e.clock.Advance(11 * 24 * time.Hour)
	n, err := e.src.Prune(ctx, 720*time.Hour)
	if err != nil || n != 5 {
		t.Fatalf("pruned %d, %v; want the 5 items fetched 31 days ago", n, err)
	}
	if e.lib.Count("gazette") != 0 || e.lib.Count("courier") != 1 {
		t.Errorf("after prune: gazette %d courier %d", e.lib.Count("gazette"), e.lib.Count("courier"))
	}
}

func TestRun(t *testing.T) {
	srv := newFeedServer(t)
	requests := make(chan string, 10)
	srv.put("/f.xml", doc{handler: func(w http.ResponseWriter, r *http.Request) {
		w.Write(rssDoc(rssItem{guid: "1", title: "One"}))
		requests <- r.URL.Path
	}})
	e := newEnv(t, []Feed{{Name: "f", URL: srv.URL + "/f.xml", Every: time.Hour}})
	saved := make(chan string, 10)
	e.store.saved = func(origin string) { saved <- origin }
	states := make(chan feedstore.State, 10)
	e.store.stateSaved = func(st feedstore.State) { states <- st }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.src.Run(ctx) }()
	<-requests
	<-saved
	// Due in an hour; nothing happens until the clock says so.
	if st := <-states; !st.NextTry.Equal(t0.Add(time.Hour)) {
		t.Errorf("next try %v", st.NextTry)
	}
	e.clock.Advance(time.Hour)
	<-requests
	<-states
	// A feed added while running is fetched at once.
	srv.put("/g.xml", doc{body: rssDoc(rssItem{guid: "1", title: "Gee"})})
	e.src.SetFeeds(context.Background(), []Feed{{Name: "f", URL: srv.URL + "/f.xml", Every: time.Hour}, {Name: "g", URL: srv.URL + "/g.xml"}})
	if origin := <-saved; origin != "g" {
		t.Errorf("saved %s, want g", origin)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if n := srv.count("/f.xml"); n != 2 {
		t.Errorf("f fetched %d times, want 2", n)
	}
}

func TestCheck(t *testing.T) {
	srv := newFeedServer(t)
	srv.putFixture(t, "/rss.xml", "rss2.xml")
	srv.putFixture(t, "/bad.xml", "invalid.xml")
	src := New(nil, nil, nil, WithAllowPrivate(true))
	ctx := context.Background()
	r := src.Check(ctx, Feed{Name: "gazette", URL: srv.URL + "/rss.xml"})
	if r.Status != 200 || r.Items != 3 || r.Err != nil {
		t.Errorf("check good feed: %+v", r)
	}
	r = src.Check(ctx, Feed{Name: "bad", URL: srv.URL + "/bad.xml"})
	if r.Status != 200 || r.Err == nil || !strings.Contains(r.Err.Error(), "parse feed bad") {
		t.Errorf("check invalid feed: %+v", r)
	}
	r = src.Check(ctx, Feed{Name: "gone", URL: srv.URL + "/gone.xml"})
	if r.Status != 404 || !errors.Is(r.Err, ErrHTTPStatus) {
		t.Errorf("check missing feed: %+v", r)
	}
	r = New(nil, nil, nil).Check(ctx, Feed{Name: "local", URL: srv.URL + "/rss.xml"})
	if !errors.Is(r.Err, ErrForbiddenAddress) || r.Status != 0 {
		t.Errorf("check without allow-private: %+v", r)
	}
}

func TestTeaserKeptWhenThePageHasLess(t *testing.T) {
	srv := newFeedServer(t)
	teaser := "Short teaser of a story that the page itself barely tells, with a few more words than the page."
	srv.put("/f.xml", doc{body: []byte(`<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title><link>` + srv.URL + `/</link><description>d</description>
<item><guid>1</guid><title>Thin page</title><link>` + srv.URL + `/thin</link><description>` + teaser + `</description>
<media:thumbnail url="` + srv.URL + `/own.jpg"/></item>
<item><guid>2</guid><title>Not HTML</title><link>` + srv.URL + `/pdf</link><description>A teaser pointing at a document.</description></item>
</channel></rss>`)})
	srv.put("/thin", doc{contentType: "text/html", body: []byte(`<html><head><meta property="og:image" content="/og.jpg"></head><body><p>Page.</p></body></html>`)})
	srv.put("/pdf", doc{contentType: "application/pdf", body: []byte("%PDF-1.4")})
	e := newEnv(t, []Feed{{Name: "f", URL: srv.URL + "/f.xml"}})
	if err := e.fetch(t); err != nil {
		t.Fatal(err)
	}
	items := itemsOf(t, e.store, "f")
	if thin := items["Thin page"]; thin.Text != teaser || thin.Image != srv.URL+"/own.jpg" {
		t.Errorf("thin page item %+v: want its teaser and its own picture", thin)
	}
	if pdf := items["Not HTML"]; pdf.Text != "A teaser pointing at a document." || srv.count("/pdf") != 1 {
		t.Errorf("non-HTML page item %+v", pdf)
	}
}
