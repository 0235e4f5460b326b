package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// TestGroupCommit: methods committed together keep their own all-or-nothing:
// one that fails leaves nothing, the others in its batch commit; a panic
// reaches its caller; a caller whose context ended before its turn writes
// nothing.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "batch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.rawTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE batch_rows (n INTEGER PRIMARY KEY)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	errOdd := errors.New("odd")
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = db.tx(ctx, func(tx *txn) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO batch_rows (n) VALUES (?)`, i); err != nil {
					return err
				}
				if i%2 == 1 {
					return fmt.Errorf("method %d: %w", i, errOdd) // after its insert
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if (i%2 == 1) != errors.Is(err, errOdd) {
			t.Fatalf("method %d: %v", i, err)
		}
	}
	var rows, odd int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(n % 2), 0) FROM batch_rows`).Scan(&rows, &odd); err != nil {
		t.Fatal(err)
	}
	if rows != n/2 || odd != 0 {
		t.Fatalf("%d rows, %d of failed methods; want %d and 0", rows, odd, n/2)
	}

	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Fatalf("recovered %v, want the method's panic", v)
			}
		}()
		_ = db.tx(ctx, func(tx *txn) error {
			_, _ = tx.ExecContext(ctx, `INSERT INTO batch_rows (n) VALUES (-1)`)
			panic("boom")
		})
	}()
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.tx(gone, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO batch_rows (n) VALUES (-2)`)
		return err
	}); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled caller: %v", err)
	}
	var left int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM batch_rows WHERE n < 0`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d rows of a panicking or canceled method (%v)", left, err)
	}
}
