-- 0001_init: the first schema. PostgreSQL has the same version in its own SQL.
--
-- Times are TEXT in one fixed-width UTC format (2006-01-02T15:04:05.000000Z),
-- so comparing them as text compares them as times. Ids are TEXT; UUIDv7 ids
-- sort by creation, which is what "newest first" lists order by.

CREATE TABLE operators (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    operator_id   TEXT NOT NULL REFERENCES operators (id),
    email         TEXT NOT NULL,
    -- lower-cased by the store in Go, so both backends fold case alike.
    email_lower   TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    operator_id TEXT NOT NULL REFERENCES operators (id),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) STRICT;

CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators (id),
    mode        TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    name        TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,
    agent_id    TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
) STRICT;

CREATE INDEX api_keys_operator ON api_keys (operator_id, id);

CREATE TABLE subjects (
    id                    TEXT PRIMARY KEY,
    operator_id           TEXT NOT NULL REFERENCES operators (id),
    mode                  TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    is_default            INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    legal_name            TEXT NOT NULL DEFAULT '',
    state                 TEXT NOT NULL DEFAULT '',
    website               TEXT NOT NULL DEFAULT '',
    industry              TEXT NOT NULL DEFAULT '',
    privacy_policy_url    TEXT NOT NULL DEFAULT '',
    terms_url             TEXT NOT NULL DEFAULT '',
    address               TEXT NOT NULL DEFAULT '{}', -- JSON naive.Address
    contact               TEXT NOT NULL DEFAULT '{}', -- JSON naive.Contact
    formation_status      TEXT NOT NULL DEFAULT 'not_started',
    formation_entity_type TEXT NOT NULL DEFAULT '',
    formation_state       TEXT NOT NULL DEFAULT '',
    formation_legal_name  TEXT NOT NULL DEFAULT '',
    formed_at             TEXT,
    submitted_at          TEXT,
    completes_at          TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    -- the target of the (subject, operator, mode) foreign keys below, which
    -- keep a registration or phone in its subject's tenant.
    UNIQUE (id, operator_id, mode)
) STRICT;

CREATE INDEX subjects_scope ON subjects (operator_id, mode, id);
CREATE UNIQUE INDEX subjects_one_default ON subjects (operator_id, mode) WHERE is_default = 1;

CREATE TABLE agents (
    id          TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators (id),
    mode        TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    name        TEXT NOT NULL,
    webhook_url TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
) STRICT;

CREATE INDEX agents_scope ON agents (operator_id, mode, id);

-- credit_balances caches the sum of ledger_entries per scope; both change in
-- one transaction, so the row is the single place a debit is checked.
CREATE TABLE credit_balances (
    operator_id TEXT NOT NULL REFERENCES operators (id),
    mode        TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    balance     INTEGER NOT NULL CHECK (balance >= 0),
    PRIMARY KEY (operator_id, mode)
) STRICT;

CREATE TABLE ledger_entries (
    id            TEXT PRIMARY KEY,
    operator_id   TEXT NOT NULL REFERENCES operators (id),
    mode          TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    amount        INTEGER NOT NULL,
    balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
    reason        TEXT NOT NULL,
    reference_id  TEXT NOT NULL DEFAULT '',
    actor_type    TEXT NOT NULL DEFAULT '',
    actor_id      TEXT NOT NULL DEFAULT '',
    memo          TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
) STRICT;

CREATE INDEX ledger_entries_scope ON ledger_entries (operator_id, mode, id);

CREATE TABLE brands (
    subject_id  TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL,
    mode        TEXT NOT NULL,
    ein         TEXT NOT NULL,
    carrier_id  TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('registering', 'registered')),
    claim_token TEXT NOT NULL DEFAULT '',
    claimed_at  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    FOREIGN KEY (subject_id, operator_id, mode) REFERENCES subjects (id, operator_id, mode)
) STRICT;

CREATE TABLE campaigns (
    id          TEXT PRIMARY KEY,
    subject_id  TEXT NOT NULL,
    operator_id TEXT NOT NULL,
    mode        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    eta         TEXT,
    -- empty while claimed, and for good where the carrier has no API for
    -- the kind (toll-free verification).
    carrier_id  TEXT NOT NULL DEFAULT '',
    -- set while a process registers the campaign; '' once registered.
    claim_token TEXT NOT NULL DEFAULT '',
    claimed_at  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (subject_id, kind),
    FOREIGN KEY (subject_id, operator_id, mode) REFERENCES subjects (id, operator_id, mode)
) STRICT;

CREATE INDEX campaigns_scope ON campaigns (operator_id, mode, subject_id, id);
CREATE INDEX campaigns_open ON campaigns (updated_at, id) WHERE claim_token = '' AND status IN ('created', 'in_review');

CREATE TABLE phones (
    id              TEXT PRIMARY KEY,
    operator_id     TEXT NOT NULL,
    mode            TEXT NOT NULL,
    subject_id      TEXT NOT NULL,
    e164            TEXT NOT NULL DEFAULT '',
    type            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('provisioning', 'active', 'released', 'failed')),
    label           TEXT NOT NULL DEFAULT '',
    agent_id        TEXT NOT NULL DEFAULT '',
    campaign_id     TEXT NOT NULL DEFAULT '',
    area_code       TEXT NOT NULL DEFAULT '',
    carrier_id      TEXT NOT NULL DEFAULT '',
    idempotency_ref TEXT NOT NULL DEFAULT '',
    price           INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    released_at     TEXT,
    FOREIGN KEY (subject_id, operator_id, mode) REFERENCES subjects (id, operator_id, mode)
) STRICT;

CREATE INDEX phones_subject ON phones (operator_id, mode, subject_id, id);
CREATE INDEX phones_provisioning ON phones (created_at, id) WHERE status = 'provisioning';

CREATE TABLE idempotency_keys (
    operator_id  TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    key          TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    completed    INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
    status       INTEGER NOT NULL DEFAULT 0,
    body         BLOB,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (operator_id, principal_id, key)
) STRICT;
