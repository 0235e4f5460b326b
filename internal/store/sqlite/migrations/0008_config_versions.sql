-- 0008_config_versions: a counter per operator that moves with every change
-- to what authenticating a request reads (its API keys, its subjects, its
-- Account Kits). A process may keep what it read in memory and trust it while
-- the counter has not moved: reading the counter is one row. Triggers keep
-- it, in the same transaction as the change, whichever statement makes it.
-- PostgreSQL has the same version in its own SQL.

CREATE TABLE config_versions (
    operator_id TEXT PRIMARY KEY,
    version     INTEGER NOT NULL
) STRICT;

CREATE TRIGGER api_keys_config_update AFTER UPDATE ON api_keys BEGIN
    INSERT INTO config_versions (operator_id, version) VALUES (NEW.operator_id, 1)
        ON CONFLICT (operator_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER api_keys_config_delete AFTER DELETE ON api_keys BEGIN
    INSERT INTO config_versions (operator_id, version) VALUES (OLD.operator_id, 1)
        ON CONFLICT (operator_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER subjects_config_insert AFTER INSERT ON subjects BEGIN
    INSERT INTO config_versions (operator_id, version) VALUES (NEW.operator_id, 1)
        ON CONFLICT (operator_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER subjects_config_update AFTER UPDATE ON subjects BEGIN
    INSERT INTO config_versions (operator_id, version) VALUES (NEW.operator_id, 1)
        ON CONFLICT (operator_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER subjects_config_delete AFTER DELETE ON subjects BEGIN
    INSERT INTO config_versions (operator_id, version) VALUES (OLD.operator_id, 1)
        ON CONFLICT (operator_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER account_kits_config_update AFTER UPDATE ON account_kits BEGIN
    INSERT INTO config_versions (operator_id, version) VALUES (NEW.operator_id, 1)
        ON CONFLICT (operator_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER account_kits_config_delete AFTER DELETE ON account_kits BEGIN
    INSERT INTO config_versions (operator_id, version) VALUES (OLD.operator_id, 1)
        ON CONFLICT (operator_id) DO UPDATE SET version = version + 1;
END;
