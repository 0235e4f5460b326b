package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/store"
)

const idemCols = `operator_id, principal_id, key, method, path, request_hash, completed, status, body, created_at`

func scanIdem(r pgx.Row) (*store.IdempotencyRecord, error) {
	var rec store.IdempotencyRecord
	if err := r.Scan(&rec.OperatorID, &rec.PrincipalID, &rec.Key, &rec.Method, &rec.Path, &rec.RequestHash,
		&rec.Completed, &rec.Status, &rec.Body, &rec.CreatedAt); err != nil {
		return nil, err
	}
	return &rec, nil
}

// BeginIdempotent inserts rec in progress unless its key is taken by a
// record created at or after expiredBefore, which it returns instead.
// INSERT … ON CONFLICT DO NOTHING waits for a concurrent first request, and
// SELECT … FOR UPDATE serializes replacing an expired record, so of
// concurrent requests exactly one gets nil and runs.
func (db *DB) BeginIdempotent(ctx context.Context, rec *store.IdempotencyRecord, expiredBefore time.Time) (*store.IdempotencyRecord, error) {
	if rec.CreatedAt.IsZero() {
		return nil, required("BeginIdempotent", "CreatedAt")
	}
	rec.CreatedAt = norm(rec.CreatedAt)
	expiredBefore = norm(expiredBefore)
	var existing *store.IdempotencyRecord
	err := db.tx(ctx, func(tx pgx.Tx) error {
		for range claimAttempts {
			existing = nil
			tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (`+idemCols+`)
				VALUES ($1, $2, $3, $4, $5, $6, false, 0, NULL, $7)
				ON CONFLICT (operator_id, principal_id, key) DO NOTHING`,
				rec.OperatorID, rec.PrincipalID, rec.Key, rec.Method, rec.Path, rec.RequestHash, rec.CreatedAt)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				return nil
			}
			cur, err := scanIdem(tx.QueryRow(ctx, `SELECT `+idemCols+` FROM idempotency_keys
				WHERE operator_id = $1 AND principal_id = $2 AND key = $3 FOR UPDATE`,
				rec.OperatorID, rec.PrincipalID, rec.Key))
			if errors.Is(err, pgx.ErrNoRows) {
				continue // aborted since our insert; try again
			}
			if err != nil {
				return err
			}
			if !cur.CreatedAt.Before(expiredBefore) {
				existing = cur
				return nil
			}
			_, err = tx.Exec(ctx, `UPDATE idempotency_keys SET method = $4, path = $5, request_hash = $6,
				completed = false, status = 0, body = NULL, created_at = $7
				WHERE operator_id = $1 AND principal_id = $2 AND key = $3`,
				rec.OperatorID, rec.PrincipalID, rec.Key, rec.Method, rec.Path, rec.RequestHash, rec.CreatedAt)
			return err
		}
		return errClaimVanished
	})
	if err != nil {
		return nil, err
	}
	return existing, nil
}

// CompleteIdempotent stores the response of an in-progress key. Errors:
// store.ErrNotFound (no such key), store.ErrConflict (already completed).
func (db *DB) CompleteIdempotent(ctx context.Context, rec *store.IdempotencyRecord) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE idempotency_keys SET completed = true, status = $1, body = $2
			WHERE operator_id = $3 AND principal_id = $4 AND key = $5 AND NOT completed`,
			rec.Status, rec.Body, rec.OperatorID, rec.PrincipalID, rec.Key)
		if err := affected(tag, err, store.ErrNotFound); !errors.Is(err, store.ErrNotFound) {
			if err == nil {
				rec.Completed = true
			}
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM idempotency_keys
			WHERE operator_id = $1 AND principal_id = $2 AND key = $3)`, rec.OperatorID, rec.PrincipalID, rec.Key).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return store.ErrConflict
		}
		return store.ErrNotFound
	})
}

// AbortIdempotent deletes an in-progress key so a retry runs again; a
// completed key stays, so its response keeps being replayed.
func (db *DB) AbortIdempotent(ctx context.Context, rec *store.IdempotencyRecord) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM idempotency_keys
		WHERE operator_id = $1 AND principal_id = $2 AND key = $3 AND NOT completed`,
		rec.OperatorID, rec.PrincipalID, rec.Key)
	return mapErr(err)
}

// GetIdempotent returns a record.
func (db *DB) GetIdempotent(ctx context.Context, operatorID, principalID, key string) (*store.IdempotencyRecord, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+idemCols+` FROM idempotency_keys
		WHERE operator_id = $1 AND principal_id = $2 AND key = $3`, operatorID, principalID, key), scanIdem)
}
