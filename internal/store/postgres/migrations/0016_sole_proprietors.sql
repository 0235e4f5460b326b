-- 0016_sole_proprietors: a brand's registration tier (standard: a company
-- with an EIN; sole_proprietor: one person, verified by a text to the
-- contact's mobile), the sole proprietor's verification (pending_otp until
-- the text is confirmed, then verified; '' for a standard brand), and when
-- the verification text was last asked for, which throttles resends.
ALTER TABLE brands ADD COLUMN tier TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE brands ADD COLUMN verification TEXT NOT NULL DEFAULT '';
ALTER TABLE brands ADD COLUMN verification_sent_at TIMESTAMPTZ;
-- A sole proprietor's campaign is recorded with the first number but created
-- at the carrier only once the brand is verified; deferred_claim is the
-- token of the background pass creating it then (claimed_by and claimed_at
-- say who and when), apart from claim_token, which marks a campaign not
-- registered at all.
ALTER TABLE campaigns ADD COLUMN deferred_claim TEXT NOT NULL DEFAULT '';
