package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// errNoSecret guards CreateWebhookEndpoint from storing an endpoint whose
// deliveries could not be signed.
var errNoSecret = errors.New("postgres: webhook endpoint without a signing secret")

const endpointCols = `id, operator_id, mode, url, event_types, signing_secret, agent_id, created_at`

func scanEndpoint(r pgx.Row) (*naive.WebhookEndpoint, error) {
	var (
		e     naive.WebhookEndpoint
		types []byte
		agent *string
	)
	if err := r.Scan(&e.ID, &e.OperatorID, &e.Mode, &e.URL, &types, &e.SigningSecret, &agent, &e.CreatedAt); err != nil {
		return nil, err
	}
	if agent != nil {
		e.AgentID = *agent
	}
	var err error
	if e.EventTypes, err = decodeStrings(types); err != nil {
		return nil, err
	}
	return &e, nil
}

// CreateWebhookEndpoint stores e with its signing secret (e.SigningSecret,
// or e.Secret when that is empty, written back). An agent of another
// scope is not found.
func (db *DB) CreateWebhookEndpoint(ctx context.Context, e *naive.WebhookEndpoint) error {
	return insertEndpoint(ctx, db.pool, "CreateWebhookEndpoint", e)
}

// insertEndpoint stores e; method names the caller in errors.
func insertEndpoint(ctx context.Context, q querier, method string, e *naive.WebhookEndpoint) error {
	if e.SigningSecret == "" {
		e.SigningSecret = e.Secret
	}
	if e.SigningSecret == "" {
		return errNoSecret
	}
	if e.ID == "" || e.CreatedAt.IsZero() {
		return required(method, "endpoint ID", "CreatedAt")
	}
	e.CreatedAt = norm(e.CreatedAt)
	types, err := encodeStrings(&e.EventTypes)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO webhook_endpoints (`+endpointCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.ID, e.OperatorID, e.Mode, e.URL, types, e.SigningSecret, nullID(e.AgentID), e.CreatedAt)
	return mapErr(err)
}

// GetWebhookEndpoint returns an endpoint in scope with its signing secret.
func (db *DB) GetWebhookEndpoint(ctx context.Context, sc naive.Scope, id string) (*naive.WebhookEndpoint, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
		WHERE operator_id = $1 AND mode = $2 AND id = $3`, sc.OperatorID, sc.Mode, id), scanEndpoint)
}

// ListWebhookEndpoints lists the scope's endpoints newest first, agents'
// own endpoints only when agents is true.
func (db *DB) ListWebhookEndpoints(ctx context.Context, sc naive.Scope, agents bool, p naive.Page) ([]naive.WebhookEndpoint, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
		WHERE operator_id = $1 AND mode = $2 AND ($3 OR agent_id IS NULL) AND ($4 = '' OR id < $4)
		ORDER BY id DESC LIMIT $5`,
		sc.OperatorID, sc.Mode, agents, p.After, limit(p.Limit))
	return collect(rows, err, scanEndpoint)
}

// DeleteWebhookEndpoint deletes an endpoint in scope; its deliveries and
// their attempts go with it (ON DELETE CASCADE), so none is tried again.
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, sc naive.Scope, id string) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM webhook_endpoints WHERE operator_id = $1 AND mode = $2 AND id = $3`,
		sc.OperatorID, sc.Mode, id)
	return affected(tag, err, store.ErrNotFound)
}

// GetEvent returns an event of any tenant.
func (db *DB) GetEvent(ctx context.Context, id string) (*naive.Event, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+eventCols+` FROM events WHERE id = $1`, id), scanEvent)
}

const deliveryCols = `id, endpoint_id, event_id, operator_id, mode, event_type, status, next_attempt_at, created_at, updated_at`

func scanDelivery(r pgx.Row) (*naive.Delivery, error) {
	var d naive.Delivery
	if err := r.Scan(&d.ID, &d.EndpointID, &d.EventID, &d.OperatorID, &d.Mode, &d.EventType, &d.Status,
		&d.NextTryAt, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return nil, err
	}
	d.Attempts = []naive.Attempt{}
	return &d, nil
}

// CreateDelivery stores d as a pending delivery unless its endpoint has
// one of its event, returning the stored delivery. The scope and event
// type are the endpoint's and the event's: an endpoint and event of
// different tenants, or either unknown, is not found. The unique
// (endpoint_id, event_id) decides between concurrent creators: the second
// waits for the first to commit, does nothing, and reads its row.
func (db *DB) CreateDelivery(ctx context.Context, d *naive.Delivery) (*naive.Delivery, bool, error) {
	if d.ID == "" || d.CreatedAt.IsZero() {
		return nil, false, required("CreateDelivery", "ID", "CreatedAt")
	}
	d.CreatedAt = norm(d.CreatedAt)
	d.UpdatedAt = d.CreatedAt
	d.NextTryAt = normPtr(d.NextTryAt)
	d.Status = naive.DeliveryPending
	var (
		out     *naive.Delivery
		created bool
	)
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (`+deliveryCols+`)
			SELECT $1, w.id, e.id, w.operator_id, w.mode, e.type, $2, $3, $4, $5
			FROM webhook_endpoints w JOIN events e ON e.operator_id = w.operator_id AND e.mode = w.mode
			WHERE w.id = $6 AND e.id = $7
			ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
			d.ID, d.Status, d.NextTryAt, d.CreatedAt, d.UpdatedAt, d.EndpointID, d.EventID)
		if err != nil {
			return err
		}
		created = tag.RowsAffected() == 1
		out, err = scanDelivery(tx.QueryRow(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries
			WHERE endpoint_id = $1 AND event_id = $2`, d.EndpointID, d.EventID))
		if err != nil {
			return err
		}
		return loadAttempts(ctx, tx, []*naive.Delivery{out}, `delivery_id = $1`, out.ID)
	})
	if err != nil {
		return nil, false, err
	}
	if created {
		*d = *out
	}
	return out, created, nil
}

// loadAttempts fills the attempts, in order, of ds: those whose delivery
// matches where (a condition on delivery_id with args).
func loadAttempts(ctx context.Context, q querier, ds []*naive.Delivery, where string, args ...any) error {
	if len(ds) == 0 {
		return nil
	}
	byID := make(map[string]*naive.Delivery, len(ds))
	for _, d := range ds {
		byID[d.ID] = d
	}
	rows, err := q.Query(ctx, `SELECT delivery_id, n, status_code, error, duration_ms, at FROM webhook_attempts
		WHERE `+where+` ORDER BY delivery_id, n`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id string
			a  naive.Attempt
		)
		if err := rows.Scan(&id, &a.N, &a.StatusCode, &a.Error, &a.DurationMS, &a.At); err != nil {
			return err
		}
		if d := byID[id]; d != nil {
			d.Attempts = append(d.Attempts, a)
		}
	}
	return rows.Err()
}

// readTx runs fn in a read-only REPEATABLE READ transaction, so a delivery
// and its attempts are read from one snapshot.
func (db *DB) readTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return mapErr(pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn))
}

// GetDelivery returns a delivery of any tenant with its attempts.
func (db *DB) GetDelivery(ctx context.Context, id string) (*naive.Delivery, error) {
	var d *naive.Delivery
	err := db.readTx(ctx, func(tx pgx.Tx) (err error) {
		d, err = scanDelivery(tx.QueryRow(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE id = $1`, id))
		if err != nil {
			return err
		}
		return loadAttempts(ctx, tx, []*naive.Delivery{d}, `delivery_id = $1`, id)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// RecordAttempt appends a (numbered next by the store, whatever a.N) to a
// pending delivery and sets its status, next attempt time and updated_at
// (a.At) in one transaction. The UPDATE's status check runs under the
// row lock, so concurrent recorders queue, each numbering after the one
// before, and nothing is appended to a delivery that has finished or been
// deleted with its endpoint.
func (db *DB) RecordAttempt(ctx context.Context, deliveryID string, a naive.Attempt, status string, next *time.Time) error {
	if a.At.IsZero() {
		return required("RecordAttempt", "attempt At")
	}
	a.At = norm(a.At)
	next = normPtr(next)
	return db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, updated_at = $3
			WHERE id = $4 AND status = 'pending'`, status, next, a.At, deliveryID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = $1)`,
				deliveryID).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return store.ErrNotFound
			}
			return store.ErrConflict
		}
		_, err = tx.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, n, status_code, error, duration_ms, at)
			SELECT $1, COALESCE(MAX(n), 0) + 1, $2, $3, $4, $5 FROM webhook_attempts WHERE delivery_id = $1`,
			deliveryID, a.StatusCode, a.Error, a.DurationMS, a.At)
		return err
	})
}

// ListDeliveries lists an endpoint's deliveries in scope newest first,
// each with its attempts, read from one snapshot.
func (db *DB) ListDeliveries(ctx context.Context, sc naive.Scope, endpointID string, p naive.Page) ([]naive.Delivery, error) {
	const page = `SELECT id FROM webhook_deliveries WHERE operator_id = $1 AND mode = $2 AND endpoint_id = $3
		AND ($4 = '' OR id < $4) ORDER BY id DESC LIMIT $5`
	args := []any{sc.OperatorID, sc.Mode, endpointID, p.After, limit(p.Limit)}
	var out []naive.Delivery
	err := db.readTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE id IN (`+page+`)
			ORDER BY id DESC`, args...)
		if out, err = collect(rows, err, scanDelivery); err != nil {
			return err
		}
		ds := make([]*naive.Delivery, len(out))
		for i := range out {
			ds[i] = &out[i]
		}
		return loadAttempts(ctx, tx, ds, `delivery_id IN (`+page+`)`, args...)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RecordResend appends a to a finished delivery of the endpoint and sets
// its status, in one transaction: the UPDATE's status check runs under the
// row lock, so a pending delivery (its retries still running) is left
// alone.
func (db *DB) RecordResend(ctx context.Context, sc naive.Scope, endpointID, id string, a naive.Attempt, status string) (*naive.Delivery, error) {
	if a.At.IsZero() || (status != naive.DeliverySucceeded && status != naive.DeliveryFailed) {
		return nil, required("RecordResend", "attempt At", "a final status")
	}
	a.At = norm(a.At)
	var d *naive.Delivery
	err := db.tx(ctx, func(tx pgx.Tx) (err error) {
		d, err = scanDelivery(tx.QueryRow(ctx, `UPDATE webhook_deliveries SET status = $1, next_attempt_at = NULL, updated_at = $2
			WHERE operator_id = $3 AND mode = $4 AND endpoint_id = $5 AND id = $6 AND status IN ('succeeded', 'failed')
			RETURNING `+deliveryCols, status, a.At, sc.OperatorID, sc.Mode, endpointID, id))
		if errors.Is(err, pgx.ErrNoRows) {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_deliveries
				WHERE operator_id = $1 AND mode = $2 AND endpoint_id = $3 AND id = $4)`, sc.OperatorID, sc.Mode, endpointID, id).Scan(&exists); err != nil {
				return err
			}
			if exists {
				return store.ErrConflict
			}
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, n, status_code, error, duration_ms, at)
			SELECT $1, COALESCE(MAX(n), 0) + 1, $2, $3, $4, $5 FROM webhook_attempts WHERE delivery_id = $1`,
			id, a.StatusCode, a.Error, a.DurationMS, a.At); err != nil {
			return err
		}
		return loadAttempts(ctx, tx, []*naive.Delivery{d}, `delivery_id = $1`, id)
	})
	if err != nil {
		return nil, mapErr(err)
	}
	return d, nil
}
