package storetest

import (
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// testSeedRequired: Seed refuses data missing an id or time and stores
// nothing of it, so the store can still be seeded.
func testSeedRequired(t *testing.T, s store.Store) {
	ctx := t.Context()
	for name, blank := range map[string]func(*store.SeedData){
		"operator id":         func(d *store.SeedData) { d.Operator.ID = "" },
		"operator created_at": func(d *store.SeedData) { d.Operator.CreatedAt = time.Time{} },
		"user id":             func(d *store.SeedData) { d.User.ID = "" },
		"subject created_at":  func(d *store.SeedData) { d.Subjects[1].CreatedAt = time.Time{} },
		"grant id": func(d *store.SeedData) {
			d.Grants = []naive.LedgerEntry{{Amount: 10, Reason: naive.LedgerGrant, CreatedAt: now(),
				OperatorID: d.Operator.ID, Mode: naive.ModeLive}}
		},
	} {
		sd := seedData()
		blank(sd)
		ok, err := s.Seed(ctx, sd)
		wantRequired(t, "Seed without "+name, err)
		if ok {
			t.Fatalf("Seed without %s reported seeding", name)
		}
	}
	sd := seedData()
	ok, err := s.Seed(ctx, sd)
	must(t, err)
	if !ok {
		t.Fatal("Seed after refused seeds reported false")
	}
}

// testRequired: every write missing an id or a time it stores is
// refused, never filled in, and changes nothing.
func testRequired(t *testing.T, b *bundle) {
	const credits = 1000
	b.grant(t, b.live, credits)
	subj := b.liveSubject.ID
	p := b.activePhone(t, b.live, subj, "+14155550100")
	provisioning := newPhone(b.live, subj)
	_, err := b.s.ReservePhone(b.ctx, provisioning, debitFor(provisioning), noRun)
	must(t, err)
	queued := outbound(p, "+14155551234")
	_, err = b.s.ReserveMessage(b.ctx, queued, messageDebit(queued), noRun)
	must(t, err)
	sent := outbound(p, "+14155551234")
	_, err = b.s.ReserveMessage(b.ctx, sent, messageDebit(sent), noRun)
	must(t, err)
	sentCarrierID := "msg_" + newID()
	must(t, b.s.SetMessageCarrierID(b.ctx, sent.ID, sentCarrierID, noRun))
	agent := b.newAgent(t, b.live)
	kit := newKit(b.live, "kit")
	must(t, b.s.CreateKit(b.ctx, kit))
	camp := b.registered(t, naive.CampaignCreated)
	executing := b.createApproval(t, b.live, subj, now().Add(time.Hour))
	must2(b.s.ClaimApproval(b.ctx, b.live, executing.ID, human(b), now(), b.proc))(t)
	expiring := b.createApproval(t, b.live, subj, now().Add(-time.Second))
	e := newEndpoint(b.live, "")
	must(t, b.s.CreateWebhookEndpoint(b.ctx, e))
	d, _, err := b.s.CreateDelivery(b.ctx, newDelivery(e.ID, b.newEvent(t, b.live).ID))
	must(t, err)
	runKey := func() *store.IdempotencyRecord { return b.runKey(b.proc) }
	held := runKey()
	must(t, b.s.SaveProgress(b.ctx, keyCreate(held)))
	stale := b.runKey(b.deadProcess(t))
	must(t, b.s.SaveProgress(b.ctx, keyCreate(stale)))
	newProc := newID()
	balance, _ := b.checkLedger(t, b.live)
	other := subject(b.live, false)
	must(t, b.s.CreateSubject(b.ctx, &other))
	otherBefore := other

	noID := func(ev *naive.Event) *naive.Event { ev.ID = ""; return ev }
	noTime := func(ev *naive.Event) *naive.Event { ev.CreatedAt = time.Time{}; return ev }
	ev := func() *naive.Event {
		return &naive.Event{ID: newID(), Type: naive.EventSMSReceived, Data: []byte(`{}`), CreatedAt: now(),
			OperatorID: b.live.OperatorID, Mode: b.live.Mode}
	}
	entry := func(amount int64) *naive.LedgerEntry {
		return &naive.LedgerEntry{ID: newID(), Amount: amount, Reason: naive.LedgerGrant,
			Actor: human(b), OperatorID: b.live.OperatorID, Mode: b.live.Mode, CreatedAt: now()}
	}
	user := func() *naive.User {
		return &naive.User{ID: newID(), OperatorID: b.op.ID, Email: newID() + "@example.com", PasswordHash: "h", CreatedAt: now()}
	}
	session := func() *naive.Session {
		return &naive.Session{ID: newID(), UserID: b.user.ID, OperatorID: b.op.ID, TokenHash: "t-" + newID(),
			CreatedAt: now(), ExpiresAt: now().Add(time.Hour)}
	}
	agentWithURL := func() *naive.Agent {
		a := *agent
		a.WebhookURL = "https://hooks.example/agent"
		return &a
	}
	endpoint := func() *naive.WebhookEndpoint { return newEndpoint(b.live, "") }
	inboundMsg := func() *naive.Message { return inbound(p, "+14155559999", "msg_in_"+newID()) }
	finished := func() *naive.Approval {
		return &naive.Approval{ID: executing.ID, OperatorID: b.op.ID, Mode: b.live.Mode, Status: naive.ApprovalExecuted}
	}

	cases := []struct {
		name string
		call func() error
	}{
		{"CreateUser without an id", func() error { u := user(); u.ID = ""; return b.s.CreateUser(b.ctx, u) }},
		{"CreateUser without created_at", func() error { u := user(); u.CreatedAt = time.Time{}; return b.s.CreateUser(b.ctx, u) }},
		{"CreateSession without an id", func() error { s := session(); s.ID = ""; return b.s.CreateSession(b.ctx, s) }},
		{"CreateSession without created_at", func() error {
			s := session()
			s.CreatedAt = time.Time{}
			return b.s.CreateSession(b.ctx, s)
		}},
		{"CreateAPIKey without an id", func() error { k := b.boundKey(b.live, ""); k.ID = ""; return b.s.CreateAPIKey(b.ctx, k) }},
		{"CreateAPIKey without created_at", func() error {
			k := b.boundKey(b.live, "")
			k.CreatedAt = time.Time{}
			return b.s.CreateAPIKey(b.ctx, k)
		}},
		{"CreateSubject without an id", func() error { s := subject(b.live, false); s.ID = ""; return b.s.CreateSubject(b.ctx, &s) }},
		{"CreateSubject without created_at", func() error {
			s := subject(b.live, false)
			s.CreatedAt = time.Time{}
			return b.s.CreateSubject(b.ctx, &s)
		}},
		{"UpdateSubject without updated_at", func() error {
			s := other
			s.LegalName, s.UpdatedAt = "Changed LLC", time.Time{}
			return b.s.UpdateSubject(b.ctx, &s)
		}},
		{"CreateAgent without an id", func() error {
			return b.s.CreateAgent(b.ctx, &naive.Agent{OperatorID: b.op.ID, Mode: b.live.Mode, Name: "a", CreatedAt: now()})
		}},
		{"CreateAgent without created_at", func() error {
			return b.s.CreateAgent(b.ctx, &naive.Agent{ID: newID(), OperatorID: b.op.ID, Mode: b.live.Mode, Name: "a"})
		}},
		{"UpdateAgent setting a URL without an endpoint", func() error {
			_, err := b.s.UpdateAgent(b.ctx, agentWithURL(), nil)
			return err
		}},
		{"UpdateAgent with an endpoint without an id", func() error {
			ep := endpoint()
			ep.ID = ""
			_, err := b.s.UpdateAgent(b.ctx, agentWithURL(), ep)
			return err
		}},
		{"UpdateAgent with an endpoint without created_at", func() error {
			ep := endpoint()
			ep.CreatedAt = time.Time{}
			_, err := b.s.UpdateAgent(b.ctx, agentWithURL(), ep)
			return err
		}},
		{"AddLedgerEntry without an id", func() error {
			e := entry(5)
			e.ID = ""
			_, err := b.s.AddLedgerEntry(b.ctx, e, noRun)
			return err
		}},
		{"AddLedgerEntry without created_at", func() error {
			e := entry(5)
			e.CreatedAt = time.Time{}
			_, err := b.s.AddLedgerEntry(b.ctx, e, noRun)
			return err
		}},
		{"ClaimBrand without claimed_at", func() error {
			br := b.brandFor(b.live, subj)
			br.ClaimedAt = time.Time{}
			_, _, err := b.s.ClaimBrand(b.ctx, br, now().Add(-time.Hour), b.liveAfter)
			return err
		}},
		{"ClaimBrand without created_at", func() error {
			br := b.brandFor(b.live, subj)
			br.CreatedAt = time.Time{}
			_, _, err := b.s.ClaimBrand(b.ctx, br, now().Add(-time.Hour), b.liveAfter)
			return err
		}},
		{"ClaimCampaign without an id", func() error {
			c := b.campaignFor(b.live, subj, naive.CampaignTollFree)
			c.ID = ""
			_, _, err := b.s.ClaimCampaign(b.ctx, c, now().Add(-time.Hour), b.liveAfter)
			return err
		}},
		{"ClaimCampaign without claimed_at", func() error {
			c := b.campaignFor(b.live, subj, naive.CampaignTollFree)
			c.ClaimedAt = time.Time{}
			_, _, err := b.s.ClaimCampaign(b.ctx, c, now().Add(-time.Hour), b.liveAfter)
			return err
		}},
		{"ClaimCampaign without created_at", func() error {
			c := b.campaignFor(b.live, subj, naive.CampaignTollFree)
			c.CreatedAt = time.Time{}
			_, _, err := b.s.ClaimCampaign(b.ctx, c, now().Add(-time.Hour), b.liveAfter)
			return err
		}},
		{"AdvanceCampaign with an event without an id", func() error {
			_, err := b.s.AdvanceCampaign(b.ctx, camp.ID, naive.CampaignActive, "", now(), []*naive.Event{ev(), noID(ev())}, nil)
			return err
		}},
		{"AdvanceCampaign with an event without created_at", func() error {
			_, err := b.s.AdvanceCampaign(b.ctx, camp.ID, naive.CampaignActive, "", now(), []*naive.Event{noTime(ev())}, nil)
			return err
		}},
		{"ReservePhone without an id", func() error {
			ph := newPhone(b.live, subj)
			debit := debitFor(ph)
			ph.ID = ""
			_, err := b.s.ReservePhone(b.ctx, ph, debit, noRun)
			return err
		}},
		{"ReservePhone without created_at", func() error {
			ph := newPhone(b.live, subj)
			ph.CreatedAt = time.Time{}
			_, err := b.s.ReservePhone(b.ctx, ph, debitFor(ph), noRun)
			return err
		}},
		{"ReservePhone with a debit without an id", func() error {
			ph := newPhone(b.live, subj)
			debit := debitFor(ph)
			debit.ID = ""
			_, err := b.s.ReservePhone(b.ctx, ph, debit, noRun)
			return err
		}},
		{"ReservePhone with a debit without created_at", func() error {
			ph := newPhone(b.live, subj)
			debit := debitFor(ph)
			debit.CreatedAt = time.Time{}
			_, err := b.s.ReservePhone(b.ctx, ph, debit, noRun)
			return err
		}},
		{"FailPhone with a refund without an id", func() error {
			refund := refundFor(provisioning)
			refund.ID = ""
			_, err := b.s.FailPhone(b.ctx, provisioning.ID, refund, noRun)
			return err
		}},
		{"FailPhone with a refund without created_at", func() error {
			refund := refundFor(provisioning)
			refund.CreatedAt = time.Time{}
			_, err := b.s.FailPhone(b.ctx, provisioning.ID, refund, noRun)
			return err
		}},
		{"BeginIdempotent without created_at", func() error {
			rec := b.idem("required", "hash")
			rec.CreatedAt = time.Time{}
			_, err := b.s.BeginIdempotent(b.ctx, rec)
			return err
		}},
		{"UpdateKit without updated_at", func() error {
			k := *kit
			k.Name, k.UpdatedAt = "changed", time.Time{}
			return b.s.UpdateKit(b.ctx, &k)
		}},
		{"FinishApproval with an event without an id", func() error {
			return b.s.FinishApproval(b.ctx, finished(), noID(approvalEvent(executing, naive.EventApprovalResolved)))
		}},
		{"FinishApproval with an event without created_at", func() error {
			return b.s.FinishApproval(b.ctx, finished(), noTime(approvalEvent(executing, naive.EventApprovalResolved)))
		}},
		{"ExpireApproval with an event without an id", func() error {
			_, err := b.s.ExpireApproval(b.ctx, expiring.ID, now(), noID(approvalEvent(expiring, naive.EventApprovalResolved)))
			return err
		}},
		{"ExpireApproval with an event without created_at", func() error {
			_, err := b.s.ExpireApproval(b.ctx, expiring.ID, now(), noTime(approvalEvent(expiring, naive.EventApprovalResolved)))
			return err
		}},
		{"RecordCarrierEvent without received_at", func() error {
			_, err := b.s.RecordCarrierEvent(b.ctx, &store.CarrierEvent{ID: "evt_required", Mode: b.live.Mode,
				Type: "message.delivered", Payload: []byte(`{}`)})
			return err
		}},
		{"FailMessage without at", func() error {
			_, err := b.s.FailMessage(b.ctx, queued.ID, "x", messageRefund(queued), time.Time{}, noRun)
			return err
		}},
		{"FailMessage with a refund without an id", func() error {
			refund := messageRefund(queued)
			refund.ID = ""
			_, err := b.s.FailMessage(b.ctx, queued.ID, "x", refund, now(), noRun)
			return err
		}},
		{"FailMessage with a refund without created_at", func() error {
			refund := messageRefund(queued)
			refund.CreatedAt = time.Time{}
			_, err := b.s.FailMessage(b.ctx, queued.ID, "x", refund, now(), noRun)
			return err
		}},
		{"RecordInbound without an id", func() error {
			m := inboundMsg()
			m.ID = ""
			_, err := b.s.RecordInbound(b.ctx, &store.Inbound{Message: m, Event: nil}, nil)
			return err
		}},
		{"RecordInbound without created_at", func() error {
			m := inboundMsg()
			m.CreatedAt = time.Time{}
			_, err := b.s.RecordInbound(b.ctx, &store.Inbound{Message: m, Event: nil}, nil)
			return err
		}},
		{"RecordInbound with an event without an id", func() error {
			_, err := b.s.RecordInbound(b.ctx, &store.Inbound{Message: inboundMsg(), Event: noID(ev())}, nil)
			return err
		}},
		{"RecordInbound with an event without created_at", func() error {
			_, err := b.s.RecordInbound(b.ctx, &store.Inbound{Message: inboundMsg(), Event: noTime(ev())}, nil)
			return err
		}},
		{"AdvanceMessage without at", func() error {
			_, err := b.s.AdvanceMessage(b.ctx, advance(b.live.Mode, sentCarrierID, naive.MessageDelivered, "", time.Time{}), nil, nil)
			return err
		}},
		{"SetOptOut without at", func() error {
			_, err := b.s.SetOptOut(b.ctx, &store.OptOut{Scope: b.live, SubjectID: subj, Contact: "+14155551234",
				OptedOut: true}, nil)
			return err
		}},
		{"UpsertAssignment without created_at", func() error {
			return b.s.UpsertAssignment(b.ctx, &naive.Assignment{PhoneID: p.ID, AgentID: agent.ID,
				Permissions: []string{naive.PermSendSMS}, OperatorID: b.live.OperatorID, Mode: b.live.Mode})
		}},
		{"RegisterProcess without an id", func() error { return b.s.RegisterProcess(b.ctx, "", now(), time.Time{}) }},
		{"RegisterProcess without at", func() error { return b.s.RegisterProcess(b.ctx, newProc, time.Time{}, time.Time{}) }},
		{"Heartbeat without at", func() error { return b.s.Heartbeat(b.ctx, b.proc, time.Time{}) }},
		{"SaveProgress creating a key without created_at", func() error {
			k := runKey()
			k.CreatedAt = time.Time{}
			return b.s.SaveProgress(b.ctx, keyCreate(k))
		}},
		{"SaveProgress updating a key without updated_at", func() error {
			k := *held
			k.UpdatedAt, k.ResourceID = time.Time{}, "changed"
			return b.s.SaveProgress(b.ctx, keyUpdate(&k))
		}},
		{"ReservePhone creating a key without created_at", func() error {
			ph := newPhone(b.live, subj)
			k := runKey()
			k.CreatedAt = time.Time{}
			_, err := b.s.ReservePhone(b.ctx, ph, debitFor(ph), keyCreate(k))
			return err
		}},
		{"TakeOverIdempotent without updated_at", func() error {
			_, err := b.s.TakeOverIdempotent(b.ctx, &store.IdempotencyRecord{OperatorID: stale.OperatorID,
				PrincipalID: stale.PrincipalID, Key: stale.Key, LockedBy: b.proc}, b.liveAfter)
			return err
		}},
		{"SetBrandCarrierID without at", func() error {
			return b.s.SetBrandCarrierID(b.ctx, subj, newID(), "acct_1", time.Time{})
		}},
		{"ActivatePhone with an event without an id", func() error {
			return b.s.ActivatePhone(b.ctx, &store.PhoneActivation{ID: provisioning.ID, E164: "+14155550199",
				CarrierID: "pn_x", Events: []*naive.Event{noID(ev())}}, noRun)
		}},
		{"ActivatePhone with an assignment without created_at", func() error {
			return b.s.ActivatePhone(b.ctx, &store.PhoneActivation{ID: provisioning.ID, E164: "+14155550199",
				CarrierID: "pn_x", Assignment: &naive.Assignment{PhoneID: provisioning.ID, AgentID: agent.ID,
					OperatorID: b.live.OperatorID, Mode: b.live.Mode}}, noRun)
		}},
		{"MarkPhoneReleased with an event without created_at", func() error {
			_, err := b.s.MarkPhoneReleased(b.ctx, b.live, p.ID, now(), []*naive.Event{noTime(ev())}, noRun)
			return err
		}},
		{"RecordInbound with an opt-out without at", func() error {
			_, err := b.s.RecordInbound(b.ctx, &store.Inbound{Message: inboundMsg(), OptOut: &store.OptOut{Scope: b.live,
				SubjectID: subj, Contact: "+14155551234", OptedOut: true}}, nil)
			return err
		}},
		{"AdvanceCampaign with a carrier event without received_at", func() error {
			_, err := b.s.AdvanceCampaign(b.ctx, camp.ID, naive.CampaignActive, "", now(), nil,
				&store.CarrierEvent{ID: "evt_required_2", Mode: b.live.Mode, Type: "campaign.updated", Payload: []byte(`{}`)})
			return err
		}},
		{"SaveProgress finishing an approval with an event without an id", func() error {
			return b.s.SaveProgress(b.ctx, store.Progress{Approval: &store.ApprovalStep{ID: executing.ID, Owner: b.proc,
				Finish: &naive.Approval{Status: naive.ApprovalExecuted}, Event: noID(approvalEvent(executing, naive.EventApprovalResolved))}})
		}},
		{"RecordAttempt without at", func() error {
			return b.s.RecordAttempt(b.ctx, d.ID, naive.Attempt{StatusCode: 200}, naive.DeliverySucceeded, nil)
		}},
	}
	for _, c := range cases {
		wantRequired(t, c.name, c.call())
	}

	// Nothing changed: no credits moved, no row written.
	if bal, _ := b.checkLedger(t, b.live); bal != balance {
		t.Fatalf("balance after refused writes = %d, want %d", bal, balance)
	}
	equal(t, "subject after a refused update", must2(b.s.GetSubject(b.ctx, b.live, other.ID))(t), &otherBefore)
	equal(t, "kit after a refused update", must2(b.s.GetKit(b.ctx, b.live, kit.ID))(t), kit)
	if got := must2(b.s.GetAgent(b.ctx, b.live, agent.ID))(t); got.WebhookURL != "" {
		t.Fatalf("agent after refused updates has webhook URL %q", got.WebhookURL)
	}
	equal(t, "endpoints after refused updates",
		endpointIDs(must2(b.s.ListWebhookEndpoints(b.ctx, b.live, true, naive.Page{}))(t)), []string{e.ID})
	_, err = b.s.GetBrand(b.ctx, b.live, subj)
	wantErr(t, err, store.ErrNotFound)
	_, claimed, err := b.s.ClaimCampaign(b.ctx, b.campaignFor(b.live, subj, naive.CampaignTollFree), now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("ClaimCampaign after refused claims found a campaign")
	}
	equal(t, "campaign after a refused advance", b.campaignStatus(t, camp.ID), naive.CampaignCreated)
	equal(t, "phones after refused reserves", must2(b.s.CountPhones(b.ctx, b.live, subj))(t), 2)
	equal(t, "active phone after a refused release", b.phoneStatus(t, b.live, p.ID), naive.PhoneActive)
	b.wantKey(t, "key after a refused update", b.stored(held))
	stillStale := b.stored(stale)
	b.wantKey(t, "key after a refused takeover", stillStale)
	wantErr(t, b.s.Heartbeat(b.ctx, newProc, now()), store.ErrNotFound)
	equal(t, "phone after a refused fail", must2(b.s.GetPhone(b.ctx, b.live, provisioning.ID))(t).Status,
		naive.PhoneProvisioning)
	_, err = b.s.GetIdempotent(b.ctx, b.op.ID, "key_1", "required", b.liveAfter)
	wantErr(t, err, store.ErrNotFound)
	equal(t, "approval after a refused finish", b.approval(t, b.live, executing.ID).Status, naive.ApprovalExecuting)
	equal(t, "approval after a refused expiry", b.approval(t, b.live, expiring.ID).Status, naive.ApprovalPending)
	if isNew, err := b.s.RecordCarrierEvent(b.ctx, &store.CarrierEvent{ID: "evt_required", Mode: b.live.Mode,
		Type: "message.delivered", Payload: []byte(`{}`), ReceivedAt: now()}); err != nil || !isNew {
		t.Fatalf("RecordCarrierEvent after a refused one = %v, %v; want new", isNew, err)
	}
	equal(t, "queued message after refused fails", b.message(t, b.live, queued.ID).Status, naive.MessageQueued)
	equal(t, "messages after refused inbound", len(must2(b.s.ListMessages(b.ctx, b.live, naive.MessageFilter{}))(t)), 2)
	equal(t, "sent message after a refused advance", b.message(t, b.live, sent.ID).Status, naive.MessageQueued)
	if out := must2(b.s.IsOptedOut(b.ctx, b.live, subj, "+14155551234"))(t); out {
		t.Fatal("contact opted out by a refused SetOptOut")
	}
	empty(t, "assignments after a refused upsert", must2(b.s.ListAssignments(b.ctx, b.live, p.ID))(t))
	if got := must2(b.s.GetDelivery(b.ctx, d.ID))(t); got.Status != naive.DeliveryPending || len(got.Attempts) != 0 {
		t.Fatalf("delivery after a refused attempt: %s with %d attempts", got.Status, len(got.Attempts))
	}
	// The carrier event of a refused advance was not recorded.
	if changed, err := b.s.AdvanceCampaign(b.ctx, camp.ID, naive.CampaignInReview, "", now(), nil,
		&store.CarrierEvent{ID: "evt_required_2", Mode: b.live.Mode, Type: "campaign.updated", Payload: []byte(`{}`),
			ReceivedAt: now()}); err != nil || !changed {
		t.Fatalf("AdvanceCampaign after a refused one = %v, %v; want changed", changed, err)
	}
}
