-- 0009_numbers_version: a second counter per operator, moved with every
-- change to a number or a campaign that a read can see (a phone's update, a
-- campaign's creation, update or deletion), so a process may keep numbers it
-- read and trust them while the counter has not moved. A reserved phone (an
-- insert) is never read before its activation, which moves it.
-- SQLite has the same version in its own SQL.

ALTER TABLE config_versions ADD COLUMN numbers BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION naive_bump_numbers_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO config_versions (operator_id, version, numbers)
        VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.operator_id ELSE NEW.operator_id END, 0, 1)
        ON CONFLICT (operator_id) DO UPDATE SET numbers = config_versions.numbers + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER phones_numbers AFTER UPDATE ON phones
    FOR EACH ROW EXECUTE FUNCTION naive_bump_numbers_version();
CREATE TRIGGER campaigns_numbers AFTER INSERT OR UPDATE OR DELETE ON campaigns
    FOR EACH ROW EXECUTE FUNCTION naive_bump_numbers_version();
