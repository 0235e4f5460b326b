-- 0005_messaging: messages, opt-outs, agent assignments and outgoing
-- webhooks (endpoints, deliveries, attempts). SQLite has the same version
-- in its own SQL.
--
-- attachments is JSON, not JSONB, so it comes back byte for byte; the
-- arrays only the store reads (permissions, event_types) are JSONB.

-- Targets of the (id, operator, mode) foreign keys below, which keep a
-- message, assignment or delivery in the tenant of what it points at.
ALTER TABLE phones ADD CONSTRAINT phones_scope_key UNIQUE (id, operator_id, mode);
ALTER TABLE agents ADD CONSTRAINT agents_scope_key UNIQUE (id, operator_id, mode);
ALTER TABLE events ADD CONSTRAINT events_scope_key UNIQUE (id, operator_id, mode);

-- GetPhoneByE164: inbound routing.
CREATE INDEX phones_e164 ON phones (mode, e164) WHERE status = 'active';

CREATE TABLE messages (
    id             TEXT COLLATE "C" PRIMARY KEY,
    operator_id    TEXT COLLATE "C" NOT NULL,
    mode           TEXT NOT NULL,
    phone_id       TEXT COLLATE "C" NOT NULL,
    subject_id     TEXT COLLATE "C" NOT NULL,
    direction      TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    from_number    TEXT NOT NULL,
    to_number      TEXT NOT NULL,
    body           TEXT NOT NULL DEFAULT '',
    -- as given, byte for byte; NULL for none.
    attachments    JSON,
    status         TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'failed', 'received')),
    segments       INTEGER NOT NULL DEFAULT 0,
    credits_used   BIGINT NOT NULL DEFAULT 0,
    failure_reason TEXT NOT NULL DEFAULT '',
    agent_id       TEXT NOT NULL DEFAULT '',
    -- the carrier's id: '' until an outbound message is sent.
    carrier_id     TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    received_at    TIMESTAMPTZ,
    sent_at        TIMESTAMPTZ,
    delivered_at   TIMESTAMPTZ,
    failed_at      TIMESTAMPTZ,
    FOREIGN KEY (phone_id, operator_id, mode) REFERENCES phones (id, operator_id, mode),
    FOREIGN KEY (subject_id, operator_id, mode) REFERENCES subjects (id, operator_id, mode)
);

-- One message per carrier id and mode: an inbound redelivery is stored
-- once, a status update finds its message.
CREATE UNIQUE INDEX messages_carrier ON messages (mode, carrier_id) WHERE carrier_id <> '';
CREATE INDEX messages_phone ON messages (operator_id, mode, phone_id, id);

CREATE TABLE opt_outs (
    operator_id TEXT COLLATE "C" NOT NULL,
    mode        TEXT NOT NULL,
    subject_id  TEXT COLLATE "C" NOT NULL,
    contact     TEXT NOT NULL,
    opted_out   BOOLEAN NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (operator_id, mode, subject_id, contact),
    FOREIGN KEY (subject_id, operator_id, mode) REFERENCES subjects (id, operator_id, mode)
);

CREATE TABLE phone_assignments (
    phone_id    TEXT COLLATE "C" NOT NULL,
    agent_id    TEXT COLLATE "C" NOT NULL,
    operator_id TEXT COLLATE "C" NOT NULL,
    mode        TEXT NOT NULL,
    -- array of permission names.
    permissions JSONB NOT NULL DEFAULT '[]',
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (phone_id, agent_id),
    FOREIGN KEY (phone_id, operator_id, mode) REFERENCES phones (id, operator_id, mode),
    FOREIGN KEY (agent_id, operator_id, mode) REFERENCES agents (id, operator_id, mode)
);

CREATE INDEX phone_assignments_agent ON phone_assignments (agent_id);

CREATE TABLE webhook_endpoints (
    id             TEXT COLLATE "C" PRIMARY KEY,
    operator_id    TEXT COLLATE "C" NOT NULL REFERENCES operators (id),
    mode           TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    url            TEXT NOT NULL,
    -- array of event types.
    event_types    JSONB NOT NULL DEFAULT '[]',
    -- kept in clear: deliveries are signed with it.
    signing_secret TEXT NOT NULL,
    -- set for an agent's own endpoint (its webhook_url), NULL otherwise.
    agent_id       TEXT COLLATE "C",
    created_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (id, operator_id, mode),
    FOREIGN KEY (agent_id, operator_id, mode) REFERENCES agents (id, operator_id, mode)
);

CREATE INDEX webhook_endpoints_scope ON webhook_endpoints (operator_id, mode, id);
CREATE INDEX webhook_endpoints_agent ON webhook_endpoints (agent_id) WHERE agent_id IS NOT NULL;

CREATE TABLE webhook_deliveries (
    id              TEXT COLLATE "C" PRIMARY KEY,
    endpoint_id     TEXT COLLATE "C" NOT NULL,
    event_id        TEXT COLLATE "C" NOT NULL,
    operator_id     TEXT COLLATE "C" NOT NULL,
    mode            TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    next_attempt_at TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (endpoint_id, event_id),
    FOREIGN KEY (endpoint_id, operator_id, mode) REFERENCES webhook_endpoints (id, operator_id, mode)
        ON DELETE CASCADE,
    FOREIGN KEY (event_id, operator_id, mode) REFERENCES events (id, operator_id, mode)
);

CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    delivery_id TEXT COLLATE "C" NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    -- 1, 2, …: numbered by the store in the order attempts are recorded.
    n           INTEGER NOT NULL CHECK (n > 0),
    status_code INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    duration_ms BIGINT NOT NULL DEFAULT 0,
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (delivery_id, n)
);
