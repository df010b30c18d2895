-- 0007_subscription_names: several subscriptions a channel, told apart by
-- name; each with its exclusions and delivery options; and a history of
-- its runs.
--
-- A channel's subscriptions are unique by (guild_id, channel_id, name),
-- where they were unique by channel: SQLite changes a table's constraints
-- only by rebuilding it, so subscriptions is copied into a new table,
-- keeping every id (the digests, posted records and runs refer to them)
-- and the AUTOINCREMENT counter (an id is never handed out twice). The
-- store runs migrations with foreign keys off, as SQLite's procedure for
-- a rebuild asks, and checks them before committing. Existing rows get
-- name '' here; the store names them (digest.DefaultName of their source
-- and topic) when it opens.

CREATE TABLE subscriptions_v2 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id     TEXT    NOT NULL CHECK (guild_id <> ''),
    channel_id   TEXT    NOT NULL CHECK (channel_id <> ''),
    name         TEXT    NOT NULL DEFAULT '',
    schedule     TEXT    NOT NULL,
    timezone     TEXT    NOT NULL,
    count        INTEGER NOT NULL CHECK (count > 0),
    topic        TEXT    NOT NULL DEFAULT '',
    source       TEXT    NOT NULL DEFAULT '',
    exclude      TEXT    NOT NULL DEFAULT '',
    thread       INTEGER NOT NULL DEFAULT 0,   -- 1: a thread from each digest
    tag          TEXT    NOT NULL DEFAULT '',  -- a forum tag's name
    publish      INTEGER NOT NULL DEFAULT 0,   -- 1: crosspost
    mention      TEXT    NOT NULL DEFAULT '',  -- a role ID, or 'here'
    created_by   TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    paused       TEXT    NOT NULL DEFAULT '',
    last_run_at  TEXT,
    last_outcome TEXT    NOT NULL DEFAULT '',
    next_run     TEXT,
    UNIQUE (guild_id, channel_id, name)
) STRICT;

INSERT INTO subscriptions_v2 (id, guild_id, channel_id, schedule, timezone, count, topic, source,
        created_by, created_at, paused, last_run_at, last_outcome, next_run)
    SELECT id, guild_id, channel_id, schedule, timezone, count, topic, source,
        created_by, created_at, paused, last_run_at, last_outcome, next_run
    FROM subscriptions;

UPDATE sqlite_sequence
    SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'subscriptions'), 0))
    WHERE name = 'subscriptions_v2';

DROP TABLE subscriptions;
ALTER TABLE subscriptions_v2 RENAME TO subscriptions;

CREATE INDEX subscriptions_due ON subscriptions (next_run) WHERE next_run IS NOT NULL AND paused = '';

-- The last runs of each subscription (digest.HistoryLen of them), newest
-- last: what /digest history shows.
CREATE TABLE history (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    scheduled_for   TEXT,
    at              TEXT    NOT NULL,
    outcome         TEXT    NOT NULL,
    detail          TEXT    NOT NULL DEFAULT '',
    url             TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX history_by_subscription ON history (subscription_id, id);
