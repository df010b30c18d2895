-- 0003: several subscriptions a channel, told apart by name; each with its
-- exclusions and delivery options; and a history of its runs. Existing
-- rows get name '' here; the store names them (digest.DefaultName of
-- their source and topic) when it opens.

ALTER TABLE subscriptions
    ADD COLUMN name    text    COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN exclude text    NOT NULL DEFAULT '',
    ADD COLUMN thread  boolean NOT NULL DEFAULT false,  -- a thread from each digest
    ADD COLUMN tag     text    NOT NULL DEFAULT '',     -- a forum tag's name
    ADD COLUMN publish boolean NOT NULL DEFAULT false,  -- crosspost
    ADD COLUMN mention text    NOT NULL DEFAULT '',     -- a role ID, or 'here'
    DROP CONSTRAINT subscriptions_guild_id_channel_id_key,
    ADD CONSTRAINT subscriptions_channel_name UNIQUE (guild_id, channel_id, name);

-- The last runs of each subscription (digest.HistoryLen of them): what
-- /digest history shows.
CREATE TABLE history (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id bigint      NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    scheduled_for   timestamptz,
    at              timestamptz NOT NULL,
    outcome         text        NOT NULL,
    detail          text        NOT NULL DEFAULT '',
    url             text        NOT NULL DEFAULT ''
);

CREATE INDEX history_by_subscription ON history (subscription_id, id);
