package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// ResubmitCampaign moves a rejected campaign in scope back to in_review,
// clearing its rejection reason, with events, in one transaction whose
// update is conditional on the status still being rejected (re-checked
// after a row-lock wait, so one of two concurrent calls wins).
func (db *DB) ResubmitCampaign(ctx context.Context, sc naive.Scope, id string, at time.Time, events []*naive.Event) error {
	for _, ev := range events {
		if err := checkEvent("ResubmitCampaign", ev); err != nil {
			return err
		}
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE campaigns SET status = 'in_review', rejection_reason = NULL, updated_at = $1
			WHERE operator_id = $2 AND mode = $3 AND id = $4 AND status = 'rejected' AND claim_token = ''`,
			norm(at), sc.OperatorID, sc.Mode, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var one int
			err := tx.QueryRow(ctx, `SELECT 1 FROM campaigns WHERE operator_id = $1 AND mode = $2 AND id = $3`,
				sc.OperatorID, sc.Mode, id).Scan(&one)
			if errors.Is(err, pgx.ErrNoRows) {
				return store.ErrNotFound
			}
			if err != nil {
				return err
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
}
