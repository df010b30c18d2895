package feed

import (
	"testing"
	"time"

	"newsbrief/briefs/feed/feedstore"
)

// TestArrivedIsTheFirstFetch: a feed item arrives when it was first
// fetched, not when it says it was published.
func TestArrivedIsTheFirstFetch(t *testing.T) {
	published := time.Date(2030, 1, 6, 23, 0, 0, 0, time.UTC)
	fetched := published.Add(9 * time.Hour)
	a := Article(feedstore.Item{Origin: "wire", Identity: "guid:1", Title: "A story", Text: "It happened.", Published: published, Fetched: fetched})
	if !a.Arrived.Equal(fetched) || !a.Date.Equal(published) {
		t.Errorf("arrived %v, dated %v; want %v and %v", a.Arrived, a.Date, fetched, published)
	}
}
