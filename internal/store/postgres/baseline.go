package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// BaselineWrite does, in one transaction on the store's own pool, the
// least a provision must write: the balance debited only if it covers
// price, a phone row and the ledger entry that pays for it, with fresh ids.
// No HTTP, no auth, no idempotency record, no carrier, no jobs: it is what
// the database alone costs a purchase, the baseline `naive bench`
// (internal/bench) measures the write scenarios against. subjectID must be
// a subject of the operator in mode, whose balance must cover price
// (store.ErrInsufficientCredits otherwise). It is not part of store.Store.
func (db *DB) BaselineWrite(ctx context.Context, operatorID string, mode naive.Mode, subjectID string, price int64) error {
	phoneID, entryID := uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()
	now := time.Now().UTC().Truncate(time.Microsecond)
	return db.tx(ctx, func(tx pgx.Tx) error {
		var bal int64
		err := tx.QueryRow(ctx, `UPDATE credit_balances SET balance = balance - $1
			WHERE operator_id = $2 AND mode = $3 AND balance >= $1 RETURNING balance`,
			price, operatorID, mode).Scan(&bal)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrInsufficientCredits
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO phones
			(id, operator_id, mode, subject_id, type, status, area_code, price, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			phoneID, operatorID, mode, subjectID, naive.PhoneLocal, naive.PhoneProvisioning, "415", price, now); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO ledger_entries
			(id, operator_id, mode, amount, balance_after, reason, reference_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			entryID, operatorID, mode, -price, bal, naive.LedgerPhoneProvision, phoneID, now)
		return err
	})
}
