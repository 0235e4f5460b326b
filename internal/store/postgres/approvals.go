package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

const approvalCols = `id, operator_id, mode, subject_id, action, primitive, title, message, payload, cost, status,
	requested_by_type, requested_by_id, requester_agent_id, created_at, expires_at,
	resolved_by_type, resolved_by_id, resolved_at, result, error, reason, locked_by, resource_id`

func scanApproval(r pgx.Row) (*naive.Approval, error) {
	var (
		a                        naive.Approval
		subject                  *string
		resolvedType, resolvedID *string
		errJSON                  []byte
	)
	if err := r.Scan(&a.ID, &a.OperatorID, &a.Mode, &subject, &a.Action, &a.Primitive, &a.Title, &a.Message,
		(*[]byte)(&a.Payload), &a.Cost, &a.Status,
		&a.RequestedBy.Type, &a.RequestedBy.ID, &a.RequesterAgentID, &a.CreatedAt, &a.ExpiresAt,
		&resolvedType, &resolvedID, &a.ResolvedAt, (*[]byte)(&a.Result), &errJSON, &a.Reason,
		&a.LockedBy, &a.ResourceID); err != nil {
		return nil, err
	}
	if subject != nil {
		a.SubjectID = *subject
	}
	if resolvedType != nil && resolvedID != nil {
		a.ResolvedBy = &naive.Actor{Type: *resolvedType, ID: *resolvedID}
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
		return nil, fmt.Errorf("postgres: approval error: %w", err)
	}
	return &naive.ErrorObject{Code: v.Code, Message: v.Message, Param: v.Param, Hint: v.Hint, Fields: v.Fields}, nil
}

// normRaw is raw JSON as stored and read back: nil (NULL) for empty.
func normRaw(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return b
}

// CreateApproval stores a as pending (nothing resolved), ev and pr in one
// transaction. ev defaults to a's scope and type approval.requested. With
// jobs, the approval's expiry is enqueued in the transaction; without,
// it is one round trip.
func (db *DB) CreateApproval(ctx context.Context, a *naive.Approval, ev *naive.Event, pr store.Progress) error {
	if a.ID == "" || a.CreatedAt.IsZero() {
		return required("CreateApproval", "ID", "CreatedAt")
	}
	if err := checkEvent("CreateApproval", ev); err != nil {
		return err
	}
	a.Status = naive.ApprovalPending
	a.CreatedAt = norm(a.CreatedAt)
	a.ExpiresAt = norm(a.ExpiresAt)
	a.ResolvedBy, a.ResolvedAt, a.Result, a.Error, a.Reason = nil, nil, nil, nil, ""
	a.LockedBy, a.ResourceID = "", ""
	a.Payload = normRaw(a.Payload)
	if ev != nil {
		if ev.OperatorID == "" {
			ev.OperatorID = a.OperatorID
		}
		if ev.Mode == "" {
			ev.Mode = a.Mode
		}
	}
	p := &phase{method: "CreateApproval", pr: &pr, scopes: append(eventScopes(ev), approvalEventScopes(&pr)...),
		own: func(q *queue) {
			// The foreign key to (subject, operator, mode) rejects a
			// subject of another scope as not found.
			q.exec(`INSERT INTO approvals (`+approvalCols+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
				NULL, NULL, NULL, NULL, NULL, '', '', '')`,
				a.ID, a.OperatorID, a.Mode, nullID(a.SubjectID), a.Action, a.Primitive, a.Title, a.Message,
				a.Payload, a.Cost, a.Status, a.RequestedBy.Type, a.RequestedBy.ID, a.RequesterAgentID,
				a.CreatedAt, a.ExpiresAt)
			q.event(ev, naive.EventApprovalRequested, "", "")
		}}
	if db.jobs != nil {
		p.after = func(ctx context.Context, tx pgx.Tx) error { return db.jobs.ApprovalCreated(ctx, tx, a) }
	}
	return db.runPhase(ctx, p)
}

// insertScopedEvent stores ev, when not nil, in tx, its tenant and type
// defaulting to those of the row it reports on.
func (db *DB) insertScopedEvent(ctx context.Context, tx pgx.Tx, method string, ev *naive.Event, operatorID string, mode naive.Mode, typ string) error {
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
	return one(db.pool.QueryRow(ctx, `SELECT `+approvalCols+` FROM approvals
		WHERE operator_id = $1 AND mode = $2 AND id = $3`, sc.OperatorID, sc.Mode, id), scanApproval)
}

// ListApprovals lists approvals newest first, filtered by status (pending
// includes executing) and subject when set.
func (db *DB) ListApprovals(ctx context.Context, sc naive.Scope, f naive.ApprovalFilter) ([]naive.Approval, error) {
	other := f.Status
	if f.Status == naive.ApprovalPending {
		other = naive.ApprovalExecuting
	}
	rows, err := db.pool.Query(ctx, `SELECT `+approvalCols+` FROM approvals
		WHERE operator_id = $1 AND mode = $2 AND ($3 = '' OR status IN ($3, $4)) AND ($5 = '' OR subject_id = $5)
		AND ($6 = '' OR id < $6) ORDER BY id DESC LIMIT $7`,
		sc.OperatorID, sc.Mode, f.Status, other, f.SubjectID, f.After, limit(f.Limit))
	return collect(rows, err, scanApproval)
}

// approvalMissing tells an approval not in scope (ErrNotFound) from one in
// the wrong status or expired (ErrConflict).
func approvalMissing(ctx context.Context, tx pgx.Tx, sc naive.Scope, id string) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM approvals
		WHERE operator_id = $1 AND mode = $2 AND id = $3)`, sc.OperatorID, sc.Mode, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return store.ErrNotFound
	}
	return store.ErrConflict
}

// ClaimApproval moves a pending, unexpired approval to executing, locked
// by owner. The condition is part of the UPDATE: a concurrent claimer or
// denier waits for the winner's row lock, re-checks status = 'pending'
// against the row the winner left and matches nothing, so exactly one
// wins.
func (db *DB) ClaimApproval(ctx context.Context, sc naive.Scope, id string, resolver naive.Actor, now time.Time, owner string) (*naive.Approval, error) {
	var a *naive.Approval
	err := db.tx(ctx, func(tx pgx.Tx) (err error) {
		now := norm(now)
		a, err = scanApproval(tx.QueryRow(ctx, `UPDATE approvals
			SET status = 'executing', resolved_by_type = $1, resolved_by_id = $2, resolved_at = $3,
			locked_by = $7, resource_id = ''
			WHERE operator_id = $4 AND mode = $5 AND id = $6 AND status = 'pending' AND expires_at > $3
			RETURNING `+approvalCols,
			resolver.Type, resolver.ID, now, sc.OperatorID, sc.Mode, id, owner))
		if errors.Is(err, pgx.ErrNoRows) {
			return approvalMissing(ctx, tx, sc, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// TakeOverApproval locks an executing approval for owner if its holder,
// as first read, is no one or not alive since liveAfter. The update also
// requires locked_by to still be that holder, re-checked after waiting
// for a concurrent taker's row lock, so exactly one taker wins.
func (db *DB) TakeOverApproval(ctx context.Context, sc naive.Scope, id, owner string, liveAfter time.Time) (*naive.Approval, error) {
	if owner == "" {
		return nil, required("TakeOverApproval", "owner")
	}
	var a *naive.Approval
	err := db.tx(ctx, func(tx pgx.Tx) (err error) {
		a, err = scanApproval(tx.QueryRow(ctx, `WITH cur AS (SELECT locked_by FROM approvals
				WHERE operator_id = $1 AND mode = $2 AND id = $3 AND status = 'executing')
			UPDATE approvals a SET locked_by = $4 FROM cur
			WHERE a.operator_id = $1 AND a.mode = $2 AND a.id = $3 AND a.status = 'executing'
			AND a.locked_by = cur.locked_by AND NOT `+aliveSQL("cur.locked_by", "5")+`
			RETURNING `+prefixed("a.", approvalCols),
			sc.OperatorID, sc.Mode, id, owner, norm(liveAfter)))
		if errors.Is(err, pgx.ErrNoRows) {
			return approvalMissing(ctx, tx, sc, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// FinishApproval moves an approval executing under a.LockedBy in a's
// scope to a.Status (executed or failed) with a.Result or a.Error,
// releases it, and stores ev (type approval.resolved by default) in the
// same transaction. It writes the stored approval back into a.
func (db *DB) FinishApproval(ctx context.Context, a *naive.Approval, ev *naive.Event) error {
	if err := checkEvent("FinishApproval", ev); err != nil {
		return err
	}
	if a.Status != naive.ApprovalExecuted && a.Status != naive.ApprovalFailed {
		return fmt.Errorf("postgres: FinishApproval to status %q, want executed or failed", a.Status)
	}
	errJSON, err := encodeErrorObject(a.Error)
	if err != nil {
		return err
	}
	a.Result = normRaw(a.Result)
	sc := naive.Scope{OperatorID: a.OperatorID, Mode: a.Mode}
	var got *naive.Approval
	err = db.tx(ctx, func(tx pgx.Tx) (err error) {
		got, err = scanApproval(tx.QueryRow(ctx, `UPDATE approvals SET status = $1, result = $2, error = $3, locked_by = ''
			WHERE operator_id = $4 AND mode = $5 AND id = $6 AND status = 'executing' AND locked_by = $7 AND $7 <> ''
			RETURNING `+approvalCols,
			a.Status, a.Result, errJSON, sc.OperatorID, sc.Mode, a.ID, a.LockedBy))
		if errors.Is(err, pgx.ErrNoRows) {
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
// like ClaimApproval, one conditional UPDATE decides. It writes the stored
// approval back into a.
func (db *DB) DenyApproval(ctx context.Context, sc naive.Scope, a *naive.Approval, ev *naive.Event) error {
	if a.ResolvedAt == nil || a.ResolvedAt.IsZero() {
		return required("DenyApproval", "ResolvedAt")
	}
	if err := checkEvent("DenyApproval", ev); err != nil {
		return err
	}
	at := norm(*a.ResolvedAt)
	var by naive.Actor
	if a.ResolvedBy != nil {
		by = *a.ResolvedBy
	}
	var got *naive.Approval
	err := db.tx(ctx, func(tx pgx.Tx) (err error) {
		got, err = scanApproval(tx.QueryRow(ctx, `UPDATE approvals
			SET status = 'denied', resolved_by_type = $1, resolved_by_id = $2, resolved_at = $3, reason = $4
			WHERE operator_id = $5 AND mode = $6 AND id = $7 AND status = 'pending' AND expires_at > $3
			RETURNING `+approvalCols,
			by.Type, by.ID, at, a.Reason, sc.OperatorID, sc.Mode, a.ID))
		if errors.Is(err, pgx.ErrNoRows) {
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
// the same transaction. A concurrent call waits for the row lock and then
// matches nothing, so only one reports true.
func (db *DB) ExpireApproval(ctx context.Context, id string, now time.Time, ev *naive.Event) (bool, error) {
	if err := checkEvent("ExpireApproval", ev); err != nil {
		return false, err
	}
	expired := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		expired = false
		now := norm(now)
		a, err := scanApproval(tx.QueryRow(ctx, `UPDATE approvals SET status = 'expired', resolved_at = $1
			WHERE id = $2 AND status = 'pending' AND expires_at <= $1 RETURNING `+approvalCols, now, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := db.insertScopedEvent(ctx, tx, "ExpireApproval", ev, a.OperatorID, a.Mode, naive.EventApprovalResolved); err != nil {
			return err
		}
		expired = true
		return nil
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
	rows, err := db.pool.Query(ctx, `SELECT `+approvalCols+` FROM approvals
		WHERE (status = 'pending' AND expires_at <= $1) OR (status = 'executing' AND NOT `+aliveSQL("locked_by", "2")+`)
		ORDER BY created_at, id LIMIT $3`, norm(now), norm(liveAfter), limit(n))
	return collect(rows, err, scanApproval)
}

const eventCols = `id, operator_id, mode, type, data, created_at`

func scanEvent(r pgx.Row) (*naive.Event, error) {
	var e naive.Event
	if err := r.Scan(&e.ID, &e.OperatorID, &e.Mode, &e.Type, (*[]byte)(&e.Data), &e.CreatedAt); err != nil {
		return nil, err
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

// insertEvent stores ev in tx; method names the caller in errors. Its
// delivery job is enqueued only when its scope has a webhook endpoint,
// checked by the insert.
func (db *DB) insertEvent(ctx context.Context, tx pgx.Tx, method string, ev *naive.Event) error {
	if err := checkEvent(method, ev); err != nil {
		return err
	}
	var hook bool
	if err := tx.QueryRow(ctx, eventSQL(""), db.eventArgs(ev, ev.Type, "", "", nil)...).Scan(
		&ev.OperatorID, &ev.Mode, &ev.Type, &hook); err != nil {
		return mapErr(err)
	}
	if hook {
		return db.jobs.EventCreated(ctx, tx, ev)
	}
	return nil
}

// AddEvent stores an event; its delivery is enqueued only when its scope
// has a webhook endpoint.
func (db *DB) AddEvent(ctx context.Context, ev *naive.Event) error {
	if err := checkEvent("AddEvent", ev); err != nil {
		return err
	}
	return db.tx(ctx, func(tx pgx.Tx) error { return db.insertEvent(ctx, tx, "AddEvent", ev) })
}

// ListEvents lists events newest first, filtered by type when set.
func (db *DB) ListEvents(ctx context.Context, sc naive.Scope, f naive.EventFilter) ([]naive.Event, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+eventCols+` FROM events
		WHERE operator_id = $1 AND mode = $2 AND ($3 = '' OR type = $3) AND ($4 = '' OR id < $4)
		ORDER BY id DESC LIMIT $5`,
		sc.OperatorID, sc.Mode, f.Type, f.After, limit(f.Limit))
	return collect(rows, err, scanEvent)
}
