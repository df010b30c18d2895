package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"newsbrief/bot/digest"
)

// The methods of this file are digest.Store's; its documentation is the
// contract, and store/storetest checks it. What is said here is how.

// subscriptionCols is the column list scanSubscription reads.
const subscriptionCols = `id, guild_id, channel_id, name, schedule, timezone, count, topic,
	created_by, created_at, paused, last_run_at, last_outcome, next_run, source,
	exclude, thread, tag, publish, mention`

func (s *Store) scanSubscription(row Row) (digest.Subscription, error) {
	var sub digest.Subscription
	err := row.Scan(&sub.ID, &sub.GuildID, &sub.ChannelID, &sub.Name, &sub.Schedule, &sub.Timezone,
		&sub.Count, &sub.Topic, &sub.CreatedBy, s.scanTime(&sub.CreatedAt), &sub.Paused,
		s.scanTime(&sub.LastRunAt), &sub.LastOutcome, s.scanTime(&sub.NextRun), &sub.Source,
		&sub.Exclude, &sub.Thread, &sub.Tag, &sub.Publish, &sub.Mention)
	if err != nil {
		return digest.Subscription{}, err
	}
	return sub, nil
}

// PutSubscription is one INSERT ... ON CONFLICT (guild_id, channel_id,
// name) DO UPDATE, which returns the stored row.
func (s *Store) PutSubscription(ctx context.Context, sub digest.Subscription) (digest.Subscription, error) {
	fail := func(err error) (digest.Subscription, error) {
		return digest.Subscription{}, fmt.Errorf("store: put subscription guild=%s channel=%s name=%q: %w", sub.GuildID, sub.ChannelID, sub.Name, err)
	}
	if err := sub.Check(); err != nil {
		return fail(err)
	}
	sub = sub.Named()
	createdAt := sub.CreatedAt
	if createdAt.IsZero() {
		createdAt = s.now()
	}
	stored, err := s.scanSubscription(s.w.QueryRow(ctx, `
		INSERT INTO subscriptions (guild_id, channel_id, name, schedule, timezone, count, topic, created_by, created_at, next_run, source,
			exclude, thread, tag, publish, mention)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (guild_id, channel_id, name) DO UPDATE SET
			schedule = excluded.schedule,
			timezone = excluded.timezone,
			count = excluded.count,
			topic = excluded.topic,
			source = excluded.source,
			exclude = excluded.exclude,
			thread = excluded.thread,
			tag = excluded.tag,
			publish = excluded.publish,
			mention = excluded.mention,
			created_by = excluded.created_by,
			created_at = excluded.created_at,
			next_run = excluded.next_run,
			paused = ''
		RETURNING `+subscriptionCols,
		sub.GuildID, sub.ChannelID, sub.Name, sub.Schedule, sub.Timezone, sub.Count, sub.Topic, sub.CreatedBy,
		s.timeArg(createdAt), s.timeArg(sub.NextRun), sub.Source,
		sub.Exclude, sub.Thread, sub.Tag, sub.Publish, sub.Mention))
	if err != nil {
		return fail(err)
	}
	return stored, nil
}

// DeleteSubscription deletes the subscription's row; its digests, posted
// records, run claims and history go with it (ON DELETE CASCADE).
func (s *Store) DeleteSubscription(ctx context.Context, guildID, channelID, name string) (bool, error) {
	n, err := s.w.Exec(ctx, `DELETE FROM subscriptions WHERE guild_id = ? AND channel_id = ? AND name = ?`, guildID, channelID, name)
	if err != nil {
		return false, fmt.Errorf("store: delete subscription guild=%s channel=%s name=%q: %w", guildID, channelID, name, err)
	}
	return n > 0, nil
}

// Subscription reads the row of the channel and name.
func (s *Store) Subscription(ctx context.Context, guildID, channelID, name string) (digest.Subscription, error) {
	sub, err := s.scanSubscription(s.r.QueryRow(ctx,
		`SELECT `+subscriptionCols+` FROM subscriptions WHERE guild_id = ? AND channel_id = ? AND name = ?`, guildID, channelID, name))
	if errors.Is(err, sql.ErrNoRows) {
		err = digest.ErrNotFound
	}
	if err != nil {
		return digest.Subscription{}, fmt.Errorf("store: get subscription guild=%s channel=%s name=%q: %w", guildID, channelID, name, err)
	}
	return sub, nil
}

// SubscriptionByID reads the row with the id.
func (s *Store) SubscriptionByID(ctx context.Context, id int64) (digest.Subscription, error) {
	sub, err := s.scanSubscription(s.r.QueryRow(ctx, `SELECT `+subscriptionCols+` FROM subscriptions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = digest.ErrNotFound
	}
	if err != nil {
		return digest.Subscription{}, fmt.Errorf("store: get subscription id=%d: %w", id, err)
	}
	return sub, nil
}

// Subscriptions orders by the IDs' bytes, as Go compares strings: SQLite's
// text compares so, and PostgreSQL's ID columns are COLLATE "C". A guild's
// are a query of their own, not one whose condition also lets every guild
// through when the argument is empty: no index serves that.
func (s *Store) Subscriptions(ctx context.Context, guildID string) ([]digest.Subscription, error) {
	where, args := "", []any(nil)
	if guildID != "" {
		where, args = ` WHERE guild_id = ?`, []any{guildID}
	}
	subs, err := s.listSubscriptions(ctx, `SELECT `+subscriptionCols+` FROM subscriptions`+where+
		` ORDER BY guild_id, channel_id, name`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list subscriptions guild=%q: %w", guildID, err)
	}
	return subs, nil
}

// listSubscriptions runs a query of subscriptionCols on a reader.
func (s *Store) listSubscriptions(ctx context.Context, q string, args ...any) ([]digest.Subscription, error) {
	rows, err := s.r.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var subs []digest.Subscription
	for rows.Next() {
		sub, err := s.scanSubscription(rows)
		if err != nil {
			return nil, err
		}
		subs = append(subs, sub)
	}
	return subs, rows.Err()
}

// PostedIDs asks once however many IDs there are: they go in as one
// argument (Dialect.Strings).
func (s *Store) PostedIDs(ctx context.Context, subID int64, articleIDs []string) (map[string]bool, error) {
	posted := make(map[string]bool)
	if len(articleIDs) == 0 {
		return posted, nil
	}
	err := s.eachString(ctx, s.r, func(id string) { posted[id] = true }, `SELECT article_id FROM posted
		WHERE subscription_id = ? AND article_id IN (`+s.d.List()+`)`, subID, s.d.Strings(articleIDs))
	if err != nil {
		return nil, fmt.Errorf("store: posted ids subscription=%d (%d articles): %w", subID, len(articleIDs), err)
	}
	return posted, nil
}

// PostedOn joins each posted row to its digest, if it is still kept.
func (s *Store) PostedOn(ctx context.Context, subID int64, articleIDs []string) (map[string]time.Time, error) {
	on := make(map[string]time.Time)
	if len(articleIDs) == 0 {
		return on, nil
	}
	fail := func(err error) (map[string]time.Time, error) {
		return nil, fmt.Errorf("store: posted on subscription=%d (%d articles): %w", subID, len(articleIDs), err)
	}
	rows, err := s.r.Query(ctx, `SELECT p.article_id, d.scheduled_for FROM posted p LEFT JOIN digests d ON d.id = p.digest_id
		WHERE p.subscription_id = ? AND p.article_id IN (`+s.d.List()+`)`, subID, s.d.Strings(articleIDs))
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, s.scanTime(&at)); err != nil {
			return fail(err)
		}
		on[id] = at
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return on, nil
}

// eachString runs a query of one text column and calls fn with each row's.
func (s *Store) eachString(ctx context.Context, c Conn, fn func(string), q string, args ...any) error {
	rows, err := c.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return err
		}
		fn(v)
	}
	return rows.Err()
}

// ClaimRun is one transaction whose first statement is the claim, a
// conditional UPDATE of next_run (from run.Due, on an active subscription):
// of processes claiming one run, the first to update the row holds it
// until commit (PostgreSQL's row lock, SQLite's single writer), and the
// others then find next_run moved on and update nothing. The runs row
// makes the claim unique per scheduled time; the digest and one posted row
// per article are written with it, so a run is never made twice and its
// articles are recorded before anything is sent. The first article
// already recorded fails it with an error naming the article and the
// digest that holds it, and nothing but the claim's move of next_run, in
// the case the contract names, is kept.
func (s *Store) ClaimRun(ctx context.Context, run digest.Run, nonce string, articleIDs []string) (digest.Digest, error) {
	fail := func(err error) (digest.Digest, error) {
		return digest.Digest{}, fmt.Errorf("store: claim run subscription=%d scheduled=%s nonce=%q: %w",
			run.SubscriptionID, stamp(run.ScheduledFor), nonce, err)
	}
	if err := checkClaim(run, nonce, articleIDs); err != nil {
		return fail(err)
	}
	tx, err := s.w.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(ctx) // no-op after Commit

	var channel string
	err = tx.QueryRow(ctx, `UPDATE subscriptions SET next_run = ?
		WHERE id = ? AND next_run = ? AND paused = '' RETURNING channel_id`,
		s.timeArg(run.Next), run.SubscriptionID, s.timeArg(run.Due)).Scan(&channel)
	if errors.Is(err, sql.ErrNoRows) {
		return fail(fmt.Errorf("%w: not due at %s", digest.ErrRunClaimed, stamp(run.Due)))
	}
	if err != nil {
		return fail(err)
	}
	d := digest.Digest{
		SubscriptionID: run.SubscriptionID,
		ChannelID:      channel,
		Nonce:          nonce,
		ArticleIDs:     slices.Clone(articleIDs),
		ScheduledFor:   s.d.Stored(run.ScheduledFor),
		CreatedAt:      s.d.Stored(s.now()),
	}
	n, err := tx.Exec(ctx, `INSERT INTO runs (subscription_id, scheduled_for, claimed_at)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, d.SubscriptionID, s.timeArg(d.ScheduledFor), s.timeArg(d.CreatedAt))
	if err != nil {
		return fail(err)
	}
	if n == 0 {
		// The scheduled time was made already, and next_run was put back
		// on it (a re-subscription by a process whose clock is behind):
		// keep the move, so the subscription is not stuck on a time that
		// can never be claimed, and record nothing else.
		if err := tx.Commit(ctx); err != nil {
			return fail(err)
		}
		return fail(fmt.Errorf("%w: a claim exists", digest.ErrRunClaimed))
	}
	if len(articleIDs) == 0 {
		if err := tx.Commit(ctx); err != nil {
			return fail(err)
		}
		return digest.Digest{}, nil
	}
	if d.ID, err = s.d.InsertID(ctx, tx, `INSERT INTO digests (subscription_id, channel_id, nonce, scheduled_for, created_at)
		VALUES (?, ?, ?, ?, ?)`, d.SubscriptionID, d.ChannelID, nonce, s.timeArg(d.ScheduledFor), s.timeArg(d.CreatedAt)); err != nil {
		return fail(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE runs SET digest_id = ? WHERE subscription_id = ? AND scheduled_for = ?`,
		d.ID, d.SubscriptionID, s.timeArg(d.ScheduledFor)); err != nil {
		return fail(err)
	}
	// A posted row that is not inserted was recorded already.
	inserted, err := tx.ExecEach(ctx, `INSERT INTO posted (subscription_id, article_id, digest_id, position)
		VALUES (?, ?, ?, ?) ON CONFLICT (subscription_id, article_id) DO NOTHING`, len(articleIDs),
		func(i int, buf []any) []any { return append(buf, d.SubscriptionID, articleIDs[i], d.ID, i) })
	if err != nil {
		return fail(fmt.Errorf("article %q: %w", articleIDs[len(inserted)], err))
	}
	if i := slices.Index(inserted, 0); i >= 0 {
		id := articleIDs[i]
		return fail(fmt.Errorf("article %q%s: %w", id, s.holder(ctx, tx, d.SubscriptionID, id), digest.ErrAlreadyPosted))
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(err)
	}
	return d, nil
}

// checkClaim says why ClaimRun cannot take its arguments, before anything
// is asked of the database.
func checkClaim(run digest.Run, nonce string, articleIDs []string) error {
	switch {
	case run.Due.IsZero() || run.ScheduledFor.IsZero():
		return errors.New("no due or scheduled time")
	case len(articleIDs) > 0 && (nonce == "" || len(nonce) > digest.MaxNonceLen):
		return fmt.Errorf("nonce is %d bytes, must be 1 to %d", len(nonce), digest.MaxNonceLen)
	}
	seen := make(map[string]bool, len(articleIDs))
	for _, id := range articleIDs {
		if id == "" {
			return errors.New("empty article id")
		}
		if seen[id] {
			return fmt.Errorf("article %q listed twice", id)
		}
		seen[id] = true
	}
	return nil
}

// holder describes the digest that already holds the article, for a
// digest.ErrAlreadyPosted message; "" if that cannot be found.
func (s *Store) holder(ctx context.Context, tx Tx, subID int64, articleID string) string {
	var id int64
	var sent time.Time
	err := tx.QueryRow(ctx, `SELECT d.id, d.sent_at FROM posted p JOIN digests d ON d.id = p.digest_id
		WHERE p.subscription_id = ? AND p.article_id = ?`, subID, articleID).Scan(&id, s.scanTime(&sent))
	if err != nil {
		return ""
	}
	if !sent.IsZero() {
		return fmt.Sprintf(" (in digest %d, sent %s)", id, stamp(sent))
	}
	return fmt.Sprintf(" (in digest %d, pending)", id)
}

// SetNextRun is a compare-and-set: an UPDATE on the subscription whose
// next_run IS NOT DISTINCT FROM "from", NULL matching the zero time.
func (s *Store) SetNextRun(ctx context.Context, subID int64, from, to time.Time) (bool, error) {
	n, err := s.w.Exec(ctx, `UPDATE subscriptions SET next_run = ?
		WHERE id = ? AND next_run IS NOT DISTINCT FROM ?`, s.timeArg(to), subID, s.timeArg(from))
	if err != nil {
		return false, fmt.Errorf("store: set next run subscription=%d from=%s to=%s: %w", subID, stamp(from), stamp(to), err)
	}
	return n > 0, nil
}

// WakeInstant is one update of the instant subscriptions without a next
// run: moving it from none to now is the compare-and-set of SetNextRun,
// so processes that all see a change make each subscription due once.
func (s *Store) WakeInstant(ctx context.Context, now time.Time) (int64, error) {
	n, err := s.w.Exec(ctx, `UPDATE subscriptions SET next_run = ?
		WHERE next_run IS NULL AND paused = '' AND schedule = ? AND guild_id <> ?`,
		s.timeArg(now), digest.Instant, digest.PreviewGuild)
	if err != nil {
		return 0, fmt.Errorf("store: wake instant subscriptions at %s: %w", stamp(now), err)
	}
	return n, nil
}

// activeDue is the condition of a subscription that is due (its one
// parameter is the time), which the partial index subscriptions_due
// serves.
const activeDue = `next_run IS NOT NULL AND paused = '' AND next_run <= ?`

// DueSubscriptions is a plain listing, which locks nothing: locks taken
// here would end with the statement, before the caller composes the digest
// and claims the run, so they would prevent no duplicate work. Every
// process lists the due runs and the claim decides which one makes each.
func (s *Store) DueSubscriptions(ctx context.Context, now time.Time) ([]digest.Subscription, error) {
	subs, err := s.listSubscriptions(ctx, `SELECT `+subscriptionCols+` FROM subscriptions
		WHERE `+activeDue+` ORDER BY next_run, id`, s.timeArg(now))
	if err != nil {
		return nil, fmt.Errorf("store: due subscriptions at %s: %w", stamp(now), err)
	}
	return subs, nil
}

// EarliestRun is one min() over the active subscriptions.
func (s *Store) EarliestRun(ctx context.Context) (time.Time, bool, error) {
	var next time.Time
	if err := s.r.QueryRow(ctx, `SELECT min(next_run) FROM subscriptions
		WHERE next_run IS NOT NULL AND paused = ''`).Scan(s.scanTime(&next)); err != nil {
		return time.Time{}, false, fmt.Errorf("store: earliest run: %w", err)
	}
	return next, !next.IsZero(), nil
}

// Backlog is one count() and min() over the due subscriptions.
func (s *Store) Backlog(ctx context.Context, now time.Time) (digest.Backlog, error) {
	var b digest.Backlog
	if err := s.r.QueryRow(ctx, `SELECT count(*), min(next_run) FROM subscriptions WHERE `+activeDue,
		s.timeArg(now)).Scan(&b.Waiting, s.scanTime(&b.Oldest)); err != nil {
		return digest.Backlog{}, fmt.Errorf("store: backlog at %s: %w", stamp(now), err)
	}
	return b, nil
}

// MarkSent sets sent_at only where it is NULL, which keeps the first time;
// when that changes nothing, it asks whether the digest exists at all.
func (s *Store) MarkSent(ctx context.Context, digestID int64, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	n, err := s.w.Exec(ctx, `UPDATE digests SET sent_at = ? WHERE id = ? AND sent_at IS NULL`, s.timeArg(at), digestID)
	if err == nil && n == 0 {
		err = s.w.QueryRow(ctx, `SELECT 1 FROM digests WHERE id = ?`, digestID).Scan(new(int))
		if errors.Is(err, sql.ErrNoRows) {
			err = digest.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("store: mark digest %d sent: %w", digestID, err)
	}
	return nil
}

// CancelDigest reads the digest's row for update first (Dialect.ForUpdate),
// so a MarkSent of it either commits before, and the cancel is refused, or
// waits and finds it gone.
func (s *Store) CancelDigest(ctx context.Context, digestID int64) error {
	fail := func(err error) error {
		return fmt.Errorf("store: cancel digest %d: %w", digestID, err)
	}
	tx, err := s.w.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(ctx) // no-op after Commit
	var sent time.Time
	err = tx.QueryRow(ctx, `SELECT sent_at FROM digests WHERE id = ? `+s.d.ForUpdate(), digestID).Scan(s.scanTime(&sent))
	if errors.Is(err, sql.ErrNoRows) {
		return fail(digest.ErrNotFound)
	}
	if err != nil {
		return fail(err)
	}
	if !sent.IsZero() {
		return fail(fmt.Errorf("%w at %s", digest.ErrDigestSent, stamp(sent)))
	}
	// Its posted rows are deleted first: posted.digest_id is ON DELETE SET
	// NULL, so that pruning a sent digest keeps its articles recorded.
	if _, err := tx.Exec(ctx, `DELETE FROM posted WHERE digest_id = ?`, digestID); err != nil {
		return fail(err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM digests WHERE id = ?`, digestID); err != nil {
		return fail(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(err)
	}
	return nil
}

// PendingDigests is one query of the pending digests joined with their
// posted rows, in posting order (the index digests_pending serves it).
func (s *Store) PendingDigests(ctx context.Context) ([]digest.Digest, error) {
	fail := func(err error) ([]digest.Digest, error) {
		return nil, fmt.Errorf("store: pending digests: %w", err)
	}
	rows, err := s.r.Query(ctx, `
		SELECT d.id, d.subscription_id, d.channel_id, d.nonce, d.scheduled_for, d.created_at, p.article_id
		FROM digests d LEFT JOIN posted p ON p.digest_id = d.id
		WHERE d.sent_at IS NULL
		ORDER BY d.created_at, d.id, p.position`)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	var out []digest.Digest
	var d digest.Digest
	var article sql.NullString
	dest := []any{&d.ID, &d.SubscriptionID, &d.ChannelID, &d.Nonce, s.scanTime(&d.ScheduledFor), s.scanTime(&d.CreatedAt), &article}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fail(err)
		}
		if n := len(out); n == 0 || out[n-1].ID != d.ID {
			out = append(out, d)
		}
		if article.Valid {
			last := &out[len(out)-1]
			last.ArticleIDs = append(last.ArticleIDs, article.String)
		}
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return out, nil
}

// RecordRun is one transaction: the subscription's last run (the
// outcome with its detail, and the scheduled time, NULL for a zero one),
// the history row, and the deletion of the rows beyond the newest
// digest.HistoryLen, found by the index on (subscription_id, id).
func (s *Store) RecordRun(ctx context.Context, rec digest.RunRecord) error {
	fail := func(err error) error {
		return fmt.Errorf("store: record run subscription=%d scheduled=%s outcome=%q: %w",
			rec.SubscriptionID, rec.ScheduledFor.UTC().Format(time.RFC3339), rec.Outcome, err)
	}
	if rec.At.IsZero() {
		rec.At = s.now()
	}
	last := rec.Outcome
	if rec.Detail != "" {
		last += ": " + rec.Detail
	}
	tx, err := s.w.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(ctx) // no-op after Commit
	n, err := tx.Exec(ctx, `UPDATE subscriptions SET last_run_at = ?, last_outcome = ? WHERE id = ?`,
		s.timeArg(rec.ScheduledFor), last, rec.SubscriptionID)
	if err == nil && n == 0 {
		err = digest.ErrNotFound
	}
	if err != nil {
		return fail(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO history (subscription_id, scheduled_for, at, outcome, detail, url) VALUES (?, ?, ?, ?, ?, ?)`,
		rec.SubscriptionID, s.timeArg(rec.ScheduledFor), s.timeArg(rec.At), rec.Outcome, rec.Detail, rec.URL); err != nil {
		return fail(err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM history WHERE subscription_id = ? AND id <= (
			SELECT id FROM history WHERE subscription_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
		rec.SubscriptionID, rec.SubscriptionID, digest.HistoryLen); err != nil {
		return fail(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(err)
	}
	return nil
}

// History reads the newest n rows of the subscription's history.
func (s *Store) History(ctx context.Context, subID int64, n int) ([]digest.RunRecord, error) {
	rows, err := s.r.Query(ctx, `SELECT scheduled_for, at, outcome, detail, url FROM history
		WHERE subscription_id = ? ORDER BY id DESC LIMIT ?`, subID, max(n, 0))
	if err != nil {
		return nil, fmt.Errorf("store: history subscription=%d: %w", subID, err)
	}
	defer rows.Close()
	var out []digest.RunRecord
	for rows.Next() {
		rec := digest.RunRecord{SubscriptionID: subID}
		if err := rows.Scan(s.scanTime(&rec.ScheduledFor), s.scanTime(&rec.At), &rec.Outcome, &rec.Detail, &rec.URL); err != nil {
			return nil, fmt.Errorf("store: history subscription=%d: %w", subID, err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: history subscription=%d: %w", subID, err)
	}
	return out, nil
}

// NameSubscriptions gives each subscription stored without a name (made
// before subscriptions had names) its default name: each channel had one
// subscription then, so the names are unique. The backends call it when
// they open, after migrating.
func (s *Store) NameSubscriptions(ctx context.Context) error {
	rows, err := s.w.Query(ctx, `SELECT id, source, topic FROM subscriptions WHERE name = ''`)
	if err != nil {
		return fmt.Errorf("store: name subscriptions: %w", err)
	}
	type unnamed struct {
		id            int64
		source, topic string
	}
	var todo []unnamed
	for rows.Next() {
		var u unnamed
		if err := rows.Scan(&u.id, &u.source, &u.topic); err != nil {
			rows.Close()
			return fmt.Errorf("store: name subscriptions: %w", err)
		}
		todo = append(todo, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: name subscriptions: %w", err)
	}
	for _, u := range todo {
		name := digest.DefaultName(u.source, u.topic)
		if _, err := s.w.Exec(ctx, `UPDATE subscriptions SET name = ? WHERE id = ? AND name = ''`, name, u.id); err != nil {
			return fmt.Errorf("store: name subscription id=%d %q: %w", u.id, name, err)
		}
	}
	return nil
}

// Pause stores the reason in paused, which is empty while active.
func (s *Store) Pause(ctx context.Context, subID int64, reason string) error {
	err := errors.New("empty reason")
	if reason != "" {
		err = s.updateSubscription(ctx, `UPDATE subscriptions SET paused = ? WHERE id = ?`, reason, subID)
	}
	if err != nil {
		return fmt.Errorf("store: pause subscription=%d reason=%q: %w", subID, reason, err)
	}
	return nil
}

// updateSubscription runs an UPDATE of one subscription, digest.ErrNotFound
// if it matched no row.
func (s *Store) updateSubscription(ctx context.Context, q string, args ...any) error {
	n, err := s.w.Exec(ctx, q, args...)
	if err == nil && n == 0 {
		err = digest.ErrNotFound
	}
	return err
}

// Prune is one transaction, under the prune lock (Dialect.Lock): it
// unmarks the posted rows of articles in inLibrary and marks the others
// gone from now, unless already marked; deletes the rows gone for
// keep.Gone whose digest is not pending; then sent digests older than
// keep.Sent and run claims older than keep.Runs. The library's IDs go in
// as one argument, however many there are.
func (s *Store) Prune(ctx context.Context, now time.Time, inLibrary []string, keep digest.Retention) (digest.Pruned, error) {
	var n digest.Pruned
	fail := func(err error) (digest.Pruned, error) {
		return digest.Pruned{}, fmt.Errorf("store: prune at %s (%d articles in the library): %w", stamp(now), len(inLibrary), err)
	}
	if inLibrary == nil {
		inLibrary = []string{} // an empty list, which a nil slice may not be
	}
	tx, err := s.w.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(ctx) // no-op after Commit
	if err := s.d.Lock(ctx, tx, LockPrune); err != nil {
		return fail(err)
	}
	if keep.Gone > 0 {
		ids := s.d.Strings(inLibrary)
		if _, err := tx.Exec(ctx, `UPDATE posted SET gone_since = NULL
			WHERE gone_since IS NOT NULL AND article_id IN (`+s.d.List()+`)`, ids); err != nil {
			return fail(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE posted SET gone_since = ?
			WHERE gone_since IS NULL AND article_id NOT IN (`+s.d.List()+`)`, s.timeArg(now), ids); err != nil {
			return fail(err)
		}
		if n.Posted, err = tx.Exec(ctx, `DELETE FROM posted WHERE gone_since <= ?
			AND (digest_id IS NULL OR digest_id IN (SELECT id FROM digests WHERE sent_at IS NOT NULL))`,
			s.timeArg(now.Add(-keep.Gone))); err != nil {
			return fail(err)
		}
	}
	if keep.Sent > 0 {
		if n.Digests, err = tx.Exec(ctx, `DELETE FROM digests WHERE sent_at IS NOT NULL AND sent_at < ?`,
			s.timeArg(now.Add(-keep.Sent))); err != nil {
			return fail(err)
		}
	}
	if keep.Runs > 0 {
		if n.Runs, err = tx.Exec(ctx, `DELETE FROM runs WHERE scheduled_for < ?`, s.timeArg(now.Add(-keep.Runs))); err != nil {
			return fail(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(err)
	}
	return n, nil
}
