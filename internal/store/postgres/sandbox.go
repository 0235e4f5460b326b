package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/naive-oss/naive/internal/store"
)

var _ store.Sandbox = (*DB)(nil)

// sandboxChangesSQL reads the counter and the records written after a
// version (the live ones only from 0) in one statement, so in one
// snapshot: a record of a version the counter reports cannot be missing.
// The counter's one row comes back alone, with NULL record columns, when
// no record is newer.
const sandboxChangesSQL = `SELECT v.version, r.kind, r.id, r.data
	FROM sandbox_version v
	LEFT JOIN sandbox_records r ON r.version > $1 AND ($1 > 0 OR r.data IS NOT NULL)
	WHERE v.one = 1
	ORDER BY r.version, r.kind, r.id`

// scanSandboxChanges reads the rows of sandboxChangesSQL.
func scanSandboxChanges(rows pgx.Rows) ([]store.SandboxRecord, int64, error) {
	defer rows.Close()
	var (
		out     []store.SandboxRecord
		version int64
		seen    bool
	)
	for rows.Next() {
		var (
			kind, id pgtype.Text
			data     pgtype.Text
		)
		if err := rows.Scan(&version, &kind, &id, &data); err != nil {
			return nil, 0, err
		}
		seen = true
		if kind.Valid {
			r := store.SandboxRecord{Kind: kind.String, ID: id.String}
			if data.Valid {
				r.Data = []byte(data.String)
			}
			out = append(out, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, mapErr(err)
	}
	if !seen {
		return nil, 0, errors.New("postgres: sandbox: the version counter is missing")
	}
	return out, version, nil
}

// SandboxChanges returns the records written after since, and the version
// they bring the reader to, in one statement (one snapshot).
func (db *DB) SandboxChanges(ctx context.Context, since int64) ([]store.SandboxRecord, int64, error) {
	rows, err := db.pool.Query(ctx, sandboxChangesSQL, since)
	if err != nil {
		return nil, 0, mapErr(err)
	}
	return scanSandboxChanges(rows)
}

// SandboxUpdate runs fn in one READ COMMITTED transaction that first locks
// the counter's row (SELECT … FOR UPDATE): the sandbox's one write lock,
// which writers of every process queue for. The records are read after
// the lock is held, by a statement of their own, whose snapshot holds all
// that the lock's previous holders committed. Holding the lock, the
// transaction meets no deadlock or serialization failure of its own, and
// it is never retried (db.tx would run fn again): a failure after fn ran
// is returned.
func (db *DB) SandboxUpdate(ctx context.Context, since int64, fn func(changed []store.SandboxRecord) ([]store.SandboxRecord, []store.SandboxTask, error)) (int64, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, mapErr(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	// One round trip: the lock, then the records.
	b := &pgx.Batch{}
	b.Queue(`SELECT version FROM sandbox_version WHERE one = 1 FOR UPDATE`)
	b.Queue(sandboxChangesSQL, since)
	br := tx.SendBatch(ctx, b)
	var locked int64
	if err := br.QueryRow().Scan(&locked); err != nil {
		br.Close()
		return 0, fmt.Errorf("postgres: SandboxUpdate: lock: %w", mapErr(err))
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return 0, mapErr(err)
	}
	changed, version, err := scanSandboxChanges(rows)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, mapErr(err)
	}

	recs, tasks, err := fn(changed)
	if err != nil {
		return 0, err
	}
	if err := store.CheckSandboxWrite(recs, tasks); err != nil {
		return 0, err
	}
	if len(tasks) > 0 && db.jobs == nil {
		return 0, errors.New("postgres: SandboxUpdate: the store has no job hook for the sandbox's tasks")
	}
	if len(recs) > 0 {
		// The last of several writes of one record wins, as it would
		// written one after the other; one INSERT … ON CONFLICT may
		// touch a row only once.
		at := map[[2]string]int{}
		var kinds, ids []string
		var data []pgtype.Text
		for _, r := range recs {
			d := pgtype.Text{String: string(r.Data), Valid: r.Data != nil}
			if i, ok := at[[2]string{r.Kind, r.ID}]; ok {
				data[i] = d
				continue
			}
			at[[2]string{r.Kind, r.ID}] = len(kinds)
			kinds, ids, data = append(kinds, r.Kind), append(ids, r.ID), append(data, d)
		}
		if err := tx.QueryRow(ctx, `UPDATE sandbox_version SET version = version + 1 WHERE one = 1 RETURNING version`).
			Scan(&version); err != nil {
			return 0, mapErr(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sandbox_records (kind, id, version, data)
			SELECT k, i, $4, d FROM unnest($1::text[], $2::text[], $3::text[]) AS u(k, i, d)
			ON CONFLICT (kind, id) DO UPDATE SET version = EXCLUDED.version, data = EXCLUDED.data`,
			kinds, ids, data, version); err != nil {
			return 0, mapErr(err)
		}
	}
	for _, t := range tasks {
		if err := db.jobs.SandboxTaskDue(ctx, tx, t); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, mapErr(err)
	}
	return version, nil
}
