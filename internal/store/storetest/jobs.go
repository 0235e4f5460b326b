package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// JobStore is what a backend's test gives RunJobs: a store whose
// transactions enqueue their rows' jobs for real, and a reader of them.
type JobStore struct {
	store.Store
	// ApprovalExpiries returns when each expiry job of approval id is due,
	// one entry per job.
	ApprovalExpiries func(approvalID string) ([]time.Time, error)
}

// RunJobs checks that a store enqueues jobs in the transaction of the row
// they act on: a stored approval has exactly one expiry
// job, due at its expires_at; an approval whose transaction rolls back
// leaves none. open returns a fresh, empty store, as for Run.
func RunJobs(t *testing.T, open func(t *testing.T) JobStore) {
	// start opens a store and seeds it, returning the reader of its jobs.
	start := func(t *testing.T) (*bundle, func(string) ([]time.Time, error)) {
		var js JobStore
		b := setup(t, func(t *testing.T) store.Store {
			js = open(t)
			return js.Store
		})
		return b, js.ApprovalExpiries
	}
	// wantExpiry asserts approval id has exactly n expiry jobs, due at want.
	wantExpiry := func(t *testing.T, expiries func(string) ([]time.Time, error), id string, n int, want time.Time) {
		t.Helper()
		got, err := expiries(id)
		must(t, err)
		if len(got) != n {
			t.Fatalf("approval %s has %d expiry jobs, want %d", id, len(got), n)
		}
		for _, at := range got {
			// Job times may be stored to the millisecond only.
			if d := at.Sub(want); d < -time.Millisecond || d > time.Millisecond {
				t.Fatalf("expiry job due at %v, want the approval's expires_at %v", at, want)
			}
		}
	}

	t.Run("ApprovalExpiryEnqueued", func(t *testing.T) {
		t.Parallel()
		b, expiries := start(t)
		a := b.createApproval(t, b.live, b.liveSubject.ID, now().Add(72*time.Hour))
		wantExpiry(t, expiries, a.ID, 1, a.ExpiresAt)
		// One already due is enqueued all the same.
		due := b.createApproval(t, b.test, b.testSubject.ID, now().Add(-time.Second))
		wantExpiry(t, expiries, due.ID, 1, due.ExpiresAt)
	})

	t.Run("ApprovalExpiryRolledBack", func(t *testing.T) {
		t.Parallel()
		b, expiries := start(t)
		first := newApproval(b.live, b.liveSubject.ID, now().Add(time.Hour))
		firstEv := approvalEvent(first, naive.EventApprovalRequested)
		must(t, b.s.CreateApproval(b.ctx, first, firstEv, noRun))
		// The event is written after the job: reusing the first approval's
		// event id fails the transaction once the job is in it.
		a := newApproval(b.live, b.liveSubject.ID, now().Add(time.Hour))
		ev := approvalEvent(a, naive.EventApprovalRequested)
		ev.ID = firstEv.ID
		wantErr(t, b.s.CreateApproval(b.ctx, a, ev, noRun), store.ErrConflict)
		_, err := b.s.GetApproval(b.ctx, b.live, a.ID)
		wantErr(t, err, store.ErrNotFound)
		wantExpiry(t, expiries, a.ID, 0, time.Time{})
		wantExpiry(t, expiries, first.ID, 1, first.ExpiresAt)
		// A subject of another scope fails before anything is written.
		bad := newApproval(b.live, b.testSubject.ID, now().Add(time.Hour))
		wantErr(t, b.s.CreateApproval(b.ctx, bad, approvalEvent(bad, naive.EventApprovalRequested), noRun), store.ErrNotFound)
		wantExpiry(t, expiries, bad.ID, 0, time.Time{})
	})

	t.Run("ApprovalExpiryConcurrent", func(t *testing.T) {
		t.Parallel()
		b, expiries := start(t)
		const n = 20
		as := make([]*naive.Approval, n)
		concurrently(n, func(i int) {
			a := newApproval(b.live, b.liveSubject.ID, now().Add(time.Duration(i+1)*time.Minute))
			if err := b.s.CreateApproval(b.ctx, a, approvalEvent(a, naive.EventApprovalRequested), noRun); err != nil {
				t.Errorf("CreateApproval %d: %v", i, err)
			}
			as[i] = a
		})
		if t.Failed() {
			t.FailNow()
		}
		for _, a := range as {
			wantExpiry(t, expiries, a.ID, 1, a.ExpiresAt)
		}
	})
}

// Jobs is a fake of a backend's job hook, generic over its transaction
// type (sqlite.Jobs with *sql.Tx, postgres.Jobs with pgx.Tx): it enqueues
// nothing and records the events and sandbox tasks the store asked it to
// enqueue, whether or not their transaction then committed.
type Jobs[TTx any] struct {
	mu      sync.Mutex
	events  []string
	tasks   []store.SandboxTask
	failing error
}

// ApprovalCreated does nothing.
func (j *Jobs[TTx]) ApprovalCreated(context.Context, TTx, *naive.Approval) error { return nil }

// MessageScheduled does nothing.
func (j *Jobs[TTx]) MessageScheduled(context.Context, TTx, *naive.Message, store.ScheduledSend) error {
	return nil
}

// EventCreated records ev's id.
func (j *Jobs[TTx]) EventCreated(_ context.Context, _ TTx, ev *naive.Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.events = append(j.events, ev.ID)
	return nil
}

// Enqueued returns the ids of the events EventCreated was called with.
func (j *Jobs[TTx]) Enqueued() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.events)
}

// SandboxTaskDue records t, or fails with the error of FailNextTask.
func (j *Jobs[TTx]) SandboxTaskDue(_ context.Context, _ TTx, t store.SandboxTask) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.failing; err != nil {
		j.failing = nil
		return err
	}
	j.tasks = append(j.tasks, t)
	return nil
}

// Tasks returns the sandbox tasks SandboxTaskDue recorded, in order.
func (j *Jobs[TTx]) Tasks() []store.SandboxTask {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.tasks)
}

// FailNextTask makes the next SandboxTaskDue fail with err, recording
// nothing.
func (j *Jobs[TTx]) FailNextTask(err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.failing = err
}

// EventLog is what RunEventJobs reads of a store's job hook: a *Jobs.
type EventLog interface {
	Enqueued() []string
}

// RunEventJobs checks that a store asks its job hook to deliver an event
// only when the event's scope has a webhook endpoint (a job only
// when there is work), whichever method stores the event. open
// returns a fresh, empty store with a *Jobs set as its hook.
func RunEventJobs(t *testing.T, open func(t *testing.T) (store.Store, EventLog)) {
	t.Run("OnlyWithEndpoint", func(t *testing.T) {
		t.Parallel()
		var log EventLog
		b := setup(t, func(t *testing.T) store.Store {
			s, l := open(t)
			log = l
			return s
		})
		enqueued := func(ev *naive.Event) bool { return slices.Contains(log.Enqueued(), ev.ID) }
		want := func(what string, ev *naive.Event, queued bool) {
			t.Helper()
			if got := enqueued(ev); got != queued {
				t.Fatalf("%s: enqueued %v, want %v", what, got, queued)
			}
		}
		event := func(sc naive.Scope) *naive.Event {
			return &naive.Event{ID: newID(), Type: naive.EventSMSReceived, Data: []byte(`{}`), CreatedAt: now(),
				Mode: sc.Mode, OperatorID: sc.OperatorID}
		}

		// No endpoint anywhere: nothing to deliver.
		ev := event(b.live)
		must(t, b.s.AddEvent(b.ctx, ev))
		want("event of a scope without endpoints", ev, false)
		a := newApproval(b.live, b.liveSubject.ID, now().Add(time.Hour))
		aev := approvalEvent(a, naive.EventApprovalRequested)
		must(t, b.s.CreateApproval(b.ctx, a, aev, noRun))
		want("approval event of a scope without endpoints", aev, false)

		// An agent's endpoint in live: live events are delivered, test
		// events still not.
		agent := b.newAgent(t, b.live)
		must(t, b.s.CreateWebhookEndpoint(b.ctx, newEndpoint(b.live, agent.ID)))
		ev = event(b.live)
		must(t, b.s.AddEvent(b.ctx, ev))
		want("event of a scope with an agent endpoint", ev, true)
		tev := event(b.test)
		must(t, b.s.AddEvent(b.ctx, tev))
		want("event of the other mode", tev, false)
		p := newPhone(b.live, b.liveSubject.ID)
		p.Price = 0
		_, err := b.s.ReservePhone(b.ctx, p, debitFor(p), noRun)
		must(t, err)
		pev := phoneEvent(b.live, naive.EventPhoneProvisioned, p.ID)
		must(t, b.s.ActivatePhone(b.ctx, &store.PhoneActivation{ID: p.ID, E164: "+14155550180", CarrierID: "pn_1",
			Events: []*naive.Event{pev}}, noRun))
		want("phone event of a scope with an endpoint", pev, true)

		// An operator's endpoint in test: test events too.
		must(t, b.s.CreateWebhookEndpoint(b.ctx, newEndpoint(b.test, "")))
		tev = event(b.test)
		must(t, b.s.AddEvent(b.ctx, tev))
		want("event of a scope with an endpoint", tev, true)
		ta := newApproval(b.test, b.testSubject.ID, now().Add(time.Hour))
		taev := approvalEvent(ta, naive.EventApprovalRequested)
		must(t, b.s.CreateApproval(b.ctx, ta, taev, noRun))
		want("approval event of a scope with an endpoint", taev, true)
	})
}
