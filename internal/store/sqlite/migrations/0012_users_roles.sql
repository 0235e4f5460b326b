-- 0012_users_roles: several humans per operator. Each user has a role
-- (owner, approver, viewer); users stored before roles existed, the
-- bootstrapped admin among them, are owners. An invited user has no usable
-- password (password_hash '') and one row in invites, holding the hash of
-- the invite token, until the invite is accepted.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'approver', 'viewer'));

CREATE INDEX users_operator_id ON users (operator_id, id);

CREATE TABLE invites (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
