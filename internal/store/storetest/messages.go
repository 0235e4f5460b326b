package storetest

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// rawAttachments has odd spacing: stores return JSON as given.
const rawAttachments = `[ {"url": "https://example.com/a.png",  "type":"image/png"} ]`

// activePhone buys (for free) and activates a phone with number e164.
func (b *bundle) activePhone(t *testing.T, sc naive.Scope, subjectID, e164 string) *naive.Phone {
	t.Helper()
	p := newPhone(sc, subjectID)
	p.Price = 0
	_, err := b.s.ReservePhone(b.ctx, p, debitFor(p), noRun)
	must(t, err)
	must(t, b.s.ActivatePhone(b.ctx, activation(p.ID, e164, "pn_"+newID(), ""), noRun))
	p.Status, p.E164 = naive.PhoneActive, e164
	got, err := b.s.GetPhone(b.ctx, sc, p.ID)
	must(t, err)
	return got
}

// newAgent stores an agent in sc.
func (b *bundle) newAgent(t *testing.T, sc naive.Scope) *naive.Agent {
	t.Helper()
	a := &naive.Agent{ID: newID(), OperatorID: sc.OperatorID, Mode: sc.Mode, Name: "agent", CreatedAt: now()}
	must(t, b.s.CreateAgent(b.ctx, a))
	return a
}

func outbound(p *naive.Phone, to string) *naive.Message {
	return &naive.Message{ID: newID(), PhoneID: p.ID, SubjectID: p.SubjectID, From: p.E164, To: to,
		Body: "Hello from Acme", Attachments: json.RawMessage(rawAttachments), Segments: 1, CreditsUsed: 2,
		AgentID: "agent_" + newID(), CreatedAt: now(), Mode: p.Mode, OperatorID: p.OperatorID}
}

func inbound(p *naive.Phone, from, carrierID string) *naive.Message {
	at := now()
	return &naive.Message{ID: newID(), PhoneID: p.ID, SubjectID: p.SubjectID, From: from, To: p.E164,
		Body: "STOP", Attachments: json.RawMessage(`[]`), CreatedAt: at, ReceivedAt: &at,
		Mode: p.Mode, OperatorID: p.OperatorID, CarrierID: carrierID}
}

func messageDebit(m *naive.Message) *naive.LedgerEntry {
	return &naive.LedgerEntry{ID: newID(), Amount: -m.CreditsUsed, Reason: "sms.send", ReferenceID: m.ID,
		Actor: naive.Actor{Type: "agent", ID: "key"}, OperatorID: m.OperatorID, Mode: m.Mode, CreatedAt: now()}
}

func messageRefund(m *naive.Message) *naive.LedgerEntry {
	return &naive.LedgerEntry{ID: newID(), Amount: m.CreditsUsed, Reason: "sms.send.refund", ReferenceID: m.ID,
		Actor: naive.Actor{Type: "agent", ID: "key"}, OperatorID: m.OperatorID, Mode: m.Mode, CreatedAt: now()}
}

func messageIDs(l []naive.Message) []string {
	return ids(l, func(m naive.Message) string { return m.ID })
}

// advance is a status report of the outbound text with carrierID.
func advance(mode naive.Mode, carrierID, status, reason string, at time.Time) *store.MessageAdvance {
	return &store.MessageAdvance{Mode: mode, CarrierID: carrierID, Status: status, Reason: reason, At: at}
}

// statusEvent builds the sms.status event of an updated message.
func statusEvent(m *naive.Message) *naive.Event {
	data, _ := json.Marshal(map[string]string{"id": m.ID, "status": m.Status})
	return &naive.Event{ID: newID(), Type: naive.EventSMSStatus, Data: data, CreatedAt: now(),
		Mode: m.Mode, OperatorID: m.OperatorID}
}

func (b *bundle) message(t *testing.T, sc naive.Scope, id string) naive.Message {
	t.Helper()
	m, err := b.s.GetMessage(b.ctx, sc, id)
	must(t, err)
	return *m
}

func testGetPhoneByE164(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550100")
	got, err := b.s.GetPhoneByE164(b.ctx, naive.ModeLive, "+14155550100")
	must(t, err)
	equal(t, "phone by number", *got, *p)
	_, err = b.s.GetPhoneByE164(b.ctx, naive.ModeTest, "+14155550100")
	wantErr(t, err, store.ErrNotFound)
	_, err = b.s.GetPhoneByE164(b.ctx, naive.ModeLive, "+14155550199")
	wantErr(t, err, store.ErrNotFound)
	_, err = b.s.GetPhoneByE164(b.ctx, naive.ModeLive, "")
	wantErr(t, err, store.ErrNotFound)

	// Of any tenant.
	sc2, subj2 := b.secondOperator(t)
	p2 := b.activePhone(t, sc2, subj2.ID, "+14155550101")
	got, err = b.s.GetPhoneByE164(b.ctx, naive.ModeLive, "+14155550101")
	must(t, err)
	equal(t, "phone of another operator by number", *got, *p2)

	// A test phone is found in test mode only.
	tp := b.activePhone(t, b.test, b.testSubject.ID, "+14155550102")
	got, err = b.s.GetPhoneByE164(b.ctx, naive.ModeTest, "+14155550102")
	must(t, err)
	equal(t, "test phone by number", *got, *tp)
	_, err = b.s.GetPhoneByE164(b.ctx, naive.ModeLive, "+14155550102")
	wantErr(t, err, store.ErrNotFound)

	// Released: no longer routed.
	_, err = b.s.MarkPhoneReleased(b.ctx, b.live, p.ID, now(), nil, noRun)
	must(t, err)
	_, err = b.s.GetPhoneByE164(b.ctx, naive.ModeLive, "+14155550100")
	wantErr(t, err, store.ErrNotFound)

	// Provisioning and failed phones are not routed either.
	for _, fail := range []bool{false, true} {
		q := newPhone(b.live, b.liveSubject.ID)
		q.Price = 0
		q.E164 = "+14155550103"
		_, err := b.s.ReservePhone(b.ctx, q, debitFor(q), noRun)
		must(t, err)
		if fail {
			_, err = b.s.FailPhone(b.ctx, q.ID, nil, noRun)
			must(t, err)
		}
		_, err = b.s.GetPhoneByE164(b.ctx, naive.ModeLive, "+14155550103")
		wantErr(t, err, store.ErrNotFound)
	}

	// The number released and bought again routes to the new phone.
	again := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550100")
	got, err = b.s.GetPhoneByE164(b.ctx, naive.ModeLive, "+14155550100")
	must(t, err)
	equal(t, "phone of a number bought again", got.ID, again.ID)
}

func testMessages(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550100")
	other := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550101")
	b.grant(t, b.live, 10)

	// Reserve: debited, queued, outbound, attachments byte for byte.
	m := outbound(p, "+14155551234")
	m.Status, m.Direction = "", ""
	bal, err := b.s.ReserveMessage(b.ctx, m, messageDebit(m), noRun)
	must(t, err)
	if bal != 8 {
		t.Fatalf("balance after reserve = %d, want 8", bal)
	}
	if m.Status != naive.MessageQueued || m.Direction != naive.DirectionOutbound {
		t.Fatalf("reserved message is %s %s, want outbound queued", m.Direction, m.Status)
	}
	got := b.message(t, b.live, m.ID)
	equal(t, "reserved message", got, *m)
	if string(got.Attachments) != rawAttachments {
		t.Fatalf("attachments = %s, want %s byte for byte", got.Attachments, rawAttachments)
	}

	// An empty id or a zero time is refused, not free in: nothing
	// stored, nothing charged.
	noID := outbound(p, "+14155551234")
	noID.ID = ""
	_, err = b.s.ReserveMessage(b.ctx, noID, messageDebit(noID), noRun)
	wantRequired(t, "ReserveMessage without an id", err)
	noTime := outbound(p, "+14155551234")
	noTime.CreatedAt = time.Time{}
	_, err = b.s.ReserveMessage(b.ctx, noTime, messageDebit(noTime), noRun)
	wantRequired(t, "ReserveMessage without created_at", err)
	_, err = b.s.GetMessage(b.ctx, b.live, noTime.ID)
	wantErr(t, err, store.ErrNotFound)
	noDebitID := outbound(p, "+14155551234")
	debit := messageDebit(noDebitID)
	debit.ID = ""
	_, err = b.s.ReserveMessage(b.ctx, noDebitID, debit, noRun)
	wantRequired(t, "ReserveMessage with a debit without an id", err)
	_, err = b.s.GetMessage(b.ctx, b.live, noDebitID.ID)
	wantErr(t, err, store.ErrNotFound)

	// No debit charges nothing and reports the balance.
	free := outbound(p, "+14155551234")
	free.Attachments = nil
	bal, err = b.s.ReserveMessage(b.ctx, free, nil, noRun)
	must(t, err)
	if bal != 8 {
		t.Fatalf("balance after a free reserve = %d, want 8", bal)
	}
	equal(t, "free message", b.message(t, b.live, free.ID), *free)

	// Short: nothing stored, nothing charged.
	poor := outbound(p, "+14155551234")
	poor.CreditsUsed = 9
	_, err = b.s.ReserveMessage(b.ctx, poor, messageDebit(poor), noRun)
	wantErr(t, err, store.ErrInsufficientCredits)
	_, err = b.s.GetMessage(b.ctx, b.live, poor.ID)
	wantErr(t, err, store.ErrNotFound)

	// A phone or subject of another scope: not found, nothing charged.
	tp := b.activePhone(t, b.test, b.testSubject.ID, "+14155550102")
	wrong := outbound(tp, "+14155551234")
	wrong.OperatorID, wrong.Mode = b.live.OperatorID, b.live.Mode
	_, err = b.s.ReserveMessage(b.ctx, wrong, messageDebit(wrong), noRun)
	wantErr(t, err, store.ErrNotFound)
	wrong = outbound(p, "+14155551234")
	wrong.SubjectID = b.testSubject.ID
	_, err = b.s.ReserveMessage(b.ctx, wrong, messageDebit(wrong), noRun)
	wantErr(t, err, store.ErrNotFound)
	if bal, _ := b.checkLedger(t, b.live); bal != 8 {
		t.Fatalf("balance after failed reserves = %d, want 8", bal)
	}

	// Carrier id: recorded; unknown message not found; taken in the mode a conflict.
	must(t, b.s.SetMessageCarrierID(b.ctx, m.ID, "msg_1", noRun))
	m.CarrierID = "msg_1"
	equal(t, "message with carrier id", b.message(t, b.live, m.ID), *m)
	wantErr(t, b.s.SetMessageCarrierID(b.ctx, newID(), "msg_2", noRun), store.ErrNotFound)
	wantErr(t, b.s.SetMessageCarrierID(b.ctx, free.ID, "msg_1", noRun), store.ErrConflict)

	// Advance: sent, then delivered; each stamps its time and stores its
	// event, built from the updated message.
	sentAt := now().Add(time.Second)
	var seen *naive.Message
	var ev *naive.Event
	changed, err := b.s.AdvanceMessage(b.ctx, advance(naive.ModeLive, "msg_1", naive.MessageSent, "", sentAt),
		func(u *naive.Message) (*naive.Event, error) {
			seen, ev = u, statusEvent(u)
			return ev, nil
		}, nil)
	must(t, err)
	if !changed {
		t.Fatal("queued → sent did not change")
	}
	m.Status, m.SentAt = naive.MessageSent, &sentAt
	equal(t, "evFor's message", *seen, *m)
	equal(t, "sent message", b.message(t, b.live, m.ID), *m)
	b.wantEvent(t, "sms.status of sent", ev)

	// Duplicates and statuses that rank no higher change nothing and store no event.
	for _, st := range []string{naive.MessageSent, naive.MessageQueued, "bogus"} {
		changed, err = b.s.AdvanceMessage(b.ctx, advance(naive.ModeLive, "msg_1", st, "", now()),
			func(u *naive.Message) (*naive.Event, error) {
				t.Errorf("evFor called for an update to %s that changed nothing", st)
				return statusEvent(u), nil
			}, nil)
		must(t, err)
		if changed {
			t.Fatalf("sent → %s changed the message", st)
		}
	}
	equal(t, "message after no-op updates", b.message(t, b.live, m.ID), *m)

	deliveredAt := now().Add(2 * time.Second)
	changed, err = b.s.AdvanceMessage(b.ctx, advance(naive.ModeLive, "msg_1", naive.MessageDelivered, "", deliveredAt), nil, nil)
	must(t, err)
	if !changed {
		t.Fatal("sent → delivered did not change")
	}
	m.Status, m.DeliveredAt = naive.MessageDelivered, &deliveredAt
	equal(t, "delivered message", b.message(t, b.live, m.ID), *m)
	// Failed ranks with delivered: a late failure does not undo delivery.
	changed, err = b.s.AdvanceMessage(b.ctx, advance(naive.ModeLive, "msg_1", naive.MessageFailed, "carrier_error", now()), nil, nil)
	must(t, err)
	if changed {
		t.Fatal("delivered → failed changed the message")
	}
	equal(t, "delivered message after a late failure", b.message(t, b.live, m.ID), *m)

	// Unknown carrier ids, and ids of another mode, are not found: not an
	// error, nothing changed.
	for _, a := range []*store.MessageAdvance{
		advance(naive.ModeLive, "msg_unknown", naive.MessageSent, "", now()),
		advance(naive.ModeTest, "msg_1", naive.MessageSent, "", now()),
		advance(naive.ModeLive, "", naive.MessageSent, "", now()),
	} {
		changed, err = b.s.AdvanceMessage(b.ctx, a, nil, nil)
		must(t, err)
		if changed {
			t.Fatalf("AdvanceMessage of an unknown message %s in %s changed something", a.CarrierID, a.Mode)
		}
	}
	equal(t, "delivered message after unknown updates", b.message(t, b.live, m.ID), *m)

	// An error of evFor rolls the change back.
	f := outbound(p, "+14155551234")
	_, err = b.s.ReserveMessage(b.ctx, f, nil, noRun)
	must(t, err)
	must(t, b.s.SetMessageCarrierID(b.ctx, f.ID, "msg_3", noRun))
	f.CarrierID = "msg_3"
	boom := errors.New("boom")
	_, err = b.s.AdvanceMessage(b.ctx, advance(naive.ModeLive, "msg_3", naive.MessageFailed, "x", now()),
		func(*naive.Message) (*naive.Event, error) { return nil, boom }, nil)
	wantErr(t, err, boom)
	equal(t, "message after a failed evFor", b.message(t, b.live, f.ID), *f)
	// Failed stamps failed_at and the reason.
	failedAt := now()
	changed, err = b.s.AdvanceMessage(b.ctx, advance(naive.ModeLive, "msg_3", naive.MessageFailed, "unreachable", failedAt), nil, nil)
	must(t, err)
	if !changed {
		t.Fatal("queued → failed did not change")
	}
	f.Status, f.FailedAt, f.FailureReason = naive.MessageFailed, &failedAt, "unreachable"
	equal(t, "failed message", b.message(t, b.live, f.ID), *f)

	// FailMessage: queued only, refunds once.
	q := outbound(p, "+14155551234")
	q.CreditsUsed = 3
	bal, err = b.s.ReserveMessage(b.ctx, q, messageDebit(q), noRun)
	must(t, err)
	if bal != 5 {
		t.Fatalf("balance after reserve = %d, want 5", bal)
	}
	at := now()
	bal, err = b.s.FailMessage(b.ctx, q.ID, "carrier rejected", messageRefund(q), at, noRun)
	must(t, err)
	if bal != 8 {
		t.Fatalf("balance after FailMessage = %d, want 8", bal)
	}
	q.Status, q.FailureReason, q.FailedAt = naive.MessageFailed, "carrier rejected", &at
	equal(t, "failed queued message", b.message(t, b.live, q.ID), *q)
	_, err = b.s.FailMessage(b.ctx, q.ID, "again", messageRefund(q), now(), noRun)
	wantErr(t, err, store.ErrConflict)
	_, err = b.s.FailMessage(b.ctx, m.ID, "late", messageRefund(m), now(), noRun)
	wantErr(t, err, store.ErrConflict)
	_, err = b.s.FailMessage(b.ctx, newID(), "x", nil, now(), noRun)
	wantErr(t, err, store.ErrNotFound)
	// Without a refund: nothing credited, the balance reported.
	bal, err = b.s.FailMessage(b.ctx, free.ID, "no refund", nil, now(), noRun)
	must(t, err)
	if bal != 8 {
		t.Fatalf("balance after FailMessage without refund = %d, want 8", bal)
	}
	// The refund points at its message.
	_, entries := b.checkLedger(t, b.live)
	var refunded int
	for _, e := range entries {
		if e.Reason == "sms.send.refund" {
			refunded++
			if e.ReferenceID != q.ID || e.Amount != 3 {
				t.Errorf("refund %+v, want 3 for %s", e, q.ID)
			}
		}
	}
	if refunded != 1 {
		t.Fatalf("%d refunds, want 1", refunded)
	}

	// Inbound: stored with its event; an inbound message is not advanced
	// or failed.
	in := inbound(p, "+14155551234", "msg_in_1")
	in.Status, in.Direction = "", ""
	inEv := &naive.Event{ID: newID(), Data: json.RawMessage(`{"id": "` + in.ID + `"}`), CreatedAt: now()}
	stored, err := b.s.RecordInbound(b.ctx, &store.Inbound{Message: in, Event: inEv}, nil)
	must(t, err)
	if !stored {
		t.Fatal("RecordInbound of a new message reported false")
	}
	if in.Status != naive.MessageReceived || in.Direction != naive.DirectionInbound {
		t.Fatalf("inbound message is %s %s, want inbound received", in.Direction, in.Status)
	}
	equal(t, "inbound message", b.message(t, b.live, in.ID), *in)
	if inEv.Type != naive.EventSMSReceived || inEv.OperatorID != b.live.OperatorID || inEv.Mode != b.live.Mode {
		t.Fatalf("inbound event defaults: %s", show(inEv))
	}
	b.wantEvent(t, "sms.received", inEv)
	changed, err = b.s.AdvanceMessage(b.ctx, advance(naive.ModeLive, "msg_in_1", naive.MessageSent, "", now()), nil, nil)
	must(t, err)
	if changed {
		t.Fatal("AdvanceMessage advanced an inbound message")
	}
	equal(t, "inbound message after an advance", b.message(t, b.live, in.ID), *in)
	_, err = b.s.FailMessage(b.ctx, in.ID, "x", nil, now(), noRun)
	wantErr(t, err, store.ErrConflict)

	// Lists: a phone's messages, newest first, paged.
	mine := []string{in.ID, q.ID, f.ID, free.ID, m.ID}
	checkPaging(t, mine, func(pg naive.Page) []string {
		return messageIDs(must2(b.s.ListMessages(b.ctx, b.live, naive.MessageFilter{PhoneID: p.ID, Page: pg}))(t))
	})
	empty(t, "messages of a phone without any", must2(b.s.ListMessages(b.ctx, b.live, naive.MessageFilter{PhoneID: other.ID}))(t))
	l := must2(b.s.ListMessages(b.ctx, b.live, naive.MessageFilter{PhoneID: p.ID, Page: naive.Page{Limit: 1}}))(t)
	equal(t, "newest message", l, []naive.Message{*in})
}

// testReserveMessageConcurrent races 100 reservations against credits for
// 50: exactly 50 messages stored, 50 short, balance 0.
func testReserveMessageConcurrent(t *testing.T, b *bundle) {
	const perMessage = 2
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550100")
	b.grant(t, b.live, 50*perMessage)
	var ok, short atomic.Int32
	afters := make([]int64, 100)
	msgs := make([]*naive.Message, 100)
	concurrently(100, func(i int) {
		afters[i] = -1
		m := outbound(p, "+14155551234")
		m.CreditsUsed = perMessage
		msgs[i] = m
		bal, err := b.s.ReserveMessage(b.ctx, m, messageDebit(m), noRun)
		switch {
		case err == nil:
			ok.Add(1)
			afters[i] = bal
		case errors.Is(err, store.ErrInsufficientCredits):
			short.Add(1)
		default:
			t.Errorf("ReserveMessage: %v", err)
		}
	})
	if ok.Load() != 50 || short.Load() != 50 {
		t.Fatalf("%d reservations succeeded and %d were short, want 50 and 50", ok.Load(), short.Load())
	}
	checkDistinctAfters(t, afters, 50, perMessage)
	l, err := b.s.ListMessages(b.ctx, b.live, naive.MessageFilter{PhoneID: p.ID})
	must(t, err)
	if len(l) != 50 {
		t.Fatalf("%d messages stored, want 50", len(l))
	}
	bal, entries := b.checkLedger(t, b.live)
	if bal != 0 {
		t.Fatalf("balance %d, want 0", bal)
	}
	debited := map[string]bool{}
	for _, e := range entries {
		if e.Reason == "sms.send" {
			debited[e.ReferenceID] = true
		}
	}
	for i, m := range msgs {
		_, err := b.s.GetMessage(b.ctx, b.live, m.ID)
		stored := err == nil
		if stored != (afters[i] >= 0) || stored != debited[m.ID] {
			t.Errorf("message %s: stored=%v debited=%v reserve succeeded=%v", m.ID, stored, debited[m.ID], afters[i] >= 0)
		}
	}
}

// testFailMessageRefundsOnce fails each of 5 messages twice at once: one
// call refunds, the other is a conflict.
func testFailMessageRefundsOnce(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550100")
	b.grant(t, b.live, 10)
	var msgs []*naive.Message
	for range 5 {
		m := outbound(p, "+14155551234")
		_, err := b.s.ReserveMessage(b.ctx, m, messageDebit(m), noRun)
		must(t, err)
		msgs = append(msgs, m)
	}
	for _, m := range msgs {
		var ok, conflict atomic.Int32
		concurrently(2, func(int) {
			_, err := b.s.FailMessage(b.ctx, m.ID, "send failed", messageRefund(m), now(), noRun)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, store.ErrConflict):
				conflict.Add(1)
			default:
				t.Errorf("FailMessage: %v", err)
			}
		})
		if ok.Load() != 1 || conflict.Load() != 1 {
			t.Fatalf("two concurrent FailMessage: %d refunded, %d conflicts; want 1 and 1", ok.Load(), conflict.Load())
		}
		if got := b.message(t, b.live, m.ID); got.Status != naive.MessageFailed {
			t.Fatalf("status after FailMessage = %q, want failed", got.Status)
		}
	}
	bal, entries := b.checkLedger(t, b.live)
	// The phone's free reserve, the grant, 5 debits and 5 refunds.
	if bal != 10 || len(entries) != 12 {
		t.Fatalf("balance %d with %d entries, want 10 with 12", bal, len(entries))
	}
	// A text the carrier took (its id recorded) is not failed and refunded
	// as if it had never left.
	m := outbound(p, "+14155551234")
	_, err := b.s.ReserveMessage(b.ctx, m, messageDebit(m), noRun)
	must(t, err)
	must(t, b.s.SetMessageCarrierID(b.ctx, m.ID, "msg_taken", noRun))
	_, err = b.s.FailMessage(b.ctx, m.ID, "not_sent", messageRefund(m), now(), noRun)
	wantErr(t, err, store.ErrConflict)
	if got := b.message(t, b.live, m.ID); got.Status != naive.MessageQueued {
		t.Fatalf("status of a taken text after FailMessage = %q, want queued", got.Status)
	}
}

// testRecordInboundConcurrent delivers one inbound text 20 times at once:
// stored once, with one event. The same carrier id in the other mode is
// another message.
func testRecordInboundConcurrent(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550100")
	var fresh atomic.Int32
	evs := make([]*naive.Event, 20)
	msgs := make([]*naive.Message, 20)
	concurrently(20, func(i int) {
		m := inbound(p, "+14155551234", "msg_in")
		ev := &naive.Event{ID: newID(), Type: naive.EventSMSReceived, Data: json.RawMessage(`{"id":"` + m.ID + `"}`),
			CreatedAt: now(), Mode: m.Mode, OperatorID: m.OperatorID}
		msgs[i], evs[i] = m, ev
		ok, err := b.s.RecordInbound(b.ctx, &store.Inbound{Message: m, Event: ev}, nil)
		if err != nil {
			t.Errorf("RecordInbound: %v", err)
		}
		if ok {
			fresh.Add(1)
		}
	})
	if fresh.Load() != 1 {
		t.Fatalf("%d deliveries stored the message, want 1", fresh.Load())
	}
	l, err := b.s.ListMessages(b.ctx, b.live, naive.MessageFilter{PhoneID: p.ID})
	must(t, err)
	if len(l) != 1 {
		t.Fatalf("%d messages stored, want 1", len(l))
	}
	var stored []string
	for _, e := range must2(b.s.ListEvents(b.ctx, b.live, naive.EventFilter{Type: naive.EventSMSReceived}))(t) {
		stored = append(stored, e.ID)
	}
	if len(stored) != 1 {
		t.Fatalf("%d sms.received events, want 1", len(stored))
	}
	for i := range msgs {
		if msgs[i].ID == l[0].ID && evs[i].ID != stored[0] {
			t.Fatalf("stored event %s is not the one of the stored message (%s)", stored[0], evs[i].ID)
		}
	}

	tp := b.activePhone(t, b.test, b.testSubject.ID, "+14155550100")
	ok, err := b.s.RecordInbound(b.ctx, &store.Inbound{Message: inbound(tp, "+14155551234", "msg_in"), Event: nil}, nil)
	must(t, err)
	if !ok {
		t.Fatal("the carrier id of another mode was taken as a duplicate")
	}
	empty(t, "test events of an inbound stored without one",
		must2(b.s.ListEvents(b.ctx, b.test, naive.EventFilter{Type: naive.EventSMSReceived}))(t))
}

// testAdvanceMessageConcurrent sends sent, delivered and failed, three
// times each in random order, at once for each of 10 messages: each ends
// at rank 3, changed at most once per rank, with one event per change.
func testAdvanceMessageConcurrent(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550100")
	statuses := []string{naive.MessageSent, naive.MessageDelivered, naive.MessageFailed}
	for i := range 10 {
		m := outbound(p, "+14155551234")
		_, err := b.s.ReserveMessage(b.ctx, m, nil, noRun)
		must(t, err)
		carrierID := "msg_" + m.ID
		must(t, b.s.SetMessageCarrierID(b.ctx, m.ID, carrierID, noRun))

		updates := make([]string, 0, 9)
		for range 3 {
			updates = append(updates, statuses...)
		}
		rand.Shuffle(len(updates), func(i, j int) { updates[i], updates[j] = updates[j], updates[i] })
		var (
			mu      sync.Mutex
			changes []string
			built   = map[string]string{} // event id → status it was built for
		)
		concurrently(len(updates), func(j int) {
			var ev *naive.Event
			changed, err := b.s.AdvanceMessage(b.ctx, advance(naive.ModeLive, carrierID, updates[j], "reason", now()),
				func(u *naive.Message) (*naive.Event, error) {
					if u.Status != updates[j] || u.ID != m.ID {
						t.Errorf("evFor got %s in %s, want %s in %s", u.ID, u.Status, m.ID, updates[j])
					}
					ev = statusEvent(u)
					return ev, nil
				}, nil)
			if err != nil {
				t.Errorf("AdvanceMessage: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if changed {
				changes = append(changes, updates[j])
				if ev == nil {
					t.Errorf("a change to %s stored no event", updates[j])
				} else {
					built[ev.ID] = updates[j]
				}
			}
		})
		if t.Failed() {
			t.FailNow()
		}
		ranks := map[int]int{}
		for _, st := range changes {
			ranks[naive.MessageRank(st)]++
		}
		for r, n := range ranks {
			if n > 1 {
				t.Fatalf("message %d: rank %d reached %d times (changes %v)", i, r, n, changes)
			}
		}
		got := b.message(t, b.live, m.ID)
		if naive.MessageRank(got.Status) != 3 {
			t.Fatalf("message %d ends %s after %v, want rank 3", i, got.Status, updates)
		}
		for _, st := range changes {
			if naive.MessageRank(st) == 3 && got.Status != st {
				t.Fatalf("message %d ends %s, but was changed to %s", i, got.Status, st)
			}
		}
		if got.Status == naive.MessageFailed && (got.FailedAt == nil || got.FailureReason != "reason" || got.DeliveredAt != nil) {
			t.Fatalf("failed message: %s", show(got))
		}
		if got.Status == naive.MessageDelivered && (got.DeliveredAt == nil || got.FailedAt != nil || got.FailureReason != "") {
			t.Fatalf("delivered message: %s", show(got))
		}
		if (got.SentAt != nil) != (ranks[2] == 1) {
			t.Fatalf("sent_at %v with %d changes to sent", got.SentAt, ranks[2])
		}

		// Events: exactly one per change, of this message.
		n := 0
		for _, e := range must2(b.s.ListEvents(b.ctx, b.live, naive.EventFilter{Type: naive.EventSMSStatus}))(t) {
			var d map[string]string
			must(t, json.Unmarshal(e.Data, &d))
			if d["id"] != m.ID {
				continue
			}
			n++
			if st, ok := built[e.ID]; !ok || st != d["status"] {
				t.Fatalf("stored event %s (%s) is not one of a change", e.ID, d["status"])
			}
		}
		if n != len(changes) {
			t.Fatalf("message %d: %d events for %d changes", i, n, len(changes))
		}
	}
}

// setOptOut records a contact's opt-out with no carrier event: it
// reports applied unless it fails.
func (b *bundle) setOptOut(sc naive.Scope, subjectID, contact string, optedOut bool, at time.Time) error {
	ok, err := b.s.SetOptOut(b.ctx, &store.OptOut{Scope: sc, SubjectID: subjectID, Contact: contact, OptedOut: optedOut, At: at}, nil)
	if err == nil && !ok {
		return errors.New("SetOptOut without a carrier event reported false")
	}
	return err
}

func testOptOuts(t *testing.T, b *bundle) {
	subj := b.liveSubject.ID
	const contact = "+14155551234"
	is := func(sc naive.Scope, subjectID, contact string) bool {
		t.Helper()
		return must2(b.s.IsOptedOut(b.ctx, sc, subjectID, contact))(t)
	}
	if is(b.live, subj, contact) {
		t.Fatal("opted out before any opt-out")
	}
	t0 := now()
	must(t, b.setOptOut(b.live, subj, contact, true, t0))
	if !is(b.live, subj, contact) {
		t.Fatal("not opted out after SetOptOut(true)")
	}
	// Per subject, contact and scope.
	other := subject(b.live, false)
	must(t, b.s.CreateSubject(b.ctx, &other))
	if is(b.live, other.ID, contact) || is(b.live, subj, "+14155559999") || is(b.test, subj, contact) ||
		is(b.other, subj, contact) {
		t.Fatal("an opt-out leaked to another subject, contact or scope")
	}
	// Again: still opted out.
	must(t, b.setOptOut(b.live, subj, contact, true, t0.Add(time.Second)))
	if !is(b.live, subj, contact) {
		t.Fatal("not opted out after a second SetOptOut(true)")
	}
	// Cleared (START).
	must(t, b.setOptOut(b.live, subj, contact, false, t0.Add(2*time.Second)))
	if is(b.live, subj, contact) {
		t.Fatal("opted out after SetOptOut(false)")
	}
	// An older opt-out arriving late does not undo the newer clear.
	must(t, b.setOptOut(b.live, subj, contact, true, t0.Add(time.Second)))
	if is(b.live, subj, contact) {
		t.Fatal("a stale SetOptOut(true) overrode a newer clear")
	}
	must(t, b.setOptOut(b.live, subj, contact, true, t0.Add(3*time.Second)))
	if !is(b.live, subj, contact) {
		t.Fatal("not opted out after a newer SetOptOut(true)")
	}
	// Clearing a contact that never opted out is fine.
	must(t, b.setOptOut(b.live, subj, "+14155550000", false, now()))
	if is(b.live, subj, "+14155550000") {
		t.Fatal("opted out after a clear")
	}
	// A subject of another scope is not found.
	wantErr(t, b.setOptOut(b.live, b.testSubject.ID, contact, true, now()), store.ErrNotFound)
	sc2, _ := b.secondOperator(t)
	wantErr(t, b.setOptOut(sc2, subj, contact, true, now()), store.ErrNotFound)
	if is(b.test, b.testSubject.ID, contact) || is(sc2, subj, contact) {
		t.Fatal("a rejected SetOptOut stored an opt-out")
	}
}

func assignmentAgents(l []naive.Assignment) []string {
	return ids(l, func(a naive.Assignment) string { return a.AgentID })
}

func testAssignments(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550100")
	a1, a2 := b.newAgent(t, b.live), b.newAgent(t, b.live)

	first := &naive.Assignment{PhoneID: p.ID, AgentID: a1.ID, Permissions: []string{naive.PermSendSMS, naive.PermReceiveSMS},
		CreatedAt: now(), Mode: b.live.Mode, OperatorID: b.live.OperatorID}
	must(t, b.s.UpsertAssignment(b.ctx, first))
	second := &naive.Assignment{PhoneID: p.ID, AgentID: a2.ID, CreatedAt: now().Add(time.Second),
		Mode: b.live.Mode, OperatorID: b.live.OperatorID}
	must(t, b.s.UpsertAssignment(b.ctx, second))
	equal(t, "nil permissions written back", second.Permissions, []string{})
	equal(t, "assignments", must2(b.s.ListAssignments(b.ctx, b.live, p.ID))(t), []naive.Assignment{*first, *second})

	// Upsert again: permissions replaced, created_at kept.
	again := &naive.Assignment{PhoneID: p.ID, AgentID: a1.ID, Permissions: []string{naive.PermReceiveSMS},
		CreatedAt: now().Add(time.Hour), Mode: b.live.Mode, OperatorID: b.live.OperatorID}
	must(t, b.s.UpsertAssignment(b.ctx, again))
	if !again.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("created_at after a re-assign = %v, want the first %v", again.CreatedAt, first.CreatedAt)
	}
	first.Permissions = []string{naive.PermReceiveSMS}
	equal(t, "assignments after a re-assign", must2(b.s.ListAssignments(b.ctx, b.live, p.ID))(t),
		[]naive.Assignment{*first, *second})

	// A phone or agent of another scope is not found.
	testAgent := b.newAgent(t, b.test)
	cross := &naive.Assignment{PhoneID: p.ID, AgentID: testAgent.ID, Permissions: []string{naive.PermSendSMS},
		CreatedAt: now(), Mode: b.live.Mode, OperatorID: b.live.OperatorID}
	wantErr(t, b.s.UpsertAssignment(b.ctx, cross), store.ErrNotFound)
	sc2, subj2 := b.secondOperator(t)
	foreignAgent := b.newAgent(t, sc2)
	cross = &naive.Assignment{PhoneID: p.ID, AgentID: foreignAgent.ID, Permissions: []string{naive.PermSendSMS},
		CreatedAt: now(), Mode: b.live.Mode, OperatorID: b.live.OperatorID}
	wantErr(t, b.s.UpsertAssignment(b.ctx, cross), store.ErrNotFound)
	cross = &naive.Assignment{PhoneID: p.ID, AgentID: foreignAgent.ID, Permissions: []string{naive.PermSendSMS},
		CreatedAt: now(), Mode: sc2.Mode, OperatorID: sc2.OperatorID}
	wantErr(t, b.s.UpsertAssignment(b.ctx, cross), store.ErrNotFound)
	// Another tenant cannot rewrite an existing connection.
	hijack := &naive.Assignment{PhoneID: p.ID, AgentID: a1.ID, Permissions: []string{"everything"},
		CreatedAt: now(), Mode: sc2.Mode, OperatorID: sc2.OperatorID}
	wantErr(t, b.s.UpsertAssignment(b.ctx, hijack), store.ErrNotFound)
	p2 := b.activePhone(t, sc2, subj2.ID, "+14155550101")
	cross = &naive.Assignment{PhoneID: p2.ID, AgentID: a1.ID, CreatedAt: now(), Mode: b.live.Mode, OperatorID: b.live.OperatorID}
	wantErr(t, b.s.UpsertAssignment(b.ctx, cross), store.ErrNotFound)
	equal(t, "assignments after rejected upserts", must2(b.s.ListAssignments(b.ctx, b.live, p.ID))(t),
		[]naive.Assignment{*first, *second})
	empty(t, "assignments of the other tenant's phone", must2(b.s.ListAssignments(b.ctx, sc2, p2.ID))(t))

	// Delete: once; not from another scope.
	wantErr(t, b.s.DeleteAssignment(b.ctx, sc2, p.ID, a1.ID), store.ErrNotFound)
	wantErr(t, b.s.DeleteAssignment(b.ctx, b.test, p.ID, a1.ID), store.ErrNotFound)
	must(t, b.s.DeleteAssignment(b.ctx, b.live, p.ID, a1.ID))
	wantErr(t, b.s.DeleteAssignment(b.ctx, b.live, p.ID, a1.ID), store.ErrNotFound)
	equal(t, "assignment agents after delete", assignmentAgents(must2(b.s.ListAssignments(b.ctx, b.live, p.ID))(t)),
		[]string{a2.ID})
	// Reconnected: a new connection, listed after the older one.
	re := &naive.Assignment{PhoneID: p.ID, AgentID: a1.ID, Permissions: []string{naive.PermSendSMS},
		CreatedAt: now().Add(2 * time.Second), Mode: b.live.Mode, OperatorID: b.live.OperatorID}
	must(t, b.s.UpsertAssignment(b.ctx, re))
	equal(t, "assignments after reconnect", must2(b.s.ListAssignments(b.ctx, b.live, p.ID))(t),
		[]naive.Assignment{*second, *re})
}

// testMessagingTenantIsolation: another tenant's or mode's messages,
// opt-outs, assignments, endpoints and deliveries are not found.
func testMessagingTenantIsolation(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550100")
	m := outbound(p, "+14155551234")
	_, err := b.s.ReserveMessage(b.ctx, m, nil, noRun)
	must(t, err)
	must(t, b.s.SetMessageCarrierID(b.ctx, m.ID, "msg_1", noRun))
	in := inbound(p, "+14155551234", "msg_in")
	_, err = b.s.RecordInbound(b.ctx, &store.Inbound{Message: in, Event: nil}, nil)
	must(t, err)
	must(t, b.setOptOut(b.live, b.liveSubject.ID, "+14155551234", true, now()))
	agent := b.newAgent(t, b.live)
	must(t, b.s.UpsertAssignment(b.ctx, &naive.Assignment{PhoneID: p.ID, AgentID: agent.ID,
		Permissions: []string{naive.PermSendSMS}, CreatedAt: now(), Mode: b.live.Mode, OperatorID: b.live.OperatorID}))
	e := newEndpoint(b.live, "")
	must(t, b.s.CreateWebhookEndpoint(b.ctx, e))
	ae := newEndpoint(b.live, agent.ID)
	must(t, b.s.CreateWebhookEndpoint(b.ctx, ae))
	ev := b.newEvent(t, b.live)
	d, _, err := b.s.CreateDelivery(b.ctx, newDelivery(e.ID, ev.ID))
	must(t, err)

	sc2, _ := b.secondOperator(t)
	for _, sc := range []naive.Scope{b.other, b.test, sc2, {OperatorID: b.op.ID, Mode: "bogus"}} {
		_, err := b.s.GetMessage(b.ctx, sc, m.ID)
		wantErr(t, err, store.ErrNotFound)
		_, err = b.s.GetMessage(b.ctx, sc, in.ID)
		wantErr(t, err, store.ErrNotFound)
		empty(t, "ListMessages of the phone", must2(b.s.ListMessages(b.ctx, sc, naive.MessageFilter{PhoneID: p.ID}))(t))
		empty(t, "ListMessages", must2(b.s.ListMessages(b.ctx, sc, naive.MessageFilter{}))(t))
		if must2(b.s.IsOptedOut(b.ctx, sc, b.liveSubject.ID, "+14155551234"))(t) {
			t.Errorf("IsOptedOut in %v reports the live opt-out", sc)
		}
		empty(t, "ListAssignments", must2(b.s.ListAssignments(b.ctx, sc, p.ID))(t))
		wantErr(t, b.s.DeleteAssignment(b.ctx, sc, p.ID, agent.ID), store.ErrNotFound)
		_, err = b.s.GetWebhookEndpoint(b.ctx, sc, e.ID)
		wantErr(t, err, store.ErrNotFound)
		_, err = b.s.GetWebhookEndpoint(b.ctx, sc, ae.ID)
		wantErr(t, err, store.ErrNotFound)
		empty(t, "ListWebhookEndpoints", must2(b.s.ListWebhookEndpoints(b.ctx, sc, true, naive.Page{}))(t))
		empty(t, "ListDeliveries", must2(b.s.ListDeliveries(b.ctx, sc, e.ID, naive.Page{}))(t))
		wantErr(t, b.s.DeleteWebhookEndpoint(b.ctx, sc, e.ID), store.ErrNotFound)
	}
	// Still there, in their own scope.
	b.message(t, b.live, m.ID)
	equal(t, "assignments", len(must2(b.s.ListAssignments(b.ctx, b.live, p.ID))(t)), 1)
	_, err = b.s.GetWebhookEndpoint(b.ctx, b.live, e.ID)
	must(t, err)
	equal(t, "deliveries", len(must2(b.s.ListDeliveries(b.ctx, b.live, e.ID, naive.Page{}))(t)), 1)
	// Tenant-less lookups find them.
	got, err := b.s.GetDelivery(b.ctx, d.ID)
	must(t, err)
	equal(t, "delivery", *got, *d)
	gotEv, err := b.s.GetEvent(b.ctx, ev.ID)
	must(t, err)
	equal(t, "event", *gotEv, *ev)
}
