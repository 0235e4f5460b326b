package postgres

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// GetCampaignContent returns the campaign content fields a subject set.
func (db *DB) GetCampaignContent(ctx context.Context, sc naive.Scope, subjectID string) (*store.CampaignContent, error) {
	var (
		c      store.CampaignContent
		fields []byte
	)
	err := db.pool.QueryRow(ctx, `SELECT subject_id, operator_id, mode, fields, updated_by_type, updated_by_id, updated_at
		FROM campaign_contents WHERE operator_id = $1 AND mode = $2 AND subject_id = $3`, sc.OperatorID, sc.Mode, subjectID).
		Scan(&c.SubjectID, &c.OperatorID, &c.Mode, &fields, &c.UpdatedBy.Type, &c.UpdatedBy.ID, &c.UpdatedAt)
	if err != nil {
		return nil, mapErr(err)
	}
	if err := json.Unmarshal(fields, &c.Fields); err != nil {
		return nil, err
	}
	c.UpdatedAt = c.UpdatedAt.UTC()
	return &c, nil
}

// PutCampaignContent stores (replaces) the fields a subject set; the
// subject must be in the content's scope and not deleted.
func (db *DB) PutCampaignContent(ctx context.Context, c *store.CampaignContent) error {
	if c.SubjectID == "" || c.UpdatedAt.IsZero() {
		return required("PutCampaignContent", "SubjectID", "UpdatedAt")
	}
	c.UpdatedAt = norm(c.UpdatedAt)
	b, err := json.Marshal(c.Fields)
	if err != nil {
		return err
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO campaign_contents
		(subject_id, operator_id, mode, fields, updated_by_type, updated_by_id, updated_at)
		SELECT id, operator_id, mode, $1, $2, $3, $4 FROM subjects
		WHERE operator_id = $5 AND mode = $6 AND id = $7 AND deleted_at IS NULL
		ON CONFLICT (subject_id) DO UPDATE SET fields = excluded.fields, updated_by_type = excluded.updated_by_type,
			updated_by_id = excluded.updated_by_id, updated_at = excluded.updated_at`,
		string(b), c.UpdatedBy.Type, c.UpdatedBy.ID, c.UpdatedAt, c.OperatorID, c.Mode, c.SubjectID)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
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
	return db.tx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM campaigns WHERE operator_id = $1 AND mode = $2 AND id = $3`,
			sc.OperatorID, sc.Mode, campaignID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		for _, v := range o {
			if _, err := tx.Exec(ctx, `INSERT INTO campaign_check_overrides
				(campaign_id, operator_id, mode, rule, message, submission, actor_type, actor_id, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				campaignID, sc.OperatorID, sc.Mode, v.Rule, v.Message, v.Submission, v.Actor.Type, v.Actor.ID, v.CreatedAt); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListCheckOverrides lists a campaign's overrides, oldest first.
func (db *DB) ListCheckOverrides(ctx context.Context, sc naive.Scope, campaignID string) ([]naive.CheckOverride, error) {
	rows, err := db.pool.Query(ctx, `SELECT rule, message, submission, actor_type, actor_id, created_at
		FROM campaign_check_overrides WHERE operator_id = $1 AND mode = $2 AND campaign_id = $3
		ORDER BY created_at, ctid`, sc.OperatorID, sc.Mode, campaignID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []naive.CheckOverride{}
	for rows.Next() {
		var v naive.CheckOverride
		if err := rows.Scan(&v.Rule, &v.Message, &v.Submission, &v.Actor.Type, &v.Actor.ID, &v.CreatedAt); err != nil {
			return nil, err
		}
		v.CreatedAt = v.CreatedAt.UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}
