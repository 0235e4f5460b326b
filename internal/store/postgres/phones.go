package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

const phoneCols = `id, operator_id, mode, subject_id, e164, type, status, label, agent_id, campaign_id,
	area_code, carrier_id, idempotency_ref, price, created_at, released_at`

func scanPhone(r pgx.Row) (*naive.Phone, error) {
	var p naive.Phone
	if err := r.Scan(&p.ID, &p.OperatorID, &p.Mode, &p.SubjectID, &p.E164, &p.Type, &p.Status, &p.Label, &p.AgentID,
		&p.CampaignID, &p.AreaCode, &p.CarrierID, &p.IdempotencyRef, &p.Price, &p.CreatedAt, &p.ReleasedAt); err != nil {
		return nil, err
	}
	return &p, nil
}

// ReservePhone debits the price and inserts p as provisioning in one
// transaction, so a number is never bought without its charge.
// Capabilities are not stored: the service derives them.
func (db *DB) ReservePhone(ctx context.Context, p *naive.Phone, debit *naive.LedgerEntry) (int64, error) {
	if p.ID == "" || p.CreatedAt.IsZero() {
		return 0, required("ReservePhone", "ID", "CreatedAt")
	}
	if err := checkEntry("ReservePhone", debit); err != nil {
		return 0, err
	}
	p.Status = naive.PhoneProvisioning
	p.CreatedAt = norm(p.CreatedAt)
	p.ReleasedAt = normPtr(p.ReleasedAt)
	fillEntry(debit, p.OperatorID, p.Mode, p.ID)
	var bal int64
	err := db.tx(ctx, func(tx pgx.Tx) (err error) {
		if bal, err = applyLedger(ctx, tx, "ReservePhone", debit); err != nil {
			return err
		}
		// A deleted subject gets no number. The share lock waits for a
		// DeleteSubject holding the row and then finds it deleted; a
		// DeleteSubject coming second waits for this one to commit.
		var subj string
		if err := tx.QueryRow(ctx, `SELECT id FROM subjects
			WHERE id = $1 AND operator_id = $2 AND mode = $3 AND deleted_at IS NULL FOR SHARE`,
			p.SubjectID, p.OperatorID, p.Mode).Scan(&subj); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO phones (`+phoneCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			p.ID, p.OperatorID, p.Mode, p.SubjectID, p.E164, p.Type, p.Status, p.Label, p.AgentID, p.CampaignID,
			p.AreaCode, p.CarrierID, p.IdempotencyRef, p.Price, p.CreatedAt, p.ReleasedAt)
		return err
	})
	return bal, err
}

// ActivatePhone records a bought number on a provisioning phone; an empty
// campaignID keeps the stored one.
func (db *DB) ActivatePhone(ctx context.Context, id, e164, carrierID, campaignID string) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE phones SET status = 'active', e164 = $1, carrier_id = $2,
			campaign_id = CASE WHEN $3 = '' THEN campaign_id ELSE $3 END
			WHERE id = $4 AND status = 'provisioning'`, e164, carrierID, campaignID, id)
		if err := affected(tag, err, store.ErrConflict); !errors.Is(err, store.ErrConflict) {
			return err
		}
		return phoneMissing(ctx, tx, id)
	})
}

// phoneMissing tells an unknown phone (ErrNotFound) from one in the wrong
// status (ErrConflict).
func phoneMissing(ctx context.Context, tx pgx.Tx, id string) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM phones WHERE id = $1)`, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return store.ErrNotFound
	}
	return store.ErrConflict
}

// FailPhone marks a provisioning phone failed and applies refund in one
// transaction. A second call waits for the first's row lock, re-checks
// status = 'provisioning', finds the phone failed and refunds nothing.
func (db *DB) FailPhone(ctx context.Context, id string, refund *naive.LedgerEntry) (int64, error) {
	if err := checkEntry("FailPhone", refund); err != nil {
		return 0, err
	}
	var bal int64
	err := db.tx(ctx, func(tx pgx.Tx) error {
		p, err := scanPhone(tx.QueryRow(ctx, `UPDATE phones SET status = 'failed'
			WHERE id = $1 AND status = 'provisioning' RETURNING `+phoneCols, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return phoneMissing(ctx, tx, id)
		}
		if err != nil {
			return err
		}
		if refund == nil {
			bal, err = balanceIn(ctx, tx, p.OperatorID, p.Mode)
			return err
		}
		fillEntry(refund, p.OperatorID, p.Mode, p.ID)
		bal, err = applyLedger(ctx, tx, "FailPhone", refund)
		return err
	})
	return bal, err
}

// GetPhone returns a phone in scope, whatever its status.
func (db *DB) GetPhone(ctx context.Context, sc naive.Scope, id string) (*naive.Phone, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+phoneCols+` FROM phones
		WHERE operator_id = $1 AND mode = $2 AND id = $3`, sc.OperatorID, sc.Mode, id), scanPhone)
}

// ListPhones lists a subject's active and released phones, newest first;
// provisioning and failed rows are bookkeeping callers do not see.
func (db *DB) ListPhones(ctx context.Context, sc naive.Scope, subjectID string, f naive.PhoneFilter) ([]naive.Phone, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+phoneCols+` FROM phones
		WHERE operator_id = $1 AND mode = $2 AND subject_id = $3 AND status IN ('active', 'released')
		AND ($4 = '' OR agent_id = $4) AND ($5 = '' OR id < $5) ORDER BY id DESC LIMIT $6`,
		sc.OperatorID, sc.Mode, subjectID, f.AgentID, f.After, limit(f.Limit))
	return collect(rows, err, scanPhone)
}

// CountPhones counts a subject's phones in any of statuses, or in any
// status when none is given.
func (db *DB) CountPhones(ctx context.Context, sc naive.Scope, subjectID string, statuses ...string) (int, error) {
	q := `SELECT COUNT(*) FROM phones WHERE operator_id = $1 AND mode = $2 AND subject_id = $3`
	args := []any{sc.OperatorID, sc.Mode, subjectID}
	if len(statuses) > 0 {
		q += ` AND status = ANY($4)`
		args = append(args, statuses)
	}
	var n int
	err := db.pool.QueryRow(ctx, q, args...).Scan(&n)
	return n, mapErr(err)
}

// MarkPhoneReleased marks an active phone in scope released.
func (db *DB) MarkPhoneReleased(ctx context.Context, sc naive.Scope, id string, at time.Time) (*naive.Phone, error) {
	var p *naive.Phone
	err := db.tx(ctx, func(tx pgx.Tx) (err error) {
		p, err = scanPhone(tx.QueryRow(ctx, `UPDATE phones SET status = 'released', released_at = $1
			WHERE operator_id = $2 AND mode = $3 AND id = $4 AND status = 'active' RETURNING `+phoneCols,
			norm(at), sc.OperatorID, sc.Mode, id))
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM phones
			WHERE operator_id = $1 AND mode = $2 AND id = $3)`, sc.OperatorID, sc.Mode, id).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return store.ErrConflict
		}
		return store.ErrNotFound
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ListStaleProvisioning lists provisioning phones of every tenant created
// before the given time, oldest first, for reconciliation.
func (db *DB) ListStaleProvisioning(ctx context.Context, before time.Time, n int) ([]naive.Phone, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+phoneCols+` FROM phones
		WHERE status = 'provisioning' AND created_at < $1 ORDER BY created_at, id LIMIT $2`, norm(before), limit(n))
	return collect(rows, err, scanPhone)
}
