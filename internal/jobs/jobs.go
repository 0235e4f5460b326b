// Package jobs is the durable background work of the server, on River
// (github.com/riverqueue/river) over the store's own database: SQLite
// (riversqlite) or PostgreSQL (riverpgxv5). It owns the job kinds, their
// workers and the River client.
//
// Two kinds of work run here:
//
//   - Periodic passes (campaign poll, approval sweep, purchase
//     reconciliation) inserted by River's elected leader only (River starts
//     them within a few seconds of its start), so several
//     processes on one database do not multiply them. Each pass reads its
//     state from the database and is idempotent; a pass that fails is not
//     retried, the next period is its retry.
//   - Row jobs, inserted by the store in the same transaction as the row
//     they act on (an approval's expiry at its expires_at), retried with
//     River's backoff, cancelled when their row is gone, snoozed when they
//     come early.
//
// Nothing lives only in a process: a restart, or another process, picks up
// every job where it was left.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/naive-oss/naive/internal/naive"
)

// Service is the work the workers run: the service's passes and the
// expiry of one approval. *service.Service implements it.
type Service interface {
	// PollCampaigns checks every open campaign once.
	PollCampaigns(ctx context.Context)
	// ReconcileProvisioning settles provisions a dead process left unfinished.
	ReconcileProvisioning(ctx context.Context)
	// SweepApprovals expires overdue approvals and fails stuck executions.
	SweepApprovals(ctx context.Context)
	// ExpireApproval expires one due approval. It returns when to come back
	// if the approval is pending but not due yet, else the zero time.
	// Errors: not_found (the approval is gone).
	ExpireApproval(ctx context.Context, sc naive.Scope, id string) (retryAt time.Time, err error)
	// Deliverer sends events to webhook endpoints.
	Deliverer
	// ScheduledSender sends scheduled texts.
	ScheduledSender
}

// Job kinds, as stored in River's river_job.kind.
const (
	KindCampaignPoll   = "campaign.poll"
	KindApprovalSweep  = "approval.sweep"
	KindPhoneReconcile = "phone.reconcile"
	KindApprovalExpire = "approval.expire"
)

// CampaignPollArgs is one pass of the campaign poll.
type CampaignPollArgs struct{}

// Kind is the job kind.
func (CampaignPollArgs) Kind() string { return KindCampaignPoll }

// ApprovalSweepArgs is one pass of the approval sweep.
type ApprovalSweepArgs struct{}

// Kind is the job kind.
func (ApprovalSweepArgs) Kind() string { return KindApprovalSweep }

// PhoneReconcileArgs is one pass of purchase reconciliation.
type PhoneReconcileArgs struct{}

// Kind is the job kind.
func (PhoneReconcileArgs) Kind() string { return KindPhoneReconcile }

// ApprovalExpireArgs is the expiry of one approval, scheduled at its
// expires_at by the transaction that created it.
type ApprovalExpireArgs struct {
	ApprovalID string     `json:"approval_id"`
	OperatorID string     `json:"operator_id"`
	Mode       naive.Mode `json:"mode"`
}

// Kind is the job kind.
func (ApprovalExpireArgs) Kind() string { return KindApprovalExpire }

// Config configures a Queue. Zero values take the documented defaults.
type Config struct {
	// Service runs the work. Nil makes a queue that runs only the sandbox
	// carrier's tasks (a standalone sandbox): no periodic passes.
	Service Service
	// PollInterval is the period of the campaign poll (default 2s).
	PollInterval time.Duration
	// SweepInterval is the period of the approval sweep and of purchase
	// reconciliation (default 1m). Approvals expire on time through their
	// own jobs; the sweep is the backstop and fails stuck executions.
	SweepInterval time.Duration
	// FetchPollInterval is how often an idle process looks for due jobs
	// (default 1s). PostgreSQL wakes workers on insert (LISTEN/NOTIFY), so
	// there it is a fallback; on SQLite it bounds how soon a new job
	// starts. A job scheduled for later becomes due within River's
	// scheduler period (5s) after its time.
	FetchPollInterval time.Duration
	// DeliveryBackoff is the first wait between webhook delivery attempts,
	// doubling up to an hour (default 10s; DeliveryAttempts tries span
	// more than 24 h).
	DeliveryBackoff time.Duration
	// MaxWorkers is how many jobs one process works at once (default 10).
	MaxWorkers int
	// Logger (default: discard).
	Logger *slog.Logger
}

func (c *Config) validate() error {
	if c.PollInterval == 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = time.Minute
	}
	if c.FetchPollInterval == 0 {
		c.FetchPollInterval = time.Second
	}
	if c.DeliveryBackoff == 0 {
		c.DeliveryBackoff = 10 * time.Second
	}
	if c.MaxWorkers == 0 {
		c.MaxWorkers = 10
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.PollInterval < 0, c.SweepInterval < 0:
		return errors.New("jobs: PollInterval and SweepInterval must be positive")
	case c.FetchPollInterval < time.Millisecond:
		return errors.New("jobs: FetchPollInterval must be at least 1ms")
	case c.MaxWorkers < 0:
		return errors.New("jobs: MaxWorkers must be positive")
	}
	return nil
}

// passTimeout bounds one periodic pass; rescueAfter is when River takes a
// job whose process died back from it (it must exceed every job's timeout).
const (
	passTimeout = 5 * time.Minute
	rescueAfter = 10 * time.Minute
)

// passDedupWindow scopes the uniqueness of a periodic pass: while one pass
// of a kind waits or runs, the leader inserts no other in the same window,
// so slow passes never pile up; a pass left running by a dead process
// blocks its kind for one window at most.
const passDedupWindow = time.Minute

// Queue is River on one database for one process: it works jobs, and
// inserts row jobs in the caller's transaction (TTx is *sql.Tx on SQLite,
// pgx.Tx on PostgreSQL).
type Queue[TTx any] struct {
	client  *river.Client[TTx]
	sandbox atomic.Pointer[SandboxRunner]
}

// newQueue builds the River client: workers for every kind, the periodic
// passes, one queue.
func newQueue[TTx any](driver riverdriver.Driver[TTx], cfg Config) (*Queue[TTx], error) {
	q := &Queue[TTx]{}
	workers := river.NewWorkers()
	river.AddWorker(workers, &sandboxWorker{run: q.sandboxRunner})
	var periodics []*river.PeriodicJob
	fanOut := &fanOutWorker{svc: cfg.Service}
	if cfg.Service != nil {
		river.AddWorker(workers, &passWorker[CampaignPollArgs]{run: cfg.Service.PollCampaigns})
		river.AddWorker(workers, &passWorker[ApprovalSweepArgs]{run: cfg.Service.SweepApprovals})
		river.AddWorker(workers, &passWorker[PhoneReconcileArgs]{run: cfg.Service.ReconcileProvisioning})
		river.AddWorker(workers, &approvalExpireWorker{svc: cfg.Service})
		river.AddWorker(workers, fanOut)
		river.AddWorker(workers, &deliverWorker{svc: cfg.Service, base: cfg.DeliveryBackoff})
		river.AddWorker(workers, &scheduledSMSWorker{svc: cfg.Service})
		periodics = []*river.PeriodicJob{
			// The poll's period is short: its first run waits for it. The
			// sweeps' is long: a new leader runs them at once, which
			// settles what a dead process left without waiting a period.
			periodic(CampaignPollArgs{}, cfg.PollInterval, false),
			periodic(ApprovalSweepArgs{}, cfg.SweepInterval, true),
			periodic(PhoneReconcileArgs{}, cfg.SweepInterval, true),
		}
	}

	client, err := river.NewClient(driver, &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers}},
		Workers:              workers,
		FetchPollInterval:    cfg.FetchPollInterval,
		FetchCooldown:        min(100*time.Millisecond, cfg.FetchPollInterval),
		PeriodicJobs:         periodics,
		JobTimeout:           passTimeout,
		RescueStuckJobsAfter: rescueAfter,
		// Passes complete every few seconds; an hour of them is history
		// enough. Failed jobs stay a week (River's default) for diagnosis.
		CompletedJobRetentionPeriod: time.Hour,
		Logger:                      cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	fanOut.insert = func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
		_, err := client.Insert(ctx, args, opts)
		return err
	}
	q.client = client
	return q, nil
}

// periodic is a pass inserted every interval by the leader, and, if
// onElection, once when a leader is elected.
func periodic[T river.JobArgs](args T, every time.Duration, onElection bool) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) {
			return args, &river.InsertOpts{
				MaxAttempts: 1,
				UniqueOpts: river.UniqueOpts{
					ByPeriod: passDedupWindow,
					ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
						rivertype.JobStateRunning, rivertype.JobStateScheduled},
				},
			}
		},
		&river.PeriodicJobOpts{ID: args.Kind(), RunOnStart: onElection})
}

// Start works jobs until Stop (or until ctx ends).
func (q *Queue[TTx]) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop lets running jobs finish until ctx ends, then cancels them; a
// cancelled job runs again later, here or in another process.
func (q *Queue[TTx]) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = q.client.StopAndCancel(hard)
	}
	return err
}

// ApprovalCreated inserts, in tx, the expiry job of a new pending
// approval, due at its ExpiresAt. The store calls it inside the
// transaction that inserts the approval, so the job exists exactly when
// the approval does.
func (q *Queue[TTx]) ApprovalCreated(ctx context.Context, tx TTx, a *naive.Approval) error {
	_, err := q.client.InsertTx(ctx, tx, ApprovalExpireArgs{ApprovalID: a.ID, OperatorID: a.OperatorID, Mode: a.Mode},
		&river.InsertOpts{ScheduledAt: a.ExpiresAt})
	if err != nil {
		return fmt.Errorf("jobs: enqueue approval expiry: %w", err)
	}
	return nil
}

// List returns up to 10,000 jobs of a kind, in any state, oldest first, for
// tests and diagnosis.
func (q *Queue[TTx]) List(ctx context.Context, kind string) ([]*rivertype.JobRow, error) {
	res, err := q.client.JobList(ctx, river.NewJobListParams().Kinds(kind).First(10000).
		States(rivertype.JobStates()...))
	if err != nil {
		return nil, fmt.Errorf("jobs: list %s: %w", kind, err)
	}
	return res.Jobs, nil
}

// passWorker runs one periodic pass. The service logs what failed inside
// a pass; the job fails only when the pass was cut short (timeout,
// shutdown), and the next period runs it again.
type passWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	run func(context.Context)
}

// Work runs the pass.
func (w *passWorker[T]) Work(ctx context.Context, _ *river.Job[T]) error {
	w.run(ctx)
	return ctx.Err()
}

// Timeout bounds the pass.
func (w *passWorker[T]) Timeout(*river.Job[T]) time.Duration { return passTimeout }

// approvalExpireWorker expires one approval when it is due.
type approvalExpireWorker struct {
	river.WorkerDefaults[ApprovalExpireArgs]
	svc Service
}

// expireEarlyMargin is added to a snooze so a job that came early does not
// come back a hair before its time again.
const expireEarlyMargin = 50 * time.Millisecond

// Work expires the approval: an error is retried with River's backoff; an
// approval that no longer exists cancels the job (no retry can help); one
// not due yet (the job ran on a clock ahead of the approver's) snoozes it
// until it is.
func (w *approvalExpireWorker) Work(ctx context.Context, job *river.Job[ApprovalExpireArgs]) error {
	a := job.Args
	retryAt, err := w.svc.ExpireApproval(ctx, naive.Scope{OperatorID: a.OperatorID, Mode: a.Mode}, a.ApprovalID)
	switch {
	case err != nil && naive.ErrorCode(err) == naive.ENotFound:
		return river.JobCancel(err)
	case err != nil:
		return err
	case !retryAt.IsZero():
		return river.JobSnooze(max(time.Until(retryAt), 0) + expireEarlyMargin)
	}
	return nil
}

// Timeout bounds one expiry.
func (w *approvalExpireWorker) Timeout(*river.Job[ApprovalExpireArgs]) time.Duration {
	return time.Minute
}

// Idle is a Service that does nothing, for queues that only insert jobs
// (store tests).
type Idle struct{}

// PollCampaigns does nothing.
func (Idle) PollCampaigns(context.Context) {}

// ReconcileProvisioning does nothing.
func (Idle) ReconcileProvisioning(context.Context) {}

// SweepApprovals does nothing.
func (Idle) SweepApprovals(context.Context) {}

// ExpireApproval does nothing.
func (Idle) ExpireApproval(context.Context, naive.Scope, string) (time.Time, error) {
	return time.Time{}, nil
}

// FanOutEvent delivers to no one.
func (Idle) FanOutEvent(context.Context, string) ([]string, error) { return nil, nil }

// AttemptDelivery does nothing.
func (Idle) AttemptDelivery(context.Context, string, int, time.Time) error { return nil }

// ApprovalExpiries returns when each expiry job of an approval is due.
func (q *Queue[TTx]) ApprovalExpiries(ctx context.Context, approvalID string) ([]time.Time, error) {
	rows, err := q.List(ctx, KindApprovalExpire)
	if err != nil {
		return nil, err
	}
	var out []time.Time
	for _, r := range rows {
		var a ApprovalExpireArgs
		if err := json.Unmarshal(r.EncodedArgs, &a); err != nil {
			return nil, err
		}
		if a.ApprovalID == approvalID {
			out = append(out, r.ScheduledAt)
		}
	}
	return out, nil
}
