package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// NewSQLite applies River's migrations to the SQLite database of db and
// returns a Queue on it. db must be the store's writer: one connection
// (SQLite has one writer at a time, and River's own queries then queue
// with the store's writes in database/sql instead of meeting SQLITE_BUSY)
// whose transactions BEGIN IMMEDIATE.
func NewSQLite(ctx context.Context, db *sql.DB, cfg Config) (*Queue[*sql.Tx], error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := migrateSQLite(ctx, db, cfg.Logger); err != nil {
		return nil, err
	}
	return newQueue(riversqlite.New(db), cfg)
}

// NewPostgres applies River's migrations to the database of pool and
// returns a Queue on it.
func NewPostgres(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Queue[pgx.Tx], error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := migratePostgres(ctx, pool, cfg.Logger); err != nil {
		return nil, err
	}
	return newQueue(riverpgxv5.New(pool), cfg)
}

// migrateSQLite applies River's migrations in one IMMEDIATE transaction:
// another process starting at once waits for the write lock, then finds
// them applied (River's Migrate checks what is applied outside its
// per-migration transactions, so two processes would both apply version 1).
// SQLite's DDL is transactional and River's SQLite migrations need no
// commit between them, which is why one transaction is safe here.
func migrateSQLite(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	m, err := rivermigrate.New(riversqlite.New(db), &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	defer tx.Rollback()
	//lint:ignore SA1019 one transaction is what makes concurrent starts safe on SQLite (see above).
	if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

// migrateLockKey is the advisory lock held while River's migrations run;
// the store's own keys are "naive" 1 and 2.
const migrateLockKey int64 = 0x6e61697665_03 // "naive" 3

// migratePostgres applies River's migrations while holding a session
// advisory lock on a connection of its own: another process starting at
// once waits for the lock, then finds them applied. The lock is not a
// transaction's because some of River's PostgreSQL migrations must commit
// before the next (an enum value added, then used).
func migratePostgres(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	// Closing the connection releases the lock, whatever happened.
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		return fmt.Errorf("jobs: migrate: lock: %w", err)
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}
