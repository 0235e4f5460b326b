package sqlite

import (
	"context"
	"time"

	"github.com/naive-oss/naive/internal/naive"
)

// GetOperatorCarriers returns the carriers the administrator gave an
// operator in a mode. Errors: ErrNotFound (none given).
func (db *DB) GetOperatorCarriers(ctx context.Context, sc naive.Scope) (*naive.OperatorCarriers, error) {
	var c naive.OperatorCarriers
	err := db.reader.QueryRowContext(ctx, `SELECT default_carrier, fallback_carrier, updated_at FROM operator_carriers
		WHERE operator_id = ? AND mode = ?`, sc.OperatorID, sc.Mode).Scan(&c.Default, &c.Fallback, timeCol{&c.UpdatedAt})
	if err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// SetOperatorCarriers stores (replaces) an operator's carriers in a mode.
// Errors: ErrNotFound (no such operator).
func (db *DB) SetOperatorCarriers(ctx context.Context, sc naive.Scope, def, fallback string, at time.Time) error {
	_, err := db.writer.ExecContext(ctx, `INSERT INTO operator_carriers (operator_id, mode, default_carrier, fallback_carrier, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (operator_id, mode) DO UPDATE SET default_carrier = excluded.default_carrier,
		fallback_carrier = excluded.fallback_carrier, updated_at = excluded.updated_at`, sc.OperatorID, sc.Mode, def, fallback, ts(at))
	return mapErr(err)
}
