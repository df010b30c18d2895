-- 0008_feed_items_listing: a feed's items without their texts, read from an
-- index alone.
--
-- At start, with the index cache, every feed's items are read without
-- their texts (sqlstore.Store.ItemsWithoutText). The rows hold full texts,
-- a few KB each, so reaching each one through an index costs a read of a
-- page that is mostly text: at 500,000 items, half of that read's CPU
-- time went to finding and reading those pages. feed_items_age becomes a
-- covering index: after its key (origin, coalesce(published, fetched),
-- identity), which a feed's cap walks as before, it holds every column of
-- a textless read. One
-- index serves both, so a write keeps one index up to date where a second
-- index would be two. The UNIQUE constraints stay as they are: they are
-- what keeps each story once.
--
-- Building it reads the whole table once, when this migration runs.
DROP INDEX feed_items_age;
CREATE INDEX feed_items_age ON feed_items (origin, coalesce(published, fetched), identity,
    guid, link, title_key, title, url, image, published, fetched);
