package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// execer is what the insert helpers need, so Seed runs them in its
// transaction and the Create methods on the writer pool: a *txn or a
// *pool, both of which run prepared statements.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) scanner
}

// Seed stores s in one IMMEDIATE transaction if there is no operator yet;
// the write lock taken by BEGIN makes concurrent seeders check one after
// another, so exactly one finds the database empty.
func (db *DB) Seed(ctx context.Context, s *store.SeedData) (bool, error) {
	seeded := false
	err := db.tx(ctx, func(tx *txn) error {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM operators)`).Scan(&exists); err != nil {
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

func insertOperator(ctx context.Context, ex execer, method string, o *naive.Operator) error {
	if o.ID == "" || o.CreatedAt.IsZero() {
		return required(method, "ID", "CreatedAt")
	}
	o.CreatedAt = norm(o.CreatedAt)
	_, err := ex.ExecContext(ctx, `INSERT INTO operators (id, name, created_at) VALUES (?, ?, ?)`,
		o.ID, o.Name, ts(o.CreatedAt))
	return mapErr(err)
}

// Seeded reports whether the database holds an operator.
func (db *DB) Seeded(ctx context.Context) (bool, error) {
	var ok bool
	err := db.reader.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM operators)`).Scan(&ok)
	return ok, mapErr(err)
}

// GetOperator returns an operator.
func (db *DB) GetOperator(ctx context.Context, id string) (*naive.Operator, error) {
	var o naive.Operator
	err := db.reader.QueryRowContext(ctx, `SELECT id, name, created_at FROM operators WHERE id = ?`, id).
		Scan(&o.ID, &o.Name, timeCol{&o.CreatedAt})
	if err != nil {
		return nil, notFound(err)
	}
	return &o, nil
}

const userCols = `id, operator_id, email, password_hash, role, created_at`

func scanUser(s scanner) (*naive.User, error) {
	var u naive.User
	if err := s.Scan(&u.ID, &u.OperatorID, &u.Email, &u.PasswordHash, &u.Role, timeCol{&u.CreatedAt}); err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

func insertUser(ctx context.Context, ex execer, method string, u *naive.User) error {
	if u.ID == "" || u.CreatedAt.IsZero() {
		return required(method, "ID", "CreatedAt")
	}
	u.CreatedAt = norm(u.CreatedAt)
	u.Role = u.Role.EffectiveRole()
	_, err := ex.ExecContext(ctx, `INSERT INTO users (id, operator_id, email, email_lower, password_hash, role, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.OperatorID, u.Email, strings.ToLower(u.Email), u.PasswordHash, u.Role, ts(u.CreatedAt))
	return mapErr(err)
}

// CreateUser stores a human; the email is unique case-insensitively.
func (db *DB) CreateUser(ctx context.Context, u *naive.User) error {
	return insertUser(ctx, db.writer, "CreateUser", u)
}

// GetUserByEmail finds a human by email, case-insensitively.
func (db *DB) GetUserByEmail(ctx context.Context, email string) (*naive.User, error) {
	return scanUser(db.reader.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email_lower = ?`, strings.ToLower(email)))
}

// GetUser returns a human.
func (db *DB) GetUser(ctx context.Context, id string) (*naive.User, error) {
	return scanUser(db.reader.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
}

// CreateSession stores a login session.
func (db *DB) CreateSession(ctx context.Context, s *naive.Session) error {
	if s.ID == "" || s.CreatedAt.IsZero() {
		return required("CreateSession", "ID", "CreatedAt")
	}
	s.CreatedAt = norm(s.CreatedAt)
	s.ExpiresAt = norm(s.ExpiresAt)
	_, err := db.writer.ExecContext(ctx, `INSERT INTO sessions (id, user_id, operator_id, token_hash, created_at, expires_at,
		user_agent, client_addr) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.UserID, s.OperatorID, s.TokenHash, ts(s.CreatedAt), ts(s.ExpiresAt), s.UserAgent, s.ClientAddr)
	return mapErr(err)
}

// GetSessionByHash returns the session of a token hash if it expires after now.
func (db *DB) GetSessionByHash(ctx context.Context, hash string, now time.Time) (*naive.Session, error) {
	var s naive.Session
	err := db.reader.QueryRowContext(ctx, `SELECT s.id, s.user_id, s.operator_id, s.token_hash, s.created_at, s.expires_at, u.role
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?`, hash, ts(now)).
		Scan(&s.ID, &s.UserID, &s.OperatorID, &s.TokenHash, timeCol{&s.CreatedAt}, timeCol{&s.ExpiresAt}, &s.Role)
	if err != nil {
		return nil, notFound(err)
	}
	return &s, nil
}

// DeleteSession ends a session; ending an unknown one is not an error, so
// logging out twice is harmless.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	_, err := db.writer.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	return mapErr(err)
}

// ListUserSessions lists a human's sessions unexpired at now, newest first.
func (db *DB) ListUserSessions(ctx context.Context, userID string, now time.Time) ([]naive.Session, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT id, user_id, operator_id, token_hash, created_at, expires_at,
		user_agent, client_addr FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC, id DESC LIMIT 200`,
		userID, ts(now))
	return collect(rows, err, func(r scanner) (*naive.Session, error) {
		var s naive.Session
		err := r.Scan(&s.ID, &s.UserID, &s.OperatorID, &s.TokenHash, timeCol{&s.CreatedAt}, timeCol{&s.ExpiresAt},
			&s.UserAgent, &s.ClientAddr)
		return &s, err
	})
}

// DeleteUserSessions ends every session of a human but keepID.
func (db *DB) DeleteUserSessions(ctx context.Context, userID, keepID string) (int, error) {
	res, err := db.writer.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, keepID)
	if err != nil {
		return 0, mapErr(err)
	}
	n, err := res.RowsAffected()
	return int(n), mapErr(err)
}

// SetPassword replaces a human's password hash and ends their other
// sessions in one transaction.
func (db *DB) SetPassword(ctx context.Context, userID, hash, keepID string) (int, error) {
	var ended int64
	err := db.tx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
		if err := affected(res, err, store.ErrNotFound); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, keepID)
		if err != nil {
			return err
		}
		ended, err = res.RowsAffected()
		return err
	})
	return int(ended), err
}

const keyCols = `id, operator_id, mode, name, prefix, hash, agent_id, created_by, created_at, revoked_at`

func keyDests(k *naive.APIKey) []any {
	return []any{&k.ID, &k.OperatorID, &k.Mode, &k.Name, &k.Prefix, &k.Hash, &k.AgentID, &k.CreatedBy,
		timeCol{&k.CreatedAt}, nullTimeCol{&k.RevokedAt}}
}

func scanKey(s scanner) (*naive.APIKey, error) {
	var k naive.APIKey
	if err := s.Scan(keyDests(&k)...); err != nil {
		return nil, notFound(err)
	}
	return &k, nil
}

func insertAPIKey(ctx context.Context, ex execer, method string, k *naive.APIKey) error {
	if k.ID == "" || k.CreatedAt.IsZero() {
		return required(method, "ID", "CreatedAt")
	}
	k.CreatedAt = norm(k.CreatedAt)
	k.RevokedAt = normPtr(k.RevokedAt)
	// A bound key is inserted only while its agent exists: under the write
	// lock the check and the insert are atomic with DeleteAgent.
	res, err := ex.ExecContext(ctx, `INSERT INTO api_keys (`+keyCols+`)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE ? = '' OR EXISTS (SELECT 1 FROM agents WHERE id = ? AND operator_id = ? AND mode = ?)`,
		k.ID, k.OperatorID, k.Mode, k.Name, k.Prefix, k.Hash, k.AgentID, k.CreatedBy, ts(k.CreatedAt), nts(k.RevokedAt),
		k.AgentID, k.AgentID, k.OperatorID, k.Mode)
	return affected(res, err, store.ErrNotFound)
}

// CreateAPIKey stores a key (its hash only); a hash already stored is a
// conflict, an agent not in the key's scope not found.
func (db *DB) CreateAPIKey(ctx context.Context, k *naive.APIKey) error {
	return insertAPIKey(ctx, db.writer, "CreateAPIKey", k)
}

// GetAPIKeyByHash returns an unrevoked key by hash.
func (db *DB) GetAPIKeyByHash(ctx context.Context, hash string) (*naive.APIKey, error) {
	return scanKey(db.reader.QueryRowContext(ctx, `SELECT `+keyCols+` FROM api_keys WHERE hash = ? AND revoked_at IS NULL`, hash))
}

var callerQuery = `SELECT ` + prefixed("k.", keyCols) + `, ` + prefixed("s.", subjectCols) + `,
	COALESCE(v.version, 0), COALESCE(v.numbers, 0)
	FROM api_keys k JOIN subjects s ON s.operator_id = k.operator_id AND s.mode = k.mode
		AND s.is_default = 1 AND s.deleted_at IS NULL
	LEFT JOIN config_versions v ON v.operator_id = k.operator_id
	WHERE k.hash = ? AND k.revoked_at IS NULL`

// GetCaller returns an unrevoked key by hash and, read in the same
// statement, the default subject of its scope (nil when it has none).
func (db *DB) GetCaller(ctx context.Context, hash string) (*naive.APIKey, *naive.Subject, store.Versions, error) {
	var (
		k       naive.APIKey
		s       subjectRow
		version store.Versions
	)
	err := db.reader.QueryRowContext(ctx, callerQuery, hash).Scan(append(append(keyDests(&k), s.dests()...), &version.Config, &version.Numbers)...)
	if errors.Is(err, sql.ErrNoRows) {
		// No default subject (or no key): the key alone.
		return db.keyAlone(ctx, hash)
	}
	if err != nil {
		return nil, nil, store.Versions{}, mapErr(err)
	}
	subj, err := s.finish()
	return &k, subj, version, err
}

// keyAlone is GetCaller for a key whose scope has no default subject.
func (db *DB) keyAlone(ctx context.Context, hash string) (*naive.APIKey, *naive.Subject, store.Versions, error) {
	var (
		k       naive.APIKey
		version store.Versions
	)
	err := db.reader.QueryRowContext(ctx, `SELECT `+prefixed("k.", keyCols)+`, COALESCE(v.version, 0), COALESCE(v.numbers, 0)
		FROM api_keys k LEFT JOIN config_versions v ON v.operator_id = k.operator_id
		WHERE k.hash = ? AND k.revoked_at IS NULL`, hash).Scan(append(keyDests(&k), &version.Config, &version.Numbers)...)
	if err != nil {
		return nil, nil, store.Versions{}, notFound(err)
	}
	return &k, nil, version, nil
}

// Versions returns the operator's counters.
func (db *DB) Versions(ctx context.Context, operatorID string) (store.Versions, error) {
	var v store.Versions
	err := db.reader.QueryRowContext(ctx, `SELECT version, numbers FROM config_versions WHERE operator_id = ?`, operatorID).Scan(&v.Config, &v.Numbers)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Versions{}, nil
	}
	return v, mapErr(err)
}

// ListAPIKeys lists an operator's keys of both modes, revoked ones too, newest first.
func (db *DB) ListAPIKeys(ctx context.Context, operatorID string, p naive.Page) ([]naive.APIKey, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+keyCols+` FROM api_keys
		WHERE operator_id = ? AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?`,
		operatorID, p.After, p.After, limit(p.Limit))
	return collect(rows, err, scanKey)
}

// RevokeAPIKey revokes an unrevoked key of the operator.
func (db *DB) RevokeAPIKey(ctx context.Context, operatorID, id string, at time.Time) (*naive.APIKey, error) {
	return scanKey(db.writer.QueryRowContext(ctx, `UPDATE api_keys SET revoked_at = ?
		WHERE operator_id = ? AND id = ? AND revoked_at IS NULL RETURNING `+keyCols,
		ts(at), operatorID, id))
}

// LoginFailures returns the failures counted under keys since since.
func (db *DB) LoginFailures(ctx context.Context, keys []string, since time.Time) (map[string]store.LoginFailure, error) {
	out := map[string]store.LoginFailure{}
	for _, k := range keys {
		var f store.LoginFailure
		err := db.reader.QueryRowContext(ctx, `SELECT failures, last_at FROM login_failures WHERE key = ? AND last_at > ?`,
			k, ts(since)).Scan(&f.Failures, timeCol{&f.Last})
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, mapErr(err)
		}
		out[k] = f
	}
	return out, nil
}

// RecordLoginFailure counts a failure under each key in one transaction.
func (db *DB) RecordLoginFailure(ctx context.Context, keys []string, at, since time.Time) error {
	return db.tx(ctx, func(tx *txn) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key, failures, last_at) VALUES (?, 1, ?)
				ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN login_failures.last_at > ? THEN login_failures.failures + 1 ELSE 1 END,
				last_at = excluded.last_at`, k, ts(at), ts(since)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClearLoginFailures forgets the failures counted under key.
func (db *DB) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := db.writer.ExecContext(ctx, `DELETE FROM login_failures WHERE key = ?`, key)
	return mapErr(err)
}

// ForgiveLoginFailure takes one failure back from key's count.
func (db *DB) ForgiveLoginFailure(ctx context.Context, key string) error {
	_, err := db.writer.ExecContext(ctx, `UPDATE login_failures SET failures = failures - 1 WHERE key = ? AND failures > 0`, key)
	return mapErr(err)
}

// TakeRateTokens leases up to take tokens from key's bucket, in one
// statement under the write lock.
func (db *DB) TakeRateTokens(ctx context.Context, key string, take int, rps float64, burst int, now time.Time) (int, error) {
	t := float64(now.UnixMicro()) / 1e6
	var got int
	err := db.writer.QueryRowContext(ctx, `INSERT INTO rate_buckets AS b (key, tokens, updated_at, granted)
		VALUES (?1, ?2 - MIN(?3, CAST(?2 AS INTEGER)), ?5, MIN(?3, CAST(?2 AS INTEGER)))
		ON CONFLICT (key) DO UPDATE SET
			granted = MIN(?3, CAST(MIN(?2, b.tokens + MAX(?5 - b.updated_at, 0) * ?4) AS INTEGER)),
			tokens = MIN(?2, b.tokens + MAX(?5 - b.updated_at, 0) * ?4)
				- MIN(?3, CAST(MIN(?2, b.tokens + MAX(?5 - b.updated_at, 0) * ?4) AS INTEGER)),
			updated_at = MAX(?5, b.updated_at)
		RETURNING granted`, key, float64(burst), take, rps, t).Scan(&got)
	return got, mapErr(err)
}
