package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
	"github.com/naive-oss/naive/internal/store"
)

// inboundText delivers a carrier webhook of a text to e164 through svc.
func (f *fixture) inboundText(svc *service.Service, e164, body string) {
	f.t.Helper()
	h := http.Header{}
	id := "evt_" + body
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", "1")
	h.Set("webhook-signature", "fake")
	ev, _ := json.Marshal(carrier.Event{ID: id, Kind: carrier.EventMessageReceived, Type: "message.received",
		Message: &carrier.MessageEvent{ID: "msg_" + body, To: e164, From: "+14155550100", Body: body}})
	if err := svc.HandleCarrierWebhook(context.Background(), h, ev); err != nil {
		f.t.Fatal(err)
	}
}

// waited is a NextMessage's outcome and how long it took.
type waited struct {
	m    *naive.Message
	err  error
	took time.Duration
}

func waitIn(ctx context.Context, svc *service.Service, phoneID string, req naive.NextMessageRequest) <-chan waited {
	ch := make(chan waited, 1)
	began := time.Now()
	go func() {
		m, err := svc.NextMessage(ctx, "", phoneID, req)
		ch <- waited{m, err, time.Since(began)}
	}()
	return ch
}

// TestNextMessage: a wait answers the text as soon as it is stored, with
// its codes; woken by the inbox's notice, not its poll (an hour here).
func TestNextMessage(t *testing.T) {
	f := setup(t)
	svc, err := service.New(service.Config{Store: f.st, Now: f.clock.now, ProcessID: "waiter", Carrier: testOnly(f.cr),
		Logger: slog.New(slog.DiscardHandler), Inbox: store.NewHub(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RegisterProcess(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := svc.ProvisionPhone(f.ctx, "", firstNumber)
	if err != nil {
		t.Fatal(err)
	}
	ph := res.Provisioned.Phone

	// Nothing arrives: nil at the timeout.
	w := <-waitIn(f.ctx, svc, ph.ID, naive.NextMessageRequest{Timeout: time.Second})
	if w.err != nil || w.m != nil || w.took < time.Second || w.took > 3*time.Second {
		t.Fatalf("timeout: %+v", w)
	}

	ch := waitIn(f.ctx, svc, ph.ID, naive.NextMessageRequest{Timeout: 30 * time.Second})
	time.Sleep(100 * time.Millisecond) // the wait is under way
	f.inboundText(svc, ph.E164, "G-123456 is your Google verification code.")
	select {
	case w = <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("the wait did not end when the text arrived")
	}
	if w.err != nil || w.m == nil || w.m.Body != "G-123456 is your Google verification code." ||
		!slices.Equal(w.m.Codes, []string{"G-123456", "123456"}) || w.m.Direction != naive.DirectionInbound {
		t.Fatalf("answer %+v", w)
	}
	first := w.m

	// A text already stored after `after` answers at once; after the
	// newest one, the wait goes on.
	f.inboundText(svc, ph.E164, "Your Uber code: 4821")
	w = <-waitIn(f.ctx, svc, ph.ID, naive.NextMessageRequest{After: first.ID, Timeout: 5 * time.Second})
	if w.err != nil || w.m == nil || w.m.Body != "Your Uber code: 4821" || w.took > time.Second || !slices.Equal(w.m.Codes, []string{"4821"}) {
		t.Fatalf("after the first: %+v", w)
	}
	// The cursor of the message list works as after too.
	w = <-waitIn(f.ctx, svc, ph.ID, naive.NextMessageRequest{After: service.EncodeCursor(first.ID), Timeout: 5 * time.Second})
	if w.err != nil || w.m == nil || w.m.Body != "Your Uber code: 4821" {
		t.Fatalf("after a cursor: %+v", w)
	}
	// The messages read elsewhere carry the codes too.
	got, err := svc.GetMessage(f.ctx, "", first.ID)
	if err != nil || !slices.Equal(got.Codes, []string{"G-123456", "123456"}) {
		t.Fatalf("GetMessage codes %v %v", got, err)
	}

	// Stopping the process ends a wait at once, with nothing.
	ch = waitIn(f.ctx, svc, ph.ID, naive.NextMessageRequest{After: w.m.ID, Timeout: 30 * time.Second})
	time.Sleep(100 * time.Millisecond)
	svc.StopWaiting()
	select {
	case w = <-ch:
		if w.err != nil || w.m != nil {
			t.Fatalf("stopped: %+v", w)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("StopWaiting did not end the wait")
	}
	// A cancelled request ends too.
	ctx, cancel := context.WithCancel(f.ctx)
	ch = waitIn(ctx, f.svc, ph.ID, naive.NextMessageRequest{Timeout: 30 * time.Second})
	cancel()
	if w = <-ch; w.err == nil || w.took > 2*time.Second {
		t.Fatalf("cancelled: %+v", w)
	}
}

// TestNextMessageOtherProcess: a text stored by another process whose
// notices do not reach this one is found by the poll (SQLite's second).
func TestNextMessageOtherProcess(t *testing.T) {
	f := setup(t)
	res, err := f.svc.ProvisionPhone(f.ctx, "", firstNumber)
	if err != nil {
		t.Fatal(err)
	}
	ph := res.Provisioned.Phone
	other := f.process("process-2") // its own inbox: no notice crosses
	ch := waitIn(f.ctx, f.svc, ph.ID, naive.NextMessageRequest{Timeout: 10 * time.Second})
	time.Sleep(100 * time.Millisecond)
	f.inboundText(other, ph.E164, "Your verification code is 482913")
	w := <-ch
	if w.err != nil || w.m == nil || !slices.Equal(w.m.Codes, []string{"482913"}) || w.took > 3*time.Second {
		t.Fatalf("answer %+v", w)
	}
}

func TestNextMessageRefusals(t *testing.T) {
	f := setup(t)
	res, err := f.svc.ProvisionPhone(f.ctx, "", firstNumber)
	if err != nil {
		t.Fatal(err)
	}
	ph := res.Provisioned.Phone
	for _, c := range []struct {
		name  string
		phone string
		req   naive.NextMessageRequest
		code  string
		param string
	}{
		{"timeout too long", ph.ID, naive.NextMessageRequest{Timeout: 61 * time.Second}, naive.EInvalidInput, "timeout"},
		{"timeout too short", ph.ID, naive.NextMessageRequest{Timeout: 500 * time.Millisecond}, naive.EInvalidInput, "timeout"},
		{"negative timeout", ph.ID, naive.NextMessageRequest{Timeout: -time.Second}, naive.EInvalidInput, "timeout"},
		{"after not an id", ph.ID, naive.NextMessageRequest{After: "yesterday"}, naive.EInvalidInput, "after"},
		{"unknown phone", "01a23282-2040-7abf-b767-8b37cf23cc09", naive.NextMessageRequest{}, naive.ENotFound, ""},
		{"phone not an id", "mine", naive.NextMessageRequest{}, naive.ENotFound, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := f.svc.NextMessage(f.ctx, "", c.phone, c.req)
			var e *naive.Error
			if m != nil || err == nil || !errors.As(err, &e) || e.Code != c.code || e.Param != c.param {
				t.Fatalf("got %v %v, want %s %s", m, err, c.code, c.param)
			}
			if c.code == naive.EInvalidInput && e.Hint == "" {
				t.Fatalf("%s: no hint", c.name)
			}
		})
	}
	// Another tenant's phone is not found; the live mode's too.
	lp := mustPrincipal(f.human)
	lp.Mode = naive.ModeLive
	live := naive.WithPrincipal(context.Background(), lp)
	if _, err := f.svc.NextMessage(live, "", ph.ID, naive.NextMessageRequest{Timeout: time.Second}); naive.ErrorCode(err) != naive.ENotFound {
		t.Fatalf("live mode: %v", err)
	}
	// A released number receives nothing: conflict, at once.
	if _, err := f.svc.ReleasePhone(f.ctx, "", ph.ID); err != nil {
		t.Fatal(err)
	}
	// (The fixture's principal carries the numbers' version it was
	// authenticated at; a request after the release reads afresh.)
	fresh := mustPrincipal(f.ctx)
	fresh.NumbersRead = false
	if _, err := f.svc.NextMessage(naive.WithPrincipal(context.Background(), fresh), "", ph.ID, naive.NextMessageRequest{}); naive.ErrorCode(err) != naive.EConflict {
		t.Fatalf("released: %v", err)
	}
}
