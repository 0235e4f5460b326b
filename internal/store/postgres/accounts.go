package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// querier is what the insert helpers need, so Seed runs them in its
// transaction and the Create methods on the pool.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Seed stores s in one transaction if there is no operator yet. The
// transaction first takes an advisory lock, so concurrent seeders check one
// after another and exactly one finds the database empty.
func (db *DB) Seed(ctx context.Context, s *store.SeedData) (bool, error) {
	seeded := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		seeded = false
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, seedLockKey); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM operators)`).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		if err := insertSeedData(ctx, tx, "Seed", s); err != nil {
			return err
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return seeded, nil
}

func insertOperator(ctx context.Context, q querier, method string, o *naive.Operator) error {
	if o.ID == "" || o.CreatedAt.IsZero() {
		return required(method, "ID", "CreatedAt")
	}
	o.CreatedAt = norm(o.CreatedAt)
	_, err := q.Exec(ctx, `INSERT INTO operators (id, name, created_at) VALUES ($1, $2, $3)`, o.ID, o.Name, o.CreatedAt)
	return mapErr(err)
}

// Seeded reports whether the database holds an operator.
func (db *DB) Seeded(ctx context.Context) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM operators)`).Scan(&ok)
	return ok, mapErr(err)
}

// GetOperator returns an operator.
func (db *DB) GetOperator(ctx context.Context, id string) (*naive.Operator, error) {
	var o naive.Operator
	err := db.pool.QueryRow(ctx, `SELECT id, name, created_at FROM operators WHERE id = $1`, id).
		Scan(&o.ID, &o.Name, &o.CreatedAt)
	if err != nil {
		return nil, mapErr(err)
	}
	return &o, nil
}

const userCols = `id, operator_id, email, password_hash, role, created_at`

func scanUser(r pgx.Row) (*naive.User, error) {
	var u naive.User
	if err := r.Scan(&u.ID, &u.OperatorID, &u.Email, &u.PasswordHash, &u.Role, &u.CreatedAt); err != nil {
		return nil, err
	}
	return &u, nil
}

func insertUser(ctx context.Context, q querier, method string, u *naive.User) error {
	if u.ID == "" || u.CreatedAt.IsZero() {
		return required(method, "ID", "CreatedAt")
	}
	u.CreatedAt = norm(u.CreatedAt)
	u.Role = u.Role.EffectiveRole()
	_, err := q.Exec(ctx, `INSERT INTO users (id, operator_id, email, email_lower, password_hash, role, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		u.ID, u.OperatorID, u.Email, strings.ToLower(u.Email), u.PasswordHash, u.Role, u.CreatedAt)
	return mapErr(err)
}

// CreateUser stores a human; the email is unique case-insensitively.
func (db *DB) CreateUser(ctx context.Context, u *naive.User) error {
	return insertUser(ctx, db.pool, "CreateUser", u)
}

// GetUserByEmail finds a human by email, case-insensitively.
func (db *DB) GetUserByEmail(ctx context.Context, email string) (*naive.User, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE email_lower = $1`, strings.ToLower(email)), scanUser)
}

// GetUser returns a human.
func (db *DB) GetUser(ctx context.Context, id string) (*naive.User, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id), scanUser)
}

// CreateSession stores a login session.
func (db *DB) CreateSession(ctx context.Context, s *naive.Session) error {
	if s.ID == "" || s.CreatedAt.IsZero() {
		return required("CreateSession", "ID", "CreatedAt")
	}
	s.CreatedAt = norm(s.CreatedAt)
	s.ExpiresAt = norm(s.ExpiresAt)
	_, err := db.pool.Exec(ctx, `INSERT INTO sessions (id, user_id, operator_id, token_hash, created_at, expires_at,
		user_agent, client_addr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		s.ID, s.UserID, s.OperatorID, s.TokenHash, s.CreatedAt, s.ExpiresAt, s.UserAgent, s.ClientAddr)
	return mapErr(err)
}

// GetSessionByHash returns the session of a token hash if it expires after now.
func (db *DB) GetSessionByHash(ctx context.Context, hash string, now time.Time) (*naive.Session, error) {
	return one(db.pool.QueryRow(ctx, `SELECT s.id, s.user_id, s.operator_id, s.token_hash, s.created_at, s.expires_at, u.role
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2`, hash, norm(now)),
		func(r pgx.Row) (*naive.Session, error) {
			var s naive.Session
			err := r.Scan(&s.ID, &s.UserID, &s.OperatorID, &s.TokenHash, &s.CreatedAt, &s.ExpiresAt, &s.Role)
			return &s, err
		})
}

// DeleteSession ends a session; ending an unknown one is not an error, so
// logging out twice is harmless.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	return mapErr(err)
}

// ListUserSessions lists a human's sessions unexpired at now, newest first.
func (db *DB) ListUserSessions(ctx context.Context, userID string, now time.Time) ([]naive.Session, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, user_id, operator_id, token_hash, created_at, expires_at,
		user_agent, client_addr FROM sessions WHERE user_id = $1 AND expires_at > $2
		ORDER BY created_at DESC, id DESC LIMIT 200`, userID, norm(now))
	return collect(rows, err, func(r pgx.Row) (*naive.Session, error) {
		var s naive.Session
		err := r.Scan(&s.ID, &s.UserID, &s.OperatorID, &s.TokenHash, &s.CreatedAt, &s.ExpiresAt, &s.UserAgent, &s.ClientAddr)
		return &s, err
	})
}

// DeleteUserSessions ends every session of a human but keepID.
func (db *DB) DeleteUserSessions(ctx context.Context, userID, keepID string) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, keepID)
	if err != nil {
		return 0, mapErr(err)
	}
	return int(tag.RowsAffected()), nil
}

// SetPassword replaces a human's password hash and ends their other
// sessions in one transaction.
func (db *DB) SetPassword(ctx context.Context, userID, hash, keepID string) (int, error) {
	var ended int64
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		tag, err = tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, keepID)
		ended = tag.RowsAffected()
		return err
	})
	return int(ended), mapErr(err)
}

const keyCols = `id, operator_id, mode, name, prefix, hash, agent_id, created_by, created_at, revoked_at`

func keyDests(k *naive.APIKey) []any {
	return []any{&k.ID, &k.OperatorID, &k.Mode, &k.Name, &k.Prefix, &k.Hash, &k.AgentID, &k.CreatedBy,
		&k.CreatedAt, &k.RevokedAt}
}

func scanKey(r pgx.Row) (*naive.APIKey, error) {
	var k naive.APIKey
	if err := r.Scan(keyDests(&k)...); err != nil {
		return nil, err
	}
	return &k, nil
}

func insertAPIKey(ctx context.Context, q querier, method string, k *naive.APIKey) error {
	if k.ID == "" || k.CreatedAt.IsZero() {
		return required(method, "ID", "CreatedAt")
	}
	k.CreatedAt = norm(k.CreatedAt)
	k.RevokedAt = normPtr(k.RevokedAt)
	// A bound key is inserted only while its agent exists. The key-share
	// lock waits for a DeleteAgent holding the agent's row and then finds
	// it gone; a DeleteAgent coming second waits for this insert to commit
	// and then sees the key.
	tag, err := q.Exec(ctx, `INSERT INTO api_keys (`+keyCols+`)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
		WHERE $7 = '' OR EXISTS (SELECT 1 FROM agents WHERE id = $7 AND operator_id = $2 AND mode = $3 FOR KEY SHARE)`,
		k.ID, k.OperatorID, k.Mode, k.Name, k.Prefix, k.Hash, k.AgentID, k.CreatedBy, k.CreatedAt, k.RevokedAt)
	return affected(tag, err, store.ErrNotFound)
}

// CreateAPIKey stores a key (its hash only); a hash already stored is a
// conflict, an agent not in the key's scope not found.
func (db *DB) CreateAPIKey(ctx context.Context, k *naive.APIKey) error {
	return insertAPIKey(ctx, db.pool, "CreateAPIKey", k)
}

// GetAPIKeyByHash returns an unrevoked key by hash.
func (db *DB) GetAPIKeyByHash(ctx context.Context, hash string) (*naive.APIKey, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+keyCols+` FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`, hash), scanKey)
}

var callerQuery = `SELECT ` + prefixed("k.", keyCols) + `, ` + prefixed("s.", subjectCols) + `,
	COALESCE(v.version, 0), COALESCE(v.numbers, 0)
	FROM api_keys k JOIN subjects s ON s.operator_id = k.operator_id AND s.mode = k.mode
		AND s.is_default AND s.deleted_at IS NULL
	LEFT JOIN config_versions v ON v.operator_id = k.operator_id
	WHERE k.hash = $1 AND k.revoked_at IS NULL`

// GetCaller returns an unrevoked key by hash and, read in the same
// statement, the default subject of its scope (nil when it has none).
func (db *DB) GetCaller(ctx context.Context, hash string) (*naive.APIKey, *naive.Subject, store.Versions, error) {
	var (
		k       naive.APIKey
		s       subjectRow
		version store.Versions
	)
	err := db.pool.QueryRow(ctx, callerQuery, hash).Scan(append(append(keyDests(&k), s.dests()...), &version.Config, &version.Numbers)...)
	if errors.Is(err, pgx.ErrNoRows) {
		// No default subject (or no key): the key alone.
		return db.keyAlone(ctx, hash)
	}
	if err != nil {
		return nil, nil, store.Versions{}, mapErr(err)
	}
	return &k, s.finish(), version, nil
}

// keyAlone is GetCaller for a key whose scope has no default subject.
func (db *DB) keyAlone(ctx context.Context, hash string) (*naive.APIKey, *naive.Subject, store.Versions, error) {
	var (
		k       naive.APIKey
		version store.Versions
	)
	err := db.pool.QueryRow(ctx, `SELECT `+prefixed("k.", keyCols)+`, COALESCE(v.version, 0), COALESCE(v.numbers, 0)
		FROM api_keys k LEFT JOIN config_versions v ON v.operator_id = k.operator_id
		WHERE k.hash = $1 AND k.revoked_at IS NULL`, hash).Scan(append(keyDests(&k), &version.Config, &version.Numbers)...)
	if err != nil {
		return nil, nil, store.Versions{}, mapErr(err)
	}
	return &k, nil, version, nil
}

// Versions returns the operator's counters.
func (db *DB) Versions(ctx context.Context, operatorID string) (store.Versions, error) {
	var v store.Versions
	err := db.pool.QueryRow(ctx, `SELECT version, numbers FROM config_versions WHERE operator_id = $1`, operatorID).Scan(&v.Config, &v.Numbers)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Versions{}, nil
	}
	return v, mapErr(err)
}

// ListAPIKeys lists an operator's keys of both modes, revoked ones too, newest first.
func (db *DB) ListAPIKeys(ctx context.Context, operatorID string, p naive.Page) ([]naive.APIKey, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+keyCols+` FROM api_keys
		WHERE operator_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3`,
		operatorID, p.After, limit(p.Limit))
	return collect(rows, err, scanKey)
}

// RevokeAPIKey revokes an unrevoked key of the operator.
func (db *DB) RevokeAPIKey(ctx context.Context, operatorID, id string, at time.Time) (*naive.APIKey, error) {
	return one(db.pool.QueryRow(ctx, `UPDATE api_keys SET revoked_at = $1
		WHERE operator_id = $2 AND id = $3 AND revoked_at IS NULL RETURNING `+keyCols,
		norm(at), operatorID, id), scanKey)
}

// LoginFailures returns the failures counted under keys since since, in
// one statement.
func (db *DB) LoginFailures(ctx context.Context, keys []string, since time.Time) (map[string]store.LoginFailure, error) {
	rows, err := db.pool.Query(ctx, `SELECT key, failures, last_at FROM login_failures WHERE key = ANY($1) AND last_at > $2`,
		keys, norm(since))
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := map[string]store.LoginFailure{}
	for rows.Next() {
		var k string
		var f store.LoginFailure
		if err := rows.Scan(&k, &f.Failures, &f.Last); err != nil {
			return nil, mapErr(err)
		}
		out[k] = f
	}
	return out, mapErr(rows.Err())
}

// RecordLoginFailure counts a failure under each key in one transaction.
func (db *DB) RecordLoginFailure(ctx context.Context, keys []string, at, since time.Time) error {
	return mapErr(db.tx(ctx, func(tx pgx.Tx) error {
		for _, k := range keys {
			if _, err := tx.Exec(ctx, `INSERT INTO login_failures (key, failures, last_at) VALUES ($1, 1, $2)
				ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN login_failures.last_at > $3 THEN login_failures.failures + 1 ELSE 1 END,
				last_at = excluded.last_at`, k, norm(at), norm(since)); err != nil {
				return err
			}
		}
		return nil
	}))
}

// ClearLoginFailures forgets the failures counted under key.
func (db *DB) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, key)
	return mapErr(err)
}

// ForgiveLoginFailure takes one failure back from key's count.
func (db *DB) ForgiveLoginFailure(ctx context.Context, key string) error {
	_, err := db.pool.Exec(ctx, `UPDATE login_failures SET failures = failures - 1 WHERE key = $1 AND failures > 0`, key)
	return mapErr(err)
}

// TakeRateTokens leases up to take tokens from key's bucket, in one
// statement under the row's lock.
func (db *DB) TakeRateTokens(ctx context.Context, key string, take int, rps float64, burst int, now time.Time) (int, error) {
	t := float64(now.UnixMicro()) / 1e6
	var got int
	err := db.pool.QueryRow(ctx, `INSERT INTO rate_buckets AS b (key, tokens, updated_at, granted)
		VALUES ($1, $2::float8 - LEAST($3::int, FLOOR($2::float8)), $5::float8, LEAST($3::int, FLOOR($2::float8)))
		ON CONFLICT (key) DO UPDATE SET
			granted = LEAST($3::int, FLOOR(LEAST($2::float8, b.tokens + GREATEST($5::float8 - b.updated_at, 0) * $4::float8))),
			tokens = LEAST($2::float8, b.tokens + GREATEST($5::float8 - b.updated_at, 0) * $4::float8)
				- LEAST($3::int, FLOOR(LEAST($2::float8, b.tokens + GREATEST($5::float8 - b.updated_at, 0) * $4::float8))),
			updated_at = GREATEST($5::float8, b.updated_at)
		RETURNING granted`, key, float64(burst), take, rps, t).Scan(&got)
	return got, mapErr(err)
}
