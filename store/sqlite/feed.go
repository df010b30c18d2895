package sqlite

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

// The feed source depends on the interface; this keeps the two in step.
var _ feedstore.Store = (*Store)(nil)

// SaveItems stores the items that are new and returns them, in the order
// given, as stored (times in UTC, a zero Fetched set to now).
//
// An item is new unless an item of its origin, stored earlier or earlier in
// items, has the same Identity, the same non-empty Link or the same
// non-empty TitleKey: a re-dated or re-published item, or one whose GUID
// changed while its link or its title did not. The schema makes each of the
// three unique per origin, so "not new" is decided by the database, not by
// a read before the write: every item is one INSERT ... ON CONFLICT DO
// NOTHING, and the ones that inserted a row are the new ones. All items go
// in one IMMEDIATE transaction on the single writer connection, so
// concurrent calls, from this process or another sharing the file, queue
// on the write lock instead of racing, and never store a story twice.
//
// A stored item is never updated: a later fetch of it changes nothing, not
// even its Fetched, so its retention counts from when it was first stored.
// Items of different origins are independent (the same story in two feeds
// is stored for each); items of several origins may come in one call.
//
// With keep > 0, each origin of the call then keeps only its newest keep
// items, in the same transaction (see trimOrigin): a new item that does
// not make the cut is deleted at once and not returned.
//
// Every item needs an Origin and an Identity; if one lacks either, nothing
// is stored and the error names it.
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
	now := s.now().UTC()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback() // no-op after Commit
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO feed_items
		(origin, identity, guid, link, title_key, title, text, url, image, published, fetched)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`)
	if err != nil {
		return fail(err)
	}
	defer stmt.Close()
	var added []feedstore.Item
	for _, it := range items {
		it.Published = it.Published.UTC()
		if it.Fetched.IsZero() {
			it.Fetched = now
		}
		it.Fetched = it.Fetched.UTC()
		res, err := stmt.ExecContext(ctx, it.Origin, it.Identity, it.GUID, nullString(it.Link), nullString(it.TitleKey),
			it.Title, it.Text, it.URL, it.Image, nullTime(it.Published), formatTime(it.Fetched))
		var n int64
		if err == nil {
			n, err = res.RowsAffected()
		}
		if err != nil {
			return fail(fmt.Errorf("item origin=%q identity=%q: %w", it.Origin, it.Identity, err))
		}
		if n > 0 {
			added = append(added, it)
		}
	}
	if keep > 0 {
		gone := map[string]bool{} // origin "\n" identity
		for _, origin := range originsOf(items) {
			if err := trimOrigin(ctx, tx, origin, keep, gone); err != nil {
				return fail(err)
			}
		}
		added = slices.DeleteFunc(added, func(it feedstore.Item) bool { return gone[it.Origin+"\n"+it.Identity] })
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return added, nil
}

// originsOf lists the origins of items, each once, in order.
func originsOf(items []feedstore.Item) []string {
	var origins []string
	seen := map[string]bool{}
	for _, it := range items {
		if !seen[it.Origin] {
			seen[it.Origin] = true
			origins = append(origins, it.Origin)
		}
	}
	return origins
}

// newestFirst is the order in which a feed's cap keeps its items (see
// feedstore.Store.SaveItems): stored times are fixed-width UTC text, so they
// sort as times, and identities sort by bytes, as Go compares strings.
// The index feed_items_age serves it.
const newestFirst = `coalesce(published, fetched) DESC, identity DESC`

// trimOrigin deletes origin's items beyond its newest keep, and notes each
// one deleted in gone.
func trimOrigin(ctx context.Context, tx *sql.Tx, origin string, keep int, gone map[string]bool) error {
	rows, err := tx.QueryContext(ctx, `DELETE FROM feed_items WHERE id IN (
		SELECT id FROM feed_items WHERE origin = ? ORDER BY `+newestFirst+` LIMIT -1 OFFSET ?)
		RETURNING identity`, origin, keep)
	if err != nil {
		return fmt.Errorf("keep the newest %d items of origin=%q: %w", keep, origin, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("keep the newest %d items of origin=%q: %w", keep, origin, err)
		}
		gone[origin+"\n"+id] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("keep the newest %d items of origin=%q: %w", keep, origin, err)
	}
	return nil
}

// feedItemCols is the column list scanItem reads.
const feedItemCols = `origin, identity, guid, link, title_key, title, text, url, image, published, fetched`

// ItemText returns the text of origin's item with identity.
func (s *Store) ItemText(ctx context.Context, origin, identity string) (string, error) {
	var text string
	err := s.r.QueryRowContext(ctx, `SELECT text FROM feed_items WHERE origin = ? AND identity = ?`, origin, identity).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		err = feedstore.ErrItemGone
	}
	if err != nil {
		return "", fmt.Errorf("store: feed item text origin=%q identity=%q: %w", origin, identity, err)
	}
	return text, nil
}

// Items returns the stored items of origin, or of every origin when origin
// is "", ordered by Published (undated items first), then Origin, then
// Identity: a total order, so two calls over the same rows agree.
func (s *Store) Items(ctx context.Context, origin string) ([]feedstore.Item, error) {
	fail := func(err error) ([]feedstore.Item, error) {
		return nil, fmt.Errorf("store: feed items origin=%q: %w", origin, err)
	}
	// Counting first lets the slice be made once: at start the library
	// loads every item, and growing a slice of 100,000 items by appending
	// copies it many times over. A write in between only makes the guess
	// wrong, not the answer.
	// Two texts, not one with "?1 = '' OR origin = ?1": SQLite cannot use
	// the (origin, ...) index for such an OR, and one feed's items would
	// cost a scan of every feed's.
	where, args := "", []any(nil)
	if origin != "" {
		where, args = " WHERE origin = ?", []any{origin}
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM feed_items`+where, args...).Scan(&n); err != nil {
		return fail(err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+feedItemCols+` FROM feed_items`+where, args...)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	out := make([]feedstore.Item, 0, n)
	for rows.Next() {
		var it feedstore.Item
		var link, titleKey, published sql.NullString
		var fetched string
		if err := rows.Scan(&it.Origin, &it.Identity, &it.GUID, &link, &titleKey, &it.Title, &it.Text,
			&it.URL, &it.Image, &published, &fetched); err != nil {
			return fail(err)
		}
		it.Link, it.TitleKey = link.String, titleKey.String
		if published.Valid {
			if it.Published, err = parseTime(published.String); err != nil {
				return fail(fmt.Errorf("item %q of %q: published: %w", it.Identity, it.Origin, err))
			}
		}
		if it.Fetched, err = parseTime(fetched); err != nil {
			return fail(fmt.Errorf("item %q of %q: fetched: %w", it.Identity, it.Origin, err))
		}
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

// PruneItems deletes the items fetched before before and, with keep > 0,
// every origin's items beyond its newest keep (a cap lowered since they
// were stored), and returns how many. A pruned item is forgotten: fetched
// again, it is new again, so before must lie further back than the oldest
// item a feed still carries (the default retention, 30 days, is far longer
// than a feed keeps an item).
func (s *Store) PruneItems(ctx context.Context, before time.Time, keep int) (int64, error) {
	fail := func(err error) (int64, error) {
		return 0, fmt.Errorf("store: prune feed items before=%s keep=%d: %w", formatTime(before), keep, err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback() // no-op after Commit
	n, err := rowsAffected(tx.ExecContext(ctx, `DELETE FROM feed_items WHERE fetched < ?`, formatTime(before)))
	if err != nil {
		return fail(err)
	}
	if keep > 0 {
		m, err := rowsAffected(tx.ExecContext(ctx, `DELETE FROM feed_items WHERE id IN (
			SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY origin ORDER BY `+newestFirst+`) AS n FROM feed_items)
			WHERE n > ?)`, keep))
		if err != nil {
			return fail(err)
		}
		n += m
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return n, nil
}

// rowsAffected is the count of a statement's rows, or its error.
func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// FeedState returns the stored state of the feed at url, or the zero State
// with URL set when there is none (a feed never polled).
func (s *Store) FeedState(ctx context.Context, url string) (feedstore.State, error) {
	st := feedstore.State{URL: url}
	var lastSuccess, nextTry sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT etag, last_modified, last_success, last_error, failures, next_try
		FROM feed_states WHERE url = ?`, url).
		Scan(&st.ETag, &st.LastModified, &lastSuccess, &st.LastError, &st.Failures, &nextTry)
	if errors.Is(err, sql.ErrNoRows) {
		return feedstore.State{URL: url}, nil
	}
	if err == nil && lastSuccess.Valid {
		st.LastSuccess, err = parseTime(lastSuccess.String)
	}
	if err == nil && nextTry.Valid {
		st.NextTry, err = parseTime(nextTry.String)
	}
	if err != nil {
		return feedstore.State{}, fmt.Errorf("store: feed state url=%q: %w", url, err)
	}
	return st, nil
}

// SaveFeedState stores st as the state of the feed at st.URL, replacing
// every field of the earlier one. st.URL must not be empty.
func (s *Store) SaveFeedState(ctx context.Context, st feedstore.State) error {
	err := errors.New("empty url")
	if st.URL != "" {
		_, err = s.w.ExecContext(ctx, `INSERT INTO feed_states
			(url, etag, last_modified, last_success, last_error, failures, next_try)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (url) DO UPDATE SET
				etag = excluded.etag,
				last_modified = excluded.last_modified,
				last_success = excluded.last_success,
				last_error = excluded.last_error,
				failures = excluded.failures,
				next_try = excluded.next_try`,
			st.URL, st.ETag, st.LastModified, nullTime(st.LastSuccess), st.LastError, st.Failures, nullTime(st.NextTry))
	}
	if err != nil {
		return fmt.Errorf("store: save feed state url=%q: %w", st.URL, err)
	}
	return nil
}

// nullString is a text for a nullable column: NULL for "".
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
