package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// GetPhoneByE164 returns the active phone with a number, of any tenant in
// mode; should two be active (test numbers), the newest.
func (db *DB) GetPhoneByE164(ctx context.Context, mode naive.Mode, e164 string) (*naive.Phone, error) {
	if e164 == "" {
		return nil, store.ErrNotFound
	}
	return scanPhone(db.reader.QueryRowContext(ctx, `SELECT `+phoneCols+` FROM phones
		WHERE mode = ? AND e164 = ? AND status = 'active' ORDER BY id DESC LIMIT 1`, mode, e164))
}

const messageCols = `id, operator_id, mode, phone_id, subject_id, direction, from_number, to_number, body, attachments,
	status, segments, credits_used, failure_reason, agent_id, carrier_id, created_at, received_at, sent_at,
	delivered_at, failed_at, consent_basis, send_at, canceled_at`

func scanMessage(s scanner) (*naive.Message, error) {
	var m naive.Message
	if err := s.Scan(&m.ID, &m.OperatorID, &m.Mode, &m.PhoneID, &m.SubjectID, &m.Direction, &m.From, &m.To, &m.Body,
		(*[]byte)(&m.Attachments), &m.Status, &m.Segments, &m.CreditsUsed, &m.FailureReason, &m.AgentID, &m.CarrierID,
		timeCol{&m.CreatedAt}, nullTimeCol{&m.ReceivedAt}, nullTimeCol{&m.SentAt}, nullTimeCol{&m.DeliveredAt},
		nullTimeCol{&m.FailedAt}, &m.ConsentBasis, nullTimeCol{&m.SendAt}, nullTimeCol{&m.CanceledAt}); err != nil {
		return nil, notFound(err)
	}
	return &m, nil
}

// prepareMessage checks m has its id and created_at and normalizes times
// and attachments as they will read back.
func prepareMessage(method string, m *naive.Message) error {
	if m.ID == "" || m.CreatedAt.IsZero() {
		return required(method, "ID", "CreatedAt")
	}
	m.CreatedAt = norm(m.CreatedAt)
	m.ReceivedAt = normPtr(m.ReceivedAt)
	m.SentAt = normPtr(m.SentAt)
	m.DeliveredAt = normPtr(m.DeliveredAt)
	m.FailedAt = normPtr(m.FailedAt)
	m.SendAt = normPtr(m.SendAt)
	m.CanceledAt = normPtr(m.CanceledAt)
	m.Attachments = normRaw(m.Attachments)
	return nil
}

// insertMessage inserts m inside a transaction, which maps its errors:
// the foreign keys to (phone, operator, mode) and (subject, operator, mode)
// reject a phone or subject of another scope as not found. With dedupe, a
// message whose carrier id is stored in its mode is not inserted, and
// inserted reports false.
func insertMessage(ctx context.Context, tx *txn, m *naive.Message, dedupe bool) (inserted bool, err error) {
	q := `INSERT INTO messages (` + messageCols + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if dedupe {
		q += ` ON CONFLICT (mode, carrier_id) WHERE carrier_id <> '' DO NOTHING`
	}
	res, err := tx.ExecContext(ctx, q,
		m.ID, m.OperatorID, m.Mode, m.PhoneID, m.SubjectID, m.Direction, m.From, m.To, m.Body, rawJSON(m.Attachments),
		m.Status, m.Segments, m.CreditsUsed, m.FailureReason, m.AgentID, m.CarrierID, ts(m.CreatedAt),
		nts(m.ReceivedAt), nts(m.SentAt), nts(m.DeliveredAt), nts(m.FailedAt), m.ConsentBasis, nts(m.SendAt), nts(m.CanceledAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReserveMessage inserts m as a queued outbound message and applies debit
// (defaulting to m's scope and id) and pr in one IMMEDIATE transaction, so
// a message is never stored without its charge nor charged without its
// row.
func (db *DB) ReserveMessage(ctx context.Context, m *naive.Message, debit *naive.LedgerEntry, pr store.Progress) (int64, error) {
	if err := prepareMessage("ReserveMessage", m); err != nil {
		return 0, err
	}
	if err := checkEntry("ReserveMessage", debit); err != nil {
		return 0, err
	}
	if err := checkProgress("ReserveMessage", pr); err != nil {
		return 0, err
	}
	m.Direction = naive.DirectionOutbound
	m.Status = naive.MessageQueued
	if debit != nil {
		fillEntry(debit, m.OperatorID, m.Mode, m.ID)
	}
	var bal int64
	err := db.tx(ctx, func(tx *txn) (err error) {
		if debit != nil {
			bal, err = applyLedger(ctx, tx, "ReserveMessage", debit)
		} else {
			bal, err = balanceIn(ctx, tx, m.OperatorID, m.Mode)
		}
		if err != nil {
			return err
		}
		if _, err = insertMessage(ctx, tx, m, false); err != nil {
			return err
		}
		return db.applyProgress(ctx, tx, "ReserveMessage", pr)
	})
	return bal, err
}

// SetMessageCarrierID records the carrier's id of a message, with pr. An
// id taken by another message of the mode is a conflict.
func (db *DB) SetMessageCarrierID(ctx context.Context, id, carrierID string, pr store.Progress) error {
	if err := checkProgress("SetMessageCarrierID", pr); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE messages SET carrier_id = ? WHERE id = ?`, carrierID, id)
		if err := affected(res, err, store.ErrNotFound); err != nil {
			return err
		}
		return db.applyProgress(ctx, tx, "SetMessageCarrierID", pr)
	})
}

// messageMissing tells an unknown message (ErrNotFound) from one in the
// wrong status (ErrConflict).
func messageMissing(ctx context.Context, tx *txn, id string) error {
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM messages WHERE id = ?)`, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return store.ErrNotFound
	}
	return store.ErrConflict
}

// FailMessage marks a queued outbound message failed and applies refund in
// one transaction. The status check and the write are one statement under
// the write lock, so a second call finds the message failed and refunds
// nothing.
func (db *DB) FailMessage(ctx context.Context, id, reason string, refund *naive.LedgerEntry, at time.Time, pr store.Progress) (int64, error) {
	if at.IsZero() {
		return 0, required("FailMessage", "at")
	}
	if err := checkEntry("FailMessage", refund); err != nil {
		return 0, err
	}
	if err := checkProgress("FailMessage", pr); err != nil {
		return 0, err
	}
	var bal int64
	err := db.tx(ctx, func(tx *txn) error {
		m, err := scanMessage(tx.QueryRowContext(ctx, `UPDATE messages
			SET status = 'failed', failure_reason = ?, failed_at = ?
			WHERE id = ? AND status = 'queued' AND carrier_id = '' AND direction = 'outbound' RETURNING `+messageCols,
			reason, ts(at), id))
		if errors.Is(err, store.ErrNotFound) {
			return messageMissing(ctx, tx, id)
		}
		if err != nil {
			return err
		}
		if refund == nil {
			bal, err = balanceIn(ctx, tx, m.OperatorID, m.Mode)
		} else {
			fillEntry(refund, m.OperatorID, m.Mode, m.ID)
			bal, err = applyLedger(ctx, tx, "FailMessage", refund)
		}
		if err != nil {
			return err
		}
		return db.applyProgress(ctx, tx, "FailMessage", pr)
	})
	return bal, err
}

// RecordInbound records ce, then stores in.Message as an inbound message
// (status received unless set) and in.Event (type sms.received, the
// message's scope by default) unless the message's carrier id is already
// stored in its mode, then applies in.OptOut, all in one transaction. The
// unique index on (mode, carrier_id) decides, so of concurrent deliveries
// exactly one stores the message and its event; a ce recorded before
// stores nothing at all.
func (db *DB) RecordInbound(ctx context.Context, in *store.Inbound, ce *store.CarrierEvent) (bool, error) {
	m := in.Message
	if m == nil {
		return false, errors.New("sqlite: RecordInbound: no message")
	}
	if err := prepareMessage("RecordInbound", m); err != nil {
		return false, err
	}
	if err := checkEvent("RecordInbound", in.Event); err != nil {
		return false, err
	}
	if err := checkOptOut("RecordInbound", in.OptOut); err != nil {
		return false, err
	}
	if err := checkCarrierEvent("RecordInbound", ce); err != nil {
		return false, err
	}
	m.Direction = naive.DirectionInbound
	if m.Status == "" {
		m.Status = naive.MessageReceived
	}
	stored := false
	err := db.tx(ctx, func(tx *txn) (err error) {
		if fresh, err := insertCarrierEvent(ctx, tx, ce); err != nil || !fresh {
			return err
		}
		if stored, err = insertMessage(ctx, tx, m, true); err != nil {
			return err
		}
		if stored {
			if err := db.insertScopedEvent(ctx, tx, "RecordInbound", in.Event, m.OperatorID, m.Mode, naive.EventSMSReceived); err != nil {
				return err
			}
		}
		if stored && in.Consent != nil {
			// A conversation never replaces a consent already recorded.
			if err := insertConsent(ctx, tx, in.Consent, false); err != nil {
				return err
			}
		}
		if in.OptOut != nil {
			return setOptOut(ctx, tx, in.OptOut)
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return stored, nil
}

// messageRankSQL is naive.MessageRank of the stored status, so the
// forward-only check and the write are one statement.
const messageRankSQL = `CASE status WHEN 'queued' THEN 1 WHEN 'sent' THEN 2 WHEN 'delivered' THEN 3
	WHEN 'failed' THEN 3 ELSE 0 END`

// AdvanceMessage records ce, then moves an outbound message's status
// forward in one conditional UPDATE under the write lock: a duplicate or
// out-of-order update (sent after delivered) matches no row and changes
// nothing. A message the carrier id is not recorded on yet (its send's
// answer was lost) is first given it by a.Ref, when no message of the
// mode has it. Only the call that changes the row calls evFor, with the
// stored message, and stores its event in the same transaction, with the
// refund a.RefundFor returns (so a failure refunds at most once). evFor
// and a.RefundFor run inside the transaction and must not use the store. An unknown
// status or message changes nothing (false, nil); a ce recorded before
// stores nothing.
func (db *DB) AdvanceMessage(ctx context.Context, a *store.MessageAdvance, evFor func(*naive.Message) (*naive.Event, error), ce *store.CarrierEvent) (bool, error) {
	if a.At.IsZero() {
		return false, required("AdvanceMessage", "At")
	}
	if err := checkCarrierEvent("AdvanceMessage", ce); err != nil {
		return false, err
	}
	rank := naive.MessageRank(a.Status)
	changed := false
	err := db.tx(ctx, func(tx *txn) error {
		if fresh, err := insertCarrierEvent(ctx, tx, ce); err != nil || !fresh {
			return err
		}
		if a.CarrierID == "" || rank == 0 {
			return nil
		}
		if a.Ref != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE messages SET carrier_id = ?1
				WHERE id = ?2 AND mode = ?3 AND direction = 'outbound' AND carrier_id = ''
				AND NOT EXISTS (SELECT 1 FROM messages WHERE mode = ?3 AND carrier_id = ?1)`,
				a.CarrierID, a.Ref, a.Mode); err != nil {
				return err
			}
		}
		m, err := scanMessage(tx.QueryRowContext(ctx, `UPDATE messages SET status = ?1,
			sent_at = CASE WHEN ?1 = 'sent' THEN ?2 ELSE sent_at END,
			delivered_at = CASE WHEN ?1 = 'delivered' THEN ?2 ELSE delivered_at END,
			failed_at = CASE WHEN ?1 = 'failed' THEN ?2 ELSE failed_at END,
			failure_reason = CASE WHEN ?1 = 'failed' THEN ?3 ELSE failure_reason END
			WHERE mode = ?4 AND carrier_id = ?5 AND direction = 'outbound'
			AND `+messageRankSQL+` < ?6 RETURNING `+messageCols,
			a.Status, ts(a.At), a.Reason, a.Mode, a.CarrierID, rank))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		changed = true
		if a.RefundFor != nil {
			if refund := a.RefundFor(m); refund != nil {
				fillEntry(refund, m.OperatorID, m.Mode, m.ID)
				if _, err := applyLedger(ctx, tx, "AdvanceMessage", refund); err != nil {
					return err
				}
			}
		}
		if evFor == nil {
			return nil
		}
		ev, err := evFor(m)
		if err != nil {
			return err
		}
		return db.insertScopedEvent(ctx, tx, "AdvanceMessage", ev, m.OperatorID, m.Mode, naive.EventSMSStatus)
	})
	if err != nil {
		return false, err
	}
	return changed, nil
}

// GetMessage returns a message in scope.
func (db *DB) GetMessage(ctx context.Context, sc naive.Scope, id string) (*naive.Message, error) {
	return scanMessage(db.reader.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages
		WHERE operator_id = ? AND mode = ? AND id = ?`, sc.OperatorID, sc.Mode, id))
}

// ListMessages lists a phone's messages in scope (every phone's when
// f.PhoneID is empty), newest first.
func (db *DB) ListMessages(ctx context.Context, sc naive.Scope, f naive.MessageFilter) ([]naive.Message, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+messageCols+` FROM messages
		WHERE operator_id = ? AND mode = ? AND (? = '' OR phone_id = ?) AND (? = '' OR id < ?)
		ORDER BY id DESC LIMIT ?`,
		sc.OperatorID, sc.Mode, f.PhoneID, f.PhoneID, f.After, f.After, limit(f.Limit))
	return collect(rows, err, scanMessage)
}

// NextInbound returns the phone's oldest inbound message after the id
// after (ids sort as they were made), read on messages_phone.
func (db *DB) NextInbound(ctx context.Context, sc naive.Scope, phoneID, after string) (*naive.Message, error) {
	return scanMessage(db.reader.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages
		WHERE operator_id = ? AND mode = ? AND phone_id = ? AND id > ? AND direction = 'inbound'
		ORDER BY id LIMIT 1`, sc.OperatorID, sc.Mode, phoneID, after))
}

// checkOptOut is the error of method given an opt-out, not nil, without
// its time.
func checkOptOut(method string, o *store.OptOut) error {
	if o != nil && o.At.IsZero() {
		return required(method, "opt-out At")
	}
	return nil
}

// setOptOut records o in tx. A report whose At is older than the stored
// one changes nothing, so a late redelivery of an old STOP cannot undo a
// newer START. A subject of another scope is not found.
func setOptOut(ctx context.Context, tx *txn, o *store.OptOut) error {
	o.At = norm(o.At)
	_, err := tx.ExecContext(ctx, `INSERT INTO opt_outs (operator_id, mode, subject_id, contact, opted_out, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (operator_id, mode, subject_id, contact) DO UPDATE
		SET opted_out = excluded.opted_out, updated_at = excluded.updated_at
		WHERE excluded.updated_at >= opt_outs.updated_at`,
		o.Scope.OperatorID, o.Scope.Mode, o.SubjectID, o.Contact, o.OptedOut, ts(o.At))
	return err
}

// SetOptOut records ce, then whether a contact opted out of the subject's
// texts, in one transaction; it reports false, storing nothing, when ce
// was recorded before.
func (db *DB) SetOptOut(ctx context.Context, o *store.OptOut, ce *store.CarrierEvent) (bool, error) {
	if o.At.IsZero() {
		return false, required("SetOptOut", "At")
	}
	if err := checkCarrierEvent("SetOptOut", ce); err != nil {
		return false, err
	}
	applied := false
	err := db.tx(ctx, func(tx *txn) error {
		if fresh, err := insertCarrierEvent(ctx, tx, ce); err != nil || !fresh {
			return err
		}
		applied = true
		return setOptOut(ctx, tx, o)
	})
	if err != nil {
		return false, err
	}
	return applied, nil
}

// IsOptedOut reports whether contact opted out of the subject's texts.
func (db *DB) IsOptedOut(ctx context.Context, sc naive.Scope, subjectID, contact string) (bool, error) {
	var out bool
	err := db.reader.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM opt_outs
		WHERE operator_id = ? AND mode = ? AND subject_id = ? AND contact = ? AND opted_out = 1)`,
		sc.OperatorID, sc.Mode, subjectID, contact).Scan(&out)
	return out, mapErr(err)
}

// encodeStrings is the stored JSON array of l (nil stores []); it writes
// back an empty slice for nil, as the list will read.
func encodeStrings(l *[]string) (string, error) {
	if *l == nil {
		*l = []string{}
	}
	b, err := json.Marshal(*l)
	return string(b), err
}

// stringsCol scans a JSON array of strings.
type stringsCol struct{ l *[]string }

// Scan decodes the stored array.
func (c stringsCol) Scan(v any) error {
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("sqlite: JSON array column holds %T", v)
	}
	*c.l = []string{}
	return json.Unmarshal(b, c.l)
}

const assignmentCols = `phone_id, agent_id, operator_id, mode, permissions, created_at`

func scanAssignment(s scanner) (*naive.Assignment, error) {
	var a naive.Assignment
	if err := s.Scan(&a.PhoneID, &a.AgentID, &a.OperatorID, &a.Mode, stringsCol{&a.Permissions},
		timeCol{&a.CreatedAt}); err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

// UpsertAssignment connects a's agent to a's phone or replaces the
// permissions of their connection, keeping when it was made (written back
// into a.CreatedAt).
func (db *DB) UpsertAssignment(ctx context.Context, a *naive.Assignment) error {
	perms, err := encodeStrings(&a.Permissions)
	if err != nil {
		return err
	}
	if a.CreatedAt.IsZero() {
		return required("UpsertAssignment", "CreatedAt")
	}
	return upsertAssignment(ctx, db.writer, a, perms)
}

// upsertAssignment stores a with its encoded permissions on ex. The
// foreign keys reject a phone or agent of another scope as not found; the
// WHERE of the update keeps an existing connection of another scope
// untouched, also as not found.
func upsertAssignment(ctx context.Context, ex execer, a *naive.Assignment, perms string) error {
	a.CreatedAt = norm(a.CreatedAt)
	var created time.Time
	err := ex.QueryRowContext(ctx, `INSERT INTO phone_assignments (`+assignmentCols+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (phone_id, agent_id) DO UPDATE SET permissions = excluded.permissions
		WHERE phone_assignments.operator_id = excluded.operator_id AND phone_assignments.mode = excluded.mode
		RETURNING created_at`,
		a.PhoneID, a.AgentID, a.OperatorID, a.Mode, perms, ts(a.CreatedAt)).Scan(timeCol{&created})
	if err != nil {
		return notFound(err)
	}
	a.CreatedAt = created
	return nil
}

// DeleteAssignment disconnects an agent from a phone in scope.
func (db *DB) DeleteAssignment(ctx context.Context, sc naive.Scope, phoneID, agentID string) error {
	res, err := db.writer.ExecContext(ctx, `DELETE FROM phone_assignments
		WHERE operator_id = ? AND mode = ? AND phone_id = ? AND agent_id = ?`, sc.OperatorID, sc.Mode, phoneID, agentID)
	return affected(res, err, store.ErrNotFound)
}

// ListAssignments lists a phone's agents in scope, oldest first.
func (db *DB) ListAssignments(ctx context.Context, sc naive.Scope, phoneID string) ([]naive.Assignment, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+assignmentCols+` FROM phone_assignments
		WHERE operator_id = ? AND mode = ? AND phone_id = ? ORDER BY created_at, agent_id`,
		sc.OperatorID, sc.Mode, phoneID)
	return collect(rows, err, scanAssignment)
}

// ListStaleQueued lists unfinished outbound sends of every tenant.
func (db *DB) ListStaleQueued(ctx context.Context, before time.Time, n int) ([]naive.Message, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+messageCols+` FROM messages
		WHERE direction = 'outbound' AND status = 'queued' AND carrier_id = '' AND COALESCE(send_at, created_at) < ?
		ORDER BY created_at, id LIMIT ?`, ts(before), limit(n))
	return collect(rows, err, scanMessage)
}
