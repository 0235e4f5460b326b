package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/naive-oss/naive/internal/store"
)

// SandboxRunner runs the tasks of the test-mode carrier (the Surge
// simulator on the store's database, *surgesim.Server): its campaign
// reviews, message deliveries and webhooks. An error means "try again
// later".
type SandboxRunner interface {
	RunTask(ctx context.Context, kind, ref string) error
}

// KindSandboxTask is the job kind of a sandbox task.
const KindSandboxTask = "sandbox.task"

// SandboxTaskArgs is one task of the sandbox carrier, inserted by the
// store in the transaction that stores the sandbox state it acts on.
type SandboxTaskArgs struct {
	Task string    `json:"task"`
	Ref  string    `json:"ref,omitempty"`
	Due  time.Time `json:"due"`
}

// Kind is the job kind.
func (SandboxTaskArgs) Kind() string { return KindSandboxTask }

// sandboxLead is how much earlier than its due time a sandbox task is
// scheduled: River makes a scheduled job available within its scheduler's
// period (5s) after its time, and the simulator's transitions are meant to
// the second (a review delay, a delivery 500ms after a send). The worker
// waits out the rest.
const sandboxLead = 5 * time.Second

// Sandbox tasks retry quickly (the receiver of a webhook is this server,
// back within seconds of a restart), for about half an hour.
const (
	sandboxFirstRetry  = time.Second
	sandboxMaxRetry    = time.Minute
	sandboxMaxAttempts = 40
	// sandboxIdleSnooze is how long a task waits when this process runs no
	// simulator on the database (a standalone sandbox or a memory-only
	// one): a process that does will take it.
	sandboxIdleSnooze = 30 * time.Second
)

// SandboxTaskDue inserts, in tx, the job of a sandbox task due at t.Due.
// The store calls it inside the transaction that stores the sandbox's
// state, so the task exists exactly when that state does.
func (q *Queue[TTx]) SandboxTaskDue(ctx context.Context, tx TTx, t store.SandboxTask) error {
	opts := &river.InsertOpts{MaxAttempts: sandboxMaxAttempts}
	if lead := t.Due.Add(-sandboxLead); time.Until(lead) > 0 {
		opts.ScheduledAt = lead
	}
	_, err := q.client.InsertTx(ctx, tx, SandboxTaskArgs{Task: t.Kind, Ref: t.Ref, Due: t.Due}, opts)
	if err != nil {
		return fmt.Errorf("jobs: enqueue sandbox task: %w", err)
	}
	return nil
}

// sandboxWorker runs sandbox tasks on the process's simulator.
type sandboxWorker struct {
	river.WorkerDefaults[SandboxTaskArgs]
	run func() SandboxRunner
}

// Work waits until the task is due, then runs it.
func (w *sandboxWorker) Work(ctx context.Context, job *river.Job[SandboxTaskArgs]) error {
	r := w.run()
	if r == nil {
		return river.JobSnooze(sandboxIdleSnooze)
	}
	if wait := time.Until(job.Args.Due); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	return r.RunTask(ctx, job.Args.Task, job.Args.Ref)
}

// NextRetry backs off from a second, doubling up to a minute.
func (w *sandboxWorker) NextRetry(job *river.Job[SandboxTaskArgs]) time.Time {
	d := sandboxFirstRetry << min(max(job.Attempt-1, 0), 6)
	return time.Now().Add(min(d, sandboxMaxRetry))
}

// Timeout bounds one task: the wait for its due time and a webhook send.
func (w *sandboxWorker) Timeout(*river.Job[SandboxTaskArgs]) time.Duration {
	return sandboxLead + time.Minute
}

// SetSandbox makes this process run sandbox tasks on r (nil: it leaves
// them to processes that have one). Call it once the simulator is open on
// the store's database; until then its tasks wait.
func (q *Queue[TTx]) SetSandbox(r SandboxRunner) {
	if r == nil {
		q.sandbox.Store(nil)
		return
	}
	q.sandbox.Store(&r)
}

func (q *Queue[TTx]) sandboxRunner() SandboxRunner {
	if r := q.sandbox.Load(); r != nil {
		return *r
	}
	return nil
}
