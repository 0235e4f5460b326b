-- 0019_carriers: a subject's brand lives at one carrier, named here
-- ("surge", "telnyx"); everything of the subject follows it. A number
-- records the carrier it was bought at, set when it is activated (a
-- provision that fails over buys at another carrier than it reserved for).
ALTER TABLE brands ADD COLUMN carrier TEXT NOT NULL DEFAULT 'surge';
ALTER TABLE phones ADD COLUMN carrier TEXT NOT NULL DEFAULT '';
UPDATE phones SET carrier = 'surge' WHERE carrier_id <> '';
