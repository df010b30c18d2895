package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"newsbrief/briefs/feed/feedstore"
)

// The feed source depends on the interface; this keeps the two in step.
var _ feedstore.Store = (*Store)(nil)

// SaveItems stores the items that are new and returns them, in the order
// given, as stored (times in UTC to the microsecond, a zero Fetched set to
// now, text made storable: see below).
//
// An item is new unless an item of its origin, stored earlier or earlier in
// items, has the same Identity, the same non-empty Link or the same
// non-empty TitleKey. The schema makes each of the three unique per origin,
// so "not new" is decided by the database: every item is one INSERT ... ON
// CONFLICT DO NOTHING, sent together in one round trip and one transaction,
// and the ones that inserted a row are the new ones. The transaction first
// takes an advisory lock per origin of the call, in a fixed order, so that
// concurrent calls for one origin, from this process or another, queue
// instead of deadlocking on each other's uncommitted rows (and never store
// a story twice), while calls for other origins go on.
//
// PostgreSQL text cannot hold a NUL byte or invalid UTF-8, which a feed may
// carry (a JSON Feed's "\u0000", a page in a broken encoding); rather than
// lose the whole fetch to one such item, each text field has NUL bytes and
// invalid sequences replaced by U+FFFD, the same way every time, so a story
// fetched again is still known.
//
// A stored item is never updated: a later fetch of it changes nothing, not
// even its Fetched. With keep > 0, each origin of the call then keeps only
// its newest keep items, in the same transaction and under the same
// locks: a new item that does not make the cut is deleted at once and not
// returned. Every item needs an Origin and an Identity; if one lacks
// either, nothing is stored and the error names it.
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
	now := micro(s.now())
	stored := make([]feedstore.Item, len(items))
	var keys []int32
	for i, it := range items {
		it = storable(it)
		it.Published = micro(it.Published)
		if it.Fetched.IsZero() {
			it.Fetched = now
		}
		it.Fetched = micro(it.Fetched)
		stored[i] = it
		keys = append(keys, lockKey(s.schema, it.Origin))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(ctx) // no-op after Commit
	var origins []string   // each once, in order
	seen := map[string]bool{}
	for _, it := range stored {
		if !seen[it.Origin] {
			seen[it.Origin] = true
			origins = append(origins, it.Origin)
		}
	}
	var b pgx.Batch
	for _, k := range keys {
		b.Queue(`SELECT pg_advisory_xact_lock($1, $2)`, lockFeedOrigin, k)
	}
	for _, it := range stored {
		b.Queue(`INSERT INTO feed_items
			(origin, identity, guid, link, title_key, title, text, url, image, published, fetched)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT DO NOTHING`,
			it.Origin, it.Identity, it.GUID, nullText(it.Link), nullText(it.TitleKey),
			it.Title, it.Text, it.URL, it.Image, ts(it.Published), it.Fetched)
	}
	if keep > 0 {
		for _, origin := range origins {
			b.Queue(`DELETE FROM feed_items WHERE id IN (
				SELECT id FROM feed_items WHERE origin = $1 ORDER BY `+newestFirst+` OFFSET $2)
				RETURNING identity`, origin, keep)
		}
	}
	br := tx.SendBatch(ctx, &b)
	var added []feedstore.Item
	for range keys {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fail(fmt.Errorf("lock origin: %w", err))
		}
	}
	for _, it := range stored {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return fail(fmt.Errorf("item origin=%q identity=%q: %w", it.Origin, it.Identity, err))
		}
		if tag.RowsAffected() > 0 {
			added = append(added, it)
		}
	}
	if keep > 0 {
		gone := map[string]bool{} // origin "\n" identity
		for _, origin := range origins {
			rows, err := br.Query()
			var ids []string
			if err == nil {
				ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
			}
			if err != nil {
				br.Close()
				return fail(fmt.Errorf("keep the newest %d items of origin=%q: %w", keep, origin, err))
			}
			for _, id := range ids {
				gone[origin+"\n"+id] = true
			}
		}
		added = slices.DeleteFunc(added, func(it feedstore.Item) bool { return gone[it.Origin+"\n"+it.Identity] })
	}
	if err := br.Close(); err != nil {
		return fail(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(err)
	}
	return added, nil
}

// storable is it with every text field made valid UTF-8 without NUL bytes.
func storable(it feedstore.Item) feedstore.Item {
	for _, f := range []*string{&it.Identity, &it.Origin, &it.GUID, &it.Link, &it.TitleKey,
		&it.Title, &it.Text, &it.URL, &it.Image} {
		*f = strings.ReplaceAll(strings.ToValidUTF8(*f, "\uFFFD"), "\x00", "\uFFFD")
	}
	return it
}

// newestFirst is the order in which a feed's cap keeps its items (see
// feedstore.Store.SaveItems); identities are COLLATE "C", so they sort by
// bytes, as Go compares strings. The index feed_items_age serves it.
const newestFirst = `coalesce(published, fetched) DESC, identity DESC`

// ItemText returns the text of origin's item with identity.
func (s *Store) ItemText(ctx context.Context, origin, identity string) (string, error) {
	var text string
	err := s.pool.QueryRow(ctx, `SELECT text FROM feed_items WHERE origin = $1 AND identity = $2`, origin, identity).Scan(&text)
	if errors.Is(err, pgx.ErrNoRows) {
		err = feedstore.ErrItemGone
	}
	if err != nil {
		return "", fmt.Errorf("store: feed item text origin=%q identity=%q: %w", origin, identity, err)
	}
	return text, nil
}

// Items returns the stored items of origin, or of every origin when origin
// is "", ordered by Published (undated items first), then Origin, then
// Identity: a total order, so two calls over the same rows agree. The order
// is made in Go, as store/sqlite makes it: the rows hold full texts, and
// sorting every feed's items in the server would spill to disk.
func (s *Store) Items(ctx context.Context, origin string) ([]feedstore.Item, error) {
	where, args := "", []any(nil)
	if origin != "" {
		where, args = ` WHERE origin = $1`, []any{origin}
	}
	rows, err := s.pool.Query(ctx, `SELECT origin, identity, guid, link, title_key, title, text, url, image, published, fetched
		FROM feed_items`+where, args...)
	var out []feedstore.Item
	if err == nil {
		var it feedstore.Item
		var link, titleKey pgtype.Text
		var published pgtype.Timestamptz
		_, err = pgx.ForEachRow(rows, []any{&it.Origin, &it.Identity, &it.GUID, &link, &titleKey, &it.Title, &it.Text,
			&it.URL, &it.Image, &published, &it.Fetched}, func() error {
			it.Link, it.TitleKey = link.String, titleKey.String
			it.Published, it.Fetched = fromTS(published), it.Fetched.UTC()
			out = append(out, it)
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("store: feed items origin=%q: %w", origin, err)
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
// again, it is new again.
func (s *Store) PruneItems(ctx context.Context, before time.Time, keep int) (int64, error) {
	fail := func(err error) (int64, error) {
		return 0, fmt.Errorf("store: prune feed items before=%s keep=%d: %w", formatTime(before), keep, err)
	}
	n, err := rowsAffected(s.pool.Exec(ctx, `DELETE FROM feed_items WHERE fetched < $1`, ts(before)))
	if err != nil {
		return fail(err)
	}
	if keep > 0 {
		m, err := rowsAffected(s.pool.Exec(ctx, `DELETE FROM feed_items WHERE id IN (
			SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY origin ORDER BY `+newestFirst+`) AS n FROM feed_items) ranked
			WHERE n > $1)`, keep))
		if err != nil {
			return fail(err)
		}
		n += m
	}
	return n, nil
}

// FeedState returns the stored state of the feed at url, or the zero State
// with URL set when there is none (a feed never polled).
func (s *Store) FeedState(ctx context.Context, url string) (feedstore.State, error) {
	st := feedstore.State{URL: url}
	var lastSuccess, nextTry pgtype.Timestamptz
	err := s.pool.QueryRow(ctx, `SELECT etag, last_modified, last_success, last_error, failures, next_try
		FROM feed_states WHERE url = $1`, url).
		Scan(&st.ETag, &st.LastModified, &lastSuccess, &st.LastError, &st.Failures, &nextTry)
	if errors.Is(err, pgx.ErrNoRows) {
		return feedstore.State{URL: url}, nil
	}
	if err != nil {
		return feedstore.State{}, fmt.Errorf("store: feed state url=%q: %w", url, err)
	}
	st.LastSuccess, st.NextTry = fromTS(lastSuccess), fromTS(nextTry)
	return st, nil
}

// SaveFeedState stores st as the state of the feed at st.URL, replacing
// every field of the earlier one. st.URL must not be empty.
func (s *Store) SaveFeedState(ctx context.Context, st feedstore.State) error {
	err := errors.New("empty url")
	if st.URL != "" {
		_, err = s.pool.Exec(ctx, `INSERT INTO feed_states
			(url, etag, last_modified, last_success, last_error, failures, next_try)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (url) DO UPDATE SET
				etag = excluded.etag,
				last_modified = excluded.last_modified,
				last_success = excluded.last_success,
				last_error = excluded.last_error,
				failures = excluded.failures,
				next_try = excluded.next_try`,
			st.URL, st.ETag, st.LastModified, ts(st.LastSuccess), st.LastError, st.Failures, ts(st.NextTry))
	}
	if err != nil {
		return fmt.Errorf("store: save feed state url=%q: %w", st.URL, err)
	}
	return nil
}

// nullText is a text for a nullable column: NULL for "".
func nullText(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }
