package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"newsbrief/bot/digest"
)

// The service depends on the interface; this keeps the two in step.
var _ digest.Store = (*Store)(nil)

// subscriptionCols is the column list scanSubscription reads.
const subscriptionCols = `id, guild_id, channel_id, schedule, timezone, count, topic,
	created_by, created_at, paused, last_run_at, last_outcome, next_run, source`

func scanSubscription(row pgx.Row) (digest.Subscription, error) {
	var sub digest.Subscription
	var createdAt time.Time
	var lastRun, nextRun pgtype.Timestamptz
	err := row.Scan(&sub.ID, &sub.GuildID, &sub.ChannelID, &sub.Schedule, &sub.Timezone,
		&sub.Count, &sub.Topic, &sub.CreatedBy, &createdAt, &sub.Paused, &lastRun, &sub.LastOutcome, &nextRun, &sub.Source)
	if err != nil {
		return digest.Subscription{}, err
	}
	sub.CreatedAt, sub.LastRunAt, sub.NextRun = createdAt.UTC(), fromTS(lastRun), fromTS(nextRun)
	return sub, nil
}

// PutSubscription creates the subscription of sub.GuildID/sub.ChannelID, or
// replaces it if the channel already has one, in one INSERT ... ON CONFLICT
// DO UPDATE. Replacing keeps the ID, the posted history and the last run,
// updates Schedule, Timezone, Count, Topic, Source, CreatedBy, CreatedAt
// and NextRun, and clears Paused. sub.ID, Paused, LastRunAt and LastOutcome
// are ignored; a zero CreatedAt means now, a zero NextRun not scheduled. It
// returns the stored row.
func (s *Store) PutSubscription(ctx context.Context, sub digest.Subscription) (digest.Subscription, error) {
	fail := func(err error) (digest.Subscription, error) {
		return digest.Subscription{}, fmt.Errorf("store: put subscription guild=%s channel=%s: %w", sub.GuildID, sub.ChannelID, err)
	}
	if err := sub.Check(); err != nil {
		return fail(err)
	}
	createdAt := sub.CreatedAt
	if createdAt.IsZero() {
		createdAt = s.now()
	}
	stored, err := scanSubscription(s.pool.QueryRow(ctx, `
		INSERT INTO subscriptions (guild_id, channel_id, schedule, timezone, count, topic, created_by, created_at, next_run, source)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (guild_id, channel_id) DO UPDATE SET
			schedule = excluded.schedule,
			timezone = excluded.timezone,
			count = excluded.count,
			topic = excluded.topic,
			source = excluded.source,
			created_by = excluded.created_by,
			created_at = excluded.created_at,
			next_run = excluded.next_run,
			paused = ''
		RETURNING `+subscriptionCols,
		sub.GuildID, sub.ChannelID, sub.Schedule, sub.Timezone, sub.Count, sub.Topic, sub.CreatedBy,
		ts(createdAt), ts(sub.NextRun), sub.Source))
	if err != nil {
		return fail(err)
	}
	return stored, nil
}

// DeleteSubscription deletes the channel's subscription; its digests,
// posted records and run claims go with it (ON DELETE CASCADE). It reports
// whether there was one.
func (s *Store) DeleteSubscription(ctx context.Context, guildID, channelID string) (bool, error) {
	n, err := rowsAffected(s.pool.Exec(ctx,
		`DELETE FROM subscriptions WHERE guild_id = $1 AND channel_id = $2`, guildID, channelID))
	if err != nil {
		return false, fmt.Errorf("store: delete subscription guild=%s channel=%s: %w", guildID, channelID, err)
	}
	return n > 0, nil
}

// Subscription returns the channel's subscription, or an error wrapping
// digest.ErrNotFound.
func (s *Store) Subscription(ctx context.Context, guildID, channelID string) (digest.Subscription, error) {
	sub, err := scanSubscription(s.pool.QueryRow(ctx,
		`SELECT `+subscriptionCols+` FROM subscriptions WHERE guild_id = $1 AND channel_id = $2`, guildID, channelID))
	if errors.Is(err, pgx.ErrNoRows) {
		err = digest.ErrNotFound
	}
	if err != nil {
		return digest.Subscription{}, fmt.Errorf("store: get subscription guild=%s channel=%s: %w", guildID, channelID, err)
	}
	return sub, nil
}

// SubscriptionByID returns the subscription with the id, or an error
// wrapping digest.ErrNotFound.
func (s *Store) SubscriptionByID(ctx context.Context, id int64) (digest.Subscription, error) {
	sub, err := scanSubscription(s.pool.QueryRow(ctx,
		`SELECT `+subscriptionCols+` FROM subscriptions WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = digest.ErrNotFound
	}
	if err != nil {
		return digest.Subscription{}, fmt.Errorf("store: get subscription id=%d: %w", id, err)
	}
	return sub, nil
}

// Subscriptions lists the guild's subscriptions, or every guild's when
// guildID is "", ordered by guild ID then channel ID as bytes (the
// columns' collation is "C").
func (s *Store) Subscriptions(ctx context.Context, guildID string) ([]digest.Subscription, error) {
	where, args := "", []any(nil)
	if guildID != "" {
		where, args = ` WHERE guild_id = $1`, []any{guildID}
	}
	subs, err := s.listSubscriptions(ctx, `SELECT `+subscriptionCols+` FROM subscriptions`+where+
		` ORDER BY guild_id, channel_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list subscriptions guild=%q: %w", guildID, err)
	}
	return subs, nil
}

func (s *Store) listSubscriptions(ctx context.Context, q string, args ...any) ([]digest.Subscription, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var subs []digest.Subscription
	for rows.Next() {
		sub, err := scanSubscription(rows)
		if err != nil {
			return nil, err
		}
		subs = append(subs, sub)
	}
	return subs, rows.Err()
}

// PostedIDs reports which of articleIDs are already recorded for the
// subscription, sent or pending, in one query however many there are. The
// map holds only those, each true; an unknown subscription has none.
func (s *Store) PostedIDs(ctx context.Context, subID int64, articleIDs []string) (map[string]bool, error) {
	posted := make(map[string]bool)
	if len(articleIDs) == 0 {
		return posted, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT article_id FROM posted
		WHERE subscription_id = $1 AND article_id = ANY($2::text[])`, subID, articleIDs)
	if err == nil {
		var id string
		_, err = pgx.ForEachRow(rows, []any{&id}, func() error { posted[id] = true; return nil })
	}
	if err != nil {
		return nil, fmt.Errorf("store: posted ids subscription=%d (%d articles): %w", subID, len(articleIDs), err)
	}
	return posted, nil
}

// ClaimRun claims run for this process and records its digest, in one
// transaction: the conditional UPDATE of next_run (from run.Due, on an
// active subscription) is the claim and holds the subscription's row lock
// until commit; the runs row makes it unique per scheduled time; the digest
// and one posted row per article are written with it, so a run is never
// made twice and its articles are recorded before anything is sent.
// Articles already recorded for the subscription fail it with an error
// wrapping digest.ErrAlreadyPosted that names the article, and nothing is
// written. With articleIDs, the nonce must be 1 to digest.MaxNonceLen bytes
// and the IDs distinct and non-empty; the digest's ChannelID is the
// subscription's current channel.
func (s *Store) ClaimRun(ctx context.Context, run digest.Run, nonce string, articleIDs []string) (digest.Digest, error) {
	fail := func(err error) (digest.Digest, error) {
		return digest.Digest{}, fmt.Errorf("store: claim run subscription=%d scheduled=%s nonce=%q: %w",
			run.SubscriptionID, formatTime(run.ScheduledFor), nonce, err)
	}
	switch {
	case run.Due.IsZero() || run.ScheduledFor.IsZero():
		return fail(errors.New("no due or scheduled time"))
	case len(articleIDs) > 0 && (nonce == "" || len(nonce) > digest.MaxNonceLen):
		return fail(fmt.Errorf("nonce is %d bytes, must be 1 to %d", len(nonce), digest.MaxNonceLen))
	}
	seen := make(map[string]bool, len(articleIDs))
	for _, id := range articleIDs {
		if id == "" {
			return fail(errors.New("empty article id"))
		}
		if seen[id] {
			return fail(fmt.Errorf("article %q listed twice", id))
		}
		seen[id] = true
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(ctx) // no-op after Commit

	var channel string
	err = tx.QueryRow(ctx, `UPDATE subscriptions SET next_run = $1
		WHERE id = $2 AND next_run = $3 AND paused = '' RETURNING channel_id`,
		ts(run.Next), run.SubscriptionID, ts(run.Due)).Scan(&channel)
	if errors.Is(err, pgx.ErrNoRows) {
		return fail(fmt.Errorf("%w: not due at %s", digest.ErrRunClaimed, formatTime(run.Due)))
	}
	if err != nil {
		return fail(err)
	}
	now := micro(s.now())
	n, err := rowsAffected(tx.Exec(ctx, `INSERT INTO runs (subscription_id, scheduled_for, claimed_at)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, run.SubscriptionID, ts(run.ScheduledFor), now))
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

	d := digest.Digest{
		SubscriptionID: run.SubscriptionID,
		ChannelID:      channel,
		Nonce:          nonce,
		ArticleIDs:     slices.Clone(articleIDs),
		ScheduledFor:   micro(run.ScheduledFor),
		CreatedAt:      now,
	}
	if err := tx.QueryRow(ctx, `INSERT INTO digests (subscription_id, channel_id, nonce, scheduled_for, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		d.SubscriptionID, d.ChannelID, nonce, d.ScheduledFor, d.CreatedAt).Scan(&d.ID); err != nil {
		return fail(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE runs SET digest_id = $1 WHERE subscription_id = $2 AND scheduled_for = $3`,
		d.ID, d.SubscriptionID, d.ScheduledFor); err != nil {
		return fail(err)
	}
	// One statement for every article, in posting order; the ones that
	// inserted a row come back. A missing one was recorded already.
	rows, err := tx.Query(ctx, `INSERT INTO posted (subscription_id, article_id, digest_id, position)
		SELECT $1, a.id, $2, a.ord - 1 FROM unnest($3::text[]) WITH ORDINALITY AS a (id, ord)
		ON CONFLICT (subscription_id, article_id) DO NOTHING
		RETURNING article_id`, d.SubscriptionID, d.ID, articleIDs)
	if err != nil {
		return fail(err)
	}
	inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fail(err)
	}
	if len(inserted) < len(articleIDs) {
		for _, id := range articleIDs {
			if !slices.Contains(inserted, id) {
				return fail(fmt.Errorf("article %q%s: %w", id, holder(ctx, tx, d.SubscriptionID, id), digest.ErrAlreadyPosted))
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(err)
	}
	return d, nil
}

// holder describes the digest that already holds the article, for a
// digest.ErrAlreadyPosted message; "" if that cannot be found.
func holder(ctx context.Context, tx pgx.Tx, subID int64, articleID string) string {
	var id int64
	var sent pgtype.Timestamptz
	err := tx.QueryRow(ctx, `SELECT d.id, d.sent_at FROM posted p JOIN digests d ON d.id = p.digest_id
		WHERE p.subscription_id = $1 AND p.article_id = $2`, subID, articleID).Scan(&id, &sent)
	if err != nil {
		return ""
	}
	if sent.Valid {
		return fmt.Sprintf(" (in digest %d, sent %s)", id, formatTime(sent.Time))
	}
	return fmt.Sprintf(" (in digest %d, pending)", id)
}

// SetNextRun moves the subscription's next run from "from" to "to" if it is
// still "from" (zero: NULL, not scheduled), and reports whether it moved.
func (s *Store) SetNextRun(ctx context.Context, subID int64, from, to time.Time) (bool, error) {
	n, err := rowsAffected(s.pool.Exec(ctx, `UPDATE subscriptions SET next_run = $1
		WHERE id = $2 AND next_run IS NOT DISTINCT FROM $3::timestamptz`, ts(to), subID, ts(from)))
	if err != nil {
		return false, fmt.Errorf("store: set next run subscription=%d from=%s to=%s: %w", subID, formatTime(from), formatTime(to), err)
	}
	return n > 0, nil
}

// DueSubscriptions lists the active subscriptions whose next run is at or
// before now, earliest first (see the package documentation for why it
// locks nothing).
func (s *Store) DueSubscriptions(ctx context.Context, now time.Time) ([]digest.Subscription, error) {
	subs, err := s.listSubscriptions(ctx, `SELECT `+subscriptionCols+` FROM subscriptions
		WHERE next_run IS NOT NULL AND paused = '' AND next_run <= $1 ORDER BY next_run, id`, ts(now))
	if err != nil {
		return nil, fmt.Errorf("store: due subscriptions at %s: %w", formatTime(now), err)
	}
	return subs, nil
}

// EarliestRun is the earliest next run of an active subscription; false
// when none is scheduled.
func (s *Store) EarliestRun(ctx context.Context) (time.Time, bool, error) {
	var next pgtype.Timestamptz
	if err := s.pool.QueryRow(ctx, `SELECT min(next_run) FROM subscriptions
		WHERE next_run IS NOT NULL AND paused = ''`).Scan(&next); err != nil {
		return time.Time{}, false, fmt.Errorf("store: earliest run: %w", err)
	}
	return fromTS(next), next.Valid, nil
}

// Backlog counts the active subscriptions due at now and finds the
// earliest of their next runs.
func (s *Store) Backlog(ctx context.Context, now time.Time) (digest.Backlog, error) {
	var (
		n      int
		oldest pgtype.Timestamptz
	)
	if err := s.pool.QueryRow(ctx, `SELECT count(*), min(next_run) FROM subscriptions
		WHERE next_run IS NOT NULL AND paused = '' AND next_run <= $1`, ts(now)).Scan(&n, &oldest); err != nil {
		return digest.Backlog{}, fmt.Errorf("store: backlog at %s: %w", formatTime(now), err)
	}
	return digest.Backlog{Waiting: n, Oldest: fromTS(oldest)}, nil
}

// MarkSent marks the digest sent at the given time (now if zero). Marking a
// digest that is already sent is a no-op that keeps the first time; an
// unknown digest is an error wrapping digest.ErrNotFound.
func (s *Store) MarkSent(ctx context.Context, digestID int64, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	n, err := rowsAffected(s.pool.Exec(ctx, `UPDATE digests SET sent_at = $1 WHERE id = $2 AND sent_at IS NULL`,
		ts(at), digestID))
	if err == nil && n == 0 {
		err = s.pool.QueryRow(ctx, `SELECT 1 FROM digests WHERE id = $1`, digestID).Scan(new(int))
		if errors.Is(err, pgx.ErrNoRows) {
			err = digest.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("store: mark digest %d sent: %w", digestID, err)
	}
	return nil
}

// CancelDigest deletes a pending digest and its posted rows, so that its
// articles can be posted later. The digest's row is locked first, so a
// MarkSent of it either commits before (and the cancel is refused with an
// error wrapping digest.ErrDigestSent) or waits and finds it gone. An
// unknown digest is an error wrapping digest.ErrNotFound.
func (s *Store) CancelDigest(ctx context.Context, digestID int64) error {
	fail := func(err error) error {
		return fmt.Errorf("store: cancel digest %d: %w", digestID, err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(ctx)
	var sent pgtype.Timestamptz
	err = tx.QueryRow(ctx, `SELECT sent_at FROM digests WHERE id = $1 FOR UPDATE`, digestID).Scan(&sent)
	if errors.Is(err, pgx.ErrNoRows) {
		return fail(digest.ErrNotFound)
	}
	if err != nil {
		return fail(err)
	}
	if sent.Valid {
		return fail(fmt.Errorf("%w at %s", digest.ErrDigestSent, formatTime(sent.Time)))
	}
	// Its posted rows are deleted first: posted.digest_id is ON DELETE SET
	// NULL, so that pruning a sent digest keeps its articles recorded.
	if _, err := tx.Exec(ctx, `DELETE FROM posted WHERE digest_id = $1`, digestID); err != nil {
		return fail(err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM digests WHERE id = $1`, digestID); err != nil {
		return fail(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(err)
	}
	return nil
}

// PendingDigests returns the digests recorded but not marked sent, oldest
// first, each with its articles in posting order.
func (s *Store) PendingDigests(ctx context.Context) ([]digest.Digest, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT d.id, d.subscription_id, d.channel_id, d.nonce, d.scheduled_for, d.created_at, p.article_id
		FROM digests d LEFT JOIN posted p ON p.digest_id = d.id
		WHERE d.sent_at IS NULL
		ORDER BY d.created_at, d.id, p.position`)
	var out []digest.Digest
	if err == nil {
		var d digest.Digest
		var article pgtype.Text
		_, err = pgx.ForEachRow(rows, []any{&d.ID, &d.SubscriptionID, &d.ChannelID, &d.Nonce, &d.ScheduledFor, &d.CreatedAt, &article},
			func() error {
				if n := len(out); n == 0 || out[n-1].ID != d.ID {
					d.ScheduledFor, d.CreatedAt = d.ScheduledFor.UTC(), d.CreatedAt.UTC()
					out = append(out, d)
				}
				if article.Valid {
					last := &out[len(out)-1]
					last.ArticleIDs = append(last.ArticleIDs, article.String)
				}
				return nil
			})
	}
	if err != nil {
		return nil, fmt.Errorf("store: pending digests: %w", err)
	}
	return out, nil
}

// RecordRun records the outcome of the subscription's run scheduled for
// scheduledFor, as LastRunAt and LastOutcome.
func (s *Store) RecordRun(ctx context.Context, subID int64, scheduledFor time.Time, outcome string) error {
	err := s.updateSubscription(ctx, `UPDATE subscriptions SET last_run_at = $1, last_outcome = $2 WHERE id = $3`,
		ts(scheduledFor), outcome, subID)
	if err != nil {
		return fmt.Errorf("store: record run subscription=%d scheduled=%s outcome=%q: %w",
			subID, scheduledFor.UTC().Format(time.RFC3339), outcome, err)
	}
	return nil
}

// Pause pauses the subscription with the reason, which must not be empty
// ("" means active). PutSubscription for the same channel resumes it.
func (s *Store) Pause(ctx context.Context, subID int64, reason string) error {
	err := errors.New("empty reason")
	if reason != "" {
		err = s.updateSubscription(ctx, `UPDATE subscriptions SET paused = $1 WHERE id = $2`, reason, subID)
	}
	if err != nil {
		return fmt.Errorf("store: pause subscription=%d reason=%q: %w", subID, reason, err)
	}
	return nil
}

// updateSubscription runs an UPDATE of one subscription, digest.ErrNotFound
// if it matched no row.
func (s *Store) updateSubscription(ctx context.Context, q string, args ...any) error {
	n, err := rowsAffected(s.pool.Exec(ctx, q, args...))
	if err == nil && n == 0 {
		err = digest.ErrNotFound
	}
	return err
}

// Prune deletes what can no longer matter as of now, in one transaction
// under the schema's prune lock (see digest.Retention): it unmarks the
// posted rows of articles in inLibrary and marks the others gone from now,
// unless already marked; deletes the rows gone for keep.Gone whose digest
// is not pending; then sent digests older than keep.Sent and run claims
// older than keep.Runs. The library's IDs go in as one array parameter,
// however many there are.
func (s *Store) Prune(ctx context.Context, now time.Time, inLibrary []string, keep digest.Retention) (digest.Pruned, error) {
	var n digest.Pruned
	fail := func(err error) (digest.Pruned, error) {
		return digest.Pruned{}, fmt.Errorf("store: prune at %s (%d articles in the library): %w", formatTime(now), len(inLibrary), err)
	}
	if inLibrary == nil {
		inLibrary = []string{}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockPrune, lockKey(s.schema)); err != nil {
		return fail(err)
	}
	exec := func(q string, args ...any) (int64, error) { return rowsAffected(tx.Exec(ctx, q, args...)) }
	if keep.Gone > 0 {
		if _, err := exec(`UPDATE posted SET gone_since = NULL
			WHERE gone_since IS NOT NULL AND article_id IN (SELECT unnest($1::text[]))`, inLibrary); err != nil {
			return fail(err)
		}
		if _, err := exec(`UPDATE posted SET gone_since = $1
			WHERE gone_since IS NULL AND article_id NOT IN (SELECT unnest($2::text[]))`, ts(now), inLibrary); err != nil {
			return fail(err)
		}
		if n.Posted, err = exec(`DELETE FROM posted WHERE gone_since <= $1
			AND (digest_id IS NULL OR digest_id IN (SELECT id FROM digests WHERE sent_at IS NOT NULL))`,
			ts(now.Add(-keep.Gone))); err != nil {
			return fail(err)
		}
	}
	if keep.Sent > 0 {
		if n.Digests, err = exec(`DELETE FROM digests WHERE sent_at IS NOT NULL AND sent_at < $1`,
			ts(now.Add(-keep.Sent))); err != nil {
			return fail(err)
		}
	}
	if keep.Runs > 0 {
		if n.Runs, err = exec(`DELETE FROM runs WHERE scheduled_for < $1`, ts(now.Add(-keep.Runs))); err != nil {
			return fail(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(err)
	}
	return n, nil
}
