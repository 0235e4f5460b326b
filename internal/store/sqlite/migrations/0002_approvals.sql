-- 0002_approvals: Account Kits, approvals and events. PostgreSQL has the
-- same version in its own SQL.
--
-- JSON columns are TEXT checked with json_valid, so both backends reject
-- what is not JSON; payload, result and data come back byte for byte.

CREATE TABLE account_kits (
    id                TEXT PRIMARY KEY,
    operator_id       TEXT NOT NULL REFERENCES operators (id),
    mode              TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    name              TEXT NOT NULL,
    -- JSON map of primitive → naive.PrimitiveConfig.
    primitives_config TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(primitives_config)),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (id, operator_id, mode)
) STRICT;

CREATE INDEX account_kits_scope ON account_kits (operator_id, mode, id);

-- A subject's kit; NULL uses the built-in default. SQLite cannot add a
-- table constraint to an existing table, so the store checks that the kit
-- is in the subject's scope in the statements that write this column; the
-- foreign key clears it when the kit is deleted.
ALTER TABLE subjects ADD COLUMN account_kit_id TEXT REFERENCES account_kits (id) ON DELETE SET NULL;

CREATE INDEX subjects_account_kit ON subjects (account_kit_id) WHERE account_kit_id IS NOT NULL;

CREATE TABLE approvals (
    id                 TEXT PRIMARY KEY,
    operator_id        TEXT NOT NULL REFERENCES operators (id),
    mode               TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    -- NULL for an action that targets no subject.
    subject_id         TEXT,
    action             TEXT NOT NULL,
    primitive          TEXT NOT NULL DEFAULT '',
    title              TEXT NOT NULL DEFAULT '',
    message            TEXT NOT NULL DEFAULT '',
    payload            TEXT CHECK (payload IS NULL OR json_valid(payload)),
    cost               INTEGER NOT NULL DEFAULT 0,
    status             TEXT NOT NULL
        CHECK (status IN ('pending', 'executing', 'executed', 'failed', 'denied', 'expired')),
    requested_by_type  TEXT NOT NULL,
    requested_by_id    TEXT NOT NULL,
    requester_agent_id TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL,
    expires_at         TEXT NOT NULL,
    -- NULL while pending; set together by a claim, denial or expiry
    -- (an expiry sets resolved_at only).
    resolved_by_type   TEXT,
    resolved_by_id     TEXT,
    -- for an executing approval, when it was claimed.
    resolved_at        TEXT,
    result             TEXT CHECK (result IS NULL OR json_valid(result)),
    -- JSON naive.ErrorObject: {"code","message","param","hint","fields"}.
    error              TEXT CHECK (error IS NULL OR json_valid(error)),
    reason             TEXT NOT NULL DEFAULT '',
    CHECK ((resolved_by_type IS NULL) = (resolved_by_id IS NULL)),
    FOREIGN KEY (subject_id, operator_id, mode) REFERENCES subjects (id, operator_id, mode)
) STRICT;

CREATE INDEX approvals_scope ON approvals (operator_id, mode, id);
CREATE INDEX approvals_scope_status ON approvals (operator_id, mode, status, id);
CREATE INDEX approvals_scope_subject ON approvals (operator_id, mode, subject_id, id);
-- ListExpiredApprovals: pending by expires_at, executing by claim time.
CREATE INDEX approvals_due ON approvals (status, expires_at);
CREATE INDEX approvals_claimed ON approvals (status, resolved_at);

CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators (id),
    mode        TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    type        TEXT NOT NULL,
    data        TEXT CHECK (data IS NULL OR json_valid(data)),
    created_at  TEXT NOT NULL
) STRICT;

CREATE INDEX events_scope ON events (operator_id, mode, id);
CREATE INDEX events_scope_type ON events (operator_id, mode, type, id);
