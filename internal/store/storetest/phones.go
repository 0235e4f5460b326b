package storetest

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

const price = 50

func newPhone(sc naive.Scope, subjectID string) *naive.Phone {
	return &naive.Phone{ID: newID(), Type: naive.PhoneLocal, Status: naive.PhoneProvisioning, Label: "support",
		SubjectID: subjectID, AreaCode: "415", Mode: sc.Mode, CreatedAt: now(), OperatorID: sc.OperatorID, Price: price}
}

// activation is the last phase of a provision, without assignment or events.
func activation(id, e164, carrierID, campaignID string) *store.PhoneActivation {
	return &store.PhoneActivation{ID: id, E164: e164, CarrierID: carrierID, CampaignID: campaignID}
}

func debitFor(p *naive.Phone) *naive.LedgerEntry {
	return &naive.LedgerEntry{ID: newID(), Amount: -p.Price, Reason: naive.LedgerPhoneProvision, ReferenceID: p.ID,
		Actor: naive.Actor{Type: "agent", ID: "key"}, OperatorID: p.OperatorID, Mode: p.Mode, CreatedAt: now()}
}

func refundFor(p *naive.Phone) *naive.LedgerEntry {
	return &naive.LedgerEntry{ID: newID(), Amount: p.Price, Reason: naive.LedgerPhoneRefund, ReferenceID: p.ID,
		Actor: naive.Actor{Type: "agent", ID: "key"}, OperatorID: p.OperatorID, Mode: p.Mode, CreatedAt: now()}
}

func phoneIDs(l []naive.Phone) []string { return ids(l, func(p naive.Phone) string { return p.ID }) }

func testPhones(t *testing.T, b *bundle) {
	subj := b.liveSubject.ID
	b.grant(t, b.live, 1000)

	// Short balance: nothing stored.
	b2 := subject(b.test, false)
	must(t, b.s.CreateSubject(b.ctx, &b2))
	poor := newPhone(b.test, b2.ID)
	_, err := b.s.ReservePhone(b.ctx, poor, debitFor(poor), noRun)
	wantErr(t, err, store.ErrInsufficientCredits)
	_, err = b.s.GetPhone(b.ctx, b.test, poor.ID)
	wantErr(t, err, store.ErrNotFound)
	empty(t, "test ledger after a short reserve", must2(b.s.ListLedger(b.ctx, b.test, naive.Page{}))(t))

	// Reserve: debited, provisioning, not listed.
	p := newPhone(b.live, subj)
	bal, err := b.s.ReservePhone(b.ctx, p, debitFor(p), noRun)
	must(t, err)
	if bal != 1000-price {
		t.Fatalf("balance after reserve = %d, want %d", bal, 1000-price)
	}
	got, err := b.s.GetPhone(b.ctx, b.live, p.ID)
	must(t, err)
	equal(t, "reserved phone", *got, *p)
	empty(t, "ListPhones with only a provisioning phone", must2(b.s.ListPhones(b.ctx, b.live, subj, naive.PhoneFilter{}))(t))
	stale, err := b.s.ListStaleProvisioning(b.ctx, p.CreatedAt.Add(time.Second), 10)
	must(t, err)
	equal(t, "stale provisioning", phoneIDs(stale), []string{p.ID})
	stale, err = b.s.ListStaleProvisioning(b.ctx, p.CreatedAt, 10)
	must(t, err)
	empty(t, "stale provisioning before the phone", stale)

	// A phone of another subject (of the same scope) may not be listed under this one.
	other := subject(b.live, false)
	must(t, b.s.CreateSubject(b.ctx, &other))

	// Activate: once.
	must(t, b.s.ActivatePhone(b.ctx, activation(p.ID, "+14155550100", "pn_1", "cmp_1"), noRun))
	wantErr(t, b.s.ActivatePhone(b.ctx, activation(p.ID, "+14155550199", "pn_2", "cmp_1"), noRun), store.ErrConflict)
	p.Status, p.E164, p.CarrierID, p.CampaignID = naive.PhoneActive, "+14155550100", "pn_1", "cmp_1"
	got, err = b.s.GetPhone(b.ctx, b.live, p.ID)
	must(t, err)
	equal(t, "activated phone", *got, *p)
	_, err = b.s.FailPhone(b.ctx, p.ID, refundFor(p), noRun)
	wantErr(t, err, store.ErrConflict)
	stale, err = b.s.ListStaleProvisioning(b.ctx, now().Add(time.Hour), 10)
	must(t, err)
	empty(t, "stale provisioning after activation", stale)

	// More phones: one bound to an agent, one failed, one of the other subject.
	agentID := newID()
	withAgent := newPhone(b.live, subj)
	withAgent.AgentID = agentID
	_, err = b.s.ReservePhone(b.ctx, withAgent, debitFor(withAgent), noRun)
	must(t, err)
	must(t, b.s.ActivatePhone(b.ctx, activation(withAgent.ID, "+14155550101", "pn_3", ""), noRun))
	failed := newPhone(b.live, subj)
	_, err = b.s.ReservePhone(b.ctx, failed, debitFor(failed), noRun)
	must(t, err)
	bal, err = b.s.FailPhone(b.ctx, failed.ID, refundFor(failed), noRun)
	must(t, err)
	if bal != 1000-2*price {
		t.Fatalf("balance after refund = %d, want %d", bal, 1000-2*price)
	}
	ofOther := newPhone(b.live, other.ID)
	_, err = b.s.ReservePhone(b.ctx, ofOther, debitFor(ofOther), noRun)
	must(t, err)
	must(t, b.s.ActivatePhone(b.ctx, activation(ofOther.ID, "+14155550102", "pn_4", ""), noRun))
	pending := newPhone(b.live, subj)
	_, err = b.s.ReservePhone(b.ctx, pending, debitFor(pending), noRun)
	must(t, err)

	// Release: active only, scoped.
	at := now()
	rel, err := b.s.MarkPhoneReleased(b.ctx, b.live, p.ID, at, nil, noRun)
	must(t, err)
	p.Status, p.ReleasedAt = naive.PhoneReleased, &at
	equal(t, "released phone", *rel, *p)
	_, err = b.s.MarkPhoneReleased(b.ctx, b.live, p.ID, now(), nil, noRun)
	wantErr(t, err, store.ErrConflict)
	_, err = b.s.MarkPhoneReleased(b.ctx, b.live, pending.ID, now(), nil, noRun)
	wantErr(t, err, store.ErrConflict)
	_, err = b.s.MarkPhoneReleased(b.ctx, b.live, newID(), now(), nil, noRun)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, b.s.ActivatePhone(b.ctx, activation(p.ID, "+1", "x", ""), noRun), store.ErrConflict)

	// Lists: active and released, newest first, filtered by agent, paged.
	checkPaging(t, []string{withAgent.ID, p.ID}, func(pg naive.Page) []string {
		return phoneIDs(must2(b.s.ListPhones(b.ctx, b.live, subj, naive.PhoneFilter{Page: pg}))(t))
	})
	l, err := b.s.ListPhones(b.ctx, b.live, subj, naive.PhoneFilter{AgentID: agentID})
	must(t, err)
	withAgent.Status, withAgent.E164, withAgent.CarrierID = naive.PhoneActive, "+14155550101", "pn_3"
	equal(t, "phones of an agent", l, []naive.Phone{*withAgent})
	empty(t, "phones of an unknown agent", must2(b.s.ListPhones(b.ctx, b.live, subj, naive.PhoneFilter{AgentID: newID()}))(t))
	// An agent's numbers are also those it is assigned to.
	assigned := b.newAgent(t, b.live)
	must(t, b.s.UpsertAssignment(b.ctx, &naive.Assignment{PhoneID: p.ID, AgentID: assigned.ID, Permissions: []string{naive.PermReceiveSMS},
		OperatorID: b.op.ID, Mode: naive.ModeLive, CreatedAt: now()}))
	equal(t, "phones assigned to an agent", phoneIDs(must2(b.s.ListPhones(b.ctx, b.live, subj, naive.PhoneFilter{AgentID: assigned.ID}))(t)),
		[]string{p.ID})
	equal(t, "phones of the other subject", phoneIDs(must2(b.s.ListPhones(b.ctx, b.live, other.ID, naive.PhoneFilter{}))(t)),
		[]string{ofOther.ID})

	for _, c := range []struct {
		statuses []string
		want     int
	}{
		{[]string{naive.PhoneActive}, 1},
		{[]string{naive.PhoneActive, naive.PhoneProvisioning}, 2},
		{[]string{naive.PhoneReleased}, 1},
		{[]string{naive.PhoneFailed}, 1},
		{[]string{naive.PhoneActive, naive.PhoneProvisioning, naive.PhoneReleased, naive.PhoneFailed}, 4},
	} {
		n, err := b.s.CountPhones(b.ctx, b.live, subj, c.statuses...)
		must(t, err)
		if n != c.want {
			t.Errorf("CountPhones(%v) = %d, want %d", c.statuses, n, c.want)
		}
	}

	// Every charge has its phone or a refund.
	bal, entries := b.checkLedger(t, b.live)
	if bal != 1000-4*price {
		t.Fatalf("final balance = %d, want %d", bal, 1000-4*price)
	}
	charged := map[string]int64{}
	for _, e := range entries {
		if e.Reason != naive.LedgerGrant {
			charged[e.ReferenceID] += e.Amount
		}
	}
	want := map[string]int64{p.ID: -price, withAgent.ID: -price, failed.ID: 0, ofOther.ID: -price, pending.ID: -price}
	equal(t, "charges per phone", charged, want)
}

// testReservePhoneConcurrent races 200 reservations against credits for
// 100: exactly 100 phones, 100 short, and a ledger that adds up.
func testReservePhoneConcurrent(t *testing.T, b *bundle) {
	const perPhone = 10
	b.grant(t, b.live, 100*perPhone)
	var ok, short atomic.Int32
	afters := make([]int64, 200)
	phones := make([]*naive.Phone, 200)
	concurrently(200, func(i int) {
		afters[i] = -1
		p := newPhone(b.live, b.liveSubject.ID)
		p.Price = perPhone
		phones[i] = p
		bal, err := b.s.ReservePhone(b.ctx, p, debitFor(p), noRun)
		switch {
		case err == nil:
			ok.Add(1)
			afters[i] = bal
		case errors.Is(err, store.ErrInsufficientCredits):
			short.Add(1)
		default:
			t.Errorf("ReservePhone: %v", err)
		}
	})
	if ok.Load() != 100 || short.Load() != 100 {
		t.Fatalf("%d reservations succeeded and %d were short, want 100 and 100", ok.Load(), short.Load())
	}
	checkDistinctAfters(t, afters, 100, perPhone)
	n, err := b.s.CountPhones(b.ctx, b.live, b.liveSubject.ID, naive.PhoneProvisioning)
	must(t, err)
	if n != 100 {
		t.Fatalf("%d provisioning phones, want 100", n)
	}
	bal, entries := b.checkLedger(t, b.live)
	if bal != 0 || len(entries) != 101 {
		t.Fatalf("balance %d with %d entries, want 0 with 101", bal, len(entries))
	}
	// Each debit points at a stored phone, each stored phone has one debit.
	debited := map[string]bool{}
	for _, e := range entries {
		if e.Reason == naive.LedgerPhoneProvision {
			debited[e.ReferenceID] = true
		}
	}
	for i, p := range phones {
		_, err := b.s.GetPhone(b.ctx, b.live, p.ID)
		stored := err == nil
		if stored != (afters[i] >= 0) || stored != debited[p.ID] {
			t.Errorf("phone %s: stored=%v debited=%v reserve succeeded=%v", p.ID, stored, debited[p.ID], afters[i] >= 0)
		}
	}
}

// testFailPhoneRefundsOnce fails each of 5 phones twice at once: one call
// refunds, the other is a conflict.
func testFailPhoneRefundsOnce(t *testing.T, b *bundle) {
	b.grant(t, b.live, 5*price)
	var phones []*naive.Phone
	for range 5 {
		p := newPhone(b.live, b.liveSubject.ID)
		_, err := b.s.ReservePhone(b.ctx, p, debitFor(p), noRun)
		must(t, err)
		phones = append(phones, p)
	}
	for _, p := range phones {
		var ok, conflict atomic.Int32
		concurrently(2, func(int) {
			_, err := b.s.FailPhone(b.ctx, p.ID, refundFor(p), noRun)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, store.ErrConflict):
				conflict.Add(1)
			default:
				t.Errorf("FailPhone: %v", err)
			}
		})
		if ok.Load() != 1 || conflict.Load() != 1 {
			t.Fatalf("two concurrent FailPhone: %d refunded, %d conflicts; want 1 and 1", ok.Load(), conflict.Load())
		}
		_, err := b.s.FailPhone(b.ctx, p.ID, refundFor(p), noRun)
		wantErr(t, err, store.ErrConflict)
		got, err := b.s.GetPhone(b.ctx, b.live, p.ID)
		must(t, err)
		if got.Status != naive.PhoneFailed {
			t.Fatalf("status after FailPhone = %q, want failed", got.Status)
		}
	}
	_, err := b.s.FailPhone(b.ctx, newID(), &naive.LedgerEntry{Amount: 1, Reason: "x"}, noRun)
	if err == nil {
		t.Fatal("FailPhone of an unknown phone succeeded")
	}
	bal, entries := b.checkLedger(t, b.live)
	if bal != 5*price || len(entries) != 11 {
		t.Fatalf("balance %d with %d entries, want %d with 11", bal, len(entries), 5*price)
	}
}
