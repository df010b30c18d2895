-- 0001_init: subscriptions, the digests posted for them, and the per-article
-- posted records that make posting at-most-once.
--
-- Times are UTC text in a fixed-width RFC 3339 form
-- (2006-01-02T15:04:05.000000000Z) so that text order is time order.
-- AUTOINCREMENT keeps ids from ever being reused: the scheduler may still hold
-- the id of a deleted subscription or a cancelled digest.

CREATE TABLE subscriptions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id     TEXT    NOT NULL CHECK (guild_id <> ''),
    channel_id   TEXT    NOT NULL CHECK (channel_id <> ''),
    schedule     TEXT    NOT NULL,
    timezone     TEXT    NOT NULL,
    count        INTEGER NOT NULL CHECK (count > 0),
    topic        TEXT    NOT NULL DEFAULT '',
    created_by   TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    paused       TEXT    NOT NULL DEFAULT '',  -- '' = active, else the reason
    last_run_at  TEXT,                         -- NULL = never run
    last_outcome TEXT    NOT NULL DEFAULT '',
    UNIQUE (guild_id, channel_id)
) STRICT;

CREATE TABLE digests (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    channel_id      TEXT    NOT NULL,
    nonce           TEXT    NOT NULL CHECK (length(nonce) BETWEEN 1 AND 25),
    scheduled_for   TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    sent_at         TEXT                       -- NULL = pending
) STRICT;

CREATE INDEX digests_by_subscription ON digests (subscription_id);
CREATE INDEX digests_pending ON digests (created_at, id) WHERE sent_at IS NULL;

-- One row per article per subscription, written in the same transaction as
-- its digest and before the message is sent. The primary key is the
-- at-most-once guarantee: an article can be recorded for a subscription once.
CREATE TABLE posted (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    article_id      TEXT    NOT NULL CHECK (article_id <> ''),
    digest_id       INTEGER NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,          -- posting order within the digest
    PRIMARY KEY (subscription_id, article_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX posted_by_digest ON posted (digest_id, position);
