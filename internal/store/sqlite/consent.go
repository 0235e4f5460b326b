package sqlite

import (
	"context"
	"errors"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// ScheduleMessage inserts m as a scheduled outbound message, enqueues its
// send job and applies pr in one IMMEDIATE transaction: nothing is
// charged until the job's reserve phase.
func (db *DB) ScheduleMessage(ctx context.Context, m *naive.Message, job store.ScheduledSend, pr store.Progress) error {
	if err := prepareMessage("ScheduleMessage", m); err != nil {
		return err
	}
	if m.SendAt == nil || job.Due.IsZero() {
		return required("ScheduleMessage", "SendAt", "job Due")
	}
	if err := checkProgress("ScheduleMessage", pr); err != nil {
		return err
	}
	m.Direction, m.Status = naive.DirectionOutbound, naive.MessageScheduled
	return db.tx(ctx, func(tx *txn) error {
		if _, err := insertMessage(ctx, tx, m, false); err != nil {
			return err
		}
		if db.jobs != nil {
			if err := db.jobs.MessageScheduled(tx.ctxOf(ctx), tx.Tx, m, job); err != nil {
				return err
			}
		}
		return db.applyProgress(ctx, tx, "ScheduleMessage", pr)
	})
}

// ReserveScheduled moves a scheduled message to queued with its charge and
// pr in one IMMEDIATE transaction. The status check and the write are one
// statement under the write lock, so of two processes running the same
// job one reserves and the other finds it queued (ErrConflict).
func (db *DB) ReserveScheduled(ctx context.Context, m *naive.Message, debit *naive.LedgerEntry, pr store.Progress) (int64, error) {
	if m.SendAt == nil {
		return 0, required("ReserveScheduled", "SendAt")
	}
	if err := checkEntry("ReserveScheduled", debit); err != nil {
		return 0, err
	}
	if err := checkProgress("ReserveScheduled", pr); err != nil {
		return 0, err
	}
	m.SendAt = normPtr(m.SendAt)
	var bal int64
	err := db.tx(ctx, func(tx *txn) (err error) {
		res, err := tx.ExecContext(ctx, `UPDATE messages SET status = 'queued', segments = ?, credits_used = ?,
			consent_basis = ?, send_at = ? WHERE id = ? AND status = 'scheduled'`,
			m.Segments, m.CreditsUsed, m.ConsentBasis, nts(m.SendAt), m.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
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
		return db.applyProgress(ctx, tx, "ReserveScheduled", pr)
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
		return nil, errors.New("sqlite: EndScheduled: status must be canceled or failed")
	}
	var m *naive.Message
	err := db.tx(ctx, func(tx *txn) (err error) {
		m, err = scanMessage(tx.QueryRowContext(ctx, `UPDATE messages SET status = ?1,
			canceled_at = CASE WHEN ?1 = 'canceled' THEN ?2 ELSE canceled_at END,
			failed_at = CASE WHEN ?1 = 'failed' THEN ?2 ELSE failed_at END,
			failure_reason = CASE WHEN ?1 = 'failed' THEN ?3 ELSE failure_reason END
			WHERE operator_id = ?4 AND mode = ?5 AND id = ?6 AND status = 'scheduled' RETURNING `+messageCols,
			status, ts(at), reason, sc.OperatorID, sc.Mode, id))
		if errors.Is(err, store.ErrNotFound) {
			var exists bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM messages WHERE operator_id = ? AND mode = ? AND id = ?)`,
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

// insertConsent stores c in tx: with replace, over the record the number
// held for the contact; without, only when it held none.
func insertConsent(ctx context.Context, tx *txn, c *store.ConsentRecord, replace bool) error {
	q := `INSERT INTO consents (` + consentCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (phone_id, contact) DO NOTHING`
	if replace {
		q = consentUpsert
	}
	_, err := tx.ExecContext(ctx, q, consentArgs(c)...)
	return err
}

// consentUpsert stores a consent over the number's record for the
// contact, when that record is of the same scope.
const consentUpsert = `INSERT INTO consents (` + consentCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (phone_id, contact) DO UPDATE SET basis = excluded.basis, evidence_url = excluded.evidence_url,
		note = excluded.note, message_id = excluded.message_id, actor_type = excluded.actor_type,
		actor_id = excluded.actor_id, updated_at = excluded.updated_at
	WHERE consents.operator_id = excluded.operator_id AND consents.mode = excluded.mode`

func consentArgs(c *store.ConsentRecord) []any {
	c.CreatedAt, c.UpdatedAt = norm(c.CreatedAt), norm(c.UpdatedAt)
	return []any{c.Scope.OperatorID, c.Scope.Mode, c.PhoneID, c.Contact, c.Basis, c.EvidenceURL,
		c.Note, c.MessageID, c.RecordedBy.Type, c.RecordedBy.ID, ts(c.CreatedAt), ts(c.UpdatedAt)}
}

// UpsertConsent records c over the number's record for the contact. The
// foreign key rejects a phone of another scope as not found.
func (db *DB) UpsertConsent(ctx context.Context, c *store.ConsentRecord) error {
	if c.CreatedAt.IsZero() || c.UpdatedAt.IsZero() {
		return required("UpsertConsent", "CreatedAt", "UpdatedAt")
	}
	return db.tx(ctx, func(tx *txn) error {
		// No row back: the record is another scope's, left alone.
		return notFound(tx.QueryRowContext(ctx, consentUpsert+` RETURNING created_at`, consentArgs(c)...).Scan(timeCol{&c.CreatedAt}))
	})
}

func scanConsent(s scanner) (*naive.Consent, error) {
	var c naive.Consent
	if err := s.Scan(&c.Basis, &c.EvidenceURL, &c.Note, &c.MessageID, &c.RecordedBy.Type, &c.RecordedBy.ID,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}); err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// GetConsent returns a number's consent for a contact, in scope.
func (db *DB) GetConsent(ctx context.Context, sc naive.Scope, phoneID, contact string) (*naive.Consent, error) {
	return scanConsent(db.reader.QueryRowContext(ctx, `SELECT basis, evidence_url, note, message_id, actor_type, actor_id,
		created_at, updated_at FROM consents WHERE operator_id = ? AND mode = ? AND phone_id = ? AND contact = ?`,
		sc.OperatorID, sc.Mode, phoneID, contact))
}

// ListContacts lists the union of a number's consent records and its
// subject's opt-outs, by contact.
func (db *DB) ListContacts(ctx context.Context, sc naive.Scope, f store.ContactFilter) ([]naive.PhoneContact, error) {
	rows, err := db.reader.QueryContext(ctx, `WITH c AS (
			SELECT contact FROM consents WHERE operator_id = ?1 AND mode = ?2 AND phone_id = ?3
			UNION SELECT contact FROM opt_outs WHERE operator_id = ?1 AND mode = ?2 AND subject_id = ?4)
		SELECT c.contact, k.basis, k.evidence_url, k.note, k.message_id, k.actor_type, k.actor_id, k.created_at,
			k.updated_at, COALESCE(o.opted_out, 0), o.updated_at
		FROM c LEFT JOIN consents k ON k.phone_id = ?3 AND k.contact = c.contact
		LEFT JOIN opt_outs o ON o.operator_id = ?1 AND o.mode = ?2 AND o.subject_id = ?4 AND o.contact = c.contact
		WHERE c.contact > ?5 ORDER BY c.contact LIMIT ?6`,
		sc.OperatorID, sc.Mode, f.PhoneID, f.SubjectID, f.After, limit(f.Limit))
	return collect(rows, err, func(s scanner) (*naive.PhoneContact, error) {
		ct := naive.PhoneContact{PhoneID: f.PhoneID, Mode: sc.Mode}
		var basis, url, note, msg, atype, aid *string
		var created, updated *time.Time
		if err := s.Scan(&ct.Contact, &basis, &url, &note, &msg, &atype, &aid, nullTimeCol{&created}, nullTimeCol{&updated},
			&ct.OptedOut, nullTimeCol{&ct.OptOutUpdated}); err != nil {
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
