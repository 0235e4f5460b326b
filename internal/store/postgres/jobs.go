package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Jobs enqueues the background jobs that rows written by the store need,
// inside the transaction that writes them, so a job exists exactly when
// its row does: a rolled-back write leaves no job, a committed one cannot
// lose its job. internal/jobs implements it on River. A transaction the
// store retries (deadlock, serialization failure) calls it again, and so
// does a phase the store first sent as one piped batch (no transaction to
// hand over) and runs again in a transaction because an event of it has
// an endpoint: the piped attempt stored nothing and called nothing.
type Jobs interface {
	// ApprovalCreated enqueues the expiry of a new pending approval, due
	// at a.ExpiresAt. An error rolls the approval back.
	ApprovalCreated(ctx context.Context, tx pgx.Tx, a *naive.Approval) error
	// EventCreated enqueues the delivery of a new event to the webhook
	// endpoints that want it. The store calls it only when the event's
	// scope (operator and mode) has at least one endpoint, checked by the
	// statement that stores the event, so events nobody receives cost no
	// job. An error rolls the event (and its row) back.
	EventCreated(ctx context.Context, tx pgx.Tx, ev *naive.Event) error
	// SandboxTaskDue enqueues a sandbox task, due at t.Due. An error rolls the sandbox write back.
	SandboxTaskDue(ctx context.Context, tx pgx.Tx, t store.SandboxTask) error
	// MessageScheduled enqueues the send of a scheduled text, due at
	// job.Due. An error rolls the message back.
	MessageScheduled(ctx context.Context, tx pgx.Tx, m *naive.Message, job store.ScheduledSend) error
}

// SetJobs makes the store enqueue its rows' jobs through j (nil: none).
// Call it before the store is shared: the app does once River is set up
// on Pool.
func (db *DB) SetJobs(j Jobs) { db.jobs = j }

// Pool is the store's connection pool, which River on this database shares.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }
