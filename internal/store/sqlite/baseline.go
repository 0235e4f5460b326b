package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// BaselineWrite does, in one transaction on the store's own writer, the
// least a provision must write: the balance debited only if it covers
// price, a phone row and the ledger entry that pays for it, with fresh ids.
// No HTTP, no auth, no idempotency record, no carrier, no jobs: it is what
// the database alone costs a purchase, the baseline `naive bench`
// (internal/bench) measures the write scenarios against. It commits alone,
// not in the store's group commits: the baseline is what one transaction
// costs this database. subjectID must be
// a subject of the operator in mode, whose balance must cover price
// (store.ErrInsufficientCredits otherwise). It is not part of store.Store.
func (db *DB) BaselineWrite(ctx context.Context, operatorID string, mode naive.Mode, subjectID string, price int64) error {
	phoneID, entryID := uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()
	now := ts(time.Now())
	return db.rawTx(ctx, func(tx *txn) error {
		var bal int64
		err := tx.QueryRowContext(ctx, `UPDATE credit_balances SET balance = balance - ?
			WHERE operator_id = ? AND mode = ? AND balance >= ? RETURNING balance`,
			price, operatorID, mode, price).Scan(&bal)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrInsufficientCredits
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO phones
			(id, operator_id, mode, subject_id, type, status, area_code, price, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			phoneID, operatorID, mode, subjectID, naive.PhoneLocal, naive.PhoneProvisioning, "415", price, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO ledger_entries
			(id, operator_id, mode, amount, balance_after, reason, reference_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			entryID, operatorID, mode, -price, bal, naive.LedgerPhoneProvision, phoneID, now)
		return err
	})
}
