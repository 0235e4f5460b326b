-- 0006_deletes: deleting subjects and agents. A subject is soft-deleted:
-- deleted_at is set and gets, lists and updates skip it, while its
-- released numbers, messages and ledger entries keep pointing at it.
-- Agents are deleted for real. PostgreSQL has the same version in its own
-- SQL.
ALTER TABLE subjects ADD COLUMN deleted_at TEXT;

-- DeleteAgent: is an unrevoked key bound to the agent?
CREATE INDEX api_keys_agent ON api_keys (agent_id) WHERE agent_id <> '' AND revoked_at IS NULL;
