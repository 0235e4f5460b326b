-- 0015_campaign_rejection: a rejected campaign keeps the carrier's reason
-- (NULL while the campaign is not rejected; a resubmission clears it).
ALTER TABLE campaigns ADD COLUMN rejection_reason TEXT;
