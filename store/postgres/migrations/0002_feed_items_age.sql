-- 0002_feed_items_age: the order in which a feed's cap (FEED_MAX_ITEMS)
-- keeps its newest items: by publication date, else fetch date, then by
-- identity. Trimming a feed to its cap walks this index, not the rows,
-- which hold full texts.
CREATE INDEX feed_items_age ON feed_items (origin, (coalesce(published, fetched)), identity);
