package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

const approvalCols = `id, operator_id, mode, subject_id, action, primitive, title, message, payload, cost, status,
	requested_by_type, requested_by_id, requester_agent_id, created_at, expires_at,
	resolved_by_type, resolved_by_id, resolved_at, result, error, reason, locked_by, resource_id`

func scanApproval(s scanner) (*naive.Approval, error) {
	var (
		a                        naive.Approval
		subject                  sql.NullString
		resolvedType, resolvedID sql.NullString
		errJSON                  []byte
	)
	if err := s.Scan(&a.ID, &a.OperatorID, &a.Mode, &subject, &a.Action, &a.Primitive, &a.Title, &a.Message,
		(*[]byte)(&a.Payload), &a.Cost, &a.Status,
		&a.RequestedBy.Type, &a.RequestedBy.ID, &a.RequesterAgentID, timeCol{&a.CreatedAt}, timeCol{&a.ExpiresAt},
		&resolvedType, &resolvedID, nullTimeCol{&a.ResolvedAt}, (*[]byte)(&a.Result), &errJSON, &a.Reason,
		&a.LockedBy, &a.ResourceID); err != nil {
		return nil, notFound(err)
	}
	a.SubjectID = subject.String
	if resolvedType.Valid {
		a.ResolvedBy = &naive.Actor{Type: resolvedType.String, ID: resolvedID.String}
	}
	var err error
	if a.Error, err = decodeErrorObject(errJSON); err != nil {
		return nil, err
	}
	return &a, nil
}

// errorJSON is a naive.ErrorObject as stored, Fields included.
type errorJSON struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Param   string         `json:"param,omitempty"`
	Hint    string         `json:"hint,omitempty"`
	Fields  map[string]any `json:"fields,omitempty"`
}

// encodeErrorObject returns the stored JSON of e (nil for none) and writes
// back e's Fields as they will read (JSON numbers become float64).
func encodeErrorObject(e *naive.ErrorObject) (any, error) {
	if e == nil {
		return nil, nil
	}
	b, err := json.Marshal(errorJSON{Code: e.Code, Message: e.Message, Param: e.Param, Hint: e.Hint, Fields: e.Fields})
	if err != nil {
		return nil, err
	}
	back, err := decodeErrorObject(b)
	if err != nil {
		return nil, err
	}
	e.Fields = back.Fields
	return string(b), nil
}

func decodeErrorObject(b []byte) (*naive.ErrorObject, error) {
	if b == nil {
		return nil, nil
	}
	var v errorJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("sqlite: approval error: %w", err)
	}
	return &naive.ErrorObject{Code: v.Code, Message: v.Message, Param: v.Param, Hint: v.Hint, Fields: v.Fields}, nil
}

// rawJSON is a JSON column's value: NULL for none.
func rawJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// normRaw is raw JSON as it reads back: nil for empty.
func normRaw(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return b
}

// CreateApproval stores a as pending (nothing resolved, locked by no one),
// ev and pr in one transaction. ev defaults to a's scope and type
// approval.requested.
func (db *DB) CreateApproval(ctx context.Context, a *naive.Approval, ev *naive.Event, pr store.Progress) error {
	if a.ID == "" || a.CreatedAt.IsZero() {
		return required("CreateApproval", "ID", "CreatedAt")
	}
	if err := checkEvent("CreateApproval", ev); err != nil {
		return err
	}
	if err := checkProgress("CreateApproval", pr); err != nil {
		return err
	}
	a.Status = naive.ApprovalPending
	a.CreatedAt = norm(a.CreatedAt)
	a.ExpiresAt = norm(a.ExpiresAt)
	a.ResolvedBy, a.ResolvedAt, a.Result, a.Error, a.Reason = nil, nil, nil, nil, ""
	a.LockedBy, a.ResourceID = "", ""
	a.Payload = normRaw(a.Payload)
	return db.tx(ctx, func(tx *txn) error {
		// The foreign key to (subject, operator, mode) rejects a subject
		// of another scope as not found.
		if _, err := tx.ExecContext(ctx, `INSERT INTO approvals (`+approvalCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, '', '', '')`,
			a.ID, a.OperatorID, a.Mode, nullID(a.SubjectID), a.Action, a.Primitive, a.Title, a.Message,
			rawJSON(a.Payload), a.Cost, a.Status, a.RequestedBy.Type, a.RequestedBy.ID, a.RequesterAgentID,
			ts(a.CreatedAt), ts(a.ExpiresAt)); err != nil {
			return err
		}
		if db.jobs != nil {
			if err := db.jobs.ApprovalCreated(tx.ctxOf(ctx), tx.Tx, a); err != nil {
				return err
			}
		}
		if err := db.insertScopedEvent(ctx, tx, "CreateApproval", ev, a.OperatorID, a.Mode, naive.EventApprovalRequested); err != nil {
			return err
		}
		return db.applyProgress(ctx, tx, "CreateApproval", pr)
	})
}

// insertScopedEvent stores ev, when not nil, in tx, its tenant and type
// defaulting to those of the row it reports on.
func (db *DB) insertScopedEvent(ctx context.Context, tx *txn, method string, ev *naive.Event, operatorID string, mode naive.Mode, typ string) error {
	if ev == nil {
		return nil
	}
	if ev.OperatorID == "" {
		ev.OperatorID = operatorID
	}
	if ev.Mode == "" {
		ev.Mode = mode
	}
	if ev.Type == "" {
		ev.Type = typ
	}
	return db.insertEvent(ctx, tx, method, ev)
}

// GetApproval returns an approval in scope, status as stored.
func (db *DB) GetApproval(ctx context.Context, sc naive.Scope, id string) (*naive.Approval, error) {
	return scanApproval(db.reader.QueryRowContext(ctx, `SELECT `+approvalCols+` FROM approvals
		WHERE operator_id = ? AND mode = ? AND id = ?`, sc.OperatorID, sc.Mode, id))
}

// ListApprovals lists approvals newest first, filtered by status (pending
// includes executing) and subject when set.
func (db *DB) ListApprovals(ctx context.Context, sc naive.Scope, f naive.ApprovalFilter) ([]naive.Approval, error) {
	other := f.Status
	if f.Status == naive.ApprovalPending {
		other = naive.ApprovalExecuting
	}
	rows, err := db.reader.QueryContext(ctx, `SELECT `+approvalCols+` FROM approvals
		WHERE operator_id = ? AND mode = ? AND (? = '' OR status IN (?, ?)) AND (? = '' OR subject_id = ?)
		AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?`,
		sc.OperatorID, sc.Mode, f.Status, f.Status, other, f.SubjectID, f.SubjectID, f.After, f.After, limit(f.Limit))
	return collect(rows, err, scanApproval)
}

// approvalMissing tells an approval not in scope (ErrNotFound) from one in
// the wrong status or expired (ErrConflict).
func approvalMissing(ctx context.Context, tx *txn, sc naive.Scope, id string) error {
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM approvals
		WHERE operator_id = ? AND mode = ? AND id = ?)`, sc.OperatorID, sc.Mode, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return store.ErrNotFound
	}
	return store.ErrConflict
}

// ClaimApproval moves a pending, unexpired approval to executing, locked
// by owner. Check and write are one UPDATE under the write lock, so of
// concurrent claimers (and deniers) exactly one matches the pending row.
func (db *DB) ClaimApproval(ctx context.Context, sc naive.Scope, id string, resolver naive.Actor, now time.Time, owner string) (*naive.Approval, error) {
	var a *naive.Approval
	err := db.tx(ctx, func(tx *txn) (err error) {
		a, err = scanApproval(tx.QueryRowContext(ctx, `UPDATE approvals
			SET status = 'executing', resolved_by_type = ?, resolved_by_id = ?, resolved_at = ?,
			locked_by = ?, resource_id = ''
			WHERE operator_id = ? AND mode = ? AND id = ? AND status = 'pending' AND expires_at > ?
			RETURNING `+approvalCols,
			resolver.Type, resolver.ID, ts(now), owner, sc.OperatorID, sc.Mode, id, ts(now)))
		if errors.Is(err, store.ErrNotFound) {
			return approvalMissing(ctx, tx, sc, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// TakeOverApproval locks an executing approval held by no process, or by
// one not alive since liveAfter, for owner; like ClaimApproval, one UPDATE
// decides between concurrent takers.
func (db *DB) TakeOverApproval(ctx context.Context, sc naive.Scope, id, owner string, liveAfter time.Time) (*naive.Approval, error) {
	if owner == "" {
		return nil, required("TakeOverApproval", "owner")
	}
	var a *naive.Approval
	err := db.tx(ctx, func(tx *txn) (err error) {
		a, err = scanApproval(tx.QueryRowContext(ctx, `UPDATE approvals SET locked_by = ?
			WHERE operator_id = ? AND mode = ? AND id = ? AND status = 'executing'
			AND NOT `+aliveSQL("approvals.locked_by")+` RETURNING `+approvalCols,
			owner, sc.OperatorID, sc.Mode, id, ts(liveAfter)))
		if errors.Is(err, store.ErrNotFound) {
			return approvalMissing(ctx, tx, sc, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// FinishApproval moves an approval in a's scope executing under a.LockedBy
// to a.Status (executed or failed) with a.Result or a.Error, releasing it,
// and stores ev (type approval.resolved by default) in the same
// transaction. An approval locked by no one is finished by no one: take it
// over first. It writes the stored approval back into a.
func (db *DB) FinishApproval(ctx context.Context, a *naive.Approval, ev *naive.Event) error {
	if a.Status != naive.ApprovalExecuted && a.Status != naive.ApprovalFailed {
		return fmt.Errorf("sqlite: FinishApproval to status %q, want executed or failed", a.Status)
	}
	if err := checkEvent("FinishApproval", ev); err != nil {
		return err
	}
	errJSON, err := encodeErrorObject(a.Error)
	if err != nil {
		return err
	}
	a.Result = normRaw(a.Result)
	sc := naive.Scope{OperatorID: a.OperatorID, Mode: a.Mode}
	var got *naive.Approval
	err = db.tx(ctx, func(tx *txn) (err error) {
		if a.LockedBy == "" {
			return approvalMissing(ctx, tx, sc, a.ID)
		}
		got, err = scanApproval(tx.QueryRowContext(ctx, `UPDATE approvals SET status = ?, result = ?, error = ?, locked_by = ''
			WHERE operator_id = ? AND mode = ? AND id = ? AND status = 'executing' AND locked_by = ? RETURNING `+approvalCols,
			a.Status, rawJSON(a.Result), errJSON, sc.OperatorID, sc.Mode, a.ID, a.LockedBy))
		if errors.Is(err, store.ErrNotFound) {
			return approvalMissing(ctx, tx, sc, a.ID)
		}
		if err != nil {
			return err
		}
		return db.insertScopedEvent(ctx, tx, "FinishApproval", ev, got.OperatorID, got.Mode, naive.EventApprovalResolved)
	})
	if err != nil {
		return err
	}
	*a = *got
	return nil
}

// DenyApproval moves a pending approval that has not expired by
// a.ResolvedAt (required) to denied, storing ev in the same transaction;
// like ClaimApproval, one UPDATE decides. It writes the stored approval
// back into a.
func (db *DB) DenyApproval(ctx context.Context, sc naive.Scope, a *naive.Approval, ev *naive.Event) error {
	if a.ResolvedAt == nil || a.ResolvedAt.IsZero() {
		return required("DenyApproval", "ResolvedAt")
	}
	if err := checkEvent("DenyApproval", ev); err != nil {
		return err
	}
	at := *a.ResolvedAt
	var by naive.Actor
	if a.ResolvedBy != nil {
		by = *a.ResolvedBy
	}
	var got *naive.Approval
	err := db.tx(ctx, func(tx *txn) (err error) {
		got, err = scanApproval(tx.QueryRowContext(ctx, `UPDATE approvals
			SET status = 'denied', resolved_by_type = ?, resolved_by_id = ?, resolved_at = ?, reason = ?
			WHERE operator_id = ? AND mode = ? AND id = ? AND status = 'pending' AND expires_at > ?
			RETURNING `+approvalCols,
			by.Type, by.ID, ts(at), a.Reason, sc.OperatorID, sc.Mode, a.ID, ts(at)))
		if errors.Is(err, store.ErrNotFound) {
			return approvalMissing(ctx, tx, sc, a.ID)
		}
		if err != nil {
			return err
		}
		return db.insertScopedEvent(ctx, tx, "DenyApproval", ev, got.OperatorID, got.Mode, naive.EventApprovalResolved)
	})
	if err != nil {
		return err
	}
	*a = *got
	return nil
}

// ExpireApproval moves a pending approval of any tenant whose expires_at
// <= now to expired, storing ev (defaulting to the approval's scope) in
// the same transaction. Only the call that changes the row reports true.
func (db *DB) ExpireApproval(ctx context.Context, id string, now time.Time, ev *naive.Event) (bool, error) {
	if err := checkEvent("ExpireApproval", ev); err != nil {
		return false, err
	}
	expired := false
	err := db.tx(ctx, func(tx *txn) error {
		a, err := scanApproval(tx.QueryRowContext(ctx, `UPDATE approvals SET status = 'expired', resolved_at = ?
			WHERE id = ? AND status = 'pending' AND expires_at <= ? RETURNING `+approvalCols,
			ts(now), id, ts(now)))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		expired = true
		return db.insertScopedEvent(ctx, tx, "ExpireApproval", ev, a.OperatorID, a.Mode, naive.EventApprovalResolved)
	})
	if err != nil {
		return false, err
	}
	return expired, nil
}

// ListExpiredApprovals lists, of every tenant, pending approvals with
// expires_at <= now and executing ones held by no process or by one not
// alive since liveAfter, oldest first.
func (db *DB) ListExpiredApprovals(ctx context.Context, now, liveAfter time.Time, n int) ([]naive.Approval, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+approvalCols+` FROM approvals
		WHERE (status = 'pending' AND expires_at <= ?)
		OR (status = 'executing' AND NOT `+aliveSQL("approvals.locked_by")+`)
		ORDER BY created_at, id LIMIT ?`, ts(now), ts(liveAfter), limit(n))
	return collect(rows, err, scanApproval)
}

const eventCols = `id, operator_id, mode, type, data, created_at`

func scanEvent(s scanner) (*naive.Event, error) {
	var e naive.Event
	if err := s.Scan(&e.ID, &e.OperatorID, &e.Mode, &e.Type, (*[]byte)(&e.Data), timeCol{&e.CreatedAt}); err != nil {
		return nil, notFound(err)
	}
	return &e, nil
}

// checkEvent is the error of method given an event, not nil, without its
// id or time.
func checkEvent(method string, ev *naive.Event) error {
	if ev != nil && (ev.ID == "" || ev.CreatedAt.IsZero()) {
		return required(method, "event ID", "CreatedAt")
	}
	return nil
}

// insertEvent stores ev in tx; method names the caller in errors.
func (db *DB) insertEvent(ctx context.Context, tx *txn, method string, ev *naive.Event) error {
	if err := checkEvent(method, ev); err != nil {
		return err
	}
	ev.CreatedAt = norm(ev.CreatedAt)
	ev.Data = normRaw(ev.Data)
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (`+eventCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		ev.ID, ev.OperatorID, ev.Mode, ev.Type, rawJSON(ev.Data), ts(ev.CreatedAt)); err != nil {
		return mapErr(err)
	}
	if db.jobs == nil {
		return nil
	}
	// Most scopes have no endpoint: their events need no delivery job.
	var wanted bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE operator_id = ? AND mode = ?)`,
		ev.OperatorID, ev.Mode).Scan(&wanted); err != nil || !wanted {
		return err
	}
	return db.jobs.EventCreated(tx.ctxOf(ctx), tx.Tx, ev)
}

// AddEvent stores an event; its delivery is enqueued only when its scope
// has a webhook endpoint.
func (db *DB) AddEvent(ctx context.Context, ev *naive.Event) error {
	if err := checkEvent("AddEvent", ev); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *txn) error { return db.insertEvent(ctx, tx, "AddEvent", ev) })
}

// ListEvents lists events newest first, filtered by type when set.
func (db *DB) ListEvents(ctx context.Context, sc naive.Scope, f naive.EventFilter) ([]naive.Event, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+eventCols+` FROM events
		WHERE operator_id = ? AND mode = ? AND (? = '' OR type = ?) AND (? = '' OR id < ?)
		ORDER BY id DESC LIMIT ?`,
		sc.OperatorID, sc.Mode, f.Type, f.Type, f.After, f.After, limit(f.Limit))
	return collect(rows, err, scanEvent)
}
