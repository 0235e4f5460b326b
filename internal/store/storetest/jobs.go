package storetest

import (
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
// they act on (DESIGN.md: jobs): a stored approval has exactly one expiry
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
