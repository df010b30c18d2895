-- 0005_leases: who holds each lease (digest.Lease), so that of several
-- processes sharing the file one posts digests and one polls feeds.
--
-- A row is the current holder (a random ID per process and lease) and when
-- its hold ends unless renewed; an expired row is free for anyone to take.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
