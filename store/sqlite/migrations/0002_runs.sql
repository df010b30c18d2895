-- 0002_runs: runs claimed in the database, and records that can be pruned.
--
-- subscriptions.next_run is when the subscription runs next (NULL: not
-- scheduled; the service schedules rows from before this migration at
-- start, from their last run). A process makes a run only by moving
-- next_run from the value it read to the one after, in the transaction
-- that also inserts the run's claim and records its digest, so processes
-- sharing the file never make the same run.
ALTER TABLE subscriptions ADD COLUMN next_run TEXT;

CREATE INDEX subscriptions_due ON subscriptions (next_run) WHERE next_run IS NOT NULL AND paused = '';

-- One row per run made (posted, nothing new, or failed), unique per
-- subscription and scheduled time.
CREATE TABLE runs (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    scheduled_for   TEXT    NOT NULL,
    claimed_at      TEXT    NOT NULL,
    digest_id       INTEGER REFERENCES digests (id) ON DELETE SET NULL,  -- NULL: nothing new
    PRIMARY KEY (subscription_id, scheduled_for)
) STRICT, WITHOUT ROWID;

CREATE INDEX runs_by_time ON runs (scheduled_for);

-- posted is rebuilt so that a sent digest can be pruned while its articles
-- stay recorded (digest_id becomes NULL instead of the row going with it),
-- and to note since when a row's article has been out of the library.
CREATE TABLE posted_v2 (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    article_id      TEXT    NOT NULL CHECK (article_id <> ''),
    digest_id       INTEGER REFERENCES digests (id) ON DELETE SET NULL,
    position        INTEGER NOT NULL,          -- posting order within the digest
    gone_since      TEXT,                      -- NULL: in the library at the last prune
    PRIMARY KEY (subscription_id, article_id)
) STRICT, WITHOUT ROWID;

INSERT INTO posted_v2 (subscription_id, article_id, digest_id, position)
    SELECT subscription_id, article_id, digest_id, position FROM posted;
DROP TABLE posted;
ALTER TABLE posted_v2 RENAME TO posted;

CREATE INDEX posted_by_digest ON posted (digest_id, position);
CREATE INDEX posted_gone ON posted (gone_since) WHERE gone_since IS NOT NULL;
CREATE INDEX digests_sent ON digests (sent_at) WHERE sent_at IS NOT NULL;
