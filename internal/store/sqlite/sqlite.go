// Package sqlite is the embedded store.Store: one SQLite file in WAL mode on
// the pure-Go modernc.org/sqlite driver, so the binary needs no cgo. Its
// constant SQL runs as statements prepared once per connection and reused
// (stmts.go), not parsed again on every call.
//
// Callers set every id (a UUIDv7, so lists sort newest first by id) and
// every time a row stores: the store makes up none (only the migration
// bookkeeping reads the clock), so the caller's clock is the one clock,
// and a method missing one fails with an error naming it. Times are
// stored as UTC truncated to the microsecond (PostgreSQL's precision), and
// methods write the normalised values back into their argument, so it
// equals what a later Get returns. A Page with Limit <= 0 lists
// everything.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/naive-oss/naive/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// busyTimeout is how long a statement waits for another process's write
// lock before failing with SQLITE_BUSY.
// SQLite's busy handler is not fair (waiters sleep and retry), so under
// heavy contention between processes one writer can wait several times
// longer than the others: the bound is generous, since failing a write is
// worse than waiting for it.
const busyTimeout = 30 * time.Second

// DB is a store.Store on one SQLite database.
type DB struct {
	// w has a single connection: writers in this process queue for it in
	// database/sql (fair, no polling) and only writers of other processes
	// meet SQLite's busy handler. Its transactions BEGIN IMMEDIATE, so a
	// transaction holds the write lock from its first statement and never
	// fails upgrading a read to a write.
	w *sql.DB
	// r serves reads outside transactions; WAL lets them run beside w.
	r *sql.DB
	// writer and reader run statements on w and r, each prepared once
	// per connection and reused (stmts.go); they are one when r is w.
	writer, reader *pool
	// jobs enqueues background jobs inside write transactions (SetJobs).
	jobs Jobs
	// batch runs write transactions in group commits (batch.go); nil with
	// several writer connections (tests), where each commits alone.
	batch *batcher
}

var _ store.Store = (*DB)(nil)

// Open opens, creating if needed, and migrates the database at dsn: a file
// path, "sqlite:path", "sqlite://path" or "sqlite::memory:".
func Open(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, 1)
}

// open is Open with n writer connections; tests use n > 1 to make writers
// of one process meet SQLite's locking as writers of several processes do.
func open(ctx context.Context, dsn string, writers int) (*DB, error) {
	path, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	common := "_busy_timeout=" + strconv.FormatInt(busyTimeout.Milliseconds(), 10) + "&_foreign_keys=on"
	w, err := sql.Open("sqlite", withQuery(path, common+"&_journal_mode=WAL&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(writers)
	w.SetMaxIdleConns(writers)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	db := &DB{w: w, r: w, writer: newPool(w)}
	db.reader = db.writer
	if err := connect(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if writers == 1 {
		db.batch = newBatcher(db)
	}
	if isMemory(path) {
		// Each connection to :memory: is its own database, so reads share
		// the writer's one connection.
		return db, nil
	}
	r, err := sql.Open("sqlite", withQuery(path, common+"&_query_only=on"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.r, db.reader = r, newPool(r)
	return db, nil
}

// connect makes w's first connection, retrying while SQLite reports the
// file busy: processes opening one new file at once race to switch it to
// WAL, and SQLite answers that switch SQLITE_BUSY at once rather than
// through the busy handler.
func connect(ctx context.Context, w *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		err := w.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func parseDSN(dsn string) (string, error) {
	path := dsn
	if rest, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		path = strings.TrimPrefix(rest, "//")
	}
	if path == "" {
		return "", fmt.Errorf("sqlite: empty database path in %q", dsn)
	}
	return path, nil
}

func isMemory(path string) bool {
	return path == ":memory:" || strings.Contains(path, "mode=memory")
}

func withQuery(path, query string) string {
	if strings.Contains(path, "?") {
		return path + "&" + query
	}
	return path + "?" + query
}

// Ping checks both connection pools.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return err
	}
	return db.r.PingContext(ctx)
}

// Close closes the prepared statements and both connection pools.
func (db *DB) Close() error {
	if db.batch != nil {
		db.batch.stop()
	}
	var errs []error
	if db.reader != db.writer {
		errs = append(errs, db.reader.close())
	}
	errs = append(errs, db.writer.close())
	if db.r != db.w {
		errs = append(errs, db.r.Close())
	}
	return errors.Join(append(errs, db.w.Close())...)
}

// migrate applies the embedded migrations not yet recorded in
// schema_migrations, in order, in one IMMEDIATE transaction: a second
// process starting at once waits for the write lock and then finds them
// applied.
func (db *DB) migrate(ctx context.Context) error {
	type migration struct {
		version int
		name    string
	}
	entries, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	var all []migration
	for _, e := range entries {
		name := strings.TrimPrefix(e, "migrations/")
		num, _, _ := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: name must start with its number", name)
		}
		all = append(all, migration{v, name})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].version < all[j].version })

	return db.tx(ctx, func(tx *txn) error {
		// Migrations run once per Open, some as several statements in
		// one string: they run unprepared, through the embedded *sql.Tx.
		if _, err := tx.Tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TEXT NOT NULL
		) STRICT`); err != nil {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
		applied := map[int]bool{}
		rows, err := tx.Tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			applied[v] = true
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, m := range all {
			if applied[m.version] {
				continue
			}
			body, err := migrations.ReadFile("migrations/" + m.name)
			if err != nil {
				return err
			}
			if _, err := tx.Tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("sqlite: migration %s: %w", m.name, err)
			}
			if _, err := tx.Tx.ExecContext(ctx,
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, ts(time.Now())); err != nil {
				return fmt.Errorf("sqlite: migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}

// tx runs fn in a write transaction, committing if fn returns nil, so a
// method's writes happen all or not at all. On the one writer connection it
// runs in a group commit with the other methods writing at the same time
// (batch.go).
func (db *DB) tx(ctx context.Context, fn func(*txn) error) (err error) {
	if db.batch != nil {
		return db.batch.run(ctx, fn)
	}
	return db.rawTx(ctx, fn)
}

// rawTx runs fn in a transaction of its own, committed alone.
func (db *DB) rawTx(ctx context.Context, fn func(*txn) error) (err error) {
	return db.rawTxThen(ctx, (*txn).prepareMissed, fn)
}

// rawTxThen is rawTx with after run once the transaction has ended.
func (db *DB) rawTxThen(ctx context.Context, after func(*txn, context.Context), fn func(*txn) error) (err error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	t := &txn{Tx: tx, pool: db.writer}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
		after(t, ctx)
	}()
	if err := fn(t); err != nil {
		return mapErr(err)
	}
	return mapErr(tx.Commit())
}

// mapErr turns constraint violations into the store's sentinel errors: a
// unique key taken is a conflict, a missing parent (for instance a subject
// of another tenant) is not found.
func mapErr(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	return err
}

// notFound maps sql.ErrNoRows to store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return mapErr(err)
}

// timeLayout is fixed-width, so stored times compare correctly as text.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// norm is the time as stored: UTC, microseconds.
func norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func normPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := norm(*t)
	return &n
}

// required is the error of method called without the ids or times names,
// which its rows store: the store fills none in, so every id and time
// comes from the caller's id source and clock.
func required(method string, names ...string) error {
	list, verb := names[0], "is"
	if n := len(names); n > 1 {
		list, verb = strings.Join(names[:n-1], ", ")+" and "+names[n-1], "are"
	}
	return fmt.Errorf("sqlite: %s: %s %s required", method, list, verb)
}

func ts(t time.Time) string { return norm(t).Format(timeLayout) }

func nts(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

// timeCol scans a stored time.
type timeCol struct{ t *time.Time }

// Scan parses the fixed-width text form.
func (c timeCol) Scan(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("sqlite: time column holds %T", v)
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return err
	}
	*c.t = t.UTC()
	return nil
}

// nullTimeCol scans a stored time that may be NULL.
type nullTimeCol struct{ t **time.Time }

// Scan reads NULL as a nil time.
func (c nullTimeCol) Scan(v any) error {
	if v == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(v); err != nil {
		return err
	}
	*c.t = &t
	return nil
}

// limit is the LIMIT of a page; -1 is SQLite's "no limit".
func limit(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// collect scans every row with scan, returning an empty slice, never nil.
func collect[T any](rows *sql.Rows, err error, scan func(scanner) (*T, error)) ([]T, error) {
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

// prefixed qualifies each column of a column list with a table alias
// ("k." for "id, name" gives "k.id, k.name"), for joins.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
