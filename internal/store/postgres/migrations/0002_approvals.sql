-- 0002_approvals: Account Kits, approvals and events. SQLite has the same
-- version in its own SQL.
--
-- payload, result and data are JSON, not JSONB: PostgreSQL keeps JSON as
-- the exact text it was given, so they come back byte for byte. Columns
-- only the store reads (a kit's config, an approval's error) are JSONB.

CREATE TABLE account_kits (
    id                TEXT COLLATE "C" PRIMARY KEY,
    operator_id       TEXT COLLATE "C" NOT NULL REFERENCES operators (id),
    mode              TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    name              TEXT NOT NULL,
    -- map of primitive → naive.PrimitiveConfig.
    primitives_config JSONB NOT NULL DEFAULT '{}',
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    -- the target of subjects' (kit, operator, mode) foreign key.
    UNIQUE (id, operator_id, mode)
);

CREATE INDEX account_kits_scope ON account_kits (operator_id, mode, id);

-- A subject's kit; NULL uses the built-in default. The foreign key keeps
-- the kit in the subject's scope (MATCH SIMPLE: NULL is not checked).
-- DeleteKit clears the column before deleting the kit, which gives ON
-- DELETE SET NULL semantics without needing PostgreSQL 15's column list.
ALTER TABLE subjects ADD COLUMN account_kit_id TEXT COLLATE "C";
ALTER TABLE subjects ADD CONSTRAINT subjects_account_kit
    FOREIGN KEY (account_kit_id, operator_id, mode) REFERENCES account_kits (id, operator_id, mode);

CREATE INDEX subjects_account_kit ON subjects (account_kit_id) WHERE account_kit_id IS NOT NULL;

CREATE TABLE approvals (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    operator_id        TEXT COLLATE "C" NOT NULL REFERENCES operators (id),
    mode               TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    -- NULL for an action that targets no subject.
    subject_id         TEXT COLLATE "C",
    action             TEXT NOT NULL,
    primitive          TEXT NOT NULL DEFAULT '',
    title              TEXT NOT NULL DEFAULT '',
    message            TEXT NOT NULL DEFAULT '',
    payload            JSON,
    cost               BIGINT NOT NULL DEFAULT 0,
    status             TEXT NOT NULL
        CHECK (status IN ('pending', 'executing', 'executed', 'failed', 'denied', 'expired')),
    requested_by_type  TEXT NOT NULL,
    requested_by_id    TEXT NOT NULL,
    requester_agent_id TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMPTZ NOT NULL,
    expires_at         TIMESTAMPTZ NOT NULL,
    -- NULL while pending; set together by a claim, denial or expiry
    -- (an expiry sets resolved_at only).
    resolved_by_type   TEXT,
    resolved_by_id     TEXT,
    -- for an executing approval, when it was claimed.
    resolved_at        TIMESTAMPTZ,
    result             JSON,
    -- naive.ErrorObject: {"code","message","param","hint","fields"}.
    error              JSONB,
    reason             TEXT NOT NULL DEFAULT '',
    CHECK ((resolved_by_type IS NULL) = (resolved_by_id IS NULL)),
    FOREIGN KEY (subject_id, operator_id, mode) REFERENCES subjects (id, operator_id, mode)
);

CREATE INDEX approvals_scope ON approvals (operator_id, mode, id);
CREATE INDEX approvals_scope_status ON approvals (operator_id, mode, status, id);
CREATE INDEX approvals_scope_subject ON approvals (operator_id, mode, subject_id, id);
-- ListExpiredApprovals: pending by expires_at, executing by claim time.
CREATE INDEX approvals_due ON approvals (status, expires_at);
CREATE INDEX approvals_claimed ON approvals (status, resolved_at);

CREATE TABLE events (
    id          TEXT COLLATE "C" PRIMARY KEY,
    operator_id TEXT COLLATE "C" NOT NULL REFERENCES operators (id),
    mode        TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    type        TEXT NOT NULL,
    data        JSON,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX events_scope ON events (operator_id, mode, id);
CREATE INDEX events_scope_type ON events (operator_id, mode, type, id);
