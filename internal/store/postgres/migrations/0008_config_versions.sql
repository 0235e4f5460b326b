-- 0008_config_versions: a counter per operator that moves with every change
-- to what authenticating a request reads (its API keys, its subjects, its
-- Account Kits). A process may keep what it read in memory and trust it while
-- the counter has not moved: reading the counter is one row. Triggers keep
-- it, in the same transaction as the change, whichever statement makes it.
-- SQLite has the same version in its own SQL.

CREATE TABLE config_versions (
    operator_id TEXT COLLATE "C" PRIMARY KEY,
    version     BIGINT NOT NULL
);

CREATE FUNCTION naive_bump_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO config_versions (operator_id, version)
        VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.operator_id ELSE NEW.operator_id END, 1)
        ON CONFLICT (operator_id) DO UPDATE SET version = config_versions.version + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER api_keys_config AFTER UPDATE OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION naive_bump_config_version();
CREATE TRIGGER subjects_config AFTER INSERT OR UPDATE OR DELETE ON subjects
    FOR EACH ROW EXECUTE FUNCTION naive_bump_config_version();
CREATE TRIGGER account_kits_config AFTER UPDATE OR DELETE ON account_kits
    FOR EACH ROW EXECUTE FUNCTION naive_bump_config_version();
