package sqlite

import (
	"context"
	"errors"
	"time"

	"github.com/naive-oss/naive/internal/store"
)

const idemCols = `operator_id, principal_id, key, method, path, request_hash, action, recovery_point, resource_id,
	payload, locked_by, completed, status, body, created_at, updated_at`

// ownerAliveSQL is whether a key record's owner heartbeats since the
// statement's next parameter (liveAfter): it follows idemCols in the
// reads that report OwnerAlive.
const ownerAliveSQL = `(idempotency_keys.locked_by <> '' AND EXISTS (SELECT 1 FROM processes
	WHERE processes.id = idempotency_keys.locked_by AND processes.heartbeat_at >= ?))`

// scanIdem scans idemCols followed by the owner's liveness.
func scanIdem(s scanner) (*store.IdempotencyRecord, error) {
	var r store.IdempotencyRecord
	if err := s.Scan(&r.OperatorID, &r.PrincipalID, &r.Key, &r.Method, &r.Path, &r.RequestHash, &r.Action,
		&r.RecoveryPoint, &r.ResourceID, &r.Payload, &r.LockedBy, &r.Completed, &r.Status, &r.Body,
		timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt}, &r.OwnerAlive); err != nil {
		return nil, notFound(err)
	}
	r.Payload, r.Body = normBytes(r.Payload), normBytes(r.Body)
	return &r, nil
}

// normBytes is a byte column as it reads back: nil for empty.
func normBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// prepareKey checks that rec, about to be inserted by method, has its
// time, and normalises it as it will read back: UpdatedAt defaults to
// CreatedAt, RecoveryPoint to started, empty bytes to nil.
func prepareKey(method string, rec *store.IdempotencyRecord) error {
	if rec.CreatedAt.IsZero() {
		return required(method, "key CreatedAt")
	}
	rec.CreatedAt = norm(rec.CreatedAt)
	if rec.UpdatedAt.IsZero() {
		rec.UpdatedAt = rec.CreatedAt
	}
	rec.UpdatedAt = norm(rec.UpdatedAt)
	if rec.RecoveryPoint == "" {
		rec.RecoveryPoint = store.PointStarted
	}
	rec.Payload, rec.Body = normBytes(rec.Payload), normBytes(rec.Body)
	rec.OwnerAlive = false
	return nil
}

// insertKey inserts rec (prepared), replacing a record of its key created
// more than KeyTTL before it, in one statement; it reports false, changing
// nothing, when the key is taken by a younger record. A completed record
// is stored locked by no one.
func insertKey(ctx context.Context, ex execer, rec *store.IdempotencyRecord) (bool, error) {
	lockedBy := rec.LockedBy
	if rec.Completed {
		lockedBy = ""
	}
	res, err := ex.ExecContext(ctx, `INSERT INTO idempotency_keys (`+idemCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (operator_id, principal_id, key) DO UPDATE SET
		method = excluded.method, path = excluded.path, request_hash = excluded.request_hash,
		action = excluded.action, recovery_point = excluded.recovery_point, resource_id = excluded.resource_id,
		payload = excluded.payload, locked_by = excluded.locked_by, completed = excluded.completed,
		status = excluded.status, body = excluded.body, created_at = excluded.created_at,
		updated_at = excluded.updated_at
		WHERE idempotency_keys.created_at < ?`,
		rec.OperatorID, rec.PrincipalID, rec.Key, rec.Method, rec.Path, rec.RequestHash, rec.Action,
		rec.RecoveryPoint, rec.ResourceID, rec.Payload, lockedBy, rec.Completed, rec.Status, rec.Body,
		ts(rec.CreatedAt), ts(rec.UpdatedAt), ts(rec.CreatedAt.Add(-store.KeyTTL)))
	if err != nil {
		return false, mapErr(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// GetIdempotent returns a key's record with its owner's liveness; a record
// created more than KeyTTL before liveAfter counts as absent.
func (db *DB) GetIdempotent(ctx context.Context, operatorID, principalID, key string, liveAfter time.Time) (*store.IdempotencyRecord, error) {
	return scanIdem(db.reader.QueryRowContext(ctx, `SELECT `+idemCols+`, `+ownerAliveSQL+` FROM idempotency_keys
		WHERE operator_id = ? AND principal_id = ? AND key = ? AND created_at >= ?`,
		ts(liveAfter), operatorID, principalID, key, ts(liveAfter.Add(-store.KeyTTL))))
}

// BeginIdempotent inserts rec unfinished, at recovery point started and
// locked by rec.LockedBy, unless its key is taken by a record younger than
// KeyTTL. The check and the insert are one statement under the write
// lock, so of concurrent first requests exactly one gets true.
func (db *DB) BeginIdempotent(ctx context.Context, rec *store.IdempotencyRecord) (bool, error) {
	rec.Completed, rec.Status, rec.Body, rec.RecoveryPoint = false, 0, nil, store.PointStarted
	if err := prepareKey("BeginIdempotent", rec); err != nil {
		return false, err
	}
	return insertKey(ctx, db.writer, rec)
}

// TakeOverIdempotent locks an unfinished record held by no process, or by
// one not alive since liveAfter, for rec.LockedBy, and fills rec from it.
// The check and the write are one UPDATE, so of concurrent takers exactly
// one matches. An unknown key, or one finished or held by a live process,
// reports false and leaves rec alone.
func (db *DB) TakeOverIdempotent(ctx context.Context, rec *store.IdempotencyRecord, liveAfter time.Time) (bool, error) {
	if rec.UpdatedAt.IsZero() {
		return false, required("TakeOverIdempotent", "UpdatedAt")
	}
	if rec.LockedBy == "" {
		return false, required("TakeOverIdempotent", "LockedBy")
	}
	got, err := scanIdem(db.writer.QueryRowContext(ctx, `UPDATE idempotency_keys SET locked_by = ?, updated_at = ?
		WHERE operator_id = ? AND principal_id = ? AND key = ? AND completed = 0
		AND NOT `+ownerAliveSQL+`
		RETURNING `+idemCols+`, `+ownerAliveSQL,
		rec.LockedBy, ts(rec.UpdatedAt), rec.OperatorID, rec.PrincipalID, rec.Key, ts(liveAfter), ts(liveAfter)))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	*rec = *got
	return true, nil
}

// CompleteIdempotent stores the response of an unfinished record
// rec.LockedBy holds, at recovery point finished, and releases it. Its
// updated_at is left as the last phase wrote it. Errors:
// store.ErrLockLost (no such unfinished record held by rec.LockedBy, or
// LockedBy empty).
func (db *DB) CompleteIdempotent(ctx context.Context, rec *store.IdempotencyRecord) error {
	if rec.LockedBy == "" {
		return store.ErrLockLost
	}
	rec.Body = normBytes(rec.Body)
	res, err := db.writer.ExecContext(ctx, `UPDATE idempotency_keys
		SET completed = 1, status = ?, body = ?, recovery_point = 'finished', locked_by = ''
		WHERE operator_id = ? AND principal_id = ? AND key = ? AND completed = 0 AND locked_by = ?`,
		rec.Status, rec.Body, rec.OperatorID, rec.PrincipalID, rec.Key, rec.LockedBy)
	if err := affected(res, err, store.ErrLockLost); err != nil {
		return err
	}
	rec.Completed, rec.RecoveryPoint = true, store.PointFinished
	return nil
}

// AbortIdempotent deletes an unfinished record rec.LockedBy holds so a
// retry runs afresh; a finished record, or one another process holds,
// stays.
func (db *DB) AbortIdempotent(ctx context.Context, rec *store.IdempotencyRecord) error {
	if rec.LockedBy == "" {
		return nil
	}
	_, err := db.writer.ExecContext(ctx, `DELETE FROM idempotency_keys
		WHERE operator_id = ? AND principal_id = ? AND key = ? AND completed = 0 AND locked_by = ?`,
		rec.OperatorID, rec.PrincipalID, rec.Key, rec.LockedBy)
	return mapErr(err)
}

// ReleaseIdempotent unlocks an unfinished record rec.LockedBy holds.
func (db *DB) ReleaseIdempotent(ctx context.Context, rec *store.IdempotencyRecord) error {
	if rec.LockedBy == "" {
		return nil
	}
	_, err := db.writer.ExecContext(ctx, `UPDATE idempotency_keys SET locked_by = ''
		WHERE operator_id = ? AND principal_id = ? AND key = ? AND completed = 0 AND locked_by = ?`,
		rec.OperatorID, rec.PrincipalID, rec.Key, rec.LockedBy)
	return mapErr(err)
}

// SaveProgress applies pr alone in one transaction.
func (db *DB) SaveProgress(ctx context.Context, pr store.Progress) error {
	if err := checkProgress("SaveProgress", pr); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *txn) error { return db.applyProgress(ctx, tx, "SaveProgress", pr) })
}

// ListStaleRuns lists, of every tenant, unfinished records of an action
// held by no process or by one not alive since liveAfter, oldest first.
func (db *DB) ListStaleRuns(ctx context.Context, liveAfter time.Time, n int) ([]store.IdempotencyRecord, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+idemCols+`, 0 FROM idempotency_keys
		WHERE completed = 0 AND action <> '' AND NOT `+ownerAliveSQL+`
		ORDER BY updated_at, operator_id, principal_id, key LIMIT ?`, ts(liveAfter), limit(n))
	return collect(rows, err, scanIdem)
}

// PurgeIdempotent deletes finished records created before before.
func (db *DB) PurgeIdempotent(ctx context.Context, before time.Time) (int, error) {
	res, err := db.writer.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE completed = 1 AND created_at < ?`, ts(before))
	if err != nil {
		return 0, mapErr(err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// RegisterProcess deletes the processes whose heartbeat is older than
// pruneBefore, then records id as started with a heartbeat at at (a
// process registering again is refreshed), in one transaction: pruning
// first, a process never prunes itself.
func (db *DB) RegisterProcess(ctx context.Context, id string, at, pruneBefore time.Time) error {
	if id == "" || at.IsZero() {
		return required("RegisterProcess", "id", "at")
	}
	return db.tx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM processes WHERE heartbeat_at < ?`, ts(pruneBefore)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO processes (id, started_at, heartbeat_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
			id, ts(at), ts(at))
		return err
	})
}

// Heartbeat sets a process's heartbeat. Errors: store.ErrNotFound.
func (db *DB) Heartbeat(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		return required("Heartbeat", "at")
	}
	res, err := db.writer.ExecContext(ctx, `UPDATE processes SET heartbeat_at = ? WHERE id = ?`, ts(at), id)
	return affected(res, err, store.ErrNotFound)
}

// UnregisterProcess deletes a process's row.
func (db *DB) UnregisterProcess(ctx context.Context, id string) error {
	_, err := db.writer.ExecContext(ctx, `DELETE FROM processes WHERE id = ?`, id)
	return mapErr(err)
}

// aliveSQL is whether the process whose id is the column col heartbeats
// since the statement's next parameter (liveAfter).
func aliveSQL(col string) string {
	return `EXISTS (SELECT 1 FROM processes WHERE processes.id = ` + col + ` AND processes.heartbeat_at >= ?)`
}
