package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Balance returns the scope's credit balance, 0 if never credited.
func (db *DB) Balance(ctx context.Context, sc naive.Scope) (int64, error) {
	var b int64
	err := db.reader.QueryRowContext(ctx, `SELECT balance FROM credit_balances WHERE operator_id = ? AND mode = ?`,
		sc.OperatorID, sc.Mode).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return b, mapErr(err)
}

// AddLedgerEntry applies e and pr and returns the new balance; a debit
// the balance cannot cover stores nothing. pr.Render sees e.BalanceAfter.
func (db *DB) AddLedgerEntry(ctx context.Context, e *naive.LedgerEntry, pr store.Progress) (int64, error) {
	if e == nil {
		return 0, errors.New("sqlite: AddLedgerEntry: no entry")
	}
	if err := checkEntry("AddLedgerEntry", e); err != nil {
		return 0, err
	}
	if err := checkProgress("AddLedgerEntry", pr); err != nil {
		return 0, err
	}
	var bal int64
	err := db.tx(ctx, func(tx *txn) (err error) {
		if bal, err = applyLedger(ctx, tx, "AddLedgerEntry", e); err != nil {
			return err
		}
		return db.applyProgress(ctx, tx, "AddLedgerEntry", pr)
	})
	return bal, err
}

// checkEntry is the error of method given a ledger entry, not nil, without
// its id or time.
func checkEntry(method string, e *naive.LedgerEntry) error {
	if e != nil && (e.ID == "" || e.CreatedAt.IsZero()) {
		return required(method, "ledger entry ID", "CreatedAt")
	}
	return nil
}

// applyLedger moves the balance and records e inside tx; method names the
// caller in errors. The balance changes in one conditional statement,
// which returns the balance after: a debit matches the scope's row only if
// it covers the amount (no row: never credited, nothing to debit); a
// credit inserts the row of a scope never credited and refuses to
// overflow.
func applyLedger(ctx context.Context, tx *txn, method string, e *naive.LedgerEntry) (int64, error) {
	if err := checkEntry(method, e); err != nil {
		return 0, err
	}
	e.CreatedAt = norm(e.CreatedAt)
	var bal int64
	if e.Amount < 0 {
		err := tx.QueryRowContext(ctx, `UPDATE credit_balances SET balance = balance + ?
			WHERE operator_id = ? AND mode = ? AND balance >= ? RETURNING balance`,
			e.Amount, e.OperatorID, e.Mode, -e.Amount).Scan(&bal)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, store.ErrInsufficientCredits
		}
		if err != nil {
			return 0, err
		}
	} else {
		err := tx.QueryRowContext(ctx, `INSERT INTO credit_balances (operator_id, mode, balance) VALUES (?, ?, ?)
			ON CONFLICT (operator_id, mode) DO UPDATE SET balance = credit_balances.balance + excluded.balance
			WHERE credit_balances.balance <= ? RETURNING balance`,
			e.OperatorID, e.Mode, e.Amount, math.MaxInt64-e.Amount).Scan(&bal)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, errors.New("sqlite: credit balance overflow")
		}
		if err != nil {
			return 0, err
		}
	}
	e.BalanceAfter = bal
	if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_entries (`+ledgerCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.OperatorID, e.Mode, e.Amount, e.BalanceAfter, e.Reason, e.ReferenceID,
		e.Actor.Type, e.Actor.ID, e.Memo, ts(e.CreatedAt)); err != nil {
		return 0, err
	}
	return bal, nil
}

// fillEntry defaults a charge or refund to the scope and id of the row it
// pays for (a phone, a message), so every charge points at its row.
func fillEntry(e *naive.LedgerEntry, operatorID string, mode naive.Mode, refID string) {
	if e.OperatorID == "" {
		e.OperatorID = operatorID
	}
	if e.Mode == "" {
		e.Mode = mode
	}
	if e.ReferenceID == "" {
		e.ReferenceID = refID
	}
}

// balanceIn reads a scope's balance inside tx, 0 if never credited: the
// balance after a write that moved no credits.
func balanceIn(ctx context.Context, tx *txn, operatorID string, mode naive.Mode) (int64, error) {
	var bal int64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT balance FROM credit_balances
		WHERE operator_id = ? AND mode = ?), 0)`, operatorID, mode).Scan(&bal)
	return bal, err
}

const ledgerCols = `id, operator_id, mode, amount, balance_after, reason, reference_id, actor_type, actor_id, memo, created_at`

func scanLedger(s scanner) (*naive.LedgerEntry, error) {
	var e naive.LedgerEntry
	if err := s.Scan(&e.ID, &e.OperatorID, &e.Mode, &e.Amount, &e.BalanceAfter, &e.Reason, &e.ReferenceID,
		&e.Actor.Type, &e.Actor.ID, &e.Memo, timeCol{&e.CreatedAt}); err != nil {
		return nil, notFound(err)
	}
	return &e, nil
}

// GetLedgerEntry returns the scope's newest entry of reason referencing
// referenceID.
func (db *DB) GetLedgerEntry(ctx context.Context, sc naive.Scope, reason, referenceID string) (*naive.LedgerEntry, error) {
	return scanLedger(db.reader.QueryRowContext(ctx, `SELECT `+ledgerCols+` FROM ledger_entries
		WHERE operator_id = ? AND mode = ? AND reference_id = ? AND reason = ? ORDER BY id DESC LIMIT 1`,
		sc.OperatorID, sc.Mode, referenceID, reason))
}

// ListLedger lists entries newest first.
func (db *DB) ListLedger(ctx context.Context, sc naive.Scope, p naive.Page) ([]naive.LedgerEntry, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+ledgerCols+` FROM ledger_entries
		WHERE operator_id = ? AND mode = ? AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?`,
		sc.OperatorID, sc.Mode, p.After, p.After, limit(p.Limit))
	return collect(rows, err, scanLedger)
}
