-- 0003_carrier_events: webhooks received from the carrier, kept by event id
-- so a redelivery is recognised by every process.

CREATE TABLE carrier_events (
    id          TEXT PRIMARY KEY,
    mode        TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    type        TEXT NOT NULL,
    account_id  TEXT NOT NULL DEFAULT '',
    payload     TEXT NOT NULL CHECK (json_valid(payload)),
    received_at TEXT NOT NULL
) STRICT;

CREATE INDEX campaigns_carrier ON campaigns (mode, carrier_id);
