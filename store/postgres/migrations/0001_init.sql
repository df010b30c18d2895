-- 0001_init: the whole schema as store/sqlite has it after its migration
-- 0004: subscriptions with their next runs, the run claims, the digests and
-- the per-article posted records (digest.Store), and the items and states of
-- news feeds (feed.Store). This backend's versions count on their own from
-- here: its numbers do not follow store/sqlite's.
--
-- Times are timestamptz (microseconds); NULL is the zero time. Text that is
-- ordered or compared as Go compares strings (guild and channel IDs, feed
-- origins and identities) is COLLATE "C": byte order, whatever the
-- database's default collation. Identity columns come from sequences, which
-- never hand out a number twice: the scheduler may still hold the id of a
-- deleted subscription or a cancelled digest.

CREATE TABLE subscriptions (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id     text        COLLATE "C" NOT NULL CHECK (guild_id <> ''),
    channel_id   text        COLLATE "C" NOT NULL CHECK (channel_id <> ''),
    schedule     text        NOT NULL,
    timezone     text        NOT NULL,
    count        integer     NOT NULL CHECK (count > 0),
    topic        text        NOT NULL DEFAULT '',
    source       text        NOT NULL DEFAULT '',  -- '' = every source
    created_by   text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    paused       text        NOT NULL DEFAULT '',  -- '' = active, else the reason
    last_run_at  timestamptz,                      -- NULL = never run
    last_outcome text        NOT NULL DEFAULT '',
    -- When the subscription runs next (NULL: not scheduled). A process makes
    -- a run only by moving next_run from the value it read to the one after,
    -- in the transaction that also inserts the run's claim and records its
    -- digest, so processes sharing the database never make the same run.
    next_run     timestamptz,
    UNIQUE (guild_id, channel_id)
);

CREATE INDEX subscriptions_due ON subscriptions (next_run) WHERE next_run IS NOT NULL AND paused = '';

CREATE TABLE digests (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id bigint      NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    channel_id      text        NOT NULL,
    nonce           text        NOT NULL CHECK (octet_length(nonce) BETWEEN 1 AND 25),
    scheduled_for   timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz                    -- NULL = pending
);

CREATE INDEX digests_by_subscription ON digests (subscription_id);
CREATE INDEX digests_pending ON digests (created_at, id) WHERE sent_at IS NULL;
CREATE INDEX digests_sent ON digests (sent_at) WHERE sent_at IS NOT NULL;

-- One row per article per subscription, written in the same transaction as
-- its digest and before the message is sent. The primary key is the
-- at-most-once guarantee: an article can be recorded for a subscription
-- once. A pruned digest leaves its rows behind (digest_id becomes NULL),
-- since they are what stops a repost.
CREATE TABLE posted (
    subscription_id bigint      NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    article_id      text        NOT NULL CHECK (article_id <> ''),
    digest_id       bigint      REFERENCES digests (id) ON DELETE SET NULL,
    position        integer     NOT NULL,          -- posting order within the digest
    gone_since      timestamptz,                   -- NULL: in the library at the last prune
    PRIMARY KEY (subscription_id, article_id)
);

CREATE INDEX posted_by_digest ON posted (digest_id, position);
CREATE INDEX posted_gone ON posted (gone_since) WHERE gone_since IS NOT NULL;

-- One row per run made (posted, nothing new, or failed), unique per
-- subscription and scheduled time.
CREATE TABLE runs (
    subscription_id bigint      NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    scheduled_for   timestamptz NOT NULL,
    claimed_at      timestamptz NOT NULL,
    digest_id       bigint      REFERENCES digests (id) ON DELETE SET NULL,  -- NULL: nothing new
    PRIMARY KEY (subscription_id, scheduled_for)
);

CREATE INDEX runs_by_time ON runs (scheduled_for);
-- Deleting a digest sets its runs' digest_id to NULL: without this index,
-- each pruned digest would scan every claim.
CREATE INDEX runs_by_digest ON runs (digest_id) WHERE digest_id IS NOT NULL;

-- Each story once is a constraint, not a convention: an item is new only if
-- no item of its origin has its identity, its link or its title key, so
-- each of the three is unique per origin, and SaveItems inserts with
-- ON CONFLICT DO NOTHING. An item without a link or a title key stores NULL
-- there (never ''): NULLs are distinct in a UNIQUE constraint, so items
-- without one never collide on it. The CHECKs keep '' out.
CREATE TABLE feed_items (
    id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    origin    text        COLLATE "C" NOT NULL CHECK (origin <> ''),
    identity  text        COLLATE "C" NOT NULL CHECK (identity <> ''),
    guid      text        NOT NULL DEFAULT '',
    link      text        COLLATE "C" CHECK (link <> ''),       -- NULL: none
    title_key text        COLLATE "C" CHECK (title_key <> ''),  -- NULL: none
    title     text        NOT NULL DEFAULT '',
    text      text        NOT NULL DEFAULT '',
    url       text        NOT NULL DEFAULT '',
    image     text        NOT NULL DEFAULT '',
    published timestamptz,                          -- NULL: undated
    fetched   timestamptz NOT NULL,
    UNIQUE (origin, identity),
    UNIQUE (origin, link),
    UNIQUE (origin, title_key)
);

-- PruneItems deletes by fetch time.
CREATE INDEX feed_items_fetched ON feed_items (fetched);

CREATE TABLE feed_states (
    url           text        COLLATE "C" PRIMARY KEY CHECK (url <> ''),
    etag          text        NOT NULL DEFAULT '',
    last_modified text        NOT NULL DEFAULT '',
    last_success  timestamptz,                      -- NULL: never
    last_error    text        NOT NULL DEFAULT '',
    failures      integer     NOT NULL DEFAULT 0,
    next_try      timestamptz                       -- NULL: at once
);
