package postgres

import (
	"context"
	"errors"
	"time"

	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// RegisterProcess records process id with heartbeat at (started at at as
// well) and prunes the processes whose heartbeat is older than
// pruneBefore, in one round trip.
func (db *DB) RegisterProcess(ctx context.Context, id string, at, pruneBefore time.Time) error {
	if id == "" || at.IsZero() {
		return required("RegisterProcess", "id", "at")
	}
	at = norm(at)
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO processes (id, started_at, heartbeat_at) VALUES ($1, $2, $2)
		ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`, id, at)
	b.Queue(`DELETE FROM processes WHERE heartbeat_at < $1 AND id <> $2`, norm(pruneBefore), id)
	return mapErr(db.pool.SendBatch(ctx, b).Close())
}

// Heartbeat sets a registered process's heartbeat.
func (db *DB) Heartbeat(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		return required("Heartbeat", "at")
	}
	tag, err := db.pool.Exec(ctx, `UPDATE processes SET heartbeat_at = $1 WHERE id = $2`, norm(at), id)
	return affected(tag, err, store.ErrNotFound)
}

// UnregisterProcess deletes a process's row: whatever it still holds is
// free to take over.
func (db *DB) UnregisterProcess(ctx context.Context, id string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM processes WHERE id = $1`, id)
	return mapErr(err)
}

// aliveSQL is true when the process named by column holds a heartbeat
// at or after $n: the owner of a run record is alive.
func aliveSQL(column, n string) string {
	return `(` + column + ` <> '' AND EXISTS (SELECT 1 FROM processes p
		WHERE p.id = ` + column + ` AND p.heartbeat_at >= $` + n + `))`
}

const idemCols = `operator_id, principal_id, key, method, path, request_hash, action, recovery_point, resource_id,
	payload, locked_by, completed, status, body, created_at, updated_at`

func scanIdem(r pgx.Row) (*store.IdempotencyRecord, error) {
	var rec store.IdempotencyRecord
	if err := r.Scan(&rec.OperatorID, &rec.PrincipalID, &rec.Key, &rec.Method, &rec.Path, &rec.RequestHash,
		&rec.Action, &rec.RecoveryPoint, &rec.ResourceID, &rec.Payload, &rec.LockedBy, &rec.Completed,
		&rec.Status, &rec.Body, &rec.CreatedAt, &rec.UpdatedAt); err != nil {
		return nil, err
	}
	rec.Payload, rec.Body = normBytes(rec.Payload), normBytes(rec.Body)
	return &rec, nil
}

// scanIdemAlive scans idemCols followed by the owner's liveness.
func scanIdemAlive(r pgx.Row) (*store.IdempotencyRecord, error) {
	var alive bool
	rec, err := scanIdem(rowWith{r, []any{&alive}})
	if err != nil {
		return nil, err
	}
	rec.OwnerAlive = alive
	return rec, nil
}

// GetIdempotent returns a key's record with its owner's liveness since
// liveAfter, read in the same statement. A record created before
// liveAfter − KeyTTL has expired and is not found.
func (db *DB) GetIdempotent(ctx context.Context, operatorID, principalID, key string, liveAfter time.Time) (*store.IdempotencyRecord, error) {
	liveAfter = norm(liveAfter)
	return one(db.pool.QueryRow(ctx, `SELECT `+idemCols+`, `+aliveSQL("locked_by", "4")+` FROM idempotency_keys
		WHERE operator_id = $1 AND principal_id = $2 AND key = $3 AND created_at >= $5`,
		operatorID, principalID, key, liveAfter, liveAfter.Add(-store.KeyTTL)), scanIdemAlive)
}

// BeginIdempotent inserts rec unfinished (recovery point started, status
// 0, no body), locked by rec.LockedBy, unless its key has a record created
// within KeyTTL before rec.CreatedAt. INSERT … ON CONFLICT waits for a
// concurrent first insert and then checks its row, locked, so of
// concurrent requests exactly one gets true.
func (db *DB) BeginIdempotent(ctx context.Context, rec *store.IdempotencyRecord) (bool, error) {
	if rec.CreatedAt.IsZero() {
		return false, required("BeginIdempotent", "CreatedAt")
	}
	rec.CreatedAt = norm(rec.CreatedAt)
	if rec.UpdatedAt.IsZero() {
		rec.UpdatedAt = rec.CreatedAt
	}
	rec.UpdatedAt = norm(rec.UpdatedAt)
	rec.RecoveryPoint = store.PointStarted
	rec.Completed, rec.Status, rec.Body = false, 0, nil
	var ok bool
	err := db.pool.QueryRow(ctx, keyInsertSQL+` RETURNING true`, keyInsertArgs(rec)...).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, mapErr(err)
	}
	rec.OwnerAlive = false
	return true, nil
}

// TakeOverIdempotent locks an unfinished record for rec.LockedBy if its
// holder, as first read, is no one or not alive since liveAfter, and
// fills rec from it. The update also requires locked_by to still be that
// holder: a concurrent taker that won meanwhile changed it, and
// PostgreSQL re-checks the condition against the winner's row after
// waiting for its lock, so exactly one taker wins. (Re-checking the
// holder's liveness instead would read the processes as of the
// statement's start, which may predate the winner's registration.)
func (db *DB) TakeOverIdempotent(ctx context.Context, rec *store.IdempotencyRecord, liveAfter time.Time) (bool, error) {
	if rec.LockedBy == "" {
		return false, required("TakeOverIdempotent", "LockedBy")
	}
	if rec.UpdatedAt.IsZero() {
		return false, required("TakeOverIdempotent", "UpdatedAt")
	}
	got, err := scanIdemAlive(db.pool.QueryRow(ctx, `WITH cur AS (SELECT locked_by FROM idempotency_keys
			WHERE operator_id = $1 AND principal_id = $2 AND key = $3 AND NOT completed)
		UPDATE idempotency_keys k SET locked_by = $4, updated_at = $5 FROM cur
		WHERE k.operator_id = $1 AND k.principal_id = $2 AND k.key = $3 AND NOT k.completed
		AND k.locked_by = cur.locked_by AND NOT `+aliveSQL("cur.locked_by", "6")+`
		RETURNING `+prefixed("k.", idemCols)+`, `+aliveSQL("k.locked_by", "6"),
		rec.OperatorID, rec.PrincipalID, rec.Key, rec.LockedBy, norm(rec.UpdatedAt), norm(liveAfter)))
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, mapErr(err)
	}
	*rec = *got
	return true, nil
}

// CompleteIdempotent stores the response of an unfinished record
// rec.LockedBy holds, at recovery point finished, and releases it; its
// updated_at stays as the last phase wrote it.
func (db *DB) CompleteIdempotent(ctx context.Context, rec *store.IdempotencyRecord) error {
	rec.Body = normBytes(rec.Body)
	tag, err := db.pool.Exec(ctx, `UPDATE idempotency_keys SET completed = true, status = $1, body = $2,
		recovery_point = 'finished', locked_by = ''
		WHERE operator_id = $3 AND principal_id = $4 AND key = $5 AND NOT completed AND locked_by = $6 AND $6 <> ''`,
		rec.Status, rec.Body, rec.OperatorID, rec.PrincipalID, rec.Key, rec.LockedBy)
	if err := affected(tag, err, store.ErrLockLost); err != nil {
		return err
	}
	rec.Completed, rec.RecoveryPoint = true, store.PointFinished
	return nil
}

// AbortIdempotent deletes an unfinished record rec.LockedBy holds, so a
// retry runs afresh; a finished record, or one held by another process,
// stays.
func (db *DB) AbortIdempotent(ctx context.Context, rec *store.IdempotencyRecord) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM idempotency_keys
		WHERE operator_id = $1 AND principal_id = $2 AND key = $3 AND NOT completed AND locked_by = $4 AND $4 <> ''`,
		rec.OperatorID, rec.PrincipalID, rec.Key, rec.LockedBy)
	return mapErr(err)
}

// ReleaseIdempotent unlocks an unfinished record rec.LockedBy holds.
func (db *DB) ReleaseIdempotent(ctx context.Context, rec *store.IdempotencyRecord) error {
	_, err := db.pool.Exec(ctx, `UPDATE idempotency_keys SET locked_by = ''
		WHERE operator_id = $1 AND principal_id = $2 AND key = $3 AND NOT completed AND locked_by = $4 AND $4 <> ''`,
		rec.OperatorID, rec.PrincipalID, rec.Key, rec.LockedBy)
	return mapErr(err)
}

// SaveProgress applies pr alone: one round trip unless Render needs more.
func (db *DB) SaveProgress(ctx context.Context, pr store.Progress) error {
	if pr.Key == nil && pr.Approval == nil && pr.Render == nil {
		return nil
	}
	return db.runPhase(ctx, &phase{method: "SaveProgress", own: func(*queue) {}, pr: &pr,
		scopes: approvalEventScopes(&pr)})
}

// approvalEventScopes is the scope of pr's approval event, if known.
func approvalEventScopes(pr *store.Progress) []naive.Scope {
	if pr.Approval == nil {
		return nil
	}
	return eventScopes(pr.Approval.Event)
}

// ListStaleRuns lists, of every tenant, unfinished records of an action
// held by no process or by one not alive since liveAfter, oldest first.
func (db *DB) ListStaleRuns(ctx context.Context, liveAfter time.Time, n int) ([]store.IdempotencyRecord, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+idemCols+` FROM idempotency_keys
		WHERE NOT completed AND action <> '' AND NOT `+aliveSQL("locked_by", "1")+`
		ORDER BY updated_at, operator_id, principal_id, key LIMIT $2`, norm(liveAfter), limit(n))
	return collect(rows, err, scanIdem)
}

// PurgeIdempotent deletes finished records created before before.
func (db *DB) PurgeIdempotent(ctx context.Context, before time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE completed AND created_at < $1`, norm(before))
	if err != nil {
		return 0, mapErr(err)
	}
	return int(tag.RowsAffected()), nil
}

// prefixed is the column list cols with each column qualified by p.
func prefixed(p, cols string) string {
	out := []byte{}
	for i, c := range strings.Split(cols, ",") {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = append(out, p+strings.TrimSpace(c)...)
	}
	return string(out)
}
