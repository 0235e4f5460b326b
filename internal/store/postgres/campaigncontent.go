package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

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

// PatchCampaignContent merges patch into the fields a subject set, in
// one transaction under the subject's row lock (SELECT … FOR UPDATE),
// which serialises it with other patches and with ClaimCampaign (FOR
// SHARE of the same row): every statement after the lock reads what
// those committed first. The campaign check then refuses while a 10DLC
// campaign, registered or claimed, is not rejected.
func (db *DB) PatchCampaignContent(ctx context.Context, sc naive.Scope, subjectID string, patch naive.CampaignContentPatch, by naive.Actor, at time.Time) (*store.CampaignContent, error) {
	if subjectID == "" || at.IsZero() {
		return nil, required("PatchCampaignContent", "subjectID", "at")
	}
	c := &store.CampaignContent{SubjectID: subjectID, OperatorID: sc.OperatorID, Mode: sc.Mode, UpdatedBy: by, UpdatedAt: norm(at)}
	err := db.tx(ctx, func(tx pgx.Tx) error {
		c.Fields = naive.CampaignContentPatch{}
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM subjects WHERE operator_id = $1 AND mode = $2 AND id = $3 AND deleted_at IS NULL FOR UPDATE`,
			sc.OperatorID, sc.Mode, subjectID).Scan(&one); err != nil {
			return err
		}
		var locked bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM campaigns WHERE subject_id = $1 AND kind = $2 AND status <> $3)`,
			subjectID, naive.Campaign10DLC, naive.CampaignRejected).Scan(&locked); err != nil {
			return err
		}
		if locked {
			return store.ErrConflict
		}
		var fields []byte
		err := tx.QueryRow(ctx, `SELECT fields FROM campaign_contents WHERE subject_id = $1`, subjectID).Scan(&fields)
		switch {
		case err == nil:
			if err := json.Unmarshal(fields, &c.Fields); err != nil {
				return err
			}
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		c.Fields.Merge(patch)
		b, err := json.Marshal(c.Fields)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO campaign_contents
			(subject_id, operator_id, mode, fields, updated_by_type, updated_by_id, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (subject_id) DO UPDATE SET fields = excluded.fields, updated_by_type = excluded.updated_by_type,
				updated_by_id = excluded.updated_by_id, updated_at = excluded.updated_at`,
			subjectID, sc.OperatorID, sc.Mode, string(b), by.Type, by.ID, c.UpdatedAt)
		return err
	})
	if err != nil {
		return nil, err
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
