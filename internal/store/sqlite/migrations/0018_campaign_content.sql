-- 0018_campaign_content: the campaign content a subject set (the fields
-- set, as JSON naive.CampaignContentPatch; every other field is a default
-- the service builds from the subject's profile), and the compliance rules
-- humans overrode on a campaign's submissions.
CREATE TABLE campaign_contents (
    subject_id      TEXT PRIMARY KEY,
    operator_id     TEXT NOT NULL,
    mode            TEXT NOT NULL,
    fields          TEXT NOT NULL DEFAULT '{}',
    updated_by_type TEXT NOT NULL,
    updated_by_id   TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    FOREIGN KEY (subject_id, operator_id, mode) REFERENCES subjects (id, operator_id, mode)
);

CREATE TABLE campaign_check_overrides (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    operator_id TEXT NOT NULL,
    mode        TEXT NOT NULL,
    rule        TEXT NOT NULL,
    message     TEXT NOT NULL DEFAULT '',
    submission  TEXT NOT NULL,
    actor_type  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE INDEX campaign_check_overrides_campaign ON campaign_check_overrides (campaign_id, created_at);
