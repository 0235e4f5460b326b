-- 0007_runs: runs of atomic phases with recovery points. A phase writes its
-- run's record (the idempotency key, or the approval it executes) in its own
-- transaction; the record is owned by a process, alive while it heartbeats.
-- SQLite has the same version in its own SQL.

CREATE TABLE processes (
    id           TEXT COLLATE "C" PRIMARY KEY,
    started_at   TIMESTAMPTZ NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL
);

-- A key record is a run: the action it runs ('' for a plain request), its
-- last committed phase, the row it works on, what it needs to resume and
-- the process running it ('' when none does). The rows of before get
-- their created_at as updated_at; the store always writes it.
ALTER TABLE idempotency_keys
    ADD COLUMN action         TEXT NOT NULL DEFAULT '',
    ADD COLUMN recovery_point TEXT NOT NULL DEFAULT 'started',
    ADD COLUMN resource_id    TEXT NOT NULL DEFAULT '',
    ADD COLUMN payload        BYTEA,
    ADD COLUMN locked_by      TEXT NOT NULL DEFAULT '',
    ADD COLUMN updated_at     TIMESTAMPTZ;
UPDATE idempotency_keys SET updated_at = created_at;
ALTER TABLE idempotency_keys ALTER COLUMN updated_at SET NOT NULL;

-- ListStaleRuns: unfinished runs of an action, oldest first.
CREATE INDEX idempotency_keys_runs ON idempotency_keys (created_at) WHERE NOT completed AND action <> '';
-- PurgeIdempotent: finished records by age.
CREATE INDEX idempotency_keys_finished ON idempotency_keys (created_at) WHERE completed;

-- The process executing an approved request, and the row its run works on.
ALTER TABLE approvals
    ADD COLUMN locked_by   TEXT NOT NULL DEFAULT '',
    ADD COLUMN resource_id TEXT NOT NULL DEFAULT '';

-- The process holding a registration's claim.
ALTER TABLE brands ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';

-- Never used: a provision's key record names its phone instead.
ALTER TABLE phones DROP COLUMN idempotency_ref;

-- GetLedgerEntry: a scope's entries of one reference, newest first.
CREATE INDEX ledger_entries_reference ON ledger_entries (operator_id, mode, reference_id, id);

-- naive_fail raises the error with SQLSTATE code (one of the store's
-- NVxxx codes, which it maps to its sentinel errors) unless code is NULL,
-- and is true otherwise. A phase sent as one pipelined batch runs in the
-- implicit transaction of its Sync, where nothing the client decides can
-- roll it back any more: every condition of such a phase (a debit the
-- balance covers, a key not taken, a lock held) is checked by the server
-- with naive_fail, whose error rolls the whole batch back.
CREATE FUNCTION naive_fail(code TEXT) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
BEGIN
    IF code IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = code, MESSAGE = 'naive: condition ' || code || ' failed';
    END IF;
    RETURN true;
END
$$;
