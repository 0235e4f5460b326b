-- 0010_sandbox: the state of the test-mode carrier (the Surge simulator),
-- kept in the server's database so a restart, and every process sharing the
-- database, finds it. The simulator alone reads a record's data (JSON, as it
-- wrote it). Each write moves the one-row counter sandbox_version by one and
-- stamps the records it writes with the new value, so a reader asks for what
-- was written after the version it last read. A deleted record stays, with
-- NULL data, so such a reader learns of the deletion. Writers take the
-- database's write lock (BEGIN IMMEDIATE) for the whole read-modify-write.
-- PostgreSQL has the same tables in its own SQL.

CREATE TABLE sandbox_records (
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    version INTEGER NOT NULL,
    data    TEXT,
    PRIMARY KEY (kind, id)
) STRICT;

CREATE INDEX sandbox_records_version ON sandbox_records (version);

CREATE TABLE sandbox_version (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    version INTEGER NOT NULL
) STRICT;

INSERT INTO sandbox_version (one, version) VALUES (1, 0);
