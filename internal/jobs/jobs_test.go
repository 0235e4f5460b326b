package jobs_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"

	"github.com/naive-oss/naive/internal/jobs"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
	"github.com/naive-oss/naive/internal/store/postgres"
	"github.com/naive-oss/naive/internal/store/postgres/pgtest"
	"github.com/naive-oss/naive/internal/store/sqlite"
)

// queue is a jobs.Queue of either database, with a way to insert an
// approval's expiry job in a transaction of its own.
type queue interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	List(ctx context.Context, kind string) ([]*rivertype.JobRow, error)
	SetSandbox(r jobs.SandboxRunner)
}

type handle struct {
	queue
	expire func(a *naive.Approval) error
	task   func(t store.SandboxTask) error
}

// backend opens queues ("processes") on one database.
type backend struct {
	name string
	// newDB returns the URL of a fresh database, or skips.
	newDB func(t *testing.T) string
	// connect opens the store at url and a queue on it; any goroutine may
	// call it.
	connect func(t *testing.T, url string, cfg jobs.Config) (*handle, error)
}

// open is connect on the test's goroutine.
func (b backend) open(t *testing.T, url string, cfg jobs.Config) *handle {
	t.Helper()
	h, err := b.connect(t, url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func backends() []backend {
	return []backend{
		{
			name:  "sqlite",
			newDB: func(t *testing.T) string { return filepath.Join(t.TempDir(), "naive.db") },
			connect: func(t *testing.T, url string, cfg jobs.Config) (*handle, error) {
				db, err := sqlite.Open(t.Context(), url)
				if err != nil {
					return nil, err
				}
				t.Cleanup(func() { db.Close() })
				q, err := jobs.NewSQLite(t.Context(), db.Writer(), cfg)
				if err != nil {
					return nil, err
				}
				inTx := func(fn func(tx *sql.Tx) error) error {
					tx, err := db.Writer().BeginTx(context.Background(), nil)
					if err != nil {
						return err
					}
					defer tx.Rollback()
					if err := fn(tx); err != nil {
						return err
					}
					return tx.Commit()
				}
				return &handle{queue: q,
					expire: func(a *naive.Approval) error {
						return inTx(func(tx *sql.Tx) error { return q.ApprovalCreated(context.Background(), tx, a) })
					},
					task: func(st store.SandboxTask) error {
						return inTx(func(tx *sql.Tx) error { return q.SandboxTaskDue(context.Background(), tx, st) })
					}}, nil
			},
		},
		{
			name: "postgres",
			newDB: func(t *testing.T) string {
				admin := os.Getenv("NAIVE_TEST_POSTGRES_URL")
				if admin == "" {
					t.Skip("NAIVE_TEST_POSTGRES_URL not set; skipping the PostgreSQL run of this test")
				}
				return pgtest.NewDatabase(t, admin)
			},
			connect: func(t *testing.T, url string, cfg jobs.Config) (*handle, error) {
				db, err := postgres.Open(t.Context(), url)
				if err != nil {
					return nil, err
				}
				t.Cleanup(func() { db.Close() })
				q, err := jobs.NewPostgres(t.Context(), db.Pool(), cfg)
				if err != nil {
					return nil, err
				}
				return &handle{queue: q,
					expire: func(a *naive.Approval) error {
						return pgx.BeginFunc(context.Background(), db.Pool(), func(tx pgx.Tx) error {
							return q.ApprovalCreated(context.Background(), tx, a)
						})
					},
					task: func(st store.SandboxTask) error {
						return pgx.BeginFunc(context.Background(), db.Pool(), func(tx pgx.Tx) error {
							return q.SandboxTaskDue(context.Background(), tx, st)
						})
					}}, nil
			},
		},
	}
}

func eachDB(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b)
		})
	}
}

// start starts h and stops it when t ends.
func start(t *testing.T, h *handle) {
	t.Helper()
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
}

// fake is a jobs.Service that counts its passes and answers expiries
// with expireFunc.
type fake struct {
	polls, sweeps, reconciles atomic.Int32
	mu                        sync.Mutex
	expired                   []string
	expireFunc                func(id string) (time.Time, error)
}

func (f *fake) PollCampaigns(context.Context)                                 { f.polls.Add(1) }
func (f *fake) SweepApprovals(context.Context)                                { f.sweeps.Add(1) }
func (f *fake) ReconcileProvisioning(context.Context)                         { f.reconciles.Add(1) }
func (f *fake) FanOutEvent(context.Context, string) ([]string, error)         { return nil, nil }
func (f *fake) AttemptDelivery(context.Context, string, int, time.Time) error { return nil }
func (f *fake) SendScheduled(context.Context, naive.Scope, string, []byte) (time.Time, error) {
	return time.Time{}, nil
}
func (f *fake) ExpireApproval(_ context.Context, _ naive.Scope, id string) (time.Time, error) {
	f.mu.Lock()
	f.expired = append(f.expired, id)
	f.mu.Unlock()
	if f.expireFunc == nil {
		return time.Time{}, nil
	}
	return f.expireFunc(id)
}

func (f *fake) calls(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, x := range f.expired {
		if x == id {
			n++
		}
	}
	return n
}

func config(svc jobs.Service) jobs.Config {
	return jobs.Config{Service: svc, PollInterval: 100 * time.Millisecond, SweepInterval: time.Hour,
		FetchPollInterval: 20 * time.Millisecond}
}

func approval(expiresAt time.Time) *naive.Approval {
	return &naive.Approval{ID: uuid.Must(uuid.NewV7()).String(), OperatorID: uuid.Must(uuid.NewV7()).String(),
		Mode: naive.ModeTest, ExpiresAt: expiresAt}
}

// waitFor polls cond until it holds or 15s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMigrateConcurrently starts several processes on one new database at
// once: River's migrations are applied once, and every start succeeds.
func TestMigrateConcurrently(t *testing.T) {
	eachDB(t, func(t *testing.T, b backend) {
		url := b.newDB(t)
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				if _, err := b.connect(t, url, config(&fake{})); err != nil {
					t.Errorf("process %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		// And again, on a database already migrated.
		b.open(t, url, config(&fake{}))
	})
}

// TestPeriodicPasses: a started queue runs every pass at once (a new
// leader runs them on election) and the campaign poll every period.
func TestPeriodicPasses(t *testing.T) {
	eachDB(t, func(t *testing.T, b backend) {
		f := &fake{}
		start(t, b.open(t, b.newDB(t), config(f)))
		waitFor(t, "every pass", func() bool {
			return f.polls.Load() >= 3 && f.sweeps.Load() >= 1 && f.reconciles.Load() >= 1
		})
	})
}

// TestPeriodicOnLeaderOnly: three processes on one database run the
// periodic passes of one leader, not three times as many. The period is
// longer than a pass takes to complete, so the passes' uniqueness does not
// hide a second inserter.
func TestPeriodicOnLeaderOnly(t *testing.T) {
	eachDB(t, func(t *testing.T, b backend) {
		url := b.newDB(t)
		const every = 400 * time.Millisecond
		fs := []*fake{{}, {}, {}}
		var hs []*handle
		for _, f := range fs {
			cfg := config(f)
			cfg.PollInterval = every
			h := b.open(t, url, cfg)
			start(t, h)
			hs = append(hs, h)
		}
		total := func() (n int32) {
			for _, f := range fs {
				n += f.polls.Load()
			}
			return n
		}
		waitFor(t, "a first poll", func() bool { return total() >= 1 })
		first, began := total(), time.Now()
		waitFor(t, "six more polls", func() bool { return total() >= first+6 })
		n := total() - first
		periods := int32(time.Since(began)/every) + 1
		t.Logf("%d polls in %d periods of %v, between 3 processes", n, periods, every)
		if n > periods+1 {
			t.Fatalf("%d polls in %d periods: more than one process inserts them", n, periods)
		}
		for _, kind := range []string{jobs.KindApprovalSweep, jobs.KindPhoneReconcile} {
			rows, err := hs[0].List(context.Background(), kind)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 {
				t.Errorf("%d %s passes, want 1 (the leader's on election)", len(rows), kind)
			}
		}
	})
}

// TestApprovalExpire covers the expiry worker's answers: done, not found
// (cancelled), an error (retried), too early (snoozed).
func TestApprovalExpire(t *testing.T) {
	eachDB(t, func(t *testing.T, b backend) {
		url := b.newDB(t)
		var mu sync.Mutex
		answers := map[string]func() (time.Time, error){}
		f := &fake{expireFunc: func(id string) (time.Time, error) {
			mu.Lock()
			defer mu.Unlock()
			return answers[id]()
		}}
		// An unstarted queue inserts, as a process that then dies would.
		h := b.open(t, url, config(f))
		past := time.Now().Add(-time.Second)
		done, gone, failing, early := approval(past), approval(past), approval(past), approval(past)
		later := time.Now().Add(time.Hour)
		mu.Lock()
		answers[done.ID] = func() (time.Time, error) { return time.Time{}, nil }
		answers[gone.ID] = func() (time.Time, error) { return time.Time{}, naive.NotFound("approval", gone.ID) }
		answers[failing.ID] = func() (time.Time, error) { return time.Time{}, errors.New("database unavailable") }
		answers[early.ID] = func() (time.Time, error) { return later, nil }
		mu.Unlock()
		for _, a := range []*naive.Approval{done, gone, failing, early} {
			if err := h.expire(a); err != nil {
				t.Fatal(err)
			}
		}
		// Another process works them.
		start(t, b.open(t, url, config(f)))
		state := func(a *naive.Approval) *rivertype.JobRow {
			rows, err := h.List(context.Background(), jobs.KindApprovalExpire)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if bytes.Contains(r.EncodedArgs, []byte(a.ID)) {
					return r
				}
			}
			t.Fatalf("no expiry job for %s", a.ID)
			return nil
		}
		waitFor(t, "every expiry tried", func() bool {
			return state(done).State == rivertype.JobStateCompleted && state(gone).State == rivertype.JobStateCancelled &&
				state(failing).State == rivertype.JobStateRetryable && f.calls(early.ID) > 0 &&
				state(early).State == rivertype.JobStateScheduled
		})
		if r := state(failing); len(r.Errors) == 0 || r.Errors[0].Error != "database unavailable" || r.MaxAttempts < 2 {
			t.Fatalf("failing job: errors %+v, max attempts %d", r.Errors, r.MaxAttempts)
		}
		if r := state(early); r.ScheduledAt.Before(later) || r.ScheduledAt.After(later.Add(time.Second)) {
			t.Fatalf("early job snoozed until %v, want about %v", r.ScheduledAt, later)
		}
		if n := f.calls(done.ID); n != 1 {
			t.Fatalf("done expiry ran %d times", n)
		}
	})
}

// TestConfig: a bad setting fails at start-up, plainly; a queue with no
// service (a standalone sandbox's) schedules no periodic pass.
func TestConfig(t *testing.T) {
	db, err := sqlite.Open(t.Context(), "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := jobs.NewSQLite(t.Context(), db.Writer(), jobs.Config{MaxWorkers: -1}); err == nil || err.Error() != "jobs: MaxWorkers must be positive" {
		t.Fatalf("error %v", err)
	}
	q, err := jobs.NewSQLite(t.Context(), db.Writer(), jobs.Config{FetchPollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	h := &handle{queue: q}
	start(t, h)
	time.Sleep(300 * time.Millisecond)
	for _, kind := range []string{jobs.KindCampaignPoll, jobs.KindApprovalSweep, jobs.KindPhoneReconcile} {
		if rows, err := q.List(t.Context(), kind); err != nil || len(rows) != 0 {
			t.Fatalf("a queue without a service has %d %s jobs (%v)", len(rows), kind, err)
		}
	}
}

// runner is a jobs.SandboxRunner that records when each task ran and
// fails a task as often as failures[ref] says.
type runner struct {
	mu       sync.Mutex
	ran      map[string][]time.Time
	failures map[string]int
}

func (r *runner) RunTask(_ context.Context, kind, ref string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ran[kind+"/"+ref] = append(r.ran[kind+"/"+ref], time.Now())
	if r.failures[ref] > 0 {
		r.failures[ref]--
		return errors.New("webhook receiver down")
	}
	return nil
}

func (r *runner) runs(kind, ref string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ran[kind+"/"+ref])
}

// TestSandboxTasks: a sandbox task inserted in a transaction runs once, on
// the process that has a simulator, not before its due time (though
// scheduled up to 5s early, for River's scheduler); a failing one is
// retried; a process without a simulator leaves them to others.
func TestSandboxTasks(t *testing.T) {
	eachDB(t, func(t *testing.T, b backend) {
		url := b.newDB(t)
		h := b.open(t, url, config(&fake{})) // inserts, never started
		job := func(ref string) *rivertype.JobRow {
			rows, err := h.List(context.Background(), jobs.KindSandboxTask)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if bytes.Contains(r.EncodedArgs, []byte(`"`+ref+`"`)) {
					return r
				}
			}
			t.Fatalf("no sandbox job for %s", ref)
			return nil
		}
		insert := func(st store.SandboxTask) {
			t.Helper()
			if err := h.task(st); err != nil {
				t.Fatal(err)
			}
		}

		// A process without a simulator snoozes what it takes.
		insert(store.SandboxTask{Kind: "webhook", Ref: "evt_idle", Due: time.Now()})
		idle := b.open(t, url, config(&fake{}))
		start(t, idle)
		waitFor(t, "the idle process to snooze a task", func() bool {
			j := job("evt_idle")
			return j.State == rivertype.JobStateScheduled && j.ScheduledAt.After(time.Now().Add(20*time.Second))
		})

		// Once it has one, it runs them, like any other that has one.
		r := &runner{ran: map[string][]time.Time{}, failures: map[string]int{"evt_flaky": 2}}
		idle.SetSandbox(r)
		worker := b.open(t, url, config(&fake{}))
		worker.SetSandbox(r)
		start(t, worker)
		now := time.Now()
		soon, far := now.Add(1500*time.Millisecond), now.Add(time.Hour)
		insert(store.SandboxTask{Kind: "webhook", Ref: "evt_ok", Due: now})
		insert(store.SandboxTask{Kind: "webhook", Ref: "evt_flaky", Due: now})
		insert(store.SandboxTask{Kind: "advance", Ref: "soon", Due: soon})
		insert(store.SandboxTask{Kind: "advance", Ref: "far", Due: far})
		if at := job("far").ScheduledAt; at.Before(far.Add(-6*time.Second)) || at.After(far.Add(-4*time.Second)) {
			t.Fatalf("a task due at %v scheduled at %v, want 5s before", far, at)
		}
		waitFor(t, "the tasks to run", func() bool {
			return len(r.runs("webhook", "evt_ok")) == 1 && len(r.runs("webhook", "evt_flaky")) == 3 &&
				len(r.runs("advance", "soon")) == 1 && job("evt_flaky").State == rivertype.JobStateCompleted
		})
		if got := r.runs("advance", "soon"); got[0].Before(soon) {
			t.Fatalf("a task due at %v ran at %v", soon, got[0])
		}
		time.Sleep(300 * time.Millisecond)
		for ref, kind := range map[string]string{"evt_ok": "webhook", "soon": "advance", "far": "advance", "evt_idle": "webhook"} {
			want := map[string]int{"evt_ok": 1, "soon": 1}[ref]
			if n := len(r.runs(kind, ref)); n != want {
				t.Fatalf("task %s ran %d times, want %d", ref, n, want)
			}
		}
	})
}
