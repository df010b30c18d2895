package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"newsbrief/briefs/feed/feedstore"
)

// The methods of this file are feedstore.Store's; its documentation is the
// contract, and store/storetest checks it. What is said here is how.

// SaveItems decides "not new" by the schema, not by a read before the
// write: identity, link and title key are each unique per origin, every
// item is one INSERT ... ON CONFLICT DO NOTHING, and the ones that
// inserted a row are the new ones. The items go in one transaction, under
// the lock of each origin they carry (Dialect.Lock), so concurrent calls
// for one origin, from this process or another, queue instead of racing
// or deadlocking, and never store a story twice. The inserts are one
// ExecEach: one round trip where the driver batches.
//
// Before anything is stored, each text field goes through Dialect.Text
// (the same way every time, so a story fetched again is still known) and
// each time through Dialect.Stored, and the items come back so. A stored
// item is never updated: a later fetch of it changes nothing, not even its
// Fetched, so its retention counts from when it was first stored. With
// keep > 0, each origin of the call is then cut to its newest keep items in
// the same transaction (trimOrigin).
func (s *Store) SaveItems(ctx context.Context, items []feedstore.Item, keep int) ([]feedstore.Item, error) {
	fail := func(err error) ([]feedstore.Item, error) {
		return nil, fmt.Errorf("store: save feed items %s (%d items): %w", feedstore.Origins(items), len(items), err)
	}
	if err := feedstore.CheckItems(items); err != nil {
		return fail(err)
	}
	if len(items) == 0 {
		return nil, nil
	}
	now := s.d.Stored(s.now())
	stored := func(it feedstore.Item) feedstore.Item {
		for _, f := range []*string{&it.Identity, &it.Origin, &it.GUID, &it.Link, &it.TitleKey,
			&it.Title, &it.Text, &it.URL, &it.Image} {
			*f = s.d.Text(*f)
		}
		it.Published = s.d.Stored(it.Published)
		if it.Fetched.IsZero() {
			it.Fetched = now
		}
		it.Fetched = s.d.Stored(it.Fetched)
		return it
	}
	var origins []string // each once, in order, as stored
	seen := map[string]bool{}
	for _, it := range items {
		if o := s.d.Text(it.Origin); !seen[o] {
			seen[o] = true
			origins = append(origins, o)
		}
	}

	tx, err := s.w.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(ctx) // no-op after Commit
	if err := s.d.Lock(ctx, tx, LockFeed, origins...); err != nil {
		return fail(fmt.Errorf("lock origins: %w", err))
	}
	// Each item is made storable as its insert needs it, and again if it
	// was added: a call's items are not copied whole, as most of a poll's
	// are known already.
	inserted, err := tx.ExecEach(ctx, `INSERT INTO feed_items
		(origin, identity, guid, link, title_key, title, text, url, image, published, fetched)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, len(items), func(i int, buf []any) []any {
		it := stored(items[i])
		return append(buf, it.Origin, it.Identity, it.GUID, nullString(it.Link), nullString(it.TitleKey),
			it.Title, it.Text, it.URL, it.Image, s.timeArg(it.Published), s.timeArg(it.Fetched))
	})
	if err != nil {
		it := stored(items[len(inserted)])
		return fail(fmt.Errorf("item origin=%q identity=%q: %w", it.Origin, it.Identity, err))
	}
	var added []feedstore.Item
	for i, n := range inserted {
		if n > 0 {
			added = append(added, stored(items[i]))
		}
	}
	if keep > 0 {
		gone := map[string]bool{} // origin "\n" identity
		for _, origin := range origins {
			if err := s.trimOrigin(ctx, tx, origin, keep, gone); err != nil {
				return fail(err)
			}
		}
		added = slices.DeleteFunc(added, func(it feedstore.Item) bool { return gone[it.Origin+"\n"+it.Identity] })
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(err)
	}
	return added, nil
}

// newestFirst is the order in which a feed's cap keeps its items (see
// feedstore.Store.SaveItems). Identities sort by bytes, as Go compares
// strings: SQLite's text compares so, PostgreSQL's identity column is
// COLLATE "C". The index feed_items_age serves it, so a trim walks the
// index, not the rows, which hold full texts.
const newestFirst = `coalesce(published, fetched) DESC, identity DESC`

// trimOrigin deletes origin's items beyond its newest keep, and notes each
// one deleted in gone.
func (s *Store) trimOrigin(ctx context.Context, tx Tx, origin string, keep int, gone map[string]bool) error {
	err := s.eachString(ctx, tx, func(id string) { gone[origin+"\n"+id] = true }, `DELETE FROM feed_items WHERE id IN (
		SELECT id FROM feed_items WHERE origin = ? ORDER BY `+newestFirst+` `+s.d.NoLimit()+` OFFSET ?)
		RETURNING identity`, origin, keep)
	if err != nil {
		return fmt.Errorf("keep the newest %d items of origin=%q: %w", keep, origin, err)
	}
	return nil
}

// ItemText reads the one column.
func (s *Store) ItemText(ctx context.Context, origin, identity string) (string, error) {
	var text string
	err := s.r.QueryRow(ctx, `SELECT text FROM feed_items WHERE origin = ? AND identity = ?`, origin, identity).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		err = feedstore.ErrItemGone
	}
	if err != nil {
		return "", fmt.Errorf("store: feed item text origin=%q identity=%q: %w", origin, identity, err)
	}
	return text, nil
}

// Items orders by Published (undated first), then Origin, then Identity: a
// total order, so two calls over the same rows agree. The order is made in
// Go: the rows hold full texts, and sorting every feed's items in the
// database would spill to disk.
func (s *Store) Items(ctx context.Context, origin string) ([]feedstore.Item, error) {
	return s.listItems(ctx, "items", origin, `origin, identity, guid, link, title_key, title, text, url, image, published, fetched`,
		func(it *feedstore.Item, link, titleKey *sql.NullString) []any {
			return []any{&it.Origin, &it.Identity, &it.GUID, link, titleKey, &it.Title, &it.Text,
				&it.URL, &it.Image, s.scanTime(&it.Published), s.scanTime(&it.Fetched)}
		})
}

// ItemKeys selects six columns of the eleven: at a start with an index
// cache, reading each item's title, address, image and GUID back, for a
// cache that has them already, was half of reading the rows. SQLite
// answers it from indexes alone (feed_items_age covers every column but
// the text), never reading the rows, where the texts sit.
func (s *Store) ItemKeys(ctx context.Context, origin string) ([]feedstore.Item, error) {
	return s.listItems(ctx, "item keys", origin, `origin, identity, link, title_key, published, fetched`,
		func(it *feedstore.Item, link, titleKey *sql.NullString) []any {
			return []any{&it.Origin, &it.Identity, link, titleKey, s.scanTime(&it.Published), s.scanTime(&it.Fetched)}
		})
}

// listItems reads origin's items (every origin's for "") selecting cols,
// each row scanned through the destinations dest gives, and returns them
// in the order of Items; what names the listing in errors.
//
// Counting first lets the slice be made once: at start the library loads
// every item, and growing a slice of 100,000 items by appending copies it
// many times over. A write in between only makes the guess wrong, not the
// answer. One origin's items are a query of their own, not one whose
// condition also lets every origin through when the argument is empty,
// which the (origin, ...) indexes do not serve: one feed's items would
// cost a scan of every feed's.
func (s *Store) listItems(ctx context.Context, what, origin, cols string,
	dest func(it *feedstore.Item, link, titleKey *sql.NullString) []any) ([]feedstore.Item, error) {
	fail := func(err error) ([]feedstore.Item, error) {
		return nil, fmt.Errorf("store: feed %s origin=%q: %w", what, origin, err)
	}
	where, args := "", []any(nil)
	// Every item is counted first, so that hundreds of thousands are
	// read into a slice of their size; one feed's are few, and a start
	// reads thousands of feeds, each a query fewer.
	var n int
	if origin != "" {
		where, args = ` WHERE origin = ?`, []any{origin}
	} else if err := s.r.QueryRow(ctx, `SELECT count(*) FROM feed_items`).Scan(&n); err != nil {
		return fail(err)
	}
	rows, err := s.r.Query(ctx, `SELECT `+cols+` FROM feed_items`+where, args...)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	// One feed's items are a few dozen to a few hundred: grown from
	// nothing a doubling at a time, a start of 5,000 feeds copied each
	// item twice over, and from 64 a feed of 100 items once.
	out := make([]feedstore.Item, 0, max(n, 128))
	var it feedstore.Item
	var link, titleKey sql.NullString
	to := dest(&it, &link, &titleKey)
	for rows.Next() {
		if err := rows.Scan(to...); err != nil {
			return fail(err)
		}
		it.Link, it.TitleKey = link.String, titleKey.String
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	slices.SortFunc(out, compareItems)
	return out, nil
}

// compareItems is the order of Items.
func compareItems(a, b feedstore.Item) int {
	return cmp.Or(a.Published.Compare(b.Published), strings.Compare(a.Origin, b.Origin), strings.Compare(a.Identity, b.Identity))
}

// PruneItems is two DELETEs in one transaction: by fetch time, then, with
// keep > 0, each origin's rows ranked beyond keep (a cap lowered since they
// were stored). A pruned item is forgotten: fetched again, it is new again,
// so before must lie further back than the oldest item a feed still
// carries (the default retention, 30 days, is far longer than a feed keeps
// an item).
func (s *Store) PruneItems(ctx context.Context, before time.Time, keep int) (int64, error) {
	fail := func(err error) (int64, error) {
		return 0, fmt.Errorf("store: prune feed items before=%s keep=%d: %w", stamp(before), keep, err)
	}
	tx, err := s.w.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(ctx) // no-op after Commit
	n, err := tx.Exec(ctx, `DELETE FROM feed_items WHERE fetched < ?`, s.timeArg(before))
	if err != nil {
		return fail(err)
	}
	if keep > 0 {
		m, err := tx.Exec(ctx, `DELETE FROM feed_items WHERE id IN (
			SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY origin ORDER BY `+newestFirst+`) AS n FROM feed_items) ranked
			WHERE n > ?)`, keep)
		if err != nil {
			return fail(err)
		}
		n += m
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(err)
	}
	return n, nil
}

// FeedState reads the feed's row; none is the zero State.
func (s *Store) FeedState(ctx context.Context, url string) (feedstore.State, error) {
	st := feedstore.State{URL: url}
	err := s.r.QueryRow(ctx, `SELECT etag, last_modified, last_success, last_error, failures, next_try
		FROM feed_states WHERE url = ?`, url).
		Scan(&st.ETag, &st.LastModified, s.scanTime(&st.LastSuccess), &st.LastError, &st.Failures, s.scanTime(&st.NextTry))
	if errors.Is(err, sql.ErrNoRows) {
		return feedstore.State{URL: url}, nil
	}
	if err != nil {
		return feedstore.State{}, fmt.Errorf("store: feed state url=%q: %w", url, err)
	}
	return st, nil
}

// SaveFeedState is one INSERT ... ON CONFLICT (url) DO UPDATE of every
// field.
func (s *Store) SaveFeedState(ctx context.Context, st feedstore.State) error {
	err := errors.New("empty url")
	if st.URL != "" {
		_, err = s.w.Exec(ctx, `INSERT INTO feed_states
			(url, etag, last_modified, last_success, last_error, failures, next_try)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (url) DO UPDATE SET
				etag = excluded.etag,
				last_modified = excluded.last_modified,
				last_success = excluded.last_success,
				last_error = excluded.last_error,
				failures = excluded.failures,
				next_try = excluded.next_try`,
			st.URL, st.ETag, st.LastModified, s.timeArg(st.LastSuccess), st.LastError, st.Failures, s.timeArg(st.NextTry))
	}
	if err != nil {
		return fmt.Errorf("store: save feed state url=%q: %w", st.URL, err)
	}
	return nil
}
