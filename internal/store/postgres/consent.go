package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// ScheduleMessage inserts m as a scheduled outbound message, enqueues its
// send job and applies pr in one transaction: nothing is charged until
// the job's reserve phase.
func (db *DB) ScheduleMessage(ctx context.Context, m *naive.Message, job store.ScheduledSend, pr store.Progress) error {
	if err := prepareMessage("ScheduleMessage", m); err != nil {
		return err
	}
	if m.SendAt == nil || job.Due.IsZero() {
		return required("ScheduleMessage", "SendAt", "job Due")
	}
	if err := checkProgress("ScheduleMessage", &pr); err != nil {
		return err
	}
	m.Direction, m.Status = naive.DirectionOutbound, naive.MessageScheduled
	return db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, insertOutboundSQL, outboundArgs(m)...); err != nil {
			return err
		}
		if db.jobs != nil {
			if err := db.jobs.MessageScheduled(ctx, tx, m, job); err != nil {
				return err
			}
		}
		return db.applyProgress(ctx, tx, &pr)
	})
}

// ReserveScheduled moves a scheduled message to queued with its charge and
// pr in one transaction. Concurrent calls queue on the row lock and each
// re-checks status = 'scheduled': one reserves, the others find it queued
// (ErrConflict).
func (db *DB) ReserveScheduled(ctx context.Context, m *naive.Message, debit *naive.LedgerEntry, pr store.Progress) (int64, error) {
	if m.SendAt == nil {
		return 0, required("ReserveScheduled", "SendAt")
	}
	if err := checkEntry("ReserveScheduled", debit); err != nil {
		return 0, err
	}
	if err := checkProgress("ReserveScheduled", &pr); err != nil {
		return 0, err
	}
	m.SendAt = normPtr(m.SendAt)
	var bal int64
	err := db.tx(ctx, func(tx pgx.Tx) (err error) {
		tag, err := tx.Exec(ctx, `UPDATE messages SET status = 'queued', segments = $1, credits_used = $2,
			consent_basis = $3, send_at = $4 WHERE id = $5 AND status = 'scheduled'`,
			m.Segments, m.CreditsUsed, m.ConsentBasis, m.SendAt, m.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return messageMissing(ctx, tx, m.ID)
		}
		if debit != nil {
			fillEntry(debit, m.OperatorID, m.Mode, m.ID)
			bal, err = applyLedger(ctx, tx, "ReserveScheduled", debit)
		} else {
			bal, err = balanceIn(ctx, tx, m.OperatorID, m.Mode)
		}
		if err != nil {
			return err
		}
		return db.applyProgress(ctx, tx, &pr)
	})
	if err == nil {
		m.Status = naive.MessageQueued
	}
	return bal, err
}

// EndScheduled cancels or fails a scheduled message in one conditional
// UPDATE: a message already sent (or canceled) is left alone.
func (db *DB) EndScheduled(ctx context.Context, sc naive.Scope, id, status, reason string, at time.Time) (*naive.Message, error) {
	if at.IsZero() {
		return nil, required("EndScheduled", "at")
	}
	if status != naive.MessageCanceled && status != naive.MessageFailed {
		return nil, errors.New("postgres: EndScheduled: status must be canceled or failed")
	}
	at = norm(at)
	var m *naive.Message
	err := db.tx(ctx, func(tx pgx.Tx) (err error) {
		m, err = scanMessage(tx.QueryRow(ctx, `UPDATE messages SET status = $1,
			canceled_at = CASE WHEN $1 = 'canceled' THEN $2 ELSE canceled_at END,
			failed_at = CASE WHEN $1 = 'failed' THEN $2 ELSE failed_at END,
			failure_reason = CASE WHEN $1 = 'failed' THEN $3 ELSE failure_reason END
			WHERE operator_id = $4 AND mode = $5 AND id = $6 AND status = 'scheduled' RETURNING `+messageCols,
			status, at, reason, sc.OperatorID, sc.Mode, id))
		if errors.Is(err, pgx.ErrNoRows) {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM messages WHERE operator_id = $1 AND mode = $2 AND id = $3)`,
				sc.OperatorID, sc.Mode, id).Scan(&exists); err != nil {
				return err
			}
			if exists {
				return store.ErrConflict
			}
		}
		return err
	})
	return m, err
}

const consentCols = `operator_id, mode, phone_id, contact, basis, evidence_url, note, message_id, actor_type, actor_id,
	created_at, updated_at`

// consentArgs are inboundSQL's consent parameters ($45–$57).
func consentArgs(c *store.ConsentRecord) []any {
	if c == nil {
		return []any{"", "", "", "", "", "", "", "", "", "", time.Time{}, time.Time{}, false}
	}
	c.CreatedAt, c.UpdatedAt = norm(c.CreatedAt), norm(c.UpdatedAt)
	return []any{c.Scope.OperatorID, c.Scope.Mode, c.PhoneID, c.Contact, c.Basis, c.EvidenceURL, c.Note, c.MessageID,
		c.RecordedBy.Type, c.RecordedBy.ID, c.CreatedAt, c.UpdatedAt, true}
}

// UpsertConsent records c over the number's record for the contact,
// keeping when the first was made. The foreign key rejects a phone of
// another scope as not found; a record of another scope is left alone.
func (db *DB) UpsertConsent(ctx context.Context, c *store.ConsentRecord) error {
	if c.CreatedAt.IsZero() || c.UpdatedAt.IsZero() {
		return required("UpsertConsent", "CreatedAt", "UpdatedAt")
	}
	args := consentArgs(c)
	err := db.pool.QueryRow(ctx, `INSERT INTO consents (`+consentCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (phone_id, contact) DO UPDATE SET basis = excluded.basis, evidence_url = excluded.evidence_url,
			note = excluded.note, message_id = excluded.message_id, actor_type = excluded.actor_type,
			actor_id = excluded.actor_id, updated_at = excluded.updated_at
		WHERE consents.operator_id = excluded.operator_id AND consents.mode = excluded.mode
		RETURNING created_at`, args[:12]...).Scan(&c.CreatedAt)
	return mapErr(err)
}

// GetConsent returns a number's consent for a contact, in scope.
func (db *DB) GetConsent(ctx context.Context, sc naive.Scope, phoneID, contact string) (*naive.Consent, error) {
	return one(db.pool.QueryRow(ctx, `SELECT basis, evidence_url, note, message_id, actor_type, actor_id,
		created_at, updated_at FROM consents WHERE operator_id = $1 AND mode = $2 AND phone_id = $3 AND contact = $4`,
		sc.OperatorID, sc.Mode, phoneID, contact), func(r pgx.Row) (*naive.Consent, error) {
		var c naive.Consent
		if err := r.Scan(&c.Basis, &c.EvidenceURL, &c.Note, &c.MessageID, &c.RecordedBy.Type, &c.RecordedBy.ID,
			&c.CreatedAt, &c.UpdatedAt); err != nil {
			return nil, err
		}
		return &c, nil
	})
}

// ListContacts lists the union of a number's consent records and its
// subject's opt-outs, by contact (byte order, as E.164 sorts).
func (db *DB) ListContacts(ctx context.Context, sc naive.Scope, f store.ContactFilter) ([]naive.PhoneContact, error) {
	rows, err := db.pool.Query(ctx, `WITH c AS (
			SELECT contact FROM consents WHERE operator_id = $1 AND mode = $2 AND phone_id = $3
			UNION SELECT contact FROM opt_outs WHERE operator_id = $1 AND mode = $2 AND subject_id = $4)
		SELECT c.contact, k.basis, k.evidence_url, k.note, k.message_id, k.actor_type, k.actor_id, k.created_at,
			k.updated_at, COALESCE(o.opted_out, false), o.updated_at
		FROM c LEFT JOIN consents k ON k.phone_id = $3 AND k.contact = c.contact
		LEFT JOIN opt_outs o ON o.operator_id = $1 AND o.mode = $2 AND o.subject_id = $4 AND o.contact = c.contact
		WHERE c.contact > $5 COLLATE "C" ORDER BY c.contact COLLATE "C" LIMIT $6`,
		sc.OperatorID, sc.Mode, f.PhoneID, f.SubjectID, f.After, limit(f.Limit))
	return collect(rows, err, func(r pgx.Row) (*naive.PhoneContact, error) {
		ct := naive.PhoneContact{PhoneID: f.PhoneID, Mode: sc.Mode}
		var basis, url, note, msg, atype, aid *string
		var created, updated *time.Time
		if err := r.Scan(&ct.Contact, &basis, &url, &note, &msg, &atype, &aid, &created, &updated,
			&ct.OptedOut, &ct.OptOutUpdated); err != nil {
			return nil, err
		}
		if basis != nil {
			ct.Consent = &naive.Consent{Basis: *basis, EvidenceURL: *url, Note: *note, MessageID: *msg,
				RecordedBy: naive.Actor{Type: *atype, ID: *aid}}
			if created != nil {
				ct.Consent.CreatedAt = *created
			}
			if updated != nil {
				ct.Consent.UpdatedAt = *updated
			}
		}
		return &ct, nil
	})
}
