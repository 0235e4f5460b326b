package storetest

import (
	"errors"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// boundKey is an unrevoked key of sc bound to agentID.
func (b *bundle) boundKey(sc naive.Scope, agentID string) *naive.APIKey {
	return &naive.APIKey{ID: newID(), OperatorID: sc.OperatorID, Mode: sc.Mode, Name: "bound", Prefix: "nv_sk_" + string(sc.Mode),
		Hash: "hash-" + newID(), AgentID: agentID, CreatedBy: b.user.ID, CreatedAt: now()}
}

func testDeleteSubject(t *testing.T, b *bundle) {
	subj, keep := subject(b.live, false), subject(b.live, false)
	must(t, b.s.CreateSubject(b.ctx, &subj))
	must(t, b.s.CreateSubject(b.ctx, &keep))

	// Not from another scope, not an unknown id.
	for _, sc := range []naive.Scope{b.test, b.other} {
		wantErr(t, b.s.DeleteSubject(b.ctx, sc, subj.ID, now()), store.ErrNotFound)
	}
	wantErr(t, b.s.DeleteSubject(b.ctx, b.live, newID(), now()), store.ErrNotFound)

	// Never the default subject.
	wantErr(t, b.s.DeleteSubject(b.ctx, b.live, b.liveSubject.ID, now()), store.ErrConflict)
	wantErr(t, b.s.DeleteSubject(b.ctx, b.test, b.testSubject.ID, now()), store.ErrConflict)

	// Not while a number is provisioning, nor while it is active; a
	// released or failed number is no obstacle.
	p := newPhone(b.live, subj.ID)
	p.Price = 0
	_, err := b.s.ReservePhone(b.ctx, p, debitFor(p), noRun)
	must(t, err)
	wantErr(t, b.s.DeleteSubject(b.ctx, b.live, subj.ID, now()), store.ErrConflict)
	must(t, b.s.ActivatePhone(b.ctx, activation(p.ID, "+14155550123", "pn_"+newID(), ""), noRun))
	wantErr(t, b.s.DeleteSubject(b.ctx, b.live, subj.ID, now()), store.ErrConflict)
	_, err = b.s.MarkPhoneReleased(b.ctx, b.live, p.ID, now(), nil, noRun)
	must(t, err)
	failed := newPhone(b.live, subj.ID)
	failed.Price = 0
	_, err = b.s.ReservePhone(b.ctx, failed, debitFor(failed), noRun)
	must(t, err)
	_, err = b.s.FailPhone(b.ctx, failed.ID, nil, noRun)
	must(t, err)
	if _, err := b.s.GetSubject(b.ctx, b.live, subj.ID); err != nil {
		t.Fatalf("subject gone after refused deletes: %v", err)
	}

	must(t, b.s.DeleteSubject(b.ctx, b.live, subj.ID, now()))

	// Gone for every method taking its id; the others are untouched.
	_, err = b.s.GetSubject(b.ctx, b.live, subj.ID)
	wantErr(t, err, store.ErrNotFound)
	l, err := b.s.ListSubjects(b.ctx, b.live, naive.Page{})
	must(t, err)
	equal(t, "subjects after delete", ids(l, func(s naive.Subject) string { return s.ID }),
		[]string{keep.ID, b.liveSubject.ID})
	upd := subj
	upd.Website = "https://changed.example"
	wantErr(t, b.s.UpdateSubject(b.ctx, &upd), store.ErrNotFound)
	wantErr(t, b.s.AssignKit(b.ctx, b.live, subj.ID, "", now()), store.ErrNotFound)
	again := newPhone(b.live, subj.ID)
	again.Price = 0
	_, err = b.s.ReservePhone(b.ctx, again, debitFor(again), noRun)
	wantErr(t, err, store.ErrNotFound)
	_, err = b.s.GetPhone(b.ctx, b.live, again.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, b.s.DeleteSubject(b.ctx, b.live, subj.ID, now()), store.ErrNotFound)
	got, err := b.s.GetSubject(b.ctx, b.live, keep.ID)
	must(t, err)
	equal(t, "other subject", *got, keep)
}

// testDeleteSubjectReserveConcurrent races reserving a number on a subject
// with deleting it, 10 times: exactly one wins, and a deleted subject is
// never left with a provisioning number.
func testDeleteSubjectReserveConcurrent(t *testing.T, b *bundle) {
	for range 10 {
		subj := subject(b.live, false)
		must(t, b.s.CreateSubject(b.ctx, &subj))
		p := newPhone(b.live, subj.ID)
		p.Price = 0
		var reserveErr, deleteErr error
		concurrently(2, func(i int) {
			if i == 0 {
				_, reserveErr = b.s.ReservePhone(b.ctx, p, debitFor(p), noRun)
			} else {
				deleteErr = b.s.DeleteSubject(b.ctx, b.live, subj.ID, now())
			}
		})
		switch {
		case reserveErr == nil && errors.Is(deleteErr, store.ErrConflict):
			if _, err := b.s.GetSubject(b.ctx, b.live, subj.ID); err != nil {
				t.Fatalf("subject with a number not found: %v", err)
			}
		case deleteErr == nil && errors.Is(reserveErr, store.ErrNotFound):
			if _, err := b.s.GetPhone(b.ctx, b.live, p.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("deleted subject got a number: %v", err)
			}
		default:
			t.Fatalf("ReservePhone: %v, DeleteSubject: %v; want exactly one to win", reserveErr, deleteErr)
		}
	}
}

func testUpdateAgent(t *testing.T, b *bundle) {
	a := b.newAgent(t, b.live)

	// Not from another scope, not an unknown id.
	for _, sc := range []naive.Scope{b.test, b.other} {
		x := *a
		x.OperatorID, x.Mode, x.Name = sc.OperatorID, sc.Mode, "stolen"
		_, err := b.s.UpdateAgent(b.ctx, &x, newEndpoint(sc, ""))
		wantErr(t, err, store.ErrNotFound)
	}
	x := *a
	x.ID = newID()
	_, err := b.s.UpdateAgent(b.ctx, &x, newEndpoint(b.live, ""))
	wantErr(t, err, store.ErrNotFound)
	got, err := b.s.GetAgent(b.ctx, b.live, a.ID)
	must(t, err)
	equal(t, "agent after scoped-out updates", *got, *a)

	agentEndpoints := func() []naive.WebhookEndpoint {
		t.Helper()
		l, err := b.s.ListWebhookEndpoints(b.ctx, b.live, true, naive.Page{})
		must(t, err)
		var out []naive.WebhookEndpoint
		for _, e := range l {
			if e.AgentID == a.ID {
				out = append(out, e)
			}
		}
		return out
	}

	// Setting a URL inserts the endpoint.
	upd := naive.Agent{ID: a.ID, OperatorID: a.OperatorID, Mode: a.Mode, Name: "renamed", WebhookURL: "https://agent.example/one"}
	ep := newEndpoint(b.live, "")
	created, err := b.s.UpdateAgent(b.ctx, &upd, ep)
	must(t, err)
	if !created {
		t.Fatal("UpdateAgent setting a first URL reported no endpoint created")
	}
	equal(t, "written-back created_at", upd.CreatedAt, a.CreatedAt)
	got, err = b.s.GetAgent(b.ctx, b.live, a.ID)
	must(t, err)
	equal(t, "updated agent", *got, upd)
	eps := agentEndpoints()
	if len(eps) != 1 || eps[0].ID != ep.ID || eps[0].URL != upd.WebhookURL || eps[0].SigningSecret != ep.SigningSecret {
		t.Fatalf("agent endpoints = %s, want the inserted one with the URL", show(eps))
	}

	// Changing it moves the endpoint, keeping its id and secret.
	upd.WebhookURL = "https://agent.example/two"
	created, err = b.s.UpdateAgent(b.ctx, &upd, newEndpoint(b.live, ""))
	must(t, err)
	if created {
		t.Fatal("UpdateAgent changing the URL inserted a second endpoint")
	}
	eps = agentEndpoints()
	if len(eps) != 1 || eps[0].ID != ep.ID || eps[0].URL != upd.WebhookURL || eps[0].SigningSecret != ep.SigningSecret {
		t.Fatalf("agent endpoints = %s, want the first one at the new URL", show(eps))
	}

	// Removing it deletes the endpoint.
	upd.WebhookURL = ""
	created, err = b.s.UpdateAgent(b.ctx, &upd, newEndpoint(b.live, ""))
	must(t, err)
	if created || len(agentEndpoints()) != 0 {
		t.Fatalf("after removing the URL: created %v, endpoints %s", created, show(agentEndpoints()))
	}
	_, err = b.s.GetWebhookEndpoint(b.ctx, b.live, ep.ID)
	wantErr(t, err, store.ErrNotFound)
	got, err = b.s.GetAgent(b.ctx, b.live, a.ID)
	must(t, err)
	equal(t, "agent without URL", *got, upd)
}

func testDeleteAgent(t *testing.T, b *bundle) {
	a, keep := b.newAgent(t, b.live), b.newAgent(t, b.live)
	phone := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550142")
	for _, ag := range []*naive.Agent{a, keep} {
		must(t, b.s.UpsertAssignment(b.ctx, &naive.Assignment{PhoneID: phone.ID, AgentID: ag.ID,
			Permissions: []string{naive.PermSendSMS}, CreatedAt: now(), Mode: b.live.Mode, OperatorID: b.live.OperatorID}))
	}
	ep, keepEp := newEndpoint(b.live, a.ID), newEndpoint(b.live, keep.ID)
	must(t, b.s.CreateWebhookEndpoint(b.ctx, ep))
	must(t, b.s.CreateWebhookEndpoint(b.ctx, keepEp))
	ev := b.newEvent(t, b.live)
	_, _, err := b.s.CreateDelivery(b.ctx, &naive.Delivery{ID: newID(), EndpointID: ep.ID, EventID: ev.ID,
		EventType: ev.Type, Status: naive.DeliveryPending, CreatedAt: now(), UpdatedAt: now(),
		OperatorID: b.live.OperatorID, Mode: b.live.Mode})
	must(t, err)

	// Not from another scope, not an unknown id.
	for _, sc := range []naive.Scope{b.test, b.other} {
		wantErr(t, b.s.DeleteAgent(b.ctx, sc, a.ID), store.ErrNotFound)
	}
	wantErr(t, b.s.DeleteAgent(b.ctx, b.live, newID()), store.ErrNotFound)

	// Not while an unrevoked key is bound to it.
	k := b.boundKey(b.live, a.ID)
	must(t, b.s.CreateAPIKey(b.ctx, k))
	wantErr(t, b.s.DeleteAgent(b.ctx, b.live, a.ID), store.ErrConflict)
	if _, err := b.s.GetAgent(b.ctx, b.live, a.ID); err != nil {
		t.Fatalf("agent gone after refused deletes: %v", err)
	}
	_, err = b.s.RevokeAPIKey(b.ctx, b.op.ID, k.ID, now())
	must(t, err)

	must(t, b.s.DeleteAgent(b.ctx, b.live, a.ID))

	// Gone with its assignments and endpoint; the other agent keeps its own.
	_, err = b.s.GetAgent(b.ctx, b.live, a.ID)
	wantErr(t, err, store.ErrNotFound)
	l, err := b.s.ListAssignments(b.ctx, b.live, phone.ID)
	must(t, err)
	equal(t, "assignments after delete", assignmentAgents(l), []string{keep.ID})
	_, err = b.s.GetWebhookEndpoint(b.ctx, b.live, ep.ID)
	wantErr(t, err, store.ErrNotFound)
	if _, err := b.s.GetWebhookEndpoint(b.ctx, b.live, keepEp.ID); err != nil {
		t.Fatalf("other agent's endpoint: %v", err)
	}
	wantErr(t, b.s.DeleteAgent(b.ctx, b.live, a.ID), store.ErrNotFound)

	// Nothing binds to it any more.
	wantErr(t, b.s.CreateAPIKey(b.ctx, b.boundKey(b.live, a.ID)), store.ErrNotFound)
	wantErr(t, b.s.UpsertAssignment(b.ctx, &naive.Assignment{PhoneID: phone.ID, AgentID: a.ID,
		Permissions: []string{naive.PermSendSMS}, CreatedAt: now(), Mode: b.live.Mode, OperatorID: b.live.OperatorID}), store.ErrNotFound)
	// A key binds only to an agent of its own scope.
	wantErr(t, b.s.CreateAPIKey(b.ctx, b.boundKey(b.test, keep.ID)), store.ErrNotFound)
}

// testDeleteAgentKeyConcurrent races binding a key to an agent with
// deleting the agent, 10 times: exactly one wins, and no unrevoked key is
// left bound to a deleted agent.
func testDeleteAgentKeyConcurrent(t *testing.T, b *bundle) {
	for range 10 {
		a := b.newAgent(t, b.live)
		k := b.boundKey(b.live, a.ID)
		var keyErr, deleteErr error
		concurrently(2, func(i int) {
			if i == 0 {
				keyErr = b.s.CreateAPIKey(b.ctx, k)
			} else {
				deleteErr = b.s.DeleteAgent(b.ctx, b.live, a.ID)
			}
		})
		switch {
		case keyErr == nil && errors.Is(deleteErr, store.ErrConflict):
			if _, err := b.s.GetAgent(b.ctx, b.live, a.ID); err != nil {
				t.Fatalf("agent with a key not found: %v", err)
			}
		case deleteErr == nil && errors.Is(keyErr, store.ErrNotFound):
			if _, err := b.s.GetAPIKeyByHash(b.ctx, k.Hash); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("key bound to a deleted agent: %v", err)
			}
		default:
			t.Fatalf("CreateAPIKey: %v, DeleteAgent: %v; want exactly one to win", keyErr, deleteErr)
		}
	}
}
