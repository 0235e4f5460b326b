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

// CreateOperator stores another operator (tenant); an id taken is a conflict.
func (db *DB) CreateOperator(ctx context.Context, o *naive.Operator) error {
	return insertOperator(ctx, db.pool, "CreateOperator", o)
}

const kitCols = `id, operator_id, mode, name, primitives_config, created_at, updated_at`

func scanKit(r pgx.Row) (*naive.AccountKit, error) {
	var (
		k   naive.AccountKit
		cfg []byte
	)
	if err := r.Scan(&k.ID, &k.OperatorID, &k.Mode, &k.Name, &cfg, &k.CreatedAt, &k.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(cfg, &k.PrimitivesConfig); err != nil {
		return nil, err
	}
	return &k, nil
}

// kitConfig returns the JSON of a kit's config and writes back the config
// as it will read (a nil map reads as an empty one).
func kitConfig(k *naive.AccountKit) (string, error) {
	if k.PrimitivesConfig == nil {
		k.PrimitivesConfig = map[string]naive.PrimitiveConfig{}
	}
	b, err := json.Marshal(k.PrimitivesConfig)
	if err != nil {
		return "", err
	}
	var back map[string]naive.PrimitiveConfig
	if err := json.Unmarshal(b, &back); err != nil {
		return "", err
	}
	k.PrimitivesConfig = back
	return string(b), nil
}

// CreateKit stores an Account Kit.
func (db *DB) CreateKit(ctx context.Context, k *naive.AccountKit) error {
	if k.ID == "" || k.CreatedAt.IsZero() {
		return required("CreateKit", "ID", "CreatedAt")
	}
	k.CreatedAt = norm(k.CreatedAt)
	if k.UpdatedAt.IsZero() {
		k.UpdatedAt = k.CreatedAt
	}
	k.UpdatedAt = norm(k.UpdatedAt)
	cfg, err := kitConfig(k)
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO account_kits (`+kitCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		k.ID, k.OperatorID, k.Mode, k.Name, cfg, k.CreatedAt, k.UpdatedAt)
	return mapErr(err)
}

// GetKit returns a kit in scope.
func (db *DB) GetKit(ctx context.Context, sc naive.Scope, id string) (*naive.AccountKit, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+kitCols+` FROM account_kits
		WHERE operator_id = $1 AND mode = $2 AND id = $3`, sc.OperatorID, sc.Mode, id), scanKit)
}

// ListKits lists kits, newest first.
func (db *DB) ListKits(ctx context.Context, sc naive.Scope, p naive.Page) ([]naive.AccountKit, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+kitCols+` FROM account_kits
		WHERE operator_id = $1 AND mode = $2 AND ($3 = '' OR id < $3) ORDER BY id DESC LIMIT $4`,
		sc.OperatorID, sc.Mode, p.After, limit(p.Limit))
	return collect(rows, err, scanKit)
}

// UpdateKit stores a kit's name, config and UpdatedAt (required), and
// writes back the stored CreatedAt.
func (db *DB) UpdateKit(ctx context.Context, k *naive.AccountKit) error {
	if k.UpdatedAt.IsZero() {
		return required("UpdateKit", "UpdatedAt")
	}
	k.UpdatedAt = norm(k.UpdatedAt)
	cfg, err := kitConfig(k)
	if err != nil {
		return err
	}
	got, err := one(db.pool.QueryRow(ctx, `UPDATE account_kits SET name = $1, primitives_config = $2, updated_at = $3
		WHERE operator_id = $4 AND mode = $5 AND id = $6 RETURNING `+kitCols,
		k.Name, cfg, k.UpdatedAt, k.OperatorID, k.Mode, k.ID), scanKit)
	if err != nil {
		return err
	}
	k.CreatedAt = got.CreatedAt
	return nil
}

// DeleteKit deletes a kit in scope after clearing it from the subjects it
// was assigned to, in one transaction. It locks the kit first: an
// AssignKit of it then waits on the foreign key check and fails once the
// kit is gone, so no subject is left pointing at it.
func (db *DB) DeleteKit(ctx context.Context, sc naive.Scope, id string) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		var got string
		err := tx.QueryRow(ctx, `SELECT id FROM account_kits WHERE operator_id = $1 AND mode = $2 AND id = $3 FOR UPDATE`,
			sc.OperatorID, sc.Mode, id).Scan(&got)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE subjects SET account_kit_id = NULL
			WHERE account_kit_id = $1 AND operator_id = $2 AND mode = $3`, id, sc.OperatorID, sc.Mode); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM account_kits WHERE id = $1`, id)
		return err
	})
}

// AssignKit sets a subject's kit, or clears it when kitID is "", and its
// UpdatedAt. The foreign key to (kit, operator, mode) rejects a kit not in
// the subject's scope, or deleted meanwhile, as not found.
func (db *DB) AssignKit(ctx context.Context, sc naive.Scope, subjectID, kitID string, at time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE subjects SET account_kit_id = $1, updated_at = $2
		WHERE operator_id = $3 AND mode = $4 AND id = $5 AND deleted_at IS NULL`,
		nullID(kitID), norm(at), sc.OperatorID, sc.Mode, subjectID)
	return affected(tag, err, store.ErrNotFound)
}
