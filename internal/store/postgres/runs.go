package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// SQLSTATEs that naive_fail (migration 0007) raises, mapped by mapErr to
// the store's errors.
const (
	codeKeyExists = "NV001" // store.ErrKeyExists
	codeLockLost  = "NV002" // store.ErrLockLost
	codeNoCredits = "NV003" // store.ErrInsufficientCredits
	codeNotFound  = "NV004" // store.ErrNotFound
	codeConflict  = "NV005" // store.ErrConflict
	// codeHooked: a pipelined phase stored an event whose scope has a
	// webhook endpoint, whose job needs a transaction; runPhase runs the
	// phase again in one.
	codeHooked = "NV006"
)

// errHooked is codeHooked as mapped, should it ever escape runPhase.
var errHooked = errors.New("postgres: event needs its delivery job")

// hasCode reports whether err is PostgreSQL's error code.
func hasCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// queue is the batch a phase's statements are sent in, and what they
// report back.
//
// A piped queue is the whole phase, sent alone: PostgreSQL runs it in the
// implicit transaction of its Sync and commits it before the client reads
// a result, so its statements must check every condition of the phase on
// the server (naive_fail); a callback can read results, never veto them.
type queue struct {
	db    *DB
	b     *pgx.Batch
	piped bool
	// hooked are the stored events whose scope has an endpoint, whose
	// EventCreated is due in the transaction.
	hooked []*naive.Event
}

func (db *DB) newQueue(piped bool) *queue {
	return &queue{db: db, b: &pgx.Batch{}, piped: piped}
}

// exec queues a statement whose result is only its success.
func (q *queue) exec(sql string, args ...any) { q.b.Queue(sql, args...) }

// row queues a statement returning one row, read by scan.
func (q *queue) row(scan func(pgx.Row) error, sql string, args ...any) {
	q.b.Queue(sql, args...).QueryRow(scan)
}

// send sends q on tx (or, when tx is nil, alone on the pool) and reads
// every result.
func (db *DB) send(ctx context.Context, tx pgx.Tx, q *queue) error {
	if q.b.Len() == 0 {
		return nil
	}
	if tx == nil {
		return db.pool.SendBatch(ctx, q.b).Close()
	}
	return tx.SendBatch(ctx, q.b).Close()
}

// enqueue calls EventCreated, in tx, for the events of q whose scope has
// a webhook endpoint.
func (db *DB) enqueue(ctx context.Context, tx pgx.Tx, q *queue) error {
	for _, ev := range q.hooked {
		if err := db.jobs.EventCreated(ctx, tx, ev); err != nil {
			return err
		}
	}
	return nil
}

// hookSQL is the RETURNING column of an event insert: whether the
// stored event's scope has a webhook endpoint, checked only when $h (the
// store enqueues jobs: EventCreated is called only for an event with an
// endpoint to deliver it to); with $f set, an endpoint fails the
// statement with that code instead.
// The event is the row of rel (the events table in a RETURNING).
func hookSQL(rel string, h, f int) string {
	return fmt.Sprintf(`CASE WHEN NOT $%d THEN false
		WHEN EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.operator_id = %s.operator_id AND w.mode = %s.mode)
		THEN naive_fail($%d) ELSE false END`, h, rel, rel, f)
}

// eventSQL is the insert of an event that defaults its type (when empty)
// to $5 and, with from set, its scope (when empty) to that of the row
// with id $10 in table from; without from the event's own scope is
// stored as is. It returns the stored scope and type, and hookSQL.
func eventSQL(from string) string {
	if from == "" {
		return `INSERT INTO events (` + eventCols + `) VALUES ($1, $2, $3, COALESCE(NULLIF($4, ''), $5), $6, $7)
			RETURNING operator_id, mode, type, ` + hookSQL("events", 8, 9)
	}
	return `INSERT INTO events (` + eventCols + `)
		SELECT $1, COALESCE(NULLIF($2, ''), s.operator_id), COALESCE(NULLIF($3, ''), s.mode),
		COALESCE(NULLIF($4, ''), $5), $6, $7 FROM ` + from + ` s WHERE s.id = $10
		RETURNING operator_id, mode, type, ` + hookSQL("events", 8, 9)
}

// eventArgs are the arguments of eventSQL; fail is the code hookSQL
// raises, or nil.
func (db *DB) eventArgs(ev *naive.Event, typ, from, fromID string, fail any) []any {
	ev.CreatedAt = norm(ev.CreatedAt)
	ev.Data = normRaw(ev.Data)
	args := []any{ev.ID, ev.OperatorID, ev.Mode, ev.Type, typ, ev.Data, ev.CreatedAt, db.jobs != nil, fail}
	if from != "" {
		args = append(args, fromID)
	}
	return args
}

// event queues the insert of ev, when not nil (see eventSQL); the
// caller checked it with checkEvent. It writes back the stored scope and
// type.
func (q *queue) event(ev *naive.Event, typ, from, fromID string) {
	if ev == nil {
		return
	}
	var fail any
	if q.piped {
		fail = codeHooked
	}
	q.row(func(r pgx.Row) error {
		var hook bool
		if err := r.Scan(&ev.OperatorID, &ev.Mode, &ev.Type, &hook); err != nil {
			return err
		}
		if hook {
			q.hooked = append(q.hooked, ev)
		}
		return nil
	}, eventSQL(from), q.db.eventArgs(ev, typ, from, fromID, fail)...)
}

// phase is one call of a method that records its run's progress: the
// method's own statements, then pr's, in one transaction.
type phase struct {
	method string
	// own queues the method's statements; it is called again for each
	// attempt, and its callbacks write results back.
	own func(q *queue)
	pr  *store.Progress
	// after runs in the transaction once the statements have (the jobs of
	// the rows written); a phase with after is never piped.
	after func(ctx context.Context, tx pgx.Tx) error
	// scopes are those of the events the phase stores, as known before
	// sending it (see hooks).
	scopes []naive.Scope
}

// runPhase runs p in as few round trips as it can:
//
//   - one, a piped batch, when nothing needs the client mid-way: no
//     Render, no jobs. A stored event whose scope has an endpoint fails
//     it (codeHooked) when the store enqueues jobs, and it runs again as
//     below, in a transaction that can enqueue the event's delivery.
//   - otherwise a batch that begins a transaction with the statements
//     (and pr's unless Render must see their results first), then pr's
//     after Render, the jobs, and COMMIT.
//
// Deadlocks and serialization failures are retried as in DB.tx.
func (db *DB) runPhase(ctx context.Context, p *phase) error {
	if err := checkProgress(p.method, p.pr); err != nil {
		return err
	}
	piped := p.pr.Render == nil && p.after == nil && !db.anyHooked(p.scopes)
	for attempt := 1; ; attempt++ {
		var err error
		if piped {
			err = db.pipeOnce(ctx, p)
			if hasCode(err, codeHooked) {
				db.setHooked(p.scopes, true)
				piped = false
				continue
			}
		} else {
			err = db.txOnce(ctx, p)
		}
		if attempt < maxAttempts && retryable(err) {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
			continue
		}
		return mapErr(err)
	}
}

func (db *DB) pipeOnce(ctx context.Context, p *phase) error {
	q := db.newQueue(true)
	p.own(q)
	queueProgress(q, p.pr)
	if err := db.send(ctx, nil, q); err != nil {
		return err
	}
	db.setHooked(p.scopes, false)
	return nil
}

func (db *DB) txOnce(ctx context.Context, p *phase) (err error) {
	q := db.newQueue(false)
	q.b.BeginTx(pgx.TxOptions{})
	p.own(q)
	if p.pr.Render == nil {
		queueProgress(q, p.pr)
	}
	br := db.pool.SendBatch(ctx, q.b)
	tx := br.Tx()
	defer func() {
		if err != nil {
			_ = tx.Rollback(ctx)
		}
	}()
	if err := br.Close(); err != nil {
		return err
	}
	if p.pr.Render != nil {
		p.pr.Render()
		q2 := db.newQueue(false)
		queueProgress(q2, p.pr)
		if err := db.send(ctx, tx, q2); err != nil {
			return err
		}
		q.hooked = append(q.hooked, q2.hooked...)
	}
	if db.jobs != nil {
		if err := db.enqueue(ctx, tx, q); err != nil {
			return err
		}
	}
	if p.after != nil {
		if err := p.after(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	db.setHooked(p.scopes, len(q.hooked) > 0)
	return nil
}

// hooks remembers the scopes last seen with a webhook endpoint, so a
// phase storing an event there skips the piped attempt that would fail.
// It is a hint: whatever it says, the endpoint is checked in the phase.
type hooks struct{ m sync.Map }

func (db *DB) anyHooked(scopes []naive.Scope) bool {
	if db.jobs == nil {
		return false
	}
	for _, sc := range scopes {
		if _, ok := db.hooks.m.Load(sc); ok {
			return true
		}
	}
	return false
}

func (db *DB) setHooked(scopes []naive.Scope, hooked bool) {
	if db.jobs == nil {
		return
	}
	for _, sc := range scopes {
		if hooked {
			db.hooks.m.Store(sc, struct{}{})
		} else {
			db.hooks.m.Delete(sc)
		}
	}
}

// eventScopes are the scopes of events, those known before storing them.
func eventScopes(events ...*naive.Event) []naive.Scope {
	var out []naive.Scope
	for _, ev := range events {
		if ev != nil && ev.OperatorID != "" && ev.Mode != "" {
			out = append(out, naive.Scope{OperatorID: ev.OperatorID, Mode: ev.Mode})
		}
	}
	return out
}

// applyProgress is the Progress helper of the methods that run in a
// transaction of their own (DB.tx): after their writes it calls Render
// and writes pr, in one round trip, with the jobs of the event it stores.
func (db *DB) applyProgress(ctx context.Context, tx pgx.Tx, pr *store.Progress) error {
	if pr.Render != nil {
		pr.Render()
	}
	q := db.newQueue(false)
	queueProgress(q, pr)
	if err := db.send(ctx, tx, q); err != nil {
		return err
	}
	if db.jobs != nil {
		return db.enqueue(ctx, tx, q)
	}
	return nil
}

// checkProgress checks pr before anything is sent, and normalises what it
// stores: the ids and times a Key record and an approval's outcome need.
func checkProgress(method string, pr *store.Progress) error {
	if pr.KeyOp != store.KeyNone {
		k := pr.Key
		if k == nil {
			return fmt.Errorf("postgres: %s: Progress.Key is required with its KeyOp", method)
		}
		switch pr.KeyOp {
		case store.KeyCreate:
			if k.CreatedAt.IsZero() {
				return required(method, "Key.CreatedAt")
			}
			k.CreatedAt = norm(k.CreatedAt)
			if k.UpdatedAt.IsZero() {
				k.UpdatedAt = k.CreatedAt
			}
			k.UpdatedAt = norm(k.UpdatedAt)
		case store.KeyUpdate:
			if k.UpdatedAt.IsZero() {
				return required(method, "Key.UpdatedAt")
			}
			k.UpdatedAt = norm(k.UpdatedAt)
		case store.KeyDelete:
		default:
			return fmt.Errorf("postgres: %s: unknown KeyOp %d", method, pr.KeyOp)
		}
	}
	if st := pr.Approval; st != nil {
		if st.ID == "" {
			return required(method, "Approval.ID")
		}
		if f := st.Finish; f != nil {
			if f.Status != naive.ApprovalExecuted && f.Status != naive.ApprovalFailed {
				return fmt.Errorf("postgres: %s: approval finished with status %q, want executed or failed", method, f.Status)
			}
			if _, err := encodeErrorObject(f.Error); err != nil {
				return err
			}
		}
		if err := checkEvent(method, st.Event); err != nil {
			return err
		}
	}
	return nil
}

// keyInsertSQL inserts a key record, replacing one created before $17;
// with a record at or after $17 it inserts nothing.
const keyInsertSQL = `INSERT INTO idempotency_keys (` + idemCols + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
	ON CONFLICT (operator_id, principal_id, key) DO UPDATE SET method = excluded.method, path = excluded.path,
	request_hash = excluded.request_hash, action = excluded.action, recovery_point = excluded.recovery_point,
	resource_id = excluded.resource_id, payload = excluded.payload, locked_by = excluded.locked_by,
	completed = excluded.completed, status = excluded.status, body = excluded.body,
	created_at = excluded.created_at, updated_at = excluded.updated_at
	WHERE idempotency_keys.created_at < $17`

// keyInsertArgs are the arguments of keyInsertSQL for k: a completed
// record is stored unlocked.
func keyInsertArgs(k *store.IdempotencyRecord) []any {
	if k.RecoveryPoint == "" {
		k.RecoveryPoint = store.PointStarted
	}
	lockedBy := k.LockedBy
	if k.Completed {
		lockedBy = ""
	}
	k.Payload, k.Body = normBytes(k.Payload), normBytes(k.Body)
	k.OwnerAlive = false
	return []any{k.OperatorID, k.PrincipalID, k.Key, k.Method, k.Path, k.RequestHash, k.Action, k.RecoveryPoint,
		k.ResourceID, k.Payload, lockedBy, k.Completed, k.Status, k.Body, k.CreatedAt, k.UpdatedAt,
		k.CreatedAt.Add(-store.KeyTTL)}
}

// normBytes is bytes as stored and read back: nil (NULL) for empty.
func normBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// queueProgress queues pr's writes on q, each checked by the server: the
// key record (ErrKeyExists, ErrLockLost), then the approval step
// (ErrLockLost) with its event. checkProgress has checked pr.
func queueProgress(q *queue, pr *store.Progress) {
	if k := pr.Key; k != nil {
		switch pr.KeyOp {
		case store.KeyCreate:
			q.exec(`WITH k AS (`+keyInsertSQL+` RETURNING 1)
				SELECT naive_fail(CASE WHEN NOT EXISTS (SELECT 1 FROM k) THEN '`+codeKeyExists+`' END)`,
				keyInsertArgs(k)...)
		case store.KeyUpdate:
			k.Payload, k.Body = normBytes(k.Payload), normBytes(k.Body)
			q.exec(`WITH k AS (UPDATE idempotency_keys SET recovery_point = $4, resource_id = $5, payload = $6,
				completed = $7, status = $8, body = $9, updated_at = $10,
				locked_by = CASE WHEN $7 THEN '' ELSE locked_by END
				WHERE operator_id = $1 AND principal_id = $2 AND key = $3 AND NOT completed
				AND locked_by = $11 AND $11 <> '' RETURNING 1)
				SELECT naive_fail(CASE WHEN NOT EXISTS (SELECT 1 FROM k) THEN '`+codeLockLost+`' END)`,
				k.OperatorID, k.PrincipalID, k.Key, k.RecoveryPoint, k.ResourceID, k.Payload, k.Completed,
				k.Status, k.Body, k.UpdatedAt, k.LockedBy)
		case store.KeyDelete:
			q.exec(`WITH k AS (DELETE FROM idempotency_keys
				WHERE operator_id = $1 AND principal_id = $2 AND key = $3 AND NOT completed
				AND locked_by = $4 AND $4 <> '' RETURNING 1)
				SELECT naive_fail(CASE WHEN NOT EXISTS (SELECT 1 FROM k) THEN '`+codeLockLost+`' END)`,
				k.OperatorID, k.PrincipalID, k.Key, k.LockedBy)
		}
	}
	st := pr.Approval
	if st == nil {
		return
	}
	if st.Reopen {
		q.exec(`WITH a AS (UPDATE approvals SET status = 'pending', resolved_by_type = NULL, resolved_by_id = NULL,
			resolved_at = NULL, locked_by = ''
			WHERE id = $1 AND status = 'executing' AND locked_by = $2 AND $2 <> '' AND resource_id = '' RETURNING 1)
			SELECT naive_fail(CASE WHEN NOT EXISTS (SELECT 1 FROM a) THEN '`+codeLockLost+`' END)`,
			st.ID, st.Owner)
		return
	}
	if st.Finish == nil {
		q.exec(`WITH a AS (UPDATE approvals SET resource_id = $2,
			locked_by = CASE WHEN $3 THEN '' ELSE locked_by END
			WHERE id = $1 AND status = 'executing' AND locked_by = $4 AND $4 <> '' RETURNING 1)
			SELECT naive_fail(CASE WHEN NOT EXISTS (SELECT 1 FROM a) THEN '`+codeLockLost+`' END)`,
			st.ID, st.ResourceID, st.Release, st.Owner)
		return
	}
	f := st.Finish
	f.Result = normRaw(f.Result)
	errJSON, _ := encodeErrorObject(f.Error) // checkProgress encoded it
	q.row(func(r pgx.Row) error {
		var ok bool
		got, err := scanApproval(rowWith{r, []any{&ok}})
		if err != nil {
			return err
		}
		*f = *got
		return nil
	}, `WITH a AS (UPDATE approvals SET status = $2, result = $3, error = $4,
		resource_id = $5, locked_by = ''
		WHERE id = $1 AND status = 'executing' AND locked_by = $6 AND $6 <> '' RETURNING `+approvalCols+`)
		SELECT a.*, naive_fail(CASE WHEN a.id IS NULL THEN '`+codeLockLost+`' END)
		FROM (VALUES (1)) one LEFT JOIN a ON true`,
		st.ID, f.Status, f.Result, errJSON, st.ResourceID, st.Owner)
	q.event(st.Event, naive.EventApprovalResolved, "approvals", st.ID)
}

// rowWith scans a row's leading columns into the destinations given to
// Scan and the columns after them into extra.
type rowWith struct {
	r     pgx.Row
	extra []any
}

func (w rowWith) Scan(dest ...any) error { return w.r.Scan(append(dest, w.extra...)...) }
