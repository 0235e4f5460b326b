package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

const phoneCols = `id, operator_id, mode, subject_id, e164, type, status, label, agent_id, campaign_id,
	area_code, carrier_id, price, created_at, released_at, carrier`

func phoneDests(p *naive.Phone) []any {
	return []any{&p.ID, &p.OperatorID, &p.Mode, &p.SubjectID, &p.E164, &p.Type, &p.Status, &p.Label, &p.AgentID,
		&p.CampaignID, &p.AreaCode, &p.CarrierID, &p.Price,
		timeCol{&p.CreatedAt}, nullTimeCol{&p.ReleasedAt}, &p.Carrier}
}

func scanPhone(s scanner) (*naive.Phone, error) {
	var p naive.Phone
	if err := s.Scan(phoneDests(&p)...); err != nil {
		return nil, notFound(err)
	}
	return &p, nil
}

// ReservePhone debits the price, inserts p as provisioning and applies pr
// in one transaction, so a number is never bought without its charge nor
// its run's record. On the hot path of a provision, it is four statements:
// the conditional debit, the phone, the ledger entry and the key.
// Capabilities are not stored: the service derives them.
func (db *DB) ReservePhone(ctx context.Context, p *naive.Phone, debit *naive.LedgerEntry, pr store.Progress) (int64, error) {
	if p.ID == "" || p.CreatedAt.IsZero() {
		return 0, required("ReservePhone", "ID", "CreatedAt")
	}
	if err := checkEntry("ReservePhone", debit); err != nil {
		return 0, err
	}
	if err := checkProgress("ReservePhone", pr); err != nil {
		return 0, err
	}
	p.Status = naive.PhoneProvisioning
	p.CreatedAt = norm(p.CreatedAt)
	p.ReleasedAt = normPtr(p.ReleasedAt)
	if debit != nil {
		fillEntry(debit, p.OperatorID, p.Mode, p.ID)
	}
	var bal int64
	err := db.tx(ctx, func(tx *txn) (err error) {
		if debit != nil {
			bal, err = applyLedger(ctx, tx, "ReservePhone", debit)
		} else {
			bal, err = balanceIn(ctx, tx, p.OperatorID, p.Mode)
		}
		if err != nil {
			return err
		}
		// A deleted subject gets no number: under the write lock this
		// check is atomic with DeleteSubject's.
		res, err := tx.ExecContext(ctx, `INSERT INTO phones (`+phoneCols+`)
			SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
			WHERE EXISTS (SELECT 1 FROM subjects WHERE id = ? AND operator_id = ? AND mode = ? AND deleted_at IS NULL)`,
			p.ID, p.OperatorID, p.Mode, p.SubjectID, p.E164, p.Type, p.Status, p.Label, p.AgentID, p.CampaignID,
			p.AreaCode, p.CarrierID, p.Price, ts(p.CreatedAt), nts(p.ReleasedAt), p.Carrier,
			p.SubjectID, p.OperatorID, p.Mode)
		if err := affected(res, err, store.ErrNotFound); err != nil {
			return err
		}
		return db.applyProgress(ctx, tx, "ReservePhone", pr)
	})
	return bal, err
}

// ActivatePhone records a bought number on a provisioning phone (an empty
// CampaignID keeps the stored one) with its assignment, events and pr, in
// one transaction.
func (db *DB) ActivatePhone(ctx context.Context, a *store.PhoneActivation, pr store.Progress) error {
	for _, ev := range a.Events {
		if err := checkEvent("ActivatePhone", ev); err != nil {
			return err
		}
	}
	var perms string
	if as := a.Assignment; as != nil {
		if as.CreatedAt.IsZero() {
			return required("ActivatePhone", "assignment CreatedAt")
		}
		if as.PhoneID == "" {
			as.PhoneID = a.ID
		}
		var err error
		if perms, err = encodeStrings(&as.Permissions); err != nil {
			return err
		}
	}
	if err := checkProgress("ActivatePhone", pr); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *txn) error {
		var sc naive.Scope
		err := tx.QueryRowContext(ctx, `UPDATE phones SET status = 'active', e164 = ?, carrier_id = ?,
			campaign_id = CASE WHEN ? = '' THEN campaign_id ELSE ? END, carrier = CASE WHEN ? = '' THEN carrier ELSE ? END
			WHERE id = ? AND status = 'provisioning' RETURNING operator_id, mode`,
			a.E164, a.CarrierID, a.CampaignID, a.CampaignID, a.Carrier, a.Carrier, a.ID).Scan(&sc.OperatorID, &sc.Mode)
		if errors.Is(err, sql.ErrNoRows) {
			return phoneMissing(ctx, tx, a.ID)
		}
		if err != nil {
			return err
		}
		if as := a.Assignment; as != nil {
			if as.OperatorID == "" {
				as.OperatorID, as.Mode = sc.OperatorID, sc.Mode
			}
			if err := upsertAssignment(ctx, tx, as, perms); err != nil {
				return err
			}
		}
		for _, ev := range a.Events {
			if err := db.insertScopedEvent(ctx, tx, "ActivatePhone", ev, sc.OperatorID, sc.Mode, naive.EventPhoneProvisioned); err != nil {
				return err
			}
		}
		return db.applyProgress(ctx, tx, "ActivatePhone", pr)
	})
}

// phoneMissing tells an unknown phone (ErrNotFound) from one in the wrong
// status (ErrConflict).
func phoneMissing(ctx context.Context, tx *txn, id string) error {
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM phones WHERE id = ?)`, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return store.ErrNotFound
	}
	return store.ErrConflict
}

// FailPhone marks a provisioning phone failed and applies refund and pr in
// one transaction. The status check and the write are one statement under
// the write lock, so a second call finds the phone failed and refunds
// nothing.
func (db *DB) FailPhone(ctx context.Context, id string, refund *naive.LedgerEntry, pr store.Progress) (int64, error) {
	if err := checkEntry("FailPhone", refund); err != nil {
		return 0, err
	}
	if err := checkProgress("FailPhone", pr); err != nil {
		return 0, err
	}
	var bal int64
	err := db.tx(ctx, func(tx *txn) error {
		p, err := scanPhone(tx.QueryRowContext(ctx, `UPDATE phones SET status = 'failed'
			WHERE id = ? AND status = 'provisioning' RETURNING `+phoneCols, id))
		if errors.Is(err, store.ErrNotFound) {
			return phoneMissing(ctx, tx, id)
		}
		if err != nil {
			return err
		}
		if refund == nil {
			bal, err = balanceIn(ctx, tx, p.OperatorID, p.Mode)
		} else {
			fillEntry(refund, p.OperatorID, p.Mode, p.ID)
			bal, err = applyLedger(ctx, tx, "FailPhone", refund)
		}
		if err != nil {
			return err
		}
		return db.applyProgress(ctx, tx, "FailPhone", pr)
	})
	return bal, err
}

// GetPhone returns a phone in scope, whatever its status.
func (db *DB) GetPhone(ctx context.Context, sc naive.Scope, id string) (*naive.Phone, error) {
	return scanPhone(db.reader.QueryRowContext(ctx, `SELECT `+phoneCols+` FROM phones
		WHERE operator_id = ? AND mode = ? AND id = ?`, sc.OperatorID, sc.Mode, id))
}

var phoneAndCampaignQuery = `SELECT ` + prefixed("p.", phoneCols) + `, ` + prefixed("c.", campaignCols) + `
	FROM phones p JOIN campaigns c ON c.id = p.campaign_id AND c.operator_id = p.operator_id AND c.mode = p.mode
	WHERE p.operator_id = ? AND p.mode = ? AND p.id = ?`

// GetPhoneAndCampaign returns a phone in scope and, read in the same
// statement, its campaign (nil when it has none).
func (db *DB) GetPhoneAndCampaign(ctx context.Context, sc naive.Scope, id string) (*naive.Phone, *naive.Campaign, error) {
	var (
		p naive.Phone
		c campaignRow
	)
	err := db.reader.QueryRowContext(ctx, phoneAndCampaignQuery, sc.OperatorID, sc.Mode, id).Scan(append(phoneDests(&p), c.dests()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		// No campaign (or no phone): the phone alone.
		ph, err := db.GetPhone(ctx, sc, id)
		return ph, nil, err
	}
	if err != nil {
		return nil, nil, mapErr(err)
	}
	return &p, c.finish(), nil
}

// ListPhones lists a subject's active and released phones, newest first;
// provisioning and failed rows are bookkeeping callers do not see.
func (db *DB) ListPhones(ctx context.Context, sc naive.Scope, subjectID string, f naive.PhoneFilter) ([]naive.Phone, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+phoneCols+` FROM phones
		WHERE operator_id = ? AND mode = ? AND subject_id = ? AND status IN ('active', 'released')
		AND (? = '' OR agent_id = ? OR EXISTS (SELECT 1 FROM phone_assignments a WHERE a.phone_id = phones.id AND a.agent_id = ?))
		AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?`,
		sc.OperatorID, sc.Mode, subjectID, f.AgentID, f.AgentID, f.AgentID, f.After, f.After, limit(f.Limit))
	return collect(rows, err, scanPhone)
}

// CountPhones counts a subject's phones in any of statuses, or in any
// status when none is given.
func (db *DB) CountPhones(ctx context.Context, sc naive.Scope, subjectID string, statuses ...string) (int, error) {
	q := `SELECT COUNT(*) FROM phones WHERE operator_id = ? AND mode = ? AND subject_id = ?`
	args := []any{sc.OperatorID, sc.Mode, subjectID}
	if len(statuses) > 0 {
		q += ` AND status IN (?` + strings.Repeat(`, ?`, len(statuses)-1) + `)`
		for _, s := range statuses {
			args = append(args, s)
		}
	}
	var n int
	// The IN list varies in length: q runs unprepared, so the cache holds
	// constant SQL only.
	err := db.r.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, mapErr(err)
}

// SetPhoneLabel relabels an active phone in scope.
func (db *DB) SetPhoneLabel(ctx context.Context, sc naive.Scope, id, label string) (*naive.Phone, error) {
	var p *naive.Phone
	err := db.tx(ctx, func(tx *txn) (err error) {
		p, err = scanPhone(tx.QueryRowContext(ctx, `UPDATE phones SET label = ?
			WHERE operator_id = ? AND mode = ? AND id = ? AND status = 'active' RETURNING `+phoneCols,
			label, sc.OperatorID, sc.Mode, id))
		if errors.Is(err, store.ErrNotFound) {
			return scopedPhoneMissing(ctx, tx, sc, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// scopedPhoneMissing is phoneMissing within a scope.
func scopedPhoneMissing(ctx context.Context, tx *txn, sc naive.Scope, id string) error {
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM phones
		WHERE operator_id = ? AND mode = ? AND id = ?)`, sc.OperatorID, sc.Mode, id).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return store.ErrConflict
	}
	return store.ErrNotFound
}

// MarkPhoneReleased marks an active phone in scope released and stores
// events and pr with it.
func (db *DB) MarkPhoneReleased(ctx context.Context, sc naive.Scope, id string, at time.Time, events []*naive.Event, pr store.Progress) (*naive.Phone, error) {
	for _, ev := range events {
		if err := checkEvent("MarkPhoneReleased", ev); err != nil {
			return nil, err
		}
	}
	if err := checkProgress("MarkPhoneReleased", pr); err != nil {
		return nil, err
	}
	var p *naive.Phone
	err := db.tx(ctx, func(tx *txn) (err error) {
		p, err = scanPhone(tx.QueryRowContext(ctx, `UPDATE phones SET status = 'released', released_at = ?
			WHERE operator_id = ? AND mode = ? AND id = ? AND status = 'active' RETURNING `+phoneCols,
			ts(at), sc.OperatorID, sc.Mode, id))
		if errors.Is(err, store.ErrNotFound) {
			return scopedPhoneMissing(ctx, tx, sc, id)
		}
		if err != nil {
			return err
		}
		for _, ev := range events {
			if err := db.insertScopedEvent(ctx, tx, "MarkPhoneReleased", ev, p.OperatorID, p.Mode, naive.EventPhoneReleased); err != nil {
				return err
			}
		}
		return db.applyProgress(ctx, tx, "MarkPhoneReleased", pr)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ListStaleProvisioning lists provisioning phones of every tenant created
// before the given time, oldest first, for reconciliation.
func (db *DB) ListStaleProvisioning(ctx context.Context, before time.Time, n int) ([]naive.Phone, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+phoneCols+` FROM phones
		WHERE status = 'provisioning' AND created_at < ? ORDER BY created_at, id LIMIT ?`, ts(before), limit(n))
	return collect(rows, err, scanPhone)
}
