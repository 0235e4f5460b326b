package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// refundFailed is a RefundFor that refunds a message marked failed whole,
// recording the sent_at it was given.
func refundFailed(t *testing.T, seen *atomic.Int32, sent *atomic.Bool) func(*naive.Message) *naive.LedgerEntry {
	return func(u *naive.Message) *naive.LedgerEntry {
		seen.Add(1)
		if sent != nil {
			sent.Store(u.SentAt != nil)
		}
		if u.Status != naive.MessageFailed {
			return nil
		}
		if u.CreditsUsed != 2 || u.OperatorID == "" {
			t.Errorf("RefundFor got %s", show(*u))
		}
		return &naive.LedgerEntry{ID: newID(), Amount: u.CreditsUsed, Reason: naive.LedgerSMSRefund,
			Actor: naive.Actor{Type: "system", ID: "carrier"}, CreatedAt: now()}
	}
}

// refunds counts the sms.send.refund entries of a message.
func (b *bundle) refunds(t *testing.T, sc naive.Scope, id string) int {
	t.Helper()
	_, entries := b.checkLedger(t, sc)
	n := 0
	for _, e := range entries {
		if e.Reason == naive.LedgerSMSRefund && e.ReferenceID == id {
			if e.OperatorID != sc.OperatorID || e.Mode != sc.Mode {
				t.Fatalf("refund of %s in another scope: %+v", id, e)
			}
			n++
		}
	}
	return n
}

// testAdvanceMessageRefundsOnce: the refund AdvanceMessage's RefundFor
// returns is applied with the change to failed, once, whatever the
// duplicates, the concurrency and the order of the reports.
func testAdvanceMessageRefundsOnce(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550100")
	b.grant(t, b.live, 100)
	reserve := func(carrierID string) *naive.Message {
		t.Helper()
		m := outbound(p, "+14155551234")
		_, err := b.s.ReserveMessage(b.ctx, m, messageDebit(m), noRun)
		must(t, err)
		if carrierID != "" {
			must(t, b.s.SetMessageCarrierID(b.ctx, m.ID, carrierID, noRun))
			m.CarrierID = carrierID
		}
		return m
	}
	bal0, _ := b.checkLedger(t, b.live)

	// Two different failure events for one message, and a sent, at once:
	// one refund, in the transaction of the change to failed.
	for i := range 5 {
		m := reserve(fmt.Sprintf("msg_r%d_%s", i, newID()))
		var seen atomic.Int32
		var mu sync.Mutex
		changed := map[string]int{}
		reports := []string{naive.MessageFailed, naive.MessageFailed, naive.MessageSent, naive.MessageFailed}
		concurrently(len(reports), func(j int) {
			a := advance(naive.ModeLive, m.CarrierID, reports[j], "invalid_mobile_number", now())
			a.RefundFor = refundFailed(t, &seen, nil)
			ok, err := b.s.AdvanceMessage(b.ctx, a, nil, carrierEvent("evt_"+newID(), "message."+reports[j]))
			if err != nil {
				t.Errorf("AdvanceMessage: %v", err)
			}
			if ok {
				mu.Lock()
				changed[reports[j]]++
				mu.Unlock()
			}
		})
		if changed[naive.MessageFailed] != 1 {
			t.Fatalf("message %d: changed to failed %d times", i, changed[naive.MessageFailed])
		}
		if n := b.refunds(t, b.live, m.ID); n != 1 {
			t.Fatalf("message %d: %d refunds, want 1", i, n)
		}
		if got := b.message(t, b.live, m.ID); got.Status != naive.MessageFailed {
			t.Fatalf("message %d ends %s", i, got.Status)
		}
	}
	if bal, _ := b.checkLedger(t, b.live); bal != bal0 {
		t.Fatalf("balance %d after 5 refunded texts, want %d", bal, bal0)
	}

	// The same event twice: the redelivery changes and refunds nothing.
	m := reserve("msg_dup_" + newID())
	ce := carrierEvent("evt_dup_"+newID(), "message.failed")
	var seen atomic.Int32
	for range 2 {
		a := advance(naive.ModeLive, m.CarrierID, naive.MessageFailed, "invalid_mobile_number", now())
		a.RefundFor = refundFailed(t, &seen, nil)
		_, err := b.s.AdvanceMessage(b.ctx, a, nil, ce)
		must(t, err)
	}
	if seen.Load() != 1 || b.refunds(t, b.live, m.ID) != 1 {
		t.Fatalf("a redelivered failure: RefundFor called %d times, %d refunds; want 1 and 1", seen.Load(), b.refunds(t, b.live, m.ID))
	}

	// RefundFor sees whether the text was sent before it failed.
	m = reserve("msg_sent_" + newID())
	var sent atomic.Bool
	seen.Store(0)
	a := advance(naive.ModeLive, m.CarrierID, naive.MessageSent, "", now())
	_, err := b.s.AdvanceMessage(b.ctx, a, nil, nil)
	must(t, err)
	a = advance(naive.ModeLive, m.CarrierID, naive.MessageFailed, "unreachable_destination", now())
	a.RefundFor = func(u *naive.Message) *naive.LedgerEntry {
		sent.Store(u.SentAt != nil)
		seen.Add(1)
		return nil
	}
	changedOK, err := b.s.AdvanceMessage(b.ctx, a, nil, nil)
	must(t, err)
	if !changedOK || seen.Load() != 1 || !sent.Load() {
		t.Fatalf("failure after sent: changed %v, RefundFor called %d times, saw sent %v", changedOK, seen.Load(), sent.Load())
	}
	if n := b.refunds(t, b.live, m.ID); n != 0 {
		t.Fatalf("a failure RefundFor declined refunded %d times", n)
	}

	// Delivered, then a late failure: nothing changes, nothing refunded.
	m = reserve("msg_late_" + newID())
	_, err = b.s.AdvanceMessage(b.ctx, advance(naive.ModeLive, m.CarrierID, naive.MessageDelivered, "", now()), nil, nil)
	must(t, err)
	seen.Store(0)
	a = advance(naive.ModeLive, m.CarrierID, naive.MessageFailed, "invalid_mobile_number", now())
	a.RefundFor = refundFailed(t, &seen, nil)
	if ok, err := b.s.AdvanceMessage(b.ctx, a, nil, nil); err != nil || ok || seen.Load() != 0 || b.refunds(t, b.live, m.ID) != 0 {
		t.Fatalf("failure after delivered: changed %v, %v, RefundFor called %d times", ok, err, seen.Load())
	}

	// A send failed and refunded by FailMessage, then a failure report
	// naming it by ref: no second refund.
	m = reserve("")
	_, err = b.s.FailMessage(b.ctx, m.ID, "send_failed", messageRefund(m), now(), noRun)
	must(t, err)
	seen.Store(0)
	a = advance(naive.ModeLive, "msg_ref_"+newID(), naive.MessageFailed, "invalid_mobile_number", now())
	a.Ref, a.RefundFor = m.ID, refundFailed(t, &seen, nil)
	if ok, err := b.s.AdvanceMessage(b.ctx, a, nil, nil); err != nil || ok || seen.Load() != 0 {
		t.Fatalf("failure report of a refunded send: changed %v, %v, RefundFor called %d times", ok, err, seen.Load())
	}
	if n := b.refunds(t, b.live, m.ID); n != 1 {
		t.Fatalf("a send failed twice: %d refunds, want 1", n)
	}

	// FailMessage and a failure report by ref at once: one refund.
	for range 5 {
		m = reserve("")
		seen.Store(0)
		concurrently(2, func(j int) {
			if j == 0 {
				_, err := b.s.FailMessage(b.ctx, m.ID, "not_sent", messageRefund(m), now(), noRun)
				if err != nil && !errors.Is(err, store.ErrConflict) {
					t.Errorf("FailMessage: %v", err)
				}
				return
			}
			a := advance(naive.ModeLive, "msg_race_"+newID(), naive.MessageFailed, "invalid_mobile_number", now())
			a.Ref, a.RefundFor = m.ID, refundFailed(t, &seen, nil)
			if _, err := b.s.AdvanceMessage(b.ctx, a, nil, nil); err != nil {
				t.Errorf("AdvanceMessage: %v", err)
			}
		})
		if n := b.refunds(t, b.live, m.ID); n != 1 {
			t.Fatalf("FailMessage racing a failure report: %d refunds, want 1", n)
		}
	}
	// The database refuses a second refund of one text, whatever path
	// would write it.
	again := messageRefund(m)
	if _, err := b.s.AddLedgerEntry(b.ctx, again, noRun); err == nil {
		t.Fatal("a second sms.send.refund of one message was stored")
	}
	// Refunded: every text but the one failed after sent and the
	// delivered one, which keep their 2 credits each.
	if bal, _ := b.checkLedger(t, b.live); bal != bal0-4 {
		t.Fatalf("balance %d, want %d", bal, bal0-4)
	}
}
