package sqlite

import (
	"testing"

	"newsbrief/briefs/feed"
	"newsbrief/store/storetest"
)

// TestFeedContract runs the behaviour every feed.Store must show.
func TestFeedContract(t *testing.T) {
	storetest.RunFeed(t, func(t *testing.T) feed.Store { return openTemp(t) })
}
