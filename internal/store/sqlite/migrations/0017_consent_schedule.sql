-- 0017_consent_schedule: consent records per number and contact, the
-- consent basis every outbound text was sent on, and scheduled texts
-- (quiet hours): a message may be 'scheduled' (waiting for its send_at,
-- not charged yet) or 'canceled' (never sent, never charged). SQLite
-- cannot change a CHECK in place, so messages is rebuilt with its
-- indexes; nothing references it. PostgreSQL has the same version in its
-- own SQL.

CREATE TABLE messages_new (
    id             TEXT PRIMARY KEY,
    operator_id    TEXT NOT NULL,
    mode           TEXT NOT NULL,
    phone_id       TEXT NOT NULL,
    subject_id     TEXT NOT NULL,
    direction      TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    from_number    TEXT NOT NULL,
    to_number      TEXT NOT NULL,
    body           TEXT NOT NULL DEFAULT '',
    attachments    TEXT CHECK (attachments IS NULL OR json_valid(attachments)),
    status         TEXT NOT NULL CHECK (status IN ('scheduled', 'queued', 'sent', 'delivered', 'failed', 'received', 'canceled')),
    segments       INTEGER NOT NULL DEFAULT 0,
    credits_used   INTEGER NOT NULL DEFAULT 0,
    failure_reason TEXT NOT NULL DEFAULT '',
    agent_id       TEXT NOT NULL DEFAULT '',
    carrier_id     TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    received_at    TEXT,
    sent_at        TEXT,
    delivered_at   TEXT,
    failed_at      TEXT,
    -- the consent basis an outbound text was sent on ('none': no record,
    -- the kit not requiring one); '' on inbound texts.
    consent_basis  TEXT NOT NULL DEFAULT '',
    -- a scheduled text's time to go; once it is handed to the carrier,
    -- when that began.
    send_at        TEXT,
    canceled_at    TEXT,
    FOREIGN KEY (phone_id, operator_id, mode) REFERENCES phones (id, operator_id, mode),
    FOREIGN KEY (subject_id, operator_id, mode) REFERENCES subjects (id, operator_id, mode)
) STRICT;

INSERT INTO messages_new (id, operator_id, mode, phone_id, subject_id, direction, from_number, to_number, body,
    attachments, status, segments, credits_used, failure_reason, agent_id, carrier_id, created_at, received_at,
    sent_at, delivered_at, failed_at)
SELECT id, operator_id, mode, phone_id, subject_id, direction, from_number, to_number, body,
    attachments, status, segments, credits_used, failure_reason, agent_id, carrier_id, created_at, received_at,
    sent_at, delivered_at, failed_at FROM messages;

DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;

CREATE UNIQUE INDEX messages_carrier ON messages (mode, carrier_id) WHERE carrier_id <> '';
CREATE INDEX messages_phone ON messages (operator_id, mode, phone_id, id);

-- A number's consent record per contact: the latest explicit opt-in, or
-- the conversation the contact's first text opened. Opt-outs (STOP) stay
-- in opt_outs, per subject, and win over any consent.
CREATE TABLE consents (
    operator_id  TEXT NOT NULL,
    mode         TEXT NOT NULL,
    phone_id     TEXT NOT NULL,
    contact      TEXT NOT NULL,
    basis        TEXT NOT NULL CHECK (basis IN ('express_written', 'express_oral', 'conversation', 'existing_customer')),
    evidence_url TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    -- the inbound text that opened a conversation; '' otherwise.
    message_id   TEXT NOT NULL DEFAULT '',
    actor_type   TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (phone_id, contact),
    FOREIGN KEY (phone_id, operator_id, mode) REFERENCES phones (id, operator_id, mode)
) STRICT;

CREATE INDEX consents_scope ON consents (operator_id, mode, phone_id, contact);
