package sqlite

import (
	"context"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// ResubmitCampaign moves a rejected campaign in scope back to in_review,
// clearing its rejection reason, with events, in one transaction whose
// update is conditional on the status still being rejected.
func (db *DB) ResubmitCampaign(ctx context.Context, sc naive.Scope, id string, at time.Time, events []*naive.Event) error {
	for _, ev := range events {
		if err := checkEvent("ResubmitCampaign", ev); err != nil {
			return err
		}
	}
	err := db.tx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE campaigns SET status = 'in_review', rejection_reason = NULL, updated_at = ?
			WHERE operator_id = ? AND mode = ? AND id = ? AND status = 'rejected' AND claim_token = ''`,
			ts(at), sc.OperatorID, sc.Mode, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM campaigns WHERE operator_id = ? AND mode = ? AND id = ?`,
				sc.OperatorID, sc.Mode, id).Scan(&one); err != nil {
				return notFound(err)
			}
			return store.ErrConflict
		}
		for _, ev := range events {
			if err := db.insertEvent(ctx, tx, "ResubmitCampaign", ev); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr(err)
}
