package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"newsbrief/bot/digest/digesttest"
	"newsbrief/briefs"
	"newsbrief/briefs/feed"
	"newsbrief/briefs/feed/feedstore"
	"newsbrief/briefs/folder"
	"newsbrief/store/sqlite"
)

// rssOne is a feed document of one item.
func rssOne(guid, title string) []byte {
	return fmt.Appendf(nil, `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>http://t.example/</link>`+
		`<description>d</description><item><guid>%s</guid><title>%s</title><pubDate>%s</pubDate><description>%s</description></item></channel></rss>`,
		guid, title, time.Now().UTC().Format(http.TimeFormat), strings.Repeat("Enough words to be a story and not a teaser. ", 10))
}

// TestCheckTriesFeedsConcurrently: check tries every feed at once: three
// hosts each hold their request until all three have one, which a check
// trying feeds one by one would never reach (it would wait for a timeout
// on the first and report the others pending or failed).
func TestCheckTriesFeedsConcurrently(t *testing.T) {
	dir := isolate(t)
	writeFile(t, filepath.Join(dir, "articles", "bridge.txt"), seedLike)
	const hosts = 3
	var mu sync.Mutex
	seen := map[int]bool{}
	all := make(chan struct{})
	var lines, urls []string
	for h := range hosts {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[h] = true
			if len(seen) == hosts {
				select {
				case <-all:
				default:
					close(all)
				}
			}
			mu.Unlock()
			select {
			case <-all:
				w.Write(rssOne("1", fmt.Sprintf("Story of host %d", h)))
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(srv.Close)
		lines = append(lines, fmt.Sprintf("host%d %s/feed.xml", h, srv.URL))
		urls = append(urls, srv.URL+"/feed.xml")
	}
	writeFile(t, filepath.Join(dir, "feeds.txt"), strings.Join(lines, "\n")+"\n")
	t.Setenv("FEEDS_ALLOW_PRIVATE", "1")
	code, out, errOut := runCLI(t, "", "", "check")
	if code != exitOK {
		t.Errorf("check: exit %d\n%s%s", code, out, errOut)
	}
	for h := range hosts {
		if want := fmt.Sprintf("host%d (%s): 200, 1 items", h, urls[h]); !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "pending") || strings.Contains(out, "failed") {
		t.Errorf("check reported a feed pending or failed:\n%s", out)
	}
}

// hangHost is a host that takes requests and never answers them; each
// request's arrival is sent on arrived.
func hangHost(t *testing.T, arrived chan<- string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- r.URL.Path
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestOfflineCommandsNamePendingFeeds: check, digest and console wait for
// the feeds at most one fetch timeout and its grace (by the source's
// clock, here a fake one the test moves once the silent hosts have their
// requests), then answer with what they have and name the feeds still
// pending.
func TestOfflineCommandsNamePendingFeeds(t *testing.T) {
	dir := isolate(t)
	writeFile(t, filepath.Join(dir, "articles", "bridge.txt"), seedLike)
	arrived := make(chan string, 100)
	a, b := hangHost(t, arrived), hangHost(t, arrived)
	writeFile(t, filepath.Join(dir, "feeds.txt"), "quiet-a "+a.URL+"/a.xml\nquiet-b "+b.URL+"/b.xml\n")
	t.Setenv("FEEDS_ALLOW_PRIVATE", "1")
	t.Setenv("DATABASE_PATH", filepath.Join(dir, "nb.db"))
	wait := feed.DefaultTimeout + offlineGrace
	note := fmt.Sprintf("2 still pending after %s (tried again next time): quiet-a, quiet-b", wait)

	// run runs cmd with a fake clock, and moves the clock on by the wait
	// each time both silent hosts have a request, rounds times.
	run := func(name string, rounds int, cmd func(context.Context, env) int, stdin string) (int, string, string) {
		t.Helper()
		clock := digesttest.NewClock(time.Now())
		var out, errOut bytes.Buffer
		e := env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut,
			hooks: []sourceHooks{{feed: []feed.Option{feed.WithClock(clock)}}}}
		done := make(chan int, 1)
		go func() { done <- cmd(context.Background(), e) }()
		for range rounds {
			<-arrived
			<-arrived
			clock.Advance(wait)
		}
		code := <-done
		if len(arrived) > 0 {
			t.Errorf("%s: %d requests more than the silent hosts' %d rounds", name, len(arrived), rounds)
		}
		return code, out.String(), errOut.String()
	}

	// check: the tries, then the due fetch, each bounded.
	code, out, errOut := run("check", 2, runCheck, "")
	if code != exitOK {
		t.Errorf("check: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"quiet-a (" + a.URL + "/a.xml): pending: no answer within 21s",
		"quiet-b (" + b.URL + "/b.xml): pending: no answer within 21s",
		"feeds pending: " + note,
		"feeds not fetched: " + note,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	// digest: the files' news, and the feeds named on stderr.
	code, out, errOut = run("digest", 1, runDigest, "")
	if code != exitOK || !strings.Contains(out, "Harbour Bridge Reopens") || !strings.Contains(errOut, "feeds not fetched in time") ||
		!strings.Contains(errOut, note) {
		t.Errorf("digest: exit %d\n%s\n%s", code, out, errOut)
	}

	// console: said before the prompt.
	code, out, errOut = run("console", 1, runConsole, "")
	if code != exitOK || !strings.Contains(out, "Feeds not fetched: "+note+".") {
		t.Errorf("console: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestSourcesStatusSaysCap: /brief sources learns from the feed source
// which feeds keep as many items as FEED_MAX_ITEMS lets them.
func TestSourcesStatusSaysCap(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "nb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var items []feedstore.Item
	for i := range 3 {
		items = append(items, feedstore.Item{Origin: "full", Identity: fmt.Sprint("guid:", i), Title: fmt.Sprint("Story ", i), Fetched: time.Now()})
	}
	items = append(items, feedstore.Item{Origin: "roomy", Identity: "guid:r", Title: "Roomy story", Fetched: time.Now()})
	if _, err := st.SaveItems(ctx, items, 0); err != nil {
		t.Fatal(err)
	}
	lib := briefs.New()
	feeds := feed.New(lib, st, []feed.Feed{{Name: "full", URL: "https://full.example/rss"}, {Name: "roomy", URL: "https://roomy.example/rss"}},
		feed.WithMaxItems(3))
	if err := feeds.Load(ctx); err != nil {
		t.Fatal(err)
	}
	src := sources{lib: lib, folder: folder.New(lib, dir), feeds: feeds}
	caps := map[string]int{}
	for _, s := range src.Status() {
		caps[s.Name] = s.Cap
	}
	if caps["full"] != 3 || caps["roomy"] != 0 {
		t.Errorf("caps in /brief sources: %v, want full at its cap of 3 and roomy under it", caps)
	}
}
