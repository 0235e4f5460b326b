package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// userListCols are userCols qualified for the users u / invites i join,
// with the user's status.
const userListCols = `u.id, u.operator_id, u.email, u.password_hash, u.role, u.created_at,
	CASE WHEN i.user_id IS NULL THEN 'active' ELSE 'invited' END`

func scanListedUser(r pgx.Row) (*naive.User, error) {
	var u naive.User
	if err := r.Scan(&u.ID, &u.OperatorID, &u.Email, &u.PasswordHash, &u.Role, &u.CreatedAt, &u.Status); err != nil {
		return nil, err
	}
	return &u, nil
}

// ListUsers lists an operator's humans, newest first, with their status.
func (db *DB) ListUsers(ctx context.Context, operatorID string, p naive.Page) ([]naive.User, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+userListCols+` FROM users u LEFT JOIN invites i ON i.user_id = u.id
		WHERE u.operator_id = $1 AND ($2 = '' OR u.id < $2) ORDER BY u.id DESC LIMIT $3`,
		operatorID, p.After, limit(p.Limit))
	return collect(rows, err, scanListedUser)
}

// CreateInvitedUser stores a human with no usable password and their
// invite in one transaction.
func (db *DB) CreateInvitedUser(ctx context.Context, u *naive.User, tokenHash string, expiresAt time.Time) error {
	if tokenHash == "" || expiresAt.IsZero() {
		return required("CreateInvitedUser", "tokenHash", "expiresAt")
	}
	u.PasswordHash = ""
	return db.tx(ctx, func(tx pgx.Tx) error {
		if err := insertUser(ctx, tx, "CreateInvitedUser", u); err != nil {
			return err
		}
		u.Status = naive.UserInvited
		_, err := tx.Exec(ctx, `INSERT INTO invites (user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			u.ID, tokenHash, u.CreatedAt, norm(expiresAt))
		return err
	})
}

// AcceptInvite consumes an unexpired invite, sets its user's password and
// stores the session, in one transaction. DELETE … RETURNING takes the
// invite's row lock, so of two concurrent acceptances the second finds
// it gone.
func (db *DB) AcceptInvite(ctx context.Context, tokenHash, passwordHash string, now time.Time, sess *naive.Session) (*naive.User, error) {
	if sess.ID == "" || sess.CreatedAt.IsZero() {
		return nil, required("AcceptInvite", "ID", "CreatedAt")
	}
	var u *naive.User
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var userID string
		if err := tx.QueryRow(ctx, `DELETE FROM invites WHERE token_hash = $1 AND expires_at > $2 RETURNING user_id`,
			tokenHash, norm(now)).Scan(&userID); err != nil {
			return err
		}
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2 RETURNING `+userCols,
			passwordHash, userID))
		if err != nil {
			return err
		}
		u.Status = naive.UserActive
		sess.UserID, sess.OperatorID, sess.Role = u.ID, u.OperatorID, u.Role
		sess.CreatedAt, sess.ExpiresAt = norm(sess.CreatedAt), norm(sess.ExpiresAt)
		_, err = tx.Exec(ctx, `INSERT INTO sessions (id, user_id, operator_id, token_hash, created_at, expires_at,
			user_agent, client_addr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			sess.ID, sess.UserID, sess.OperatorID, sess.TokenHash, sess.CreatedAt, sess.ExpiresAt, sess.UserAgent, sess.ClientAddr)
		return err
	})
	if err != nil {
		return nil, mapErr(err)
	}
	return u, nil
}

// errLastOwner is returned inside a transaction that would leave the
// operator without an owner.
var errLastOwner = errors.New("last owner")

// changeUser runs change on an operator's human after refusing to leave
// the operator without an active owner when keeps is false. The
// transaction first locks the operator's row (FOR NO KEY UPDATE, which
// inserts referencing the operator do not wait for), so changes to one
// operator's people run one after another: two concurrent demotions of
// the last two owners cannot both see the other still an owner.
func (db *DB) changeUser(ctx context.Context, operatorID, id string, keeps func(*naive.User) bool,
	change func(pgx.Tx, *naive.User) error) (*naive.User, error) {
	var u *naive.User
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM operators WHERE id = $1 FOR NO KEY UPDATE`, operatorID).Scan(&one); err != nil {
			return err
		}
		var err error
		u, err = scanListedUser(tx.QueryRow(ctx, `SELECT `+userListCols+` FROM users u LEFT JOIN invites i ON i.user_id = u.id
			WHERE u.operator_id = $1 AND u.id = $2`, operatorID, id))
		if err != nil {
			return err
		}
		if u.Role.EffectiveRole() == naive.RoleOwner && u.Status == naive.UserActive && !keeps(u) {
			var others bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE operator_id = $1 AND id <> $2 AND role = 'owner'
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
		return nil, mapErr(err)
	}
	return u, nil
}

// UpdateUserRole sets a human's role; the last active owner keeps theirs.
func (db *DB) UpdateUserRole(ctx context.Context, operatorID, id string, role naive.Role) (*naive.User, error) {
	role = role.EffectiveRole()
	return db.changeUser(ctx, operatorID, id, func(*naive.User) bool { return role == naive.RoleOwner },
		func(tx pgx.Tx, u *naive.User) error {
			_, err := tx.Exec(ctx, `UPDATE users SET role = $1 WHERE id = $2`, role, u.ID)
			u.Role = role
			return err
		})
}

// DeleteUser deletes a human with their sessions and invite; the last
// active owner stays.
func (db *DB) DeleteUser(ctx context.Context, operatorID, id string) (int, error) {
	var ended int64
	_, err := db.changeUser(ctx, operatorID, id, func(*naive.User) bool { return false },
		func(tx pgx.Tx, u *naive.User) error {
			tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID)
			if err != nil {
				return err
			}
			ended = tag.RowsAffected()
			if _, err := tx.Exec(ctx, `DELETE FROM invites WHERE user_id = $1`, u.ID); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, u.ID)
			return err
		})
	return int(ended), err
}
