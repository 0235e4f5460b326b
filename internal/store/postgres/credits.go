package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Balance returns the scope's credit balance, 0 if never credited.
func (db *DB) Balance(ctx context.Context, sc naive.Scope) (int64, error) {
	var b int64
	err := db.pool.QueryRow(ctx, `SELECT balance FROM credit_balances WHERE operator_id = $1 AND mode = $2`,
		sc.OperatorID, sc.Mode).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return b, mapErr(err)
}

// AddLedgerEntry applies e and returns the new balance; a debit the
// balance cannot cover stores nothing.
func (db *DB) AddLedgerEntry(ctx context.Context, e *naive.LedgerEntry) (int64, error) {
	if err := checkEntry("AddLedgerEntry", e); err != nil {
		return 0, err
	}
	var bal int64
	err := db.tx(ctx, func(tx pgx.Tx) (err error) {
		bal, err = applyLedger(ctx, tx, "AddLedgerEntry", e)
		return err
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
// caller in errors. A debit is one conditional UPDATE: concurrent debits
// queue on the balance row, and each re-checks the condition against the
// balance left by the one before.
func applyLedger(ctx context.Context, tx pgx.Tx, method string, e *naive.LedgerEntry) (int64, error) {
	if err := checkEntry(method, e); err != nil {
		return 0, err
	}
	e.CreatedAt = norm(e.CreatedAt)
	var bal int64
	var err error
	if e.Amount >= 0 {
		err = tx.QueryRow(ctx, `INSERT INTO credit_balances (operator_id, mode, balance) VALUES ($1, $2, $3)
			ON CONFLICT (operator_id, mode) DO UPDATE SET balance = credit_balances.balance + excluded.balance
			RETURNING balance`, e.OperatorID, e.Mode, e.Amount).Scan(&bal)
	} else {
		err = tx.QueryRow(ctx, `UPDATE credit_balances SET balance = balance + $3
			WHERE operator_id = $1 AND mode = $2 AND balance + $3 >= 0 RETURNING balance`,
			e.OperatorID, e.Mode, e.Amount).Scan(&bal)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, store.ErrInsufficientCredits
		}
	}
	if err != nil {
		return 0, err
	}
	e.BalanceAfter = bal
	if _, err := tx.Exec(ctx, `INSERT INTO ledger_entries (`+ledgerCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.ID, e.OperatorID, e.Mode, e.Amount, e.BalanceAfter, e.Reason, e.ReferenceID,
		e.Actor.Type, e.Actor.ID, e.Memo, e.CreatedAt); err != nil {
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
func balanceIn(ctx context.Context, tx pgx.Tx, operatorID string, mode naive.Mode) (int64, error) {
	var bal int64
	err := tx.QueryRow(ctx, `SELECT COALESCE((SELECT balance FROM credit_balances
		WHERE operator_id = $1 AND mode = $2), 0)`, operatorID, mode).Scan(&bal)
	return bal, err
}

const ledgerCols = `id, operator_id, mode, amount, balance_after, reason, reference_id, actor_type, actor_id, memo, created_at`

func scanLedger(r pgx.Row) (*naive.LedgerEntry, error) {
	var e naive.LedgerEntry
	if err := r.Scan(&e.ID, &e.OperatorID, &e.Mode, &e.Amount, &e.BalanceAfter, &e.Reason, &e.ReferenceID,
		&e.Actor.Type, &e.Actor.ID, &e.Memo, &e.CreatedAt); err != nil {
		return nil, err
	}
	return &e, nil
}

// ListLedger lists entries newest first.
func (db *DB) ListLedger(ctx context.Context, sc naive.Scope, p naive.Page) ([]naive.LedgerEntry, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+ledgerCols+` FROM ledger_entries
		WHERE operator_id = $1 AND mode = $2 AND ($3 = '' OR id < $3) ORDER BY id DESC LIMIT $4`,
		sc.OperatorID, sc.Mode, p.After, limit(p.Limit))
	return collect(rows, err, scanLedger)
}
