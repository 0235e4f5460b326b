-- 0011_sessions_client: what a login came from (the program's User-Agent
-- and the client's address), so a human can tell their sessions apart.
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN client_addr TEXT NOT NULL DEFAULT '';
