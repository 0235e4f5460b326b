package sqlite

import (
	"context"
	"errors"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// userListCols are userCols qualified for the users u / invites i join,
// with the user's status.
const userListCols = `u.id, u.operator_id, u.email, u.password_hash, u.role, u.created_at,
	CASE WHEN i.user_id IS NULL THEN 'active' ELSE 'invited' END`

func scanListedUser(s scanner) (*naive.User, error) {
	var u naive.User
	if err := s.Scan(&u.ID, &u.OperatorID, &u.Email, &u.PasswordHash, &u.Role, timeCol{&u.CreatedAt}, &u.Status); err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// ListUsers lists an operator's humans, newest first, with their status.
func (db *DB) ListUsers(ctx context.Context, operatorID string, p naive.Page) ([]naive.User, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+userListCols+` FROM users u LEFT JOIN invites i ON i.user_id = u.id
		WHERE u.operator_id = ? AND (? = '' OR u.id < ?) ORDER BY u.id DESC LIMIT ?`,
		operatorID, p.After, p.After, limit(p.Limit))
	return collect(rows, err, scanListedUser)
}

// CreateInvitedUser stores a human with no usable password and their
// invite in one transaction.
func (db *DB) CreateInvitedUser(ctx context.Context, u *naive.User, tokenHash string, expiresAt time.Time) error {
	if tokenHash == "" || expiresAt.IsZero() {
		return required("CreateInvitedUser", "tokenHash", "expiresAt")
	}
	u.PasswordHash = ""
	return db.tx(ctx, func(tx *txn) error {
		if err := insertUser(ctx, tx, "CreateInvitedUser", u); err != nil {
			return err
		}
		u.Status = naive.UserInvited
		_, err := tx.ExecContext(ctx, `INSERT INTO invites (user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			u.ID, tokenHash, ts(u.CreatedAt), ts(expiresAt))
		return err
	})
}

// AcceptInvite consumes an unexpired invite, sets its user's password and
// stores the session, in one transaction.
func (db *DB) AcceptInvite(ctx context.Context, tokenHash, passwordHash string, now time.Time, sess *naive.Session) (*naive.User, error) {
	if sess.ID == "" || sess.CreatedAt.IsZero() {
		return nil, required("AcceptInvite", "ID", "CreatedAt")
	}
	var u *naive.User
	err := db.tx(ctx, func(tx *txn) error {
		var userID string
		if err := tx.QueryRowContext(ctx, `DELETE FROM invites WHERE token_hash = ? AND expires_at > ? RETURNING user_id`,
			tokenHash, ts(now)).Scan(&userID); err != nil {
			return notFound(err)
		}
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ? RETURNING `+userCols,
			passwordHash, userID))
		if err != nil {
			return err
		}
		u.Status = naive.UserActive
		sess.UserID, sess.OperatorID, sess.Role = u.ID, u.OperatorID, u.Role
		sess.CreatedAt, sess.ExpiresAt = norm(sess.CreatedAt), norm(sess.ExpiresAt)
		_, err = tx.ExecContext(ctx, `INSERT INTO sessions (id, user_id, operator_id, token_hash, created_at, expires_at,
			user_agent, client_addr) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			sess.ID, sess.UserID, sess.OperatorID, sess.TokenHash, ts(sess.CreatedAt), ts(sess.ExpiresAt), sess.UserAgent, sess.ClientAddr)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// errLastOwner is returned inside a transaction that would leave the
// operator without an owner.
var errLastOwner = errors.New("last owner")

// changeUser runs change on an operator's human (read inside the write
// transaction: SQLite's one writer serializes the check and the change)
// after refusing to leave the operator without an active owner when keeps
// is false.
func (db *DB) changeUser(ctx context.Context, operatorID, id string, keeps func(*naive.User) bool,
	change func(*txn, *naive.User) error) (*naive.User, error) {
	var u *naive.User
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		u, err = scanListedUser(tx.QueryRowContext(ctx, `SELECT `+userListCols+` FROM users u LEFT JOIN invites i ON i.user_id = u.id
			WHERE u.operator_id = ? AND u.id = ?`, operatorID, id))
		if err != nil {
			return err
		}
		if u.Role.EffectiveRole() == naive.RoleOwner && u.Status == naive.UserActive && !keeps(u) {
			var others bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE operator_id = ? AND id <> ? AND role = 'owner'
				AND NOT EXISTS (SELECT 1 FROM invites WHERE user_id = users.id))`, operatorID, id).Scan(&others); err != nil {
				return err
			}
			if !others {
				return errLastOwner
			}
		}
		return change(tx, u)
	})
	if errors.Is(err, errLastOwner) {
		return nil, store.ErrConflict
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

// UpdateUserRole sets a human's role; the last active owner keeps theirs.
func (db *DB) UpdateUserRole(ctx context.Context, operatorID, id string, role naive.Role) (*naive.User, error) {
	role = role.EffectiveRole()
	return db.changeUser(ctx, operatorID, id, func(*naive.User) bool { return role == naive.RoleOwner },
		func(tx *txn, u *naive.User) error {
			_, err := tx.ExecContext(ctx, `UPDATE users SET role = ? WHERE id = ?`, role, u.ID)
			u.Role = role
			return err
		})
}

// DeleteUser deletes a human with their sessions and invite; the last
// active owner stays.
func (db *DB) DeleteUser(ctx context.Context, operatorID, id string) (int, error) {
	var ended int64
	_, err := db.changeUser(ctx, operatorID, id, func(*naive.User) bool { return false },
		func(tx *txn, u *naive.User) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID)
			if err != nil {
				return err
			}
			if ended, err = res.RowsAffected(); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM invites WHERE user_id = ?`, u.ID); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, u.ID)
			return err
		})
	return int(ended), err
}
