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
		if err := insertOperator(ctx, tx, "Seed", &s.Operator); err != nil {
			return err
		}
		op := s.Operator.ID
		if s.User.Email != "" {
			if s.User.OperatorID == "" {
				s.User.OperatorID = op
			}
			if err := insertUser(ctx, tx, "Seed", &s.User); err != nil {
				return err
			}
		}
		for i := range s.Subjects {
			if s.Subjects[i].OperatorID == "" {
				s.Subjects[i].OperatorID = op
			}
			if err := insertSubject(ctx, tx, "Seed", &s.Subjects[i]); err != nil {
				return err
			}
		}
		for i := range s.Keys {
			if s.Keys[i].OperatorID == "" {
				s.Keys[i].OperatorID = op
			}
			if err := insertAPIKey(ctx, tx, "Seed", &s.Keys[i]); err != nil {
				return err
			}
		}
		for i := range s.Grants {
			if s.Grants[i].OperatorID == "" {
				s.Grants[i].OperatorID = op
			}
			if _, err := applyLedger(ctx, tx, "Seed", &s.Grants[i]); err != nil {
				return err
			}
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

const userCols = `id, operator_id, email, password_hash, created_at`

func scanUser(r pgx.Row) (*naive.User, error) {
	var u naive.User
	if err := r.Scan(&u.ID, &u.OperatorID, &u.Email, &u.PasswordHash, &u.CreatedAt); err != nil {
		return nil, err
	}
	return &u, nil
}

func insertUser(ctx context.Context, q querier, method string, u *naive.User) error {
	if u.ID == "" || u.CreatedAt.IsZero() {
		return required(method, "ID", "CreatedAt")
	}
	u.CreatedAt = norm(u.CreatedAt)
	_, err := q.Exec(ctx, `INSERT INTO users (id, operator_id, email, email_lower, password_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		u.ID, u.OperatorID, u.Email, strings.ToLower(u.Email), u.PasswordHash, u.CreatedAt)
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
	return one(db.pool.QueryRow(ctx, `SELECT id, user_id, operator_id, token_hash, created_at, expires_at
		FROM sessions WHERE token_hash = $1 AND expires_at > $2`, hash, norm(now)),
		func(r pgx.Row) (*naive.Session, error) {
			var s naive.Session
			err := r.Scan(&s.ID, &s.UserID, &s.OperatorID, &s.TokenHash, &s.CreatedAt, &s.ExpiresAt)
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
