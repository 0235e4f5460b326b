package sqlite

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
	res, err := db.writer.ExecContext(ctx, `INSERT INTO carrier_events (id, mode, type, account_id, payload, received_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		ev.ID, ev.Mode, ev.Type, ev.AccountID, string(ev.Payload), ts(ev.ReceivedAt))
	if err != nil {
		return false, mapErr(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
