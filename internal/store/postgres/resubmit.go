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
// clearing its rejection reason, with events, in one transaction under a
// share lock of its subject's row, which PatchCampaignContent takes for
// update: a patch either committed before (and is read here) or waits
// and then finds the campaign in review. The update is conditional on
// the status still being rejected (re-checked after a row-lock wait, so
// one of two concurrent calls wins), and undone when the subject's
// campaign content fields are no longer content, the ones the
// resubmission was planned on.
func (db *DB) ResubmitCampaign(ctx context.Context, sc naive.Scope, id string, content naive.CampaignContentPatch, at time.Time, events []*naive.Event) error {
	for _, ev := range events {
		if err := checkEvent("ResubmitCampaign", ev); err != nil {
			return err
		}
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		var subjectID string
		err := tx.QueryRow(ctx, `SELECT subject_id FROM campaigns WHERE operator_id = $1 AND mode = $2 AND id = $3`,
			sc.OperatorID, sc.Mode, id).Scan(&subjectID)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		// Every statement after the lock reads what a patch holding it
		// committed.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM subjects WHERE id = $1 FOR SHARE`, subjectID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE campaigns SET status = 'in_review', rejection_reason = NULL, updated_at = $1
			WHERE operator_id = $2 AND mode = $3 AND id = $4 AND status = 'rejected' AND claim_token = ''`,
			norm(at), sc.OperatorID, sc.Mode, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrConflict
		}
		var stored []byte
		err = tx.QueryRow(ctx, `SELECT fields FROM campaign_contents WHERE subject_id = $1`, subjectID).Scan(&stored)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
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
}
