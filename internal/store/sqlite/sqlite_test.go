package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/jobs"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
	"github.com/naive-oss/naive/internal/store/sqlite"
	"github.com/naive-oss/naive/internal/store/storetest"
)

// TestStore runs the conformance suite on a file database per subtest, not
// :memory:, so WAL and cross-connection locking are exercised.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "naive.db"))
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

// TestStoreManyWriters runs the suite with several writer connections, so
// concurrent writers meet SQLite's file locks (BEGIN IMMEDIATE and
// busy_timeout), as writers of several processes sharing the file do.
func TestStoreManyWriters(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		// Without the store's group commit each of these writers syncs
		// its own commits; on a machine busy with the rest of the suite a
		// hundred serialized fsyncs outlasted the busy timeout. The suite
		// is about locking, not power loss: commits here skip the fsync
		// (synchronous=NORMAL, which a process crash survives in WAL).
		db, err := sqlite.OpenWriters(t.Context(), filepath.Join(t.TempDir(), "naive.db")+"?_pragma=synchronous(normal)", 4)
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

// TestOpenConcurrently opens one file from several handles at once, as
// processes starting together do: migrations run once and exactly one
// handle seeds.
func TestOpenConcurrently(t *testing.T) {
	t.Parallel()
	path := "sqlite:" + filepath.Join(t.TempDir(), "naive.db")
	dbs := make([]*sqlite.DB, 4)
	var wg sync.WaitGroup
	for i := range dbs {
		wg.Go(func() {
			db, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			dbs[i] = db
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	var seeded atomic.Int32
	for i, db := range dbs {
		t.Cleanup(func() { db.Close() })
		wg.Go(func() {
			op := naive.Operator{ID: string(rune('a' + i)), Name: "op", CreatedAt: time.Now()}
			ok, err := db.Seed(t.Context(), &store.SeedData{Operator: op})
			if err != nil {
				t.Errorf("Seed: %v", err)
			}
			if ok {
				seeded.Add(1)
			}
		})
	}
	wg.Wait()
	if n := seeded.Load(); n != 1 {
		t.Fatalf("%d handles seeded, want 1", n)
	}
}

// TestOpenMemory checks sqlite::memory: works though each connection to
// :memory: is a database of its own.
func TestOpenMemory(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(context.Background(), "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	op := naive.Operator{ID: "op", Name: "mem", CreatedAt: time.Now()}
	if _, err := db.Seed(t.Context(), &store.SeedData{Operator: op}); err != nil {
		t.Fatal(err)
	}
	// Reads see the writes: both go through the one in-memory database.
	if _, err := db.GetOperator(t.Context(), "op"); err != nil {
		t.Fatal(err)
	}
}

// TestStatementsPrepared checks that statements are prepared once per pool
// and reused: those run in transactions once the transaction ends, those
// outside on first use, and SQL built from variable parts never.
func TestStatementsPrepared(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "naive.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	op := naive.Operator{ID: uuid.Must(uuid.NewV7()).String(), Name: "op", CreatedAt: now}
	if _, err := db.Seed(ctx, &store.SeedData{Operator: op}); err != nil {
		t.Fatal(err)
	}
	sc := naive.Scope{OperatorID: op.ID, Mode: naive.ModeTest}
	round := func(statuses ...string) {
		t.Helper()
		if _, err := db.GetOperator(ctx, op.ID); err != nil {
			t.Fatal(err)
		}
		e := &naive.LedgerEntry{ID: uuid.Must(uuid.NewV7()).String(), OperatorID: op.ID, Mode: sc.Mode, Amount: 5,
			Reason: naive.LedgerGrant, Actor: naive.Actor{Type: "system", ID: "test"}, CreatedAt: now}
		if _, err := db.AddLedgerEntry(ctx, e, store.Progress{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Balance(ctx, sc); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CountPhones(ctx, sc, "subject", statuses...); err != nil {
			t.Fatal(err)
		}
	}
	w0, _ := db.Prepared()
	if w0 == 0 {
		t.Fatal("Seed's transaction left no statement prepared")
	}
	round(naive.PhoneActive)
	w1, r1 := db.Prepared()
	if w1 <= w0 || r1 == 0 {
		t.Fatalf("prepared after a first round: writer %d (before %d), reader %d", w1, w0, r1)
	}
	round(naive.PhoneActive, naive.PhoneReleased)
	round(naive.PhoneActive, naive.PhoneReleased, naive.PhoneProvisioning)
	if w, r := db.Prepared(); w != w1 || r != r1 {
		t.Fatalf("prepared after more rounds: writer %d, reader %d; want %d and %d", w, r, w1, r1)
	}
}

// TestStoreJobs checks that jobs are enqueued in the store's transactions,
// with River on the store's writer connection as the app sets it up.
func TestStoreJobs(t *testing.T) {
	storetest.RunJobs(t, func(t *testing.T) storetest.JobStore {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "naive.db"))
		if err != nil {
			t.Fatal(err)
		}
		q, err := jobs.NewSQLite(t.Context(), db.Writer(), jobs.Config{Service: jobs.Idle{}})
		if err != nil {
			db.Close()
			t.Fatal(err)
		}
		db.SetJobs(q)
		return storetest.JobStore{Store: db, ApprovalExpiries: func(id string) ([]time.Time, error) {
			return q.ApprovalExpiries(t.Context(), id)
		}}
	})
}

// TestStoreEventJobs checks that events are handed to the job hook only
// when their scope has a webhook endpoint.
func TestStoreEventJobs(t *testing.T) {
	storetest.RunEventJobs(t, func(t *testing.T) (store.Store, storetest.EventLog) {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "naive.db"))
		if err != nil {
			t.Fatal(err)
		}
		j := &storetest.Jobs[*sql.Tx]{}
		db.SetJobs(j)
		return db, j
	})
}

// TestSandbox runs the sandbox conformance suite on a file database, a
// second handle on the file standing for a second process.
func TestSandbox(t *testing.T) {
	storetest.RunSandbox(t, func(t *testing.T, hooked bool) storetest.SandboxStore {
		path := filepath.Join(t.TempDir(), "naive.db")
		var j *storetest.Jobs[*sql.Tx]
		if hooked {
			j = &storetest.Jobs[*sql.Tx]{}
		}
		openDB := func(t *testing.T) *sqlite.DB {
			db, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if j != nil {
				db.SetJobs(j)
			}
			return db
		}
		s := storetest.SandboxStore{Sandbox: openDB(t), Again: func(t *testing.T) store.Sandbox { return openDB(t) }}
		if j != nil {
			s.Tasks = j
		}
		return s
	})
}
