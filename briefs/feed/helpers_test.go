package feed

import (
	"newsbrief/bot/digest/digesttest"

	"context"
	"net/http"
	"net/http/httptest"
	"newsbrief/briefs/feed/feedstore"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// memStore is an in-memory Store that follows Store's documented rules:
// an item is not new when an item of its origin has its Identity, its
// (non-empty) Link or its (non-empty) TitleKey; stored items are never
// updated; items are pruned by Fetched.
type memStore struct {
	mu     sync.Mutex
	items  []feedstore.Item
	states map[string]feedstore.State
	// saved, when set, is told the origin of every SaveItems call that
	// added something (after it is stored).
	saved func(origin string)
	// stateSaved, when set, is told every state saved.
	stateSaved func(feedstore.State)
	// saves records how many items each SaveItems call was given.
	saves []int
}

func newMemStore() *memStore { return &memStore{states: map[string]feedstore.State{}} }

func (m *memStore) SaveItems(_ context.Context, items []feedstore.Item, keep int) ([]feedstore.Item, error) {
	m.mu.Lock()
	m.saves = append(m.saves, len(items))
	var added []feedstore.Item
	for _, it := range items {
		known := false
		for _, old := range m.items {
			if old.Origin == it.Origin && (old.Identity == it.Identity ||
				(it.Link != "" && old.Link == it.Link) || (it.TitleKey != "" && old.TitleKey == it.TitleKey)) {
				known = true
				break
			}
		}
		if !known {
			m.items = append(m.items, it)
			added = append(added, it)
		}
	}
	gone := m.trim(keep)
	added = slices.DeleteFunc(added, func(it feedstore.Item) bool { return gone[it.Origin+"\n"+it.Identity] })
	saved := m.saved
	m.mu.Unlock()
	if saved != nil && len(added) > 0 {
		saved(added[0].Origin)
	}
	return added, nil
}

func (m *memStore) Items(_ context.Context, origin string) ([]feedstore.Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []feedstore.Item
	for _, it := range m.items {
		if origin == "" || it.Origin == origin {
			out = append(out, it)
		}
	}
	return out, nil
}

func (m *memStore) ItemText(_ context.Context, origin, identity string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, it := range m.items {
		if it.Origin == origin && it.Identity == identity {
			return it.Text, nil
		}
	}
	return "", feedstore.ErrItemGone
}

func (m *memStore) PruneItems(_ context.Context, before time.Time, keep int) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.items)
	m.items = slices.DeleteFunc(m.items, func(it feedstore.Item) bool { return it.Fetched.Before(before) })
	m.trim(keep)
	return int64(n - len(m.items)), nil
}

// trim keeps the newest keep items of each origin (all when keep <= 0),
// as the stores do, and returns the origin and identity of those it
// deleted. Called under mu.
func (m *memStore) trim(keep int) map[string]bool {
	gone := map[string]bool{}
	if keep <= 0 {
		return gone
	}
	slices.SortStableFunc(m.items, func(a, b feedstore.Item) int { return newer(ageOf(&b), ageOf(&a)) })
	count := map[string]int{}
	m.items = slices.DeleteFunc(m.items, func(it feedstore.Item) bool {
		count[it.Origin]++
		if count[it.Origin] > keep {
			gone[it.Origin+"\n"+it.Identity] = true
			return true
		}
		return false
	})
	return gone
}

func (m *memStore) FeedState(_ context.Context, url string) (feedstore.State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.states[url]
	if !ok {
		return feedstore.State{URL: url}, nil
	}
	return st, nil
}

func (m *memStore) SaveFeedState(_ context.Context, st feedstore.State) error {
	m.mu.Lock()
	m.states[st.URL] = st
	hook := m.stateSaved
	m.mu.Unlock()
	if hook != nil {
		hook(st)
	}
	return nil
}

func (m *memStore) state(url string) feedstore.State {
	st, _ := m.FeedState(context.Background(), url)
	return st
}

// fakeClock is a clock the test moves by hand: the digests' (the two
// packages' Clock interfaces are one shape).
type fakeClock = digesttest.Clock

func newFakeClock(t time.Time) *fakeClock { return digesttest.NewClock(t) }

// t0 is the tests' start of time: a fixed moment after every fixture's date.
var t0 = time.Date(2024, 4, 14, 12, 0, 0, 0, time.UTC)

// fixture reads testdata/name with {{BASE}} replaced by base.
func fixture(t testing.TB, name, base string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.ReplaceAll(string(b), "{{BASE}}", base))
}

// feedServer is a local server of documents at paths, changeable while it
// runs, that counts requests and records their headers.
type feedServer struct {
	*httptest.Server
	mu       sync.Mutex
	docs     map[string]doc
	requests map[string]int
	headers  map[string]http.Header // the last request's, by path
}

type doc struct {
	body        []byte
	contentType string
	header      map[string]string
	status      int
	handler     http.HandlerFunc // when set, serves the path instead
}

func newFeedServer(t testing.TB) *feedServer {
	fs := &feedServer{docs: map[string]doc{}, requests: map[string]int{}, headers: map[string]http.Header{}}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	fs.requests[r.URL.Path]++
	fs.headers[r.URL.Path] = r.Header.Clone()
	d, ok := fs.docs[r.URL.Path]
	fs.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if d.handler != nil {
		d.handler(w, r)
		return
	}
	for k, v := range d.header {
		w.Header().Set(k, v)
	}
	if d.contentType != "" {
		w.Header().Set("Content-Type", d.contentType)
	}
	if etag := d.header["ETag"]; etag != "" && r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if d.status != 0 {
		w.WriteHeader(d.status)
	}
	w.Write(d.body)
}

// put serves body at path.
func (fs *feedServer) put(path string, d doc) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.docs[path] = d
}

// putFixture serves testdata/name at path, as XML unless said otherwise.
func (fs *feedServer) putFixture(t testing.TB, path, name string) {
	ct := "application/rss+xml"
	switch filepath.Ext(name) {
	case ".json":
		ct = "application/feed+json"
	case ".html":
		ct = "text/html; charset=utf-8"
	}
	fs.put(path, doc{body: fixture(t, name, fs.URL), contentType: ct})
}

func (fs *feedServer) count(path string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.requests[path]
}

func (fs *feedServer) header(path string) http.Header {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.headers[path]
}
