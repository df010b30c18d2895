-- 0003_feeds: the items of news feeds, and what the poller remembers of each
-- feed between polls and across restarts (feed.Store).
--
-- Each story once is a constraint, not a convention: an item is new only
-- if no item of its origin has its identity, its link or its title key, so
-- each of the three is unique per origin, and SaveItems inserts with
-- ON CONFLICT DO NOTHING. An item without a link or a title key stores NULL
-- there (never ''): NULLs are distinct in a UNIQUE constraint, so items
-- without one never collide on it. The CHECKs keep '' out.
--
-- Times are the same fixed-width UTC text as in 0001; NULL is the zero time
-- (a feed item without a date, a feed that never succeeded).
CREATE TABLE feed_items (
    id        INTEGER PRIMARY KEY,          -- rows hold full text: not WITHOUT ROWID
    origin    TEXT NOT NULL CHECK (origin <> ''),
    identity  TEXT NOT NULL CHECK (identity <> ''),
    guid      TEXT NOT NULL DEFAULT '',
    link      TEXT CHECK (link <> ''),       -- NULL: none
    title_key TEXT CHECK (title_key <> ''),  -- NULL: none
    title     TEXT NOT NULL DEFAULT '',
    text      TEXT NOT NULL DEFAULT '',
    url       TEXT NOT NULL DEFAULT '',
    image     TEXT NOT NULL DEFAULT '',
    published TEXT,                          -- NULL: undated
    fetched   TEXT NOT NULL,
    UNIQUE (origin, identity),
    UNIQUE (origin, link),
    UNIQUE (origin, title_key)
) STRICT;

-- PruneItems deletes by fetch time.
CREATE INDEX feed_items_fetched ON feed_items (fetched);

CREATE TABLE feed_states (
    url           TEXT    PRIMARY KEY CHECK (url <> ''),
    etag          TEXT    NOT NULL DEFAULT '',
    last_modified TEXT    NOT NULL DEFAULT '',
    last_success  TEXT,                      -- NULL: never
    last_error    TEXT    NOT NULL DEFAULT '',
    failures      INTEGER NOT NULL DEFAULT 0,
    next_try      TEXT                       -- NULL: at once
) STRICT;
