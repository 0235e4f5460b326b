package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// checkProgress is the error of method given a Progress it cannot write:
// a key operation without its key or time, an approval step without its
// approval, process or a valid outcome. Methods check it before their
// transaction, so a malformed Progress stores nothing.
func checkProgress(method string, pr store.Progress) error {
	switch pr.KeyOp {
	case store.KeyNone:
	case store.KeyCreate:
		if pr.Key == nil {
			return fmt.Errorf("sqlite: %s: KeyCreate without a key", method)
		}
		if pr.Key.CreatedAt.IsZero() {
			return required(method, "key CreatedAt")
		}
	case store.KeyUpdate:
		if pr.Key == nil {
			return fmt.Errorf("sqlite: %s: KeyUpdate without a key", method)
		}
		if pr.Key.UpdatedAt.IsZero() {
			return required(method, "key UpdatedAt")
		}
	case store.KeyDelete:
		if pr.Key == nil {
			return fmt.Errorf("sqlite: %s: KeyDelete without a key", method)
		}
	default:
		return fmt.Errorf("sqlite: %s: unknown key operation %d", method, pr.KeyOp)
	}
	if st := pr.Approval; st != nil {
		if st.ID == "" {
			return required(method, "approval step ID")
		}
		if f := st.Finish; f != nil && f.Status != naive.ApprovalExecuted && f.Status != naive.ApprovalFailed {
			return fmt.Errorf("sqlite: %s: approval step to status %q, want executed or failed", method, f.Status)
		}
		if err := checkEvent(method, st.Event); err != nil {
			return err
		}
	}
	return nil
}

// applyProgress writes pr in tx, after the method's own writes: it calls
// Render, then writes the key record and the approval step. A key taken
// (store.ErrKeyExists) or a record not held by the phase's process
// (store.ErrLockLost) fails the method, whose transaction then rolls back
// everything. A zero Progress writes nothing.
func (db *DB) applyProgress(ctx context.Context, tx *txn, method string, pr store.Progress) error {
	if pr.Render != nil {
		pr.Render()
	}
	if k := pr.Key; k != nil {
		switch pr.KeyOp {
		case store.KeyCreate:
			if err := prepareKey(method, k); err != nil {
				return err
			}
			ok, err := insertKey(ctx, tx, k)
			if err != nil {
				return err
			}
			if !ok {
				return store.ErrKeyExists
			}
		case store.KeyUpdate:
			if err := updateKey(ctx, tx, k); err != nil {
				return err
			}
		case store.KeyDelete:
			if k.LockedBy == "" {
				return store.ErrLockLost
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys
				WHERE operator_id = ? AND principal_id = ? AND key = ? AND completed = 0 AND locked_by = ?`,
				k.OperatorID, k.PrincipalID, k.Key, k.LockedBy)
			if err := affected(res, err, store.ErrLockLost); err != nil {
				return err
			}
		}
	}
	if st := pr.Approval; st != nil {
		return db.applyApprovalStep(ctx, tx, method, st)
	}
	return nil
}

// updateKey writes a phase's progress into the unfinished record k.LockedBy
// holds, releasing it when the phase completes it. Errors:
// store.ErrLockLost.
func updateKey(ctx context.Context, tx *txn, k *store.IdempotencyRecord) error {
	if k.LockedBy == "" {
		return store.ErrLockLost
	}
	k.UpdatedAt = norm(k.UpdatedAt)
	k.Payload, k.Body = normBytes(k.Payload), normBytes(k.Body)
	res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET recovery_point = ?, resource_id = ?, payload = ?,
		completed = ?, status = ?, body = ?, updated_at = ?, locked_by = CASE WHEN ? THEN '' ELSE locked_by END
		WHERE operator_id = ? AND principal_id = ? AND key = ? AND completed = 0 AND locked_by = ?`,
		k.RecoveryPoint, k.ResourceID, k.Payload, k.Completed, k.Status, k.Body, ts(k.UpdatedAt), k.Completed,
		k.OperatorID, k.PrincipalID, k.Key, k.LockedBy)
	return affected(res, err, store.ErrLockLost)
}

// applyApprovalStep writes what a phase records of the approval its run
// executes: only while it is executing under st.Owner (else
// store.ErrLockLost).
func (db *DB) applyApprovalStep(ctx context.Context, tx *txn, method string, st *store.ApprovalStep) error {
	if st.Owner == "" {
		return store.ErrLockLost
	}
	if st.Reopen {
		res, err := tx.ExecContext(ctx, `UPDATE approvals
			SET status = 'pending', resolved_by_type = NULL, resolved_by_id = NULL, resolved_at = NULL, locked_by = ''
			WHERE id = ? AND status = 'executing' AND locked_by = ? AND resource_id = ''`, st.ID, st.Owner)
		return affected(res, err, store.ErrLockLost)
	}
	f := st.Finish
	if f == nil {
		res, err := tx.ExecContext(ctx, `UPDATE approvals
			SET resource_id = ?, locked_by = CASE WHEN ? THEN '' ELSE locked_by END
			WHERE id = ? AND status = 'executing' AND locked_by = ?`,
			st.ResourceID, st.Release, st.ID, st.Owner)
		return affected(res, err, store.ErrLockLost)
	}
	errJSON, err := encodeErrorObject(f.Error)
	if err != nil {
		return err
	}
	f.Result = normRaw(f.Result)
	got, err := scanApproval(tx.QueryRowContext(ctx, `UPDATE approvals
		SET status = ?, result = ?, error = ?, resource_id = ?, locked_by = ''
		WHERE id = ? AND status = 'executing' AND locked_by = ? RETURNING `+approvalCols,
		f.Status, rawJSON(f.Result), errJSON, st.ResourceID, st.ID, st.Owner))
	if errors.Is(err, store.ErrNotFound) {
		return store.ErrLockLost
	}
	if err != nil {
		return err
	}
	if err := db.insertScopedEvent(ctx, tx, method, st.Event, got.OperatorID, got.Mode, naive.EventApprovalResolved); err != nil {
		return err
	}
	*f = *got
	return nil
}
