-- 0009_numbers_version: a second counter per operator, moved with every
-- change to a number or a campaign that a read can see (a phone's update, a
-- campaign's creation or update), so a process may keep numbers it read and
-- trust them while the counter has not moved. A reserved phone (an insert)
-- is never read before its activation, which moves it.
-- PostgreSQL has the same version in its own SQL.

ALTER TABLE config_versions ADD COLUMN numbers INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER phones_numbers_update AFTER UPDATE ON phones BEGIN
    INSERT INTO config_versions (operator_id, version, numbers) VALUES (NEW.operator_id, 0, 1)
        ON CONFLICT (operator_id) DO UPDATE SET numbers = numbers + 1;
END;
CREATE TRIGGER campaigns_numbers_insert AFTER INSERT ON campaigns BEGIN
    INSERT INTO config_versions (operator_id, version, numbers) VALUES (NEW.operator_id, 0, 1)
        ON CONFLICT (operator_id) DO UPDATE SET numbers = numbers + 1;
END;
CREATE TRIGGER campaigns_numbers_update AFTER UPDATE ON campaigns BEGIN
    INSERT INTO config_versions (operator_id, version, numbers) VALUES (NEW.operator_id, 0, 1)
        ON CONFLICT (operator_id) DO UPDATE SET numbers = numbers + 1;
END;
CREATE TRIGGER campaigns_numbers_delete AFTER DELETE ON campaigns BEGIN
    INSERT INTO config_versions (operator_id, version, numbers) VALUES (OLD.operator_id, 0, 1)
        ON CONFLICT (operator_id) DO UPDATE SET numbers = numbers + 1;
END;
