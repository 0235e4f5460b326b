// Package postgres is the store.Store for running several processes
// against one PostgreSQL database, on pgx/v5.
//
// Every method is one transaction at READ COMMITTED. Invariants hold by
// conditional writes that PostgreSQL re-checks after waiting for a row
// lock (UPDATE … WHERE balance + $1 >= 0, UPDATE … WHERE status = …,
// UPDATE … WHERE locked_by = $owner, INSERT … ON CONFLICT DO UPDATE …
// WHERE created_at < $cutoff), by INSERT … ON CONFLICT DO NOTHING
// followed by SELECT … FOR UPDATE for claims, and by transaction-scoped
// advisory locks for migrating and seeding.
//
// The phases of a run (ReservePhone, ActivatePhone, AddLedgerEntry, …,
// each with its store.Progress) are sent as one pipelined batch that
// PostgreSQL runs as one implicit transaction: one round trip. Their
// statements check their own conditions and fail with naive_fail
// (migration 0007), rolling the batch back, since nothing the client
// reads can undo it any more (see runPhase).
//
// Callers set every id (a UUIDv7, so lists sort newest first by id) and
// every time a row stores: the store makes up none (only the migration
// bookkeeping reads the clock), so the caller's clock is the one clock,
// and a method missing one fails with an error naming it. Times are
// stored as UTC truncated to the microsecond (TIMESTAMPTZ's precision), and
// methods write the normalised values back into their argument, so it
// equals what a later Get returns. A Page with Limit <= 0 lists
// everything.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/naive-oss/naive/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Advisory lock keys, per database: one process migrates or seeds at a time.
const (
	migrateLockKey int64 = 0x6e61697665_01 // "naive" 1
	seedLockKey    int64 = 0x6e61697665_02 // "naive" 2
)

// DB is a store.Store on a PostgreSQL connection pool.
type DB struct {
	pool *pgxpool.Pool
	// jobs enqueues background jobs inside transactions (SetJobs).
	jobs Jobs
	// hooks is the hint of runPhase: the scopes last seen with a webhook
	// endpoint.
	hooks hooks
}

var _ store.Store = (*DB)(nil)

// Open connects to url (postgres:// or key=value form, pgxpool options
// such as pool_max_conns allowed) and migrates the database.
func Open(ctx context.Context, url string) (*DB, error) { return open(ctx, url, nil) }

// open is Open with tune, when not nil, changing the pool's configuration
// first (the tests trace round trips).
func open(ctx context.Context, url string, tune func(*pgxpool.Config)) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if tune != nil {
		tune(cfg)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		// Scan TIMESTAMPTZ as UTC rather than the process's local zone.
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := &DB{pool: pool}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Ping checks the database is reachable.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// Close closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// migrate applies the embedded migrations not yet recorded in
// schema_migrations, in order, in one transaction that first takes an
// advisory lock: a second process starting at once waits, then finds them
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
			return fmt.Errorf("postgres: migration %s: name must start with its number", name)
		}
		all = append(all, migration{v, name})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].version < all[j].version })

	return db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
			return fmt.Errorf("postgres: migrate: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("postgres: migrate: %w", err)
		}
		rows, _ := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return fmt.Errorf("postgres: migrate: %w", err)
		}
		applied := map[int]bool{}
		for _, v := range versions {
			applied[v] = true
		}
		for _, m := range all {
			if applied[m.version] {
				continue
			}
			body, err := migrations.ReadFile("migrations/" + m.name)
			if err != nil {
				return err
			}
			// No arguments: pgx sends it as a simple query, so one file
			// may hold many statements.
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`,
				m.version, m.name); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}

// maxAttempts bounds the retries of a transaction that lost a deadlock or
// serialization race; READ COMMITTED makes those rare.
const maxAttempts = 5

// tx runs fn in a transaction, committing if fn returns nil, and runs it
// again from the start if PostgreSQL aborted it as a deadlock victim or a
// serialization failure. fn must therefore only write through tx.
func (db *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginFunc(ctx, db.pool, fn)
		if attempt < maxAttempts && retryable(err) {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
			continue
		}
		return mapErr(err)
	}
}

// backoff waits before the attempt after attempt, unless ctx ends first.
func backoff(ctx context.Context, attempt int) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(attempt) * 5 * time.Millisecond):
		return nil
	}
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// mapErr turns pgx's no-rows and constraint violations into the store's
// sentinel errors: a unique key taken is a conflict, a missing parent (for
// instance a subject of another tenant) is not found. The conditions
// naive_fail checks come back as the sentinels they stand for.
func mapErr(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeKeyExists:
			return store.ErrKeyExists
		case codeLockLost:
			return store.ErrLockLost
		case codeNoCredits:
			return store.ErrInsufficientCredits
		case codeNotFound:
			return store.ErrNotFound
		case codeConflict:
			return store.ErrConflict
		case codeHooked:
			return errHooked
		case "23505": // unique_violation
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%w: %w", store.ErrNotFound, err)
		}
	}
	return err
}

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
	return fmt.Errorf("postgres: %s: %s %s required", method, list, verb)
}

// limit is the LIMIT of a page; NULL is PostgreSQL's "no limit".
func limit(n int) any {
	if n <= 0 {
		return nil
	}
	return n
}

// one runs a single-row query and maps its error.
func one[T any](row pgx.Row, scan func(pgx.Row) (*T, error)) (*T, error) {
	v, err := scan(row)
	if err != nil {
		return nil, mapErr(err)
	}
	return v, nil
}

// collect scans every row with scan, returning an empty slice, never nil.
func collect[T any](rows pgx.Rows, err error, scan func(pgx.Row) (*T, error)) ([]T, error) {
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, *v)
	}
	return out, mapErr(rows.Err())
}
