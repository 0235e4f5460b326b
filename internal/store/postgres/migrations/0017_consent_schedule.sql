-- 0017_consent_schedule: consent records per number and contact, the
-- consent basis every outbound text was sent on, and scheduled texts
-- (quiet hours): a message may be 'scheduled' (waiting for its send_at,
-- not charged yet) or 'canceled' (never sent, never charged). SQLite has
-- the same version in its own SQL.

ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('scheduled', 'queued', 'sent', 'delivered', 'failed', 'received', 'canceled'));
-- the consent basis an outbound text was sent on ('none': no record, the
-- kit not requiring one); '' on inbound texts.
ALTER TABLE messages ADD COLUMN consent_basis TEXT NOT NULL DEFAULT '';
-- a scheduled text's time to go; once it is handed to the carrier, when
-- that began.
ALTER TABLE messages ADD COLUMN send_at TIMESTAMPTZ;
ALTER TABLE messages ADD COLUMN canceled_at TIMESTAMPTZ;

-- A number's consent record per contact: the latest explicit opt-in, or
-- the conversation the contact's first text opened. Opt-outs (STOP) stay
-- in opt_outs, per subject, and win over any consent.
CREATE TABLE consents (
    operator_id  TEXT COLLATE "C" NOT NULL,
    mode         TEXT NOT NULL,
    phone_id     TEXT COLLATE "C" NOT NULL,
    contact      TEXT NOT NULL,
    basis        TEXT NOT NULL CHECK (basis IN ('express_written', 'express_oral', 'conversation', 'existing_customer')),
    evidence_url TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    -- the inbound text that opened a conversation; '' otherwise.
    message_id   TEXT NOT NULL DEFAULT '',
    actor_type   TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (phone_id, contact),
    FOREIGN KEY (phone_id, operator_id, mode) REFERENCES phones (id, operator_id, mode)
);

CREATE INDEX consents_scope ON consents (operator_id, mode, phone_id, contact);
