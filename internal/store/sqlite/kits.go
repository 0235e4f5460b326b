package sqlite

import (
	"context"
	"encoding/json"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// CreateOperator stores another operator (tenant); an id taken is a conflict.
func (db *DB) CreateOperator(ctx context.Context, o *naive.Operator) error {
	return insertOperator(ctx, db.writer, "CreateOperator", o)
}

const kitCols = `id, operator_id, mode, name, primitives_config, created_at, updated_at`

func scanKit(s scanner) (*naive.AccountKit, error) {
	var (
		k   naive.AccountKit
		cfg string
	)
	if err := s.Scan(&k.ID, &k.OperatorID, &k.Mode, &k.Name, &cfg, timeCol{&k.CreatedAt}, timeCol{&k.UpdatedAt}); err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal([]byte(cfg), &k.PrimitivesConfig); err != nil {
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
	_, err = db.writer.ExecContext(ctx, `INSERT INTO account_kits (`+kitCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.OperatorID, k.Mode, k.Name, cfg, ts(k.CreatedAt), ts(k.UpdatedAt))
	return mapErr(err)
}

// GetKit returns a kit in scope.
func (db *DB) GetKit(ctx context.Context, sc naive.Scope, id string) (*naive.AccountKit, error) {
	return scanKit(db.reader.QueryRowContext(ctx, `SELECT `+kitCols+` FROM account_kits
		WHERE operator_id = ? AND mode = ? AND id = ?`, sc.OperatorID, sc.Mode, id))
}

// ListKits lists kits, newest first.
func (db *DB) ListKits(ctx context.Context, sc naive.Scope, p naive.Page) ([]naive.AccountKit, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+kitCols+` FROM account_kits
		WHERE operator_id = ? AND mode = ? AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?`,
		sc.OperatorID, sc.Mode, p.After, p.After, limit(p.Limit))
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
	got, err := scanKit(db.writer.QueryRowContext(ctx, `UPDATE account_kits SET name = ?, primitives_config = ?, updated_at = ?
		WHERE operator_id = ? AND mode = ? AND id = ? RETURNING `+kitCols,
		k.Name, cfg, ts(k.UpdatedAt), k.OperatorID, k.Mode, k.ID))
	if err != nil {
		return err
	}
	k.CreatedAt = got.CreatedAt
	return nil
}

// DeleteKit deletes a kit in scope, first clearing it from the subjects
// it was assigned to, in one transaction.
func (db *DB) DeleteKit(ctx context.Context, sc naive.Scope, id string) error {
	return db.tx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `UPDATE subjects SET account_kit_id = NULL
			WHERE account_kit_id = ? AND operator_id = ? AND mode = ?`, id, sc.OperatorID, sc.Mode); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM account_kits WHERE operator_id = ? AND mode = ? AND id = ?`,
			sc.OperatorID, sc.Mode, id)
		return affected(res, err, store.ErrNotFound)
	})
}

// AssignKit sets a subject's kit, or clears it when kitID is "", and its
// UpdatedAt. The subject and the kit must both be in sc: the check is part
// of the one UPDATE, so a kit deleted meanwhile cannot be assigned.
func (db *DB) AssignKit(ctx context.Context, sc naive.Scope, subjectID, kitID string, at time.Time) error {
	kit := nullID(kitID)
	res, err := db.writer.ExecContext(ctx, `UPDATE subjects SET account_kit_id = ?, updated_at = ?
		WHERE operator_id = ? AND mode = ? AND id = ? AND deleted_at IS NULL AND `+kitInScope,
		kit, ts(at), sc.OperatorID, sc.Mode, subjectID, kit, kit, sc.OperatorID, sc.Mode)
	return affected(res, err, store.ErrNotFound)
}
