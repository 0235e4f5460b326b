package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// GetPhoneByE164 returns the active phone with a number, of any tenant in
// mode; should two be active (test numbers), the newest.
func (db *DB) GetPhoneByE164(ctx context.Context, mode naive.Mode, e164 string) (*naive.Phone, error) {
	if e164 == "" {
		return nil, store.ErrNotFound
	}
	return one(db.pool.QueryRow(ctx, `SELECT `+phoneCols+` FROM phones
		WHERE mode = $1 AND e164 = $2 AND status = 'active' ORDER BY id DESC LIMIT 1`, mode, e164), scanPhone)
}

// messageInsertCols are the columns every message is inserted with;
// messageCols those it reads back (an outbound one also sets
// consent_basis and send_at, insertOutboundSQL).
const messageInsertCols = `id, operator_id, mode, phone_id, subject_id, direction, from_number, to_number, body, attachments,
	status, segments, credits_used, failure_reason, agent_id, carrier_id, created_at, received_at, sent_at,
	delivered_at, failed_at`

const messageCols = messageInsertCols + `, consent_basis, send_at, canceled_at`

func scanMessage(r pgx.Row) (*naive.Message, error) {
	var m naive.Message
	if err := r.Scan(&m.ID, &m.OperatorID, &m.Mode, &m.PhoneID, &m.SubjectID, &m.Direction, &m.From, &m.To, &m.Body,
		(*[]byte)(&m.Attachments), &m.Status, &m.Segments, &m.CreditsUsed, &m.FailureReason, &m.AgentID, &m.CarrierID,
		&m.CreatedAt, &m.ReceivedAt, &m.SentAt, &m.DeliveredAt, &m.FailedAt, &m.ConsentBasis, &m.SendAt, &m.CanceledAt); err != nil {
		return nil, err
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

// insertOutboundSQL inserts an outbound message with outboundArgs; its
// foreign keys reject a phone or subject of another scope as not found.
const insertOutboundSQL = `INSERT INTO messages (` + messageInsertCols + `, consent_basis, send_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`

func outboundArgs(m *naive.Message) []any {
	return append(messageArgs(m), m.ConsentBasis, m.SendAt)
}

func messageArgs(m *naive.Message) []any {
	return []any{m.ID, m.OperatorID, m.Mode, m.PhoneID, m.SubjectID, m.Direction, m.From, m.To, m.Body, m.Attachments,
		m.Status, m.Segments, m.CreditsUsed, m.FailureReason, m.AgentID, m.CarrierID, m.CreatedAt,
		m.ReceivedAt, m.SentAt, m.DeliveredAt, m.FailedAt}
}

// ReserveMessage inserts m as a queued outbound message and applies debit
// (defaulting to m's scope and id) and pr in one transaction, so a message
// is never stored without its charge nor charged without its row: one
// round trip unless pr has a Render. Concurrent debits queue on the
// balance row (debitSQL).
func (db *DB) ReserveMessage(ctx context.Context, m *naive.Message, debit *naive.LedgerEntry, pr store.Progress) (int64, error) {
	if err := prepareMessage("ReserveMessage", m); err != nil {
		return 0, err
	}
	if err := checkEntry("ReserveMessage", debit); err != nil {
		return 0, err
	}
	m.Direction = naive.DirectionOutbound
	m.Status = naive.MessageQueued
	if debit != nil {
		fillEntry(debit, m.OperatorID, m.Mode, m.ID)
	}
	var bal int64
	err := db.runPhase(ctx, &phase{method: "ReserveMessage", pr: &pr, scopes: approvalEventScopes(&pr),
		own: func(q *queue) {
			if debit != nil {
				q.ledger(debit, &bal)
			} else {
				q.balance(naive.Scope{OperatorID: m.OperatorID, Mode: m.Mode}, &bal)
			}
			q.exec(insertOutboundSQL, outboundArgs(m)...)
		}})
	if err != nil {
		return 0, err
	}
	return bal, nil
}

// SetMessageCarrierID records the carrier's id of a message, with pr, in
// one round trip. An id taken by another message of the mode is a
// conflict.
func (db *DB) SetMessageCarrierID(ctx context.Context, id, carrierID string, pr store.Progress) error {
	return db.runPhase(ctx, &phase{method: "SetMessageCarrierID", pr: &pr, scopes: approvalEventScopes(&pr),
		own: func(q *queue) {
			q.exec(`WITH u AS (UPDATE messages SET carrier_id = $1 WHERE id = $2 RETURNING 1)
				SELECT naive_fail(CASE WHEN NOT EXISTS (SELECT 1 FROM u) THEN '`+codeNotFound+`' END)`, carrierID, id)
		}})
}

// messageMissing tells an unknown message (ErrNotFound) from one in the
// wrong status (ErrConflict).
func messageMissing(ctx context.Context, tx pgx.Tx, id string) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM messages WHERE id = $1)`, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return store.ErrNotFound
	}
	return store.ErrConflict
}

// FailMessage marks a queued outbound message failed and applies refund
// and pr in one transaction. A second call waits for the first's row
// lock, re-checks status = 'queued', finds the message failed and refunds
// nothing.
func (db *DB) FailMessage(ctx context.Context, id, reason string, refund *naive.LedgerEntry, at time.Time, pr store.Progress) (int64, error) {
	if at.IsZero() {
		return 0, required("FailMessage", "at")
	}
	if err := checkEntry("FailMessage", refund); err != nil {
		return 0, err
	}
	if err := checkProgress("FailMessage", &pr); err != nil {
		return 0, err
	}
	at = norm(at)
	var bal int64
	err := db.tx(ctx, func(tx pgx.Tx) error {
		m, err := scanMessage(tx.QueryRow(ctx, `UPDATE messages
			SET status = 'failed', failure_reason = $1, failed_at = $2
			WHERE id = $3 AND status = 'queued' AND carrier_id = '' AND direction = 'outbound' RETURNING `+messageCols,
			reason, at, id))
		if errors.Is(err, pgx.ErrNoRows) {
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
		return db.applyProgress(ctx, tx, &pr)
	})
	return bal, err
}

// inboundSQL is RecordInbound in one statement, each write gated by the
// one before: the carrier event ($7: there is one) unless known, then —
// only if it was new — the message unless its carrier id is stored in
// its mode, its event ($35: there is one) only if the message was stored,
// and the opt-out ($42: there is one), and the conversation's consent
// ($57: there is one) only if the message was stored and the number
// holds none for the sender. The unique keys decide between
// concurrent deliveries: a second waits for the first to commit, then
// inserts nothing. It returns whether the carrier event let it go on,
// whether it stored the message, and the stored event's scope, type and
// hookSQL.
var inboundSQL = `WITH ce AS (
		INSERT INTO carrier_events (id, mode, type, account_id, payload, received_at)
		SELECT $1, $2, $3, $4, $5, $6 WHERE $7
		ON CONFLICT (id) DO NOTHING RETURNING 1),
	go AS (SELECT 1 WHERE NOT $7 OR EXISTS (SELECT 1 FROM ce)),
	m AS (
		INSERT INTO messages (` + messageInsertCols + `)
		SELECT $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28
		FROM go ON CONFLICT (mode, carrier_id) WHERE carrier_id <> '' DO NOTHING RETURNING operator_id, mode),
	e AS (
		INSERT INTO events (` + eventCols + `)
		SELECT $29, COALESCE(NULLIF($30, ''), m.operator_id), COALESCE(NULLIF($31, ''), m.mode),
		COALESCE(NULLIF($32, ''), '` + naive.EventSMSReceived + `'), $33, $34 FROM m WHERE $35
		RETURNING operator_id, mode, type),
	o AS (
		INSERT INTO opt_outs (operator_id, mode, subject_id, contact, opted_out, updated_at)
		SELECT $36, $37, $38, $39, $40, $41 FROM go WHERE $42
		ON CONFLICT (operator_id, mode, subject_id, contact) DO UPDATE
		SET opted_out = excluded.opted_out, updated_at = excluded.updated_at
		WHERE excluded.updated_at >= opt_outs.updated_at),
	k AS (
		INSERT INTO consents (` + consentCols + `)
		SELECT $45, $46, $47, $48, $49, $50, $51, $52, $53, $54, $55, $56 FROM m WHERE $57
		ON CONFLICT (phone_id, contact) DO NOTHING)
	SELECT EXISTS (SELECT 1 FROM go), EXISTS (SELECT 1 FROM m),
		COALESCE((SELECT operator_id FROM e), ''), COALESCE((SELECT mode FROM e), ''),
		COALESCE((SELECT type FROM e), ''),
		COALESCE((SELECT ` + hookSQL("e", 43, 44) + ` FROM e), false)`

// RecordInbound records ce, then stores in.Message as an inbound message
// (status received unless set) and in.Event (type sms.received, the
// message's scope by default) unless the message's carrier id is already
// stored in its mode, then applies in.OptOut, in one transaction; a ce
// recorded before stores nothing. It is one statement (inboundSQL), one
// round trip unless its event has a webhook endpoint to enqueue a
// delivery for. A subject of another scope in the opt-out is not found.
func (db *DB) RecordInbound(ctx context.Context, in *store.Inbound, ce *store.CarrierEvent) (bool, error) {
	m := in.Message
	if m == nil {
		return false, errors.New("postgres: RecordInbound: no message")
	}
	if err := prepareMessage("RecordInbound", m); err != nil {
		return false, err
	}
	ev := in.Event
	if err := checkEvent("RecordInbound", ev); err != nil {
		return false, err
	}
	o := in.OptOut
	if err := checkOptOut("RecordInbound", o); err != nil {
		return false, err
	}
	if err := checkCarrierEvent("RecordInbound", ce); err != nil {
		return false, err
	}
	m.Direction = naive.DirectionInbound
	if m.Status == "" {
		m.Status = naive.MessageReceived
	}
	args := make([]any, 0, 57)
	if ce != nil {
		ce.ReceivedAt = norm(ce.ReceivedAt)
		args = append(args, ce.ID, ce.Mode, ce.Type, ce.AccountID, string(ce.Payload), ce.ReceivedAt, true)
	} else {
		args = append(args, "", "", "", "", "{}", time.Time{}, false)
	}
	args = append(args, messageArgs(m)...)
	if ev != nil {
		ev.CreatedAt = norm(ev.CreatedAt)
		ev.Data = normRaw(ev.Data)
		args = append(args, ev.ID, ev.OperatorID, ev.Mode, ev.Type, ev.Data, ev.CreatedAt, true)
	} else {
		args = append(args, "", "", "", "", nil, time.Time{}, false)
	}
	if o != nil {
		o.At = norm(o.At)
		args = append(args, o.Scope.OperatorID, o.Scope.Mode, o.SubjectID, o.Contact, o.OptedOut, o.At, true)
	} else {
		args = append(args, "", "", "", "", false, time.Time{}, false)
	}
	args = append(args, db.jobs != nil, nil)
	args = append(args, consentArgs(in.Consent)...)
	var scopes []naive.Scope
	if ev != nil {
		sc := naive.Scope{OperatorID: ev.OperatorID, Mode: ev.Mode}
		if sc.OperatorID == "" || sc.Mode == "" {
			sc = naive.Scope{OperatorID: m.OperatorID, Mode: m.Mode}
		}
		scopes = []naive.Scope{sc}
	}
	stored := false
	err := db.runPhase(ctx, &phase{method: "RecordInbound", pr: &store.Progress{}, scopes: scopes,
		own: func(q *queue) {
			// $44: hookSQL's code, before the consent's parameters.
			if q.piped {
				args[43] = codeHooked
			} else {
				args[43] = nil
			}
			q.row(func(r pgx.Row) error {
				var (
					fresh, hook   bool
					op, mode, typ string
				)
				if err := r.Scan(&fresh, &stored, &op, &mode, &typ, &hook); err != nil {
					return err
				}
				if ev != nil && stored {
					ev.OperatorID, ev.Mode, ev.Type = op, naive.Mode(mode), typ
					if hook {
						q.hooked = append(q.hooked, ev)
					}
				}
				return nil
			}, inboundSQL, args...)
		}})
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
// forward in one conditional UPDATE: concurrent updates queue on the row
// lock and each re-checks the rank against the status the one before
// left, so a duplicate or out-of-order update (sent after delivered)
// changes nothing. A message the carrier id is not recorded on yet (its
// send's answer was lost) first gets it by a.Ref, when no message of the
// mode has it. Only the call that changes the row calls evFor, with the
// stored message, and stores its event in the same transaction, with the
// refund a.RefundFor returns (so a failure refunds at most once). evFor
// and a.RefundFor run inside the transaction (again if it is retried) and
// must not use the store. An unknown status or message changes nothing (false, nil);
// a ce recorded before stores nothing.
func (db *DB) AdvanceMessage(ctx context.Context, a *store.MessageAdvance, evFor func(*naive.Message) (*naive.Event, error), ce *store.CarrierEvent) (bool, error) {
	if a.At.IsZero() {
		return false, required("AdvanceMessage", "At")
	}
	if err := checkCarrierEvent("AdvanceMessage", ce); err != nil {
		return false, err
	}
	rank := naive.MessageRank(a.Status)
	if (a.CarrierID == "" || rank == 0) && ce == nil {
		return false, nil
	}
	a.At = norm(a.At)
	changed := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		changed = false
		if fresh, err := insertCarrierEvent(ctx, tx, ce); err != nil || !fresh || a.CarrierID == "" || rank == 0 {
			return err
		}
		if a.Ref != "" {
			// Row-locked and re-checked: of concurrent reports by the same
			// ref, one sets the carrier id and the others find it set.
			if _, err := tx.Exec(ctx, `UPDATE messages SET carrier_id = $1
				WHERE id = $2 AND mode = $3 AND direction = 'outbound' AND carrier_id = ''
				AND NOT EXISTS (SELECT 1 FROM messages WHERE mode = $3 AND carrier_id = $1)`,
				a.CarrierID, a.Ref, a.Mode); err != nil {
				return err
			}
		}
		m, err := scanMessage(tx.QueryRow(ctx, `UPDATE messages SET status = $1,
			sent_at = CASE WHEN $1 = 'sent' THEN $2 ELSE sent_at END,
			delivered_at = CASE WHEN $1 = 'delivered' THEN $2 ELSE delivered_at END,
			failed_at = CASE WHEN $1 = 'failed' THEN $2 ELSE failed_at END,
			failure_reason = CASE WHEN $1 = 'failed' THEN $3 ELSE failure_reason END
			WHERE mode = $4 AND carrier_id = $5 AND direction = 'outbound'
			AND `+messageRankSQL+` < $6 RETURNING `+messageCols,
			a.Status, a.At, a.Reason, a.Mode, a.CarrierID, rank))
		if errors.Is(err, pgx.ErrNoRows) {
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
	return one(db.pool.QueryRow(ctx, `SELECT `+messageCols+` FROM messages
		WHERE operator_id = $1 AND mode = $2 AND id = $3`, sc.OperatorID, sc.Mode, id), scanMessage)
}

// ListMessages lists a phone's messages in scope (every phone's when
// f.PhoneID is empty), newest first.
func (db *DB) ListMessages(ctx context.Context, sc naive.Scope, f naive.MessageFilter) ([]naive.Message, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+messageCols+` FROM messages
		WHERE operator_id = $1 AND mode = $2 AND ($3 = '' OR phone_id = $3) AND ($4 = '' OR id < $4)
		ORDER BY id DESC LIMIT $5`,
		sc.OperatorID, sc.Mode, f.PhoneID, f.After, limit(f.Limit))
	return collect(rows, err, scanMessage)
}

// NextInbound returns the phone's oldest inbound message after the id
// after (ids sort as they were made), read on messages_phone.
func (db *DB) NextInbound(ctx context.Context, sc naive.Scope, phoneID, after string) (*naive.Message, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+messageCols+` FROM messages
		WHERE operator_id = $1 AND mode = $2 AND phone_id = $3 AND id > $4 AND direction = 'inbound'
		ORDER BY id LIMIT 1`, sc.OperatorID, sc.Mode, phoneID, after), scanMessage)
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
func setOptOut(ctx context.Context, tx pgx.Tx, o *store.OptOut) error {
	o.At = norm(o.At)
	_, err := tx.Exec(ctx, `INSERT INTO opt_outs (operator_id, mode, subject_id, contact, opted_out, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (operator_id, mode, subject_id, contact) DO UPDATE
		SET opted_out = excluded.opted_out, updated_at = excluded.updated_at
		WHERE excluded.updated_at >= opt_outs.updated_at`,
		o.Scope.OperatorID, o.Scope.Mode, o.SubjectID, o.Contact, o.OptedOut, o.At)
	return err
}

// SetOptOut records ce, then whether a contact opted out of the subject's
// texts, in one transaction; it reports false, storing nothing, when ce
// was recorded before.
func (db *DB) SetOptOut(ctx context.Context, o *store.OptOut, ce *store.CarrierEvent) (bool, error) {
	if err := checkOptOut("SetOptOut", o); err != nil {
		return false, err
	}
	if err := checkCarrierEvent("SetOptOut", ce); err != nil {
		return false, err
	}
	applied := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		applied = false
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
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM opt_outs
		WHERE operator_id = $1 AND mode = $2 AND subject_id = $3 AND contact = $4 AND opted_out)`,
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

// decodeStrings reads a stored JSON array of strings, never nil.
func decodeStrings(b []byte) ([]string, error) {
	l := []string{}
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, err
	}
	return l, nil
}

const assignmentCols = `phone_id, agent_id, operator_id, mode, permissions, created_at`

func scanAssignment(r pgx.Row) (*naive.Assignment, error) {
	var (
		a     naive.Assignment
		perms []byte
	)
	if err := r.Scan(&a.PhoneID, &a.AgentID, &a.OperatorID, &a.Mode, &perms, &a.CreatedAt); err != nil {
		return nil, err
	}
	var err error
	if a.Permissions, err = decodeStrings(perms); err != nil {
		return nil, err
	}
	return &a, nil
}

// UpsertAssignment connects a's agent to a's phone or replaces the
// permissions of their connection, keeping when it was made (written back
// into a.CreatedAt). The foreign keys reject a phone or agent of another
// scope as not found; the WHERE of the update keeps an existing
// connection of another scope untouched, also as not found.
func (db *DB) UpsertAssignment(ctx context.Context, a *naive.Assignment) error {
	perms, err := encodeStrings(&a.Permissions)
	if err != nil {
		return err
	}
	if a.CreatedAt.IsZero() {
		return required("UpsertAssignment", "CreatedAt")
	}
	a.CreatedAt = norm(a.CreatedAt)
	var created time.Time
	err = db.pool.QueryRow(ctx, `INSERT INTO phone_assignments (`+assignmentCols+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (phone_id, agent_id) DO UPDATE SET permissions = excluded.permissions
		WHERE phone_assignments.operator_id = excluded.operator_id AND phone_assignments.mode = excluded.mode
		RETURNING created_at`,
		a.PhoneID, a.AgentID, a.OperatorID, a.Mode, perms, a.CreatedAt).Scan(&created)
	if err != nil {
		return mapErr(err)
	}
	a.CreatedAt = created
	return nil
}

// DeleteAssignment disconnects an agent from a phone in scope.
func (db *DB) DeleteAssignment(ctx context.Context, sc naive.Scope, phoneID, agentID string) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM phone_assignments
		WHERE operator_id = $1 AND mode = $2 AND phone_id = $3 AND agent_id = $4`, sc.OperatorID, sc.Mode, phoneID, agentID)
	return affected(tag, err, store.ErrNotFound)
}

// ListAssignments lists a phone's agents in scope, oldest first.
func (db *DB) ListAssignments(ctx context.Context, sc naive.Scope, phoneID string) ([]naive.Assignment, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+assignmentCols+` FROM phone_assignments
		WHERE operator_id = $1 AND mode = $2 AND phone_id = $3 ORDER BY created_at, agent_id`,
		sc.OperatorID, sc.Mode, phoneID)
	return collect(rows, err, scanAssignment)
}

// ListStaleQueued lists unfinished outbound sends of every tenant.
func (db *DB) ListStaleQueued(ctx context.Context, before time.Time, n int) ([]naive.Message, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+messageCols+` FROM messages
		WHERE direction = 'outbound' AND status = 'queued' AND carrier_id = '' AND COALESCE(send_at, created_at) < $1
		ORDER BY created_at, id LIMIT $2`, norm(before), limit(n))
	return collect(rows, err, scanMessage)
}
