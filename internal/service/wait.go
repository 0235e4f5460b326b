package service

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Inbox wakes the requests waiting for a number's next inbound text
// (NextMessage). A wake-up only says "read again": the database is the
// record, so a spurious one costs a read and a lost one at most PollEvery.
// Each store has its adapter: sqlite.NewInbox (this process), and
// postgres.Inbox (LISTEN/NOTIFY, every process on the database).
type Inbox interface {
	// Subscribe returns a channel that receives when a text may have
	// arrived on the phone, and stop, which releases it.
	Subscribe(phoneID string) (wake <-chan struct{}, stop func())
	// Notify tells the waiters of the phone, in every process it
	// reaches, that a text was stored.
	Notify(ctx context.Context, phoneID string) error
	// PollEvery is how often a waiter reads the database anyway, for
	// texts stored by processes whose notices do not reach it.
	PollEvery() time.Duration
}

// waits ends every wait when the process stops (StopWaiting).
type waits struct {
	once, closing sync.Once
	stop          chan struct{}
}

func (w *waits) stopping() chan struct{} {
	w.once.Do(func() { w.stop = make(chan struct{}) })
	return w.stop
}

// StopWaiting ends every NextMessage in progress and every later one at
// once, answering "nothing yet" (a client asks again, of another
// process): a server stopping does not hold its shutdown for them.
func (s *Service) StopWaiting() {
	ch := s.waits.stopping()
	s.waits.closing.Do(func() { close(ch) })
}

// NextMessage returns the number's first inbound text after req.After as
// soon as it is stored, by any process on the database, or nil when
// req.Timeout passes first or the process stops. Without After, it is the
// first text stored after the request began. Reading rules are those of
// ListMessages: an agent-bound key needs receive_sms on the number.
//
// Errors: invalid_input, not_found, forbidden, conflict (released number).
func (s *Service) NextMessage(ctx context.Context, subjectID, phoneID string, req naive.NextMessageRequest) (*naive.Message, error) {
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	ph, err := s.getPhone(ctx, p, subj, phoneID)
	if err != nil {
		return nil, err
	}
	if err := s.requirePermission(ctx, p, ph, naive.PermReceiveSMS); err != nil {
		return nil, err
	}
	timeout := req.Timeout
	if timeout == 0 {
		timeout = naive.DefaultWait
	}
	if timeout < time.Second || timeout > naive.MaxWait {
		return nil, naive.InvalidParam("timeout", "timeout must be between 1s and %ds; got %s.", int(naive.MaxWait.Seconds()), timeout).
			WithHint("Wait at most %ds in one request; to wait longer, ask again with the same after.", int(naive.MaxWait.Seconds()))
	}
	after, err := waitCursor(req.After)
	if err != nil {
		return nil, err
	}
	if ph.Status != naive.PhoneActive {
		return nil, naive.Errorf(naive.EConflict, "Phone %s was released; it receives no texts.", ph.ID).
			WithHint("Its texts stay readable at GET /v1/phone/%s/messages; wait on an active number (GET /v1/phone).", ph.ID)
	}
	sc := p.Scope()
	// Subscribe before the first read: a text stored between the read and
	// the wait still wakes it.
	wake, stop := s.inbox.Subscribe(ph.ID)
	defer stop()
	if req.After == "" {
		// The newest message now is the mark: what is stored after it
		// arrived after the request began.
		newest, err := s.store.ListMessages(ctx, sc, naive.MessageFilter{PhoneID: ph.ID, Page: naive.Page{Limit: 1}})
		if err != nil {
			return nil, err
		}
		if len(newest) > 0 {
			after = newest[0].ID
		}
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	poll := time.NewTicker(s.inbox.PollEvery())
	defer poll.Stop()
	for {
		m, err := s.store.NextInbound(ctx, sc, ph.ID, after)
		if err == nil {
			out := m.WithCodes()
			return &out, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		select {
		case <-wake:
		case <-poll.C:
		case <-deadline.C:
			return nil, nil
		case <-s.waits.stopping():
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// waitCursor reads a wait's after: a message id or a cursor of the
// message list, as the list returned it; "" is "".
func waitCursor(after string) (string, error) {
	if after == "" {
		return "", nil
	}
	if id, err := uuid.Parse(after); err == nil && len(after) == 36 {
		return id.String(), nil
	}
	if id, err := DecodeCursor(after); err == nil {
		return id, nil
	}
	return "", naive.InvalidParam("after", "after must be a message id or a cursor of the message list; got %q.", after).
		WithHint("Pass the id of the last text you read (GET /v1/phone/{id}/messages lists them), or leave after out to wait for the next text to arrive.")
}

// notifyInbound wakes the waiters of a phone that was just texted. A lost
// notice delays them until their next poll; it fails nothing.
func (s *Service) notifyInbound(ctx context.Context, phoneID string) {
	if err := s.inbox.Notify(context.WithoutCancel(ctx), phoneID); err != nil {
		s.log.Warn("notify waiters of an inbound text", "phone_id", phoneID, "err", err)
	}
}
