-- 0003_reserved: a placeholder for the feed item store's migration, which
-- is written on another branch at the same time as 0004. Versions must run
-- without gaps, so this file holds number 3 until that one arrives; delete
-- it when the two meet. It changes nothing.
SELECT 1;
