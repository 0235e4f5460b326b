package postgres

import (
	"context"

	"github.com/naive-oss/naive/internal/store"
)

// RecordCarrierEvent inserts a carrier event unless its id is known.
func (db *DB) RecordCarrierEvent(ctx context.Context, ev *store.CarrierEvent) (bool, error) {
	if ev.ReceivedAt.IsZero() {
		return false, required("RecordCarrierEvent", "ReceivedAt")
	}
	ev.ReceivedAt = norm(ev.ReceivedAt)
	tag, err := db.pool.Exec(ctx, `INSERT INTO carrier_events (id, mode, type, account_id, payload, received_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
		ev.ID, ev.Mode, ev.Type, ev.AccountID, string(ev.Payload), norm(ev.ReceivedAt))
	if err != nil {
		return false, mapErr(err)
	}
	return tag.RowsAffected() == 1, nil
}
