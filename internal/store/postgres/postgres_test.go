package postgres_test

import (
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/jobs"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
	"github.com/naive-oss/naive/internal/store/postgres"
	"github.com/naive-oss/naive/internal/store/postgres/pgtest"
	"github.com/naive-oss/naive/internal/store/storetest"
)

func adminURL(t *testing.T) string {
	u := os.Getenv("NAIVE_TEST_POSTGRES_URL")
	if u == "" {
		t.Skip("NAIVE_TEST_POSTGRES_URL not set; skipping PostgreSQL store tests")
	}
	return u
}

// slots bounds the test databases open at once, so parallel subtests on a
// many-core machine stay under the server's max_connections.
var slots = make(chan struct{}, 8)

// withPool caps the pool of one test database (see slots).
func withPool(u string) string {
	switch {
	case strings.Contains(u, "://") && strings.Contains(u, "?"):
		return u + "&pool_max_conns=4"
	case strings.Contains(u, "://"):
		return u + "?pool_max_conns=4"
	}
	return u + " pool_max_conns=4"
}

func newDatabase(t *testing.T, admin string) string {
	slots <- struct{}{}
	t.Cleanup(func() { <-slots })
	return withPool(pgtest.NewDatabase(t, admin))
}

// TestStore runs the conformance suite on a fresh database per subtest.
func TestStore(t *testing.T) {
	admin := adminURL(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		db, err := postgres.Open(t.Context(), newDatabase(t, admin))
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

// TestOpenConcurrently starts several "processes" on one new database at
// once: the advisory lock lets one migrate while the others wait, and
// exactly one seeds.
func TestOpenConcurrently(t *testing.T) {
	admin := adminURL(t)
	t.Parallel()
	url := newDatabase(t, admin)
	dbs := make([]*postgres.DB, 4)
	var wg sync.WaitGroup
	for i := range dbs {
		wg.Go(func() {
			db, err := postgres.Open(t.Context(), url)
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
		t.Fatalf("%d processes seeded, want 1", n)
	}
}

// TestStoreJobs checks that jobs are enqueued in the store's transactions,
// with River on the store's pool as the app sets it up.
func TestStoreJobs(t *testing.T) {
	admin := adminURL(t)
	storetest.RunJobs(t, func(t *testing.T) storetest.JobStore {
		db, err := postgres.Open(t.Context(), newDatabase(t, admin))
		if err != nil {
			t.Fatal(err)
		}
		q, err := jobs.NewPostgres(t.Context(), db.Pool(), jobs.Config{Service: jobs.Idle{}})
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
// when their scope has a webhook endpoint, whether the phase storing them
// was piped (and ran again in a transaction for the job) or not.
func TestStoreEventJobs(t *testing.T) {
	admin := adminURL(t)
	storetest.RunEventJobs(t, func(t *testing.T) (store.Store, storetest.EventLog) {
		db, err := postgres.Open(t.Context(), newDatabase(t, admin))
		if err != nil {
			t.Fatal(err)
		}
		j := &storetest.Jobs[pgx.Tx]{}
		db.SetJobs(j)
		return db, j
	})
}

// TestSandbox runs the sandbox conformance suite on a fresh database per
// subtest, a second pool on the database standing for a second process.
func TestSandbox(t *testing.T) {
	admin := adminURL(t)
	storetest.RunSandbox(t, func(t *testing.T, hooked bool) storetest.SandboxStore {
		url := newDatabase(t, admin)
		var j *storetest.Jobs[pgx.Tx]
		if hooked {
			j = &storetest.Jobs[pgx.Tx]{}
		}
		openDB := func(t *testing.T) *postgres.DB {
			db, err := postgres.Open(t.Context(), url)
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
