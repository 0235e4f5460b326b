package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// errNoSecret guards CreateWebhookEndpoint from storing an endpoint whose
// deliveries could not be signed.
var errNoSecret = errors.New("sqlite: webhook endpoint without a signing secret")

const endpointCols = `id, operator_id, mode, url, event_types, signing_secret, agent_id, created_at`

func scanEndpoint(s scanner) (*naive.WebhookEndpoint, error) {
	var (
		e     naive.WebhookEndpoint
		agent sql.NullString
	)
	if err := s.Scan(&e.ID, &e.OperatorID, &e.Mode, &e.URL, stringsCol{&e.EventTypes}, &e.SigningSecret, &agent,
		timeCol{&e.CreatedAt}); err != nil {
		return nil, notFound(err)
	}
	e.AgentID = agent.String
	return &e, nil
}

// CreateWebhookEndpoint stores e with its signing secret (e.SigningSecret,
// or e.Secret when that is empty, written back). An agent of another
// scope is not found.
func (db *DB) CreateWebhookEndpoint(ctx context.Context, e *naive.WebhookEndpoint) error {
	return insertEndpoint(ctx, db.writer, "CreateWebhookEndpoint", e)
}

// insertEndpoint stores e; method names the caller in errors.
func insertEndpoint(ctx context.Context, ex execer, method string, e *naive.WebhookEndpoint) error {
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
	_, err = ex.ExecContext(ctx, `INSERT INTO webhook_endpoints (`+endpointCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.OperatorID, e.Mode, e.URL, types, e.SigningSecret, nullID(e.AgentID), ts(e.CreatedAt))
	return mapErr(err)
}

// GetWebhookEndpoint returns an endpoint in scope with its signing secret.
func (db *DB) GetWebhookEndpoint(ctx context.Context, sc naive.Scope, id string) (*naive.WebhookEndpoint, error) {
	return scanEndpoint(db.reader.QueryRowContext(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
		WHERE operator_id = ? AND mode = ? AND id = ?`, sc.OperatorID, sc.Mode, id))
}

// ListWebhookEndpoints lists the scope's endpoints newest first, agents'
// own endpoints only when agents is true.
func (db *DB) ListWebhookEndpoints(ctx context.Context, sc naive.Scope, agents bool, p naive.Page) ([]naive.WebhookEndpoint, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
		WHERE operator_id = ? AND mode = ? AND (? OR agent_id IS NULL) AND (? = '' OR id < ?)
		ORDER BY id DESC LIMIT ?`,
		sc.OperatorID, sc.Mode, agents, p.After, p.After, limit(p.Limit))
	return collect(rows, err, scanEndpoint)
}

// DeleteWebhookEndpoint deletes an endpoint in scope; its deliveries and
// their attempts go with it (ON DELETE CASCADE), so none is tried again.
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, sc naive.Scope, id string) error {
	res, err := db.writer.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE operator_id = ? AND mode = ? AND id = ?`,
		sc.OperatorID, sc.Mode, id)
	return affected(res, err, store.ErrNotFound)
}

// GetEvent returns an event of any tenant.
func (db *DB) GetEvent(ctx context.Context, id string) (*naive.Event, error) {
	return scanEvent(db.reader.QueryRowContext(ctx, `SELECT `+eventCols+` FROM events WHERE id = ?`, id))
}

const deliveryCols = `id, endpoint_id, event_id, operator_id, mode, event_type, status, next_attempt_at, created_at, updated_at`

func scanDelivery(s scanner) (*naive.Delivery, error) {
	var d naive.Delivery
	if err := s.Scan(&d.ID, &d.EndpointID, &d.EventID, &d.OperatorID, &d.Mode, &d.EventType, &d.Status,
		nullTimeCol{&d.NextTryAt}, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt}); err != nil {
		return nil, notFound(err)
	}
	d.Attempts = []naive.Attempt{}
	return &d, nil
}

// CreateDelivery stores d as a pending delivery unless its endpoint has
// one of its event, returning the stored delivery. The scope and event
// type are the endpoint's and the event's: an endpoint and event of
// different tenants, or either unknown, is not found. The unique
// (endpoint_id, event_id) decides between concurrent creators.
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
	err := db.tx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (`+deliveryCols+`)
			SELECT ?, w.id, e.id, w.operator_id, w.mode, e.type, ?, ?, ?, ?
			FROM webhook_endpoints w JOIN events e ON e.operator_id = w.operator_id AND e.mode = w.mode
			WHERE w.id = ? AND e.id = ?
			ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
			d.ID, d.Status, nts(d.NextTryAt), ts(d.CreatedAt), ts(d.UpdatedAt), d.EndpointID, d.EventID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		created = n == 1
		out, err = scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries
			WHERE endpoint_id = ? AND event_id = ?`, d.EndpointID, d.EventID))
		if err != nil {
			return err
		}
		return loadAttempts(ctx, tx, []*naive.Delivery{out}, `delivery_id = ?`, out.ID)
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
func loadAttempts(ctx context.Context, ex execer, ds []*naive.Delivery, where string, args ...any) error {
	if len(ds) == 0 {
		return nil
	}
	byID := make(map[string]*naive.Delivery, len(ds))
	for _, d := range ds {
		byID[d.ID] = d
	}
	rows, err := ex.QueryContext(ctx, `SELECT delivery_id, n, status_code, error, duration_ms, at FROM webhook_attempts
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
		if err := rows.Scan(&id, &a.N, &a.StatusCode, &a.Error, &a.DurationMS, timeCol{&a.At}); err != nil {
			return err
		}
		if d := byID[id]; d != nil {
			d.Attempts = append(d.Attempts, a)
		}
	}
	return rows.Err()
}

// readTx runs fn in a read transaction on the reader pool, so a delivery
// and its attempts are read from one snapshot.
func (db *DB) readTx(ctx context.Context, fn func(*txn) error) error {
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	t := &txn{Tx: tx, pool: db.reader}
	defer func() {
		tx.Rollback()
		t.prepareMissed(ctx)
	}()
	return mapErr(fn(t))
}

// GetDelivery returns a delivery of any tenant with its attempts.
func (db *DB) GetDelivery(ctx context.Context, id string) (*naive.Delivery, error) {
	var d *naive.Delivery
	err := db.readTx(ctx, func(tx *txn) (err error) {
		d, err = scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE id = ?`, id))
		if err != nil {
			return err
		}
		return loadAttempts(ctx, tx, []*naive.Delivery{d}, `delivery_id = ?`, id)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// RecordAttempt appends a (numbered next by the store, whatever a.N) to a
// pending delivery and sets its status, next attempt time and updated_at
// (a.At) in one transaction. The status check is in the UPDATE, under the
// write lock, so nothing is appended to a delivery that has finished or
// been deleted with its endpoint.
func (db *DB) RecordAttempt(ctx context.Context, deliveryID string, a naive.Attempt, status string, next *time.Time) error {
	if a.At.IsZero() {
		return required("RecordAttempt", "attempt At")
	}
	a.At = norm(a.At)
	return db.tx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, updated_at = ?
			WHERE id = ? AND status = 'pending'`, status, nts(next), ts(a.At), deliveryID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			var exists bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = ?)`,
				deliveryID).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return store.ErrNotFound
			}
			return store.ErrConflict
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, n, status_code, error, duration_ms, at)
			SELECT ?, COALESCE(MAX(n), 0) + 1, ?, ?, ?, ? FROM webhook_attempts WHERE delivery_id = ?`,
			deliveryID, a.StatusCode, a.Error, a.DurationMS, ts(a.At), deliveryID)
		return err
	})
}

// ListDeliveries lists an endpoint's deliveries in scope newest first,
// each with its attempts, read from one snapshot.
func (db *DB) ListDeliveries(ctx context.Context, sc naive.Scope, endpointID string, p naive.Page) ([]naive.Delivery, error) {
	const page = `SELECT id FROM webhook_deliveries WHERE operator_id = ? AND mode = ? AND endpoint_id = ?
		AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?`
	args := []any{sc.OperatorID, sc.Mode, endpointID, p.After, p.After, limit(p.Limit)}
	var out []naive.Delivery
	err := db.readTx(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE id IN (`+page+`)
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
// its status, in one transaction: the status check is in the UPDATE, under
// the write lock, so a pending delivery (its retries still running) is
// left alone.
func (db *DB) RecordResend(ctx context.Context, sc naive.Scope, endpointID, id string, a naive.Attempt, status string) (*naive.Delivery, error) {
	if a.At.IsZero() || (status != naive.DeliverySucceeded && status != naive.DeliveryFailed) {
		return nil, required("RecordResend", "attempt At", "a final status")
	}
	a.At = norm(a.At)
	var d *naive.Delivery
	err := db.tx(ctx, func(tx *txn) (err error) {
		d, err = scanDelivery(tx.QueryRowContext(ctx, `UPDATE webhook_deliveries SET status = ?, next_attempt_at = NULL, updated_at = ?
			WHERE operator_id = ? AND mode = ? AND endpoint_id = ? AND id = ? AND status IN ('succeeded', 'failed')
			RETURNING `+deliveryCols, status, ts(a.At), sc.OperatorID, sc.Mode, endpointID, id))
		if errors.Is(err, store.ErrNotFound) {
			var exists bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_deliveries
				WHERE operator_id = ? AND mode = ? AND endpoint_id = ? AND id = ?)`, sc.OperatorID, sc.Mode, endpointID, id).Scan(&exists); err != nil {
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, n, status_code, error, duration_ms, at)
			SELECT ?, COALESCE(MAX(n), 0) + 1, ?, ?, ?, ? FROM webhook_attempts WHERE delivery_id = ?`,
			id, a.StatusCode, a.Error, a.DurationMS, ts(a.At), id); err != nil {
			return err
		}
		return loadAttempts(ctx, tx, []*naive.Delivery{d}, `delivery_id = ?`, id)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}
