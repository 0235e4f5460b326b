package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/naive-oss/naive/internal/naive"
)

// Job kinds of outgoing webhook delivery.
const (
	KindEventFanOut    = "event.fanout"
	KindWebhookDeliver = "webhook.deliver"
)

// Deliverer is what the webhook workers need of the service.
type Deliverer interface {
	// FanOutEvent creates the deliveries of an event and returns their ids.
	FanOutEvent(ctx context.Context, eventID string) ([]string, error)
	// AttemptDelivery makes attempt n of a delivery; an error means try
	// again later, at next (recorded with the attempt; zero on the last
	// attempt, which ends the delivery).
	AttemptDelivery(ctx context.Context, deliveryID string, n int, next time.Time) error
}

// EventFanOutArgs turns one stored event into its deliveries.
type EventFanOutArgs struct {
	EventID string `json:"event_id"`
}

// Kind is the job kind.
func (EventFanOutArgs) Kind() string { return KindEventFanOut }

// WebhookDeliverArgs delivers one event to one endpoint, retried with
// exponential backoff.
type WebhookDeliverArgs struct {
	DeliveryID string `json:"delivery_id"`
}

// Kind is the job kind.
func (WebhookDeliverArgs) Kind() string { return KindWebhookDeliver }

// DeliveryBackoff is the delay before attempt n+1 of a delivery: base
// doubling per attempt, capped at an hour. With the default base (10s) and
// DeliveryAttempts, the retries span more than 24 hours.
func DeliveryBackoff(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// DeliveryAttempts is how many times a delivery is tried: with a 10s base,
// 9 doubling waits (~85 min) then hourly ones reach 24 h by attempt 33.
const DeliveryAttempts = 33

// EventCreated inserts, in tx, the fan-out job of a new event; the store
// calls it inside the transaction that stores the event, so an event
// never misses its deliveries.
func (q *Queue[TTx]) EventCreated(ctx context.Context, tx TTx, ev *naive.Event) error {
	if _, err := q.client.InsertTx(ctx, tx, EventFanOutArgs{EventID: ev.ID}, nil); err != nil {
		return fmt.Errorf("jobs: enqueue event fan-out: %w", err)
	}
	return nil
}

// fanOutWorker creates an event's deliveries and queues one job each. A
// retried fan-out finds the same deliveries, and the delivery jobs are
// unique per delivery, so none is sent twice.
type fanOutWorker struct {
	river.WorkerDefaults[EventFanOutArgs]
	svc Deliverer
	// insert enqueues a job outside any transaction (set once the River
	// client exists).
	insert func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
}

// Work fans the event out.
func (w *fanOutWorker) Work(ctx context.Context, job *river.Job[EventFanOutArgs]) error {
	ids, err := w.svc.FanOutEvent(ctx, job.Args.EventID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := w.insert(ctx, WebhookDeliverArgs{DeliveryID: id}, &river.InsertOpts{
			MaxAttempts: DeliveryAttempts,
			UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: rivertype.UniqueOptsByStateDefault()},
		}); err != nil {
			return err
		}
	}
	return nil
}

// deliverWorker makes one attempt of a delivery per job attempt.
type deliverWorker struct {
	river.WorkerDefaults[WebhookDeliverArgs]
	svc  Deliverer
	base time.Duration
}

// Work attempts the delivery; a refusal returns an error so River retries
// it after NextRetry, until the last attempt marks it failed.
func (w *deliverWorker) Work(ctx context.Context, job *river.Job[WebhookDeliverArgs]) error {
	final := job.Attempt >= job.MaxAttempts
	var next time.Time
	if !final {
		next = w.NextRetry(job)
	}
	err := w.svc.AttemptDelivery(ctx, job.Args.DeliveryID, job.Attempt, next)
	if err != nil && final {
		return river.JobCancel(err)
	}
	return err
}

// NextRetry is the delivery backoff.
func (w *deliverWorker) NextRetry(job *river.Job[WebhookDeliverArgs]) time.Time {
	return time.Now().Add(DeliveryBackoff(w.base, job.Attempt))
}

// Timeout bounds one attempt (the HTTP client has its own, shorter bound).
func (w *deliverWorker) Timeout(*river.Job[WebhookDeliverArgs]) time.Duration { return time.Minute }
