package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// TestScheduledSendResumed: a scheduled text whose send's answer was lost
// is settled — at once, by asking the carrier, or by the next run of its
// job on another process — and never sent twice: sent at the carrier, it
// keeps its one charge and gets the carrier's id; not sent and not sent
// again, it ends with its charge refunded. One text at most, one charge
// at most.
func TestScheduledSendResumed(t *testing.T) {
	for _, tc := range []struct {
		name string
		sent bool // the carrier made the send whose answer was lost
	}{{"sent", true}, {"not sent", false}} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			ph, ctx := f.activeNumber(t)
			f.kit(t, ph.SubjectID, naive.PrimitiveConfig{QuietHours: &naive.QuietHours{Start: "08:00", End: "21:00"}})
			const ny = "+12126647665"
			before, sent := f.balance(), f.sentCount()
			res, err := f.svc.SendSMS(ctx, "", ph.ID, naive.SendRequest{To: ny, Body: "good morning", Schedule: true})
			if err != nil || res.Status != naive.MessageScheduled {
				t.Fatalf("schedule: %+v %v", res, err)
			}
			f.clock.add(res.SendAt.Sub(f.clock.now()))
			if err := f.svc.RegisterProcess(context.Background()); err != nil {
				t.Fatal(err)
			}
			p, _ := naive.PrincipalFrom(ctx)
			principal := []byte(`{"Kind":"` + string(p.Kind) + `","OperatorID":"` + p.OperatorID + `","Mode":"` + string(p.Mode) + `","KeyID":"` + p.KeyID + `"}`)

			f.cr.mu.Lock()
			f.cr.sendLost, f.cr.dropSends = fmt.Errorf("connection reset: %w", carrier.ErrUnknownOutcome), !tc.sent
			f.cr.mu.Unlock()
			_, _ = f.svc.SendScheduled(context.Background(), p.Scope(), res.ID, principal)
			m, _ := f.svc.GetMessage(ctx, "", res.ID)
			if m.Status == naive.MessageScheduled {
				t.Fatalf("after the lost answer: still scheduled")
			}
			f.cr.mu.Lock()
			f.cr.sendLost, f.cr.dropSends = nil, false
			f.cr.mu.Unlock()

			// The job runs again, on another process, once a carrier not
			// holding the text proves it never went out.
			f.clock.add(service.SendSettle + time.Second)
			if err := f.svc.RegisterProcess(context.Background()); err != nil {
				t.Fatal(err)
			}
			other := f.process("process-2")
			deadline := time.Now().Add(10 * time.Second)
			for {
				if _, err := other.SendScheduled(context.Background(), p.Scope(), res.ID, principal); err != nil {
					t.Fatalf("resume: %v", err)
				}
				if m, _ = f.svc.GetMessage(ctx, "", res.ID); m.CarrierID != "" || m.Status == naive.MessageFailed {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("never settled: %+v", m)
				}
				time.Sleep(20 * time.Millisecond)
			}
			switch {
			case f.sentCount() > sent+1:
				t.Fatalf("%d texts sent, want at most one", f.sentCount()-sent)
			case m.CarrierID != "" && (f.sentCount() != sent+1 || f.balance() != before-1):
				t.Fatalf("sent: %d texts, balance %d; want one text, charged once", f.sentCount()-sent, f.balance())
			case m.Status == naive.MessageFailed && (f.sentCount() != sent || f.balance() != before):
				t.Fatalf("failed: %d texts, balance %d; want none sent and the charge refunded", f.sentCount()-sent, f.balance())
			case tc.sent && m.CarrierID == "":
				t.Fatalf("the carrier has the text, but it is %s without its id", m.Status)
			}
			// A late duplicate of the job changes nothing.
			if _, err := other.SendScheduled(context.Background(), p.Scope(), res.ID, principal); err != nil {
				t.Fatal(err)
			}
			if again, _ := f.svc.GetMessage(ctx, "", res.ID); again.Status != m.Status || f.sentCount() > sent+1 {
				t.Fatalf("a late job moved it: %s → %s", m.Status, again.Status)
			}
		})
	}
}
