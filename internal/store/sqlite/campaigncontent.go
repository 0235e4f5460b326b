package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// GetCampaignContent returns the campaign content fields a subject set.
func (db *DB) GetCampaignContent(ctx context.Context, sc naive.Scope, subjectID string) (*store.CampaignContent, error) {
	var (
		c      store.CampaignContent
		fields string
	)
	err := db.reader.QueryRowContext(ctx, `SELECT subject_id, operator_id, mode, fields, updated_by_type, updated_by_id, updated_at
		FROM campaign_contents WHERE operator_id = ? AND mode = ? AND subject_id = ?`, sc.OperatorID, sc.Mode, subjectID).
		Scan(&c.SubjectID, &c.OperatorID, &c.Mode, &fields, &c.UpdatedBy.Type, &c.UpdatedBy.ID, timeCol{&c.UpdatedAt})
	if err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal([]byte(fields), &c.Fields); err != nil {
		return nil, err
	}
	return &c, nil
}

// PatchCampaignContent merges patch into the fields a subject set, in
// one writer transaction (SQLite's one write lock, which ClaimCampaign
// takes too): the subject in scope and not deleted, no 10DLC campaign of
// it, registered or claimed, other than rejected, then the stored fields
// read, merged and written back.
func (db *DB) PatchCampaignContent(ctx context.Context, sc naive.Scope, subjectID string, patch naive.CampaignContentPatch, by naive.Actor, at time.Time) (*store.CampaignContent, error) {
	if subjectID == "" || at.IsZero() {
		return nil, required("PatchCampaignContent", "subjectID", "at")
	}
	c := &store.CampaignContent{SubjectID: subjectID, OperatorID: sc.OperatorID, Mode: sc.Mode, UpdatedBy: by, UpdatedAt: norm(at)}
	err := db.tx(ctx, func(tx *txn) error {
		c.Fields = naive.CampaignContentPatch{}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM subjects WHERE operator_id = ? AND mode = ? AND id = ? AND deleted_at IS NULL`,
			sc.OperatorID, sc.Mode, subjectID).Scan(&one); err != nil {
			return notFound(err)
		}
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM campaigns WHERE subject_id = ? AND kind = ? AND status <> ?`,
			subjectID, naive.Campaign10DLC, naive.CampaignRejected).Scan(&one)
		switch {
		case err == nil:
			return store.ErrConflict
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		var fields string
		err = tx.QueryRowContext(ctx, `SELECT fields FROM campaign_contents WHERE subject_id = ?`, subjectID).Scan(&fields)
		switch {
		case err == nil:
			if err := json.Unmarshal([]byte(fields), &c.Fields); err != nil {
				return err
			}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		c.Fields.Merge(patch)
		b, err := json.Marshal(c.Fields)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO campaign_contents
			(subject_id, operator_id, mode, fields, updated_by_type, updated_by_id, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (subject_id) DO UPDATE SET fields = excluded.fields, updated_by_type = excluded.updated_by_type,
				updated_by_id = excluded.updated_by_id, updated_at = excluded.updated_at`,
			subjectID, sc.OperatorID, sc.Mode, string(b), by.Type, by.ID, ts(c.UpdatedAt))
		return err
	})
	if err != nil {
		return nil, mapErr(err)
	}
	return c, nil
}

// AddCheckOverrides records overrides on a campaign in scope, in one
// transaction.
func (db *DB) AddCheckOverrides(ctx context.Context, sc naive.Scope, campaignID string, o []naive.CheckOverride) error {
	for i := range o {
		if o[i].Rule == "" || o[i].CreatedAt.IsZero() {
			return required("AddCheckOverrides", "Rule", "CreatedAt")
		}
		o[i].CreatedAt = norm(o[i].CreatedAt)
	}
	err := db.tx(ctx, func(tx *txn) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM campaigns WHERE operator_id = ? AND mode = ? AND id = ?`,
			sc.OperatorID, sc.Mode, campaignID).Scan(&one); err != nil {
			return notFound(err)
		}
		for _, v := range o {
			if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_check_overrides
				(campaign_id, operator_id, mode, rule, message, submission, actor_type, actor_id, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				campaignID, sc.OperatorID, sc.Mode, v.Rule, v.Message, v.Submission, v.Actor.Type, v.Actor.ID, ts(v.CreatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr(err)
}

// ListCheckOverrides lists a campaign's overrides, oldest first.
func (db *DB) ListCheckOverrides(ctx context.Context, sc naive.Scope, campaignID string) ([]naive.CheckOverride, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT rule, message, submission, actor_type, actor_id, created_at
		FROM campaign_check_overrides WHERE operator_id = ? AND mode = ? AND campaign_id = ?
		ORDER BY created_at, rowid`, sc.OperatorID, sc.Mode, campaignID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []naive.CheckOverride{}
	for rows.Next() {
		var v naive.CheckOverride
		if err := rows.Scan(&v.Rule, &v.Message, &v.Submission, &v.Actor.Type, &v.Actor.ID, timeCol{&v.CreatedAt}); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
