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
	area_code, carrier_id, price, created_at, released_at, carrier`

func phoneDests(p *naive.Phone) []any {
	return []any{&p.ID, &p.OperatorID, &p.Mode, &p.SubjectID, &p.E164, &p.Type, &p.Status, &p.Label, &p.AgentID,
		&p.CampaignID, &p.AreaCode, &p.CarrierID, &p.Price, &p.CreatedAt, &p.ReleasedAt, &p.Carrier}
}

func scanPhone(r pgx.Row) (*naive.Phone, error) {
	var p naive.Phone
	if err := r.Scan(phoneDests(&p)...); err != nil {
		return nil, err
	}
	return &p, nil
}

// ReservePhone debits the price, inserts p as provisioning and writes pr
// in one transaction, so a number is never bought without its charge nor
// its run's record. It is the provision's hot path: one round trip, a
// piped batch of the debit with its ledger entry, the phone and pr's
// writes, each checking its condition on the server (unless pr has a
// Render). Capabilities are not stored: the service derives them.
func (db *DB) ReservePhone(ctx context.Context, p *naive.Phone, debit *naive.LedgerEntry, pr store.Progress) (int64, error) {
	if p.ID == "" || p.CreatedAt.IsZero() {
		return 0, required("ReservePhone", "ID", "CreatedAt")
	}
	if err := checkEntry("ReservePhone", debit); err != nil {
		return 0, err
	}
	p.Status = naive.PhoneProvisioning
	p.CreatedAt = norm(p.CreatedAt)
	p.ReleasedAt = normPtr(p.ReleasedAt)
	if debit != nil {
		fillEntry(debit, p.OperatorID, p.Mode, p.ID)
	}
	var bal int64
	err := db.runPhase(ctx, &phase{method: "ReservePhone", pr: &pr, scopes: approvalEventScopes(&pr),
		own: func(q *queue) {
			if debit != nil {
				q.ledger(debit, &bal)
			} else {
				q.balance(naive.Scope{OperatorID: p.OperatorID, Mode: p.Mode}, &bal)
			}
			// A deleted subject gets no number. The share lock waits for
			// a DeleteSubject holding the row and then finds it deleted;
			// a DeleteSubject coming second waits for this one to commit.
			q.exec(`WITH p AS (INSERT INTO phones (`+phoneCols+`)
				SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16 FROM subjects
				WHERE id = $4 AND operator_id = $2 AND mode = $3 AND deleted_at IS NULL FOR SHARE RETURNING 1)
				SELECT naive_fail(CASE WHEN NOT EXISTS (SELECT 1 FROM p) THEN '`+codeNotFound+`' END)`,
				p.ID, p.OperatorID, p.Mode, p.SubjectID, p.E164, p.Type, p.Status, p.Label, p.AgentID, p.CampaignID,
				p.AreaCode, p.CarrierID, p.Price, p.CreatedAt, p.ReleasedAt, p.Carrier)
		}})
	if err != nil {
		return 0, err
	}
	return bal, nil
}

// ActivatePhone records a bought number on a provisioning phone (an
// empty CampaignID keeps the stored one), connects a.Assignment's agent,
// stores a.Events (scope and type phone.provisioned defaulting to the
// phone's) and writes pr, in one transaction: the provision's last phase.
// Its statements check their conditions on the server, so it is one
// round trip when nothing needs the client mid-way (no Render, and no
// event with a webhook endpoint to enqueue a delivery for).
func (db *DB) ActivatePhone(ctx context.Context, a *store.PhoneActivation, pr store.Progress) error {
	if a.ID == "" {
		return required("ActivatePhone", "ID")
	}
	for _, ev := range a.Events {
		if err := checkEvent("ActivatePhone", ev); err != nil {
			return err
		}
	}
	var perms string
	if asg := a.Assignment; asg != nil {
		if asg.CreatedAt.IsZero() {
			return required("ActivatePhone", "assignment CreatedAt")
		}
		if asg.PhoneID == "" {
			asg.PhoneID = a.ID
		}
		asg.CreatedAt = norm(asg.CreatedAt)
		var err error
		if perms, err = encodeStrings(&asg.Permissions); err != nil {
			return err
		}
	}
	return db.runPhase(ctx, &phase{method: "ActivatePhone", pr: &pr,
		scopes: append(eventScopes(a.Events...), approvalEventScopes(&pr)...),
		own: func(q *queue) {
			q.exec(`WITH u AS (UPDATE phones SET status = 'active', e164 = $1, carrier_id = $2,
					campaign_id = CASE WHEN $3 = '' THEN campaign_id ELSE $3 END,
					carrier = CASE WHEN $5 = '' THEN carrier ELSE $5 END
					WHERE id = $4 AND status = 'provisioning' RETURNING 1)
				SELECT naive_fail(CASE WHEN EXISTS (SELECT 1 FROM u) THEN NULL
					WHEN EXISTS (SELECT 1 FROM phones WHERE id = $4) THEN '`+codeConflict+`'
					ELSE '`+codeNotFound+`' END)`,
				a.E164, a.CarrierID, a.CampaignID, a.ID, a.Carrier)
			if asg := a.Assignment; asg != nil {
				// The scope defaults to the phone's; the foreign keys
				// reject an agent gone or of another scope as not found.
				q.row(func(r pgx.Row) error {
					var ok bool
					return r.Scan(&asg.OperatorID, &asg.Mode, &asg.CreatedAt, &ok)
				}, `WITH x AS (INSERT INTO phone_assignments (`+assignmentCols+`)
						SELECT $1, $2, COALESCE(NULLIF($3, ''), p.operator_id), COALESCE(NULLIF($4, ''), p.mode), $5, $6
						FROM phones p WHERE p.id = $1
						ON CONFLICT (phone_id, agent_id) DO UPDATE SET permissions = excluded.permissions
						WHERE phone_assignments.operator_id = excluded.operator_id AND phone_assignments.mode = excluded.mode
						RETURNING operator_id, mode, created_at)
					SELECT x.*, naive_fail(CASE WHEN x.created_at IS NULL THEN '`+codeNotFound+`' END)
					FROM (VALUES (1)) one LEFT JOIN x ON true`,
					asg.PhoneID, asg.AgentID, asg.OperatorID, asg.Mode, perms, asg.CreatedAt)
			}
			for _, ev := range a.Events {
				q.event(ev, naive.EventPhoneProvisioned, "phones", a.ID)
			}
		}})
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

// FailPhone marks a provisioning phone failed and applies refund and pr
// in one transaction. A second call waits for the first's row lock,
// re-checks status = 'provisioning', finds the phone failed and refunds
// nothing.
func (db *DB) FailPhone(ctx context.Context, id string, refund *naive.LedgerEntry, pr store.Progress) (int64, error) {
	if err := checkEntry("FailPhone", refund); err != nil {
		return 0, err
	}
	if err := checkProgress("FailPhone", &pr); err != nil {
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
		} else {
			fillEntry(refund, p.OperatorID, p.Mode, p.ID)
			bal, err = applyLedger(ctx, tx, "FailPhone", refund)
		}
		if err != nil {
			return err
		}
		return db.applyProgress(ctx, tx, &pr)
	})
	return bal, err
}

// GetPhone returns a phone in scope, whatever its status.
func (db *DB) GetPhone(ctx context.Context, sc naive.Scope, id string) (*naive.Phone, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+phoneCols+` FROM phones
		WHERE operator_id = $1 AND mode = $2 AND id = $3`, sc.OperatorID, sc.Mode, id), scanPhone)
}

var phoneAndCampaignQuery = `SELECT ` + prefixed("p.", phoneCols) + `, ` + prefixed("c.", campaignCols) + `
	FROM phones p JOIN campaigns c ON c.id = p.campaign_id AND c.operator_id = p.operator_id AND c.mode = p.mode
	WHERE p.operator_id = $1 AND p.mode = $2 AND p.id = $3`

// GetPhoneAndCampaign returns a phone in scope and, read in the same
// statement, its campaign (nil when it has none).
func (db *DB) GetPhoneAndCampaign(ctx context.Context, sc naive.Scope, id string) (*naive.Phone, *naive.Campaign, error) {
	var (
		p naive.Phone
		c naive.Campaign
	)
	err := db.pool.QueryRow(ctx, phoneAndCampaignQuery, sc.OperatorID, sc.Mode, id).Scan(append(phoneDests(&p), campaignDests(&c)...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		// No campaign (or no phone): the phone alone.
		ph, err := db.GetPhone(ctx, sc, id)
		return ph, nil, err
	}
	if err != nil {
		return nil, nil, mapErr(err)
	}
	return &p, &c, nil
}

// ListPhones lists a subject's active and released phones, newest first;
// provisioning and failed rows are bookkeeping callers do not see.
func (db *DB) ListPhones(ctx context.Context, sc naive.Scope, subjectID string, f naive.PhoneFilter) ([]naive.Phone, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+phoneCols+` FROM phones
		WHERE operator_id = $1 AND mode = $2 AND subject_id = $3 AND status IN ('active', 'released')
		AND ($4 = '' OR agent_id = $4 OR EXISTS (SELECT 1 FROM phone_assignments a WHERE a.phone_id = phones.id AND a.agent_id = $4))
		AND ($5 = '' OR id < $5) ORDER BY id DESC LIMIT $6`,
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

// SetPhoneLabel relabels an active phone in scope.
func (db *DB) SetPhoneLabel(ctx context.Context, sc naive.Scope, id, label string) (*naive.Phone, error) {
	var p *naive.Phone
	err := db.tx(ctx, func(tx pgx.Tx) (err error) {
		p, err = scanPhone(tx.QueryRow(ctx, `UPDATE phones SET label = $1
			WHERE operator_id = $2 AND mode = $3 AND id = $4 AND status = 'active' RETURNING `+phoneCols,
			label, sc.OperatorID, sc.Mode, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return scopedPhoneMissing(ctx, tx, sc, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// scopedPhoneMissing tells a phone not in scope (ErrNotFound) from one in
// another status (ErrConflict).
func scopedPhoneMissing(ctx context.Context, tx pgx.Tx, sc naive.Scope, id string) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM phones
		WHERE operator_id = $1 AND mode = $2 AND id = $3)`, sc.OperatorID, sc.Mode, id).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return store.ErrConflict
	}
	return store.ErrNotFound
}

// MarkPhoneReleased marks an active phone in scope released, storing
// events (scope and type phone.released defaulting to the phone's) and pr
// with it.
func (db *DB) MarkPhoneReleased(ctx context.Context, sc naive.Scope, id string, at time.Time, events []*naive.Event, pr store.Progress) (*naive.Phone, error) {
	for _, ev := range events {
		if err := checkEvent("MarkPhoneReleased", ev); err != nil {
			return nil, err
		}
	}
	if err := checkProgress("MarkPhoneReleased", &pr); err != nil {
		return nil, err
	}
	var p *naive.Phone
	err := db.tx(ctx, func(tx pgx.Tx) (err error) {
		p, err = scanPhone(tx.QueryRow(ctx, `UPDATE phones SET status = 'released', released_at = $1
			WHERE operator_id = $2 AND mode = $3 AND id = $4 AND status = 'active' RETURNING `+phoneCols,
			norm(at), sc.OperatorID, sc.Mode, id))
		if errors.Is(err, pgx.ErrNoRows) {
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
		return db.applyProgress(ctx, tx, &pr)
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
