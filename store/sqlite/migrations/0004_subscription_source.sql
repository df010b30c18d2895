-- 0004_subscription_source: the source a digest draws from.
--
-- subscriptions.source is the origin (the articles folder's name or a
-- feed's name) as the subscriber picked it; '' for every source, which is
-- what subscriptions made before this migration keep.
ALTER TABLE subscriptions ADD COLUMN source TEXT NOT NULL DEFAULT '';
