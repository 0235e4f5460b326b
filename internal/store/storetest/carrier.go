package storetest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// testCampaignEvents: a transition stores its events once; a transition
// that changes nothing stores none.
func testCampaignEvents(t *testing.T, b *bundle) {
	c := b.registered(t, naive.CampaignCreated)
	mk := func() *naive.Event {
		return &naive.Event{ID: newID(), OperatorID: b.live.OperatorID, Mode: b.live.Mode, Type: naive.EventCampaignUpdated,
			Data: []byte(`{"id":"` + c.ID + `"}`), CreatedAt: now()}
	}
	var stored atomic.Int32
	evs := make([]*naive.Event, 20)
	concurrently(20, func(i int) {
		evs[i] = mk()
		changed, err := b.s.AdvanceCampaign(b.ctx, c.ID, naive.CampaignActive, "", now(), []*naive.Event{evs[i]}, nil)
		if err != nil {
			t.Errorf("AdvanceCampaign: %v", err)
		}
		if changed {
			stored.Add(1)
		}
	})
	if stored.Load() != 1 {
		t.Fatalf("%d advances changed the campaign", stored.Load())
	}
	n := 0
	for _, ev := range evs {
		if b.event(t, b.live, ev.ID) != nil {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}
	got, err := b.s.GetCampaignByCarrierID(b.ctx, b.live.Mode, "cmp_1")
	must(t, err)
	if got.ID != c.ID {
		t.Fatalf("by carrier id: %s", got.ID)
	}
	if _, err := b.s.GetCampaignByCarrierID(b.ctx, naive.ModeTest, "cmp_1"); err != store.ErrNotFound {
		t.Fatalf("other mode: %v", err)
	}
}

// testCarrierEvents: one event id is new exactly once, however many
// deliveries race.
func testCarrierEvents(t *testing.T, b *bundle) {
	var fresh atomic.Int32
	concurrently(20, func(int) {
		ok, err := b.s.RecordCarrierEvent(b.ctx, &store.CarrierEvent{ID: "evt_1", Mode: naive.ModeTest, Type: "campaign.approved",
			AccountID: "acct_1", Payload: []byte(`{"id":"evt_1"}`), ReceivedAt: time.Now()})
		if err != nil {
			t.Errorf("RecordCarrierEvent: %v", err)
		}
		if ok {
			fresh.Add(1)
		}
	})
	if fresh.Load() != 1 {
		t.Fatalf("%d deliveries were new, want 1", fresh.Load())
	}
	if _, err := b.s.GetBrandByCarrierID(b.ctx, naive.ModeTest, "acct_none"); err != store.ErrNotFound {
		t.Fatalf("unknown carrier account: %v", err)
	}
	brands, err := b.s.ListRegisteredBrands(b.ctx, "", 10)
	must(t, err)
	if brands == nil {
		t.Fatal("ListRegisteredBrands returned nil")
	}
}

// testBrandByCarrierID: a registered brand is found by its carrier account
// in its mode only; a brand still registering is not.
func testBrandByCarrierID(t *testing.T, b *bundle) {
	br := b.brandFor(b.live, b.liveSubject.ID)
	_, claimed, err := b.s.ClaimBrand(b.ctx, br, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("ClaimBrand: claimed = false")
	}
	if _, err := b.s.GetBrandByCarrierID(b.ctx, naive.ModeLive, "acct_x"); err != store.ErrNotFound {
		t.Fatalf("registering brand found: %v", err)
	}
	must(t, b.s.CompleteBrand(b.ctx, br.SubjectID, br.ClaimToken, "acct_x", "", now()))
	got, err := b.s.GetBrandByCarrierID(b.ctx, naive.ModeLive, "acct_x")
	must(t, err)
	if got.SubjectID != br.SubjectID || got.OperatorID != b.live.OperatorID {
		t.Fatalf("brand %+v", got)
	}
	if _, err := b.s.GetBrandByCarrierID(b.ctx, naive.ModeTest, "acct_x"); err != store.ErrNotFound {
		t.Fatalf("other mode: %v", err)
	}
}

// testStaleQueued: only outbound sends still queued without a carrier id
// and older than the cut-off are listed, across tenants.
func testStaleQueued(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155557001")
	b.grant(t, b.live, 100)
	old := outbound(p, "+14155550101")
	old.CreatedAt = now().Add(-time.Hour)
	sent := outbound(p, "+14155550102")
	sent.CreatedAt = now().Add(-time.Hour)
	fresh := outbound(p, "+14155550103")
	for _, m := range []*naive.Message{old, sent, fresh} {
		_, err := b.s.ReserveMessage(b.ctx, m, messageDebit(m), noRun)
		must(t, err)
	}
	must(t, b.s.SetMessageCarrierID(b.ctx, sent.ID, "msg_"+newID(), noRun))
	got, err := b.s.ListStaleQueued(b.ctx, now().Add(-time.Minute), 10)
	must(t, err)
	if ids := messageIDs(got); len(ids) != 1 || ids[0] != old.ID {
		t.Fatalf("stale sends %v, want [%s]", ids, old.ID)
	}
	_, err = b.s.FailMessage(b.ctx, old.ID, "not_sent", messageRefund(old), now(), noRun)
	must(t, err)
	got, err = b.s.ListStaleQueued(b.ctx, now().Add(-time.Minute), 10)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("a failed send is still listed: %v", messageIDs(got))
	}
}

// carrierEvent is a webhook of the carrier with id and a payload of its own.
func carrierEvent(id, typ string) *store.CarrierEvent {
	return &store.CarrierEvent{ID: id, Mode: naive.ModeLive, Type: typ, AccountID: "acct_1",
		Payload: []byte(`{"id":"` + id + `","n":"` + newID() + `"}`), ReceivedAt: now()}
}

// testCarrierEventDedupe: each method applying a carrier webhook records
// its event in the same transaction; a redelivery of the event — even
// with another body — stores nothing and reports false.
func testCarrierEventDedupe(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550170")
	const contact = "+14155551234"

	// RecordInbound: the first stores message, event and opt-out.
	ce := carrierEvent("evt_in_"+newID(), "message.received")
	in := inbound(p, contact, "msg_in_"+newID())
	ev := &naive.Event{ID: newID(), Type: naive.EventSMSReceived, Data: []byte(`{"id":"` + in.ID + `"}`),
		CreatedAt: now(), Mode: in.Mode, OperatorID: in.OperatorID}
	opt := &store.OptOut{Scope: b.live, SubjectID: b.liveSubject.ID, Contact: contact, OptedOut: true, At: now()}
	stored, err := b.s.RecordInbound(b.ctx, &store.Inbound{Message: in, Event: ev, OptOut: opt}, ce)
	must(t, err)
	if !stored {
		t.Fatal("RecordInbound of a new event reported false")
	}
	b.message(t, b.live, in.ID)
	b.wantEvent(t, "sms.received", ev)
	if !must2(b.s.IsOptedOut(b.ctx, b.live, b.liveSubject.ID, contact))(t) {
		t.Fatal("inbound STOP did not opt out")
	}
	again := inbound(p, contact, "msg_in_"+newID())
	again.Body = "START"
	ev2 := &naive.Event{ID: newID(), Type: naive.EventSMSReceived, Data: []byte(`{}`), CreatedAt: now(),
		Mode: again.Mode, OperatorID: again.OperatorID}
	dup := *ce
	dup.Payload = []byte(`{"other":"body"}`)
	optIn := &store.OptOut{Scope: b.live, SubjectID: b.liveSubject.ID, Contact: contact, OptedOut: false,
		At: now().Add(time.Second)}
	stored, err = b.s.RecordInbound(b.ctx, &store.Inbound{Message: again, Event: ev2, OptOut: optIn}, &dup)
	must(t, err)
	if stored {
		t.Fatal("RecordInbound of a redelivered event reported true")
	}
	_, err = b.s.GetMessage(b.ctx, b.live, again.ID)
	wantErr(t, err, store.ErrNotFound)
	b.wantNoEvent(t, "event of a redelivery", ev2)
	if !must2(b.s.IsOptedOut(b.ctx, b.live, b.liveSubject.ID, contact))(t) {
		t.Fatal("a redelivered event's START was applied")
	}
	// Another event of the same message: the message is not stored again,
	// but its START applies.
	stored, err = b.s.RecordInbound(b.ctx, &store.Inbound{Message: inbound(p, contact, in.CarrierID), OptOut: optIn},
		carrierEvent("evt_in_"+newID(), "message.received"))
	must(t, err)
	if stored {
		t.Fatal("RecordInbound stored a message whose carrier id is known")
	}
	if must2(b.s.IsOptedOut(b.ctx, b.live, b.liveSubject.ID, contact))(t) {
		t.Fatal("a new event's START was not applied")
	}

	// AdvanceCampaign.
	c := b.registered(t, naive.CampaignCreated)
	cce := carrierEvent("evt_cmp_"+newID(), "campaign.updated")
	cev := &naive.Event{ID: newID(), Type: naive.EventCampaignUpdated, Data: []byte(`{}`), CreatedAt: now(),
		Mode: b.live.Mode, OperatorID: b.live.OperatorID}
	changed, err := b.s.AdvanceCampaign(b.ctx, c.ID, naive.CampaignInReview, "", now(), []*naive.Event{cev}, cce)
	must(t, err)
	if !changed {
		t.Fatal("AdvanceCampaign of a new event did not change")
	}
	cdup := *cce
	cdup.Payload = []byte(`{"status":"active"}`)
	cev2 := &naive.Event{ID: newID(), Type: naive.EventCampaignUpdated, Data: []byte(`{}`), CreatedAt: now(),
		Mode: b.live.Mode, OperatorID: b.live.OperatorID}
	changed, err = b.s.AdvanceCampaign(b.ctx, c.ID, naive.CampaignActive, "", now(), []*naive.Event{cev2}, &cdup)
	must(t, err)
	if changed || b.campaignStatus(t, c.ID) != naive.CampaignInReview {
		t.Fatalf("AdvanceCampaign of a redelivered event: changed %v, status %s", changed, b.campaignStatus(t, c.ID))
	}
	b.wantNoEvent(t, "campaign event of a redelivery", cev2)
	// An event about no campaign is recorded all the same.
	lost := carrierEvent("evt_cmp_"+newID(), "campaign.updated")
	if changed, err := b.s.AdvanceCampaign(b.ctx, newID(), naive.CampaignActive, "", now(), nil, lost); err != nil || changed {
		t.Fatalf("AdvanceCampaign of an unknown campaign = %v, %v; want false", changed, err)
	}
	if fresh, err := b.s.RecordCarrierEvent(b.ctx, lost); err != nil || fresh {
		t.Fatalf("event about an unknown campaign not recorded: %v, %v", fresh, err)
	}

	// AdvanceMessage.
	m := outbound(p, contact)
	_, err = b.s.ReserveMessage(b.ctx, m, nil, noRun)
	must(t, err)
	must(t, b.s.SetMessageCarrierID(b.ctx, m.ID, "msg_"+m.ID, noRun))
	mce := carrierEvent("evt_msg_"+newID(), "message.sent")
	changed, err = b.s.AdvanceMessage(b.ctx, advance(naive.ModeLive, "msg_"+m.ID, naive.MessageSent, "", now()), nil, mce)
	must(t, err)
	if !changed {
		t.Fatal("AdvanceMessage of a new event did not change")
	}
	mdup := *mce
	mdup.Payload = []byte(`{"status":"delivered"}`)
	changed, err = b.s.AdvanceMessage(b.ctx, advance(naive.ModeLive, "msg_"+m.ID, naive.MessageDelivered, "", now()),
		func(u *naive.Message) (*naive.Event, error) {
			t.Error("evFor called for a redelivered event")
			return statusEvent(u), nil
		}, &mdup)
	must(t, err)
	if changed || b.message(t, b.live, m.ID).Status != naive.MessageSent {
		t.Fatalf("AdvanceMessage of a redelivered event: changed %v, status %s", changed, b.message(t, b.live, m.ID).Status)
	}

	// SetOptOut.
	oce := carrierEvent("evt_opt_"+newID(), "contact.opted_out")
	other := "+14155559876"
	ok, err := b.s.SetOptOut(b.ctx, &store.OptOut{Scope: b.live, SubjectID: b.liveSubject.ID, Contact: other,
		OptedOut: true, At: now()}, oce)
	must(t, err)
	if !ok {
		t.Fatal("SetOptOut of a new event reported false")
	}
	odup := *oce
	odup.Payload = []byte(`{"opted_out":false}`)
	ok, err = b.s.SetOptOut(b.ctx, &store.OptOut{Scope: b.live, SubjectID: b.liveSubject.ID, Contact: other,
		OptedOut: false, At: now().Add(time.Hour)}, &odup)
	must(t, err)
	if ok || !must2(b.s.IsOptedOut(b.ctx, b.live, b.liveSubject.ID, other))(t) {
		t.Fatalf("SetOptOut of a redelivered event: reported %v, opted out %v", ok, must2(b.s.IsOptedOut(b.ctx, b.live, b.liveSubject.ID, other))(t))
	}

	// Every event was recorded once, with its first body.
	for _, e := range []*store.CarrierEvent{ce, cce, mce, oce} {
		if fresh, err := b.s.RecordCarrierEvent(b.ctx, e); err != nil || fresh {
			t.Fatalf("event %s not recorded: %v, %v", e.ID, fresh, err)
		}
	}
}

// testRecordInboundEventConcurrent delivers one carrier event 20 times at
// once, each time with a message of its own: exactly one is stored.
func testRecordInboundEventConcurrent(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550171")
	id := "evt_" + newID()
	var stored atomic.Int32
	concurrently(20, func(int) {
		ok, err := b.s.RecordInbound(b.ctx, &store.Inbound{Message: inbound(p, "+14155551234", "msg_"+newID())},
			carrierEvent(id, "message.received"))
		if err != nil {
			t.Errorf("RecordInbound: %v", err)
		}
		if ok {
			stored.Add(1)
		}
	})
	if stored.Load() != 1 {
		t.Fatalf("%d of 20 deliveries of one event stored a message, want 1", stored.Load())
	}
	if l := must2(b.s.ListMessages(b.ctx, b.live, naive.MessageFilter{PhoneID: p.ID}))(t); len(l) != 1 {
		t.Fatalf("%d messages stored, want 1", len(l))
	}
}

// testAdvanceMessageByRef: a report naming our message id gives the
// carrier id to the outbound message of that id still without one, in
// its mode, unless another message has it; then advances it.
func testAdvanceMessageByRef(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550172")
	m := outbound(p, "+14155551234")
	_, err := b.s.ReserveMessage(b.ctx, m, nil, noRun)
	must(t, err)
	byRef := func(mode naive.Mode, carrierID, ref, status string) bool {
		t.Helper()
		a := advance(mode, carrierID, status, "", now())
		a.Ref = ref
		changed, err := b.s.AdvanceMessage(b.ctx, a, nil, nil)
		must(t, err)
		return changed
	}
	if !byRef(naive.ModeLive, "msg_ref_1", m.ID, naive.MessageSent) {
		t.Fatal("AdvanceMessage by ref did not change")
	}
	got := b.message(t, b.live, m.ID)
	if got.CarrierID != "msg_ref_1" || got.Status != naive.MessageSent || got.SentAt == nil {
		t.Fatalf("message advanced by ref = %s", show(got))
	}
	// Known by its carrier id since: the ref is not needed.
	if !byRef(naive.ModeLive, "msg_ref_1", m.ID, naive.MessageDelivered) {
		t.Fatal("AdvanceMessage of a known carrier id with its ref did not change")
	}

	// A message with a carrier id of its own keeps it.
	m2 := outbound(p, "+14155551234")
	_, err = b.s.ReserveMessage(b.ctx, m2, nil, noRun)
	must(t, err)
	must(t, b.s.SetMessageCarrierID(b.ctx, m2.ID, "msg_own", noRun))
	if byRef(naive.ModeLive, "msg_ref_2", m2.ID, naive.MessageSent) {
		t.Fatal("AdvanceMessage by ref changed a message with another carrier id")
	}
	if got := b.message(t, b.live, m2.ID); got.CarrierID != "msg_own" || got.Status != naive.MessageQueued {
		t.Fatalf("message with its own carrier id after a report by ref = %s", show(got))
	}

	// A carrier id another message has: that one is advanced, the ref'd
	// message left alone.
	m3 := outbound(p, "+14155551234")
	_, err = b.s.ReserveMessage(b.ctx, m3, nil, noRun)
	must(t, err)
	if !byRef(naive.ModeLive, "msg_own", m3.ID, naive.MessageSent) {
		t.Fatal("AdvanceMessage of a known carrier id did not change its message")
	}
	if got := b.message(t, b.live, m3.ID); got.CarrierID != "" || got.Status != naive.MessageQueued {
		t.Fatalf("ref'd message after a report of another's carrier id = %s", show(got))
	}
	if got := b.message(t, b.live, m2.ID); got.Status != naive.MessageSent {
		t.Fatalf("message of the carrier id = %s, want sent", show(got))
	}

	// Another mode's message, an inbound message or an unknown ref: nothing.
	tp := b.activePhone(t, b.test, b.testSubject.ID, "+14155550173")
	tm := outbound(tp, "+14155551234")
	_, err = b.s.ReserveMessage(b.ctx, tm, nil, noRun)
	must(t, err)
	in := inbound(p, "+14155551234", "")
	_, err = b.s.RecordInbound(b.ctx, &store.Inbound{Message: in}, nil)
	must(t, err)
	for _, ref := range []string{tm.ID, in.ID, newID()} {
		if byRef(naive.ModeLive, "msg_ref_"+newID(), ref, naive.MessageSent) {
			t.Fatalf("AdvanceMessage by ref %s changed something", ref)
		}
	}
	if got := b.message(t, b.test, tm.ID); got.CarrierID != "" || got.Status != naive.MessageQueued {
		t.Fatalf("test-mode message after a live report by ref = %s", show(got))
	}
	if got := b.message(t, b.live, in.ID); got.CarrierID != "" || got.Status != naive.MessageReceived {
		t.Fatalf("inbound message after a report by ref = %s", show(got))
	}
}
