package sqlite

import (
	"context"

	"github.com/naive-oss/naive/internal/store"
)

// checkCarrierEvent is the error of method given a carrier event, not nil,
// without its time.
func checkCarrierEvent(method string, ev *store.CarrierEvent) error {
	if ev != nil && ev.ReceivedAt.IsZero() {
		return required(method, "carrier event ReceivedAt")
	}
	return nil
}

// insertCarrierEvent inserts ev unless its id is known, reporting whether
// it is new; a nil ev is new. The primary key decides, so of concurrent
// deliveries of one event exactly one is new.
func insertCarrierEvent(ctx context.Context, ex execer, ev *store.CarrierEvent) (bool, error) {
	if ev == nil {
		return true, nil
	}
	ev.ReceivedAt = norm(ev.ReceivedAt)
	res, err := ex.ExecContext(ctx, `INSERT INTO carrier_events (id, mode, type, account_id, payload, received_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		ev.ID, ev.Mode, ev.Type, ev.AccountID, string(ev.Payload), ts(ev.ReceivedAt))
	if err != nil {
		return false, mapErr(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RecordCarrierEvent inserts a carrier event unless its id is known.
func (db *DB) RecordCarrierEvent(ctx context.Context, ev *store.CarrierEvent) (bool, error) {
	if ev.ReceivedAt.IsZero() {
		return false, required("RecordCarrierEvent", "ReceivedAt")
	}
	return insertCarrierEvent(ctx, db.writer, ev)
}
