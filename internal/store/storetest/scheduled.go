package storetest

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// testScheduledMessages: a scheduled text is stored uncharged; of many
// concurrent reserves exactly one moves it to queued and charges it once;
// a canceled one cannot be reserved, and one no longer scheduled cannot
// be canceled.
func testScheduledMessages(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550100")
	b.grant(t, b.live, 10)
	m := outbound(p, "+14155551234")
	m.CreditsUsed, m.ConsentBasis = 0, naive.ConsentNone
	at := now().Add(time.Hour)
	m.SendAt = &at
	must(t, b.s.ScheduleMessage(b.ctx, m, store.ScheduledSend{Due: time.Now().Add(time.Hour), Principal: []byte(`{}`)}, noRun))
	got := b.message(t, b.live, m.ID)
	if got.Status != naive.MessageScheduled || got.SendAt == nil || !got.SendAt.Equal(at) || got.ConsentBasis != naive.ConsentNone {
		t.Fatalf("scheduled %+v", got)
	}
	if bal, _ := b.checkLedger(t, b.live); bal != 10 {
		t.Fatalf("balance %d after scheduling, want 10", bal)
	}
	noAt := outbound(p, "+14155551234")
	wantRequired(t, "ScheduleMessage without send_at", b.s.ScheduleMessage(b.ctx, noAt, store.ScheduledSend{Due: time.Now()}, noRun))

	var won, lost atomic.Int32
	concurrently(20, func(int) {
		r := got
		sent := now()
		r.Segments, r.CreditsUsed, r.ConsentBasis, r.SendAt = 1, 2, naive.ConsentExpressWritten, &sent
		_, err := b.s.ReserveScheduled(b.ctx, &r, messageDebit(&r), noRun)
		switch {
		case err == nil:
			won.Add(1)
		case errors.Is(err, store.ErrConflict):
			lost.Add(1)
		default:
			t.Errorf("ReserveScheduled: %v", err)
		}
	})
	if won.Load() != 1 || lost.Load() != 19 {
		t.Fatalf("%d reserves won, %d lost; want 1 and 19", won.Load(), lost.Load())
	}
	got = b.message(t, b.live, m.ID)
	if got.Status != naive.MessageQueued || got.CreditsUsed != 2 || got.ConsentBasis != naive.ConsentExpressWritten {
		t.Fatalf("reserved %+v", got)
	}
	if bal, _ := b.checkLedger(t, b.live); bal != 8 {
		t.Fatalf("balance %d after the reserve, want 8 (charged once)", bal)
	}
	_, err := b.s.EndScheduled(b.ctx, b.live, m.ID, naive.MessageCanceled, "", now())
	wantErr(t, err, store.ErrConflict)

	c := outbound(p, "+14155551234")
	c.CreditsUsed, c.SendAt = 0, &at
	must(t, b.s.ScheduleMessage(b.ctx, c, store.ScheduledSend{Due: time.Now().Add(time.Hour)}, noRun))
	_, err = b.s.EndScheduled(b.ctx, b.other, c.ID, naive.MessageCanceled, "", now())
	wantErr(t, err, store.ErrNotFound)
	ended, err := b.s.EndScheduled(b.ctx, b.live, c.ID, naive.MessageCanceled, "", now())
	must(t, err)
	if ended.Status != naive.MessageCanceled || ended.CanceledAt == nil {
		t.Fatalf("canceled %+v", ended)
	}
	_, err = b.s.EndScheduled(b.ctx, b.live, c.ID, naive.MessageCanceled, "", now())
	wantErr(t, err, store.ErrConflict)
	r := *ended
	r.CreditsUsed, r.SendAt = 2, &at
	_, err = b.s.ReserveScheduled(b.ctx, &r, messageDebit(&r), noRun)
	wantErr(t, err, store.ErrConflict)
	if bal, _ := b.checkLedger(t, b.live); bal != 8 {
		t.Fatalf("balance %d, want 8: a canceled text is never charged", bal)
	}
}

// testConsents: a number's consent per contact, replaced by an explicit
// record, kept against a conversation; listed with the subject's
// opt-outs; isolated by scope.
func testConsents(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550100")
	rec := func(contact, basis string) *store.ConsentRecord {
		return &store.ConsentRecord{Scope: b.live, PhoneID: p.ID, Contact: contact, Consent: naive.Consent{Basis: basis,
			RecordedBy: naive.Actor{Type: "human", ID: b.user.ID}, CreatedAt: now(), UpdatedAt: now()}}
	}
	_, err := b.s.GetConsent(b.ctx, b.live, p.ID, "+14155551234")
	wantErr(t, err, store.ErrNotFound)
	first := rec("+14155551234", naive.ConsentExpressOral)
	must(t, b.s.UpsertConsent(b.ctx, first))
	later := rec("+14155551234", naive.ConsentExpressWritten)
	later.EvidenceURL, later.CreatedAt, later.UpdatedAt = "https://example.com/f", now().Add(time.Minute), now().Add(time.Minute)
	must(t, b.s.UpsertConsent(b.ctx, later))
	got, err := b.s.GetConsent(b.ctx, b.live, p.ID, "+14155551234")
	must(t, err)
	if got.Basis != naive.ConsentExpressWritten || got.EvidenceURL != "https://example.com/f" || !got.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("consent %+v, want the later basis with the first created_at", got)
	}
	_, err = b.s.GetConsent(b.ctx, b.other, p.ID, "+14155551234")
	wantErr(t, err, store.ErrNotFound)
	bad := rec("+14155551234", naive.ConsentExpressOral)
	bad.Scope = b.other
	wantErr(t, b.s.UpsertConsent(b.ctx, bad), store.ErrNotFound)

	// An inbound text opens a conversation unless a record exists.
	in := inbound(p, "+14155551234", "msg_"+newID())
	in.Body = "hello"
	conv := rec("+14155551234", naive.ConsentConversation)
	conv.MessageID = in.ID
	_, err = b.s.RecordInbound(b.ctx, &store.Inbound{Message: in, Consent: conv}, nil)
	must(t, err)
	if got, _ := b.s.GetConsent(b.ctx, b.live, p.ID, "+14155551234"); got.Basis != naive.ConsentExpressWritten {
		t.Fatalf("a conversation replaced an explicit consent: %+v", got)
	}
	in2 := inbound(p, "+14155559876", "msg_"+newID())
	conv2 := rec("+14155559876", naive.ConsentConversation)
	conv2.MessageID = in2.ID
	_, err = b.s.RecordInbound(b.ctx, &store.Inbound{Message: in2, Consent: conv2,
		OptOut: &store.OptOut{Scope: b.live, SubjectID: p.SubjectID, Contact: "+14155559876", OptedOut: true, At: now()}}, nil)
	must(t, err)
	_, err = b.s.SetOptOut(b.ctx, &store.OptOut{Scope: b.live, SubjectID: p.SubjectID, Contact: "+14155550001", OptedOut: true, At: now()}, nil)
	must(t, err)

	l, err := b.s.ListContacts(b.ctx, b.live, store.ContactFilter{PhoneID: p.ID, SubjectID: p.SubjectID, Limit: 10})
	must(t, err)
	if len(l) != 3 || l[0].Contact != "+14155550001" || l[0].Consent != nil || !l[0].OptedOut ||
		l[1].Contact != "+14155551234" || l[1].Consent.Basis != naive.ConsentExpressWritten || l[1].OptedOut ||
		l[2].Contact != "+14155559876" || l[2].Consent.Basis != naive.ConsentConversation || l[2].Consent.MessageID != in2.ID || !l[2].OptedOut {
		t.Fatalf("contacts %+v", l)
	}
	page, err := b.s.ListContacts(b.ctx, b.live, store.ContactFilter{PhoneID: p.ID, SubjectID: p.SubjectID, After: "+14155550001", Limit: 1})
	must(t, err)
	if len(page) != 1 || page[0].Contact != "+14155551234" {
		t.Fatalf("page after +14155550001: %+v", page)
	}
	none, err := b.s.ListContacts(b.ctx, b.other, store.ContactFilter{PhoneID: p.ID, SubjectID: p.SubjectID, Limit: 10})
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("another scope sees %+v", none)
	}
}
