-- 0020_operator_carriers: the server's administrator may give an operator,
-- per mode, its own default carrier (and fallback) among the server's, for
-- its subjects' first numbers (`naive admin operators set-carrier`).
CREATE TABLE operator_carriers (
    operator_id      TEXT NOT NULL REFERENCES operators(id),
    mode             TEXT NOT NULL,
    default_carrier  TEXT NOT NULL,
    fallback_carrier TEXT NOT NULL DEFAULT '',
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (operator_id, mode)
) STRICT;
