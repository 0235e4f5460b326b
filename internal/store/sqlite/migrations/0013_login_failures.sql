-- 0013_login_failures: failed logins counted per email and per client
-- address, in the database, so that every process refuses the same
-- guesser with the same backoff.
CREATE TABLE login_failures (
    key      TEXT PRIMARY KEY, -- "email:<lower-cased>" or "addr:<address>"
    failures INTEGER NOT NULL,
    last_at  TEXT NOT NULL
) STRICT;

-- Request rate buckets shared by every process: a process leases a few
-- tokens at a time from its caller's bucket (TakeRateTokens), so n
-- processes together allow the configured rate, not n times it.
CREATE TABLE rate_buckets (
    key        TEXT PRIMARY KEY,
    tokens     REAL NOT NULL,
    updated_at REAL NOT NULL, -- unix seconds
    granted    INTEGER NOT NULL
) STRICT;
