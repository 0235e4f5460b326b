-- 0007_runs: runs of atomic phases with recovery points. A phase writes its
-- run's record (the idempotency key, or the approval it executes) in its own
-- transaction; the record is owned by a process, alive while it heartbeats.
-- PostgreSQL has the same version in its own SQL.

CREATE TABLE processes (
    id           TEXT PRIMARY KEY,
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
) STRICT;

-- A key record is a run: the action it runs ('' for a plain request), its
-- last committed phase, the row it works on, what it needs to resume and
-- the process running it ('' when none does).
ALTER TABLE idempotency_keys ADD COLUMN action TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN recovery_point TEXT NOT NULL DEFAULT 'started';
ALTER TABLE idempotency_keys ADD COLUMN resource_id TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN payload BLOB;
ALTER TABLE idempotency_keys ADD COLUMN locked_by TEXT NOT NULL DEFAULT '';
-- SQLite adds a NOT NULL column only with a constant default: the rows of
-- before get their created_at, and the store always writes it.
ALTER TABLE idempotency_keys ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
UPDATE idempotency_keys SET updated_at = created_at;

-- ListStaleRuns: unfinished runs of an action, oldest first.
CREATE INDEX idempotency_keys_runs ON idempotency_keys (created_at) WHERE completed = 0 AND action <> '';
-- PurgeIdempotent: finished records by age.
CREATE INDEX idempotency_keys_finished ON idempotency_keys (created_at) WHERE completed = 1;

-- The process executing an approved request, and the row its run works on.
ALTER TABLE approvals ADD COLUMN locked_by TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN resource_id TEXT NOT NULL DEFAULT '';

-- The process holding a registration's claim.
ALTER TABLE brands ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';

-- Never used: a provision's key record names its phone instead.
ALTER TABLE phones DROP COLUMN idempotency_ref;

-- GetLedgerEntry: a scope's entries of one reference.
CREATE INDEX ledger_entries_reference ON ledger_entries (operator_id, mode, reference_id);
