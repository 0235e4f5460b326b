package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// ResubmitCampaign moves a rejected campaign in scope back to in_review,
// clearing its rejection reason, with events, in one writer transaction
// (SQLite's one write lock, which PatchCampaignContent takes too): the
// update is conditional on the status still being rejected, and it is
// undone when the subject's campaign content fields are no longer
// content, the ones the resubmission was planned on.
func (db *DB) ResubmitCampaign(ctx context.Context, sc naive.Scope, id string, content naive.CampaignContentPatch, at time.Time, events []*naive.Event) error {
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
		var stored []byte
		err = tx.QueryRowContext(ctx, `SELECT cc.fields FROM campaign_contents cc JOIN campaigns c ON c.subject_id = cc.subject_id
			WHERE c.id = ?`, id).Scan(&stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		same, err := content.SameFields(stored)
		if err != nil {
			return err
		}
		if !same {
			return store.ErrContentChanged
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
