package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/naive-oss/naive/internal/store"
)

var _ store.Sandbox = (*DB)(nil)

// sandboxChangesSQL reads the counter and the records written after a
// version (the live ones only from 0) in one statement, so in one
// snapshot: a record of a version the counter reports cannot be missing.
// The counter's one row comes back alone, with NULL record columns, when
// no record is newer. Arguments: since, since.
const sandboxChangesSQL = `SELECT v.version, r.kind, r.id, r.data
	FROM sandbox_version v
	LEFT JOIN sandbox_records r ON r.version > ? AND (? > 0 OR r.data IS NOT NULL)
	WHERE v.one = 1
	ORDER BY r.version, r.kind, r.id`

// queryer runs a query: the reader pool, or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// sandboxChanges reads the records written after since and the version.
func sandboxChanges(ctx context.Context, q queryer, since int64) ([]store.SandboxRecord, int64, error) {
	rows, err := q.QueryContext(ctx, sandboxChangesSQL, since, since)
	if err != nil {
		return nil, 0, mapErr(err)
	}
	defer rows.Close()
	var (
		out     []store.SandboxRecord
		version int64
		seen    bool
	)
	for rows.Next() {
		var (
			kind, id sql.NullString
			data     []byte
		)
		if err := rows.Scan(&version, &kind, &id, &data); err != nil {
			return nil, 0, err
		}
		seen = true
		if kind.Valid {
			out = append(out, store.SandboxRecord{Kind: kind.String, ID: id.String, Data: data})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, mapErr(err)
	}
	if !seen {
		return nil, 0, errors.New("sqlite: sandbox: the version counter is missing")
	}
	return out, version, nil
}

// SandboxChanges returns the records written after since, and the version
// they bring the reader to, in one statement on the reader pool (one
// snapshot of the WAL).
func (db *DB) SandboxChanges(ctx context.Context, since int64) ([]store.SandboxRecord, int64, error) {
	return sandboxChanges(ctx, db.reader, since)
}

// SandboxUpdate runs fn in a transaction of its own on the writer
// connection, begun IMMEDIATE: it holds the database's write lock, which
// other processes on the file wait for, from its first statement to its
// commit. It is never part of a group commit (batch.go), where another
// method's failing commit would fail it after fn ran, and never retried.
func (db *DB) SandboxUpdate(ctx context.Context, since int64, fn func(changed []store.SandboxRecord) ([]store.SandboxRecord, []store.SandboxTask, error)) (int64, error) {
	var (
		version  int64
		fnErr    error
		panicked any
	)
	// Its caller may hold a lock the next writer needs until this returns:
	// nothing may wait for the writer after the commit.
	err := db.rawTxThen(ctx, (*txn).prepareMissedLater, func(tx *txn) error {
		changed, v, err := sandboxChanges(tx.ctxOf(ctx), tx, since)
		if err != nil {
			return err
		}
		version = v
		recs, tasks, err := callSandbox(fn, changed, &panicked)
		if panicked != nil {
			// Roll back, freeing the writer, before the panic goes on.
			return errors.New("sqlite: SandboxUpdate: fn panicked")
		}
		if err != nil {
			fnErr = err
			return err
		}
		if err := store.CheckSandboxWrite(recs, tasks); err != nil {
			return err
		}
		if len(tasks) > 0 && db.jobs == nil {
			return errors.New("sqlite: SandboxUpdate: the store has no job hook for the sandbox's tasks")
		}
		if len(recs) > 0 {
			if err := tx.QueryRowContext(ctx,
				`UPDATE sandbox_version SET version = version + 1 WHERE one = 1 RETURNING version`).Scan(&version); err != nil {
				return err
			}
			for _, r := range recs {
				var data any
				if r.Data != nil {
					data = string(r.Data)
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO sandbox_records (kind, id, version, data) VALUES (?, ?, ?, ?)
					ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, data = excluded.data`,
					r.Kind, r.ID, version, data); err != nil {
					return err
				}
			}
		}
		for _, t := range tasks {
			if err := db.jobs.SandboxTaskDue(tx.ctxOf(ctx), tx.Tx, t); err != nil {
				return err
			}
		}
		return nil
	})
	if panicked != nil {
		panic(panicked)
	}
	if fnErr != nil {
		return 0, fnErr
	}
	if err != nil {
		return 0, err
	}
	return version, nil
}

// callSandbox calls fn, catching a panic in *panicked.
func callSandbox(fn func([]store.SandboxRecord) ([]store.SandboxRecord, []store.SandboxTask, error), changed []store.SandboxRecord,
	panicked *any) (recs []store.SandboxRecord, tasks []store.SandboxTask, err error) {
	defer func() {
		if v := recover(); v != nil {
			*panicked = v
		}
	}()
	return fn(changed)
}
