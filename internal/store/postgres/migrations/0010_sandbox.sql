-- 0010_sandbox: the state of the test-mode carrier (the Surge simulator),
-- kept in the server's database so a restart, and every process sharing the
-- database, finds it. The simulator alone reads a record's data (JSON, as it
-- wrote it: TEXT keeps its bytes, where JSONB would rewrite them). Each
-- write moves the one-row counter sandbox_version by one and stamps the
-- records it writes with the new value, so a reader asks for what was
-- written after the version it last read. A deleted record stays, with NULL
-- data, so such a reader learns of the deletion. Writers lock the counter's
-- row (SELECT … FOR UPDATE) for the whole read-modify-write: it is the
-- sandbox's one write lock, across processes.
-- SQLite has the same tables in its own SQL.

CREATE TABLE sandbox_records (
    kind    TEXT COLLATE "C" NOT NULL,
    id      TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL,
    data    TEXT,
    PRIMARY KEY (kind, id)
);

CREATE INDEX sandbox_records_version ON sandbox_records (version);

CREATE TABLE sandbox_version (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    version BIGINT NOT NULL
);

INSERT INTO sandbox_version (one, version) VALUES (1, 0);
