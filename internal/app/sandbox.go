package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/naive-oss/naive/internal/jobs"
	"github.com/naive-oss/naive/internal/store"
	"github.com/naive-oss/naive/internal/surge/surgesim"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
)

// sandboxStorage keeps the Surge simulator's state in the store's sandbox
// tables: every process on the database, and every later start, serves the
// same test carrier. Its tasks are River jobs the store inserts in the
// same transaction.
type sandboxStorage struct{ db store.Sandbox }

var _ surgesim.Storage = sandboxStorage{}

func (s sandboxStorage) Changes(ctx context.Context, since int64) ([]surgesim.Record, int64, error) {
	recs, v, err := s.db.SandboxChanges(ctx, since)
	return fromStore(recs), v, err
}

func (s sandboxStorage) Update(ctx context.Context, since int64, fn func([]surgesim.Record) ([]surgesim.Record, []surgesim.Task, error)) (int64, error) {
	return s.db.SandboxUpdate(ctx, since, func(changed []store.SandboxRecord) ([]store.SandboxRecord, []store.SandboxTask, error) {
		recs, tasks, err := fn(fromStore(changed))
		if err != nil {
			return nil, nil, err
		}
		out := make([]store.SandboxRecord, len(recs))
		for i, r := range recs {
			out[i] = store.SandboxRecord{Kind: r.Kind, ID: r.ID, Data: r.Data}
		}
		ts := make([]store.SandboxTask, len(tasks))
		for i, t := range tasks {
			ts[i] = store.SandboxTask{Kind: t.Kind, Ref: t.Ref, Due: t.Due}
		}
		return out, ts, nil
	})
}

func fromStore(recs []store.SandboxRecord) []surgesim.Record {
	out := make([]surgesim.Record, len(recs))
	for i, r := range recs {
		out[i] = surgesim.Record{Kind: r.Kind, ID: r.ID, Data: r.Data}
	}
	return out
}

// openSandbox opens the Surge simulator on the store's sandbox tables and
// makes this process's queue run its tasks.
func openSandbox(ctx context.Context, st store.Store, q queue, cfg surgesim.Config) (*surgesim.Server, error) {
	db, err := sandboxDB(st)
	if err != nil {
		return nil, err
	}
	cfg.Storage = sandboxStorage{db}
	sim, err := surgesim.Open(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open the sandbox carrier: %w", err)
	}
	q.SetSandbox(sandboxRunner{surge: sim})
	return sim, nil
}

// openTelnyxStandalone opens the Telnyx simulator on the store's sandbox
// tables and makes this process's queue run its tasks (only its: a Surge
// task on the same database waits for a process with that simulator).
func openTelnyxStandalone(ctx context.Context, st store.Store, q queue, cfg telnyxsim.Config) (*telnyxsim.Server, error) {
	db, err := sandboxDB(st)
	if err != nil {
		return nil, err
	}
	sim, err := telnyxsim.Open(ctx, cfg, sandboxStorage{db})
	if err != nil {
		return nil, fmt.Errorf("open the Telnyx sandbox: %w", err)
	}
	q.SetSandbox(sandboxRunner{telnyx: sim})
	return sim, nil
}

// sandboxDB is st's sandbox tables.
func sandboxDB(st store.Store) (store.Sandbox, error) {
	db, ok := st.(store.Sandbox)
	if !ok {
		return nil, fmt.Errorf("a %T store cannot keep the sandbox's state", st)
	}
	return db, nil
}

// Standalone is one carrier's simulator alone on a database of its own
// (`naive sandbox surge`, `naive sandbox telnyx`): its state and its tasks
// (River) survive its restarts, and several standalone processes on one
// database serve one simulator.
type Standalone struct {
	// Sim is the Surge simulator (OpenStandalone); serve it over HTTP.
	Sim *surgesim.Server
	// Telnyx is the Telnyx simulator (OpenStandaloneTelnyx); serve it
	// over HTTP.
	Telnyx *telnyxsim.Server
	store  store.Store
	jobs   queue
	cancel context.CancelFunc
}

// OpenStandalone opens the store databaseURL names (creating and
// migrating it on first use), the Surge simulator on it, and the River
// queue that runs its tasks.
func OpenStandalone(ctx context.Context, databaseURL string, cfg surgesim.Config) (*Standalone, error) {
	return openStandalone(ctx, databaseURL, cfg.Logger, func(s *Standalone) (err error) {
		s.Sim, err = openSandbox(ctx, s.store, s.jobs, cfg)
		return err
	})
}

// OpenStandaloneTelnyx is OpenStandalone for the Telnyx simulator: its
// state, webhook signing key included, lives in databaseURL.
func OpenStandaloneTelnyx(ctx context.Context, databaseURL string, cfg telnyxsim.Config) (*Standalone, error) {
	return openStandalone(ctx, databaseURL, cfg.Logger, func(s *Standalone) (err error) {
		s.Telnyx, err = openTelnyxStandalone(ctx, s.store, s.jobs, cfg)
		return err
	})
}

// openStandalone opens the store and its queue, then the simulator (open
// sets it on s), then starts the queue.
func openStandalone(ctx context.Context, databaseURL string, logger *slog.Logger, open func(*Standalone) error) (*Standalone, error) {
	st, err := OpenStore(ctx, databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s := &Standalone{store: st}
	ok := false
	defer func() {
		if !ok {
			s.closeSims()
			_ = st.Close()
		}
	}()
	s.jobs, err = openJobs(ctx, st, jobs.Config{FetchPollInterval: 250 * time.Millisecond, Logger: logger})
	if err != nil {
		return nil, err
	}
	if err := open(s); err != nil {
		return nil, err
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if err := s.jobs.Start(bg); err != nil {
		cancel()
		return nil, err
	}
	s.cancel = cancel
	ok = true
	return s, nil
}

// Close stops the queue (a task cut short runs again on the next start)
// and closes the database.
func (s *Standalone) Close(ctx context.Context) error {
	err := s.jobs.Stop(ctx)
	s.cancel()
	s.closeSims()
	if cerr := s.store.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *Standalone) closeSims() {
	if s.Sim != nil {
		s.Sim.Close()
	}
	if s.Telnyx != nil {
		s.Telnyx.Close()
	}
}

// sandboxRunner runs a sandbox task on the simulator whose task it is: the
// Telnyx simulator's kinds are prefixed, every other is Surge's. A process
// without the simulator a task is for fails it, and River retries it where
// one is (or here once it opens).
type sandboxRunner struct {
	surge  *surgesim.Server
	telnyx *telnyxsim.Server
}

func (r sandboxRunner) RunTask(ctx context.Context, kind, ref string) error {
	if telnyxsim.IsTask(kind) {
		if r.telnyx == nil {
			return errors.New("no Telnyx simulator in this process")
		}
		return r.telnyx.RunTask(ctx, kind, ref)
	}
	if r.surge == nil {
		return errors.New("no Surge simulator in this process")
	}
	return r.surge.RunTask(ctx, kind, ref)
}
