package postgres

import (
	"context"
	"time"

	"github.com/naive-oss/naive/internal/naive"
)

// GetOperatorCarriers returns the carriers the administrator gave an
// operator in a mode. Errors: ErrNotFound (none given).
func (db *DB) GetOperatorCarriers(ctx context.Context, sc naive.Scope) (*naive.OperatorCarriers, error) {
	var c naive.OperatorCarriers
	err := db.pool.QueryRow(ctx, `SELECT default_carrier, fallback_carrier, updated_at FROM operator_carriers
		WHERE operator_id = $1 AND mode = $2`, sc.OperatorID, sc.Mode).Scan(&c.Default, &c.Fallback, &c.UpdatedAt)
	if err != nil {
		return nil, mapErr(err)
	}
	return &c, nil
}

// SetOperatorCarriers stores (replaces) an operator's carriers in a mode.
// Errors: ErrNotFound (no such operator).
func (db *DB) SetOperatorCarriers(ctx context.Context, sc naive.Scope, def, fallback string, at time.Time) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO operator_carriers (operator_id, mode, default_carrier, fallback_carrier, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (operator_id, mode) DO UPDATE SET default_carrier = excluded.default_carrier,
		fallback_carrier = excluded.fallback_carrier, updated_at = excluded.updated_at`, sc.OperatorID, sc.Mode, def, fallback, norm(at))
	return mapErr(err)
}
