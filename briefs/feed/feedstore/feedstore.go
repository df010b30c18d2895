// Package feedstore is what the feed source keeps in a database: its items
// and each feed's polling state, and the Store interface the databases
// implement. It depends on nothing of the network (no HTTP, no feed
// parser), so that a store (store/sqlite, store/postgres) imports only
// this vocabulary, not the poller.
package feedstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrItemGone is why a stored item's text cannot be read back: it has been
// pruned (FEED_RETENTION) since it was loaded.
var ErrItemGone = errors.New("feed item no longer stored")

// Item is one story of a feed, as stored.
type Item struct {
	// Identity is what makes two fetches of a story the same item: the
	// GUID; else the normalized link; else a hash of title and date.
	Identity string
	// Origin is the feed's name.
	Origin string
	// GUID, Link (normalized) and TitleKey (the title and the opening
	// words of the feed's own text, folded for comparison) are kept apart
	// as well, so that an item whose GUID
	// changed while its link or title did not is known as the same story.
	GUID     string
	Link     string
	TitleKey string
	// Title and Text are plain text: no markup, no entities. Text holds
	// paragraphs separated by blank lines.
	Title string
	Text  string
	// URL is the item's page as the feed gave it (the embed links to it).
	URL       string
	Image     string
	Published time.Time
	// Fetched is when it was first stored.
	Fetched time.Time
}

// State is what the poller remembers of a feed between polls and across
// restarts.
type State struct {
	URL string
	// ETag and LastModified come from the last 200, for conditional GETs.
	ETag         string
	LastModified string
	// LastSuccess is when the feed last answered 200 or 304.
	LastSuccess time.Time
	// LastError is the last failure, empty after a success.
	LastError string
	// Failures counts the failures in a row, for the backoff.
	Failures int
	// NextTry is when the feed may be fetched next (interval, max-age,
	// Retry-After or backoff, whichever is latest).
	NextTry time.Time
}

// CheckItems says why items cannot be stored, or nil: every item needs an
// Origin and an Identity, which is what a Store tells items apart by.
// Stores call it before they write anything.
func CheckItems(items []Item) error {
	for i, it := range items {
		switch {
		case it.Origin == "":
			return fmt.Errorf("item %d (identity %q): empty origin", i, it.Identity)
		case it.Identity == "":
			return fmt.Errorf("item %d (link %q, title %q): empty identity", i, it.Link, it.Title)
		}
	}
	return nil
}

// Origins names the origins of items, for errors about them:
// origin="wire", or origins=["wire" "courier"].
func Origins(items []Item) string {
	var origins []string
	for _, it := range items {
		if !slices.Contains(origins, it.Origin) {
			origins = append(origins, it.Origin)
		}
	}
	if len(origins) == 1 {
		return fmt.Sprintf("origin=%q", origins[0])
	}
	return fmt.Sprintf("origins=%q", origins)
}

// ItemKeys is a Store that lists an origin's items by their keys alone. A
// start whose index cache holds a feed's articles needs of each item only
// what finds its article there (its identity and dates, see the feed
// Source's stamps: a stored item is never updated, so those say which
// storing of it this is), what a poll tells new items by (identity, link
// and title key) and what the cap ages them by (the dates). At a thousand
// feeds the texts are most of what the store holds, and the titles,
// addresses and images half of the rest.
type ItemKeys interface {
	// ItemKeys is Items with only Origin, Identity, Link, TitleKey,
	// Published and Fetched set.
	ItemKeys(ctx context.Context, origin string) ([]Item, error)
}

// Store keeps feed items and feed states; store/sqlite and store/postgres
// implement it.
type Store interface {
	// SaveItems stores items of one origin, and returns those that are
	// new: an item is not new when an item of the same origin (stored, or
	// earlier in items) has its Identity, or its Link, or its TitleKey (a
	// changed GUID, a re-dated or re-published item); an empty Link or
	// TitleKey matches nothing. A stored item is never updated by a later
	// fetch. The Source already leaves out the items it knows, so items
	// are mostly new; the Store's answer is the one that counts.
	//
	// With keep > 0, each origin of items then keeps only its newest keep
	// items, in the same transaction: newest by the publication date, else
	// the fetch date, then by Identity (the greater is the newer), so that
	// the order is total. A new item that does not make the cut is not
	// kept, and not returned as added.
	SaveItems(ctx context.Context, items []Item, keep int) (added []Item, err error)
	// Items returns the stored items of origin, or of every origin when
	// origin is "".
	Items(ctx context.Context, origin string) ([]Item, error)
	// ItemText returns the text of origin's stored item with identity:
	// a library that keeps no bodies reads them back with it. An item no
	// longer stored (pruned) is an error wrapping ErrItemGone.
	ItemText(ctx context.Context, origin, identity string) (string, error)
	// PruneItems deletes items fetched before before and, with keep > 0,
	// the items of every origin but its newest keep (as SaveItems orders
	// them), and returns how many it deleted.
	PruneItems(ctx context.Context, before time.Time, keep int) (int64, error)
	// FeedState returns the state of the feed at url; the zero State (with
	// URL set) when there is none.
	FeedState(ctx context.Context, url string) (State, error)
	// SaveFeedState stores st, replacing the feed's earlier state.
	SaveFeedState(ctx context.Context, st State) error
}
