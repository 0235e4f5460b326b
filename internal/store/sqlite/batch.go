package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Group commit. SQLite commits one transaction at a time on its one writer
// connection, and each commit pays for writing its pages to the WAL and
// syncing it; PostgreSQL shares one sync between concurrent commits, SQLite
// does not. So the store's write transactions are handed to one goroutine
// that runs all those waiting as one SQLite transaction, each inside a
// savepoint of its own, and commits them together: a method's writes still
// happen all or not at all (a failing method rolls back to its savepoint;
// the others are unaffected), methods see each other's writes in the order
// they ran, as they would one after the other, and a commit that fails
// fails every method in it. Nothing waits to fill a batch: a batch is what
// queued while the previous one committed.
//
// A method running in a batch runs to its end even if its caller's context
// ends (its statements use the batch's context): SQLite rolls back the
// whole transaction of an interrupted statement, which would take the
// batch's other methods with it. A caller whose context ended before its
// method started gets the context's error and nothing is written.

// maxBatch bounds the methods of one batch, so one commit stays short.
const maxBatch = 64

// txReq is one method's transaction waiting for a batch.
type txReq struct {
	ctx  context.Context
	fn   func(*txn) error
	done chan txResult
}

type txResult struct {
	err error
	// panicked carries a panic of fn, re-raised in the caller.
	panicked any
}

// batcher runs the writer's transactions in batches.
type batcher struct {
	db   *DB
	reqs chan *txReq
	wg   sync.WaitGroup
	// mu guards closed: a run after stop fails instead of sending on the
	// closed channel.
	mu     sync.RWMutex
	closed bool
}

func newBatcher(db *DB) *batcher {
	b := &batcher{db: db, reqs: make(chan *txReq, maxBatch)}
	b.wg.Add(1)
	go b.loop()
	return b
}

// run hands fn to the batcher and waits for its batch's commit.
func (b *batcher) run(ctx context.Context, fn func(*txn) error) error {
	req := &txReq{ctx: ctx, fn: fn, done: make(chan txResult, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return errors.New("sqlite: the store is closed")
	}
	select {
	case b.reqs <- req:
	case <-ctx.Done():
		b.mu.RUnlock()
		return ctx.Err()
	}
	b.mu.RUnlock()
	res := <-req.done // once queued it may be running: wait for it
	if res.panicked != nil {
		panic(res.panicked)
	}
	return res.err
}

// stop ends the loop after the queued transactions ran.
func (b *batcher) stop() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.reqs)
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (b *batcher) loop() {
	defer b.wg.Done()
	for req := range b.reqs {
		batch := []*txReq{req}
	fill:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-b.reqs:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		b.commit(batch)
	}
}

// commit runs a batch as one transaction.
func (b *batcher) commit(batch []*txReq) {
	ctx := context.Background()
	results := make([]txResult, len(batch))
	finish := func() {
		for i, r := range batch {
			r.done <- results[i]
		}
	}
	defer finish()
	tx, err := b.db.w.BeginTx(ctx, nil)
	if err != nil {
		for i := range results {
			results[i].err = mapErr(err)
		}
		return
	}
	t := &txn{Tx: tx, pool: b.db.writer, bg: ctx}
	defer t.prepareMissed(ctx)
	single := len(batch) == 1
	committed := 0
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		if !single {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT m`); err != nil {
				b.abort(tx, batch[i:], results[i:], err)
				b.failCommitted(batch[:i], results[:i], err)
				return
			}
		}
		results[i] = call(r.fn, t)
		if results[i].err == nil && results[i].panicked == nil {
			committed++
			if !single {
				if _, err := tx.ExecContext(ctx, `RELEASE m`); err != nil {
					b.abort(tx, batch[i:], results[i:], err)
					b.failCommitted(batch[:i], results[:i], err)
					return
				}
			}
			continue
		}
		if single {
			break
		}
		// Undo this method's writes only. If the transaction itself is
		// gone (SQLite rolls it back on some I/O errors), the batch is.
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO m`); err != nil {
			b.abort(tx, batch[i+1:], results[i+1:], err)
			b.failCommitted(batch[:i], results[:i], err)
			return
		}
		if _, err := tx.ExecContext(ctx, `RELEASE m`); err != nil {
			b.abort(tx, batch[i+1:], results[i+1:], err)
			b.failCommitted(batch[:i], results[:i], err)
			return
		}
	}
	if committed == 0 {
		_ = tx.Rollback()
		return
	}
	if err := tx.Commit(); err != nil {
		b.failCommitted(batch, results, err)
	}
}

// call runs fn, turning a panic into a result the caller re-raises.
func call(fn func(*txn) error, t *txn) (res txResult) {
	defer func() {
		if v := recover(); v != nil {
			res.panicked = v
		}
	}()
	if err := fn(t); err != nil {
		res.err = mapErr(err)
	}
	return res
}

// abort rolls back the batch's transaction and fails the methods not run.
func (b *batcher) abort(tx interface{ Rollback() error }, rest []*txReq, results []txResult, cause error) {
	_ = tx.Rollback()
	for i := range rest {
		if results[i].err == nil && results[i].panicked == nil {
			results[i].err = fmt.Errorf("sqlite: batch aborted: %w", mapErr(cause))
		}
	}
}

// failCommitted fails the methods that had succeeded: their writes were
// lost with the batch.
func (b *batcher) failCommitted(batch []*txReq, results []txResult, cause error) {
	for i := range batch {
		if results[i].err == nil && results[i].panicked == nil {
			results[i].err = errors.Join(errors.New("sqlite: commit failed"), mapErr(cause))
		}
	}
}
