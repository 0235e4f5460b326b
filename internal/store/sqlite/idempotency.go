package sqlite

import (
	"context"
	"errors"
	"time"

	"github.com/naive-oss/naive/internal/store"
)

const idemCols = `operator_id, principal_id, key, method, path, request_hash, completed, status, body, created_at`

func scanIdem(s scanner) (*store.IdempotencyRecord, error) {
	var r store.IdempotencyRecord
	if err := s.Scan(&r.OperatorID, &r.PrincipalID, &r.Key, &r.Method, &r.Path, &r.RequestHash, &r.Completed,
		&r.Status, &r.Body, timeCol{&r.CreatedAt}); err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// BeginIdempotent inserts rec in progress unless its key is taken by a
// record created at or after expiredBefore, which it returns instead. The
// look-up and the insert share one IMMEDIATE transaction, so of concurrent
// first requests exactly one gets nil and runs.
func (db *DB) BeginIdempotent(ctx context.Context, rec *store.IdempotencyRecord, expiredBefore time.Time) (*store.IdempotencyRecord, error) {
	if rec.CreatedAt.IsZero() {
		return nil, required("BeginIdempotent", "CreatedAt")
	}
	rec.CreatedAt = norm(rec.CreatedAt)
	var existing *store.IdempotencyRecord
	err := db.tx(ctx, func(tx *txn) error {
		cur, err := scanIdem(tx.QueryRowContext(ctx, `SELECT `+idemCols+` FROM idempotency_keys
			WHERE operator_id = ? AND principal_id = ? AND key = ?`, rec.OperatorID, rec.PrincipalID, rec.Key))
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		case !cur.CreatedAt.Before(norm(expiredBefore)):
			existing = cur
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys (`+idemCols+`) VALUES (?, ?, ?, ?, ?, ?, 0, 0, NULL, ?)
			ON CONFLICT (operator_id, principal_id, key) DO UPDATE SET
			method = excluded.method, path = excluded.path, request_hash = excluded.request_hash,
			completed = 0, status = 0, body = NULL, created_at = excluded.created_at`,
			rec.OperatorID, rec.PrincipalID, rec.Key, rec.Method, rec.Path, rec.RequestHash, ts(rec.CreatedAt))
		return err
	})
	if err != nil {
		return nil, err
	}
	return existing, nil
}

// CompleteIdempotent stores the response of an in-progress key. Errors:
// store.ErrNotFound (no such key), store.ErrConflict (already completed).
func (db *DB) CompleteIdempotent(ctx context.Context, rec *store.IdempotencyRecord) error {
	return db.tx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET completed = 1, status = ?, body = ?
			WHERE operator_id = ? AND principal_id = ? AND key = ? AND completed = 0`,
			rec.Status, rec.Body, rec.OperatorID, rec.PrincipalID, rec.Key)
		if err := affected(res, err, store.ErrNotFound); !errors.Is(err, store.ErrNotFound) {
			if err == nil {
				rec.Completed = true
			}
			return err
		}
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM idempotency_keys
			WHERE operator_id = ? AND principal_id = ? AND key = ?)`, rec.OperatorID, rec.PrincipalID, rec.Key).Scan(&exists); err != nil {
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
	_, err := db.writer.ExecContext(ctx, `DELETE FROM idempotency_keys
		WHERE operator_id = ? AND principal_id = ? AND key = ? AND completed = 0`,
		rec.OperatorID, rec.PrincipalID, rec.Key)
	return mapErr(err)
}

// GetIdempotent returns a record.
func (db *DB) GetIdempotent(ctx context.Context, operatorID, principalID, key string) (*store.IdempotencyRecord, error) {
	return scanIdem(db.reader.QueryRowContext(ctx, `SELECT `+idemCols+` FROM idempotency_keys
		WHERE operator_id = ? AND principal_id = ? AND key = ?`, operatorID, principalID, key))
}
