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

// AddLedgerEntry applies e and pr and returns the new balance; a debit the
// balance cannot cover stores nothing. Without Render it is one round trip.
func (db *DB) AddLedgerEntry(ctx context.Context, e *naive.LedgerEntry, pr store.Progress) (int64, error) {
	if e == nil {
		return 0, errors.New("postgres: AddLedgerEntry without an entry")
	}
	if err := checkEntry("AddLedgerEntry", e); err != nil {
		return 0, err
	}
	var bal int64
	err := db.runPhase(ctx, &phase{method: "AddLedgerEntry", pr: &pr, scopes: approvalEventScopes(&pr),
		own: func(q *queue) { q.ledger(e, &bal) }})
	if err != nil {
		return 0, err
	}
	return bal, nil
}

// GetLedgerEntry returns the scope's newest entry of reason that
// references referenceID.
func (db *DB) GetLedgerEntry(ctx context.Context, sc naive.Scope, reason, referenceID string) (*naive.LedgerEntry, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+ledgerCols+` FROM ledger_entries
		WHERE operator_id = $1 AND mode = $2 AND reference_id = $3 AND reason = $4 ORDER BY id DESC LIMIT 1`,
		sc.OperatorID, sc.Mode, referenceID, reason), scanLedger)
}

// checkEntry is the error of method given a ledger entry, not nil, without
// its id or time.
func checkEntry(method string, e *naive.LedgerEntry) error {
	if e != nil && (e.ID == "" || e.CreatedAt.IsZero()) {
		return required(method, "ledger entry ID", "CreatedAt")
	}
	return nil
}

// Moving credits is one statement that changes the balance and records
// the entry with the balance after. A debit is a conditional UPDATE:
// concurrent debits queue on the balance row, and each re-checks the
// condition against the balance the one before left; one it does not
// cover fails (naive_fail), rolling its transaction back. A credit
// inserts the balance row of a scope never credited.
const (
	debitSQL = `WITH d AS (UPDATE credit_balances SET balance = balance + $4
			WHERE operator_id = $2 AND mode = $3 AND balance + $4 >= 0 RETURNING balance),
		l AS (INSERT INTO ledger_entries (` + ledgerCols + `)
			SELECT $1, $2, $3, $4, d.balance, $5, $6, $7, $8, $9, $10 FROM d RETURNING balance_after)
		SELECT naive_fail(CASE WHEN count(*) = 0 THEN '` + codeNoCredits + `' END), COALESCE(max(balance_after), 0) FROM l`
	creditSQL = `WITH d AS (INSERT INTO credit_balances (operator_id, mode, balance) VALUES ($2, $3, $4)
			ON CONFLICT (operator_id, mode) DO UPDATE SET balance = credit_balances.balance + excluded.balance
			RETURNING balance),
		l AS (INSERT INTO ledger_entries (` + ledgerCols + `)
			SELECT $1, $2, $3, $4, d.balance, $5, $6, $7, $8, $9, $10 FROM d RETURNING balance_after)
		SELECT true, balance_after FROM l`
)

// ledgerStmt is the statement applying e (checked), and its arguments.
func ledgerStmt(e *naive.LedgerEntry) (string, []any) {
	e.CreatedAt = norm(e.CreatedAt)
	sql := creditSQL
	if e.Amount < 0 {
		sql = debitSQL
	}
	return sql, []any{e.ID, e.OperatorID, e.Mode, e.Amount, e.Reason, e.ReferenceID,
		e.Actor.Type, e.Actor.ID, e.Memo, e.CreatedAt}
}

// ledger queues e (checked), writing the balance after into
// e.BalanceAfter and *bal.
func (q *queue) ledger(e *naive.LedgerEntry, bal *int64) {
	sql, args := ledgerStmt(e)
	q.row(func(r pgx.Row) error {
		var ok bool
		if err := r.Scan(&ok, &e.BalanceAfter); err != nil {
			return err
		}
		*bal = e.BalanceAfter
		return nil
	}, sql, args...)
}

// balance queues the read of a scope's balance (0 if never credited)
// into *bal: the balance after a write that moved no credits.
func (q *queue) balance(sc naive.Scope, bal *int64) {
	q.row(func(r pgx.Row) error { return r.Scan(bal) }, balanceSQL, sc.OperatorID, sc.Mode)
}

const balanceSQL = `SELECT COALESCE((SELECT balance FROM credit_balances WHERE operator_id = $1 AND mode = $2), 0)`

// applyLedger applies e inside tx and returns the balance after; method
// names the caller in errors.
func applyLedger(ctx context.Context, tx pgx.Tx, method string, e *naive.LedgerEntry) (int64, error) {
	if err := checkEntry(method, e); err != nil {
		return 0, err
	}
	sql, args := ledgerStmt(e)
	var ok bool
	if err := tx.QueryRow(ctx, sql, args...).Scan(&ok, &e.BalanceAfter); err != nil {
		return 0, err
	}
	return e.BalanceAfter, nil
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
	err := tx.QueryRow(ctx, balanceSQL, operatorID, mode).Scan(&bal)
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
