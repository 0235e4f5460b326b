package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// KindSMSScheduled is the send of one scheduled text (quiet hours).
const KindSMSScheduled = "sms.scheduled"

// ScheduledSender sends a scheduled text when its time comes.
// *service.Service implements it.
type ScheduledSender interface {
	// SendScheduled runs the send of a scheduled text as principal (JSON)
	// — its reserve, the carrier's send, the outcome — or resumes the run
	// a dead process left. It returns when to come back if the text is
	// not due yet (or its run belongs to a live process), else the zero
	// time. Errors: not_found (the message is gone: nothing to send).
	SendScheduled(ctx context.Context, sc naive.Scope, messageID string, principal []byte) (retryAt time.Time, err error)
}

// ScheduledSMSArgs is the send of one scheduled text, inserted by the
// transaction that stores the text, due at its send_at.
type ScheduledSMSArgs struct {
	MessageID  string          `json:"message_id"`
	OperatorID string          `json:"operator_id"`
	Mode       naive.Mode      `json:"mode"`
	Principal  json.RawMessage `json:"principal"`
}

// Kind is the job kind.
func (ScheduledSMSArgs) Kind() string { return KindSMSScheduled }

// MessageScheduled inserts, in tx, the send job of a new scheduled text,
// due at job.Due. The store calls it inside the transaction that inserts
// the text, so the job exists exactly when the text does.
func (q *Queue[TTx]) MessageScheduled(ctx context.Context, tx TTx, m *naive.Message, job store.ScheduledSend) error {
	_, err := q.client.InsertTx(ctx, tx, ScheduledSMSArgs{MessageID: m.ID, OperatorID: m.OperatorID, Mode: m.Mode,
		Principal: job.Principal}, &river.InsertOpts{ScheduledAt: job.Due})
	if err != nil {
		return fmt.Errorf("jobs: enqueue scheduled text: %w", err)
	}
	return nil
}

// scheduledSMSWorker sends one scheduled text when it is due. Running it
// twice (a rescued job, two processes) sends once: the text's reserve is
// a conditional move from scheduled, and a run already under way is
// resumed, never started again.
type scheduledSMSWorker struct {
	river.WorkerDefaults[ScheduledSMSArgs]
	svc ScheduledSender
}

// Work sends the text: an error is retried with River's backoff; a text
// that no longer exists cancels the job; one not due yet (by the
// service's clock) snoozes it until it is.
func (w *scheduledSMSWorker) Work(ctx context.Context, job *river.Job[ScheduledSMSArgs]) error {
	a := job.Args
	retryAt, err := w.svc.SendScheduled(ctx, naive.Scope{OperatorID: a.OperatorID, Mode: a.Mode}, a.MessageID, a.Principal)
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

// Timeout bounds one send.
func (w *scheduledSMSWorker) Timeout(*river.Job[ScheduledSMSArgs]) time.Duration {
	return 2 * time.Minute
}

// SendScheduled sends nothing.
func (Idle) SendScheduled(context.Context, naive.Scope, string, []byte) (time.Time, error) {
	return time.Time{}, nil
}
