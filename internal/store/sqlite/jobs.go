package sqlite

import (
	"context"
	"database/sql"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Jobs enqueues the background jobs that rows written by the store need,
// inside the transaction that writes them, so a job exists exactly when
// its row does: a rolled-back write leaves no job, a committed one cannot
// lose its job. internal/jobs implements it on River.
type Jobs interface {
	// ApprovalCreated enqueues the expiry of a new pending approval, due
	// at a.ExpiresAt. An error rolls the approval back.
	ApprovalCreated(ctx context.Context, tx *sql.Tx, a *naive.Approval) error
	// EventCreated enqueues the delivery of a new event to the webhook
	// endpoints that want it. The store calls it only when the event's
	// scope (operator and mode) has at least one endpoint, checked in the
	// same transaction, so events nobody receives cost no job. An error
	// rolls the event (and its row) back.
	EventCreated(ctx context.Context, tx *sql.Tx, ev *naive.Event) error
	// SandboxTaskDue enqueues a sandbox task, due at t.Due. An error rolls the sandbox write back.
	SandboxTaskDue(ctx context.Context, tx *sql.Tx, t store.SandboxTask) error
	// MessageScheduled enqueues the send of a scheduled text, due at
	// job.Due. An error rolls the message back.
	MessageScheduled(ctx context.Context, tx *sql.Tx, m *naive.Message, job store.ScheduledSend) error
}

// SetJobs makes the store enqueue its rows' jobs through j (nil: none).
// Call it before the store is shared: the app does once River is set up
// on Writer.
func (db *DB) SetJobs(j Jobs) { db.jobs = j }

// Writer is the store's one writer connection. River on this database
// must use it: then its queries queue with the store's writes in
// database/sql, never against them in SQLite's lock (SQLITE_BUSY), and
// its transactions BEGIN IMMEDIATE too.
func (db *DB) Writer() *sql.DB { return db.w }
