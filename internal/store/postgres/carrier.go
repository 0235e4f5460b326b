package postgres

import (
	"context"

	"github.com/naive-oss/naive/internal/store"
)

// checkCarrierEvent is the error of method given a carrier event, not
// nil, without its time.
func checkCarrierEvent(method string, ev *store.CarrierEvent) error {
	if ev != nil && ev.ReceivedAt.IsZero() {
		return required(method, "carrier event ReceivedAt")
	}
	return nil
}

const carrierEventSQL = `INSERT INTO carrier_events (id, mode, type, account_id, payload, received_at)
	VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`

// insertCarrierEvent inserts ev (checked) unless its id is known,
// reporting whether it is new; a nil ev is new. The primary key decides:
// a concurrent delivery of the same event waits for the first to commit,
// then inserts nothing.
func insertCarrierEvent(ctx context.Context, q querier, ev *store.CarrierEvent) (bool, error) {
	if ev == nil {
		return true, nil
	}
	ev.ReceivedAt = norm(ev.ReceivedAt)
	tag, err := q.Exec(ctx, carrierEventSQL, ev.ID, ev.Mode, ev.Type, ev.AccountID, string(ev.Payload), ev.ReceivedAt)
	if err != nil {
		return false, mapErr(err)
	}
	return tag.RowsAffected() == 1, nil
}

// RecordCarrierEvent inserts a carrier event unless its id is known.
func (db *DB) RecordCarrierEvent(ctx context.Context, ev *store.CarrierEvent) (bool, error) {
	if ev.ReceivedAt.IsZero() {
		return false, required("RecordCarrierEvent", "ReceivedAt")
	}
	return insertCarrierEvent(ctx, db.pool, ev)
}
