package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxStmts bounds a pool's prepared statements. The package prepares only
// SQL whose text is constant (about a hundred statements); SQL built from
// variable parts runs unprepared. Should that slip, statements past the
// bound run unprepared too rather than grow the cache.
const maxStmts = 512

// pool runs the package's statements on one connection pool (the writer or
// the readers), each prepared once, on first use, and kept until Close:
// parsing SQL again for every call was most of a provision's CPU. SQLite
// binds a prepared statement to its connection; database/sql prepares a
// statement on each connection of the pool the first time it runs there.
//
// A statement must not run again while rows it returned are still open on
// the same connection (the driver reuses one SQLite statement handle); the
// package reads every row set to its end before its next statement.
type pool struct {
	db *sql.DB

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newPool(db *sql.DB) *pool { return &pool{db: db, stmts: map[string]*sql.Stmt{}} }

// cached returns q's prepared statement, or nil when it has none yet.
func (p *pool) cached(q string) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stmts[q]
}

// stmt returns q's prepared statement, preparing it on the pool if this is
// its first use, or nil when the cache is full. It prepares without
// holding the lock, which waits for a free connection: callers inside a
// transaction, which holds one, use cached instead.
func (p *pool) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if s := p.cached(q); s != nil {
		return s, nil
	}
	p.mu.Lock()
	full := p.stmts == nil || len(p.stmts) >= maxStmts
	p.mu.Unlock()
	if full {
		return nil, nil
	}
	s, err := p.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if cur := p.stmts[q]; cur != nil || p.stmts == nil || len(p.stmts) >= maxStmts {
		// Another caller prepared it first, the cache filled up or the
		// pool closed meanwhile.
		s.Close()
		return cur, nil
	}
	p.stmts[q] = s
	return s, nil
}

// ExecContext runs q, prepared, on the pool.
func (p *pool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	s, err := p.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return p.db.ExecContext(ctx, q, args...)
	}
	return s.ExecContext(ctx, args...)
}

// QueryContext runs q, prepared, on the pool.
func (p *pool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := p.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return p.db.QueryContext(ctx, q, args...)
	}
	return s.QueryContext(ctx, args...)
}

// QueryRowContext runs q, prepared, on the pool; a failure to prepare is
// the row's Scan error, as a failed query's is.
func (p *pool) QueryRowContext(ctx context.Context, q string, args ...any) scanner {
	s, err := p.stmt(ctx, q)
	if err != nil {
		return errRow{err}
	}
	if s == nil {
		return p.db.QueryRowContext(ctx, q, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// close closes the pool's prepared statements (not the pool); later
// statements run unprepared.
func (p *pool) close() error {
	p.mu.Lock()
	stmts := p.stmts
	p.stmts = nil
	p.mu.Unlock()
	var errs []error
	for _, s := range stmts {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// errRow is a row whose query could not run.
type errRow struct{ err error }

// Scan returns the error.
func (r errRow) Scan(...any) error { return r.err }

// txn is a transaction on a pool whose ExecContext, QueryContext and
// QueryRowContext (shadowing *sql.Tx's) run the pool's prepared statements
// on the transaction's connection (tx.StmtContext reuses the statement
// already prepared there). A statement the pool has not prepared yet runs
// as text this once and is prepared on the pool when the transaction
// ends: preparing it now would wait for a connection while holding one,
// which on the single writer connection never comes. The embedded *sql.Tx
// runs SQL unprepared, for statements built from variable parts.
type txn struct {
	*sql.Tx
	pool *pool
	// bg, when set (a batch, batch.go), is the context every statement
	// runs with, whatever context the method was given.
	bg context.Context
	// missed are the statements that ran as text.
	missed []string
}

// ctxOf is the context a statement of the transaction runs with.
func (t *txn) ctxOf(ctx context.Context) context.Context {
	if t.bg != nil {
		return t.bg
	}
	return ctx
}

// stmt returns q's statement bound to the transaction, or nil (after
// noting q) when the pool has none yet.
func (t *txn) stmt(ctx context.Context, q string) *sql.Stmt {
	ctx = t.ctxOf(ctx)
	s := t.pool.cached(q)
	if s == nil {
		t.missed = append(t.missed, q)
		return nil
	}
	return t.Tx.StmtContext(ctx, s)
}

// ExecContext runs q, prepared, in the transaction.
func (t *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = t.ctxOf(ctx)
	if s := t.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, q, args...)
}

// QueryContext runs q, prepared, in the transaction.
func (t *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = t.ctxOf(ctx)
	if s := t.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, q, args...)
}

// QueryRowContext runs q, prepared, in the transaction.
func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) scanner {
	ctx = t.ctxOf(ctx)
	if s := t.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, q, args...)
}

// prepareMissed prepares on the pool, once the transaction has released
// its connection, the statements that ran as text; an error leaves a
// statement to be prepared on a later use.
func (t *txn) prepareMissed(ctx context.Context) {
	for _, q := range t.missed {
		_, _ = t.pool.stmt(ctx, q)
	}
	t.missed = nil
}

// prepareMissedLater is prepareMissed on a goroutine of its own, for a
// caller that must not wait for the connection again once its commit
// returned: preparing waits for the writer, which the next write takes at
// once, and a caller holding a lock that write needs (the sandbox holds its
// state's until its write returns) would wait for it forever.
func (t *txn) prepareMissedLater(ctx context.Context) {
	missed := t.missed
	t.missed = nil
	if len(missed) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	go func() {
		for _, q := range missed {
			_, _ = t.pool.stmt(ctx, q)
		}
	}()
}
